package asl

import (
	"fmt"
	"sort"
	"strings"
	"time"

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

// Machine is a parsed, validated state machine. It is immutable and may run
// any number of executions concurrently.
type Machine struct {
	root           *graph
	timeoutSeconds int64
}

type graph struct {
	startAt string
	states  map[string]*state
}

type optPath struct {
	set  bool
	null bool
	p    *path
}

type state struct {
	name, typ  string
	next       string
	end        bool
	inputPath  optPath
	outputPath optPath
	resultPath optPath

	parameters     *tmpl
	resultSelector *tmpl
	itemSelector   *tmpl
	assign         *tmpl
	result         any
	hasResult      bool

	// Task
	resource         string
	timeoutSeconds   int64
	heartbeatSeconds int64
	timeoutPath      *path
	heartbeatPath    *path
	retry            []*retrier
	catch            []*catcher

	// Choice
	choices     []*choiceRule
	defaultNext string

	// Wait
	seconds       *int64
	timestamp     string
	secondsPath   *path
	timestampPath *path

	// Fail
	errorStr, causeStr   *string
	errorPath, causePath *tmpl

	// Parallel
	branches []*graph

	// Map
	processor           *graph
	distributed         bool
	itemsPath           *path
	maxConcurrency      int64
	maxConcurrencyPath  *path
	tolCount            *int64
	tolCountPath        *path
	tolPercent          *float64
	tolPercentPath      *path
	hasItemReader       bool
	legacyParametersMap bool
}

type retrier struct {
	errorEquals []string
	interval    float64
	maxAttempts int64
	backoff     float64
	maxDelay    float64
	hasMaxDelay bool
	jitterFull  bool
}

type catcher struct {
	errorEquals []string
	resultPath  optPath
	next        string
	assign      *tmpl
}

// tmpl is a compiled payload template (Parameters, ResultSelector,
// ItemSelector, Assign): literals with "key.$" fields holding paths or
// intrinsic functions.
type tmpl struct {
	lit    any
	fields []tfield
	items  []*tmpl
	kind   int
	path   *path
	call   *call
	field  string // "key.$", for error messages
}

const (
	tLit = iota
	tObj
	tArr
	tPath
	tCall
)

type tfield struct {
	key string
	t   *tmpl
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

var allowedFields = map[string][]string{
	"Pass":     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign"},
	"Task":     {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Retry", "Catch", "Credentials", "Assign"},
	"Choice":   {"InputPath", "OutputPath", "Choices", "Default", "Assign"},
	"Wait":     {"Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"},
	"Succeed":  {"InputPath", "OutputPath"},
	"Fail":     {"Error", "Cause", "ErrorPath", "CausePath"},
	"Parallel": {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Branches", "Retry", "Catch", "Assign"},
	"Map": {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Iterator", "ItemProcessor", "ItemsPath", "ItemSelector",
		"ItemReader", "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath",
		"ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label", "Retry", "Catch", "Assign"},
}

func (c *checker) state(name string, o map[string]any, inMap bool) *state {
	s := &state{name: name}
	typ, _ := o["Type"].(string)
	s.typ = typ
	allowed, ok := allowedFields[typ]
	if !ok {
		c.add(name, "the state type %q is not valid", o["Type"])
		return s
	}
	if ql, ok := o["QueryLanguage"]; ok {
		if ql == "JSONata" {
			c.add(name, "QueryLanguage JSONata is not supported by the local Step Functions engine yet; use JSONPath")
		} else if ql != "JSONPath" {
			c.add(name, "QueryLanguage must be JSONPath or JSONata")
		}
	}
	for k := range o {
		if k == "Type" || k == "Comment" || k == "QueryLanguage" {
			continue
		}
		found := false
		for _, a := range allowed {
			if a == k {
				found = true
				break
			}
		}
		if !found {
			c.add(name, "the field %q is not supported for %s states", k, typ)
		}
	}
	str := func(k string) (string, bool) {
		v, ok := o[k]
		if !ok {
			return "", false
		}
		sv, ok := v.(string)
		if !ok {
			c.add(name, "%s must be a string", k)
		}
		return sv, ok
	}
	pathField := func(k string) *path {
		v, ok := str(k)
		if !ok {
			return nil
		}
		p, err := compilePath(v)
		if err != nil {
			c.add(name, "%s: %v", k, err)
		}
		return p
	}
	opt := func(k string, reference bool) optPath {
		v, ok := o[k]
		if !ok {
			return optPath{}
		}
		if v == nil {
			return optPath{set: true, null: true}
		}
		sv, ok := v.(string)
		if !ok {
			c.add(name, "%s must be a string or null", k)
			return optPath{}
		}
		p, err := compilePath(sv)
		if err != nil {
			c.add(name, "%s: %v", k, err)
			return optPath{}
		}
		if reference && (!p.definite || p.ctx || p.varName != "") {
			c.add(name, "%s must be a reference path (a definite path into the state's data), not %q", k, sv)
		}
		return optPath{set: true, p: p}
	}
	tmplField := func(k string) *tmpl {
		v, ok := o[k]
		if !ok {
			return nil
		}
		t, err := compileTmpl(v, "")
		if err != nil {
			c.add(name, "%s: %v", k, err)
		}
		return t
	}
	intField := func(k string) *int64 {
		v, ok := o[k]
		if !ok {
			return nil
		}
		n, ok := toInt(v)
		if !ok {
			c.add(name, "%s must be an integer", k)
			return nil
		}
		return &n
	}

	// Transitions.
	if typ != "Choice" && typ != "Succeed" && typ != "Fail" {
		next, hasNext := str("Next")
		end, _ := o["End"].(bool)
		if _, ok := o["End"]; ok {
			if _, isBool := o["End"].(bool); !isBool {
				c.add(name, "End must be a boolean")
			}
		}
		switch {
		case hasNext && end:
			c.add(name, "Next and End cannot both be set")
		case !hasNext && !end:
			c.add(name, "the state has neither Next nor End: true (MISSING_TRANSITION_TARGET)")
		}
		s.next, s.end = next, end
	}
	s.inputPath = opt("InputPath", false)
	s.outputPath = opt("OutputPath", false)
	s.resultPath = opt("ResultPath", true)
	s.parameters = tmplField("Parameters")
	s.resultSelector = tmplField("ResultSelector")
	s.itemSelector = tmplField("ItemSelector")
	if a, ok := o["Assign"]; ok {
		if _, isObj := a.(map[string]any); !isObj {
			c.add(name, "Assign must be a JSON object")
		}
		s.assign = tmplField("Assign")
	}
	if r, ok := o["Result"]; ok {
		s.result, s.hasResult = r, true
	}

	switch typ {
	case "Task":
		s.resource, _ = str("Resource")
		if s.resource == "" {
			c.add(name, "Resource is required for Task states")
		} else if !supportedResource(s.resource) {
			c.add(name, "the resource %q is not supported by the local engine (only Lambda functions and arn:aws:states:::lambda:invoke)", s.resource)
		}
		if n := intField("TimeoutSeconds"); n != nil {
			if *n <= 0 {
				c.add(name, "TimeoutSeconds must be positive")
			}
			s.timeoutSeconds = *n
		}
		if n := intField("HeartbeatSeconds"); n != nil {
			if *n <= 0 {
				c.add(name, "HeartbeatSeconds must be positive")
			}
			s.heartbeatSeconds = *n
		}
		if s.heartbeatSeconds > 0 && s.timeoutSeconds > 0 && s.heartbeatSeconds >= s.timeoutSeconds {
			c.add(name, "HeartbeatSeconds must be smaller than TimeoutSeconds")
		}
		s.timeoutPath = pathField("TimeoutSecondsPath")
		s.heartbeatPath = pathField("HeartbeatSecondsPath")
	case "Choice":
		list, ok := o["Choices"].([]any)
		if !ok || len(list) == 0 {
			c.add(name, "Choices must be a non-empty array")
		}
		for i, r := range list {
			rule, err := compileChoice(r, true)
			if err != nil {
				c.add(name, "Choices[%d]: %v", i, err)
				continue
			}
			s.choices = append(s.choices, rule)
		}
		s.defaultNext, _ = str("Default")
	case "Wait":
		n := 0
		if v := intField("Seconds"); v != nil {
			if *v < 0 {
				c.add(name, "Seconds must not be negative")
			}
			s.seconds = v
			n++
		}
		if ts, ok := str("Timestamp"); ok {
			if _, err := parseTimestamp(ts); err != nil {
				c.add(name, "Timestamp %q is not an ISO-8601 extended offset date-time", ts)
			}
			s.timestamp = ts
			n++
		}
		if s.secondsPath = pathField("SecondsPath"); s.secondsPath != nil {
			n++
		}
		if s.timestampPath = pathField("TimestampPath"); s.timestampPath != nil {
			n++
		}
		if n != 1 {
			c.add(name, "exactly one of Seconds, Timestamp, SecondsPath or TimestampPath is required")
		}
	case "Fail":
		if v, ok := str("Error"); ok {
			s.errorStr = &v
		}
		if v, ok := str("Cause"); ok {
			s.causeStr = &v
		}
		for _, k := range []string{"ErrorPath", "CausePath"} {
			v, ok := str(k)
			if !ok {
				continue
			}
			var t *tmpl
			if isIntrinsic(v) {
				call, err := parseIntrinsic(v)
				if err != nil {
					c.add(name, "%s: %v", k, err)
					continue
				}
				t = &tmpl{kind: tCall, call: call, field: k}
			} else {
				p, err := compilePath(v)
				if err != nil {
					c.add(name, "%s: %v", k, err)
					continue
				}
				t = &tmpl{kind: tPath, path: p, field: k}
			}
			if k == "ErrorPath" {
				s.errorPath = t
			} else {
				s.causePath = t
			}
		}
		if s.errorStr != nil && s.errorPath != nil || s.causeStr != nil && s.causePath != nil {
			c.add(name, "Error/ErrorPath and Cause/CausePath are mutually exclusive")
		}
	case "Parallel":
		list, ok := o["Branches"].([]any)
		if !ok || len(list) == 0 {
			c.add(name, "Branches must be a non-empty array")
		}
		for _, b := range list {
			bo, ok := b.(map[string]any)
			if !ok {
				c.add(name, "each branch must be a JSON object")
				continue
			}
			s.branches = append(s.branches, c.graph(bo, name, inMap))
		}
	case "Map":
		proc, ok := o["ItemProcessor"].(map[string]any)
		if !ok {
			proc, ok = o["Iterator"].(map[string]any)
		}
		if !ok {
			c.add(name, "ItemProcessor (or Iterator) is required for Map states")
		} else {
			if pc, ok := proc["ProcessorConfig"].(map[string]any); ok {
				if pc["Mode"] == "DISTRIBUTED" {
					s.distributed = true
				}
			}
			inner := map[string]any{}
			for k, v := range proc {
				if k != "ProcessorConfig" {
					inner[k] = v
				}
			}
			s.processor = c.graph(inner, name, true)
		}
		if _, ok := o["ItemReader"]; ok {
			s.hasItemReader = true
			c.add(name, "ItemReader is not supported by the local engine")
		}
		s.itemsPath = pathField("ItemsPath")
		if s.itemSelector == nil && s.parameters != nil {
			s.itemSelector, s.parameters = s.parameters, nil
			s.legacyParametersMap = true
		}
		if v := intField("MaxConcurrency"); v != nil {
			if *v < 0 {
				c.add(name, "MaxConcurrency must not be negative")
			}
			s.maxConcurrency = *v
		}
		s.maxConcurrencyPath = pathField("MaxConcurrencyPath")
		s.tolCount = intField("ToleratedFailureCount")
		s.tolCountPath = pathField("ToleratedFailureCountPath")
		if v, ok := o["ToleratedFailurePercentage"]; ok {
			f, ok := toFloat(v)
			if !ok || f < 0 || f > 100 {
				c.add(name, "ToleratedFailurePercentage must be a number between 0 and 100")
			}
			s.tolPercent = &f
		}
		s.tolPercentPath = pathField("ToleratedFailurePercentagePath")
	}

	if typ == "Task" || typ == "Parallel" || typ == "Map" {
		s.retry = compileList(c, name, o, "Retry", compileRetrier)
		s.catch = compileList(c, name, o, "Catch", compileCatcher)
		checkALLLast(c, name, "Retry", func() [][]string {
			var r [][]string
			for _, x := range s.retry {
				r = append(r, x.errorEquals)
			}
			return r
		}())
		checkALLLast(c, name, "Catch", func() [][]string {
			var r [][]string
			for _, x := range s.catch {
				r = append(r, x.errorEquals)
			}
			return r
		}())
	}
	return s
}

func checkALLLast(c *checker, name, field string, lists [][]string) {
	for i, l := range lists {
		for _, e := range l {
			if e == "States.ALL" && (len(l) != 1 || i != len(lists)-1) {
				c.add(name, "%s: States.ALL must appear alone in the last retrier or catcher", field)
				return
			}
		}
	}
}

func supportedResource(r string) bool {
	if r == "arn:aws:states:::lambda:invoke" {
		return true
	}
	return strings.HasPrefix(r, "arn:") && strings.Contains(r, ":lambda:") && strings.Contains(r, ":function:")
}

func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("ErrorEquals must be a non-empty array of strings")
	}
	out := make([]string, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("ErrorEquals must be a non-empty array of strings")
		}
		out[i] = s
	}
	return out, nil
}

// compileList compiles the array field of state name with compileOne,
// reporting each bad element (and a field that is not an array) and
// keeping the good ones.
func compileList[T any](c *checker, name string, o map[string]any, field string, compileOne func(any) (T, error)) []T {
	v, present := o[field]
	if !present {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		c.add(name, "%s must be an array", field)
		return nil
	}
	var out []T
	for i, e := range list {
		x, err := compileOne(e)
		if err != nil {
			c.add(name, "%s[%d]: %v", field, i, err)
			continue
		}
		out = append(out, x)
	}
	return out
}

func compileRetrier(v any) (*retrier, error) {
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a retrier must be a JSON object")
	}
	r := &retrier{interval: 1, maxAttempts: 3, backoff: 2}
	for k, x := range o {
		switch k {
		case "ErrorEquals":
			l, err := stringList(x)
			if err != nil {
				return nil, err
			}
			r.errorEquals = l
		case "IntervalSeconds":
			n, ok := toInt(x)
			if !ok || n < 1 {
				return nil, fmt.Errorf("IntervalSeconds must be a positive integer")
			}
			r.interval = float64(n)
		case "MaxAttempts":
			n, ok := toInt(x)
			if !ok || n < 0 {
				return nil, fmt.Errorf("MaxAttempts must be a non-negative integer")
			}
			r.maxAttempts = n
		case "BackoffRate":
			f, ok := toFloat(x)
			if !ok || f < 1 {
				return nil, fmt.Errorf("BackoffRate must be a number not less than 1.0")
			}
			r.backoff = f
		case "MaxDelaySeconds":
			n, ok := toInt(x)
			if !ok || n < 1 {
				return nil, fmt.Errorf("MaxDelaySeconds must be a positive integer")
			}
			r.maxDelay, r.hasMaxDelay = float64(n), true
		case "JitterStrategy":
			switch x {
			case "FULL":
				r.jitterFull = true
			case "NONE":
			default:
				return nil, fmt.Errorf("JitterStrategy must be FULL or NONE")
			}
		case "Comment":
		default:
			return nil, fmt.Errorf("the field %q is not supported in a retrier", k)
		}
	}
	if r.errorEquals == nil {
		return nil, fmt.Errorf("ErrorEquals is required")
	}
	return r, nil
}

func compileCatcher(v any) (*catcher, error) {
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a catcher must be a JSON object")
	}
	ct := &catcher{}
	for k, x := range o {
		switch k {
		case "ErrorEquals":
			l, err := stringList(x)
			if err != nil {
				return nil, err
			}
			ct.errorEquals = l
		case "Next":
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("Next must be a string")
			}
			ct.next = s
		case "ResultPath":
			if x == nil {
				ct.resultPath = optPath{set: true, null: true}
				continue
			}
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("ResultPath must be a string or null")
			}
			p, err := compilePath(s)
			if err != nil {
				return nil, fmt.Errorf("ResultPath: %w", err)
			}
			if !p.definite || p.ctx || p.varName != "" {
				return nil, fmt.Errorf("ResultPath must be a reference path, not %q", s)
			}
			ct.resultPath = optPath{set: true, p: p}
		case "Assign":
			t, err := compileTmpl(x, "")
			if err != nil {
				return nil, fmt.Errorf("Assign: %w", err)
			}
			ct.assign = t
		case "Comment":
		default:
			return nil, fmt.Errorf("the field %q is not supported in a catcher", k)
		}
	}
	if ct.errorEquals == nil || ct.next == "" {
		return nil, fmt.Errorf("ErrorEquals and Next are required")
	}
	return ct, nil
}

func compileTmpl(v any, field string) (*tmpl, error) {
	switch v := v.(type) {
	case map[string]any:
		t := &tmpl{kind: tObj}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			x := v[k]
			if strings.HasSuffix(k, ".$") {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("the value of %q must be a JSONPath or intrinsic function string", k)
				}
				var ft *tmpl
				if isIntrinsic(s) {
					c, err := parseIntrinsic(s)
					if err != nil {
						return nil, fmt.Errorf("%q: %w", k, err)
					}
					ft = &tmpl{kind: tCall, call: c, field: k}
				} else {
					p, err := compilePath(s)
					if err != nil {
						return nil, fmt.Errorf("%q: %w", k, err)
					}
					ft = &tmpl{kind: tPath, path: p, field: k}
				}
				t.fields = append(t.fields, tfield{key: strings.TrimSuffix(k, ".$"), t: ft})
				continue
			}
			ft, err := compileTmpl(x, k)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, tfield{key: k, t: ft})
		}
		return t, nil
	case []any:
		t := &tmpl{kind: tArr}
		for _, x := range v {
			it, err := compileTmpl(x, field)
			if err != nil {
				return nil, err
			}
			t.items = append(t.items, it)
		}
		return t, nil
	}
	return &tmpl{kind: tLit, lit: v}, nil
}

// parseTimestamp accepts what AWS accepts for Wait: RFC 3339 with a 'T'
// and a zone designator, fractional seconds optional.
func parseTimestamp(s string) (time.Time, error) {
	if !strings.Contains(s, "T") {
		return time.Time{}, fmt.Errorf("missing T")
	}
	return time.Parse(time.RFC3339Nano, s)
}
