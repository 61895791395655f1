package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// AxeDir is where .ci/run installs axe-core, relative to the repository
// root: npm install --prefix .ci/axe axe-core@4. THUMBFLOW_AXE names
// axe.min.js elsewhere.
const AxeDir = ".ci/axe"

// AxeTags are the rule sets every page must pass: WCAG 2.0 to 2.2, levels
// A and AA, and axe's best practices.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// Violation is one failed axe rule and the elements that fail it.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", "; "))
	}
	return b.String()
}

// axeSource finds axe.min.js: THUMBFLOW_AXE, or AxeDir under the
// repository root found from the test's working directory.
func axeSource(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("THUMBFLOW_AXE"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, AxeDir, "node_modules", "axe-core", "axe.min.js")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Axe runs axe-core with AxeTags on the page open in ctx and returns its
// violations. Without axe-core installed the test is skipped, except under
// CI=true, where a skip would hide the check and fails the test instead.
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	path := axeSource(t)
	src, err := os.ReadFile(path)
	if err != nil {
		msg := fmt.Sprintf("axe-core not installed (%v): run npm install --prefix %s axe-core@4 at the repository root, or set THUMBFLOW_AXE to axe.min.js", err, AxeDir)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tags, _ := json.Marshal(AxeTags)
	run := `(() => { if (!window.axe) { ` + string(src) + `
	} return window.axe.run(document, { runOnly: { type: "tag", values: ` + string(tags) + ` }, resultTypes: ["violations"] })
		.then((r) => JSON.stringify(r.violations)); })()`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core: %v", err)
	}
	var v []Violation
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("axe-core's answer: %v", err)
	}
	return v
}
