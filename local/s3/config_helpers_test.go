package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"regexp"
	"testing"
)

var codeRE = regexp.MustCompile(`<Code>([^<]*)</Code>`)

// rawPut sends a signed PUT of an XML document to path (with its query),
// for documents the SDK would refuse to send, and returns the status and
// the S3 error code ("" on success).
func rawPut(t *testing.T, e *env, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, e.http.URL+path, bytes.NewReader([]byte(body)))
	sum := md5.Sum([]byte(body))
	req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	signS3(t, req, []byte(body))
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	code := ""
	if m := codeRE.FindSubmatch(b); m != nil {
		code = string(m[1])
	}
	return resp.StatusCode, code
}
