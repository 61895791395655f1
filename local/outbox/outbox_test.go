package outbox

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

type entry struct {
	Key string
	Due time.Time
}

func TestDueOldestFirst(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := map[string]*entry{
		"b": {"b", now.Add(-time.Second)}, "a": {"a", now.Add(-time.Minute)},
		"c": {"c", now.Add(time.Hour)}, "d": {"d", now.Add(time.Minute)},
	}
	due, next := Due(m, func(e *entry) time.Time { return e.Due }, now)
	if len(due) != 2 || due[0].Key != "a" || due[1].Key != "b" || !next.Equal(now.Add(time.Minute)) {
		t.Fatalf("due %v, next %v", due, next)
	}
}

func TestWriteLoadRemove(t *testing.T) {
	dir := t.TempDir()
	if err := MkdirAll(dir, "pending"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pending", "k.json")
	if err := WriteJSON(path, entry{Key: "k"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := Load(filepath.Join(dir, "pending"), func(name string, e *entry, err error) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, name+"="+e.Key)
	}); err != nil || len(got) != 1 || got[0] != "k.json=k" {
		t.Fatalf("loaded %v, %v", got, err)
	}
	if err := Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := Remove(path); err != nil {
		t.Fatalf("removing a removed entry: %v", err)
	}
}

func TestPostTellsRetryableFromFinal(t *testing.T) {
	for code, permanent := range map[int]bool{200: false, 500: false, 408: false, 429: false, 400: true, 403: true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Test") != "yes" {
				t.Errorf("header not sent: %v", r.Header)
			}
			w.WriteHeader(code)
		}))
		err := Post(context.Background(), srv.Client(), srv.URL, []byte("{}"), http.Header{"X-Test": {"yes"}}, "test hook", "thing")
		srv.Close()
		var perm *PermanentError
		if (code == 200) != (err == nil) || errors.As(err, &perm) != permanent {
			t.Errorf("%d: %v", code, err)
		}
	}
}
