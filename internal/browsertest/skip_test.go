package browsertest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissingChromiumFailsUnderCI runs NewBrowser in a child test process
// whose PATH holds no Chromium: a normal run skips with the install
// command, and CI=true fails.
func TestMissingChromiumFailsUnderCI(t *testing.T) {
	if os.Getenv("BROWSERTEST_CHILD") == "1" {
		NewBrowser(t)
		return
	}
	run := func(ci string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingChromiumFailsUnderCI$", "-test.v")
		cmd.Env = append(os.Environ(), "BROWSERTEST_CHILD=1", "PATH="+t.TempDir(), "THUMBFLOW_CHROMIUM=", "CI="+ci)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("")
	if err != nil || !strings.Contains(out, "--- SKIP") || !strings.Contains(out, "apt-get install -y chromium") {
		t.Fatalf("without CI: %v\n%s\nwant a skip naming the install command", err, out)
	}
	out, err = run("true")
	if err == nil || !strings.Contains(out, "--- FAIL") || !strings.Contains(out, "no Chromium found") {
		t.Fatalf("under CI=true: %v\n%s\nwant a failure", err, out)
	}
}
