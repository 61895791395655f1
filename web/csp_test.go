package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestPagesAreServedWithAStrictCSP(t *testing.T) {
	h := Handler(Config{
		WebsocketURL: "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod",
		S3Origins:    []string{"https://s3.eu-west-1.amazonaws.com", "not a url", "https://s3.eu-west-1.amazonaws.com/dup"},
	})
	for _, path := range []string{"/", "/ops.html", "/style.css", "/js/main.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		want := "default-src 'none'; script-src 'self'; style-src 'self'; " +
			"img-src 'self' blob: https://s3.eu-west-1.amazonaws.com; " +
			"connect-src 'self' wss://abc123.execute-api.eu-west-1.amazonaws.com https://s3.eu-west-1.amazonaws.com; " +
			"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
		if got := rec.Header().Get("Content-Security-Policy"); got != want {
			t.Errorf("GET %s: Content-Security-Policy\n %s\nwant\n %s", path, got, want)
		}
		if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q", path, got)
		}
	}
}

// The policy has no 'unsafe-inline', so the pages may hold no inline
// script, style or event handler: a static check that names the file,
// before a browser test would only say that something broke.
func TestPagesHaveNothingInline(t *testing.T) {
	inline := regexp.MustCompile(`(?i)<style|\sstyle\s*=\s*["']|\son[a-z]+\s*=\s*["']|javascript:`)
	script := regexp.MustCompile(`(?i)<script[^>]*>`)
	err := fs.WalkDir(Static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".html") || strings.HasSuffix(path, ".js")) {
			return err
		}
		b, err := fs.ReadFile(Static, path)
		if err != nil {
			return err
		}
		if m := inline.Find(b); m != nil {
			t.Errorf("%s has inline code or style, which the CSP blocks: %q", path, m)
		}
		for _, tag := range script.FindAll(b, -1) {
			if !strings.Contains(string(tag), "src=") {
				t.Errorf("%s has an inline script, which the CSP blocks: %q", path, tag)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
