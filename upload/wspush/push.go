// Package wspush sends messages to browsers through API Gateway's
// @connections management API.
package wspush

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"

	"thumbflow/upload"
)

// API is the part of the management client the pusher calls.
type API interface {
	PostToConnection(ctx context.Context, in *apigatewaymanagementapi.PostToConnectionInput, opts ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error)
}

// Pusher implements upload.Pusher.
type Pusher struct {
	Client API
}

// Push posts msg to one connection; a 410 becomes upload.ErrGone.
func (p *Pusher) Push(ctx context.Context, connectionID string, msg []byte) error {
	_, err := p.Client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{
		ConnectionId: aws.String(connectionID),
		Data:         msg,
	})
	if err == nil {
		return nil
	}
	var gone *types.GoneException
	if errors.As(err, &gone) {
		return fmt.Errorf("post to connection %s: %w", connectionID, upload.ErrGone)
	}
	return fmt.Errorf("post to connection %s: %w", connectionID, err)
}
