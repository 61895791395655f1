// Package browsertest is test support that starts a headless Chromium for
// tests that drive the real pages, so the web client's tests, the /ops
// page's and the end-to-end tests of the local cloud share one way of
// getting a browser.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// candidates are the names Debian, Ubuntu and Chrome installs use; the
// THUMBFLOW_CHROMIUM environment variable overrides them.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// ExecPath returns the browser to run, or "" when there is none.
func ExecPath() string {
	if p := os.Getenv("THUMBFLOW_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// NewBrowser starts a fresh headless Chromium with its own profile in
// t.TempDir() and returns a chromedp context for its first tab. The
// browser is closed when the test ends. Tests are skipped, with the
// install command in the message, when no Chromium is found; under
// CI=true they fail instead, since the skip would hide every browser test.
//
// The returned context has no deadline; wrap it with
// context.WithTimeout for each step that waits on the page.
func NewBrowser(t testing.TB) context.Context {
	t.Helper()
	ctx, _ := NewBrowserAt(t, t.TempDir())
	return ctx
}

// NewBrowserAt is NewBrowser on the profile in userDataDir, so that a test
// can close the browser (stop closes it gracefully, as a user quitting
// does, so it writes its storage to disk) and start another on the same
// profile: a new browser session with the same history.
func NewBrowserAt(t testing.TB, userDataDir string) (ctx context.Context, stop func()) {
	t.Helper()
	path := ExecPath()
	if path == "" {
		const msg = "no Chromium found: install it (apt-get install -y chromium) or set THUMBFLOW_CHROMIUM to run the browser tests"
		if os.Getenv("CI") == "true" {
			// Under CI a skip would hide every browser test.
			t.Fatal(msg + " (CI=true)")
		}
		t.Skip(msg)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(userDataDir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	// Start the browser now so a broken install fails here, clearly. The
	// first Do must get ctx itself: a browser started under a derived
	// context with a deadline dies when that context ends.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("starting %s: %v", path, err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			chromedp.Cancel(ctx) // closes the browser and waits for it to exit
			cancelCtx()
			cancelAlloc()
		})
	}
	t.Cleanup(stop)
	return ctx, stop
}
