package iam

import (
	"strings"
	"testing"
)

func mustParse(t *testing.T, doc string) Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbb", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"uploads/*", "uploads/x/y", true},
		{"uploads/*", "upload/x", false},
		{"*a*a*a*a*a*b", strings.Repeat("a", 60), false}, // no exponential blow-up
	} {
		if got := glob(c.pattern, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestARNWildcardsStayInTheirSegment(t *testing.T) {
	for _, c := range []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:s3:::records/status/*", "arn:aws:s3:::records/status/abc", true},
		{"arn:aws:s3:::records/status/*", "arn:aws:s3:::records/failures/abc", false},
		{"arn:aws:s3:::records", "arn:aws:s3:::records/status/abc", false},
		{"arn:aws:lambda:*:123:function:f*", "arn:aws:lambda:us-east-1:123:function:fx", true},
		// A * in the region must not swallow the account.
		{"arn:aws:lambda:*:function:f", "arn:aws:lambda:us-east-1:123:function:f", false},
		{"arn:aws:states:us-east-1:1:execution:thumbnail:*", "arn:aws:states:us-east-1:1:execution:thumbnail:a:b", true},
	} {
		if got := matchARN(c.pattern, c.arn); got != c.want {
			t.Errorf("matchARN(%q, %q) = %v, want %v", c.pattern, c.arn, got, c.want)
		}
	}
}

func TestParseRefusesWhatIAMRefuses(t *testing.T) {
	for _, doc := range []string{
		`{"Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"x"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringSortOf":{"k":"v"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Action":{"a":1},"Resource":"*"}]}`,
	} {
		if _, err := Parse(doc); err == nil {
			t.Errorf("Parse(%s) accepted it", doc)
		}
	}
	p := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":["a","b"]}}`)
	if len(p.Statements) != 1 || len(p.Statements[0].Resource) != 2 {
		t.Errorf("one statement object with a resource list: %+v", p)
	}
}

const role = "arn:aws:iam::123456789012:role/thumbflow-convert-role"

func req(action, resource string, ctx map[string][]string) Request {
	return Request{Principal: role, Account: "123456789012", Action: action, Resource: resource, Context: ctx}
}

func TestIdentityPolicy(t *testing.T) {
	p := mustParse(t, `{"Statement":[
		{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::records/status/*"},
		{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::records",
		 "Condition":{"StringLike":{"s3:prefix":["status/*","failures/*"]}}},
		{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::records/status/locked"}]}`)
	for _, c := range []struct {
		r    Request
		want Decision
	}{
		{req("s3:GetObject", "arn:aws:s3:::records/status/x", nil), Allow},
		{req("S3:getobject", "arn:aws:s3:::records/status/x", nil), Allow}, // actions ignore case
		{req("s3:DeleteObject", "arn:aws:s3:::records/status/x", nil), ImplicitDeny},
		{req("s3:GetObject", "arn:aws:s3:::records/subscriptions/x", nil), ImplicitDeny},
		{req("s3:PutObject", "arn:aws:s3:::records/status/locked", nil), ExplicitDeny},
		{req("s3:ListBucket", "arn:aws:s3:::records", map[string][]string{"s3:prefix": {"status/abc"}}), Allow},
		{req("s3:ListBucket", "arn:aws:s3:::records", map[string][]string{"s3:prefix": {"subscriptions/"}}), ImplicitDeny},
		{req("s3:ListBucket", "arn:aws:s3:::records", nil), ImplicitDeny}, // no prefix, no listing
	} {
		if got := Evaluate(c.r, []Policy{p}, nil); got != c.want {
			t.Errorf("%s on %s (%v) = %s, want %s", c.r.Action, c.r.Resource, c.r.Context, got, c.want)
		}
	}
}

// TestTLSOnlyBucketPolicy is the bucket policy that denies plain HTTP to
// everyone: a Deny in a resource policy beats the role's Allow.
func TestTLSOnlyBucketPolicy(t *testing.T) {
	identity := mustParse(t, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	bucket := mustParse(t, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
		"Resource":["arn:aws:s3:::out","arn:aws:s3:::out/*"],
		"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	tls := req("s3:GetObject", "arn:aws:s3:::out/k", map[string][]string{"aws:SecureTransport": {"true"}})
	plain := req("s3:GetObject", "arn:aws:s3:::out/k", map[string][]string{"aws:SecureTransport": {"false"}})
	if got := Evaluate(tls, []Policy{identity}, []Policy{bucket}); got != Allow {
		t.Errorf("TLS request = %s, want Allow", got)
	}
	if got := Evaluate(plain, []Policy{identity}, []Policy{bucket}); got != ExplicitDeny {
		t.Errorf("plain-HTTP request = %s, want ExplicitDeny", got)
	}
}

// TestTopicPolicy: EventBridge may publish to the topic only for the
// stack's own rule (aws:SourceArn) and account.
func TestTopicPolicy(t *testing.T) {
	topic := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},
		"Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:alerts",
		"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:events:us-east-1:123456789012:rule/failed"},
		             "StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`)
	publish := func(service, source, account string) Decision {
		r := Request{Service: service, Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:123456789012:alerts",
			Context: map[string][]string{"aws:SourceArn": {source}, "aws:SourceAccount": {account}}}
		return Evaluate(r, nil, []Policy{topic})
	}
	if got := publish("events.amazonaws.com", "arn:aws:events:us-east-1:123456789012:rule/failed", "123456789012"); got != Allow {
		t.Errorf("the stack's rule = %s, want Allow", got)
	}
	if got := publish("events.amazonaws.com", "arn:aws:events:us-east-1:999999999999:rule/other", "999999999999"); got != ImplicitDeny {
		t.Errorf("another account's rule = %s, want ImplicitDeny", got)
	}
	if got := publish("s3.amazonaws.com", "arn:aws:events:us-east-1:123456789012:rule/failed", "123456789012"); got != ImplicitDeny {
		t.Errorf("another service = %s, want ImplicitDeny", got)
	}
}

func TestResourcePolicyPrincipals(t *testing.T) {
	for _, c := range []struct {
		principal string
		want      Decision
	}{
		{`"*"`, Allow},
		{`{"AWS":"*"}`, Allow},
		{`{"AWS":"123456789012"}`, Allow},
		{`{"AWS":"arn:aws:iam::123456789012:root"}`, Allow},
		{`{"AWS":"` + role + `"}`, Allow},
		{`{"AWS":"arn:aws:iam::123456789012:role/other"}`, ImplicitDeny},
		{`{"AWS":"999999999999"}`, ImplicitDeny},
	} {
		p := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":`+c.principal+`,"Action":"s3:GetObject","Resource":"*"}]}`)
		if got := Evaluate(req("s3:GetObject", "arn:aws:s3:::b/k", nil), nil, []Policy{p}); got != c.want {
			t.Errorf("Principal %s = %s, want %s", c.principal, got, c.want)
		}
	}
}

func TestConditionOperators(t *testing.T) {
	ctx := map[string][]string{
		"aws:SourceIp":     {"127.0.0.1"},
		"s3:max-keys":      {"100"},
		"aws:CurrentTime":  {"2026-12-02T10:00:00Z"},
		"aws:TagKeys":      {"team", "cost"},
		"aws:PrincipalTag": {"x"},
	}
	for _, c := range []struct {
		cond string
		want bool
	}{
		{`{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`, true},
		{`{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`, false},
		{`{"NumericLessThanEquals":{"s3:max-keys":"100"}}`, true},
		{`{"NumericLessThan":{"s3:max-keys":"100"}}`, false},
		{`{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`, true},
		{`{"StringEquals":{"aws:Missing":"x"}}`, false},
		{`{"StringNotEquals":{"aws:Missing":"x"}}`, true},
		{`{"StringEqualsIfExists":{"aws:Missing":"x"}}`, true},
		{`{"Null":{"aws:Missing":"true"}}`, true},
		{`{"Null":{"aws:SourceIp":"true"}}`, false},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["team","cost","owner"]}}`, true},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, false},
		{`{"ForAnyValue:StringEquals":{"aws:TagKeys":["cost"]}}`, true},
		{`{"ForAllValues:StringEquals":{"aws:Missing":["x"]}}`, true},
		{`{"StringLike":{"aws:SourceIp":"127.*"},"Bool":{"aws:Missing":"true"}}`, false}, // every operator must hold
	} {
		p := mustParse(t, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":`+c.cond+`}]}`)
		got := Evaluate(req("s3:ListBucket", "arn:aws:s3:::b", ctx), []Policy{p}, nil) == Allow
		if got != c.want {
			t.Errorf("%s holds = %v, want %v", c.cond, got, c.want)
		}
	}
}

func TestNotActionAndNotResource(t *testing.T) {
	p := mustParse(t, `{"Statement":[{"Effect":"Allow","NotAction":"s3:Delete*","NotResource":"arn:aws:s3:::secret/*"}]}`)
	if got := Evaluate(req("s3:GetObject", "arn:aws:s3:::b/k", nil), []Policy{p}, nil); got != Allow {
		t.Errorf("GetObject = %s", got)
	}
	if got := Evaluate(req("s3:DeleteObject", "arn:aws:s3:::b/k", nil), []Policy{p}, nil); got != ImplicitDeny {
		t.Errorf("DeleteObject = %s", got)
	}
	if got := Evaluate(req("s3:GetObject", "arn:aws:s3:::secret/k", nil), []Policy{p}, nil); got != ImplicitDeny {
		t.Errorf("GetObject on secret/ = %s", got)
	}
}
