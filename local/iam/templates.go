package iam

import (
	"fmt"
	"sort"
	"strings"
)

// Pseudo holds the pseudo-parameters a SAM policy template's statements
// name.
type Pseudo struct {
	Partition, Region, AccountID string
}

// policyTemplate is one SAM policy template: its parameters and the
// statements it expands to, with ${Param} and ${AWS::...} placeholders.
type policyTemplate struct {
	params     []string
	statements []Statement
}

// templates are the SAM policy templates the stack uses, written from
// aws-sam-translator's policy_templates.json (a test compares each with
// the translator's own definition). A template not listed here is refused,
// never expanded to nothing.
var templates = map[string]policyTemplate{
	"LambdaInvokePolicy": {
		params: []string{"FunctionName"},
		statements: []Statement{{
			Effect:   "Allow",
			Action:   Values{"lambda:InvokeFunction"},
			Resource: Values{"arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}*"},
		}},
	},
}

// Templates lists the SAM policy templates ExpandTemplate knows.
func Templates() []string {
	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ExpandTemplate expands the SAM policy template name with its resolved
// parameters into the policy SAM would attach to the role.
func ExpandTemplate(name string, params map[string]string, pseudo Pseudo) (Policy, error) {
	t, ok := templates[name]
	if !ok {
		return Policy{}, fmt.Errorf("SAM policy template %s is not supported locally (supported: %s)", name, strings.Join(Templates(), ", "))
	}
	vars := map[string]string{
		"AWS::Partition": pseudo.Partition,
		"AWS::Region":    pseudo.Region,
		"AWS::AccountId": pseudo.AccountID,
	}
	for _, p := range t.params {
		v, ok := params[p]
		if !ok || v == "" {
			return Policy{}, fmt.Errorf("SAM policy template %s needs its parameter %s", name, p)
		}
		vars[p] = v
	}
	for p := range params {
		if _, ok := vars[p]; !ok {
			return Policy{}, fmt.Errorf("SAM policy template %s has no parameter %s", name, p)
		}
	}
	out := Policy{Version: "2012-10-17"}
	for _, s := range t.statements {
		s.Resource = substitute(s.Resource, vars)
		out.Statements = append(out.Statements, s)
	}
	return out, nil
}

func substitute(vs Values, vars map[string]string) Values {
	out := make(Values, len(vs))
	for i, v := range vs {
		for k, val := range vars {
			v = strings.ReplaceAll(v, "${"+k+"}", val)
		}
		out[i] = v
	}
	return out
}
