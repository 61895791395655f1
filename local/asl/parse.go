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
// Code and Location are what AWS's validation reports: a diagnostic code
// such as SCHEMA_VALIDATION_FAILED and a JSON pointer into the definition
// such as /States/Convert or /States/Fanout/Branches/0/States/Resize.
type Problem struct {
	State    string
	Message  string
	Code     string
	Location string
}

// Problem codes, from AWS's list of ValidateStateMachineDefinition
// diagnostics.
const (
	CodeSchema            = "SCHEMA_VALIDATION_FAILED"
	CodeInvalidJSON       = "INVALID_JSON_DESCRIPTION"
	CodeMissingTransition = "MISSING_TRANSITION_TARGET"
	CodeUnreachable       = "UNREACHABLE_STATE"
	CodeInvalidResource   = "INVALID_RESOURCE"
)

// AWS renders the problem as AWS does in an InvalidDefinition message:
// "SCHEMA_VALIDATION_FAILED: <message> at /States/<state>".
func (p Problem) AWS() string {
	if p.Location == "" {
		return p.Code + ": " + p.Message
	}
	return p.Code + ": " + p.Message + " at " + p.Location
}

// AWS renders every problem as AWS's InvalidDefinition message lists
// them, separated by commas.
func (e *ValidationError) AWS() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.AWS()
	}
	return strings.Join(parts, ", ")
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
	// base is the JSON pointer of the graph being checked: "" for the
	// top level, /States/P/Branches/0 inside a Parallel branch.
	base string
	// jsonata is the definition's default query language: true when its
	// top level says QueryLanguage JSONata.
	jsonata bool
}

// add reports a schema problem of state st ("": the graph itself).
func (c *checker) add(st, format string, a ...any) {
	c.addCode(st, CodeSchema, "", format, a...)
}

// addCode reports a problem with its code, at the state's field when
// field is set.
func (c *checker) addCode(st, code, field, format string, a ...any) {
	loc := c.base
	if st != "" {
		loc += "/States/" + pointerEscape(st)
	}
	if field != "" {
		loc += "/" + field
	}
	if loc == "" {
		loc = "/"
	}
	c.problems = append(c.problems, Problem{State: st, Message: fmt.Sprintf(format, a...), Code: code, Location: loc})
}

// pointerEscape escapes a JSON pointer token (RFC 6901).
func pointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// nested checks a graph nested at the pointer at (a branch or an item
// processor), with its problems located inside it.
func (c *checker) nested(at string, obj map[string]any, owner string, inMap bool) *graph {
	saved := c.base
	c.base = at
	defer func() { c.base = saved }()
	return c.graph(obj, owner, inMap)
}

// loc is the JSON pointer of state st in the graph being checked.
func (c *checker) loc(st string) string {
	return c.base + "/States/" + pointerEscape(st)
}

// Parse reads and validates an ASL definition, in either query language:
// QueryLanguage at the top sets the default (JSONPath), and any state may
// choose the other.
func Parse(definition []byte) (*Machine, error) {
	raw, err := oj.Parse(definition)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{{Message: fmt.Sprintf("the definition is not valid JSON: %v", err), Code: CodeInvalidJSON}}}
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, &ValidationError{Problems: []Problem{{Message: "the definition must be a JSON object", Code: CodeSchema, Location: "/"}}}
	}
	c := &checker{}
	if ql, ok := top["QueryLanguage"]; ok {
		switch ql {
		case "JSONata":
			c.jsonata = true
		case "JSONPath":
		default:
			c.add("", "QueryLanguage must be JSONPath or JSONata, not %v", ql)
		}
	}
	for k := range top {
		switch k {
		case "StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage":
		default:
			c.add("", "The field %q is not supported by Step Functions", k)
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
		c.addCode("", CodeSchema, "StartAt", "StartAt is missing or not a string")
	}
	g.startAt = start
	states, ok := obj["States"].(map[string]any)
	if !ok || len(states) == 0 {
		c.addCode("", CodeSchema, "States", "States is missing or empty")
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
		c.addCode("", CodeMissingTransition, "StartAt", "Missing 'Next' target: %s", start)
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
				c.addCode(n, CodeMissingTransition, "", "Missing 'Next' target: %s", t)
			}
		}
		if !reach[n] && start != "" {
			c.addCode(n, CodeUnreachable, "", "State %q is not reachable.", n)
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
