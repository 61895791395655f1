package upload

import (
	"fmt"
	"strconv"
	"strings"
)

// The execution that converts an upload is named from the upload and the
// object version it converts. This file is the one definition of that
// rule: the start handler names executions with it, and the operator tools
// and the local cloud read upload ids back with it. A second copy (a
// prefix match here, an ARN string edit there) would drift silently.

// maxExecutionName is Step Functions' limit on an execution name.
const maxExecutionName = 80

// ExecutionName derives the execution name from the object, so that a
// duplicated S3 event names the same execution and Step Functions refuses
// a second one. The version id identifies the object where the bucket is
// versioned; otherwise the ETag does. Characters Step Functions does not
// allow in names are dropped, and the name is cut to its limit; the
// upload id always survives whole, so IDFromExecutionName recovers it.
func ExecutionName(id, versionID, eTag string) string {
	v := versionID
	if v == "" {
		v = eTag
	}
	var b strings.Builder
	b.Grow(len(id) + 1 + len(v))
	b.WriteString(id)
	b.WriteByte('-')
	for i := 0; i < len(v) && b.Len() < maxExecutionName; i++ {
		if c := v[i]; nameSafe(c) {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// generationMark starts the suffix of a retry's name. ExecutionName never
// writes a '.', so a name has a generation suffix exactly when it has the
// mark, whatever the version id looks like.
const generationMark = ".g"

// RetryExecutionName names generation gen (2 or more) of the upload whose
// execution is named name (any generation): the first generation's name,
// cut to leave room, and ".g<gen>". The same retry always gets the same
// name, so Step Functions refuses to start it twice.
func RetryExecutionName(name string, gen int) (string, error) {
	if gen < 2 {
		return "", fmt.Errorf("retry of %q: generation %d, want 2 or more", name, gen)
	}
	if _, ok := IDFromExecutionName(name); !ok {
		return "", fmt.Errorf("retry of %q: not an upload's execution", name)
	}
	base, _, _ := strings.Cut(name, generationMark)
	suffix := generationMark + strconv.Itoa(gen)
	return base[:min(len(base), maxExecutionName-len(suffix))] + suffix, nil
}

// GenerationOf is the generation of the execution named name: the number
// after the mark RetryExecutionName adds, or 1.
func GenerationOf(name string) int {
	i := strings.LastIndex(name, generationMark)
	if i < 0 {
		return 1
	}
	n, err := strconv.Atoi(name[i+len(generationMark):])
	if err != nil || n < 2 {
		return 1
	}
	return n
}

// NameOfExecutionARN is the name an execution ARN ends with: what the
// status record keeps of an execution, since the ARN names the account.
func NameOfExecutionARN(executionARN string) string {
	return executionARN[strings.LastIndexByte(executionARN, ':')+1:]
}

func nameSafe(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// IDFromExecutionName recovers the upload id from a name ExecutionName
// gave. It reports false for an execution that no upload started (one made
// by hand, or by another workflow), whose name must not be mistaken for an
// upload.
func IDFromExecutionName(name string) (string, bool) {
	id, _, _ := strings.Cut(name, "-")
	if !ValidID(id) {
		return "", false
	}
	return id, true
}

// ExecutionARN is the ARN Step Functions gives the execution named name of
// the state machine stateMachineARN
// (arn:PARTITION:states:REGION:ACCOUNT:stateMachine:MACHINE becomes
// arn:PARTITION:states:REGION:ACCOUNT:execution:MACHINE:NAME).
func ExecutionARN(stateMachineARN, name string) (string, error) {
	prefix, machine, err := splitMachineARN(stateMachineARN)
	if err != nil {
		return "", err
	}
	if name == "" || strings.Contains(name, ":") {
		return "", fmt.Errorf("execution name %q is not valid", name)
	}
	return prefix + ":execution:" + machine + ":" + name, nil
}

// ExecutionOf splits an execution ARN of the state machine stateMachineARN
// into the execution's name. It reports an error for an ARN of any other
// state machine, so that a caller holding wide credentials (the operator
// page) cannot be steered to another workflow's executions.
func ExecutionOf(stateMachineARN, executionARN string) (name string, err error) {
	prefix, machine, err := splitMachineARN(stateMachineARN)
	if err != nil {
		return "", err
	}
	want := prefix + ":execution:" + machine + ":"
	name, ok := strings.CutPrefix(executionARN, want)
	if !ok || name == "" || strings.Contains(name, ":") {
		return "", fmt.Errorf("%q is not an execution of %s", executionARN, stateMachineARN)
	}
	return name, nil
}

// IDFromExecutionARN recovers the upload id from an execution ARN of any
// state machine, or reports false.
func IDFromExecutionARN(executionARN string) (string, bool) {
	parts := strings.Split(executionARN, ":")
	// arn, partition, states, region, account, execution, machine, name
	if len(parts) != 8 || parts[0] != "arn" || parts[2] != "states" || parts[5] != "execution" {
		return "", false
	}
	return IDFromExecutionName(parts[7])
}

// splitMachineARN returns "arn:PARTITION:states:REGION:ACCOUNT" and the
// machine's name.
func splitMachineARN(arn string) (prefix, machine string, err error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "states" || parts[5] != "stateMachine" || parts[6] == "" {
		return "", "", fmt.Errorf("%q is not a state machine ARN", arn)
	}
	return strings.Join(parts[:5], ":"), parts[6], nil
}
