package stack

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// loader holds the state of one Load: the template's sections, the
// parameters' and conditions' values, the resources being resolved and
// every problem found so far.
type loader struct {
	opts     Options
	st       *Stack
	problems []Problem
	seen     map[Problem]bool

	params       map[string]any // string, or []any for list types
	condNodes    map[string]*yaml.Node
	conds        map[string]bool
	condBusy     map[string]bool
	inConditions bool

	entries map[string]*entry
	order   []*entry
	cur     *entry // the resource being resolved: references become its dependencies
}

// entry is one resource of the template, before and while it is resolved.
type entry struct {
	id, typ   string
	line      int        // the logical id's line
	props     *yaml.Node // Properties (with Globals merged), or nil
	attrs     *yaml.Node // the resource's own mapping
	kind      *kind      // nil: unsupported type
	condition string
	included  bool
	ident     *identity
	busy      bool
	deps      map[string]bool
}

func newLoader(opts Options) *loader {
	return &loader{
		opts: opts,
		st: &Stack{Name: opts.StackName, AccountID: opts.AccountID, Region: opts.Region, Partition: opts.Partition,
			URLSuffix: opts.URLSuffix, Parameters: map[string]string{}, Conditions: map[string]bool{},
			Outputs: map[string]string{}, byID: map[string]*Resource{}, byARN: map[string]*Function{}},
		seen:      map[Problem]bool{},
		params:    map[string]any{},
		condNodes: map[string]*yaml.Node{},
		conds:     map[string]bool{},
		condBusy:  map[string]bool{},
		entries:   map[string]*entry{},
	}
}

func (l *loader) problemf(line int, format string, args ...any) {
	p := Problem{Line: line, Msg: fmt.Sprintf(format, args...)}
	if !l.seen[p] {
		l.seen[p] = true
		l.problems = append(l.problems, p)
	}
}

func (l *loader) err() error {
	if len(l.problems) == 0 {
		return nil
	}
	sort.SliceStable(l.problems, func(i, j int) bool { return l.problems[i].Line < l.problems[j].Line })
	return &Error{File: l.opts.File, Problems: l.problems}
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// sections are the template's top-level keys the local cloud reads.
var sections = map[string]bool{"AWSTemplateFormatVersion": true, "Transform": true, "Description": true, "Metadata": true,
	"Parameters": true, "Conditions": true, "Globals": true, "Resources": true, "Outputs": true}

func (l *loader) load(template []byte) *Stack {
	var doc yaml.Node
	if err := yaml.Unmarshal(template, &doc); err != nil {
		line := 1
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		l.problemf(line, "%v", err)
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		l.problemf(1, "a template is a mapping of sections")
		return nil
	}
	top := map[string]*yaml.Node{}
	topLine := map[string]int{}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case !sections[k.Value]:
			l.problemf(k.Line, "section %s is not supported by the local cloud", k.Value)
		case top[k.Value] != nil:
			l.problemf(k.Line, "section %s appears twice", k.Value)
		default:
			top[k.Value], topLine[k.Value] = v, k.Line
		}
	}
	l.transform(top["Transform"])
	if d := top["Description"]; d != nil {
		l.st.Description = d.Value
	}
	l.parameters(top["Parameters"], topLine["Parameters"])
	if top["Resources"] == nil {
		l.problemf(1, "the template has no Resources")
		return nil
	}
	l.index(top["Resources"], l.globalFunction(top["Globals"]))
	if c := top["Conditions"]; c != nil {
		l.pairs(c, "Conditions", func(k, v *yaml.Node) { l.condNodes[k.Value] = v })
		l.pairs(c, "Conditions", func(k, v *yaml.Node) { l.st.Conditions[k.Value] = l.condition(k.Value, k.Line) })
	}
	l.buildAll()
	l.link()
	l.checkCycles()
	l.outputs(top["Outputs"])
	return l.st
}

// pairs calls fn for each key and value of a mapping node, reporting
// duplicate keys and a node that is not a mapping.
func (l *loader) pairs(n *yaml.Node, what string, fn func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		l.problemf(n.Line, "%s: want a mapping", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if seen[k.Value] {
			l.problemf(k.Line, "%s: %s appears twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		fn(k, n.Content[i+1])
	}
}

// transform accepts SAM's transform only: the others would rewrite the
// template in ways the local cloud does not know.
func (l *loader) transform(n *yaml.Node) {
	if n == nil {
		return
	}
	v, _ := l.value(n, &shape{kind: kStrings}, "Transform")
	list, _ := v.([]any)
	for _, t := range list {
		if t != "AWS::Serverless-2016-10-31" {
			l.problemf(n.Line, "Transform %v is not supported by the local cloud (only AWS::Serverless-2016-10-31)", t)
		}
	}
}

// paramDecl is a parameter's declaration.
type paramDecl struct {
	Type                  string
	Default               *string
	Description           string
	AllowedPattern        string
	AllowedValues         []string
	ConstraintDescription string
	MinLength, MaxLength  *int
	MinValue, MaxValue    *float64
	NoEcho                bool
}

var paramTypes = map[string]bool{"String": true, "Number": true, "CommaDelimitedList": true, "List<Number>": true}

// parameters sets every parameter's value; line is the section's, for
// overrides of parameters it does not declare.
func (l *loader) parameters(n *yaml.Node, line int) {
	declared := map[string]bool{}
	if n != nil {
		l.pairs(n, "Parameters", func(k, v *yaml.Node) {
			declared[k.Value] = true
			var d paramDecl
			if !l.decode(v, &d, "Parameters."+k.Value) {
				return
			}
			l.parameter(k, &d)
		})
	}
	for _, name := range sortedKeys(l.opts.Parameters) {
		if !declared[name] {
			l.problemf(max(line, 1), "parameter %s is given a value but the template declares no such parameter", name)
		}
	}
}

// parameter sets one parameter's value: the override or the default,
// checked against the declaration's constraints as CloudFormation checks
// them.
func (l *loader) parameter(k *yaml.Node, d *paramDecl) {
	name, line := k.Value, k.Line
	if !paramTypes[d.Type] {
		l.problemf(line, "parameter %s: Type %q is not supported by the local cloud (supported: String, Number, CommaDelimitedList, List<Number>)", name, d.Type)
		return
	}
	v, ok := l.opts.Parameters[name]
	if !ok {
		if d.Default == nil {
			l.problemf(line, "parameter %s has no Default: give it a value (-param %s=VALUE)", name, name)
			return
		}
		v = *d.Default
	}
	fail := func(why string) {
		if d.ConstraintDescription != "" {
			why += " (" + d.ConstraintDescription + ")"
		}
		l.problemf(line, "parameter %s: value %q %s", name, v, why)
	}
	var values []string
	if strings.HasPrefix(d.Type, "List") || d.Type == "CommaDelimitedList" {
		values = strings.Split(v, ",")
	} else {
		values = []string{v}
	}
	for _, x := range values {
		if len(d.AllowedValues) > 0 && !slices.Contains(d.AllowedValues, x) {
			fail(fmt.Sprintf("is not one of AllowedValues %v", d.AllowedValues))
		}
		if d.AllowedPattern != "" {
			re, err := regexp.Compile("^(?:" + d.AllowedPattern + ")$")
			if err != nil {
				l.problemf(line, "parameter %s: AllowedPattern: %v", name, err)
			} else if !re.MatchString(x) {
				fail("does not match AllowedPattern " + d.AllowedPattern)
			}
		}
		if d.MinLength != nil && len(x) < *d.MinLength || d.MaxLength != nil && len(x) > *d.MaxLength {
			fail("has a length outside MinLength/MaxLength")
		}
		if d.Type == "Number" || d.Type == "List<Number>" {
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				fail("is not a number")
			} else if d.MinValue != nil && f < *d.MinValue || d.MaxValue != nil && f > *d.MaxValue {
				fail("is outside MinValue/MaxValue")
			}
		}
	}
	l.st.Parameters[name] = v
	if len(values) == 1 && !strings.HasPrefix(d.Type, "List") && d.Type != "CommaDelimitedList" {
		l.params[name] = v
		return
	}
	list := make([]any, len(values))
	for i, x := range values {
		list[i] = x
	}
	l.params[name] = list
}

// decode resolves n with the shape of *dst's type and decodes it into dst.
func (l *loader) decode(n *yaml.Node, dst any, path string) bool {
	before := len(l.problems)
	v, ok := l.value(n, shapeOf(reflect.TypeOf(dst).Elem()), path)
	if !ok {
		v = map[string]any{}
	}
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, dst)
	}
	if err != nil {
		l.problemf(n.Line, "%s: %v", path, err)
		return false
	}
	return len(l.problems) == before
}

// globalFunction is Globals.Function; the other Globals sections are
// refused.
func (l *loader) globalFunction(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	var fn *yaml.Node
	l.pairs(n, "Globals", func(k, v *yaml.Node) {
		if k.Value != "Function" {
			l.problemf(k.Line, "Globals.%s is not supported by the local cloud (only Globals.Function)", k.Value)
			return
		}
		fn = v
	})
	return fn
}

var logicalID = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// resourceAttrs are the keys a resource may have besides Type.
var resourceAttrs = map[string]bool{"Type": true, "Properties": true, "Condition": true, "DependsOn": true,
	"DeletionPolicy": true, "UpdateReplacePolicy": true, "Metadata": true}

// index records every resource, its type and its condition, and merges
// Globals.Function into each function, before anything is resolved:
// references may point forward.
func (l *loader) index(resources, globalFn *yaml.Node) {
	l.pairs(resources, "Resources", func(k, v *yaml.Node) {
		e := &entry{id: k.Value, line: k.Line, attrs: v, deps: map[string]bool{}}
		if !logicalID.MatchString(e.id) {
			l.problemf(k.Line, "logical id %q: use letters and digits only", e.id)
		}
		l.entries[e.id] = e
		l.order = append(l.order, e)
		var typeLine int
		l.pairs(v, "Resources."+e.id, func(ak, av *yaml.Node) {
			switch ak.Value {
			case "Type":
				e.typ, typeLine = av.Value, av.Line
			case "Properties":
				e.props = av
			case "Condition":
				e.condition = av.Value
			default:
				if !resourceAttrs[ak.Value] {
					l.problemf(ak.Line, "%s: resource attribute %s is not supported by the local cloud", e.id, ak.Value)
				}
			}
		})
		if e.typ == "" {
			l.problemf(k.Line, "%s: the resource has no Type", e.id)
			return
		}
		if e.kind = kinds[e.typ]; e.kind == nil {
			l.problemf(typeLine, "%s (resource %s) is not supported by the local cloud", e.typ, e.id)
			return
		}
		if e.typ == "AWS::Serverless::Function" {
			e.props = mergeSAM(globalFn, e.props)
			e.props = l.onlyS3Events(e)
		}
	})
}

// buildAll resolves every created resource and builds its typed model,
// in template order.
func (l *loader) buildAll() {
	for _, e := range l.order {
		e.included = e.condition == "" || l.condition(e.condition, e.line)
	}
	for _, e := range l.order {
		if !e.included {
			l.st.Skipped = append(l.st.Skipped, e.id)
			continue
		}
		if e.kind == nil {
			continue
		}
		l.buildOne(e)
	}
}

func (l *loader) buildOne(e *entry) {
	l.cur = e
	defer func() { l.cur = nil }()
	path := "Resources." + e.id
	r := &Resource{LogicalID: e.id, Type: e.typ, Line: e.line, Condition: e.condition, Attrs: map[string]string{}}
	l.resourceAttributes(e, r, path)
	props := reflect.New(e.kind.props)
	node := e.props
	if node == nil { // no Properties: still checked for required ones
		node = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: e.line}
	}
	v, ok := l.value(node, shapeOf(e.kind.props), path+".Properties")
	if m, isMap := v.(map[string]any); ok && isMap {
		r.Properties = m
	} else {
		r.Properties = map[string]any{}
	}
	b, err := json.Marshal(r.Properties)
	if err == nil {
		err = json.Unmarshal(b, props.Interface())
	}
	if err != nil {
		l.problemf(node.Line, "%s.Properties: %v", path, err)
	}
	id, ok := l.identity(e, e.line, path)
	if !ok {
		return
	}
	r.Ref = id.ref
	for k, v := range id.attrs {
		r.Attrs[k] = v
	}
	r.Typed = e.kind.build(l, r, props.Interface(), id)
	l.st.Resources = append(l.st.Resources, r)
	l.st.byID[e.id] = r
}

// resourceAttributes reads DependsOn, DeletionPolicy, UpdateReplacePolicy
// and Metadata.
func (l *loader) resourceAttributes(e *entry, r *Resource, path string) {
	var a struct {
		DependsOn           StringList
		DeletionPolicy      string
		UpdateReplacePolicy string
		Metadata            map[string]any
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: e.line}
	for i := 0; i+1 < len(e.attrs.Content); i += 2 {
		switch e.attrs.Content[i].Value {
		case "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata":
			n.Content = append(n.Content, e.attrs.Content[i], e.attrs.Content[i+1])
		}
	}
	l.decode(n, &a, path)
	r.DependsOn, r.DeletionPolicy, r.UpdateReplacePolicy, r.Metadata = a.DependsOn, a.DeletionPolicy, a.UpdateReplacePolicy, a.Metadata
	for _, p := range []string{r.DeletionPolicy, r.UpdateReplacePolicy} {
		if p != "" && !slices.Contains([]string{"Delete", "Retain", "RetainExceptOnCreate", "Snapshot"}, p) {
			l.problemf(e.line, "%s: policy %q: want Delete, Retain, RetainExceptOnCreate or Snapshot", e.id, p)
		}
	}
	for _, d := range r.DependsOn {
		t := l.entries[d]
		switch {
		case t == nil:
			l.problemf(l.propLineIn(e.attrs, "DependsOn", e.line), "%s: DependsOn %s: no resource is named %s", e.id, d, d)
		case !t.included:
			l.problemf(l.propLineIn(e.attrs, "DependsOn", e.line), "%s: DependsOn %s, which is not created (its condition %s is false)", e.id, d, t.condition)
		default:
			e.deps[d] = true
		}
	}
}

// identity returns what Ref and Fn::GetAtt see of e, computing its name
// on first use: a name may itself be an intrinsic (BucketName: !Sub ...).
func (l *loader) identity(e *entry, line int, path string) (*identity, bool) {
	switch {
	case e.kind == nil:
		return nil, false // its type is already reported
	case !e.included:
		l.problemf(line, "%s: %s is not created: its condition %s is false", path, e.id, e.condition)
		return nil, false
	case e.ident != nil:
		return e.ident, true
	case e.busy:
		l.problemf(line, "%s: the name of %s depends on itself", path, e.id)
		return nil, false
	}
	e.busy = true
	saved := l.cur
	l.cur = e
	name := ""
	if e.kind.nameProp != "" {
		name, _ = l.propString(e, e.kind.nameProp)
	}
	if name == "" {
		name = localName(e.kind, e.id, l.opts.StackName)
	}
	id := e.kind.ident(l, e, name)
	l.cur, e.busy, e.ident = saved, false, &id
	return e.ident, true
}

// propString resolves one string property of e on its own.
func (l *loader) propString(e *entry, key string) (string, bool) {
	if e.props == nil || e.props.Kind != yaml.MappingNode {
		return "", false
	}
	for i := 0; i+1 < len(e.props.Content); i += 2 {
		if e.props.Content[i].Value == key {
			v, ok := l.value(e.props.Content[i+1], stringShape, "Resources."+e.id+".Properties."+key)
			s, _ := v.(string)
			return s, ok
		}
	}
	return "", false
}

// propLine is the line of a property (a dotted path) of r, or of its
// deepest part found, for messages about resolved values.
func (l *loader) propLine(r *Resource, prop string) int {
	e := l.entries[r.LogicalID]
	if e == nil || e.props == nil {
		return r.Line
	}
	return l.propLineIn(e.props, prop, r.Line)
}

// elemLine is the line of the i-th element of a list property of r (or
// of the property, if it is not a list).
func (l *loader) elemLine(r *Resource, prop string, i int) int {
	e := l.entries[r.LogicalID]
	if e == nil || e.props == nil {
		return r.Line
	}
	if n := l.propLineValue(e.props, prop); n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
		return n.Content[i].Line
	}
	return l.propLine(r, prop)
}

func (l *loader) propLineIn(n *yaml.Node, prop string, line int) int {
	for _, part := range strings.Split(prop, ".") {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

// depend records that the resource being resolved refers to name. The
// references in a function's SAM events do not count: SAM moves them to
// the bucket's notification, where the dependency runs the other way.
func (l *loader) depend(name, path string) {
	if l.cur != nil && !strings.Contains(path, ".Properties.Events.") {
		l.cur.deps[name] = true
	}
}

// checkCycles reports a circular dependency, which CloudFormation refuses
// to deploy: locally it would work, so only this check catches it.
func (l *loader) checkCycles() {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(id string) bool
	visit = func(id string) bool {
		state[id] = active
		stack = append(stack, id)
		for _, d := range sortedKeys(l.entries[id].deps) {
			switch state[d] {
			case active:
				i := slices.Index(stack, d)
				cycle := append(append([]string{}, stack[i:]...), d)
				l.problemf(l.entries[d].line, "circular dependency, which CloudFormation refuses: %s", strings.Join(cycle, " → "))
				return true
			case unseen:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		return false
	}
	for _, e := range l.order {
		if state[e.id] == unseen && e.included && visit(e.id) {
			return
		}
	}
}

// outputs resolves the outputs the stack creates.
func (l *loader) outputs(n *yaml.Node) {
	if n == nil {
		return
	}
	l.pairs(n, "Outputs", func(k, v *yaml.Node) {
		path := "Outputs." + k.Value
		var o struct {
			Condition   string
			Description string
			Value       *yaml.Node
			Export      *yaml.Node
		}
		l.pairs(v, path, func(ok, ov *yaml.Node) {
			switch ok.Value {
			case "Condition":
				o.Condition = ov.Value
			case "Description":
				o.Description = ov.Value
			case "Value":
				o.Value = ov
			case "Export":
				o.Export = ov // resolved and checked; locally there is one stack, so nothing imports it
			default:
				l.problemf(ok.Line, "%s: key %s is not supported by the local cloud", path, ok.Value)
			}
		})
		if o.Condition != "" && !l.condition(o.Condition, k.Line) {
			return
		}
		if o.Value == nil {
			l.problemf(k.Line, "%s has no Value", path)
			return
		}
		if o.Export != nil {
			var ex struct{ Name string }
			l.decode(o.Export, &ex, path+".Export")
		}
		if s, ok := l.value(o.Value, stringShape, path+".Value"); ok {
			l.st.Outputs[k.Value] = s.(string)
		}
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
