package upload

import (
	"reflect"
	"testing"
	"time"
)

// TestEveryStatusTransition is the full table of from → to pairs for the
// status record (docs/decisions.md, "The status record: generations"):
// every stored state, a terminal one included, against every update, in
// the same generation, the next one, a later one and an earlier one. Each
// row spells out the record that must result; none is derived from Apply.
func TestEveryStatusTransition(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	const id = "0123456789abcdef0123456789abcdef"
	ok := []Rendition{{Name: "small", Width: 320, Height: 240, ContentType: "image/jpeg", Bytes: 9, Key: "thumbnails/" + id + "/small.jpg"}}
	bad := &Failure{Code: CodeTimeout, Message: "took too long", Kind: KindSystem}
	rec := func(s State, attempt, gen, version int) Record {
		r := Record{UploadID: id, State: s, Attempt: attempt, Generation: gen, Version: version, CreatedAt: t0, UpdatedAt: t0}
		if s.rank() >= StateConverting.rank() {
			r.ConvertingAt = t0
		}
		switch s {
		case StateSucceeded:
			r.Renditions = ok
		case StateFailed:
			r.Error = bad
		}
		return r
	}
	none := Record{}
	up := func(s State, attempt, gen int) Update {
		u := Update{UploadID: id, State: s, Attempt: attempt, Generation: gen}
		switch s {
		case StateSucceeded:
			u.Renditions = ok
		case StateFailed:
			u.Error = &Failure{Code: "CorruptImage", Message: "not an image"}
		}
		return u
	}
	// want describes the resulting record when changed.
	type want struct {
		state                   State
		attempt, gen, ver, runs int
	}
	// withRuns is r having counted runs real runs of the converter.
	withRuns := func(r Record, runs int) Record { r.Runs = runs; return r }
	// run is the converter's report that a real run began (Update.Run).
	run := func(gen int) Update {
		return Update{UploadID: id, State: StateConverting, Run: true, Generation: gen}
	}
	cases := []struct {
		name    string
		from    Record
		u       Update
		changed bool
		want    want
	}{
		// No record yet: any state may be the first one seen.
		{"none→uploaded", none, up(StateUploaded, 0, 0), true, want{StateUploaded, 0, 1, 1, 0}},
		{"none→converting", none, up(StateConverting, 0, 0), true, want{StateConverting, 1, 1, 1, 0}},
		{"none→retrying(2)", none, up(StateRetrying, 2, 0), true, want{StateRetrying, 2, 1, 1, 0}},
		{"none→succeeded", none, up(StateSucceeded, 0, 0), true, want{StateSucceeded, 0, 1, 1, 0}},
		{"none→failed", none, up(StateFailed, 0, 0), true, want{StateFailed, 0, 1, 1, 0}},

		// Generation 1, forward only.
		{"uploaded→uploaded", rec(StateUploaded, 0, 1, 1), up(StateUploaded, 0, 1), false, want{}},
		{"uploaded→converting", rec(StateUploaded, 0, 1, 1), up(StateConverting, 0, 1), true, want{StateConverting, 1, 1, 2, 0}},
		{"uploaded→retrying(2)", rec(StateUploaded, 0, 1, 1), up(StateRetrying, 2, 1), true, want{StateRetrying, 2, 1, 2, 0}},
		{"uploaded→succeeded", rec(StateUploaded, 0, 1, 1), up(StateSucceeded, 1, 1), true, want{StateSucceeded, 1, 1, 2, 0}},
		{"uploaded→failed", rec(StateUploaded, 0, 1, 1), up(StateFailed, 1, 1), true, want{StateFailed, 1, 1, 2, 0}},

		{"converting→uploaded", rec(StateConverting, 1, 1, 2), up(StateUploaded, 0, 1), false, want{}},
		{"converting→converting(1)", rec(StateConverting, 1, 1, 2), up(StateConverting, 1, 1), false, want{}},
		{"converting→converting(2)", rec(StateConverting, 1, 1, 2), up(StateConverting, 2, 1), true, want{StateConverting, 2, 1, 3, 0}},
		{"converting→retrying(2)", rec(StateConverting, 1, 1, 2), up(StateRetrying, 2, 1), true, want{StateRetrying, 2, 1, 3, 0}},
		{"converting→succeeded", rec(StateConverting, 1, 1, 2), up(StateSucceeded, 1, 1), true, want{StateSucceeded, 1, 1, 3, 0}},
		{"converting→failed", rec(StateConverting, 1, 1, 2), up(StateFailed, 1, 1), true, want{StateFailed, 1, 1, 3, 0}},

		{"retrying(2)→uploaded", rec(StateRetrying, 2, 1, 3), up(StateUploaded, 0, 1), false, want{}},
		{"retrying(2)→converting", rec(StateRetrying, 2, 1, 3), up(StateConverting, 1, 1), false, want{}},
		{"retrying(2)→converting(3)", rec(StateRetrying, 2, 1, 3), up(StateConverting, 3, 1), false, want{}},
		{"retrying(2)→retrying(1)", rec(StateRetrying, 2, 1, 3), up(StateRetrying, 1, 1), false, want{}},
		{"retrying(2)→retrying(2)", rec(StateRetrying, 2, 1, 3), up(StateRetrying, 2, 1), false, want{}},
		{"retrying(2)→retrying(3)", rec(StateRetrying, 2, 1, 3), up(StateRetrying, 3, 1), true, want{StateRetrying, 3, 1, 4, 0}},
		{"retrying(2)→succeeded", rec(StateRetrying, 2, 1, 3), up(StateSucceeded, 2, 1), true, want{StateSucceeded, 2, 1, 4, 0}},
		{"retrying(2)→succeeded(attempt unsaid)", rec(StateRetrying, 2, 1, 3), up(StateSucceeded, 0, 1), true, want{StateSucceeded, 2, 1, 4, 0}},
		{"retrying(2)→failed", rec(StateRetrying, 2, 1, 3), up(StateFailed, 2, 1), true, want{StateFailed, 2, 1, 4, 0}},

		// A terminal record never changes within its generation.
		{"succeeded→uploaded", rec(StateSucceeded, 1, 1, 3), up(StateUploaded, 0, 1), false, want{}},
		{"succeeded→converting", rec(StateSucceeded, 1, 1, 3), up(StateConverting, 1, 1), false, want{}},
		{"succeeded→converting(2)", rec(StateSucceeded, 1, 1, 3), up(StateConverting, 2, 1), false, want{}},
		{"succeeded→retrying(2)", rec(StateSucceeded, 1, 1, 3), up(StateRetrying, 2, 1), false, want{}},
		{"succeeded→succeeded(2)", rec(StateSucceeded, 1, 1, 3), up(StateSucceeded, 2, 1), false, want{}},
		{"succeeded→failed", rec(StateSucceeded, 1, 1, 3), up(StateFailed, 1, 1), false, want{}},
		{"failed→uploaded", rec(StateFailed, 1, 1, 3), up(StateUploaded, 0, 1), false, want{}},
		{"failed→converting", rec(StateFailed, 1, 1, 3), up(StateConverting, 1, 1), false, want{}},
		{"failed→retrying(2)", rec(StateFailed, 1, 1, 3), up(StateRetrying, 2, 1), false, want{}},
		{"failed→succeeded", rec(StateFailed, 1, 1, 3), up(StateSucceeded, 1, 1), false, want{}},
		{"failed→failed(2)", rec(StateFailed, 1, 1, 3), up(StateFailed, 2, 1), false, want{}},
		// Generation 0 in the update means the record's own generation.
		{"succeeded→converting(gen unsaid)", rec(StateSucceeded, 1, 1, 3), up(StateConverting, 1, 0), false, want{}},

		// The next generation starts only after a terminal state, and only
		// at converting; the version keeps counting.
		{"g1 uploaded→g2 converting", rec(StateUploaded, 0, 1, 1), up(StateConverting, 1, 2), false, want{}},
		{"g1 converting→g2 converting", rec(StateConverting, 1, 1, 2), up(StateConverting, 1, 2), false, want{}},
		{"g1 retrying→g2 converting", rec(StateRetrying, 2, 1, 3), up(StateConverting, 1, 2), false, want{}},
		{"g1 succeeded→g2 converting", rec(StateSucceeded, 2, 1, 4), up(StateConverting, 1, 2), true, want{StateConverting, 1, 2, 5, 0}},
		{"g1 failed→g2 converting", rec(StateFailed, 4, 1, 6), up(StateConverting, 1, 2), true, want{StateConverting, 1, 2, 7, 0}},
		{"g1 failed→g2 uploaded", rec(StateFailed, 1, 1, 3), up(StateUploaded, 0, 2), false, want{}},
		{"g1 failed→g2 retrying", rec(StateFailed, 1, 1, 3), up(StateRetrying, 2, 2), false, want{}},
		{"g1 failed→g2 succeeded", rec(StateFailed, 1, 1, 3), up(StateSucceeded, 1, 2), false, want{}},
		{"g1 failed→g2 failed", rec(StateFailed, 1, 1, 3), up(StateFailed, 1, 2), false, want{}},
		{"g1 succeeded→g2 succeeded", rec(StateSucceeded, 1, 1, 3), up(StateSucceeded, 1, 2), false, want{}},
		// A record stored before generations existed is generation 1.
		{"g0 failed→g2 converting", rec(StateFailed, 1, 0, 3), up(StateConverting, 1, 2), true, want{StateConverting, 1, 2, 4, 0}},
		{"g0 failed→g1 converting", rec(StateFailed, 1, 0, 3), up(StateConverting, 1, 1), false, want{}},
		// A retry of a retry that skipped a generation's record still
		// starts from a terminal state only.
		{"g1 failed→g3 converting", rec(StateFailed, 1, 1, 3), up(StateConverting, 1, 3), true, want{StateConverting, 1, 3, 4, 0}},
		{"g1 retrying→g3 converting", rec(StateRetrying, 2, 1, 3), up(StateConverting, 1, 3), false, want{}},
		// No record at all: a later generation's step has nothing to restart.
		{"none→g2 converting", none, up(StateConverting, 1, 2), false, want{}},

		// Generation 2 under way: generation 1's late updates are refused.
		{"g2 converting←g1 uploaded", rec(StateConverting, 1, 2, 5), up(StateUploaded, 0, 1), false, want{}},
		{"g2 converting←g1 retrying(3)", rec(StateConverting, 1, 2, 5), up(StateRetrying, 3, 1), false, want{}},
		{"g2 converting←g1 succeeded", rec(StateConverting, 1, 2, 5), up(StateSucceeded, 1, 1), false, want{}},
		{"g2 converting←g1 failed", rec(StateConverting, 1, 2, 5), up(StateFailed, 1, 1), false, want{}},
		{"g2 converting→g2 retrying(2)", rec(StateConverting, 1, 2, 5), up(StateRetrying, 2, 2), true, want{StateRetrying, 2, 2, 6, 0}},
		{"g2 converting→g2 succeeded", rec(StateConverting, 1, 2, 5), up(StateSucceeded, 1, 2), true, want{StateSucceeded, 1, 2, 6, 0}},
		{"g2 converting→g2 failed", rec(StateConverting, 1, 2, 5), up(StateFailed, 1, 2), true, want{StateFailed, 1, 2, 6, 0}},
		{"g2 converting→(gen unsaid) succeeded", rec(StateConverting, 1, 2, 5), up(StateSucceeded, 1, 0), true, want{StateSucceeded, 1, 2, 6, 0}},
		{"g2 succeeded←g1 converting", rec(StateSucceeded, 1, 2, 6), up(StateConverting, 1, 1), false, want{}},
		{"g2 succeeded←g1 failed", rec(StateSucceeded, 1, 2, 6), up(StateFailed, 1, 1), false, want{}},
		{"g2 succeeded→g2 converting", rec(StateSucceeded, 1, 2, 6), up(StateConverting, 1, 2), false, want{}},
		{"g2 succeeded→g3 converting", rec(StateSucceeded, 1, 2, 6), up(StateConverting, 1, 3), true, want{StateConverting, 1, 3, 7, 0}},
		{"g2 failed→g3 converting", rec(StateFailed, 4, 2, 9), up(StateConverting, 1, 3), true, want{StateConverting, 1, 3, 10, 0}},
		// Run updates: the converter counts each real run; the first shows
		// as converting (attempt 1), every later one as retrying with
		// attempt = runs. Throttled tries send none, so they never count.
		{"none→run", none, run(0), true, want{StateConverting, 1, 1, 1, 1}},
		{"uploaded→run", rec(StateUploaded, 0, 1, 1), run(1), true, want{StateConverting, 1, 1, 2, 1}},
		{"converting→run (first run)", rec(StateConverting, 1, 1, 2), run(1), true, want{StateConverting, 1, 1, 3, 1}},
		{"converting runs 1→run (second run)", withRuns(rec(StateConverting, 1, 1, 3), 1), run(1), true, want{StateRetrying, 2, 1, 4, 2}},
		{"retrying(2) runs 2→run (third run)", withRuns(rec(StateRetrying, 2, 1, 4), 2), run(1), true, want{StateRetrying, 3, 1, 5, 3}},
		{"converting runs 1→run (gen unsaid)", withRuns(rec(StateConverting, 1, 1, 3), 1), run(0), true, want{StateRetrying, 2, 1, 4, 2}},
		// A record that an older converter moved to retrying(2) from
		// $$.State.RetryCount never moves back, nor does its attempt.
		{"retrying(2) runs 0→run", rec(StateRetrying, 2, 1, 3), run(1), true, want{StateRetrying, 2, 1, 4, 1}},
		{"converting runs 1→converting(1)", withRuns(rec(StateConverting, 1, 1, 3), 1), up(StateConverting, 1, 1), false, want{}},
		{"retrying(2) runs 2→succeeded", withRuns(rec(StateRetrying, 2, 1, 4), 2), up(StateSucceeded, 0, 1), true, want{StateSucceeded, 2, 1, 5, 2}},
		{"retrying(2) runs 2→failed", withRuns(rec(StateRetrying, 2, 1, 4), 2), up(StateFailed, 0, 1), true, want{StateFailed, 2, 1, 5, 2}},
		// A run update after a terminal state is refused.
		{"succeeded→run", withRuns(rec(StateSucceeded, 1, 1, 3), 1), run(1), false, want{}},
		{"failed→run", withRuns(rec(StateFailed, 2, 1, 5), 2), run(1), false, want{}},
		{"failed→run (gen unsaid)", withRuns(rec(StateFailed, 2, 1, 5), 2), run(0), false, want{}},
		// Across generations: runs restart at generation n+1.
		{"g1 failed runs 3→g2 converting", withRuns(rec(StateFailed, 3, 1, 7), 3), up(StateConverting, 1, 2), true, want{StateConverting, 1, 2, 8, 0}},
		{"g2 converting runs 0→g2 run", rec(StateConverting, 1, 2, 8), run(2), true, want{StateConverting, 1, 2, 9, 1}},
		{"g2 converting runs 1→g2 run", withRuns(rec(StateConverting, 1, 2, 9), 1), run(2), true, want{StateRetrying, 2, 2, 10, 2}},
		{"g1 failed runs 3→g2 run", withRuns(rec(StateFailed, 3, 1, 7), 3), run(2), true, want{StateConverting, 1, 2, 8, 1}},
		{"g1 converting→g2 run", withRuns(rec(StateConverting, 1, 1, 3), 1), run(2), false, want{}},
		{"g2 converting←g1 run", withRuns(rec(StateConverting, 1, 2, 9), 1), run(1), false, want{}},
		{"none→g2 run", none, run(2), false, want{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := c.from
			next, changed := c.from.Apply(c.u, now)
			if !reflect.DeepEqual(c.from, before) {
				t.Fatalf("Apply changed its receiver: %+v", c.from)
			}
			if changed != c.changed {
				t.Fatalf("changed = %v, want %v: %+v", changed, c.changed, next)
			}
			if !changed {
				if !reflect.DeepEqual(next, c.from) {
					t.Errorf("refused update still altered the record:\n got %+v\nwant %+v", next, c.from)
				}
				return
			}
			w := c.want
			if next.State != w.state || next.Attempt != w.attempt || next.Generation != w.gen || next.Version != w.ver || next.Runs != w.runs {
				t.Fatalf("got %s attempt %d generation %d version %d runs %d; want %s attempt %d generation %d version %d runs %d",
					next.State, next.Attempt, next.Generation, next.Version, next.Runs, w.state, w.attempt, w.gen, w.ver, w.runs)
			}
			if next.UploadID != id || !next.UpdatedAt.Equal(now) {
				t.Errorf("uploadId %q updatedAt %v", next.UploadID, next.UpdatedAt)
			}
			if c.from.UploadID == "" {
				if !next.CreatedAt.Equal(now) {
					t.Errorf("first record createdAt %v, want %v", next.CreatedAt, now)
				}
			} else if !next.CreatedAt.Equal(t0) {
				t.Errorf("createdAt moved to %v", next.CreatedAt)
			}
			switch next.State {
			case StateFailed:
				if next.Error == nil || next.Error.Code != "CorruptImage" || next.Error.Kind != KindUser || next.Renditions != nil {
					t.Errorf("failed record error %+v renditions %v", next.Error, next.Renditions)
				}
			case StateSucceeded:
				if next.Error != nil || !reflect.DeepEqual(next.Renditions, ok) {
					t.Errorf("succeeded record error %+v renditions %v", next.Error, next.Renditions)
				}
			default:
				if next.Error != nil || next.Renditions != nil {
					t.Errorf("%s record keeps error %+v renditions %v", next.State, next.Error, next.Renditions)
				}
			}
			// ConvertingAt is when this generation started converting.
			wantConv := time.Time{}
			switch {
			case next.Generation != max(c.from.Generation, 1):
				wantConv = now
			case next.State == StateUploaded:
			case c.from.ConvertingAt.IsZero():
				wantConv = now
			default:
				wantConv = c.from.ConvertingAt
			}
			if !next.ConvertingAt.Equal(wantConv) {
				t.Errorf("convertingAt %v, want %v", next.ConvertingAt, wantConv)
			}
		})
	}
}
