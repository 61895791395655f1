// Package templatetest is test support for tests that check template.yaml
// against the code: it decodes the SAM template with CloudFormation's
// short-form tags (!Ref, !Sub, !GetAtt, …) turned into plain values, so a
// test can compare what the stack declares with what the code does. The
// wiring's tests (functions, variables, policies, outputs) and the
// alerter's (the EventBridge rule and alarms) read the template through
// it, so they cannot disagree on what a tag means.
package templatetest

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Decode reads the template at path into v. A !Ref whose name is in refs
// becomes refs[name] (on AWS, Ref of a state machine is its ARN, say);
// every other short-form tag is dropped, keeping its value as written
// ("!Sub x" is "x", "!GetAtt A.B" is "A.B"). YAML's own types stay, so
// numbers and booleans decode as numbers and booleans.
func Decode(t testing.TB, path string, refs map[string]string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	resolve(&doc, refs)
	if err := doc.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func resolve(n *yaml.Node, refs map[string]string) {
	if n.Tag == "!Ref" && n.Kind == yaml.ScalarNode {
		if v, ok := refs[n.Value]; ok {
			n.Value = v
		}
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		n.Tag = map[yaml.Kind]string{yaml.ScalarNode: "!!str", yaml.SequenceNode: "!!seq", yaml.MappingNode: "!!map"}[n.Kind]
	}
	for _, c := range n.Content {
		resolve(c, refs)
	}
}
