package main

import (
	"strings"
	"testing"
	"time"

	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/cloud"
)

// TestUploadWaitsOutTooManyGrants: with the real local cloud allowing this
// address one grant a minute, the second file is not failed but shown
// waiting, with the seconds until its grant is asked for again; Ctrl+C
// during the wait cancels it. (That the wait ends in a grant is
// client.GrantWhenAllowed's test, which waits the minute out.)
func TestUploadWaitsOutTooManyGrants(t *testing.T) {
	c := cloudtest.Start(t, func(cfg *cloud.Config) {
		cfg.Parameters = map[string]string{"GrantsPerMinute": "1", "OpenGrants": "10"}
	})
	files := writeFiles(t, map[string][]byte{"a.jpg": uploadtest.Photo(64, 48), "b.jpg": uploadtest.Photo(48, 64)}, "a.jpg", "b.jpg")
	out, lines := interruptUpload(t, `"state":"waiting"`, "upload", "-ws", c.WebSocketURL, "-parallel", "1", files[0], files[1])
	if got := statesOf(lines, files[1]); got != "waiting,cancelled" {
		t.Errorf("the second file's states: %s, want waiting,cancelled\n%s", got, out.String())
	}
	if got := statesOf(lines, files[0]); !strings.HasSuffix(got, "succeeded") {
		t.Errorf("the first file's states: %s, want it to end succeeded", got)
	}
	for _, l := range lines {
		if l["file"] == files[1] && l["state"] == "waiting" {
			if s, _ := l["retryAfter"].(float64); s < 1 || s > 61 {
				t.Errorf("waiting line %v: retryAfter want 1 to 61 seconds", l)
			}
		}
	}
}

func TestWaitingLineSaysWhy(t *testing.T) {
	got := describe(&fileState{State: fileWaiting, Wait: 39200 * time.Millisecond})
	if want := "waiting 40 s (too many grants from this address)"; got != want {
		t.Errorf("a waiting file's line says %q, want %q", got, want)
	}
}
