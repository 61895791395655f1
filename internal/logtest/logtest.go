// Package logtest is test support for tests that read what a program logs
// or prints while it runs: a buffer that goroutines may write to while the
// test reads it. The local cloud's tests keep its JSON log and show the
// tail only when a test fails; the alerter's tests read log lines; the
// CLI's read what `thumbflow dev` prints.
package logtest

import (
	"bytes"
	"strings"
	"sync"
)

// Buffer is an io.Writer that is safe for concurrent use. Its zero value
// is empty and ready.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Lines are the complete lines written so far, without their newlines; a
// last line still being written is left out.
func (l *Buffer) Lines() []string {
	s := l.String()
	end := strings.LastIndexByte(s, '\n')
	if end < 0 {
		return nil
	}
	return strings.Split(s[:end], "\n")
}

// Tail is the last n lines, for showing the end of a log.
func (l *Buffer) Tail(n int) string {
	lines := strings.Split(strings.TrimSpace(l.String()), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Count is how many times substr was written.
func (l *Buffer) Count(substr string) int {
	return strings.Count(l.String(), substr)
}
