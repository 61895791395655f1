package stack

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file evaluates a template value: literal mappings, lists and
// scalars are checked against their shape, and intrinsic functions (short
// form `!Ref X` or long form `{"Ref": "X"}`) are evaluated against local
// values. A value that resolves to AWS::NoValue is absent: its key is
// dropped from its mapping, or its element from its list.

// unsupportedFns are intrinsics CloudFormation has and the local cloud
// refuses: the repository's template uses none of them, and a wrong local
// answer would be worse than a clear refusal.
var unsupportedFns = map[string]bool{
	"Fn::ImportValue": true, "Fn::FindInMap": true, "Fn::Base64": true, "Fn::Cidr": true,
	"Fn::GetAZs": true, "Fn::Transform": true, "Fn::Length": true,
	"Fn::ToJsonString": true, "Fn::ForEach": true,
}

// conditionFns are valid only in the Conditions section, as in
// CloudFormation.
var conditionFns = map[string]bool{"Fn::Equals": true, "Fn::Not": true, "Fn::And": true, "Fn::Or": true, "Condition": true}

// value resolves node n as a value of shape s; ok is false when the value
// is absent (AWS::NoValue, null) or wrong (a problem was recorded).
func (l *loader) value(n *yaml.Node, s *shape, path string) (any, bool) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if fn, spelled, arg, ok := l.intrinsicCall(n); ok {
		v, present := l.call(fn, spelled, arg, n, s, path)
		if !present {
			return nil, false
		}
		if fn == "Fn::If" { // the branch was resolved with s already
			return v, true
		}
		return l.conform(v, s, n.Line, path)
	}
	switch n.Kind {
	case yaml.MappingNode:
		return l.mapping(n, s, path)
	case yaml.SequenceNode:
		elem := anyShape
		switch s.kind {
		case kList:
			elem = s.elem
		case kStrings:
			elem = stringShape
		case kAny:
		default:
			l.problemf(n.Line, "%s: want %s, got a list", path, s.describe())
			return nil, false
		}
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			if v, ok := l.value(c, elem, fmt.Sprintf("%s[%d]", path, i)); ok {
				out = append(out, v)
			}
		}
		return out, true
	case yaml.ScalarNode:
		v, err := scalar(n)
		if err != nil {
			l.problemf(n.Line, "%s: %v", path, err)
			return nil, false
		}
		if v == nil {
			return nil, s.kind == kAny
		}
		return l.conform(v, s, n.Line, path)
	}
	l.problemf(n.Line, "%s: unexpected YAML node", path)
	return nil, false
}

func (l *loader) mapping(n *yaml.Node, s *shape, path string) (any, bool) {
	if s.kind != kAny && s.kind != kMap && s.kind != kObject {
		l.problemf(n.Line, "%s: want %s, got a mapping", path, s.describe())
		return nil, false
	}
	out := make(map[string]any, len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			l.problemf(k.Line, "%s: key %s appears twice", path, k.Value)
			continue
		}
		seen[k.Value] = true
		es := anyShape
		switch s.kind {
		case kMap:
			es = s.elem
		case kObject:
			if es = s.fields[k.Value]; es == nil {
				l.unknownProperty(k.Line, path, k.Value, s)
				continue
			}
		}
		if cv, ok := l.value(v, es, path+"."+k.Value); ok {
			out[k.Value] = cv
		}
	}
	if s.kind == kObject {
		l.checkRequired(s, out, n.Line, path)
	}
	return out, true
}

// scalar is a scalar node's value by its YAML tag: string, int64, float64,
// bool or nil.
func scalar(n *yaml.Node) (any, error) {
	switch n.Tag {
	case "!!int":
		v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			return nil, fmt.Errorf("integer %q: %w", n.Value, err)
		}
		return v, nil
	case "!!float":
		v, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return nil, fmt.Errorf("number %q: %w", n.Value, err)
		}
		return v, nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true"), nil
	case "!!null":
		return nil, nil
	}
	return n.Value, nil
}

// intrinsicCall recognises an intrinsic function: a short-form tag (the
// argument is the node itself, untagged) or a one-key mapping whose key is
// Ref or Fn::* (or Condition, inside the Conditions section).
func (l *loader) intrinsicCall(n *yaml.Node) (fn, spelled string, arg *yaml.Node, ok bool) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := n.Tag[1:]
		fn = "Fn::" + name
		if name == "Ref" || name == "Condition" {
			fn = name
		}
		cp := *n
		cp.Tag = map[yaml.Kind]string{yaml.ScalarNode: "!!str", yaml.SequenceNode: "!!seq", yaml.MappingNode: "!!map"}[n.Kind]
		return fn, n.Tag, &cp, true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		if k == "Ref" || strings.HasPrefix(k, "Fn::") || (k == "Condition" && l.inConditions) {
			return k, k, n.Content[1], true
		}
	}
	return "", "", nil, false
}

// call evaluates one intrinsic function; n is the call's node (for its
// line), s the shape its result must have (passed on to Fn::If's branch).
func (l *loader) call(fn, spelled string, arg, n *yaml.Node, s *shape, path string) (any, bool) {
	line := n.Line
	if conditionFns[fn] && !l.inConditions {
		l.problemf(line, "%s: %s is only allowed in the Conditions section", path, spelled)
		return nil, false
	}
	switch fn {
	case "Ref":
		if arg.Kind != yaml.ScalarNode {
			l.problemf(line, "%s: %s takes a name", path, spelled)
			return nil, false
		}
		return l.ref(arg.Value, line, path)
	case "Fn::GetAtt":
		return l.getAtt(arg, line, path)
	case "Fn::Sub":
		return l.sub(arg, line, path)
	case "Fn::If":
		if l.inConditions {
			l.problemf(line, "%s: Fn::If is not allowed in the Conditions section", path)
			return nil, false
		}
		args := l.args(arg, spelled, 3, line, path)
		if args == nil {
			return nil, false
		}
		if l.condition(args[0].Value, args[0].Line) {
			return l.value(args[1], s, path)
		}
		return l.value(args[2], s, path)
	case "Fn::Equals":
		args := l.args(arg, spelled, 2, line, path)
		if args == nil {
			return nil, false
		}
		a, _ := l.value(args[0], anyShape, path)
		b, _ := l.value(args[1], anyShape, path)
		return reflect.DeepEqual(comparable(a), comparable(b)), true
	case "Fn::Not", "Fn::And", "Fn::Or":
		return l.logic(fn, spelled, arg, line, path)
	case "Condition":
		if arg.Kind != yaml.ScalarNode {
			l.problemf(line, "%s: Condition takes a condition name", path)
			return nil, false
		}
		return l.condition(arg.Value, line), true
	case "Fn::Select":
		return l.sel(arg, spelled, line, path)
	case "Fn::Join":
		args := l.args(arg, spelled, 2, line, path)
		if args == nil {
			return nil, false
		}
		delim, ok1 := l.value(args[0], stringShape, path)
		list, ok2 := l.value(args[1], &shape{kind: kList, elem: stringShape}, path)
		if !ok1 || !ok2 {
			return nil, false
		}
		parts := make([]string, 0)
		for _, p := range list.([]any) {
			parts = append(parts, p.(string))
		}
		return strings.Join(parts, delim.(string)), true
	case "Fn::Split":
		// The template splits AWS::StackId to name its buckets from the
		// stack's id (see template.yaml).
		args := l.args(arg, spelled, 2, line, path)
		if args == nil {
			return nil, false
		}
		delim, ok1 := l.value(args[0], stringShape, path)
		str, ok2 := l.value(args[1], stringShape, path)
		if !ok1 || !ok2 {
			return nil, false
		}
		if delim.(string) == "" {
			l.problemf(line, "%s: %s needs a delimiter", path, spelled)
			return nil, false
		}
		var list []any
		for _, p := range strings.Split(str.(string), delim.(string)) {
			list = append(list, p)
		}
		return list, true
	}
	if unsupportedFns[fn] {
		l.problemf(line, "%s: %s is not supported by the local cloud", path, spelled)
	} else {
		l.problemf(line, "%s: unknown intrinsic function %s", path, spelled)
	}
	return nil, false
}

// args checks that a function's argument is a list of n values.
func (l *loader) args(arg *yaml.Node, spelled string, n, line int, path string) []*yaml.Node {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) != n {
		l.problemf(line, "%s: %s takes a list of %d values", path, spelled, n)
		return nil
	}
	return arg.Content
}

func (l *loader) logic(fn, spelled string, arg *yaml.Node, line int, path string) (any, bool) {
	if arg.Kind != yaml.SequenceNode || (fn == "Fn::Not" && len(arg.Content) != 1) || len(arg.Content) == 0 {
		l.problemf(line, "%s: %s takes a list of conditions", path, spelled)
		return nil, false
	}
	result := fn == "Fn::And"
	for _, c := range arg.Content {
		v, ok := l.value(c, boolShape, path)
		if !ok {
			return nil, false
		}
		switch fn {
		case "Fn::Not":
			return !v.(bool), true
		case "Fn::And":
			result = result && v.(bool)
		case "Fn::Or":
			result = result || v.(bool)
		}
	}
	return result, true
}

func (l *loader) sel(arg *yaml.Node, spelled string, line int, path string) (any, bool) {
	args := l.args(arg, spelled, 2, line, path)
	if args == nil {
		return nil, false
	}
	i, ok1 := l.value(args[0], &shape{kind: kInt}, path)
	list, ok2 := l.value(args[1], &shape{kind: kList, elem: anyShape}, path)
	if !ok1 || !ok2 {
		return nil, false
	}
	idx, items := i.(int64), list.([]any)
	if idx < 0 || idx >= int64(len(items)) {
		l.problemf(line, "%s: %s index %d is out of range (the list has %d values)", path, spelled, idx, len(items))
		return nil, false
	}
	return items[idx], true
}

// comparable turns scalars into their string form, so that Fn::Equals
// compares "1" and 1 as CloudFormation does (it compares strings).
func comparable(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = comparable(e)
		}
		return out
	case map[string]any:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// ref resolves Ref: a parameter, a pseudo-parameter or a resource.
func (l *loader) ref(name string, line int, path string) (any, bool) {
	if p, ok := l.params[name]; ok {
		return p, true
	}
	if strings.HasPrefix(name, "AWS::") {
		return l.pseudo(name, line, path)
	}
	if e := l.entries[name]; e != nil {
		if l.inConditions {
			l.problemf(line, "%s: Ref %s: a condition cannot refer to a resource, as in CloudFormation", path, name)
			return nil, false
		}
		id, ok := l.identity(e, line, path)
		if !ok {
			return nil, false
		}
		l.depend(name, path)
		return id.ref, true
	}
	l.problemf(line, "%s: Ref %s: no parameter, pseudo-parameter or resource is named %s%s", path, name, name, l.generatedHint(name))
	return nil, false
}

// generatedHint explains a reference to a resource SAM generates on AWS
// (StartFunctionRole, ...), which the template itself does not declare.
func (l *loader) generatedHint(name string) string {
	for _, suffix := range []string{"Role", "Alias", "Version", "LogGroup"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if e := l.entries[base]; e != nil && strings.HasPrefix(e.typ, "AWS::Serverless::") {
				return " (SAM generates it from " + base + " on AWS; locally only declared resources can be referred to)"
			}
		}
	}
	return ""
}

func (l *loader) pseudo(name string, line int, path string) (any, bool) {
	o := l.opts
	switch name {
	case "AWS::StackName":
		return o.StackName, true
	case "AWS::AccountId":
		return o.AccountID, true
	case "AWS::Region":
		return o.Region, true
	case "AWS::Partition":
		return o.Partition, true
	case "AWS::URLSuffix":
		return o.URLSuffix, true
	case "AWS::StackId":
		return l.stackID(), true
	case "AWS::NotificationARNs":
		return []any{}, true
	case "AWS::NoValue":
		return nil, false
	}
	l.problemf(line, "%s: unknown pseudo-parameter %s", path, name)
	return nil, false
}

func (l *loader) stackID() string {
	o := l.opts
	return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/%s", o.Partition, o.Region, o.AccountID, o.StackName, uuidFrom(o.StackName))
}

// getAtt resolves Fn::GetAtt, in its "Res.Attr" and [Res, Attr] forms.
func (l *loader) getAtt(arg *yaml.Node, line int, path string) (any, bool) {
	var res, attr string
	switch {
	case arg.Kind == yaml.ScalarNode:
		var ok bool
		if res, attr, ok = strings.Cut(arg.Value, "."); !ok {
			l.problemf(line, "%s: Fn::GetAtt %q: want Resource.Attribute", path, arg.Value)
			return nil, false
		}
	case arg.Kind == yaml.SequenceNode && len(arg.Content) == 2:
		res = arg.Content[0].Value
		a, ok := l.value(arg.Content[1], stringShape, path)
		if !ok {
			return nil, false
		}
		attr = a.(string)
	default:
		l.problemf(line, "%s: Fn::GetAtt takes Resource.Attribute or [Resource, Attribute]", path)
		return nil, false
	}
	return l.attr(res, attr, line, path)
}

func (l *loader) attr(res, attr string, line int, path string) (any, bool) {
	e := l.entries[res]
	if e == nil {
		l.problemf(line, "%s: Fn::GetAtt %s.%s: no resource is named %s%s", path, res, attr, res, l.generatedHint(res))
		return nil, false
	}
	id, ok := l.identity(e, line, path)
	if !ok {
		return nil, false
	}
	v, ok := id.attrs[attr]
	if !ok {
		l.problemf(line, "%s: Fn::GetAtt %s.%s: %s has no attribute %s locally (it has: %s)",
			path, res, attr, e.typ, attr, strings.Join(sortedKeys(id.attrs), ", "))
		return nil, false
	}
	l.depend(res, path)
	return v, true
}

// sub resolves Fn::Sub: "text ${Name} ${Res.Attr} ${!Literal}" or
// [text, {Var: value}].
func (l *loader) sub(arg *yaml.Node, line int, path string) (any, bool) {
	var tmpl string
	vars := map[string]string{}
	switch {
	case arg.Kind == yaml.ScalarNode:
		tmpl = arg.Value
	case arg.Kind == yaml.SequenceNode && len(arg.Content) == 2 && arg.Content[1].Kind == yaml.MappingNode:
		t, ok := l.value(arg.Content[0], stringShape, path)
		if !ok {
			return nil, false
		}
		tmpl = t.(string)
		m := arg.Content[1]
		for i := 0; i+1 < len(m.Content); i += 2 {
			v, ok := l.value(m.Content[i+1], stringShape, path+"."+m.Content[i].Value)
			if !ok {
				return nil, false
			}
			vars[m.Content[i].Value] = v.(string)
		}
	default:
		l.problemf(line, "%s: Fn::Sub takes a string or [string, {variables}]", path)
		return nil, false
	}
	var b strings.Builder
	ok := true
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		tmpl = tmpl[i+2:]
		j := strings.IndexByte(tmpl, '}')
		if j < 0 { // no closing brace: CloudFormation keeps the text
			b.WriteString("${" + tmpl)
			break
		}
		name := tmpl[:j]
		tmpl = tmpl[j+1:]
		if lit, isLit := strings.CutPrefix(name, "!"); isLit {
			b.WriteString("${" + lit + "}")
			continue
		}
		name = strings.TrimSpace(name)
		var v any
		var found bool
		if s, isVar := vars[name]; isVar {
			v, found = s, true
		} else if res, attr, isAtt := strings.Cut(name, "."); isAtt {
			v, found = l.attr(res, attr, line, path)
		} else {
			v, found = l.ref(name, line, path)
		}
		s, isStr := v.(string)
		if !found || !isStr {
			if found {
				l.problemf(line, "%s: Fn::Sub ${%s} is not a string", path, name)
			}
			ok = false
			continue
		}
		b.WriteString(s)
	}
	return b.String(), ok
}

// condition evaluates a named condition once, detecting cycles.
func (l *loader) condition(name string, line int) bool {
	if v, ok := l.conds[name]; ok {
		return v
	}
	n := l.condNodes[name]
	if n == nil {
		l.problemf(line, "no condition is named %s", name)
		return false
	}
	if l.condBusy[name] {
		l.problemf(line, "condition %s refers to itself", name)
		return false
	}
	l.condBusy[name] = true
	saved := l.inConditions
	l.inConditions = true
	v, _ := l.value(n, boolShape, "Conditions."+name)
	l.inConditions = saved
	b, _ := v.(bool)
	l.conds[name] = b
	return b
}
