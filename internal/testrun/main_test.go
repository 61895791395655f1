package main

import (
	"os"
	"strings"
	"testing"
)

// A stream as `go test -json` writes it for three packages: one passing
// with a known gap and a plain skip, one failing, one without tests.
const stream = `{"Action":"start","Package":"p/ok"}
{"Action":"run","Package":"p/ok","Test":"TestConf"}
{"Action":"output","Package":"p/ok","Test":"TestConf","Output":"=== RUN   TestConf\n"}
{"Action":"run","Package":"p/ok","Test":"TestConf/a"}
{"Action":"output","Package":"p/ok","Test":"TestConf/a","Output":"=== RUN   TestConf/a\n"}
{"Action":"output","Package":"p/ok","Test":"TestConf/a","Output":"    conf_test.go:199: known gap: AWS's own variance\n"}
{"Action":"output","Package":"p/ok","Test":"TestConf/a","Output":"--- SKIP: TestConf/a (0.00s)\n"}
{"Action":"skip","Package":"p/ok","Test":"TestConf/a"}
{"Action":"output","Package":"p/ok","Test":"TestConf","Output":"--- PASS: TestConf (0.00s)\n"}
{"Action":"pass","Package":"p/ok","Test":"TestConf"}
{"Action":"run","Package":"p/ok","Test":"TestTool"}
{"Action":"output","Package":"p/ok","Test":"TestTool","Output":"    tool_test.go:12: cjpeg not installed (apt-get install libjpeg-turbo-progs)\n"}
{"Action":"output","Package":"p/ok","Test":"TestTool","Output":"--- SKIP: TestTool (0.00s)\n"}
{"Action":"skip","Package":"p/ok","Test":"TestTool"}
{"Action":"output","Package":"p/ok","Output":"PASS\n"}
{"Action":"output","Package":"p/ok","Output":"ok  \tp/ok\t0.01s\n"}
{"Action":"pass","Package":"p/ok"}
{"Action":"run","Package":"p/bad","Test":"TestGood"}
{"Action":"output","Package":"p/bad","Test":"TestGood","Output":"    good_test.go:5: chatter of a passing test\n"}
{"Action":"pass","Package":"p/bad","Test":"TestGood"}
{"Action":"run","Package":"p/bad","Test":"TestBad"}
{"Action":"output","Package":"p/bad","Test":"TestBad","Output":"    bad_test.go:9: got 2, want 1\n"}
{"Action":"output","Package":"p/bad","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"p/bad","Test":"TestBad"}
{"Action":"output","Package":"p/bad","Output":"FAIL\n"}
{"Action":"output","Package":"p/bad","Output":"FAIL\tp/bad\t0.02s\n"}
{"Action":"fail","Package":"p/bad"}
{"Action":"output","Package":"p/none","Output":"?   \tp/none\t[no test files]\n"}
{"Action":"skip","Package":"p/none"}
`

func TestReportPrintsWhatGoTestHidesAndFailsSkipsUnderCI(t *testing.T) {
	for _, ci := range []bool{false, true} {
		var out strings.Builder
		r := newReport(&out, false)
		if err := r.read(strings.NewReader(stream)); err != nil {
			t.Fatal(err)
		}
		fail := r.summary(ci)
		want := "ok  \tp/ok\t0.01s\n" +
			"    bad_test.go:9: got 2, want 1\n--- FAIL: TestBad (0.00s)\nFAIL\nFAIL\tp/bad\t0.02s\n" +
			"?   \tp/none\t[no test files]\n" +
			"known gaps: 1\n  p/ok TestConf/a: AWS's own variance\n" +
			"skipped (not known gaps): 1\n  p/ok TestTool: cjpeg not installed (apt-get install libjpeg-turbo-progs)\n"
		if ci {
			want += "FAIL: CI=true and 1 tests skipped that are not known gaps: each hides coverage\n"
		}
		if out.String() != want {
			t.Errorf("CI=%v: printed\n%s\nwant\n%s", ci, out.String(), want)
		}
		if fail != ci {
			t.Errorf("CI=%v: the skip fails the run: %v", ci, fail)
		}
	}
}

// TestCIRunsTheREADMECommand: .ci/run must run exactly the test command
// README.md gives, so that what a developer runs is what CI runs.
func TestCIRunsTheREADMECommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmd string
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "go run ./internal/testrun ") {
			cmd, _, _ = strings.Cut(line, "#")
			cmd = strings.TrimSpace(cmd)
			break
		}
	}
	if cmd == "" {
		t.Fatal("README.md gives no `go run ./internal/testrun` test command")
	}
	run, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(run)), "\n")
	if last := lines[len(lines)-1]; last != cmd {
		t.Errorf(".ci/run ends with %q; README.md's test command is %q", last, cmd)
	}
}
