package ops_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"thumbflow/internal/browsertest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/lambda"
	"thumbflow/upload"
)

// opsPage drives /ops in Chromium.
type opsPage struct {
	t   *testing.T
	ctx context.Context
}

func (p opsPage) waitFor(cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		text, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		p.t.Fatalf("waiting for %s: %v\npage:\n%s", cond, err, text)
	}
}

func (p opsPage) eval(js string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.t.Fatalf("%s: %v", js, err)
	}
	return v
}

func (p opsPage) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

// choose sets a filter as a user would, by its change event.
func (p opsPage) choose(id, value string) {
	p.t.Helper()
	p.eval(`(() => { const s = document.querySelector("` + id + `"); s.value = "` + value + `"; s.dispatchEvent(new Event("change")); return ""; })()`)
}

func (p opsPage) total(key string) int {
	n, _ := strconv.Atoi(p.eval(`document.querySelector('[data-total="` + key + `"] dd').textContent`))
	return n
}

// axe runs axe-core in light and dark at a desktop and a phone width.
func (p opsPage) axe(stage string) {
	p.t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		for _, width := range []int64{1280, 375} {
			if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			}); err != nil {
				p.t.Fatal(err)
			}
			p.do(chromedp.EmulateViewport(width, 900))
			for _, v := range browsertest.Axe(p.t, p.ctx) {
				p.t.Errorf("%s, %s, %d px: %s", stage, scheme, width, v)
			}
			if w, _ := strconv.Atoi(p.eval(`String(document.documentElement.scrollWidth)`)); w > int(width) {
				p.t.Errorf("%s, %s, %d px: the page lays out %d px wide", stage, scheme, width, w)
			}
		}
	}
	p.do(chromedp.EmulateViewport(1280, 900))
}

func TestOpsPageAtAGlance(t *testing.T) {
	c, _, bad := startOpsCloud(t)
	convert := c.Stack.Function("ConvertFunction").Name
	if err := c.Lambdas.InjectFaultRate(convert, lambda.FaultTransient, 1); err != nil {
		t.Fatal(err)
	}
	broken := uploadtest.Upload(t, uploadtest.Dial(t, context.Background(), c.WebSocketURL), "broken.jpg", uploadtest.Photo(16, 16), upload.StateFailed)
	c.Lambdas.InjectFaultRate(convert, lambda.FaultNone, 0)

	p := opsPage{t: t, ctx: browsertest.NewBrowser(t)}
	p.do(chromedp.Navigate(c.WebURL + "/ops"))
	p.waitFor(`document.documentElement.dataset.ready === "true" && document.querySelectorAll("tr.execution").length === 3`)

	// The totals count the listed executions: one success, one user
	// rejection, one system failure.
	if p.total("succeeded") != 1 || p.total("userRejections") != 1 || p.total("systemFailures") != 1 || p.total("uploads") != 3 {
		t.Errorf("totals: %s", p.eval(`document.querySelector("#totals").innerText`))
	}
	if p.eval(`String(document.querySelectorAll("#chart rect").length)`) == "0" {
		t.Error("the chart has no bars")
	}
	p.axe("loaded")

	// Filters: kind, then code, then status.
	p.choose("#kind-filter", "user")
	p.waitFor(`document.querySelectorAll("tr.execution").length === 1 && document.querySelector("tr.execution").dataset.upload === "` + bad + `"`)
	p.choose("#kind-filter", "")
	p.choose("#code-filter", "TransientError")
	p.waitFor(`document.querySelectorAll("tr.execution").length === 1 && document.querySelector("tr.execution").dataset.upload === "` + broken + `"`)
	p.choose("#code-filter", "")
	p.choose("#status-filter", "SUCCEEDED")
	p.waitFor(`document.querySelectorAll("tr.execution").length === 1`)
	p.choose("#status-filter", "")

	// Live refresh: a new upload appears without a reload.
	uploadtest.Upload(t, uploadtest.Dial(t, context.Background(), c.WebSocketURL), "new.jpg", uploadtest.Photo(20, 20), upload.StateSucceeded)
	p.waitFor(`document.querySelectorAll("tr.execution").length === 4 && document.querySelector('[data-total="succeeded"] dd').textContent === "2"`)

	// Enter on the system failure's row opens its detail, in view and
	// focused, with the URL naming it; Retry starts generation 2.
	p.do(chromedp.Focus(chromedp.CSS(`tr.execution[data-upload="`+broken+`"] a`)), chromedp.KeyEvent("\r"))
	p.waitFor(`document.querySelector("#detail").dataset.loaded === "true" && !document.querySelector("#retry").hidden`)
	if got := p.eval(`document.activeElement.id`); got != "detail-heading" {
		t.Errorf("focus is on %q, want the detail's heading", got)
	}
	if p.eval(`(() => { const r = document.querySelector("#detail").getBoundingClientRect(); return String(r.top >= 0 && r.top < innerHeight); })()`) != "true" {
		t.Error("the detail pane is not in view")
	}
	if !strings.Contains(p.eval(`location.hash`), "arn=") {
		t.Errorf("URL %s does not name the execution", p.eval(`location.href`))
	}
	p.axe("detail")
	p.do(chromedp.Click(chromedp.CSS("#retry")))
	p.waitFor(`document.querySelector("#retry-result").dataset.outcome === "started"`)
	p.waitFor(`[...document.querySelectorAll("tr.execution")].filter(r => r.dataset.upload === "` + broken + `" && r.dataset.status === "SUCCEEDED").length === 1`)
	if p.total("systemFailures") != 1 || p.total("succeeded") != 3 {
		t.Errorf("after the retry: %s", p.eval(`document.querySelector("#totals").innerText`))
	}
}
