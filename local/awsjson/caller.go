package awsjson

import (
	"net/http"
	"strings"

	"thumbflow/local/sigv4"
)

// credential is the credential scope r claims (header-signed or
// presigned), or false.
func credential(r *http.Request) (sigv4.Credential, bool) {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if cred == "" {
		_, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
		if !ok {
			return sigv4.Credential{}, false
		}
		cred, _, _ = strings.Cut(after, ",")
	}
	c, err := sigv4.ParseCredential(strings.TrimSpace(cred))
	return c, err == nil
}

// AccessKeyID is the access key that signed r, or "". It is meaningful
// only after verification; an Authorizer uses it to find the caller's
// role.
func AccessKeyID(r *http.Request) string {
	c, _ := credential(r)
	return c.AccessKeyID
}

// SigningService is the service named by r's credential scope ("sns",
// "monitoring"), or "". Services whose protocol carries no X-Amz-Target
// (SNS's query protocol) are routed by it.
func SigningService(r *http.Request) string {
	c, _ := credential(r)
	return c.Service
}
