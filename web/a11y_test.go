package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"thumbflow/internal/browsertest"
)

// TestAxeFindsNoViolations runs axe-core (WCAG 2.2 AA and best practices)
// on the upload page empty, mid-batch and finished, in light and dark, at
// a desktop and a phone width.
func TestAxeFindsNoViolations(t *testing.T) {
	e := openPage(t, nil)
	check := func(stage string) {
		t.Helper()
		for _, scheme := range []string{"light", "dark"} {
			for _, width := range []int64{1280, 375} {
				if _, err := chromedp.Call(e.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
				}); err != nil {
					t.Fatal(err)
				}
				e.do(t, chromedp.EmulateViewport(width, 900))
				// Colours change with a transition; axe must see where they end.
				if _, err := chromedp.Run(e.ctx, chromedp.Evaluate[chromedp.Void](`Promise.all(document.getAnimations().map((a) => a.finished)).then(() => new Promise(requestAnimationFrame))`, chromedp.EvalAwaitPromise)); err != nil {
					t.Fatal(err)
				}
				for _, v := range browsertest.Axe(t, e.ctx) {
					t.Errorf("%s, %s, %d px: %s", stage, scheme, width, v)
				}
			}
		}
	}
	check("empty")

	release := e.cloud.holdConversions()
	var paths []string
	for i := range 3 {
		paths = append(paths, e.file(t, fmt.Sprintf("photo %d.jpg", i), jpegBytes(t, 300, 200)))
	}
	paths = append(paths, e.file(t, "notes.txt", []byte("x")), e.file(t, "broken.jpg", []byte("not an image")))
	e.choose(t, paths...)
	e.waitFor(t, `document.querySelectorAll('.upload[data-state="converting"]').length >= 3`)
	check("mid-batch")

	release()
	e.waitFor(t, `document.querySelectorAll('.upload[data-state="succeeded"]').length === 3 && document.querySelector('.upload[data-state="failed"]') && [...document.querySelectorAll(".upload-thumb")].every(i => i.hidden || i.complete)`)
	check("finished")
}
