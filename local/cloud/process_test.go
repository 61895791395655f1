package cloud

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"thumbflow/local/lambda"
	"thumbflow/upload"
)

// TestProcessRuntimeRunsTheBuiltBinaries: with -runtime process the local
// cloud builds all four functions with the Makefile's targets for the host
// and runs those binaries under the Lambda Runtime API, each signing as
// its role. A whole upload succeeds through them (the WebSocket function's
// cold start reads its key from the local Secrets Manager), and a text
// file's typed error (CorruptImage) reaches Step Functions as the error
// name.
func TestProcessRuntimeRunsTheBuiltBinaries(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("SKIPPED, coverage lost: the process runtime builds with make, which is not installed")
	}
	if testing.Short() {
		t.Skip("builds four Lambda binaries")
	}
	c := startCloud(t, func(cfg *Config) {
		cfg.Runtime = RuntimeProcess
		cfg.SourceDir = "../.."
		cfg.BuildDir = t.TempDir()
	})
	cl := dial(t, context.Background(), c.WebSocketURL)
	_, seen, rec := uploadStates(t, cl, "through-the-binaries.jpg", photo(320, 240))
	if strings.Join(seen, ",") != "uploaded,converting,succeeded" || len(rec.Renditions) == 0 {
		t.Fatalf("an upload through the built binaries: states %v, record %+v", seen, rec)
	}

	_, _, failed := uploadStates(t, cl, "notes.jpg", []byte("plain text, not a JPEG\n"))
	if failed.Error == nil || failed.Error.Code != "CorruptImage" {
		t.Fatalf("a text file: %+v, want failed CorruptImage", failed)
	}
	failedARN, err := upload.ExecutionARN(c.StateMachineARN, failed.Execution)
	if err != nil {
		t.Fatal(err)
	}
	var desc struct{ Status, Error string }
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.SFN.DescribeExecution(failedARN)
		if err != nil {
			t.Fatal(err)
		}
		if desc.Status, desc.Error = out.Status, out.Error; desc.Status != "RUNNING" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The workflow ends a user rejection as Rejected.<errorType>, so the
	// binary's typed error reached Step Functions by its name.
	if desc.Status != "FAILED" || desc.Error != "Rejected.CorruptImage" {
		t.Errorf("execution %s ended %s with error %q; want FAILED Rejected.CorruptImage, from the function's errorType", failedARN, desc.Status, desc.Error)
	}
	if got := historyErrors(t, c, failed.Execution); len(got) != 1 || got[0] != "CorruptImage" {
		t.Errorf("history errors %v, want the binary's CorruptImage", got)
	}
}

// TestProcessRuntimeReportsAnInitExit: the real status binary, started
// without the environment the template gives it, exits during its cold
// start (wiring.Must), and the invocation fails as Lambda reports it:
// Runtime.ExitError.
func TestProcessRuntimeReportsAnInitExit(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("SKIPPED, coverage lost: the process runtime builds with make, which is not installed")
	}
	dir := t.TempDir()
	if out, err := exec.Command("make", "-s", "-C", "../..", "build-StatusFunction", "GOARCH="+runtime.GOARCH, "ARTIFACTS_DIR="+dir).CombinedOutput(); err != nil {
		t.Fatalf("make build-StatusFunction: %v\n%s", err, out)
	}
	p := &lambda.Process{Path: filepath.Join(dir, "bootstrap"), Env: []string{"AWS_REGION=us-east-1"}}
	t.Cleanup(func() { p.Close() })
	r := lambda.NewRegistry("us-east-1", AccountID)
	if err := r.Register("status", p.Invoke, lambda.FunctionOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	_, err := r.Invoke(context.Background(), "status", []byte(`{}`))
	var fe *lambda.FunctionError
	if !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" || !strings.Contains(fe.Message, "during init") {
		t.Errorf("got %v, want Runtime.ExitError during init", err)
	}
}
