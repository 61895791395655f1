package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"thumbflow/upload"
)

// The states of a file as `thumbflow upload` shows them: the server's
// (uploaded, converting, retrying, succeeded, failed) and the client's own
// steps before and after them.
const (
	fileQueued      = "queued"
	fileWaiting     = "waiting" // for a grant the server refused for now (TooManyGrants)
	fileUploading   = "uploading"
	fileDownloading = "downloading"
	fileCancelled   = "cancelled"
)

// fileState is one file's progress.
type fileState struct {
	File       string
	UploadID   string
	State      string
	Attempt    int
	Wait       time.Duration // waiting: how long until the client asks again
	Waits      int           // waiting: how many refusals so far
	Sent, Size int64
	Renditions []upload.Rendition
	Paths      map[string]string // rendition name → downloaded file
	Error      *upload.Failure
	Began      time.Time
	Took       time.Duration
}

func (f *fileState) final() bool {
	return f.State == string(upload.StateSucceeded) || f.State == string(upload.StateFailed) || f.State == fileCancelled
}

// uploadLine is the JSON line printed per state change.
type uploadLine struct {
	File       string            `json:"file"`
	UploadID   string            `json:"uploadId,omitempty"`
	State      string            `json:"state"`
	Attempt    int               `json:"attempt,omitempty"`
	Size       int64             `json:"size,omitempty"`
	Renditions []uploadRendition `json:"renditions,omitempty"`
	Error      *upload.Failure   `json:"error,omitempty"`
	MS         int64             `json:"ms,omitempty"`
	// RetryAfter is, while waiting, the seconds until the grant is asked
	// for again.
	RetryAfter int `json:"retryAfter,omitempty"`
}

// uploadRendition is a rendition in a JSON line: the record's description,
// and where -o saved it.
type uploadRendition struct {
	upload.Rendition
	Path string `json:"path,omitempty"`
}

// uploadSummary is the last line: what became of every file.
type uploadSummary struct {
	Files     int   `json:"files"`
	Succeeded int   `json:"succeeded"`
	Failed    int   `json:"failed"`
	Cancelled int   `json:"cancelled"`
	MS        int64 `json:"ms"`
}

// isTerminal reports whether w is a terminal; tests replace it to see what
// a person would.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is w's width in columns, or 100 when it cannot be told.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
			return cols
		}
	}
	return 100
}

// uploadView shows the files' progress: on a terminal as lines redrawn in
// place, otherwise as one JSON line per state change.
type uploadView struct {
	w     io.Writer
	json  bool
	width int
	began time.Time

	mu       sync.Mutex
	files    []*fileState
	shown    []string // JSON: the last state+attempt printed per file
	printed  []bool   // terminal: the final line is printed
	live     int      // terminal: lines of the live region below the printed ones
	lastDraw time.Time
	labels   []string // terminal: each file's name on its line
	nameW    int
}

// labels are the files' names on a terminal: the base names, as a browser
// shows them, unless two are alike; then the paths as given.
func labels(paths []string) []string {
	seen := map[string]bool{}
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
		if seen[out[i]] {
			return paths
		}
		seen[out[i]] = true
	}
	return out
}

func newUploadView(w io.Writer, jsonLines bool, names []string) *uploadView {
	v := &uploadView{w: w, json: jsonLines, width: terminalWidth(w), began: time.Now(), labels: labels(names)}
	for i, n := range names {
		v.files = append(v.files, &fileState{File: n, State: fileQueued})
		v.nameW = max(v.nameW, min(utf8.RuneCountInString(v.labels[i]), 32))
	}
	v.shown = make([]string, len(names))
	v.printed = make([]bool, len(names))
	if !v.json {
		fmt.Fprint(w, "\x1b[?25l") // no cursor flickering over the bars
	}
	return v
}

// update changes file i under the view's lock and shows the change.
// Progress alone redraws the terminal at most ten times a second.
func (v *uploadView) update(i int, change func(*fileState)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f := v.files[i]
	before := fmt.Sprint(f.State, f.Attempt, f.Waits)
	change(f)
	changed := fmt.Sprint(f.State, f.Attempt, f.Waits) != before
	switch {
	case !f.final():
		// An operator's retry can start a new generation after the end.
		f.Took, v.printed[i] = 0, false
	case f.Took == 0 && !f.Began.IsZero():
		f.Took = time.Since(f.Began)
	}
	if v.json {
		if changed && f.State != fileQueued {
			v.emit(v.line(f))
		}
		return
	}
	if changed || time.Since(v.lastDraw) >= 100*time.Millisecond {
		v.draw()
	}
}

// finish prints the total and gives the terminal its cursor back.
func (v *uploadView) finish() uploadSummary {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := uploadSummary{Files: len(v.files), MS: time.Since(v.began).Milliseconds()}
	for _, f := range v.files {
		switch f.State {
		case string(upload.StateSucceeded):
			s.Succeeded++
		case string(upload.StateFailed):
			s.Failed++
		default:
			s.Cancelled++
		}
	}
	if v.json {
		v.emit(struct {
			Summary uploadSummary `json:"summary"`
		}{s})
		return s
	}
	v.draw()
	parts := []string{fmt.Sprintf("%d done", s.Succeeded)}
	if s.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", s.Failed))
	}
	if s.Cancelled > 0 {
		parts = append(parts, fmt.Sprintf("%d cancelled", s.Cancelled))
	}
	fmt.Fprintf(v.w, "%s in %s: %s\n", plural(s.Files, "file"), span(time.Duration(s.MS)*time.Millisecond), strings.Join(parts, ", "))
	fmt.Fprint(v.w, "\x1b[?25h")
	return s
}

func (v *uploadView) emit(l any) {
	b, err := json.Marshal(l)
	if err != nil {
		return
	}
	v.w.Write(append(b, '\n'))
}

func (v *uploadView) line(f *fileState) uploadLine {
	l := uploadLine{File: f.File, UploadID: f.UploadID, State: f.State, Error: f.Error}
	if f.State == string(upload.StateRetrying) || f.State == string(upload.StateConverting) {
		l.Attempt = f.Attempt
	}
	if f.State == fileUploading {
		l.Size = f.Size
	}
	if f.State == fileWaiting {
		l.RetryAfter = int((f.Wait + time.Second - 1) / time.Second)
	}
	if f.final() {
		l.MS = f.Took.Milliseconds()
	}
	for _, r := range f.Renditions {
		l.Renditions = append(l.Renditions, uploadRendition{r, f.Paths[r.Name]})
	}
	return l
}

// draw redraws the terminal: the live region (files under way) is erased,
// files that ended since the last draw are printed for good above it, and
// the live region is printed again. Live lines are cut to the terminal's
// width, since a wrapped line would break the count of lines to erase.
func (v *uploadView) draw() {
	v.lastDraw = time.Now()
	var b strings.Builder
	if v.live > 0 {
		fmt.Fprintf(&b, "\x1b[%dF", v.live)
	}
	b.WriteString("\x1b[J")
	for i, f := range v.files {
		if f.final() && !v.printed[i] {
			v.printed[i] = true
			b.WriteString(v.text(i, f) + "\n")
		}
	}
	v.live = 0
	for i, f := range v.files {
		if !f.final() && f.State != fileQueued {
			b.WriteString(cut(v.text(i, f), v.width-1) + "\n")
			v.live++
		}
	}
	io.WriteString(v.w, b.String())
}

// text is a file's line on a terminal.
func (v *uploadView) text(i int, f *fileState) string {
	mark := " "
	switch f.State {
	case string(upload.StateSucceeded):
		mark = "✓"
	case string(upload.StateFailed):
		mark = "✗"
	case fileCancelled:
		mark = "-"
	}
	name := cut(v.labels[i], v.nameW)
	name += strings.Repeat(" ", max(v.nameW-utf8.RuneCountInString(name), 0))
	return fmt.Sprintf("%s %s  %s", mark, name, describe(f))
}

// describe is what a file's line says about its state.
func describe(f *fileState) string {
	took := ""
	if f.Took > 0 {
		took = "  " + span(f.Took)
	}
	switch f.State {
	case fileUploading:
		return bar(f.Sent, f.Size)
	case fileWaiting:
		return fmt.Sprintf("waiting %d s (too many grants from this address)", int((f.Wait+time.Second-1)/time.Second))
	case string(upload.StateRetrying):
		return fmt.Sprintf("retrying (attempt %d)", f.Attempt)
	case string(upload.StateSucceeded):
		dims := make([]string, len(f.Renditions))
		for i, r := range f.Renditions {
			dims[i] = fmt.Sprintf("%d×%d", r.Width, r.Height)
		}
		return "done " + strings.Join(dims, ", ") + took
	case string(upload.StateFailed):
		msg := "failed"
		if f.Error != nil {
			msg += ": " + f.Error.Message
		}
		return msg + took
	}
	return f.State
}

// bar is an upload's progress: a 20-cell bar, the percentage and the bytes.
func bar(sent, size int64) string {
	const cells = 20
	frac := 1.0
	if size > 0 {
		frac = float64(sent) / float64(size)
	}
	full := int(frac * cells)
	return fmt.Sprintf("[%s%s] %3d%%  %s of %s", strings.Repeat("█", full), strings.Repeat("░", cells-full),
		int(frac*100), upload.HumanBytes(sent), upload.HumanBytes(size))
}

// cut shortens s to n runes, marking the cut.
func cut(s string, n int) string {
	if n < 1 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
