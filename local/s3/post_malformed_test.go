package s3

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A multipart POST whose Content-Type has no usable boundary is not a
// policy failure but a malformed request, as S3 answers it.
func TestPostWithoutBoundaryIsMalformed(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "uploads", uploadsCORS)
	for _, ct := range []string{"multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"unterminated"} {
		req, err := http.NewRequest(http.MethodPost, e.http.URL+"/uploads", strings.NewReader("--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--x--\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "<Code>MalformedPOSTRequest</Code>") ||
			!strings.Contains(string(b), "The body of your POST request is not well-formed multipart/form-data.") {
			t.Errorf("Content-Type %q: %d %s, want 400 MalformedPOSTRequest", ct, resp.StatusCode, b)
		}
	}
}
