package web_test

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"thumbflow/internal/browsertest"
	"thumbflow/internal/cloudtest"
	"thumbflow/local/cloud"
	"thumbflow/web"
)

var testTypes = []string{"image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff", "image/webp"}

func testConfig(wsURL string) web.Config {
	return web.Config{
		WebsocketURL: wsURL,
		MaxBytes:     25 << 20,
		Types:        testTypes,
		Renditions:   []web.Rendition{{Name: "thumb", Width: 320, Height: 320}, {Name: "preview", Width: 1024, Height: 1024}},
		// The fake cloud serves its S3 (POST, renditions) next to its
		// WebSocket; the page's CSP must allow it as it allows S3.
		S3Origins: []string{"http" + strings.TrimPrefix(wsURL, "ws")},
	}
}

func TestConfigJSON(t *testing.T) {
	srv := httptest.NewServer(web.Handler(testConfig("ws://127.0.0.1:4566/ws")))
	defer srv.Close()

	res, err := http.Get(srv.URL + "/config.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("config.json Cache-Control = %q, want no-store", got)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("config.json Content-Type = %q", got)
	}
	var got map[string]any
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	// The field names are the contract of docs/protocol.md.
	if got["websocketUrl"] != "ws://127.0.0.1:4566/ws" || got["maxBytes"] != float64(25<<20) {
		t.Errorf("config.json = %v", got)
	}
	if types, _ := got["types"].([]any); len(types) != len(testTypes) || types[0] != "image/jpeg" {
		t.Errorf("types = %v", got["types"])
	}
	rends, _ := got["renditions"].([]any)
	if len(rends) != 2 {
		t.Fatalf("renditions = %v", got["renditions"])
	}
	if r := rends[0].(map[string]any); r["name"] != "thumb" || r["width"] != float64(320) || r["height"] != float64(320) {
		t.Errorf("renditions[0] = %v", r)
	}
}

func TestStaticFiles(t *testing.T) {
	srv := httptest.NewServer(web.Handler(web.Config{WebsocketURL: "ws://x/ws"}))
	defer srv.Close()
	for _, tc := range []struct {
		path, wantType, wantBody string
		wantStatus               int
	}{
		{"/", "text/html", `<script type="module" src="js/main.js">`, 200},
		{"/style.css", "text/css", ".upload", 200},
		{"/nope.html", "", "", 404},
	} {
		res, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.wantStatus {
			t.Errorf("GET %s: %d, want %d", tc.path, res.StatusCode, tc.wantStatus)
			continue
		}
		if tc.wantStatus != 200 {
			continue
		}
		// ES modules load only with a JavaScript MIME type.
		if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, tc.wantType) {
			t.Errorf("GET %s: Content-Type %q, want %s", tc.path, ct, tc.wantType)
		}
		if !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("GET %s: body lacks %q", tc.path, tc.wantBody)
		}
	}
}

// TestPageModulesLoad follows the page's module graph as a browser does,
// from index.html's script tag through every static import: each module is
// served with a JavaScript type (ES modules load with no other) and is the
// file in static/, byte for byte. A module that is missing, renamed or
// served stale breaks the page and fails here.
func TestPageModulesLoad(t *testing.T) {
	srv := httptest.NewServer(web.Handler(web.Config{WebsocketURL: "ws://x/ws"}))
	defer srv.Close()
	get := func(path string) (string, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		return string(b), res.Header.Get("Content-Type")
	}
	index, _ := get("/")
	scripts := regexp.MustCompile(`<script type="module" src="(js/[\w./-]+\.js)">`).FindAllStringSubmatch(index, -1)
	if len(scripts) == 0 {
		t.Fatal("index.html loads no module")
	}
	imports := regexp.MustCompile(`(?m)^\s*import\s[^;]*?from\s+"\./([\w.-]+\.js)"|^\s*import\s+"\./([\w.-]+\.js)"`)
	queue := []string{}
	for _, m := range scripts {
		queue = append(queue, "/"+m[1])
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		body, ct := get(path)
		if !strings.Contains(ct, "javascript") {
			t.Errorf("GET %s: Content-Type %q; a browser refuses to run it as a module", path, ct)
		}
		want, err := os.ReadFile(filepath.Join("static", filepath.FromSlash(path)))
		if err != nil || body != string(want) {
			t.Errorf("GET %s is not static%s (%v)", path, path, err)
		}
		for _, m := range imports.FindAllStringSubmatch(body, -1) {
			dep := m[1] + m[2]
			queue = append(queue, "/js/"+dep)
		}
	}
	if !seen["/js/connection.js"] || len(seen) < 5 {
		t.Errorf("the module graph reached only %v", slices.Sorted(maps.Keys(seen)))
	}
}

// pageEnv is the page open in a browser, served by the real local cloud
// (openRealPage) or, where a test needs what only the fake can do on cue,
// against the fake cloud (openPage; see fake_test.go).
type pageEnv struct {
	cloud *fakeCloud   // nil on the real local cloud
	real  *cloud.Cloud // nil on the fake
	url   string       // of the page
	ctx   context.Context
	dir   string
}

// openPage starts the fake cloud, serves the page and opens it in a browser.
func openPage(t *testing.T, cfg func(*web.Config)) *pageEnv {
	t.Helper()
	ctx := browsertest.NewBrowser(t)
	fake := newFakeCloud(t)
	c := testConfig(fake.wsURL())
	if cfg != nil {
		cfg(&c)
	}
	site := httptest.NewServer(web.Handler(c))
	t.Cleanup(site.Close)
	return openAt(t, &pageEnv{cloud: fake, url: site.URL, ctx: ctx, dir: t.TempDir()})
}

// openRealPage starts the real local cloud (internal/cloudtest) and opens
// the page it serves, as `thumbflow dev` serves it.
func openRealPage(t *testing.T) *pageEnv {
	t.Helper()
	c := cloudtest.Start(t)
	return openAt(t, &pageEnv{real: c, url: c.WebURL, ctx: browsertest.NewBrowser(t), dir: t.TempDir()})
}

func openAt(t *testing.T, env *pageEnv) *pageEnv {
	t.Helper()
	env.do(t, chromedp.Navigate(env.url))
	env.waitFor(t, `document.documentElement.dataset.ready === "true"`)
	env.record(t)
	return env
}

func (e *pageEnv) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition; on timeout it reports the rows.
func waitForIn(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(pctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		rows := eval[string](t, ctx, `[...document.querySelectorAll(".upload")].map(r => r.dataset.state + " | " + r.querySelector(".upload-status").textContent).join("\n")`)
		t.Fatalf("waiting for %s: %v\nrows:\n%s", cond, err, rows)
	}
}

func (e *pageEnv) waitFor(t *testing.T, cond string) { t.Helper(); waitForIn(t, e.ctx, cond) }

// record keeps, in the page, every state a row shows, every progress value
// and every announcement, so a test can check the sequence a user saw
// rather than only the end.
func (e *pageEnv) record(t *testing.T) {
	t.Helper()
	recordIn(t, e.ctx)
}

func recordIn(t *testing.T, ctx context.Context) {
	eval[chromedp.Void](t, ctx, `(() => {
		window.seen = { states: [], progress: [], spoken: [], spokenAt: [] };
		new MutationObserver((muts) => {
			for (const m of muts) {
				const el = m.target;
				if (m.type === "attributes" && m.attributeName === "data-state") {
					if (window.seen.states.at(-1) !== el.dataset.state) window.seen.states.push(el.dataset.state);
				} else if (m.type === "attributes" && el.tagName === "PROGRESS" && el.hasAttribute("value")) {
					window.seen.progress.push(Number(el.getAttribute("value")));
				}
			}
		}).observe(document.querySelector("#uploads"), { subtree: true, attributes: true, attributeFilter: ["data-state", "value"] });
		new MutationObserver((muts) => {
			for (const m of muts) for (const n of m.addedNodes) {
				window.seen.spoken.push(n.textContent);
				window.seen.spokenAt.push(performance.now());
			}
		}).observe(document.querySelector("#announcer"), { childList: true });
	})()`)
}

func (e *pageEnv) file(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *pageEnv) choose(t *testing.T, paths ...string) {
	t.Helper()
	e.do(t, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), paths))
}

func jpegBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xff), 255})
		}
	}
	var b strings.Builder
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

const row = `document.querySelector(".upload")`

func TestUploadShowsProgressThenThumbnail(t *testing.T) {
	e := openPage(t, nil)
	release := e.cloud.holdConversions()
	img := jpegBytes(t, 1000, 750)
	e.choose(t, e.file(t, "holiday.jpg", img))

	// Held in converting: the upload itself is complete and shown as such.
	e.waitFor(t, row+`?.dataset.state === "converting"`)
	if got := eval[string](t, e.ctx, row+`.querySelector(".upload-percent").textContent`); got != "100%" {
		t.Errorf("progress label while converting = %q, want 100%%", got)
	}
	if got := eval[float64](t, e.ctx, row+`.querySelector("progress").value`); got != 100 {
		t.Errorf("progress value while converting = %v, want 100", got)
	}
	if got := eval[string](t, e.ctx, row+`.querySelector(".upload-status").textContent`); got != "processing: converting" {
		t.Errorf("status line = %q, want processing: converting", got)
	}
	release()
	e.waitFor(t, row+`.dataset.state === "succeeded" && `+row+`.querySelector(".upload-thumb").complete && `+row+`.querySelector(".upload-thumb").naturalWidth > 0`)

	if got := eval[string](t, e.ctx, row+`.querySelector(".upload-status").textContent`); got != "done" {
		t.Errorf("status line = %q, want done", got)
	}
	states := eval[[]string](t, e.ctx, `window.seen.states`)
	if want := []string{"uploading", "converting", "succeeded"}; !isSubsequence(want, states) {
		t.Errorf("states seen = %v, want them to pass through %v in order", states, want)
	}
	progress := eval[[]float64](t, e.ctx, `window.seen.progress`)
	if len(progress) < 2 || progress[0] != 0 || progress[len(progress)-1] != 100 || !slices.IsSorted(progress) {
		t.Errorf("progress values = %v, want rising from 0 to 100", progress)
	}
	spoken := eval[[]string](t, e.ctx, `window.seen.spoken`)
	if want := []string{"holiday.jpg: uploading", "holiday.jpg: processing", "holiday.jpg: done"}; !slices.Equal(spoken, want) {
		t.Errorf("live region said %q, want %q: one message per state a user lives", spoken, want)
	}

	// The thumbnail is the 320 px rendition of a 1000×750 image, drawn at its size.
	type size struct{ NW, NH, W, H int }
	got := eval[size](t, e.ctx, `(() => { const i = `+row+`.querySelector(".upload-thumb");
		return {NW: i.naturalWidth, NH: i.naturalHeight, W: i.clientWidth, H: i.clientHeight}; })()`)
	if got != (size{320, 240, 320, 240}) {
		t.Errorf("thumbnail natural/rendered size = %+v, want 320×240 both", got)
	}
	links := eval[[]string](t, e.ctx, `[...`+row+`.querySelectorAll(".upload-downloads a")].map(a => a.dataset.rendition + " " + a.href)`)
	if len(links) != 2 || !strings.HasPrefix(links[0], "thumb "+e.cloud.srv.URL+"/renditions/") || !strings.HasPrefix(links[1], "preview "+e.cloud.srv.URL+"/renditions/") {
		t.Errorf("download links = %q", links)
	}

	// What reached S3: the grant's fields first, the file last, the declared type and size.
	posts := e.cloud.postsSeen()
	if len(posts) != 1 {
		t.Fatalf("S3 saw %d posts, want 1", len(posts))
	}
	p := posts[0]
	if len(p.fieldsAfterFile) != 0 || !slices.Contains(p.fieldsBeforeFile, "policy") || !slices.Contains(p.fieldsBeforeFile, "key") {
		t.Errorf("form fields before file %v, after %v", p.fieldsBeforeFile, p.fieldsAfterFile)
	}
	if p.contentType != "image/jpeg" || p.fileBytes != len(img) {
		t.Errorf("posted Content-Type %q and %d bytes, want image/jpeg and %d", p.contentType, p.fileBytes, len(img))
	}
	ups := e.cloud.actions("upload")
	if len(ups) != 1 || ups[0].msg["name"] != "holiday.jpg" || ups[0].msg["type"] != "image/jpeg" || ups[0].msg["size"] != float64(len(img)) {
		t.Errorf("upload requests = %v", ups)
	}

	if out := os.Getenv("THUMBFLOW_SCREENSHOT"); out != "" {
		e.choose(t, e.file(t, "notes.txt", []byte("hello")))
		e.waitFor(t, `document.querySelectorAll(".upload").length === 2`)
		shot, err := chromedp.Run(e.ctx, chromedp.FullScreenshot(90))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(out, shot, 0o644)
	}
}

func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestCorruptImageShowsReason(t *testing.T) {
	e := openRealPage(t)
	e.choose(t, e.file(t, "photo.jpg", []byte("this is only text, not a photo\n")))
	e.waitFor(t, row+`?.dataset.state === "failed"`)
	got := eval[string](t, e.ctx, row+`.querySelector(".upload-status").textContent`)
	want := "failed: The file is not a valid image: it does not start like any image format. Check that you chose the right file."
	if got != want {
		t.Errorf("status line = %q, want %q", got, want)
	}
	if hidden := eval[bool](t, e.ctx, row+`.querySelector(".upload-result").hidden`); !hidden {
		t.Error("a failed upload shows a result box")
	}
}

func TestReloadMidConversionResumes(t *testing.T) {
	e := openPage(t, nil)
	release := e.cloud.holdConversions()
	e.choose(t, e.file(t, "cat.jpg", jpegBytes(t, 400, 300)))
	e.waitFor(t, row+`?.dataset.state === "converting"`)
	id := eval[string](t, e.ctx, row+`.dataset.uploadId`)

	e.do(t, chromedp.Reload())
	e.waitFor(t, `document.documentElement.dataset.ready === "true"`)
	e.waitFor(t, row+`?.dataset.state === "converting"`)
	if got := eval[string](t, e.ctx, row+`.dataset.uploadId`); got != id {
		t.Errorf("after reload the row watches %q, want %q", got, id)
	}
	if got := eval[string](t, e.ctx, row+`.querySelector(".upload-name").textContent`); got != "cat.jpg" {
		t.Errorf("after reload the row is named %q", got)
	}
	subs := e.cloud.actions("subscribe")
	if len(subs) == 0 || subs[len(subs)-1].msg["uploadId"] != id || subs[len(subs)-1].msg["token"] != "tok-"+id {
		t.Fatalf("after reload the page sent subscribes %v", subs)
	}

	release()
	e.waitFor(t, row+`.dataset.state === "succeeded" && `+row+`.querySelector(".upload-thumb").naturalWidth === 320`)
	if n := eval[int](t, e.ctx, `document.querySelectorAll(".upload").length`); n != 1 {
		t.Errorf("after reload there are %d rows, want 1", n)
	}
}

func TestRejectsBeforeContactingServer(t *testing.T) {
	e := openPage(t, func(c *web.Config) { c.MaxBytes = 1024 })
	e.choose(t,
		e.file(t, "huge.png", make([]byte, 2500)),
		e.file(t, "notes.txt", []byte("plain text")),
		e.file(t, "empty.gif", nil),
	)
	e.waitFor(t, `document.querySelectorAll('.upload[data-state="rejected"]').length === 3`)
	got := eval[[]string](t, e.ctx, `[...document.querySelectorAll(".upload .upload-status")].map(s => s.textContent)`)
	want := []string{
		"not uploaded: The file is 2.4 KB; the limit is 1 KB. Choose a smaller image.",
		"not uploaded: notes.txt is not an image that can be converted here. Choose a JPEG, PNG, GIF, BMP, TIFF or WebP image.",
		"not uploaded: empty.gif is empty. Choose an image with something in it.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("status lines =\n%q\nwant\n%q", got, want)
	}
	// Each refusal is its own announcement, not one overwriting another.
	spoken := eval[[]string](t, e.ctx, `window.seen.spoken`)
	wantSpoken := []string{"huge.png " + want[0], "notes.txt " + want[1], "empty.gif " + want[2]}
	if !slices.Equal(spoken, wantSpoken) {
		t.Errorf("announced\n%q\nwant\n%q", spoken, wantSpoken)
	}
	// Refused rows are history too: they survive a reload.
	e.do(t, chromedp.Reload())
	e.waitFor(t, `document.documentElement.dataset.ready === "true" && document.querySelectorAll('.upload[data-state="rejected"]').length === 3`)
	// A marker: a file the page does upload, chosen after the refusals and
	// the reload. Its grant request and POST come after any a wrongly
	// handled refusal would have made (requests share one socket), so once
	// it is done, whatever else was sent has arrived.
	e.choose(t, e.file(t, "marker.jpg", jpegBytes(t, 20, 20)))
	e.waitFor(t, `document.querySelector('.upload[data-state="succeeded"]') !== null`)
	if ups := e.cloud.actions("upload"); len(ups) != 1 || ups[0].msg["name"] != "marker.jpg" {
		t.Errorf("grant requests = %v, want only the marker's: the page asked for grants for refused files", ups)
	}
	if posts := e.cloud.postsSeen(); len(posts) != 1 {
		t.Errorf("S3 saw %d posts, want only the marker's: the page posted refused files", len(posts))
	}
}

func TestKeyboardOpensFilePicker(t *testing.T) {
	e := openRealPage(t)
	if _, err := chromedp.Call(e.ctx, page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"\r", " "} {
		ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
		choosers := chromedp.Events(ctx, page.FileChooserOpened) // subscribed before the key press
		e.do(t, chromedp.Focus(chromedp.CSS("#drop")), chromedp.KeyEvent(key))
		opened := false
		for _, err := range choosers {
			opened = err == nil
			break
		}
		cancel()
		if !opened {
			t.Errorf("key %q on the drop zone did not open the file picker", key)
		}
	}
}

func TestUploadAgainAfterAFailure(t *testing.T) {
	e := openPage(t, nil)
	e.cloud.set(func(f *fakeCloud) { f.refuse = "EntityTooSmall" })
	img := jpegBytes(t, 20, 20)
	e.choose(t, e.file(t, "small.jpg", img))
	e.waitFor(t, row+`?.dataset.state === "failed"`)
	if got := eval[string](t, e.ctx, row+`.querySelector(".upload-status").textContent`); got != "failed: The storage service refused the upload: the file is smaller than declared." {
		t.Errorf("status line = %q", got)
	}
	e.cloud.set(func(f *fakeCloud) { f.refuse = "" })
	if got := eval[string](t, e.ctx, row+`.querySelector(".btn-retry:not([hidden])")?.textContent`); got != "Upload again small.jpg" {
		t.Fatalf("retry button = %q", got)
	}
	e.do(t, chromedp.Click(chromedp.CSS(".upload .btn-retry")))
	e.waitFor(t, row+`.dataset.state === "succeeded" && `+row+`.querySelector(".upload-thumb").naturalWidth === 20`)
	if n := eval[int](t, e.ctx, `document.querySelectorAll(".upload").length`); n != 1 {
		t.Errorf("%d rows after upload again, want the same one", n)
	}
	ups := e.cloud.actions("upload")
	if len(ups) != 2 || ups[1].msg["name"] != "small.jpg" || ups[1].msg["size"] != float64(len(img)) {
		t.Errorf("upload requests = %v, want a second grant for the same file", ups)
	}
	if posts := e.cloud.postsSeen(); len(posts) != 2 || posts[1].fileBytes != len(img) {
		t.Errorf("S3 saw %d posts, want 2 of the same file", len(posts))
	}
	// "Clear finished" removes it and gives focus back to the drop zone.
	e.do(t, chromedp.Click(chromedp.CSS("#clear")))
	e.waitFor(t, `document.querySelectorAll(".upload").length === 0 && document.activeElement.id === "drop"`)
}

func TestForgedWatchLinkShowsError(t *testing.T) {
	e := openRealPage(t)
	e.do(t, chromedp.Navigate(e.url+"/#watch=0123456789abcdef0123456789abcdef&token=forged&name=x.jpg"))
	e.waitFor(t, row+`?.dataset.state === "failed"`)
	if got := eval[string](t, e.ctx, row+`.querySelector(".upload-status").textContent`); got != "failed: The token is not valid for this upload." {
		t.Errorf("status line = %q", got)
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	e := openRealPage(t)
	type bounds struct{ Lo, Hi []int }
	got, err := chromedp.Run(e.ctx, chromedp.Evaluate[bounds](`import("./js/connection.js").then(({ backoffDelay }) => {
		const lo = [], hi = [];
		for (let n = 0; n < 10; n++) {
			lo.push(backoffDelay(n, { random: () => 0 }));
			hi.push(backoffDelay(n, { random: () => 0.999999 }));
		}
		return { Lo: lo, Hi: hi };
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	wantHi := []int{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000}
	for n := range wantHi {
		if got.Hi[n] != wantHi[n] || got.Lo[n] != wantHi[n]/2 {
			t.Errorf("attempt %d: delay between %d and %d ms, want %d to %d", n, got.Lo[n], got.Hi[n], wantHi[n]/2, wantHi[n])
		}
	}
}

func TestDropSeveralImages(t *testing.T) {
	e := openRealPage(t)
	// A drop with two images made in the page, as a file manager would deliver them.
	_, err := chromedp.Run(e.ctx, chromedp.Evaluate[chromedp.Void](`(async () => {
		const dt = new DataTransfer();
		for (const [name, w, h] of [["red.png", 64, 48], ["blue.png", 30, 90]]) {
			const c = new OffscreenCanvas(w, h);
			const g = c.getContext("2d");
			g.fillStyle = name.startsWith("red") ? "#c00" : "#00c";
			g.fillRect(0, 0, w, h);
			const blob = await c.convertToBlob({ type: "image/png" });
			dt.items.add(new File([blob], name, { type: "image/png" }));
		}
		const zone = document.querySelector("#drop");
		zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
		zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, `[...document.querySelectorAll(".upload")].filter(r => r.dataset.state === "succeeded" && r.querySelector(".upload-thumb").naturalWidth > 0).length === 2`)
	type thumb struct {
		Name string
		W, H int
	}
	got := eval[[]thumb](t, e.ctx, `[...document.querySelectorAll(".upload")].map(r => ({Name: r.querySelector(".upload-name").textContent,
		W: r.querySelector(".upload-thumb").naturalWidth, H: r.querySelector(".upload-thumb").naturalHeight}))`)
	if want := []thumb{{"red.png", 64, 48}, {"blue.png", 30, 90}}; !slices.Equal(got, want) {
		t.Errorf("rows after the drop = %+v, want %+v", got, want)
	}
	if keys := originals(t, e.real); len(keys) != 2 {
		t.Errorf("the uploads bucket holds %v, want the 2 dropped images", keys)
	}
}

// TestFileChecks runs the page's own checks (static/js/files.js) on the
// cases a user meets, through the module the page loads.
func TestFileChecks(t *testing.T) {
	e := openRealPage(t)
	got, err := chromedp.Run(e.ctx, chromedp.Evaluate[map[string]string](`import("./js/files.js").then((f) => {
		const cfg = { maxBytes: 25 * 1024 * 1024, types: ["image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff", "image/webp"] };
		const file = (name, type, size) => ({ name, type, size });
		const check = (x) => { const p = f.checkFile(x, cfg); return p ? p.code + ": " + p.message : "ok"; };
		return {
			typed: f.declaredType(file("a.png", "image/png", 1)),
			noType: f.declaredType(file("IMG_1.JPEG", "", 1)),
			tiff: f.declaredType(file("scan.tif", "", 1)),
			unknown: f.declaredType(file("README", "", 1)),
			heic: check(file("p.heic", "image/heic", 10)),
			big: check(file("big.jpg", "image/jpeg", 32715571)),
			limit: check(file("exact.jpg", "image/jpeg", 25 * 1024 * 1024)),
			empty: check(file("e.webp", "", 0)),
			okNoType: check(file("x.webp", "", 5)),
			// The stack's list when the converter reads HEIC and AVIF: two
			// MIME types are one HEIC, and AVIF takes "an".
			withHEIC: ((p) => p.message)(f.checkFile(file("a.txt", "text/plain", 1), { maxBytes: 1, types: ["image/avif", "image/bmp", "image/heic", "image/heif", "image/jpeg"] })),
			shortName: f.requestName("holiday.jpg"),
			longName: String(new TextEncoder().encode(f.requestName("é".repeat(200))).length),
			emptyName: f.requestName(""),
		};
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"typed":     "image/png",
		"noType":    "image/jpeg",
		"tiff":      "image/tiff",
		"unknown":   "",
		"heic":      "UnsupportedFormat: p.heic is a HEIC photo (the iPhone's default format), which cannot be converted here. Export it as JPEG (on an iPhone: Settings, Camera, Formats, Most Compatible) or choose a JPEG, PNG, GIF, BMP, TIFF or WebP image.",
		"big":       "FileTooLarge: The file is 31.2 MB; the limit is 25 MB. Choose a smaller image.",
		"limit":     "ok",
		"empty":     "EmptyFile: e.webp is empty. Choose an image with something in it.",
		"okNoType":  "ok",
		"withHEIC":  "a.txt is not an image that can be converted here. Choose an AVIF, BMP, HEIC or JPEG image.",
		"shortName": "holiday.jpg",
		"longName":  "254", // 127 two-byte characters: never half a character
		"emptyName": "image",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
}
