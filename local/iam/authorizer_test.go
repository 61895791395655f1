package iam

import (
	"errors"
	"strings"
	"testing"
)

func TestAuthorizer(t *testing.T) {
	a := NewAuthorizer("000000000000")
	a.AddAdmin("DEV", "arn:aws:iam::000000000000:root")
	a.AddRole("CONVERT", "arn:aws:iam::000000000000:role/thumbflow-convert-role", []Policy{mustParse(t,
		`{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::out/renditions/*"}]}`)})
	tlsOnly := mustParse(t, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::out/*",
		"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	a.SetResourcePolicies(func(resource string) []Policy {
		if strings.HasPrefix(resource, "arn:aws:s3:::out/") {
			return []Policy{tlsOnly}
		}
		return nil
	})
	tls := map[string][]string{"aws:SecureTransport": {"true"}}
	if err := a.Authorize("CONVERT", "s3:PutObject", "arn:aws:s3:::out/renditions/x", tls); err != nil {
		t.Errorf("the role's own grant: %v", err)
	}
	err := a.Authorize("CONVERT", "s3:PutObject", "arn:aws:s3:::out/other/x", tls)
	var d *Denied
	if !errors.As(err, &d) || d.Explicit ||
		err.Error() != `User: arn:aws:sts::000000000000:assumed-role/thumbflow-convert-role/thumbflow-convert-role is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::out/other/x because no identity-based policy allows the s3:PutObject action` {
		t.Errorf("outside the grant: %v", err)
	}
	if err := a.Authorize("DEV", "s3:DeleteBucket", "arn:aws:s3:::anything", nil); err != nil {
		t.Errorf("the administrator: %v", err)
	}
	if err := a.Authorize("DEV", "s3:GetObject", "arn:aws:s3:::out/k", map[string][]string{"aws:SecureTransport": {"false"}}); !errors.As(err, &d) || !d.Explicit {
		t.Errorf("the administrator over plain HTTP, against a TLS-only bucket policy: %v", err)
	}
	if err := a.Authorize("STRANGER", "s3:GetObject", "arn:aws:s3:::out/k", tls); err == nil {
		t.Error("an unknown key was allowed")
	}
}
