package cloud

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"thumbflow/internal/browsertest"
	"thumbflow/internal/clocktest"
	"thumbflow/local/lambda"
)

// page drives the real page that `thumbflow dev` serves, in Chromium.
type page struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func openPage(t *testing.T, c *Cloud) *page {
	t.Helper()
	p := &page{t: t, ctx: browsertest.NewBrowser(t), dir: t.TempDir()}
	p.run(chromedp.Navigate(c.WebURL))
	p.waitFor(`document.documentElement.dataset.ready === "true"`)
	return p
}

func (p *page) run(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

// eval evaluates js in the page.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition; on timeout it shows the rows.
func (p *page) waitFor(cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		rows := eval[string](p, `[...document.querySelectorAll(".upload")].map(r => r.dataset.state + " | " + r.querySelector(".upload-status").textContent).join("\n")`)
		p.t.Fatalf("waiting for %s: %v\nrows:\n%s", cond, err, rows)
	}
}

func (p *page) choose(name string, data []byte) {
	p.t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.run(chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{path}))
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return eval[string](p, `document.querySelector(`+jsString(sel)+`).textContent`)
}

func jsString(s string) string { return "'" + s + "'" }

const row = `document.querySelector(".upload")`

func TestBrowserUploadShowsDoneAndThumbnail(t *testing.T) {
	c := startCloud(t)
	p := openPage(t, c)
	p.choose("holiday.jpg", photo(1000, 750))
	p.waitFor(row + `?.dataset.state === "succeeded" && ` + row + `.querySelector(".upload-thumb")?.complete && ` + row + `.querySelector(".upload-thumb").naturalWidth > 0`)

	if got := p.text(".upload .upload-status"); got != "done" {
		t.Errorf("status line = %q, want done", got)
	}
	if progress := eval[float64](p, row+`.querySelector("progress").value`); progress != 100 {
		t.Errorf("progress = %v, want 100", progress)
	}
	type dims struct{ NW, NH, W, H int }
	size := eval[dims](p, `(() => { const i = `+row+`.querySelector(".upload-thumb"); return {NW: i.naturalWidth, NH: i.naturalHeight, W: i.clientWidth, H: i.clientHeight}; })()`)
	if size.NW != 320 || size.NH != 240 || size.W != 320 || size.H != 240 {
		t.Errorf("thumbnail natural/rendered size = %+v, want 320×240", size)
	}
	if links := eval[int](p, `document.querySelectorAll(".upload .upload-downloads a[data-rendition]").length`); links != 2 {
		t.Errorf("download links = %d, want 2", links)
	}
}

func TestBrowserTextFileNamedJPEGFailsWithReason(t *testing.T) {
	c := startCloud(t)
	p := openPage(t, c)
	p.choose("photo.jpg", []byte("Dear diary, today I renamed a text file to photo.jpg.\n"))
	p.waitFor(row + `?.dataset.state === "failed"`)
	got := p.text(".upload .upload-status")
	want := "failed: The file is not a valid image"
	if len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("status line = %q, want it to start with %q", got, want)
	}
}

func TestBrowserReloadMidConversionSeesFinalStatus(t *testing.T) {
	// The first attempt hangs until the task's 25 s timeout (12.5 s here), so
	// the page is reloaded while the conversion is still under way.
	c := startCloud(t, func(cfg *Config) { cfg.Clock = clocktest.NewFastClock(clocktest.TestFactor) })
	if err := c.Lambdas.InjectFault(functionName(c, "ConvertFunction"), lambda.FaultTimeout); err != nil {
		t.Fatal(err)
	}
	p := openPage(t, c)
	p.choose("slow.jpg", photo(400, 300))
	p.waitFor(row + `?.dataset.state === "converting"`)
	p.run(chromedp.Reload())
	p.waitFor(`document.documentElement.dataset.ready === "true"`)
	p.waitFor(row + `?.dataset.state === "succeeded"`)
	if got := p.text(".upload .upload-status"); got != "done" {
		t.Errorf("after reload the status line = %q, want done", got)
	}
	if name := eval[string](p, row+`.textContent`); !strings.Contains(name, "slow.jpg") {
		t.Errorf("resumed row does not name the file: %q", name)
	}
}
