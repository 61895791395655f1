package s3store

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"

	"thumbflow/upload"
)

// classify marks S3's permission refusals as upload.ErrAccessDenied, so
// the domain fails them at once instead of retrying what only an operator
// can fix; every other error passes unchanged.
func classify(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "AccessDenied" {
		return fmt.Errorf("%w: %w", upload.ErrAccessDenied, err)
	}
	return err
}
