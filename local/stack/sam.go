package stack

import (
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file does what SAM's translator does before CloudFormation sees the
// template: Globals, S3 events, policies and state machine definitions.

// mergeSAM merges a function's properties over Globals.Function as SAM
// does: mappings merge key by key (recursively), lists concatenate (the
// global entries first), and otherwise the function's value wins. An
// intrinsic on either side is a value, never merged into.
func mergeSAM(global, local *yaml.Node) *yaml.Node {
	switch {
	case global == nil:
		return local
	case local == nil:
		return global
	case isIntrinsic(global) || isIntrinsic(local):
		return local
	case global.Kind == yaml.MappingNode && local.Kind == yaml.MappingNode:
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: local.Line, Column: local.Column}
		at := map[string]int{}
		for i := 0; i+1 < len(global.Content); i += 2 {
			at[global.Content[i].Value] = len(out.Content)
			out.Content = append(out.Content, global.Content[i], global.Content[i+1])
		}
		for i := 0; i+1 < len(local.Content); i += 2 {
			k, v := local.Content[i], local.Content[i+1]
			if j, ok := at[k.Value]; ok {
				out.Content[j], out.Content[j+1] = k, mergeSAM(out.Content[j+1], v)
				continue
			}
			out.Content = append(out.Content, k, v)
		}
		return out
	case global.Kind == yaml.SequenceNode && local.Kind == yaml.SequenceNode:
		out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: local.Line, Column: local.Column}
		out.Content = append(append(out.Content, global.Content...), local.Content...)
		return out
	}
	return local
}

func isIntrinsic(n *yaml.Node) bool {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// onlyS3Events refuses a function's event sources other than S3 (naming
// them), and returns the properties without them, so that their
// properties are not also reported as unknown S3 ones.
func (l *loader) onlyS3Events(e *entry) *yaml.Node {
	props := e.props
	if props == nil || props.Kind != yaml.MappingNode {
		return props
	}
	for i := 0; i+1 < len(props.Content); i += 2 {
		evs := props.Content[i+1]
		if props.Content[i].Value != "Events" || evs.Kind != yaml.MappingNode {
			continue
		}
		kept := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: evs.Line, Column: evs.Column}
		for j := 0; j+1 < len(evs.Content); j += 2 {
			typ := l.propLineValue(evs.Content[j+1], "Type")
			if typ != nil && typ.Value != "S3" {
				l.problemf(typ.Line, "%s: event source %s of type %s is not supported by the local cloud (supported: S3)",
					e.id, evs.Content[j].Value, typ.Value)
				continue
			}
			kept.Content = append(kept.Content, evs.Content[j], evs.Content[j+1])
		}
		out := *props
		out.Content = append([]*yaml.Node{}, props.Content...)
		out.Content[i+1] = kept
		return &out
	}
	return props
}

// propLineValue is the value node of key in mapping n, or nil.
func (l *loader) propLineValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// policyTemplates are the SAM policy templates the local cloud expands,
// with their parameters. The IAM evaluation expands them; an unknown one
// is refused here rather than granting nothing (or everything) later.
var policyTemplates = map[string][]string{
	"LambdaInvokePolicy": {"FunctionName"},
}

// policies reads SAM's Policies: a managed policy name, a policy
// document, a policy template, or a list of these.
func (l *loader) policies(r *Resource, v any) []Policy {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var out []Policy
	for i, p := range list {
		line := l.elemLine(r, "Policies", i)
		switch x := p.(type) {
		case string:
			out = append(out, Policy{ManagedPolicy: x})
			continue
		case map[string]any:
			if _, isDoc := x["Statement"]; isDoc {
				out = append(out, Policy{Document: x})
				continue
			}
			if len(x) == 1 {
				for name, params := range x {
					out = append(out, l.policyTemplate(r, line, name, params))
				}
				continue
			}
		}
		l.problemf(line, "%s: Policies: want a managed policy name, a policy document or a policy template, got %s", r.LogicalID, describeValue(p))
	}
	return out
}

func (l *loader) policyTemplate(r *Resource, line int, name string, params any) Policy {
	want, ok := policyTemplates[name]
	if !ok {
		l.problemf(line, "%s: SAM policy template %s is not supported by the local cloud (supported: %s)",
			r.LogicalID, name, strings.Join(sortedKeys(policyTemplates), ", "))
		return Policy{Template: name}
	}
	m, _ := params.(map[string]any)
	for _, p := range want {
		if _, ok := m[p]; !ok {
			l.problemf(line, "%s: policy template %s needs its parameter %s", r.LogicalID, name, p)
		}
	}
	for p := range m {
		if !slices.Contains(want, p) {
			l.problemf(line, "%s: policy template %s has no parameter %s", r.LogicalID, name, p)
		}
	}
	return Policy{Template: name, Params: m}
}

// placeholder is a ${Name} of a definition, as DefinitionSubstitutions
// replaces them.
var placeholder = regexp.MustCompile(`\$\{([^}]*)\}`)

// definition reads the state machine's definition (DefinitionUri relative
// to the template, or Definition) and applies DefinitionSubstitutions, as
// SAM and CloudFormation do. A placeholder without a substitution is an
// error: on AWS it would fail the deployment.
func (l *loader) definition(r *Resource, p *StateMachineProps) string {
	var text string
	switch {
	case p.DefinitionUri != "" && p.Definition != nil:
		l.problemf(r.Line, "%s: DefinitionUri and Definition are mutually exclusive", r.LogicalID)
		return ""
	case p.DefinitionUri != "":
		line := l.propLine(r, "DefinitionUri")
		name := path.Clean(p.DefinitionUri)
		if l.opts.Files == nil || !fs.ValidPath(name) {
			l.problemf(line, "%s: DefinitionUri %s: no file next to the template by that name (load it with LoadFS)", r.LogicalID, p.DefinitionUri)
			return ""
		}
		b, err := fs.ReadFile(l.opts.Files, name)
		if err != nil {
			l.problemf(line, "%s: DefinitionUri: %v", r.LogicalID, err)
			return ""
		}
		text = string(b)
	case p.Definition != nil:
		b, err := json.Marshal(p.Definition)
		if err != nil {
			l.problemf(l.propLine(r, "Definition"), "%s: Definition: %v", r.LogicalID, err)
			return ""
		}
		text = string(b)
	default:
		l.problemf(r.Line, "%s: the state machine needs DefinitionUri or Definition", r.LogicalID)
		return ""
	}
	var missing []string
	text = placeholder.ReplaceAllStringFunc(text, func(m string) string {
		v, ok := p.DefinitionSubstitutions[m[2:len(m)-1]]
		if !ok {
			missing = append(missing, m)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		l.problemf(l.propLine(r, "DefinitionSubstitutions"), "%s: the definition's %s have no DefinitionSubstitutions", r.LogicalID, strings.Join(missing, ", "))
	}
	if !json.Valid([]byte(text)) {
		l.problemf(l.propLine(r, "DefinitionUri"), "%s: the definition is not valid JSON", r.LogicalID)
	}
	return text
}

// s3Events turns each function's S3 events into the bucket's notification
// configuration, as SAM's translator does: one LambdaConfiguration per
// event type, with the event's filter.
func (l *loader) s3Events(f *Function, buckets map[string]*Bucket) {
	for _, name := range sortedKeys(f.Props.Events) {
		ev := f.Props.Events[name]
		line := l.propLine(f.Resource, "Events."+name+".Properties.Bucket")
		b := buckets[ev.Properties.Bucket]
		if b == nil {
			l.problemf(line, "%s: event %s: Bucket must be a !Ref to an AWS::S3::Bucket of this template (SAM requires it)", f.LogicalID, name)
			continue
		}
		if len(ev.Properties.Events) == 0 {
			l.problemf(line, "%s: event %s needs Events (for example s3:ObjectCreated:*)", f.LogicalID, name)
		}
		se := S3Event{Name: name, Bucket: b, Events: ev.Properties.Events}
		se.Prefix, se.Suffix = l.filter(f.Resource, "Events."+name+".Properties.Filter", ev.Properties.Filter)
		f.S3Events = append(f.S3Events, se)
		if b.Props.NotificationConfiguration == nil {
			b.Props.NotificationConfiguration = &NotificationConfiguration{}
		}
		for _, event := range ev.Properties.Events {
			if !strings.HasPrefix(event, "s3:") {
				l.problemf(line, "%s: event %s: %q is not an S3 event type", f.LogicalID, name, event)
			}
			nc := b.Props.NotificationConfiguration
			nc.LambdaConfigurations = append(nc.LambdaConfigurations, NotificationTarget{Event: event, Filter: ev.Properties.Filter, Function: f.ARN})
		}
		// The bucket now names the function: it depends on it.
		l.entries[b.LogicalID].deps[f.LogicalID] = true
	}
}

// filter reads a key filter's prefix and suffix rules.
func (l *loader) filter(r *Resource, prop string, f *NotificationFilter) (prefix, suffix string) {
	if f == nil {
		return "", ""
	}
	for _, rule := range f.S3Key.Rules {
		switch strings.ToLower(rule.Name) {
		case "prefix":
			prefix = rule.Value
		case "suffix":
			suffix = rule.Value
		default:
			l.problemf(l.propLine(r, prop), "%s: filter rule %q: want prefix or suffix", r.LogicalID, rule.Name)
		}
	}
	return prefix, suffix
}

// notifications flattens a bucket's notification configuration.
func (l *loader) notifications(b *Bucket, arns map[string]*Resource) {
	nc := b.Props.NotificationConfiguration
	if nc == nil {
		return
	}
	// The generic properties show what SAM's translator hands
	// CloudFormation: the declared configuration and the S3 events.
	if raw, err := json.Marshal(nc); err == nil {
		var generic map[string]any
		if json.Unmarshal(raw, &generic) == nil {
			b.Properties["NotificationConfiguration"] = generic
		}
	}
	lists := []struct {
		target string
		list   []NotificationTarget
		arn    func(NotificationTarget) string
	}{
		{"Lambda", nc.LambdaConfigurations, func(t NotificationTarget) string { return t.Function }},
		{"Queue", nc.QueueConfigurations, func(t NotificationTarget) string { return t.Queue }},
		{"Topic", nc.TopicConfigurations, func(t NotificationTarget) string { return t.Topic }},
	}
	for _, c := range lists {
		for _, t := range c.list {
			n := Notification{Event: t.Event, Target: c.target, TargetARN: c.arn(t)}
			n.Prefix, n.Suffix = l.filter(b.Resource, "NotificationConfiguration", t.Filter)
			if arns[n.TargetARN] == nil {
				l.problemf(l.propLine(b.Resource, "NotificationConfiguration"), "%s: notification target %s is not a resource of this template", b.LogicalID, n.TargetARN)
			}
			n.Function = l.st.byARN[n.TargetARN]
			b.Notifications = append(b.Notifications, n)
		}
	}
	sort.SliceStable(b.Notifications, func(i, j int) bool { return b.Notifications[i].Event < b.Notifications[j].Event })
}
