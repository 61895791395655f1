package alert

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkObserve measures what an ending execution pays for its alert:
// the log line and, with a webhook, the outbox write (delivery happens on
// another goroutine). Successes cost a map lookup.
func BenchmarkObserve(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	for _, c := range []struct {
		name   string
		opts   func(dir string) Options
		status string
	}{
		{"success", func(string) Options { return Options{} }, "SUCCEEDED"},
		{"log-only/memory", func(string) Options { return Options{} }, "FAILED"},
		{"webhook/outbox", func(dir string) Options { return Options{Webhook: srv.URL, Dir: dir} }, "FAILED"},
	} {
		b.Run(c.name, func(b *testing.B) {
			opts := c.opts(b.TempDir())
			opts.Logger = quiet()
			a, err := New(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				a.Observe(summary(fmt.Sprint("bench-", i), c.status))
				i++
			}
		})
	}
}
