package upload

import (
	"fmt"
	"strings"
)

// Object keys are derived only from the upload id, never from the file
// name the user chose, so a name like "../../x.jpg" changes nothing.
const (
	// OriginalPrefix is where originals land in the uploads bucket; the
	// bucket's notification (and the start handler) only reacts below it.
	OriginalPrefix = "uploads/"
	// RenditionPrefix is where renditions land in the output bucket.
	RenditionPrefix = "renditions/"
	// StatusPrefix holds one status record per upload in the records bucket.
	StatusPrefix = "status/"
	// SubscriptionPrefix holds one small object per watching connection;
	// a lifecycle rule expires them.
	SubscriptionPrefix = "subscriptions/"
	// FailurePrefix holds a copy of every failed upload's record, for
	// operators (thumbflow failures).
	FailurePrefix = "failures/"
)

// OriginalKey is the key the browser's POST must use.
func OriginalKey(id string) string { return OriginalPrefix + id }

// IDFromOriginalKey recovers the upload id from an uploads-bucket key, and
// reports false for any key this service did not hand out.
func IDFromOriginalKey(key string) (string, bool) {
	id, ok := strings.CutPrefix(key, OriginalPrefix)
	if !ok || !ValidID(id) {
		return "", false
	}
	return id, true
}

// RenditionKey is where rendition name of upload id is written.
func RenditionKey(id, name string) string { return RenditionPrefix + id + "/" + name }

// StatusKey is the key of the upload's status record.
func StatusKey(id string) string { return StatusPrefix + id + ".json" }

// FailureKey is the key of the upload's failure record.
func FailureKey(id string) string { return FailurePrefix + id + ".json" }

// SubscriptionKey is the key recording that connection watches upload id.
// Connection ids come from API Gateway, so they are escaped rather than
// trusted to be key-safe.
func SubscriptionKey(id, connectionID string) string {
	return SubscriptionPrefix + id + "/" + escapeSegment(connectionID)
}

// ConnectionFromSubscriptionKey reverses SubscriptionKey.
func ConnectionFromSubscriptionKey(key string) (string, error) {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return "", fmt.Errorf("subscription key %q has no connection segment", key)
	}
	return unescapeSegment(key[i+1:])
}

// escapeSegment keeps [A-Za-z0-9-_=] and percent-encodes the rest (API
// Gateway connection ids contain '=' and may contain '/' or '+').
func escapeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '=' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func unescapeSegment(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		var c byte
		if _, err := fmt.Sscanf(s[i+1:i+3], "%02X", &c); err != nil {
			return "", fmt.Errorf("bad escape in %q: %w", s, err)
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), nil
}
