package cloud

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"thumbflow/internal/logtest"
	"thumbflow/local/sfn"
)

// TestEditedDefinitionServesTheNextExecution edits thumbnail.asl.json
// under a running local cloud, as a developer does under thumbflow dev:
// the next execution runs the edited definition; an invalid edit leaves
// it in service.
func TestEditedDefinitionServesTheNextExecution(t *testing.T) {
	// A template on disk, as `thumbflow dev -template` reads one: the
	// files its DefinitionUri values name are watched.
	dir := t.TempDir()
	tpl, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), tpl, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "statemachine"), 0o755); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile("../../statemachine/thumbnail.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "statemachine", "thumbnail.asl.json")
	save := func(b []byte) {
		t.Helper()
		if err := os.WriteFile(file+".tmp", b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(file+".tmp", file); err != nil {
			t.Fatal(err)
		}
	}
	save(orig)
	var logs logtest.Buffer
	c := startCloud(t, func(cfg *Config) {
		cfg.Files, cfg.Template = os.DirFS(dir), "template.yaml"
		cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})

	edited := strings.Replace(string(orig), `"TimeoutSeconds": 1500`, `"TimeoutSeconds": 1800`, 1)
	if edited == string(orig) {
		t.Fatal("the workflow no longer has TimeoutSeconds 1500 to edit")
	}
	save([]byte(edited))
	// Bounded wait for the watcher: only a hang reaches the limit.
	var version string
	for deadline := time.Now().Add(20 * time.Second); version == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out, err := c.SFN.ListStateMachineVersions(sfn.ListStateMachineVersionsInput{StateMachineARN: c.StateMachineARN})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.StateMachineVersions) > 0 {
			version = out.StateMachineVersions[0].StateMachineVersionARN
		}
	}
	if version != c.StateMachineARN+":1" {
		t.Fatalf("the edit was not published (version %q)", version)
	}
	input := `{"uploadId":"u1","bucket":"b","key":"originals/u1","size":10,"contentType":"image/png","eTag":"e1","versionId":""}`
	ex, err := c.SFN.StartExecution(sfn.StartExecutionInput{StateMachineARN: c.StateMachineARN, Name: "after-edit", Input: &input})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.SFN.DescribeStateMachineForExecution(ex.ExecutionARN)
	if err != nil || !strings.Contains(d.Definition, `"TimeoutSeconds": 1800`) {
		t.Fatalf("the next execution does not run the edit: %v", err)
	}

	save([]byte(strings.Replace(edited, `"StartAt": "MarkConverting"`, `"StartAt": "Nowhere"`, 1)))
	// The watcher's refusal is the sentinel: once it is logged, the
	// invalid edit has been read and judged, so the definition checked
	// below is what the watcher decided, not what it has yet to see.
	for deadline := time.Now().Add(20 * time.Second); logs.Count("state machine edit refused") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the watcher never judged the invalid edit; log:\n%s", logs.Tail(20))
		}
	}
	desc, err := c.SFN.DescribeStateMachine(c.StateMachineARN)
	if err != nil || !strings.Contains(desc.Definition, `"TimeoutSeconds": 1800`) || strings.Contains(desc.Definition, "Nowhere") {
		t.Errorf("an invalid edit replaced the definition: %v", err)
	}
}

// TestAccountFlag: -account (Config.AccountID) is the account local ARNs
// name.
func TestAccountFlag(t *testing.T) {
	c := startCloud(t, func(cfg *Config) { cfg.AccountID = "123456789012" })
	if want := "arn:aws:states:us-east-1:123456789012:stateMachine:thumbnail"; c.StateMachineARN != want {
		t.Fatalf("state machine %s, want %s", c.StateMachineARN, want)
	}
	if _, err := c.SFN.DescribeStateMachine(c.StateMachineARN); err != nil {
		t.Fatal(err)
	}
}
