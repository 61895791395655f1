package awsjson

import (
	"net/http"
	"strings"

	"thumbflow/local/sigv4"
)

// AccessKeyID is the access key that signed r (header-signed or
// presigned), or "". It is meaningful only after verification; an
// Authorizer uses it to find the caller's role.
func AccessKeyID(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if cred == "" {
		_, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
		if !ok {
			return ""
		}
		cred, _, _ = strings.Cut(after, ",")
	}
	c, err := sigv4.ParseCredential(strings.TrimSpace(cred))
	if err != nil {
		return ""
	}
	return c.AccessKeyID
}

// SigningService is the service named by r's credential scope ("sns",
// "monitoring"), or "". Services whose protocol carries no X-Amz-Target
// (the query protocol) are routed by it.
func SigningService(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if cred == "" {
		_, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
		if !ok {
			return ""
		}
		cred, _, _ = strings.Cut(after, ",")
	}
	c, err := sigv4.ParseCredential(strings.TrimSpace(cred))
	if err != nil {
		return ""
	}
	return c.Service
}
