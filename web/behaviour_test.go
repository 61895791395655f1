package web_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"thumbflow/web"
)

func TestIndicatorSaysReconnectingWhenTheServerStops(t *testing.T) {
	e := openPage(t, func(c *web.Config) { c.HeartbeatSeconds = 1 })
	e.waitFor(t, `document.querySelector("#connection").dataset.connection === "open"`)
	// The server hangs: it keeps the socket open and answers nothing, and
	// takes no new connections. Nothing the user does is needed to notice.
	e.cloud.set(func(f *fakeCloud) { f.mute = true })
	e.cloud.srv.Listener.Close()
	e.waitFor(t, `document.querySelector("#connection").dataset.connection === "reconnecting"`)
	if got := eval[string](t, e.ctx, `document.querySelector("#connection").textContent.trim()`); got != "Reconnecting…" {
		t.Errorf("indicator says %q", got)
	}
	if n := len(e.cloud.actions("ping")); n == 0 {
		t.Error("no ping reached the server")
	}
}

// TestBatchAnnouncements: a 16-file batch is announced as what a screen
// reader user can follow: every refusal, every failure, and a summary at
// most every 2 s, never a message per progress step.
func TestBatchAnnouncements(t *testing.T) {
	e := openRealPage(t)
	var paths []string
	for i := range 12 {
		paths = append(paths, e.file(t, fmt.Sprintf("photo-%02d.jpg", i), jpegBytes(t, 40+i, 30)))
	}
	paths = append(paths, e.file(t, "diary.jpg", []byte("not a photo at all\n")))
	for _, n := range []string{"a.txt", "b.pdf", "c.svg"} {
		paths = append(paths, e.file(t, n, []byte("x")))
	}
	e.choose(t, paths...)
	e.waitFor(t, `window.seen.spoken.includes("12 of 16 done, 4 failed")`)
	spoken := eval[[]string](t, e.ctx, `window.seen.spoken`)
	at := eval[[]float64](t, e.ctx, `window.seen.spokenAt`)

	summary := regexp.MustCompile(`^\d+ of 16 done`)
	var last float64 = -1e9
	perFile := 0
	for i, s := range spoken {
		if summary.MatchString(s) {
			// The page's timer never fires early, but the observer that
			// timestamps a message runs after it was added, by up to a long
			// task on a loaded machine: hence the margin. Without the
			// throttle, summaries come milliseconds apart.
			if at[i]-last < 1800 {
				t.Errorf("summary %q came %.0f ms after the previous one", s, at[i]-last)
			}
			last = at[i]
			continue
		}
		perFile++
	}
	if perFile != 4 {
		t.Errorf("%d per-file messages, want the 3 refusals and the 1 failure:\n%s", perFile, strings.Join(spoken, "\n"))
	}
	for _, name := range []string{"a.txt", "b.pdf", "c.svg", "diary.jpg"} {
		if !slices.ContainsFunc(spoken, func(s string) bool { return strings.HasPrefix(s, name+" ") }) {
			t.Errorf("nothing announced about %s:\n%s", name, strings.Join(spoken, "\n"))
		}
	}
	// The types accepted are the stack's (HEIC and AVIF when the converter
	// reads them), so only the start of the sentence is fixed here;
	// TestFileChecks has the whole sentences.
	if !slices.ContainsFunc(spoken, func(s string) bool {
		return strings.HasPrefix(s, "c.svg not uploaded: c.svg is an SVG drawing, which cannot be converted here. Choose a")
	}) {
		t.Errorf("the SVG refusal is not in plain words:\n%s", strings.Join(spoken, "\n"))
	}
	// The total line says the same.
	if got := eval[string](t, e.ctx, `document.querySelector("#total .total-text").textContent`); got != "12 of 16 done, 4 failed" {
		t.Errorf("total line = %q", got)
	}
}

func TestPasteAnImage(t *testing.T) {
	e := openRealPage(t)
	eval[chromedp.Void](t, e.ctx, `(async () => {
		const c = new OffscreenCanvas(50, 40);
		c.getContext("2d").fillRect(0, 0, 50, 40);
		const dt = new DataTransfer();
		dt.items.add(new File([await c.convertToBlob({ type: "image/png" })], "image.png", { type: "image/png" }));
		document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
	})()`)
	e.waitFor(t, row+`?.dataset.state === "succeeded" && `+row+`.querySelector(".upload-thumb").naturalWidth === 50`)
	if name := eval[string](t, e.ctx, row+`.querySelector(".upload-name").textContent`); !regexp.MustCompile(`^pasted-[0-9-]+\.png$`).MatchString(name) {
		t.Errorf("pasted image named %q", name)
	}
}

// TestDroppedFolderGivesItsImages runs the page's own drop reader
// (static/js/pick.js) on a folder as Chromium delivers one: entries read
// in chunks, a subfolder, and files that are not images.
func TestDroppedFolderGivesItsImages(t *testing.T) {
	e := openRealPage(t)
	got, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](`import("./js/pick.js").then(async ({ droppedFiles }) => {
		const file = (name, type) => ({ isFile: true, isDirectory: false, name, file: (ok) => ok(new File(["x"], name, { type })) });
		const dir = (name, chunks) => ({ isFile: false, isDirectory: true, name, createReader: () => {
			let i = 0;
			return { readEntries: (ok) => ok(chunks[i++] || []) };
		} });
		const photos = dir("photos", [
			[file("a.jpg", "image/jpeg"), file(".DS_Store", ""), file("notes.txt", "text/plain")],
			[dir("trip", [[file("b.png", "image/png"), file("c.HEIC", "")]])],
		]);
		const dt = { items: [{ kind: "file", webkitGetAsEntry: () => photos }], files: [] };
		return (await droppedFiles(dt)).map((f) => f.name);
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.jpg", "b.png", "c.HEIC"}; !slices.Equal(got, want) {
		t.Errorf("files from the folder = %q, want %q", got, want)
	}
}

func TestPreviewUntilTheThumbnailArrives(t *testing.T) {
	e := openPage(t, nil)
	release := e.cloud.holdConversions()
	e.choose(t, e.file(t, "cat.jpg", jpegBytes(t, 80, 60)), e.file(t, "iphone.heic", []byte("x")))
	e.waitFor(t, row+`?.dataset.state === "converting"`)
	e.waitFor(t, row+`.querySelector(".upload-preview").complete && `+row+`.querySelector(".upload-preview").naturalWidth === 80`)
	if src := eval[string](t, e.ctx, row+`.querySelector(".upload-preview").src`); !strings.HasPrefix(src, "blob:") {
		t.Errorf("preview src = %q, want the local file's object URL", src)
	}
	heic := `document.querySelectorAll(".upload")[1]`
	if got := eval[string](t, e.ctx, heic+`.querySelector(".upload-placeholder").textContent`); got != "HEIC" {
		t.Errorf("HEIC placeholder says %q", got)
	}
	release()
	e.waitFor(t, row+`.dataset.state === "succeeded" && `+row+`.querySelector(".upload-thumb").naturalWidth === 80`)
	if eval[bool](t, e.ctx, row+`.querySelector(".upload-media").checkVisibility()`) {
		t.Error("the preview stays beside the thumbnail")
	}
}

func TestRemoveMovesFocusToTheNextRow(t *testing.T) {
	e := openRealPage(t)
	e.choose(t, e.file(t, "one.jpg", jpegBytes(t, 30, 30)), e.file(t, "two.jpg", jpegBytes(t, 30, 30)))
	e.waitFor(t, `[...document.querySelectorAll(".upload")].every(r => r.dataset.state === "succeeded")`)
	// Focus order follows the list: every control of row 1 before row 2's.
	order := eval[[]string](t, e.ctx, `[...document.querySelectorAll("#uploads a, #uploads button:not([hidden])")].map(el => el.closest(".upload").querySelector(".upload-name").textContent)`)
	if !slices.IsSorted(order) || len(order) < 4 {
		t.Errorf("focusable controls by row: %q", order)
	}
	e.do(t, chromedp.Focus(chromedp.CSS(".upload .btn-remove")), chromedp.KeyEvent("\r"))
	e.waitFor(t, `document.querySelectorAll(".upload").length === 1`)
	if got := eval[string](t, e.ctx, `document.activeElement.closest(".upload")?.querySelector(".upload-name").textContent ?? document.activeElement.id`); got != "two.jpg" {
		t.Errorf("after remove the focus is on %q, want the next row", got)
	}
	e.do(t, chromedp.Reload())
	e.waitFor(t, `document.documentElement.dataset.ready === "true"`)
	if got := eval[[]string](t, e.ctx, `[...document.querySelectorAll(".upload-name")].map(n => n.textContent)`); !slices.Equal(got, []string{"two.jpg"}) {
		t.Errorf("after a reload the rows are %q", got)
	}
}

// TestHistoryAgesOut runs the page's history (static/js/history.js) on a
// storage of its own and a clock the test moves: a row goes when its
// token expires, a refused row after a day.
func TestHistoryAgesOut(t *testing.T) {
	e := openRealPage(t)
	got, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](`import("./js/history.js").then(({ History, REFUSED_TTL_MS }) => {
		const store = new Map();
		const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
		let now = 1e12;
		const h = new History("tab", { storage, now: () => now });
		h.put({ key: "granted", createdAt: 1, expiresAt: now + 3600e3, token: "t" });
		h.put({ key: "refused", createdAt: 2, expiresAt: now + REFUSED_TTL_MS });
		const seen = [];
		now += 3600e3;
		h.prune();
		seen.push(h.all().map((e) => e.key).join(","));
		now += REFUSED_TTL_MS;
		h.prune();
		seen.push(h.all().map((e) => e.key).join(",") || "none");
		seen.push(new History("tab2", { storage, now: () => now }).all().length + " kept");
		return seen;
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"refused", "none", "0 kept"}; !slices.Equal(got, want) {
		t.Errorf("history after the token's and a day's expiry: %q, want %q", got, want)
	}
}
