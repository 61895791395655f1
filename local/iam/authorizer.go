package iam

import (
	"fmt"
	"strings"
	"sync"
)

// Authorizer decides requests by the access key that signed them, as IAM
// does for the principal the key belongs to. The local cloud gives every
// function its role's own key, so a function can do locally exactly what
// its template policies let it do on AWS. The developer's key is an
// administrator's.
type Authorizer struct {
	mu         sync.RWMutex
	account    string
	principals map[string]principal
	resources  func(resource string) []Policy
}

type principal struct {
	arn      string
	admin    bool
	policies []Policy
}

// NewAuthorizer returns an Authorizer for the account.
func NewAuthorizer(account string) *Authorizer {
	return &Authorizer{account: account, principals: map[string]principal{}}
}

// AddAdmin lets the key do anything, as the account's administrator can.
func (a *Authorizer) AddAdmin(accessKeyID, arn string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.principals[accessKeyID] = principal{arn: arn, admin: true}
}

// AddRole binds the key to a role and its identity policies.
func (a *Authorizer) AddRole(accessKeyID, roleARN string, policies []Policy) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.principals[accessKeyID] = principal{arn: roleARN, policies: policies}
}

// SetResourcePolicies sets where the resource-based policies of a
// resource (a bucket's policy for its objects, a topic's policy) come from.
func (a *Authorizer) SetResourcePolicies(fn func(resource string) []Policy) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.resources = fn
}

// Denied is a refusal, worded as AWS words it, so the SDK error a handler
// logs locally reads like the one it would log on AWS.
type Denied struct {
	Principal, Action, Resource string
	Explicit                    bool
}

func (d *Denied) Error() string {
	why := "because no identity-based policy allows the " + d.Action + " action"
	if d.Explicit {
		why = "with an explicit deny in a policy"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", d.Principal, d.Action, d.Resource, why)
}

// Authorize returns nil when the key's principal may perform action on
// resource with the request's condition keys, and a *Denied otherwise. A
// key the Authorizer does not know is denied: it signed correctly, so it
// is one of the verifier's keys, but nobody said what it may do.
func (a *Authorizer) Authorize(accessKeyID, action, resource string, conditions map[string][]string) error {
	a.mu.RLock()
	p, ok := a.principals[accessKeyID]
	resources := a.resources
	a.mu.RUnlock()
	if !ok {
		return &Denied{Principal: "arn:aws:iam::" + a.account + ":user/" + accessKeyID, Action: action, Resource: resource}
	}
	var resourcePolicies []Policy
	if resources != nil {
		resourcePolicies = resources(resource)
	}
	if p.admin {
		// An administrator is still bound by resource policies' denies
		// (a TLS-only bucket policy, for one).
		if Evaluate(Request{Principal: p.arn, Account: a.account, Action: action, Resource: resource, Context: conditions},
			[]Policy{allowAll}, resourcePolicies) == ExplicitDeny {
			return &Denied{Principal: p.arn, Action: action, Resource: resource, Explicit: true}
		}
		return nil
	}
	switch Evaluate(Request{Principal: p.arn, Account: a.account, Action: action, Resource: resource, Context: conditions}, p.policies, resourcePolicies) {
	case Allow:
		return nil
	case ExplicitDeny:
		return &Denied{Principal: sessionARN(p.arn), Action: action, Resource: resource, Explicit: true}
	}
	return &Denied{Principal: sessionARN(p.arn), Action: action, Resource: resource}
}

var allowAll = Policy{Statements: []Statement{{Effect: "Allow", Action: Values{"*"}, Resource: Values{"*"}}}}

// sessionARN is how AWS names a role's caller in a refusal: the assumed
// role's session, not the role.
func sessionARN(roleARN string) string {
	prefix, name, ok := strings.Cut(roleARN, ":role/")
	if !ok {
		return roleARN
	}
	prefix = strings.Replace(prefix, ":iam:", ":sts:", 1)
	session := name
	if i := strings.LastIndex(name, "/"); i >= 0 {
		session = name[i+1:]
	}
	return prefix + ":assumed-role/" + name + "/" + session
}

// PrincipalARN is the ARN of the principal behind the key (a role's
// session for a function), or "" for an unknown key: what an S3 access log
// record names as the requester.
func (a *Authorizer) PrincipalARN(accessKeyID string) string {
	a.mu.RLock()
	p, ok := a.principals[accessKeyID]
	a.mu.RUnlock()
	if !ok {
		return ""
	}
	if p.admin {
		return p.arn
	}
	return sessionARN(p.arn)
}
