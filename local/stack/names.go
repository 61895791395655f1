package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// Local names. CloudFormation names an unnamed resource
// "<stack>-<LogicalId>-<random>" (a state machine "<LogicalId>-<random>").
// Locally the name must be deterministic, so that README's
// `thumbflow-records` and `stateMachine:thumbnail` keep working and a
// restart finds its data again. The rule keeps CloudFormation's shape and
// drops the noise:
//
//   - the logical id loses its type word when it ends with it
//     (RecordsBucket → Records, ThumbnailStateMachine → Thumbnail);
//   - it is kebab-cased (StartFailures → start-failures);
//   - it is prefixed with "<stack>-" where CloudFormation prefixes the
//     stack name: everything but state machines.
//
// So RecordsBucket → thumbflow-records, StartFunction → thumbflow-start,
// StartFailuresQueue → thumbflow-start-failures, ThumbnailStateMachine →
// thumbnail. A name the template sets (BucketName, FunctionName, ...)
// always wins.

// localName is the local name of an unnamed resource of kind k.
func localName(k *kind, logicalID, stackName string) string {
	n := kebab(trimWord(logicalID, k.word))
	if k.word == "Bucket" {
		return localBucketName(stackName, n)
	}
	if k.prefixed {
		return stackName + "-" + n
	}
	return n
}

// localBucketName is an unnamed bucket's local name. CloudFormation lowercases
// the "<stack>-<LogicalId>-<random>" it generates and cuts the stack part
// so that the name fits S3's 63 characters, so any stack name gives a
// valid bucket. Locally the name is lowercased the same way, and a stack
// part that must be cut ends with 8 hex digits of the full stack name's
// hash, so two long stack names still get two buckets.
func localBucketName(stackName, word string) string {
	stack := strings.ToLower(stackName)
	if len(stack)+1+len(word) <= 63 {
		return stack + "-" + word
	}
	h := sha256.Sum256([]byte(stackName))
	keep := max(63-1-len(word)-1-8, 1)
	return strings.TrimRight(stack[:min(keep, len(stack))], "-") + "-" + hex.EncodeToString(h[:4]) + "-" + word
}

// trimWord drops the type word ending a logical id, unless nothing would
// be left.
func trimWord(id, word string) string {
	if base := strings.TrimSuffix(id, word); word != "" && base != "" {
		return base
	}
	return id
}

// kebab lowercases an identifier and separates its words with '-': a word
// starts at an upper-case letter after a lower-case letter or a digit, and
// at the last capital of an acronym (HTTPApi → http-api).
func kebab(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// compactID is a deterministic API Gateway id (API, integration, route):
// lowercase letters and digits, as API Gateway's ids are.
func compactID(s string) string {
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// uuidFrom is a deterministic UUID-shaped id (stack id, subscription ARN).
func uuidFrom(s string) string {
	h := sha256.Sum256([]byte(s))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// secretSuffix stands for the six random characters Secrets Manager
// appends to a secret's ARN; locally they derive from the name.
func secretSuffix(name string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	h := sha256.Sum256([]byte(name))
	b := make([]byte, 6)
	for i := range b {
		b[i] = alphabet[int(h[i])%len(alphabet)]
	}
	return string(b)
}
