package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"thumbflow/client"
	"thumbflow/internal/logtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/upload"
)

// runningDev is a `thumbflow dev` started by a test through run().
type runningDev struct {
	out    *logtest.Buffer
	cancel context.CancelFunc
	done   chan int
}

var (
	wsURL       = regexp.MustCompile(`WebSocket API\s+(ws://\S+)`)
	endpointURL = regexp.MustCompile(`AWS endpoint\s+http://(\S+)`)
)

// quietDev sends dev's logs and standard streams to buffers for the test.
func quietDev(t *testing.T) (out, errOut, logs *logtest.Buffer) {
	t.Helper()
	out, errOut, logs = &logtest.Buffer{}, &logtest.Buffer{}, &logtest.Buffer{}
	stdout, stderr, logOutput, stdin = out, errOut, logs, strings.NewReader("")
	t.Cleanup(func() { stdout, stderr, logOutput, stdin = os.Stdout, os.Stderr, os.Stderr, os.Stdin })
	return out, errOut, logs
}

// startDev runs dev with args and waits for its banner.
func startDev(t *testing.T, out *logtest.Buffer, args ...string) *runningDev {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &runningDev{out: out, cancel: cancel, done: make(chan int, 1)}
	go func() { d.done <- run(ctx, append([]string{"dev"}, args...)) }()
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(out.String(), "Press Enter"); time.Sleep(10 * time.Millisecond) {
		select {
		case code := <-d.done:
			t.Fatalf("dev exited %d before its banner:\n%s", code, out.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no banner:\n%s", out.String())
		}
	}
	t.Cleanup(func() { d.stop(t) })
	return d
}

func (d *runningDev) stop(t *testing.T) int {
	d.cancel()
	select {
	case code := <-d.done:
		d.done <- code
		return code
	case <-time.After(15 * time.Second):
		t.Fatal("dev did not stop")
		return -1
	}
}

func (d *runningDev) find(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	m := re.FindStringSubmatch(d.out.String())
	if m == nil {
		t.Fatalf("%v not in the banner:\n%s", re, d.out.String())
	}
	return m[1]
}

func TestDevTwiceOnOnePortSaysWhatToDo(t *testing.T) {
	out, errOut, _ := quietDev(t)
	first := startDev(t, out, "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-data", "")
	addr := first.find(t, endpointURL)
	code := run(context.Background(), []string{"dev", "-addr", addr, "-web", "127.0.0.1:0", "-data", ""})
	msg := errOut.String()
	if code != 1 || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "panic:") {
		t.Fatalf("second dev on %s: exit %d, stderr %q; want exit 1 and one line", addr, code, msg)
	}
	for _, want := range []string{addr + " is already in use", "is LocalStack", "use -addr"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr %q lacks %q", msg, want)
		}
	}
}

func TestDevStartupProblemsAreOneLineAndExit1(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	// A copy of the template whose definition, next to it, is broken.
	broken := t.TempDir()
	tpl, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(broken, "template.yaml"), tpl, 0o644)
	os.Mkdir(filepath.Join(broken, "statemachine"), 0o755)
	os.WriteFile(filepath.Join(broken, "statemachine", "thumbnail.asl.json"), []byte(`{"StartAt": "Nowhere", "States": {}`), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"bad flag", []string{"-adr", "x"}, []string{"flag provided but not defined: -adr", "thumbflow dev -h"}},
		{"data directory is a file", []string{"-data", notDir}, []string{"the data directory " + notDir + " cannot be used", "use -data DIR"}},
		{"broken definition", []string{"-data", "", "-template", filepath.Join(broken, "template.yaml")}, []string{"definition"}},
		{"missing template", []string{"-data", "", "-template", filepath.Join(broken, "none", "template.yaml")}, []string{"template.yaml", "no such file"}},
		{"bad faults", []string{"-data", "", "-faults", "convert:slow"}, []string{"-faults", "transient, timeout or panic"}},
		{"bad log format", []string{"-data", "", "-log-format", "xml"}, []string{"-log-format \"xml\""}},
		{"time scale below 1", []string{"-data", "", "-time-scale", "0.5"}, []string{"-time-scale \"0.5\"", "a number of 1 or more"}},
		{"time scale not a number", []string{"-data", "", "-time-scale", "NaN"}, []string{"-time-scale \"NaN\"", "a number of 1 or more"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, _ := quietDev(t)
			code := run(context.Background(), append([]string{"dev", "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0"}, tc.args...))
			msg := errOut.String()
			if code != 1 || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "panic:") {
				t.Fatalf("exit %d, stderr %q; want exit 1 and one line", code, msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr %q lacks %q", msg, w)
				}
			}
		})
	}
}

// TestDevFromAnotherDirectory starts dev as an installed binary is
// started, away from the repository: the definitions are the built-in
// ones, the data directory is relative to the working directory, and
// `thumbflow upload` there finds the endpoint without flags. It also arms
// a fault, and the WebSocket shows the retry it causes.
func TestDevFromAnotherDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("THUMBFLOW_DATA", "")
	t.Setenv("THUMBFLOW_WS", "")
	t.Setenv("THUMBFLOW_STATEMACHINES", "")
	out, _, _ := quietDev(t)
	d := startDev(t, out, "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-faults", "convert:transient:1")
	if !strings.Contains(out.String(), "Faults         convert transient on the next call") {
		t.Errorf("the banner does not say which faults are armed:\n%s", out.String())
	}

	cl := uploadtest.Dial(t, context.Background(), d.find(t, wsURL))
	id := uploadtest.Upload(t, cl, "photo.jpg", uploadtest.Photo(64, 48), upload.StateSucceeded)
	if got := strings.Join(client.States(client.Distinct(cl.Statuses(id))), ","); !strings.Contains(got, "retrying(2)") {
		t.Errorf("with -faults convert:transient:1 the WebSocket showed %s, want retrying (attempt 2)", got)
	}

	// The record in ./.thumbflow leads `thumbflow upload` to this dev.
	photo := writeFiles(t, map[string][]byte{"b.jpg": uploadtest.Photo(32, 32)}, "b.jpg")
	var upOut logtest.Buffer
	stdout = &upOut
	code := run(context.Background(), []string{"upload", "-json", photo[0]})
	stdout = out
	if code != 0 || !strings.Contains(upOut.String(), `"state":"succeeded"`) {
		t.Errorf("upload without -ws: exit %d\n%s", code, upOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, ".thumbflow", devRecordFile)); err != nil {
		t.Errorf("no endpoint record in the working directory's .thumbflow: %v", err)
	}

	// Enter and SIGUSR1 print the banner again.
	if n := strings.Count(out.String(), "thumbflow dev is ready"); n != 1 {
		t.Fatalf("%d banners before asking", n)
	}
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	for deadline := time.Now().Add(10 * time.Second); strings.Count(out.String(), "thumbflow dev is ready") < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("SIGUSR1 did not print the banner again")
		}
	}
	if code := d.stop(t); code != 0 {
		t.Errorf("exit %d after Ctrl+C", code)
	}
	if _, err := os.Stat(filepath.Join(dir, ".thumbflow", devRecordFile)); err == nil {
		t.Error("the endpoint record outlived dev")
	}
}

func TestDevWithTheRepositorysTemplate(t *testing.T) {
	out, _, _ := quietDev(t)
	d := startDev(t, out, "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-data", "", "-template", "../../template.yaml")
	cl := uploadtest.Dial(t, context.Background(), d.find(t, wsURL))
	uploadtest.Upload(t, cl, "photo.jpg", uploadtest.Photo(32, 32), upload.StateSucceeded)
}

func TestDevPrintsTheBannerAgainOnEnter(t *testing.T) {
	out, _, _ := quietDev(t)
	r, w := io.Pipe()
	stdin = r
	d := startDev(t, out, "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-data", "")
	w.Write([]byte("\n"))
	for deadline := time.Now().Add(10 * time.Second); strings.Count(out.String(), "thumbflow dev is ready") < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Enter did not print the banner again")
		}
	}
	d.stop(t)
	w.Close()
}

// TestDevTimeScaleRunsTheSweepersSchedule: -time-scale 600 makes the
// template's rate(5 minutes) fire every half second, and each firing runs
// the sweep function, as the JSON log shows.
func TestDevTimeScaleRunsTheSweepersSchedule(t *testing.T) {
	out, _, logs := quietDev(t)
	startDev(t, out, "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-data", "", "-time-scale", "600", "-log-format", "json", "-log-level", "info")
	for deadline := time.Now().Add(30 * time.Second); logs.Count(`"msg":"sweep done"`) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no sweep ran:\n%s", logs.Tail(40))
		}
	}
	if logs.Count(`"msg":"scheduled rule fired","service":"events","component":"events","rule":"thumbflow-sweep"`) == 0 {
		t.Errorf("the sweep ran without its schedule firing:\n%s", logs.Tail(40))
	}
	if logs.Count(`"shortened to":"500ms"`) != 1 {
		t.Errorf("the schedule's scaled period is not logged once:\n%s", logs.Tail(40))
	}
}
