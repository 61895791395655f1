package apigw_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"thumbflow/internal/bodytest"
	"thumbflow/local/apigw"
	"thumbflow/local/sigv4"
)

// An unauthenticated @connections request with a huge body is refused
// after reading at most one message's worth of it.
func TestManagementReadsNoMoreThanAMessageOfAForgedBody(t *testing.T) {
	e := start(t, apigw.Options{Handler: newRecorder().handle, Verifier: sigv4.NewVerifier("test", "test", "us-east-1")})
	for _, length := range []int64{1 << 30, -1} {
		body := &bodytest.Endless{}
		w := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		e.gw.ManagementHandler().ServeHTTP(w, bodytest.Forged("/prod/@connections/AAAAAAAAAAAAAA=", "execute-api", length, body))
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
			t.Errorf("Content-Length %d: refusing it allocated %d MiB", length, n>>20)
		}
		if w.Code != http.StatusRequestEntityTooLarge || body.N > 128<<10+64<<10 {
			t.Errorf("Content-Length %d: %d %s after reading %d bytes, want 413 within one message", length, w.Code, w.Body, body.N)
		}
	}
}
