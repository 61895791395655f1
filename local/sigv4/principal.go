package sigv4

import (
	"net/http"
	"strings"
)

// AccessKeyID returns the access key that signed r, from its
// Authorization header or its presigned query, or "" for an unsigned
// request. Call it after Verify: only then is the key known to be the
// signer's.
func AccessKeyID(r *http.Request) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, rest, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return ""
		}
		key, _, _ := strings.Cut(rest, "/")
		return key
	}
	key, _, _ := strings.Cut(r.URL.Query().Get("X-Amz-Credential"), "/")
	return key
}
