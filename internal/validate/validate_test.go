// Package validate_test runs .ci/validate, the linters AWS users run on the
// stack (cfn-lint, asl-validator, amazon-states-language-service), from
// `go test ./...`, and shows that each planted error fails it. The package
// holds only tests: Go skips directories starting with a dot, so the script
// cannot carry its own.
package validate_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// root is the repository root, two directories up.
var root, _ = filepath.Abs(filepath.Join("..", ".."))

// needTools fails the test under CI=true when a linter is missing (.ci/run
// installs them), and skips it loudly elsewhere.
func needTools(t *testing.T) {
	t.Helper()
	var missing []string
	for _, tool := range []string{"bash", "cfn-lint", "node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if tool == "cfn-lint" && pyenvHas("cfn-lint") {
				continue
			}
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "SKIPPED, coverage lost: .ci/validate needs " + strings.Join(missing, ", ") + " (.ci/run installs them)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func pyenvHas(tool string) bool {
	home, _ := os.UserHomeDir()
	_, err := os.Stat(filepath.Join(home, ".pyenv", "shims", tool))
	return err == nil
}

// validate runs .ci/validate with args and returns its output and whether
// it passed. Exit status 3 (a tool missing) fails the test.
func validate(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, ".ci", "validate"), args...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
		t.Fatalf(".ci/validate could not run its tools:\n%s", out.String())
	} else if err != nil && !ok {
		t.Fatalf("run .ci/validate: %v", err)
	}
	return out.String(), err == nil
}

// TestRepositoryPasses: the template and every state machine pass every
// linter, with cfn-lint's informational checks (I3011) included.
func TestRepositoryPasses(t *testing.T) {
	needTools(t)
	out, ok := validate(t)
	if !ok {
		t.Fatalf(".ci/validate fails on the repository:\n%s", out)
	}
	t.Logf(".ci/validate:\n%s", out)
}

// plant copies the template and the state machines into a temporary
// directory, applies edit to one of them and returns the copy's path.
func plant(t *testing.T, file, old, new string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"template.yaml", "statemachine/thumbnail.asl.json"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == file {
			s := string(b)
			if !strings.Contains(s, old) {
				t.Fatalf("%s has no %q to plant an error in", f, old)
			}
			b = []byte(strings.Replace(s, old, new, 1))
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, file)
}

func TestUnknownPropertyFails(t *testing.T) {
	needTools(t)
	tpl := plant(t, "template.yaml", "      MessageRetentionPeriod: 1209600\n", "      MessageRetentionPeriod: 1209600\n      MessageRetention: 1209600\n")
	out, ok := validate(t, tpl)
	if ok || !strings.Contains(out, "MessageRetention") {
		t.Fatalf("an unknown property of the queue passed .ci/validate:\n%s", out)
	}
}

func TestNextToMissingStateFails(t *testing.T) {
	needTools(t)
	asl := plant(t, "statemachine/thumbnail.asl.json", `"Next": "Convert"`, `"Next": "Convrt"`)
	out, ok := validate(t, "-", asl)
	if ok || !strings.Contains(out, "Convrt") || !strings.Contains(out, "must be the name of an existing state") {
		t.Fatalf("a Next to a missing state passed .ci/validate, or one linter missed it:\n%s", out)
	}
}

// TestBadJitterStrategy: asl-validator alone accepts a JitterStrategy that
// Step Functions refuses; the language service catches it, so validate
// fails.
func TestBadJitterStrategy(t *testing.T) {
	needTools(t)
	asl := plant(t, "statemachine/thumbnail.asl.json", `"JitterStrategy": "FULL"`, `"JitterStrategy": "PARTIAL"`)
	validator := exec.Command(filepath.Join(root, ".ci", "node", "node_modules", ".bin", "asl-validator"), "--json-path", asl)
	if out, err := validator.CombinedOutput(); err != nil {
		t.Errorf("asl-validator now refuses JitterStrategy PARTIAL (%v); the language service is no longer the only guard:\n%s", err, out)
	}
	out, ok := validate(t, "-", asl)
	if ok || !strings.Contains(out, `Valid values: "FULL", "NONE"`) {
		t.Fatalf("JitterStrategy PARTIAL passed .ci/validate:\n%s", out)
	}
}
