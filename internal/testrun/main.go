// Command testrun is the repository's test command: it runs
// `go test -json` with the arguments it is given and prints what
// `go test` prints (one ok line per passing package, the output of a
// failing one), and then what package-list mode would hide: the known
// gaps, with their reasons and their count, and every other skip.
//
// A known gap is a test skipped with a message that starts "known gap:"
// (local/asl's conformance cases listed in testdata/known-gaps.txt, the
// one list of them). Under CI=true any other skip fails the run, since it
// hides coverage that CI is there to give.
//
//	go run ./internal/testrun -timeout 25m ./...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
)

func main() {
	cmd := exec.Command("go", append([]string{"test", "-json"}, os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	cmd.Stdin = os.Stdin
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testrun:", err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testrun:", err)
		os.Exit(2)
	}
	r := newReport(os.Stdout, slices.Contains(os.Args[1:], "-v"))
	if err := r.read(out); err != nil {
		fmt.Fprintln(os.Stderr, "testrun: reading go test -json:", err)
	}
	runErr := cmd.Wait()
	skipsFail := r.summary(os.Getenv("CI") == "true")
	var exit *exec.ExitError
	switch {
	case errors.As(runErr, &exit):
		os.Exit(exit.ExitCode())
	case runErr != nil:
		fmt.Fprintln(os.Stderr, "testrun:", runErr)
		os.Exit(2)
	case skipsFail:
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output
	Test       string
	Output     string
}

// skip is a skipped test and the message it gave.
type skip struct{ pkg, test, reason string }

// report turns the event stream into go test's own output and collects
// the skips.
type report struct {
	w       io.Writer
	verbose bool
	// tests holds the output of each test still running, by package and
	// test; pkgOut the package's own lines and its failed tests' output.
	tests  map[[2]string][]string
	pkgOut map[string][]string
	gaps   []skip
	skips  []skip
}

func newReport(w io.Writer, verbose bool) *report {
	return &report{w: w, verbose: verbose, tests: map[[2]string][]string{}, pkgOut: map[string][]string{}}
}

func (r *report) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			// Not an event (go test writes some lines as they are).
			fmt.Fprintln(r.w, sc.Text())
			continue
		}
		r.handle(ev)
	}
	return sc.Err()
}

func (r *report) handle(ev event) {
	if r.verbose && ev.Action == "output" {
		fmt.Fprint(r.w, ev.Output)
	}
	switch {
	case ev.Action == "build-output":
		fmt.Fprint(r.w, ev.Output)
	case ev.Test != "":
		r.testEvent(ev)
	case ev.Action == "output":
		r.pkgOut[ev.Package] = append(r.pkgOut[ev.Package], ev.Output)
	case ev.Action == "pass" || ev.Action == "skip":
		if !r.verbose {
			for _, line := range r.pkgOut[ev.Package] {
				if strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "?   ") {
					fmt.Fprint(r.w, line)
				}
			}
		}
		r.done(ev.Package)
	case ev.Action == "fail":
		if !r.verbose {
			// Tests that never ended (a panic, a timeout) first.
			var open []string
			for k, lines := range r.tests {
				if k[0] == ev.Package {
					open = append(open, strings.Join(lines, ""))
				}
			}
			sort.Strings(open)
			fmt.Fprint(r.w, strings.Join(open, ""))
			fmt.Fprint(r.w, strings.Join(r.pkgOut[ev.Package], ""))
		}
		r.done(ev.Package)
	}
}

func (r *report) testEvent(ev event) {
	k := [2]string{ev.Package, ev.Test}
	switch ev.Action {
	case "output":
		r.tests[k] = append(r.tests[k], ev.Output)
	case "pass":
		delete(r.tests, k)
	case "skip":
		s := skip{pkg: ev.Package, test: ev.Test, reason: skipReason(r.tests[k])}
		if strings.HasPrefix(s.reason, "known gap:") {
			r.gaps = append(r.gaps, s)
		} else {
			r.skips = append(r.skips, s)
		}
		delete(r.tests, k)
	case "fail":
		// go test shows a failed test's output with its package's.
		r.pkgOut[ev.Package] = append(r.pkgOut[ev.Package], r.tests[k]...)
		delete(r.tests, k)
	}
}

func (r *report) done(pkg string) {
	delete(r.pkgOut, pkg)
	for k := range r.tests {
		if k[0] == pkg {
			delete(r.tests, k)
		}
	}
}

// skipReason is a skipped test's message: its output without the lines
// go test adds, and without the file:line prefix of t.Skip.
func skipReason(lines []string) string {
	var msg []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		if file, rest, ok := strings.Cut(t, ": "); ok && strings.Contains(file, ".go:") && !strings.Contains(file, " ") {
			t = rest
		}
		msg = append(msg, strings.Trim(t, "* "))
	}
	return strings.Join(msg, " ")
}

// summary prints the known gaps and the other skips, in a stable order
// (parallel tests end in any), and reports whether the skips fail the run
// (under CI).
func (r *report) summary(ci bool) (fail bool) {
	for _, list := range [][]skip{r.gaps, r.skips} {
		sort.Slice(list, func(i, j int) bool {
			if list[i].pkg != list[j].pkg {
				return list[i].pkg < list[j].pkg
			}
			return list[i].test < list[j].test
		})
	}
	fmt.Fprintf(r.w, "known gaps: %d\n", len(r.gaps))
	for _, s := range r.gaps {
		fmt.Fprintf(r.w, "  %s %s: %s\n", s.pkg, s.test, strings.TrimSpace(strings.TrimPrefix(s.reason, "known gap:")))
	}
	fmt.Fprintf(r.w, "skipped (not known gaps): %d\n", len(r.skips))
	for _, s := range r.skips {
		fmt.Fprintf(r.w, "  %s %s: %s\n", s.pkg, s.test, s.reason)
	}
	if ci && len(r.skips) > 0 {
		fmt.Fprintf(r.w, "FAIL: CI=true and %d tests skipped that are not known gaps: each hides coverage\n", len(r.skips))
		return true
	}
	return false
}
