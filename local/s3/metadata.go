package s3

import (
	"net/http"
	"strings"
)

// internalPrefix marks metadata that S3 stores but gofakes3 would drop or
// echo unconditionally; recorder maps it back to the real header.
const internalPrefix = "X-Amz-Tf-"

// storedHeaders are the system metadata S3 keeps with an object beyond what
// gofakes3 keeps itself (Content-Type, Content-Disposition, Content-Encoding).
var storedHeaders = []string{"Cache-Control", "Content-Language", "Expires"}

// sanitizeHeaders leaves only what S3 stores as object metadata, because
// gofakes3 stores every X-Amz-* header, including signatures and tokens.
func sanitizeHeaders(h http.Header, checksums map[string]string) {
	for name := range h {
		if strings.HasPrefix(name, "X-Amz-") && !strings.HasPrefix(name, "X-Amz-Meta-") &&
			name != "X-Amz-Copy-Source" && name != "X-Amz-Metadata-Directive" {
			delete(h, name)
		}
	}
	for _, name := range storedHeaders {
		if v := h.Get(name); v != "" {
			h.Set(internalPrefix+name, v)
		}
	}
	for name, v := range checksums {
		h.Set(internalPrefix+name, v)
	}
}

func fixResponseHeaders(h http.Header, cors http.Header, exposeChecksums bool) {
	for name := range h {
		if strings.HasPrefix(name, "Access-Control-") {
			delete(h, name)
		}
	}
	for k, v := range cors {
		h[k] = v
	}
	for name, v := range h {
		rest, ok := strings.CutPrefix(name, internalPrefix)
		if !ok {
			continue
		}
		delete(h, name)
		if strings.HasPrefix(rest, "Checksum-") {
			if exposeChecksums {
				h["X-Amz-"+rest] = v
				h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
			}
			continue
		}
		h[rest] = v
	}
}
