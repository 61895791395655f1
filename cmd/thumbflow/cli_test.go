package main

import (
	"encoding/json"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"thumbflow/internal/logtest"
	"thumbflow/local/sfn"
)

func TestDurationsAcceptDaysAndWeeks(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"7d": 7 * 24 * time.Hour, "1w": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour,
		"1.5d": 36 * time.Hour, "90m": 90 * time.Minute, "2w3d": 17 * 24 * time.Hour,
	} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"7x", "d", "yesterday", "-1d"} {
		if _, err := parseSince(bad); err == nil {
			t.Errorf("parseSince(%q) accepted", bad)
		}
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		json bool
		rest []string
	}{
		{[]string{"abc", "-json"}, true, []string{"abc"}},
		{[]string{"-json", "abc", "def"}, true, []string{"abc", "def"}},
		{[]string{"abc", "--", "-json"}, false, []string{"abc", "-json"}},
		{[]string{"a", "-json", "b"}, true, []string{"a", "b"}},
	} {
		fs := newFlagSet("t", "", "")
		j := fs.Bool("json", false, "")
		if err := parseFlags(fs, tc.args); err != nil || *j != tc.json || !slices.Equal(fs.Args(), tc.rest) {
			t.Errorf("%q: json=%v args=%q err=%v; want json=%v args=%q", tc.args, *j, fs.Args(), err, tc.json, tc.rest)
		}
	}
}

func TestEveryCommandHasTheSameUsageAndH(t *testing.T) {
	for name := range commands {
		code, out, errOut := cli(t, name, "-h")
		if code != 0 || !strings.HasPrefix(errOut, "usage: thumbflow "+name) || strings.Contains(errOut, "Usage of") {
			t.Errorf("thumbflow %s -h: exit %d, stdout %q, stderr %q", name, code, out, errOut)
		}
	}
	code, _, errOut := cli(t, "executions", "-nope")
	if code != 2 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "thumbflow executions -h") {
		t.Errorf("a bad flag: exit %d, %q; want a usage error in one line", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := cli(t, "version")
	if code != 0 || !strings.HasPrefix(out, "thumbflow ") || !strings.Contains(out, "go1.") {
		t.Errorf("thumbflow version: exit %d, %q", code, out)
	}
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "thumbflow", Version: "v1.2.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "8ad3e05c"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	t.Cleanup(func() { readBuildInfo = debug.ReadBuildInfo })
	_, out, _ = cli(t, "version")
	if want := "thumbflow v1.2.0 (revision 8ad3e05c, 2026-12-01T10:00:00Z, modified) go1.26.0\n"; out != want {
		t.Errorf("version = %q, want %q", out, want)
	}
}

func TestCredentialAndEndpointErrorsPointAtTheExportLine(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	code, _, errOut := cli(t, "failures")
	if code != 1 || !strings.Contains(errOut, "no AWS credentials found") || !strings.Contains(errOut, "export line") || strings.Contains(errOut, "IMDS") {
		t.Errorf("no credentials: exit %d, %q", code, errOut)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	code, _, errOut = cli(t, "executions", "-state-machine", "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail")
	if code != 1 || !strings.Contains(errOut, "is thumbflow dev running?") || !strings.Contains(errOut, "export line") {
		t.Errorf("nothing at the endpoint: exit %d, %q", code, errOut)
	}
}

func TestDevLogFormats(t *testing.T) {
	var buf logtest.Buffer
	logOutput = &buf
	t.Cleanup(func() { logOutput = defaultLogOutput })
	id := strings.Repeat("ab", 16)
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ok := sfn.ExecutionSummary{Name: id + "-v1", Status: "SUCCEEDED", StartDate: start, StopDate: start.Add(1500 * time.Millisecond),
		Input: json.RawMessage(`{"size": 2481152, "contentType": "image/jpeg"}`)}
	bad := sfn.ExecutionSummary{Name: id + "-v2", Status: "FAILED", Error: "CorruptImage", StartDate: start, StopDate: start.Add(time.Second)}

	t.Run("text", func(t *testing.T) {
		logs, err := newDevLogs("text", "")
		if err != nil {
			t.Fatal(err)
		}
		logs.cloud.Info("status recorded", "uploadId", id)
		logs.cloud.Warn("push failed", "uploadId", id)
		logs.summarize(ok)
		logs.cloud.With("service", "alert").Error("execution alert", "id", "x", "status", "FAILED", "executionArn", "arn:aws:states:…", "uploadId", id, "error", "CorruptImage", "cause", "{…}")
		logs.summarize(bad)
		lines := buf.Lines()
		t.Logf("%s", strings.Join(lines, "\n"))
		if len(lines) != 4 {
			t.Fatalf("want the warning, the alert and two summaries (info steps hidden by default), got %d lines", len(lines))
		}
		for i, want := range []string{"WRN push failed uploadId=" + id, "INF upload succeeded uploadId=" + id + " took=1.5s type=image/jpeg size=\"2.4 MB\"",
			"ERR execution alert service=alert status=FAILED uploadId=" + id + " error=CorruptImage", "INF upload failed (user) uploadId=" + id} {
			if !strings.Contains(lines[i], want) || strings.Contains(lines[i], "cause=") {
				t.Errorf("line %q lacks %q", lines[i], want)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		buf = logtest.Buffer{}
		logs, err := newDevLogs("auto", "") // a buffer is not a terminal
		if err != nil {
			t.Fatal(err)
		}
		logs.cloud.Info("status recorded", "uploadId", id)
		logs.summarize(ok)
		lines := buf.Lines()
		if len(lines) != 2 {
			t.Fatalf("%d lines: %q", len(lines), lines)
		}
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil || m["level"] != "INFO" || m["uploadId"] != id {
				t.Errorf("line %q: %v %v", l, m, err)
			}
		}
	})
}

var defaultLogOutput = logOutput
