package web

import (
	"net/http"
	"net/url"
	"strings"
)

// The pages send a strict Content-Security-Policy: scripts and styles only
// from their own origin (the pages have no inline script or style, and
// must never need 'unsafe-inline'), connections only to the endpoints they
// really use, and no framing. A script injected into either page (through
// a file name, an error message or a record) can then neither run inline
// nor send what it reads anywhere else, and no other site can frame the
// page to trick a click.

// ContentSecurityPolicy is the policy of a page that connects to its own
// origin and to the origins of connect, and shows images from its own
// origin, blob: URLs (the local previews of chosen files) and the origins
// of images. Each entry is a URL or an origin; only its scheme and host
// are kept, and one that does not parse is left out.
func ContentSecurityPolicy(connect, images []string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src " + sources("'self' blob:", images),
		"connect-src " + sources("'self'", connect),
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// SetSecurityHeaders sets the headers both pages are served with: csp,
// and the framing refusal again for browsers that predate frame-ancestors.
func SetSecurityHeaders(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// policy is the upload page's policy for cfg: the WebSocket API and the
// S3 endpoint its grants presign.
func (cfg Config) policy() string {
	return ContentSecurityPolicy(append([]string{cfg.WebsocketURL}, cfg.S3Origins...), cfg.S3Origins)
}

func sources(base string, urls []string) string {
	out := []string{base}
	seen := map[string]bool{}
	for _, u := range urls {
		p, err := url.Parse(u)
		if err != nil || p.Scheme == "" || p.Host == "" || strings.ContainsAny(p.Host, " ;,'") {
			continue
		}
		o := p.Scheme + "://" + p.Host
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return strings.Join(out, " ")
}
