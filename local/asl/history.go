package asl

import (
	"encoding/json"
	"fmt"
)

// emit records an event in this thread and makes it the thread's latest.
func (t *thread) emit(typ string, details map[string]any, c *cp) (int64, error) {
	return t.emitPrev(typ, t.prev, details, c, true)
}

// emitForce records even when the context is done (terminal events).
func (t *thread) emitForce(typ string, details map[string]any, c *cp) (int64, error) {
	return t.emit(typ, details, c)
}

func (t *thread) emitPrev(typ string, prev int64, details map[string]any, c *cp, advance bool) (int64, error) {
	if t.silent {
		return 0, nil
	}
	r := t.r
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastID++
	ev := Event{
		ID:              r.lastID,
		PreviousEventID: prev,
		Type:            typ,
		Timestamp:       r.clock.Now(),
		Details:         details,
	}
	if details != nil {
		ev.DetailsField = detailsField(typ)
	}
	if advance {
		t.prev = ev.ID
	}
	if r.opts.Record != nil {
		// Every event but the terminal ones carries a checkpoint, so the
		// last checkpoint a caller persisted is always that of its last
		// persisted event and resumed ids never repeat. Events inside a
		// state (task progress, branch and iteration events) resume by
		// re-running that top-level state.
		var use *cp
		switch {
		case c != nil && t.top:
			c.LastID = ev.ID
			c.Prev = t.prev
			if c.Vars == nil && len(t.vars.m) > 0 {
				c.Vars = t.vars.m
			}
			r.cur = c
			use = c
		case r.cur != nil && !terminalEvent(typ):
			cc := *r.cur
			cc.LastID = ev.ID
			use = &cc
		}
		var raw Checkpoint
		if use != nil {
			b, err := json.Marshal(use)
			if err != nil {
				return 0, fmt.Errorf("checkpoint: %w", err)
			}
			raw = b
		}
		if err := r.opts.Record(ev, raw); err != nil {
			return 0, err
		}
	}
	return ev.ID, nil
}

func terminalEvent(typ string) bool {
	switch typ {
	case "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut":
		return true
	}
	return false
}

func (t *thread) lastID() int64 {
	t.r.mu.Lock()
	defer t.r.mu.Unlock()
	return t.r.lastID
}

func (r *runner) lastIDNext() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastID + 1
}

func enteredDetails(s *state, input any) map[string]any {
	return map[string]any{"name": s.name, "input": jsonText(input), "inputDetails": truncated()}
}
