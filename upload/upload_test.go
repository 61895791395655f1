package upload

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRecordOnlyMovesForward(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	id := NewID()
	steps := []struct {
		u         Update
		changed   bool
		wantState State
		attempt   int
	}{
		{Update{UploadID: id, State: StateUploaded, Execution: "e-1"}, true, StateUploaded, 0},
		{Update{UploadID: id, State: StateUploaded, Execution: "e-2"}, false, StateUploaded, 0}, // replay keeps the first execution
		{Update{UploadID: id, State: StateConverting}, true, StateConverting, 1},
		{Update{UploadID: id, State: StateUploaded}, false, StateConverting, 1}, // late duplicate
		{Update{UploadID: id, State: StateRetrying, Attempt: 2}, true, StateRetrying, 2},
		{Update{UploadID: id, State: StateRetrying, Attempt: 2}, false, StateRetrying, 2},
		{Update{UploadID: id, State: StateRetrying, Attempt: 3}, true, StateRetrying, 3},
		{Update{UploadID: id, State: StateConverting}, false, StateRetrying, 3},
		{Update{UploadID: id, State: StateFailed, Error: &Failure{Code: "CorruptImage", Message: "m"}}, true, StateFailed, 3},
		{Update{UploadID: id, State: StateSucceeded}, false, StateFailed, 3}, // terminal is final
		{Update{UploadID: id, State: StateFailed}, false, StateFailed, 3},
	}
	var r Record
	for i, s := range steps {
		next, changed := r.Apply(s.u, now.Add(time.Duration(i)*time.Second))
		if changed != s.changed || next.State != s.wantState || next.Attempt != s.attempt {
			t.Fatalf("step %d (%s): changed=%v state=%s attempt=%d; want %v %s %d", i, s.u.State, changed, next.State, next.Attempt, s.changed, s.wantState, s.attempt)
		}
		if changed && next.Version != r.Version+1 {
			t.Errorf("step %d: version %d after %d", i, next.Version, r.Version)
		}
		r = next
	}
	if r.Execution != "e-1" || r.Error.Code != "CorruptImage" || !r.CreatedAt.Equal(now) {
		t.Errorf("final record = %+v", r)
	}
}

func TestFailedWithoutErrorStillTellsTheUser(t *testing.T) {
	r, _ := Record{}.Apply(Update{UploadID: NewID(), State: StateFailed}, time.Now())
	if r.Error == nil || r.Error.Code != CodeInternal || r.Error.Message == "" {
		t.Errorf("error = %+v", r.Error)
	}
}

func TestTokens(t *testing.T) {
	s, err := NewSigner([]byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSigner([]byte("short")); err == nil {
		t.Error("a 5-byte key was accepted")
	}
	now := time.Now()
	id, other := NewID(), NewID()
	tok := s.Issue(id, now.Add(time.Hour))
	if err := s.Verify(tok, id, now); err != nil {
		t.Errorf("valid token refused: %v", err)
	}
	if err := s.Verify(tok, other, now); err != ErrTokenInvalid {
		t.Errorf("token for another upload: %v", err)
	}
	if err := s.Verify(tok, id, now.Add(2*time.Hour)); err != ErrTokenExpired {
		t.Errorf("expired token: %v", err)
	}
	raw := []byte(tok)
	raw[len(raw)-3] ^= 1
	if err := s.Verify(string(raw), id, now); err != ErrTokenInvalid {
		t.Errorf("tampered token: %v", err)
	}
	other2, _ := NewSigner([]byte(strings.Repeat("t", 32)))
	if err := other2.Verify(tok, id, now); err != ErrTokenInvalid {
		t.Errorf("token from another key: %v", err)
	}
}

func TestKeysComeOnlyFromValidIDs(t *testing.T) {
	if a, b := NewID(), NewID(); a == b || !ValidID(a) || len(a) != 32 {
		t.Fatalf("ids %q %q", a, b)
	}
	for _, key := range []string{"uploads/../x", "uploads/" + strings.ToUpper(NewID()), "other/" + NewID(), "uploads/" + NewID() + "/x", "uploads/"} {
		if id, ok := IDFromOriginalKey(key); ok {
			t.Errorf("IDFromOriginalKey(%q) = %q, want refusal", key, id)
		}
	}
	id := NewID()
	if got, ok := IDFromOriginalKey(OriginalKey(id)); !ok || got != id {
		t.Errorf("round trip of %s = %q %v", id, got, ok)
	}
	for _, conn := range []string{"L0SM9cOFvHcCIhw=", "a/b+c%d", "plain"} {
		key := SubscriptionKey(id, conn)
		if strings.Count(key, "/") != 2 {
			t.Errorf("subscription key %q has extra path segments", key)
		}
		if got, err := ConnectionFromSubscriptionKey(key); err != nil || got != conn {
			t.Errorf("round trip of %q = %q %v", conn, got, err)
		}
	}
}

func TestLimitsCheck(t *testing.T) {
	l := Limits{MaxBytes: 25 << 20, Types: []string{"image/jpeg", "image/png"}}
	cases := []struct {
		r    Request
		code string
		msg  string
	}{
		{Request{"a.jpg", "image/jpeg", 1}, "", ""},
		{Request{"a.jpg", "image/jpeg", 25 << 20}, "", ""},
		{Request{"a.jpg", "image/jpeg", 25<<20 + 1}, "FileTooLarge", "the limit is 25 MB"},
		{Request{"a.jpg", "image/jpeg", 0}, "EmptyFile", "is empty"},
		{Request{"a.heic", "image/heic", 10}, "UnsupportedFormat", "image/jpeg, image/png"},
		{Request{"", "image/jpeg", 10}, "InvalidRequest", "name"},
		{Request{strings.Repeat("é", 200), "image/jpeg", 10}, "InvalidRequest", "name"},
		{Request{"bad\xffutf8", "image/jpeg", 10}, "InvalidRequest", "name"},
	}
	for _, c := range cases {
		err := l.Check(c.r)
		if c.code == "" {
			if err != nil {
				t.Errorf("%+v refused: %v", c.r, err)
			}
			continue
		}
		re, ok := err.(*RequestError)
		if !ok || re.Code != c.code || !strings.Contains(re.Message, c.msg) {
			t.Errorf("%+v: %v, want %s mentioning %q", c.r, err, c.code, c.msg)
		}
	}
}

func TestDescribeError(t *testing.T) {
	cases := []struct{ name, cause, code, msg string }{
		{"CorruptImage", `{"errorMessage":"The file is not a valid image.","errorType":"CorruptImage"}`, "CorruptImage", "The file is not a valid image."},
		{"ContentTypeMismatch", `{"errorMessage":"sent as image/png but is a image/jpeg image","errorType":"ContentTypeMismatch"}`, "ContentTypeMismatch", "sent as image/png"},
		{"States.Timeout", "", CodeTimeout, "took too long"},
		{"Sandbox.Timedout", "", CodeTimeout, "took too long"},
		{"TransientError", `{"errorMessage":"dial tcp 10.1.2.3:443: i/o timeout"}`, CodeInternal, "problem on our side"},
		{"Runtime.ExitError", "panic: boom goroutine 1 [running]", CodeInternal, "problem on our side"},
	}
	for _, c := range cases {
		f := DescribeError(c.name, c.cause)
		if f.Code != c.code || !strings.Contains(f.Message, c.msg) || strings.Contains(f.Message, "10.1.2.3") || strings.Contains(f.Message, "goroutine") {
			t.Errorf("DescribeError(%s) = %+v", c.name, f)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512 bytes", 2048: "2 KB", 25 << 20: "25 MB", 32715571: "31.2 MB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestKinds pins the split between user rejections, which are only
// counted, and system failures, which page (docs/decisions.md).
func TestKinds(t *testing.T) {
	user := []string{"EmptyFile", "FileTooLarge", "UnsupportedFormat", "CorruptImage", "ImageTooLarge", "ImageTooComplex", "ContentTypeMismatch"}
	system := []string{"Timeout", "InternalError", "InvalidTaskInput", "AccessDenied", "States.Timeout", "TransientError", ""}
	for _, c := range user {
		if KindOf(c) != KindUser {
			t.Errorf("KindOf(%q) = %s, want user", c, KindOf(c))
		}
	}
	for _, c := range system {
		if KindOf(c) != KindSystem {
			t.Errorf("KindOf(%q) = %s, want system", c, KindOf(c))
		}
	}
	permanent := PermanentCodes()
	for _, c := range append(user, CodeInvalidTaskInput) {
		if !slices.Contains(permanent, c) {
			t.Errorf("PermanentCodes() lacks %s: the workflow could retry it", c)
		}
	}
	for _, c := range []string{"Timeout", "InternalError", "TransientError"} {
		if slices.Contains(permanent, c) {
			t.Errorf("PermanentCodes() has %s, which is worth a retry", c)
		}
	}
}

// TestFailedRecordCarriesItsKind: the record says who can act on a failure,
// decided by KindOf even when the caller claimed otherwise.
func TestFailedRecordCarriesItsKind(t *testing.T) {
	for code, want := range map[string]Kind{"CorruptImage": KindUser, CodeContentTypeMismatch: KindUser, CodeTimeout: KindSystem, CodeInternal: KindSystem, "SomethingNew": KindSystem} {
		r, _ := Record{}.Apply(Update{UploadID: NewID(), State: StateFailed, Error: &Failure{Code: code, Message: "m", Kind: "claimed"}}, time.Now())
		if r.Error.Kind != want {
			t.Errorf("%s: kind %q, want %q", code, r.Error.Kind, want)
		}
	}
	if f := DescribeError("States.Timeout", ""); f.Kind != KindSystem {
		t.Errorf("DescribeError(States.Timeout).Kind = %q", f.Kind)
	}
}

// TestRetryStartsTheNextGeneration: a retry moves a terminal record back to
// converting as generation 2, the version keeps counting, and the old
// generation's late updates are ignored.
func TestRetryStartsTheNextGeneration(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	id := NewID()
	g1 := ExecutionName(id, "v1", "")
	g2, _ := RetryExecutionName(g1, 2)
	steps := []struct {
		u       Update
		changed bool
		state   State
		gen     int
	}{
		{Update{UploadID: id, State: StateUploaded, Execution: g1}, true, StateUploaded, 1},
		{Update{UploadID: id, State: StateConverting, Execution: g2}, false, StateUploaded, 1}, // not terminal: nothing to retry
		{Update{UploadID: id, State: StateConverting, Execution: g1}, true, StateConverting, 1},
		{Update{UploadID: id, State: StateFailed, Execution: g1, Error: &Failure{Code: CodeTimeout}}, true, StateFailed, 1},
		{Update{UploadID: id, State: StateSucceeded, Execution: g2}, false, StateFailed, 1}, // a generation starts at converting
		{Update{UploadID: id, State: StateConverting, Execution: g2}, true, StateConverting, 2},
		{Update{UploadID: id, State: StateConverting, Execution: g2}, false, StateConverting, 2},
		{Update{UploadID: id, State: StateFailed, Execution: g1}, false, StateConverting, 2}, // late, from generation 1
		{Update{UploadID: id, State: StateSucceeded, Execution: g2}, true, StateSucceeded, 2},
		{Update{UploadID: id, State: StateConverting, Execution: g2}, false, StateSucceeded, 2},
	}
	var r Record
	for i, s := range steps {
		next, changed := r.Apply(s.u, now.Add(time.Duration(i)*time.Second))
		if changed != s.changed || next.State != s.state || next.Generation != s.gen {
			t.Fatalf("step %d: changed=%v %s gen %d; want %v %s gen %d", i, changed, next.State, next.Generation, s.changed, s.state, s.gen)
		}
		if changed && next.Version != r.Version+1 {
			t.Errorf("step %d: version %d after %d", i, next.Version, r.Version)
		}
		r = next
	}
	if r.Error != nil || r.Execution != g2 || r.Attempt != 1 || !r.ConvertingAt.Equal(now.Add(5*time.Second)) {
		t.Errorf("generation 2 record %+v", r)
	}
}
