package cloud

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"thumbflow/internal/browsertest"
)

// recordViolations makes every document of the tab keep its
// securitypolicyviolation events in window.cspViolations, from before the
// page's own scripts run.
func recordViolations(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
	const js = `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", e =>
  window.cspViolations.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));`
	_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: js})
	return chromedp.Void{}, err
}

// TestBrowserPagesWorkUnderTheirCSP: both pages are served with a strict
// Content-Security-Policy and frame-ancestors 'none', and still work under
// it: an upload completes with its thumbnail shown, the /ops page lists the
// execution, and no violation is reported. A deliberate inline style at
// the end is the sentinel that shows the policy is enforced and the
// listener hears it.
func TestBrowserPagesWorkUnderTheirCSP(t *testing.T) {
	c := startCloud(t)
	for _, path := range []string{"/", "/ops"} {
		res, err := http.Get(strings.TrimSuffix(c.WebURL, "/") + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") || res.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: CSP %q, X-Frame-Options %q", path, csp, res.Header.Get("X-Frame-Options"))
		}
	}

	p := &page{t: t, ctx: browsertest.NewBrowser(t), dir: t.TempDir()}
	p.run(recordViolations, chromedp.Navigate(c.WebURL))
	p.waitFor(`document.documentElement.dataset.ready === "true"`)
	p.choose("holiday.jpg", photo(1000, 750))
	p.waitFor(row + `?.dataset.state === "succeeded" && ` + row + `.querySelector(".upload-thumb")?.complete && ` + row + `.querySelector(".upload-thumb").naturalWidth > 0`)
	if v := eval[[]string](p, `window.cspViolations`); len(v) != 0 {
		t.Errorf("the upload page violated its CSP: %q", v)
	}
	p.run(chromedp.Evaluate[chromedp.Void](`document.body.setAttribute("style", "outline: 1px solid red")`))
	p.waitFor(`window.cspViolations.length === 1 && window.cspViolations[0].startsWith("style-src")`)

	p.run(chromedp.Navigate(strings.TrimSuffix(c.WebURL, "/") + "/ops"))
	p.waitFor(`document.documentElement.dataset.ready === "true" && document.querySelectorAll("tr.execution").length === 1`)
	if v := eval[[]string](p, `window.cspViolations`); len(v) != 0 {
		t.Errorf("the /ops page violated its CSP: %q", v)
	}
}
