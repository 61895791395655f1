package main

import (
	"strings"
	"testing"

	"thumbflow/internal/cloudtest"
	"thumbflow/local/lambda"
)

// TestSmokePassesAgainstTheLocalCloud: the post-deploy check passes against
// an in-process local cloud, the same code path as against a stack, and
// prints each step with its time.
func TestSmokePassesAgainstTheLocalCloud(t *testing.T) {
	c := cloudtest.Start(t)
	code, out, errText := runCLI(t, "smoke", "-ws", c.WebSocketURL)
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errText)
	}
	for _, want := range []string{"ok   connect to", "ok   upload a generated PNG", "succeeded", "ok   upload a text file", "failed CorruptImage", "all 3 steps passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "ms") && !strings.Contains(out, "s ") {
		t.Errorf("output gives no timings:\n%s", out)
	}
	t.Logf("thumbflow smoke -ws %s:\n%s", c.WebSocketURL, out)
}

// TestSmokeFailsWhenConversionIsBroken: with every conversion panicking,
// the image never succeeds, and smoke says which step missed and exits 1.
func TestSmokeFailsWhenConversionIsBroken(t *testing.T) {
	c := cloudtest.Start(t)
	if err := c.Lambdas.InjectFaultRate(functionName(c, "ConvertFunction"), lambda.FaultPanic, 1); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "smoke", "-ws", c.WebSocketURL)
	if code != 1 {
		t.Fatalf("exit %d with conversion broken, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "FAIL upload a generated PNG") || !strings.Contains(out, "FAILED") {
		t.Errorf("output does not name the missed step:\n%s", out)
	}
}

func TestSmokeNeedsOneTarget(t *testing.T) {
	if code, _, errText := runCLI(t, "smoke"); code != 2 || !strings.Contains(errText, "exactly one of -stack") {
		t.Errorf("exit %d, stderr %q; want usage (2)", code, errText)
	}
}
