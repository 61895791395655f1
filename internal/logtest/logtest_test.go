package logtest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestBufferUnderConcurrentWriters(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				fmt.Fprintf(&b, "writer %d line %d\n", i, j)
			}
		})
	}
	wg.Wait()
	if n := len(b.Lines()); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
	if n := b.Count("line 99\n"); n != 8 {
		t.Errorf("Count = %d, want 8", n)
	}
}

func TestLinesLeavesOutAPartialLine(t *testing.T) {
	var b Buffer
	b.Write([]byte("one\n\nthree\npart"))
	if got := strings.Join(b.Lines(), "|"); got != "one||three" {
		t.Errorf("Lines = %q", got)
	}
	if got := b.Tail(2); got != "three\npart" {
		t.Errorf("Tail(2) = %q", got)
	}
	var empty Buffer
	if empty.Lines() != nil || empty.Tail(3) != "" {
		t.Errorf("empty buffer: %q, %q", empty.Lines(), empty.Tail(3))
	}
}
