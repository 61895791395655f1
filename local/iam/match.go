package iam

import "strings"

// glob matches s against a pattern in which * is any run of characters
// and ? is any one character, as IAM's wildcards are. It runs in
// O(len(pattern)×len(s)) at worst, whatever the pattern: policies are
// short, but a quadratic worst case is still better than an exponential
// one.
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchAction matches an action such as "s3:GetObject" against a policy's
// action pattern ("s3:Get*", "*"). Action names are case-insensitive.
func matchAction(pattern, action string) bool {
	return glob(strings.ToLower(pattern), strings.ToLower(action))
}

// arnSegments is how many colon-separated parts an ARN has: arn,
// partition, service, region, account, and the resource (which may
// itself contain colons).
const arnSegments = 6

// matchARN matches an ARN against a pattern as IAM matches Resource and
// ArnLike: each of the six colon-separated parts separately, with
// wildcards inside a part, so that a * in the region cannot swallow the
// account. A lone "*" matches everything.
func matchARN(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	ps := strings.SplitN(pattern, ":", arnSegments)
	as := strings.SplitN(arn, ":", arnSegments)
	if len(ps) != arnSegments || len(as) != arnSegments {
		// Not an ARN (a plain name): compare as a whole.
		return glob(pattern, arn)
	}
	for i := range ps {
		if !glob(ps[i], as[i]) {
			return false
		}
	}
	return true
}
