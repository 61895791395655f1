package apigw

import (
	"net/http"

	"thumbflow/local/sigv4"
)

// Authorizer decides whether the principal behind an access key may
// perform an action on a resource (local/iam.Authorizer).
type Authorizer interface {
	Authorize(accessKeyID, action, resource string, conditions map[string][]string) error
}

// authorize checks a verified @connections request as API Gateway does:
// execute-api:ManageConnections on
// arn:...:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/@connections/ID.
func (g *Gateway) authorize(r *http.Request, connectionID string) error {
	if g.authz == nil {
		return nil
	}
	resource := g.arn + "/" + g.stage + "/" + r.Method + "/@connections/" + connectionID
	return g.authz.Authorize(sigv4.AccessKeyID(r), "execute-api:ManageConnections", resource, nil)
}
