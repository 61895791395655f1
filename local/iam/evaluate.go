package iam

import (
	"strings"
)

// Request is what a policy is evaluated for.
type Request struct {
	// Principal is the caller's ARN (a role's ARN for a function), or ""
	// for an anonymous caller. Service names an AWS service principal
	// ("events.amazonaws.com") when a service makes the call instead.
	Principal string
	Service   string
	// Account is the caller's account id.
	Account string
	// Action is "service:Operation", e.g. "s3:GetObject".
	Action string
	// Resource is the ARN acted on.
	Resource string
	// Context holds the request's condition keys (aws:SecureTransport,
	// s3:prefix, aws:SourceArn, ...), each with one or more values. Keys
	// compare case-insensitively, as IAM's do.
	Context map[string][]string
}

// Decision is the outcome of an evaluation.
type Decision int

const (
	// ImplicitDeny: no statement allows the request.
	ImplicitDeny Decision = iota
	// Allow: a statement allows it and none denies it.
	Allow
	// ExplicitDeny: a statement denies it, whatever else allows it.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// Evaluate decides req against the caller's identity policies and the
// resource's policies, as AWS does within one account: an explicit Deny
// anywhere wins; then an Allow from either kind of policy allows.
func Evaluate(req Request, identity, resource []Policy) Decision {
	ctx := req.context()
	decision := ImplicitDeny
	apply := func(p Policy, isResource bool) bool {
		for _, s := range p.Statements {
			if !s.applies(req, ctx, isResource) {
				continue
			}
			if s.Effect == "Deny" {
				return true
			}
			decision = Allow
		}
		return false
	}
	for _, p := range identity {
		if apply(p, false) {
			return ExplicitDeny
		}
	}
	for _, p := range resource {
		if apply(p, true) {
			return ExplicitDeny
		}
	}
	return decision
}

// context is the request's condition keys, lower-cased, with the global
// keys AWS adds to every request.
func (req Request) context() map[string][]string {
	ctx := make(map[string][]string, len(req.Context)+3)
	for k, v := range req.Context {
		ctx[strings.ToLower(k)] = v
	}
	if req.Principal != "" {
		ctx["aws:principalarn"] = []string{req.Principal}
	}
	if req.Account != "" {
		ctx["aws:principalaccount"] = []string{req.Account}
	}
	if req.Service != "" {
		ctx["aws:principalservicename"] = []string{req.Service}
	}
	return ctx
}

// applies reports whether the statement covers the request, whatever its
// effect.
func (s Statement) applies(req Request, ctx map[string][]string, isResource bool) bool {
	if !matchesAny(s.Action, s.NotAction, req.Action, matchAction) {
		return false
	}
	if (len(s.Resource) > 0 || len(s.NotResource) > 0) && !matchesAny(s.Resource, s.NotResource, req.Resource, matchARN) {
		return false
	}
	if isResource && !s.namesPrincipal(req) {
		return false
	}
	for opName, keys := range s.Condition {
		op, err := parseOperator(opName)
		if err != nil {
			return false // Parse refuses it; a hand-built policy fails closed
		}
		for key, want := range keys {
			got, present := ctx[strings.ToLower(key)]
			if !op.holds(want, got, present) {
				return false
			}
		}
	}
	return true
}

// matchesAny applies a list and its Not* form: the value must match one
// pattern of list, or (for the Not* form) none of not.
func matchesAny(list, not Values, value string, match func(pattern, value string) bool) bool {
	if len(not) > 0 {
		for _, p := range not {
			if match(p, value) {
				return false
			}
		}
		return true
	}
	for _, p := range list {
		if match(p, value) {
			return true
		}
	}
	return false
}

// namesPrincipal reports whether a resource policy's statement is about
// the caller.
func (s Statement) namesPrincipal(req Request) bool {
	if s.NotPrincipal != nil {
		return !s.NotPrincipal.names(req)
	}
	return s.Principal != nil && s.Principal.names(req)
}

func (p *Principal) names(req Request) bool {
	if p.Any {
		return true
	}
	for kind, vals := range p.ByKey {
		for _, v := range vals {
			switch kind {
			case "AWS":
				if v == "*" || principalARNMatches(v, req) {
					return true
				}
			case "Service":
				if req.Service != "" && v == req.Service {
					return true
				}
			}
		}
	}
	return false
}

// principalARNMatches: an account id or its root ARN names every
// principal of the account; any other ARN names exactly that principal.
func principalARNMatches(v string, req Request) bool {
	if req.Principal == "" {
		return false
	}
	if v == req.Account {
		return true
	}
	if rest, ok := strings.CutPrefix(v, "arn:"); ok && strings.HasSuffix(rest, ":iam::"+req.Account+":root") {
		return true
	}
	return v == req.Principal
}
