package asl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ohler55/ojg/oj"
)

// ValidationError lists every problem found in a definition, each tied to
// the state it concerns, so a developer can fix them all in one pass as with
// AWS's own validation.
type ValidationError struct {
	Problems []Problem
}

// Problem is one validation finding. State is empty for top-level problems.
type Problem struct {
	State   string
	Message string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid state machine definition: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.State != "" {
			fmt.Fprintf(&b, "state %q: ", p.State)
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

type checker struct {
	problems []Problem
}

func (c *checker) add(st, format string, a ...any) {
	c.problems = append(c.problems, Problem{State: st, Message: fmt.Sprintf(format, a...)})
}

// Parse reads and validates a JSONPath ASL definition. Definitions that use
// JSONata are refused, since evaluating them is not supported yet.
func Parse(definition []byte) (*Machine, error) {
	raw, err := oj.Parse(definition)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{{Message: fmt.Sprintf("the definition is not valid JSON: %v", err)}}}
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, &ValidationError{Problems: []Problem{{Message: "the definition must be a JSON object"}}}
	}
	c := &checker{}
	if ql, ok := top["QueryLanguage"]; ok {
		if ql == "JSONata" {
			return nil, &ValidationError{Problems: []Problem{{Message: "QueryLanguage JSONata is not supported by the local Step Functions engine yet; use JSONPath"}}}
		}
		if ql != "JSONPath" {
			c.add("", "QueryLanguage must be JSONPath or JSONata, not %v", ql)
		}
	}
	for k := range top {
		switch k {
		case "StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage":
		default:
			c.add("", "the field %q is not supported by Step Functions", k)
		}
	}
	m := &Machine{}
	if v, ok := top["TimeoutSeconds"]; ok {
		n, ok := toInt(v)
		if !ok || n <= 0 {
			c.add("", "TimeoutSeconds must be a positive integer")
		}
		m.timeoutSeconds = n
	}
	if v, ok := top["Version"]; ok && v != "1.0" {
		c.add("", "Version must be \"1.0\"")
	}
	m.root = c.graph(top, "", false)
	if len(c.problems) > 0 {
		return nil, &ValidationError{Problems: c.problems}
	}
	return m, nil
}

func (c *checker) graph(obj map[string]any, owner string, inMap bool) *graph {
	g := &graph{states: map[string]*state{}}
	start, ok := obj["StartAt"].(string)
	if !ok {
		c.add(owner, "StartAt is missing or not a string")
	}
	g.startAt = start
	states, ok := obj["States"].(map[string]any)
	if !ok || len(states) == 0 {
		c.add(owner, "States is missing or empty")
		return g
	}
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		so, ok := states[n].(map[string]any)
		if !ok {
			c.add(n, "the state must be a JSON object")
			continue
		}
		if len(n) > 80 {
			c.add(n, "state names must be at most 80 characters")
		}
		g.states[n] = c.state(n, so, inMap)
	}
	if _, ok := g.states[start]; !ok && start != "" {
		c.add(owner, "StartAt refers to the undefined state %q", start)
	}
	// Transitions and reachability.
	reach := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		if reach[n] {
			return
		}
		s, ok := g.states[n]
		if !ok {
			return
		}
		reach[n] = true
		for _, t := range s.targets() {
			visit(t)
		}
	}
	visit(start)
	for _, n := range names {
		s := g.states[n]
		if s == nil {
			continue
		}
		for _, t := range s.targets() {
			if _, ok := g.states[t]; !ok {
				c.add(n, "the transition target %q is not defined (MISSING_TRANSITION_TARGET)", t)
			}
		}
		if !reach[n] && start != "" {
			c.add(n, "the state is not reachable from StartAt (UNREACHABLE_STATE)")
		}
	}
	return g
}

func (s *state) targets() []string {
	var t []string
	if s.next != "" {
		t = append(t, s.next)
	}
	if s.defaultNext != "" {
		t = append(t, s.defaultNext)
	}
	for _, ch := range s.choices {
		t = append(t, ch.next)
	}
	for _, ct := range s.catch {
		t = append(t, ct.next)
	}
	return t
}
