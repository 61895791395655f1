package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"thumbflow/internal/browsertest"
	"thumbflow/internal/clocktest"
	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/cloud"
	"thumbflow/local/lambda"
)

// The tests in this file drive the page that `thumbflow dev` serves
// against the real local cloud: its S3, its gateway, the real handlers and
// the real workflow. Only what the local cloud cannot be made to do on
// cue (see fakeCloud's comment) is left to the fake in fake_test.go.

type cloudPage struct {
	c   *cloud.Cloud
	ctx context.Context
	dir string
}

func openCloud(t *testing.T, ctx context.Context, c *cloud.Cloud) *cloudPage {
	t.Helper()
	p := &cloudPage{c: c, ctx: ctx, dir: t.TempDir()}
	p.navigate(t)
	return p
}

func (p *cloudPage) navigate(t *testing.T) {
	t.Helper()
	run(t, p.ctx, chromedp.Navigate(p.c.WebURL))
	waitForIn(t, p.ctx, `document.documentElement.dataset.ready === "true"`)
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func (p *cloudPage) choose(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, p.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{path}))
}

// throttle limits the tab's uploads to bytesPerSecond (0: no limit), so a
// test can act while a POST to the local S3 is under way.
func throttle(t *testing.T, ctx context.Context, bytesPerSecond float64) {
	t.Helper()
	up := bytesPerSecond
	if up == 0 {
		up = -1
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: up}},
	}); err != nil {
		t.Fatal(err)
	}
}

// s3Client is an SDK client of the local cloud, signed as the developer.
func s3Client(c *cloud.Cloud) *s3.Client {
	return s3.NewFromConfig(c.AWSConfig(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(c.Endpoint)
		o.UsePathStyle = true
	})
}

// originals lists the keys (any version) stored in the uploads bucket.
func originals(t *testing.T, c *cloud.Cloud) []string {
	t.Helper()
	out, err := s3Client(c).ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String(c.Stack.Bucket("UploadsBucket").Name)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, v := range out.Versions {
		keys = append(keys, aws.ToString(v.Key))
	}
	return keys
}

// newTab opens a second tab in the browser of ctx.
func newTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	// The first action must run on tab itself: a tab opened under a
	// context with a deadline is closed when that context ends.
	if err := chromedp.Do(tab); err != nil {
		t.Fatal(err)
	}
	return tab
}

// acceptDialogs answers every dialog of the tab (a beforeunload prompt)
// with OK, as a user who means to leave does, and counts them.
func acceptDialogs(t *testing.T, ctx context.Context) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			if ev.Type == page.DialogTypeBeforeunload {
				n.Add(1)
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return &n
}

const firstRow = `document.querySelector(".upload")`

func rowText(t *testing.T, ctx context.Context) string {
	return eval[string](t, ctx, firstRow+`?.querySelector(".upload-status").textContent ?? ""`)
}

func TestCloudDownloadSavesNamedFileAndDeleteRemovesIt(t *testing.T) {
	c := cloudtest.Start(t)
	p := openCloud(t, browsertest.NewBrowser(t), c)
	p.choose(t, "Ferien am Meer.jpg", uploadtest.Photo(1000, 750))
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "succeeded" && `+firstRow+`.querySelector(".upload-thumb").complete && `+firstRow+`.querySelector(".upload-thumb").naturalWidth === 320`)

	href := eval[string](t, p.ctx, `document.querySelector('a.download[data-rendition="thumb"]').href`)
	res, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if want := `attachment; filename="Ferien am Meer-thumb.jpg"`; res.StatusCode != 200 || res.Header.Get("Content-Disposition") != want {
		t.Errorf("GET the thumb link: HTTP %d, Content-Disposition %q; want 200 and %s", res.StatusCode, res.Header.Get("Content-Disposition"), want)
	}

	// A click saves the file, under that name, and the page stays.
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	run(t, p.ctx, chromedp.Click(chromedp.CSS(`a.download[data-rendition="thumb"]`)))
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			break
		}
	}
	if _, err := os.Stat(filepath.Join(downloads, "Ferien am Meer-thumb.jpg")); err != nil {
		entries, _ := os.ReadDir(downloads)
		t.Errorf("the download was not saved as %q: %v (saved: %v)", "Ferien am Meer-thumb.jpg", err, entries)
	}
	if got := eval[string](t, p.ctx, `location.href`); got != c.WebURL+"/" {
		t.Errorf("after the click the tab is at %s", got)
	}

	// Delete from the server: the row goes, and so do the files.
	links := eval[[]string](t, p.ctx, `[...document.querySelectorAll("a.download")].map(a => a.href)`)
	if len(links) != 2 {
		t.Fatalf("download links = %v", links)
	}
	name := eval[string](t, p.ctx, `(() => { const b = document.querySelector(".upload .btn-delete"); return b.hidden ? "hidden" : b.textContent; })()`)
	if name != "Delete from the server Ferien am Meer.jpg" {
		t.Errorf("the delete button reads %q; want it named after the file", name)
	}
	run(t, p.ctx, chromedp.Click(chromedp.CSS(".upload .btn-delete")))
	waitForIn(t, p.ctx, `document.querySelectorAll(".upload").length === 0`)
	for _, l := range links {
		res, err := http.Get(l)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Errorf("a rendition link after delete: HTTP %d, want 404", res.StatusCode)
		}
	}
	if keys := originals(t, c); len(keys) != 0 {
		t.Errorf("the uploads bucket still holds %v", keys)
	}
}

func TestCloudCancelMidUploadStoresNothing(t *testing.T) {
	c := cloudtest.Start(t)
	p := openCloud(t, browsertest.NewBrowser(t), c)
	throttle(t, p.ctx, 64<<10)
	p.choose(t, "big.jpg", noisyJPEG(t, 1<<20))
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "uploading" && `+firstRow+`.querySelector("progress").value > 0`)
	// Speed and time left, once there is enough to go on.
	waitForIn(t, p.ctx, `/^[0-9.]+ [KM]?B\/s, [0-9]+ (s|min) left$/.test(`+firstRow+`.querySelector(".upload-detail").textContent)`)
	if !eval[bool](t, p.ctx, `(() => { const e = new Event("beforeunload", { cancelable: true }); dispatchEvent(e); return e.defaultPrevented; })()`) {
		t.Error("closing the tab mid-upload does not warn")
	}
	run(t, p.ctx, chromedp.Click(chromedp.CSS(".upload .btn-cancel")))
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "cancelled"`)
	if got := rowText(t, p.ctx); got != "cancelled" {
		t.Errorf("status line = %q, want cancelled", got)
	}
	if eval[bool](t, p.ctx, `(() => { const e = new Event("beforeunload", { cancelable: true }); dispatchEvent(e); return e.defaultPrevented; })()`) {
		t.Error("closing the tab warns with nothing in flight")
	}
	throttle(t, p.ctx, 0)
	// A marker upload, started after the cancel and unthrottled: once it is
	// converted, a POST the cancel failed to stop (now at full speed too)
	// would have been stored. S3 stores an object only once the whole POST
	// is in, so only the marker's original may be there.
	run(t, p.ctx, chromedp.Click(chromedp.CSS(".upload .btn-remove")))
	waitForIn(t, p.ctx, `document.querySelectorAll(".upload").length === 0`)
	p.choose(t, "marker.jpg", uploadtest.Photo(40, 30))
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "succeeded"`)
	marker := eval[string](t, p.ctx, firstRow+`.dataset.uploadId`)
	if keys := originals(t, c); len(keys) != 1 || !strings.Contains(keys[0], marker) {
		t.Errorf("the uploads bucket holds %v; want only the marker %s: the cancelled upload was stored", keys, marker)
	}
}

func TestCloudCancelWhileQueued(t *testing.T) {
	c := cloudtest.Start(t)
	p := openCloud(t, browsertest.NewBrowser(t), c)
	throttle(t, p.ctx, 64<<10)
	var paths []string
	for i := range 4 {
		path := filepath.Join(p.dir, fmt.Sprintf("q%d.jpg", i))
		os.WriteFile(path, noisyJPEG(t, 256<<10), 0o644)
		paths = append(paths, path)
	}
	run(t, p.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), paths))
	const fourth = `document.querySelectorAll(".upload")[3]`
	waitForIn(t, p.ctx, fourth+`?.dataset.state === "queued" && document.querySelectorAll('.upload[data-state="uploading"]').length === 3`)
	run(t, p.ctx, chromedp.Click(chromedp.CSS(`.upload:nth-child(4) .btn-cancel`)))
	waitForIn(t, p.ctx, fourth+`.dataset.state === "cancelled"`)
	if id := eval[string](t, p.ctx, fourth+`.dataset.uploadId ?? ""`); id != "" {
		t.Errorf("a file cancelled in the queue got a grant (%s)", id)
	}
	if eval[bool](t, p.ctx, fourth+`.querySelector(".btn-retry").hidden`) {
		t.Error("a cancelled file offers no Upload again")
	}
	throttle(t, p.ctx, 0)
	waitForIn(t, p.ctx, `document.querySelectorAll('.upload[data-state="succeeded"]').length === 3`)
	if got := eval[string](t, p.ctx, fourth+`.dataset.state`); got != "cancelled" {
		t.Errorf("the cancelled file ended %s", got)
	}
	if keys := originals(t, c); len(keys) != 3 {
		t.Errorf("the uploads bucket holds %d originals, want 3", len(keys))
	}
}

func TestCloudReloadMidUploadLeavesRemovableInterruptedRow(t *testing.T) {
	c := cloudtest.Start(t)
	p := openCloud(t, browsertest.NewBrowser(t), c)
	throttle(t, p.ctx, 64<<10)
	again := filepath.Join(p.dir, "again.jpg")
	os.WriteFile(again, noisyJPEG(t, 1<<20), 0o644)
	p.choose(t, "holiday.jpg", noisyJPEG(t, 1<<20))
	run(t, p.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{again}))
	waitForIn(t, p.ctx, `[...document.querySelectorAll(".upload")].filter(r => r.dataset.state === "uploading").length === 2`)
	prompts := acceptDialogs(t, p.ctx)
	p.navigate(t)
	waitForIn(t, p.ctx, `[...document.querySelectorAll(".upload")].filter(r => r.dataset.state === "interrupted").length === 2`)
	if n := prompts.Load(); n > 1 {
		t.Errorf("%d beforeunload prompts for one reload", n)
	}
	if got := rowText(t, p.ctx); !strings.Contains(got, "interrupted") || !strings.Contains(got, "Choose the file again") {
		t.Errorf("interrupted row says %q", got)
	}
	buttons := eval[[]string](t, p.ctx, firstRow+`.querySelectorAll("button:not([hidden])").values().map(b => b.textContent).toArray()`)
	if strings.Join(buttons, "|") != "Choose the file again holiday.jpg|Remove holiday.jpg" {
		t.Errorf("buttons = %q", buttons)
	}
	if eval[bool](t, p.ctx, firstRow+`.querySelector("progress").checkVisibility()`) {
		t.Error("the interrupted row still shows a progress bar")
	}

	// Remove the first; choose the second's file again, which uploads it.
	run(t, p.ctx, chromedp.Click(chromedp.CSS(".upload .btn-remove")))
	waitForIn(t, p.ctx, `document.querySelectorAll(".upload").length === 1`)
	throttle(t, p.ctx, 0)
	if _, err := chromedp.Call(p.ctx, page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	run(t, p.ctx, chromedp.Click(chromedp.CSS(".upload .btn-refile")), chromedp.SetUploadFiles(chromedp.CSS("#refile-input"), []string{again}))
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "succeeded" && `+firstRow+`.querySelector(".upload-name").textContent === "again.jpg"`)
	p.navigate(t)
	if got := eval[[]string](t, p.ctx, `[...document.querySelectorAll(".upload")].map(r => r.dataset.state)`); strings.Join(got, ",") != "succeeded" {
		t.Errorf("after a reload the rows are %v; the removed row must stay removed", got)
	}
}

// noisyJPEG is a JPEG of about n bytes that does not compress away.
func noisyJPEG(t *testing.T, n int) []byte {
	t.Helper()
	b := jpegBytes(t, 64, 48)
	pad := make([]byte, n)
	for i := range pad {
		pad[i] = byte(i*7919 + i>>8)
	}
	// Bytes after the JPEG's end marker are ignored by decoders.
	return append(b, pad...)
}

func TestCloudSecondTabShowsSameRowsAndLiveProgress(t *testing.T) {
	c := cloudtest.Start(t)
	ctx1 := browsertest.NewBrowser(t)
	p := openCloud(t, ctx1, c)
	q := &cloudPage{c: c, ctx: newTab(t, ctx1)}
	q.navigate(t)
	throttle(t, p.ctx, 128<<10)
	p.choose(t, "shared.jpg", noisyJPEG(t, 1<<20))
	waitForIn(t, q.ctx, firstRow+`?.dataset.state === "uploading" && `+firstRow+`.querySelector("progress").value > 0`)
	first := eval[float64](t, q.ctx, firstRow+`.querySelector("progress").value`)
	waitForIn(t, q.ctx, fmt.Sprintf(`%s.querySelector("progress").value > %v || %s.dataset.phase !== "uploading"`, firstRow, first, firstRow))
	if got := eval[string](t, q.ctx, firstRow+`.querySelector(".upload-name").textContent`); got != "shared.jpg" {
		t.Errorf("second tab's row names %q", got)
	}
	throttle(t, p.ctx, 0)
	waitForIn(t, q.ctx, firstRow+`?.dataset.state === "succeeded" && `+firstRow+`.querySelector(".upload-thumb").naturalWidth > 0`)
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "succeeded"`)
	// Removing in one tab removes in both.
	run(t, q.ctx, chromedp.Click(chromedp.CSS(".upload .btn-remove")))
	waitForIn(t, p.ctx, `document.querySelectorAll(".upload").length === 0`)

	// Cancel in the tab that does not upload: the uploading tab stops.
	throttle(t, p.ctx, 64<<10)
	p.choose(t, "stop.jpg", noisyJPEG(t, 1<<20))
	waitForIn(t, q.ctx, firstRow+`?.dataset.state === "uploading" && !`+firstRow+`.querySelector(".btn-cancel").hidden`)
	run(t, q.ctx, chromedp.Click(chromedp.CSS(".upload .btn-cancel")))
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "cancelled"`)
	waitForIn(t, q.ctx, firstRow+`?.dataset.state === "cancelled"`)
	throttle(t, p.ctx, 0)
	if keys := originals(t, c); len(keys) != 1 {
		t.Errorf("the uploads bucket holds %v; want only shared.jpg's original", keys)
	}
}

func TestCloudBrowserRestartRestoresHistoryAndResubscribes(t *testing.T) {
	// The second upload's first attempt hangs until the task's 25 s timeout
	// (12.5 s on this clock), so the browser closes mid-conversion.
	c := cloudtest.Start(t, func(cfg *cloud.Config) { cfg.Clock = clocktest.NewFastClock(clocktest.TestFactor) })
	profile := t.TempDir()
	ctx, stop := browsertest.NewBrowserAt(t, profile)
	p := openCloud(t, ctx, c)
	p.choose(t, "done.jpg", uploadtest.Photo(400, 300))
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "succeeded"`)
	// A second upload is left mid-conversion: its grant is all the page has.
	if err := c.Lambdas.InjectFault(c.Stack.Function("ConvertFunction").Name, lambda.FaultTimeout); err != nil {
		t.Fatal(err)
	}
	p.choose(t, "later.jpg", uploadtest.Photo(400, 300))
	waitForIn(t, p.ctx, `document.querySelectorAll(".upload")[1]?.dataset.phase === "processing"`)
	stop()

	ctx2, _ := browsertest.NewBrowserAt(t, profile)
	q := openCloud(t, ctx2, c)
	waitForIn(t, q.ctx, `document.querySelectorAll(".upload").length === 2`)
	names := eval[[]string](t, q.ctx, `[...document.querySelectorAll(".upload-name")].map(n => n.textContent)`)
	if strings.Join(names, ",") != "done.jpg,later.jpg" {
		t.Errorf("restored rows = %v", names)
	}
	waitForIn(t, q.ctx, `[...document.querySelectorAll(".upload")].every(r => r.dataset.state === "succeeded")`)
	waitForIn(t, q.ctx, `[...document.querySelectorAll(".upload-thumb")].every(i => i.complete && i.naturalWidth > 0)`)
}

func TestCloudExpiredLinksAreRefreshed(t *testing.T) {
	c := cloudtest.Start(t)
	p := openCloud(t, browsertest.NewBrowser(t), c)
	p.choose(t, "old.jpg", uploadtest.Photo(400, 300))
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "succeeded" && `+firstRow+`.querySelector(".upload-thumb").naturalWidth === 320`)
	// An hour later: the kept links have expired (and no longer work).
	eval[chromedp.Void](t, p.ctx, `(() => {
		const h = JSON.parse(localStorage.getItem("thumbflow.history.v1"));
		for (const e of h) {
			e.links.expiresAt = new Date(Date.now() - 60000).toISOString();
			for (const k of Object.keys(e.links.renditions)) e.links.renditions[k] = e.links.renditions[k].replace(/X-Amz-Signature=[0-9a-f]+/, "X-Amz-Signature=00");
		}
		localStorage.setItem("thumbflow.history.v1", JSON.stringify(h));
	})()`)
	p.navigate(t)
	waitForIn(t, p.ctx, firstRow+`?.querySelector(".upload-thumb")?.complete && `+firstRow+`.querySelector(".upload-thumb").naturalWidth === 320`)
	href := eval[string](t, p.ctx, `document.querySelector('a.download[data-rendition="preview"]').href`)
	res, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), `filename="old-preview.jpg"`) {
		t.Errorf("refreshed link: HTTP %d, Content-Disposition %q", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	var h []struct {
		Links struct {
			ExpiresAt time.Time `json:"expiresAt"`
		} `json:"links"`
	}
	json.Unmarshal([]byte(eval[string](t, p.ctx, `localStorage.getItem("thumbflow.history.v1")`)), &h)
	if len(h) != 1 || !h[0].Links.ExpiresAt.After(time.Now()) {
		t.Errorf("the history keeps %+v; want the fresh links", h)
	}
}
