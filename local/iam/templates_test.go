package iam

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// samDefinition reads a policy template's definition from the
// aws-sam-translator that the machine image ships (Python 3.11 through
// pyenv), the code SAM itself expands templates with.
func samDefinition(t *testing.T, name string) map[string]any {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is missing: the comparison with aws-sam-translator cannot run")
		}
		t.Skip("python3 is missing; the comparison with aws-sam-translator is skipped")
	}
	script := `import json, os, sys, samtranslator
p = os.path.join(os.path.dirname(samtranslator.__file__), "policy_templates_data", "policy_templates.json")
print(json.dumps(json.load(open(p))["Templates"][sys.argv[1]]["Definition"]))`
	out, err := exec.Command(py, "-c", script, name).Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("aws-sam-translator: %v", err)
		}
		t.Skipf("aws-sam-translator is not installed (%v); the comparison is skipped", err)
	}
	var def map[string]any
	if err := json.Unmarshal(out, &def); err != nil {
		t.Fatal(err)
	}
	return def
}

// resolveSAM evaluates the intrinsics SAM's policy templates use (Fn::Sub
// with a variable map, Ref to a template parameter) the way
// CloudFormation would, independently of ExpandTemplate.
func resolveSAM(t *testing.T, v any, vars map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		if sub, ok := x["Fn::Sub"]; ok {
			parts := sub.([]any)
			local := map[string]string{}
			for k, val := range parts[1].(map[string]any) {
				local[k] = resolveSAM(t, val, vars).(string)
			}
			return regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(parts[0].(string), func(m string) string {
				k := m[2 : len(m)-1]
				if s, ok := local[k]; ok {
					return s
				}
				if s, ok := vars[k]; ok {
					return s
				}
				t.Fatalf("unresolved %s", m)
				return ""
			})
		}
		if ref, ok := x["Ref"]; ok {
			return vars[ref.(string)]
		}
		out := map[string]any{}
		for k, val := range x {
			out[k] = resolveSAM(t, val, vars)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolveSAM(t, e, vars)
		}
		return out
	}
	return v
}

func TestTemplatesMatchAWSSAMTranslator(t *testing.T) {
	pseudo := Pseudo{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012"}
	params := map[string]map[string]string{
		"LambdaInvokePolicy": {"FunctionName": "thumbflow-convert"},
	}
	for _, name := range Templates() {
		t.Run(name, func(t *testing.T) {
			p, ok := params[name]
			if !ok {
				t.Fatalf("no test parameters for %s", name)
			}
			got, err := ExpandTemplate(name, p, pseudo)
			if err != nil {
				t.Fatal(err)
			}
			vars := map[string]string{"AWS::Partition": pseudo.Partition, "AWS::Region": pseudo.Region, "AWS::AccountId": pseudo.AccountID}
			for k, v := range p {
				vars[k] = v
			}
			want, err := Parse(resolveSAM(t, samDefinition(t, name), vars))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Statements, want.Statements) {
				t.Errorf("local expansion\n%+v\nSAM's\n%+v", got.Statements, want.Statements)
			}
		})
	}
}

func TestExpandTemplateRefusesWhatItDoesNotKnow(t *testing.T) {
	pseudo := Pseudo{Partition: "aws", Region: "us-east-1", AccountID: "1"}
	if _, err := ExpandTemplate("DynamoDBCrudPolicy", map[string]string{"TableName": "t"}, pseudo); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("unknown template: %v", err)
	}
	if _, err := ExpandTemplate("LambdaInvokePolicy", nil, pseudo); err == nil {
		t.Error("missing parameter accepted")
	}
	if _, err := ExpandTemplate("LambdaInvokePolicy", map[string]string{"FunctionName": "f", "Extra": "x"}, pseudo); err == nil {
		t.Error("unknown parameter accepted")
	}
	p, err := ExpandTemplate("LambdaInvokePolicy", map[string]string{"FunctionName": "thumbflow-convert"}, pseudo)
	if err != nil {
		t.Fatal(err)
	}
	r := Request{Principal: "arn:aws:iam::1:role/sm", Account: "1", Action: "lambda:InvokeFunction"}
	r.Resource = "arn:aws:lambda:us-east-1:1:function:thumbflow-convert"
	if Evaluate(r, []Policy{p}, nil) != Allow {
		t.Error("the expanded template does not allow invoking its function")
	}
	r.Resource = "arn:aws:lambda:us-east-1:1:function:thumbflow-status"
	if Evaluate(r, []Policy{p}, nil) != ImplicitDeny {
		t.Error("the expanded template allows invoking another function")
	}
}
