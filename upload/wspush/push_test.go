package wspush

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"

	"thumbflow/internal/awsfake"
	"thumbflow/upload"
)

func TestPushDeliversToAnOpenConnection(t *testing.T) {
	conns := awsfake.NewConnections(t, "c1", "c2")
	p := &Pusher{Client: conns.Client}
	msg := []byte(`{"type":"status","state":"converting","version":2}`)
	if err := p.Push(context.Background(), "c1", msg); err != nil {
		t.Fatalf("push to an open connection: %v", err)
	}
	if got := conns.Messages("c1"); len(got) != 1 || !bytes.Equal(got[0], msg) {
		t.Fatalf("c1 received %q, want exactly %q", got, msg)
	}
	if got := conns.Messages("c2"); len(got) != 0 {
		t.Fatalf("c2 received %q, want nothing", got)
	}
}

func TestPushToAClosedConnectionIsErrGone(t *testing.T) {
	conns := awsfake.NewConnections(t, "c1")
	p := &Pusher{Client: conns.Client}
	conns.Close("c1")
	for _, id := range []string{"c1", "never-open"} {
		err := p.Push(context.Background(), id, []byte(`{}`))
		if !errors.Is(err, upload.ErrGone) {
			t.Fatalf("push to %s: %v, want upload.ErrGone (410 GoneException)", id, err)
		}
	}
	if got := conns.Messages("c1"); len(got) != 0 {
		t.Fatalf("closed c1 received %q", got)
	}
}

type failingAPI struct{ err error }

func (f failingAPI) PostToConnection(ctx context.Context, in *apigatewaymanagementapi.PostToConnectionInput, opts ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error) {
	return nil, f.err
}

// Every other failure is wrapped, never reported as gone: a subscriber is
// dropped only on a 410.
func TestPushWrapsOtherErrorsAndKeepsTheSubscriber(t *testing.T) {
	for _, cause := range []error{
		&types.ForbiddenException{Message: new("forbidden")},
		&types.LimitExceededException{Message: new("slow down")},
		&types.PayloadTooLargeException{Message: new("too big")},
		errors.New("dial tcp: connection refused"),
	} {
		err := (&Pusher{Client: failingAPI{cause}}).Push(context.Background(), "c9", []byte(`{}`))
		if err == nil || errors.Is(err, upload.ErrGone) {
			t.Errorf("%T: got %v, want a wrapped error that is not ErrGone", cause, err)
			continue
		}
		if !errors.Is(err, cause) {
			t.Errorf("%T: %v does not wrap the cause", cause, err)
		}
	}
	// A GoneException anywhere in the chain is gone.
	wrapped := errors.Join(errors.New("operation error"), &types.GoneException{})
	if err := (&Pusher{Client: failingAPI{wrapped}}).Push(context.Background(), "c9", nil); !errors.Is(err, upload.ErrGone) {
		t.Errorf("wrapped GoneException: %v, want ErrGone", err)
	}
}

func TestPushHonoursCancellation(t *testing.T) {
	conns := awsfake.NewConnections(t, "c1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := (&Pusher{Client: conns.Client}).Push(ctx, "c1", []byte(`{}`))
	if err == nil || errors.Is(err, upload.ErrGone) || !errors.Is(err, context.Canceled) {
		t.Fatalf("push with a cancelled context: %v, want a wrapped context.Canceled", err)
	}
	if got := conns.Messages("c1"); len(got) != 0 {
		t.Fatalf("c1 received %q after a cancelled push", got)
	}
}
