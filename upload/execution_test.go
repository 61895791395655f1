package upload

import (
	"regexp"
	"strings"
	"testing"
)

// validName is Step Functions' rule for execution names.
var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func TestExecutionNameRoundTrips(t *testing.T) {
	const machine = "arn:aws:states:us-east-1:123456789012:stateMachine:thumbnail"
	id := NewID()
	for _, tc := range []struct{ version, etag string }{
		{"", `"d41d8cd98f00b204e9800998ecf8427e"`},
		{"3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", `"etag"`},
		{"", `"abc-3"`}, // multipart ETag
		{"a/../../b:c d\x00é", ""},
		{strings.Repeat("v", 200), ""},
		{"", ""},
	} {
		name := ExecutionName(id, tc.version, tc.etag)
		if !validName.MatchString(name) {
			t.Errorf("ExecutionName(%q, %q) = %q: not a valid Step Functions name", tc.version, tc.etag, name)
		}
		if got, ok := IDFromExecutionName(name); !ok || got != id {
			t.Errorf("IDFromExecutionName(%q) = %q, %v; want %q", name, got, ok, id)
		}
		arn, err := ExecutionARN(machine, name)
		if err != nil {
			t.Fatalf("ExecutionARN: %v", err)
		}
		if want := "arn:aws:states:us-east-1:123456789012:execution:thumbnail:" + name; arn != want {
			t.Errorf("ExecutionARN = %q, want %q", arn, want)
		}
		if got, err := ExecutionOf(machine, arn); err != nil || got != name {
			t.Errorf("ExecutionOf(%q) = %q, %v; want %q", arn, got, err, name)
		}
		if got, ok := IDFromExecutionARN(arn); !ok || got != id {
			t.Errorf("IDFromExecutionARN(%q) = %q, %v; want %q", arn, got, ok, id)
		}
	}
}

func TestExecutionNameSeparatesVersions(t *testing.T) {
	id := NewID()
	if ExecutionName(id, "v1", "e") == ExecutionName(id, "v2", "e") {
		t.Error("two versions of one upload's original got the same execution name: the second would never convert")
	}
	if ExecutionName(id, "", "e1") == ExecutionName(id, "", "e2") {
		t.Error("two ETags of an unversioned original got the same execution name")
	}
	if ExecutionName(id, "v1", "e1") != ExecutionName(id, "v1", "e2") {
		t.Error("the version id must win over the ETag, so a duplicated event names the same execution")
	}
}

func TestNamesNoUploadStartedAreNotUploads(t *testing.T) {
	for _, name := range []string{
		"", "manual-run", "0123456789abcdef0123456789abcdef0-v1",
		"0123456789ABCDEF0123456789ABCDEF-v1", // upper case is not an id
		"../0123456789abcdef0123456789abcdef-v1",
		"0123456789abcdef0123456789abcde-v1", // 31 characters
	} {
		if id, ok := IDFromExecutionName(name); ok {
			t.Errorf("IDFromExecutionName(%q) = %q; want no upload", name, id)
		}
	}
	for _, arn := range []string{
		"",
		"0123456789abcdef0123456789abcdef-v1",
		"arn:aws:states:us-east-1:1:stateMachine:thumbnail:0123456789abcdef0123456789abcdef-v1",
		"arn:aws:lambda:us-east-1:1:execution:thumbnail:0123456789abcdef0123456789abcdef-v1",
		"arn:aws:states:us-east-1:1:execution:thumbnail:0123456789abcdef0123456789abcdef-v1:extra",
	} {
		if id, ok := IDFromExecutionARN(arn); ok {
			t.Errorf("IDFromExecutionARN(%q) = %q; want no upload", arn, id)
		}
	}
}

func TestExecutionOfRefusesOtherMachines(t *testing.T) {
	const machine = "arn:aws:states:us-east-1:123456789012:stateMachine:thumbnail"
	for _, arn := range []string{
		"arn:aws:states:us-east-1:123456789012:execution:thumbnail-other:x",
		"arn:aws:states:us-east-1:123456789012:execution:other:x",
		"arn:aws:states:eu-west-1:123456789012:execution:thumbnail:x",
		"arn:aws:states:us-east-1:999999999999:execution:thumbnail:x",
		"arn:aws:states:us-east-1:123456789012:execution:thumbnail:",
		"arn:aws:states:us-east-1:123456789012:execution:thumbnail:x:y",
		"arn:aws:states:us-east-1:123456789012:stateMachine:thumbnail",
	} {
		if name, err := ExecutionOf(machine, arn); err == nil {
			t.Errorf("ExecutionOf(%q) = %q; want an error", arn, name)
		}
	}
	if _, err := ExecutionARN("arn:aws:states:us-east-1:1:execution:thumbnail:x", "n"); err == nil {
		t.Error("ExecutionARN accepted an execution ARN as the state machine")
	}
	if _, err := ExecutionARN(machine, "a:b"); err == nil {
		t.Error("ExecutionARN accepted a name with a colon")
	}
}

func TestRetryExecutionName(t *testing.T) {
	id := NewID()
	long := ExecutionName(id, strings.Repeat("v", 100), "")
	for _, orig := range []string{ExecutionName(id, "3HL4kqtJlcpXroDTDmJ-g2", ""), long} {
		g2, err := RetryExecutionName(orig, 2)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := RetryExecutionName(orig, 2)
		g3, _ := RetryExecutionName(g2, 3)
		if g2 != again || len(g2) > maxExecutionName || len(g3) > maxExecutionName {
			t.Errorf("names %q %q %q", g2, again, g3)
		}
		if GenerationOf(orig) != 1 || GenerationOf(g2) != 2 || GenerationOf(g3) != 3 {
			t.Errorf("generations of %q %q %q: %d %d %d", orig, g2, g3, GenerationOf(orig), GenerationOf(g2), GenerationOf(g3))
		}
		if got, ok := IDFromExecutionName(g3); !ok || got != id {
			t.Errorf("IDFromExecutionName(%q) = %q %v", g3, got, ok)
		}
		if got := NameOfExecutionARN("arn:aws:states:us-east-1:1:execution:thumbnail:" + g3); got != g3 {
			t.Errorf("NameOfExecutionARN of %q's ARN = %q", g3, got)
		}
	}
	if _, err := RetryExecutionName("hand-made", 2); err == nil {
		t.Error("a hand-made execution got a retry name")
	}
}
