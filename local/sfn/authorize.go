package sfn

import (
	"encoding/json"
	"net/http"

	"thumbflow/local/sigv4"
)

// Authorizer decides whether the principal behind an access key may call
// a Step Functions action on a resource (local/iam.Authorizer). With none,
// every correctly signed request is allowed.
type Authorizer interface {
	Authorize(accessKeyID, action, resource string, conditions map[string][]string) error
}

// authorize checks a verified request: the action is "states:" and the
// operation, the resource the ARN the request names (an execution, a
// state machine, an activity or a tagged resource), or "*" for the
// listing operations that name none, as the Step Functions
// authorization reference lists them.
func (s *Service) authorize(r *http.Request, op string, body []byte) error {
	if s.opts.Authorizer == nil {
		return nil
	}
	var arns struct {
		ExecutionArn    string `json:"executionArn"`
		StateMachineArn string `json:"stateMachineArn"`
		ResourceArn     string `json:"resourceArn"`
	}
	_ = json.Unmarshal(body, &arns) // a malformed body is the handler's to refuse
	resource := "*"
	for _, a := range []string{arns.ExecutionArn, arns.StateMachineArn, arns.ResourceArn} {
		if a != "" {
			resource = a
			break
		}
	}
	if err := s.opts.Authorizer.Authorize(sigv4.AccessKeyID(r), "states:"+op, resource, nil); err != nil {
		return &Error{Code: "AccessDeniedException", Message: err.Error(), Status: http.StatusBadRequest}
	}
	return nil
}
