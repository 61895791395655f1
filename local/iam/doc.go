// Package iam evaluates IAM policies the way AWS does for a request made
// inside one account, so that the local cloud refuses what AWS would
// refuse: a function whose policy lacks an action fails locally, not only
// after a deploy.
//
// It covers what the stack uses: identity policies (a role's statements)
// and resource policies (bucket and topic policies), Allow and Deny,
// Action/NotAction and Resource/NotResource with the * and ? wildcards,
// Principal/NotPrincipal, and Condition with the string, ARN, numeric,
// date, boolean and Null operators, the IfExists suffix and the
// ForAnyValue/ForAllValues set qualifiers. Policy variables (${aws:...} in
// a Resource) are not substituted.
//
// The decision follows AWS's evaluation logic for a principal in the
// resource's own account: an explicit Deny in any policy wins; otherwise an
// Allow in either the identity policies or a resource policy that names the
// principal allows; otherwise the request is implicitly denied. Service
// control policies, permission boundaries and session policies are not
// evaluated: a local stack has none of them (docs/local-cloud.md).
package iam
