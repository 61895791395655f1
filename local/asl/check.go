package asl

import (
	"fmt"
	"slices"
	"strings"
)

// allowedFields lists, per state type, the fields a state may have besides
// Type, Comment and QueryLanguage.
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

// state compiles one state, reporting every problem it finds. The checks
// run in a fixed order (type, fields, transition, common fields, the
// type's own fields, Retry and Catch) so that problems are listed stably.
func (c *checker) state(name string, o map[string]any, inMap bool) *state {
	s := &state{name: name}
	typ, _ := o["Type"].(string)
	s.typ = typ
	s.jsonata = c.jsonata
	if ql, ok := o["QueryLanguage"]; ok {
		switch ql {
		case "JSONata":
			s.jsonata = true
		case "JSONPath":
			if c.jsonata {
				// AWS: a state may not go back to JSONPath in a JSONata machine.
				c.add(name, "QueryLanguage JSONPath is not allowed in a state of a state machine whose QueryLanguage is JSONata")
			}
			s.jsonata = false
		default:
			c.add(name, "QueryLanguage must be JSONPath or JSONata")
		}
	}
	fieldSet := allowedFields
	if s.jsonata {
		fieldSet = jsonataFields
	}
	allowed, ok := fieldSet[typ]
	if !ok {
		c.add(name, "the state type %q is not valid", o["Type"])
		return s
	}
	for k := range o {
		if k == "Type" || k == "Comment" || k == "QueryLanguage" {
			continue
		}
		if slices.Contains(allowed, k) {
			continue
		}
		switch {
		case s.jsonata && slices.Contains(allowedFields[typ], k):
			c.add(name, "The field %q is not supported by Step Functions for JSONata states (QueryLanguage JSONata); use Arguments, Output or Assign", k)
		case !s.jsonata && slices.Contains(jsonataFields[typ], k):
			c.add(name, "The field %q is only supported by Step Functions for JSONata states (QueryLanguage JSONata)", k)
		default:
			c.add(name, "The field %q is not supported by Step Functions for %s states", k, typ)
		}
	}
	f := fields{c: c, name: name, o: o, jsonata: s.jsonata}
	if typ != "Choice" && typ != "Succeed" && typ != "Fail" {
		checkTransition(c, s, f)
	}
	if s.jsonata {
		checkJSONataCommon(c, s, f)
	} else {
		checkCommon(c, s, f)
	}
	switch typ {
	case "Task":
		checkTask(c, s, f)
	case "Choice":
		checkChoice(c, s, f)
	case "Wait":
		checkWait(c, s, f)
	case "Fail":
		checkFail(c, s, f)
	case "Parallel":
		checkParallel(c, s, f, inMap)
	case "Map":
		checkMap(c, s, f)
	}
	if typ == "Task" || typ == "Parallel" || typ == "Map" {
		checkRetryCatch(c, s, o, s.jsonata)
	}
	return s
}

// fields reads a state's fields by kind, reporting a field of the wrong
// kind against the state.
type fields struct {
	c    *checker
	name string
	o    map[string]any
	// jsonata is set for a JSONata state, whose constant fields may be
	// "{% %}" expressions instead (read with jexprField).
	jsonata bool
}

func (f fields) str(k string) (string, bool) {
	v, ok := f.o[k]
	if !ok || f.isExpr(k) {
		return "", false
	}
	sv, ok := v.(string)
	if !ok {
		f.c.add(f.name, "%s must be a string", k)
	}
	return sv, ok
}

func (f fields) path(k string) *path {
	v, ok := f.str(k)
	if !ok {
		return nil
	}
	p, err := compilePath(v)
	if err != nil {
		f.c.add(f.name, "%s: %v", k, err)
	}
	return p
}

// opt reads InputPath, OutputPath or ResultPath, which may be null; a
// reference path must point into the state's data.
func (f fields) opt(k string, reference bool) optPath {
	v, ok := f.o[k]
	if !ok {
		return optPath{}
	}
	if v == nil {
		return optPath{set: true, null: true}
	}
	sv, ok := v.(string)
	if !ok {
		f.c.add(f.name, "%s must be a string or null", k)
		return optPath{}
	}
	p, err := compilePath(sv)
	if err != nil {
		f.c.add(f.name, "%s: %v", k, err)
		return optPath{}
	}
	if reference && (!p.definite || p.ctx || p.varName != "") {
		f.c.add(f.name, "%s must be a reference path (a definite path into the state's data), not %q", k, sv)
	}
	return optPath{set: true, p: p}
}

func (f fields) tmpl(k string) *tmpl {
	v, ok := f.o[k]
	if !ok {
		return nil
	}
	t, err := compileTmpl(v, "")
	if err != nil {
		f.c.add(f.name, "%s: %v", k, err)
	}
	return t
}

func (f fields) int(k string) *int64 {
	v, ok := f.o[k]
	if !ok || f.isExpr(k) {
		return nil
	}
	n, ok := toInt(v)
	if !ok {
		f.c.add(f.name, "%s must be an integer", k)
		return nil
	}
	return &n
}

// checkTransition reads Next and End, exactly one of which a state that
// is not terminal by type must have.
func checkTransition(c *checker, s *state, f fields) {
	name, o := s.name, f.o
	next, hasNext := f.str("Next")
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
		c.addCode(name, CodeMissingTransition, "", "the state has neither Next nor End: true")
	}
	s.next, s.end = next, end
}

// checkCommon reads the data-flow fields that several state types share;
// allowedFields has already refused them where they do not apply.
func checkCommon(c *checker, s *state, f fields) {
	s.inputPath = f.opt("InputPath", false)
	s.outputPath = f.opt("OutputPath", false)
	s.resultPath = f.opt("ResultPath", true)
	s.parameters = f.tmpl("Parameters")
	s.resultSelector = f.tmpl("ResultSelector")
	s.itemSelector = f.tmpl("ItemSelector")
	if a, ok := f.o["Assign"]; ok {
		if _, isObj := a.(map[string]any); !isObj {
			c.add(s.name, "Assign must be a JSON object")
		}
		if err := checkVariableNames(a); err != nil {
			c.add(s.name, "Assign: %v", err)
		}
		s.assign = f.tmpl("Assign")
	}
	if r, ok := f.o["Result"]; ok {
		s.result, s.hasResult = r, true
	}
}

func checkTask(c *checker, s *state, f fields) {
	name := s.name
	s.resource, _ = f.str("Resource")
	if s.resource == "" {
		c.add(name, "Resource is required for Task states")
	} else if !supportedResource(s.resource) {
		c.addCode(name, CodeInvalidResource, "Resource", "the resource %q is not supported by the local engine (only Lambda functions, arn:aws:states:::lambda:invoke and arn:aws:states:::lambda:invoke.waitForTaskToken)", s.resource)
	}
	s.jtimeout = f.jexprField("TimeoutSeconds")
	if n := f.int("TimeoutSeconds"); n != nil {
		if *n <= 0 {
			c.add(name, "TimeoutSeconds must be positive")
		}
		s.timeoutSeconds = *n
	}
	s.jheartbeat = f.jexprField("HeartbeatSeconds")
	if n := f.int("HeartbeatSeconds"); n != nil {
		if *n <= 0 {
			c.add(name, "HeartbeatSeconds must be positive")
		}
		s.heartbeatSeconds = *n
	}
	if s.heartbeatSeconds > 0 && s.timeoutSeconds > 0 && s.heartbeatSeconds >= s.timeoutSeconds {
		c.add(name, "HeartbeatSeconds must be smaller than TimeoutSeconds")
	}
	s.timeoutPath = f.path("TimeoutSecondsPath")
	s.heartbeatPath = f.path("HeartbeatSecondsPath")
}

func checkChoice(c *checker, s *state, f fields) {
	list, ok := f.o["Choices"].([]any)
	if !ok || len(list) == 0 {
		c.add(s.name, "Choices must be a non-empty array")
	}
	compileOne := func(r any) (*choiceRule, error) { return compileChoice(r, true) }
	if s.jsonata {
		compileOne = compileJSONataChoice
	}
	for i, r := range list {
		rule, err := compileOne(r)
		if err != nil {
			c.add(s.name, "Choices[%d]: %v", i, err)
			continue
		}
		s.choices = append(s.choices, rule)
	}
	s.defaultNext, _ = f.str("Default")
}

func checkWait(c *checker, s *state, f fields) {
	n := 0
	if s.jseconds = f.jexprField("Seconds"); s.jseconds != nil {
		n++
	}
	if v := f.int("Seconds"); v != nil {
		if *v < 0 {
			c.add(s.name, "Seconds must not be negative")
		}
		s.seconds = v
		n++
	}
	if s.jtimestamp = f.jexprField("Timestamp"); s.jtimestamp != nil {
		n++
	}
	if ts, ok := f.str("Timestamp"); ok {
		if _, err := parseTimestamp(ts); err != nil {
			c.add(s.name, "Timestamp %q is not an ISO-8601 extended offset date-time", ts)
		}
		s.timestamp = ts
		n++
	}
	if s.secondsPath = f.path("SecondsPath"); s.secondsPath != nil {
		n++
	}
	if s.timestampPath = f.path("TimestampPath"); s.timestampPath != nil {
		n++
	}
	if n != 1 {
		if s.jsonata {
			c.add(s.name, "exactly one of Seconds or Timestamp is required")
		} else {
			c.add(s.name, "exactly one of Seconds, Timestamp, SecondsPath or TimestampPath is required")
		}
	}
}

func checkFail(c *checker, s *state, f fields) {
	s.jerror = f.jexprField("Error")
	if v, ok := f.str("Error"); ok {
		s.errorStr = &v
	}
	s.jcause = f.jexprField("Cause")
	if v, ok := f.str("Cause"); ok {
		s.causeStr = &v
	}
	for _, k := range []string{"ErrorPath", "CausePath"} {
		v, ok := f.str(k)
		if !ok {
			continue
		}
		t, err := compileDynamic(v, k)
		if err != nil {
			c.add(s.name, "%s: %v", k, err)
			continue
		}
		if k == "ErrorPath" {
			s.errorPath = t
		} else {
			s.causePath = t
		}
	}
	if s.errorStr != nil && s.errorPath != nil || s.causeStr != nil && s.causePath != nil {
		c.add(s.name, "Error/ErrorPath and Cause/CausePath are mutually exclusive")
	}
}

func checkParallel(c *checker, s *state, f fields, inMap bool) {
	list, ok := f.o["Branches"].([]any)
	if !ok || len(list) == 0 {
		c.add(s.name, "Branches must be a non-empty array")
	}
	for i, b := range list {
		bo, ok := b.(map[string]any)
		if !ok {
			c.add(s.name, "each branch must be a JSON object")
			continue
		}
		s.branches = append(s.branches, c.nested(fmt.Sprintf("%s/Branches/%d", c.loc(s.name), i), bo, s.name, inMap))
	}
}

func checkMap(c *checker, s *state, f fields) {
	name, o := s.name, f.o
	field := "ItemProcessor"
	proc, ok := o["ItemProcessor"].(map[string]any)
	if !ok {
		field = "Iterator"
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
		s.processor = c.nested(c.loc(name)+"/"+field, inner, name, true)
	}
	if _, ok := o["ItemReader"]; ok {
		s.hasItemReader = true
		c.add(name, "ItemReader is not supported by the local engine")
	}
	checkBatcher(c, s, f)
	s.itemsPath = f.path("ItemsPath")
	if s.itemSelector == nil && s.parameters != nil {
		s.itemSelector, s.parameters = s.parameters, nil
		s.legacyParametersMap = true
	}
	s.jmaxConc = f.jexprField("MaxConcurrency")
	if v := f.int("MaxConcurrency"); v != nil {
		if *v < 0 {
			c.add(name, "MaxConcurrency must not be negative")
		}
		s.maxConcurrency = *v
	}
	s.maxConcurrencyPath = f.path("MaxConcurrencyPath")
	s.jtolCount = f.jexprField("ToleratedFailureCount")
	s.tolCount = f.int("ToleratedFailureCount")
	s.tolCountPath = f.path("ToleratedFailureCountPath")
	s.jtolPercent = f.jexprField("ToleratedFailurePercentage")
	if v, ok := o["ToleratedFailurePercentage"]; ok && !f.isExpr("ToleratedFailurePercentage") {
		p, ok := toFloat(v)
		if !ok || p < 0 || p > 100 {
			c.add(name, "ToleratedFailurePercentage must be a number between 0 and 100")
		}
		s.tolPercent = &p
	}
	s.tolPercentPath = f.path("ToleratedFailurePercentagePath")
	if label, ok := f.str("Label"); ok {
		if label == "" || len([]rune(label)) > 40 || strings.ContainsAny(label, " \t\n<>{}[]?*\"#%\\^|~`$&,;:/") {
			c.add(name, "Label must have 1 to 40 characters and no whitespace or special characters")
		}
		s.label = label
	}
}

// checkRetryCatch compiles Retry and Catch, where States.ALL may only
// appear alone in the last element.
func checkRetryCatch(c *checker, s *state, o map[string]any, jsonata bool) {
	s.retry = compileList(c, s.name, o, "Retry", compileRetrier)
	compileOne := compileCatcher
	if jsonata {
		compileOne = compileJSONataCatcher
	}
	s.catch = compileList(c, s.name, o, "Catch", compileOne)
	var retry, catch [][]string
	for _, x := range s.retry {
		retry = append(retry, x.errorEquals)
	}
	for _, x := range s.catch {
		catch = append(catch, x.errorEquals)
	}
	checkALLLast(c, s.name, "Retry", retry)
	checkALLLast(c, s.name, "Catch", catch)
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
	if r == "arn:aws:states:::lambda:invoke" || r == waitForTaskToken {
		return true
	}
	return strings.HasPrefix(r, "arn:") && strings.Contains(r, ":lambda:") && strings.Contains(r, ":function:")
}
