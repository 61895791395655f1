package wiring

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TokenKey reads the subscription-token signing key from Secrets Manager,
// where the stack generates it: it never exists in the repository, the
// template or an environment variable.
func TokenKey(ctx context.Context, cfg aws.Config, secretID string) ([]byte, error) {
	out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil {
		return nil, fmt.Errorf("read token key %s: %w", secretID, err)
	}
	return []byte(aws.ToString(out.SecretString)), nil
}
