package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"thumbflow/internal/browsertest"
	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/cloud"
)

// TestCloudTooManyGrantsWaitsAndRetries: the real local cloud allows this
// address 2 grants a minute (GrantsPerMinute=2). Four files are chosen at
// once: two upload, the other two are refused TooManyGrants and show a
// waiting row that counts down to the retry, announced to a screen reader
// without one message per second, with Cancel still offered. One is
// cancelled while it waits and never gets a grant; the other asks again
// when the minute has passed and ends done. The limiter counts a minute of
// the cloud's wall clock (a FastClock shortens sleeps, not Now), so this
// test waits that minute out: the one slow test of the package.
func TestCloudTooManyGrantsWaitsAndRetries(t *testing.T) {
	c := cloudtest.Start(t, func(cfg *cloud.Config) {
		cfg.Parameters = map[string]string{"GrantsPerMinute": "2", "OpenGrants": "10"}
	})
	p := openCloud(t, browsertest.NewBrowser(t), c)
	recordIn(t, p.ctx)
	eval[chromedp.Void](t, p.ctx, `(() => {
		window.waitLines = [];
		new MutationObserver(() => {
			for (const r of document.querySelectorAll('.upload[data-phase="waiting"]')) {
				const s = r.querySelector(".upload-status").textContent;
				if (!window.waitLines.includes(s)) window.waitLines.push(s);
			}
		}).observe(document.querySelector("#uploads"), { subtree: true, childList: true, characterData: true, attributes: true });
	})()`)
	var paths []string
	for i := range 4 {
		path := filepath.Join(p.dir, fmt.Sprintf("photo%d.jpg", i))
		if err := os.WriteFile(path, uploadtest.Photo(40+i, 30), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	run(t, p.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), paths))

	const waiting = `document.querySelectorAll('.upload[data-phase="waiting"]')`
	waitForIn(t, p.ctx, waiting+`.length === 2 && document.querySelectorAll('.upload[data-state="succeeded"]').length === 2`)
	status := regexp.MustCompile(`^waiting: too many uploads from this address; retrying in (\d+) s$`)
	first := eval[string](t, p.ctx, waiting+`[0].querySelector(".upload-status").textContent`)
	if m := status.FindStringSubmatch(first); m == nil {
		t.Fatalf("the refused file's row says %q, want %q", first, status)
	}
	// The countdown moves on its own (a second later it says less).
	waitForIn(t, p.ctx, waiting+`[0].querySelector(".upload-status").textContent !== `+strconv.Quote(first))
	for _, r := range eval[[]map[string]any](t, p.ctx, `[...`+waiting+`].map(r => ({ cancel: !r.querySelector(".btn-cancel").hidden, remove: !r.querySelector(".btn-remove").hidden, id: r.dataset.uploadId ?? "" }))`) {
		if r["cancel"] != true || r["remove"] == true || r["id"] != "" {
			t.Errorf("a waiting row offers %v: want Cancel, no Remove, and no upload id", r)
		}
	}
	for _, v := range browsertest.Axe(t, p.ctx) {
		t.Errorf("waiting rows: %s", v)
	}

	// Cancel the last one while it waits.
	last := `document.querySelector('.upload:nth-child(4)')`
	if eval[string](t, p.ctx, last+`.dataset.phase`) != "waiting" {
		t.Fatalf("the fourth file is %s, want waiting", eval[string](t, p.ctx, last+`.dataset.phase`))
	}
	run(t, p.ctx, chromedp.Click(chromedp.CSS(`.upload:nth-child(4) .btn-cancel`)))
	waitForIn(t, p.ctx, last+`.dataset.state === "cancelled"`)

	// The other one asks again once the minute has passed, and converts.
	pctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
	defer cancel()
	if _, err := chromedp.Run(pctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll('.upload[data-state="succeeded"]').length === 3`, chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(90*time.Second))); err != nil {
		rows := eval[string](t, p.ctx, `[...document.querySelectorAll(".upload")].map(r => r.dataset.state + " | " + r.querySelector(".upload-status").textContent).join("\n")`)
		t.Fatalf("the waiting file did not end done: %v\nrows:\n%s", err, rows)
	}
	if got := eval[string](t, p.ctx, last+`.dataset.state + " " + (`+last+`.dataset.uploadId ?? "")`); got != "cancelled " {
		t.Errorf("the file cancelled while waiting is %q, want cancelled with no grant", got)
	}
	if keys := originals(t, c); len(keys) != 3 {
		t.Errorf("the uploads bucket holds %d originals, want 3", len(keys))
	}

	lines := eval[[]string](t, p.ctx, `window.waitLines`)
	spoken := eval[[]string](t, p.ctx, `window.seen.spoken`)
	var aboutWaiting []string
	for _, s := range spoken {
		if strings.Contains(s, "waiting") {
			aboutWaiting = append(aboutWaiting, s)
		}
	}
	t.Logf("%d distinct waiting lines shown; announced about the wait: %q", len(lines), aboutWaiting)
	// The rows counted down through dozens of seconds; a screen reader heard
	// of the wait in the batch summary a few times, not once a second.
	if len(lines) < 20 || len(aboutWaiting) == 0 || len(aboutWaiting) > 6 {
		t.Errorf("the waiting rows showed %d different lines; the announcements about waiting were %q, want at least one and at most 6\nall announcements: %q", len(lines), aboutWaiting, spoken)
	}
	summary := regexp.MustCompile(`^\d of 4 done.*, \d waiting: too many uploads from this address$`)
	if !slices.ContainsFunc(spoken, summary.MatchString) {
		t.Errorf("no announcement like %q among %q", summary, spoken)
	}
}
