package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"thumbflow/internal/cloudtest"
	"thumbflow/internal/logtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/lambda"
)

// `thumbflow upload` is tested against an in-process local cloud, through
// the same run() that main calls, as a user would run it.

// writeFiles writes files into a fresh directory and returns their paths
// in the order given.
func writeFiles(t *testing.T, files map[string][]byte, order ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, name := range order {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// statesOf lists a file's states in the JSON lines, with the attempt of
// retrying ones: "uploading,uploaded,converting,retrying(2),downloading,succeeded".
func statesOf(lines []map[string]any, file string) string {
	var s []string
	for _, l := range lines {
		if l["file"] == file {
			st := l["state"].(string)
			if st == "retrying" {
				st = fmt.Sprintf("retrying(%v)", l["attempt"])
			}
			s = append(s, st)
		}
	}
	return strings.Join(s, ",")
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// last is the last JSON line about file.
func last(lines []map[string]any, file string) map[string]any {
	var found map[string]any
	for _, l := range lines {
		if l["file"] == file {
			found = l
		}
	}
	return found
}

func TestUploadJSONLinesDownloadsAndExitStatus(t *testing.T) {
	// Real time: a fast clock would also shorten the conversion's 25 s
	// timeout, which a busy machine can then exceed.
	c := cloudtest.Start(t)
	files := writeFiles(t, map[string][]byte{
		"big.jpg":   uploadtest.Photo(1600, 1200),
		"small.jpg": uploadtest.Photo(64, 48),
		"notes.jpg": []byte("plain text, not a JPEG\n"),
	}, "big.jpg", "small.jpg", "notes.jpg")
	out := filepath.Join(t.TempDir(), "renditions")
	// The first conversion fails transiently, as -faults convert:transient:1
	// arranges: one of the two images is retried.
	if err := c.Lambdas.InjectFault(functionName(c, "ConvertFunction"), lambda.FaultTransient); err != nil {
		t.Fatal(err)
	}

	code, stdoutText, errText := cli(t, append([]string{"upload", "-ws", c.WebSocketURL, "-o", out, "-parallel", "1"}, files...)...)
	if code != 1 {
		t.Fatalf("exit %d with a failed file, want 1; stderr %s", code, errText)
	}
	lines := jsonLines(t, stdoutText)
	big, small, notes := files[0], files[1], files[2]
	if got := statesOf(lines, big); got != "uploading,uploaded,converting,retrying(2),downloading,succeeded" {
		t.Errorf("%s went %s; want the injected fault's retry shown", filepath.Base(big), got)
	}
	if got := statesOf(lines, small); got != "uploading,uploaded,converting,downloading,succeeded" {
		t.Errorf("%s went %s", filepath.Base(small), got)
	}
	done := last(lines, big)
	var rs []struct {
		Name          string
		Width, Height int
		Path          string
	}
	json.Unmarshal([]byte(jsonString(done["renditions"])), &rs)
	if len(rs) != 2 || rs[0].Width != 320 || rs[0].Height != 240 || rs[1].Width != 1024 || rs[1].Height != 768 {
		t.Fatalf("renditions of a 1600×1200 photo: %+v", rs)
	}
	for _, r := range rs {
		f, err := os.Open(r.Path)
		if err != nil || filepath.Dir(r.Path) != out {
			t.Fatalf("rendition %s not downloaded into -o: %v", r.Name, err)
		}
		img, err := jpeg.DecodeConfig(f)
		f.Close()
		if err != nil || img.Width != r.Width || img.Height != r.Height {
			t.Errorf("%s is %dx%d (%v), the record says %dx%d", r.Path, img.Width, img.Height, err, r.Width, r.Height)
		}
	}
	failed := last(lines, notes)
	e, _ := failed["error"].(map[string]any)
	if failed["state"] != "failed" || e["code"] != "CorruptImage" || e["message"] == "" || failed["uploadId"] == "" {
		t.Errorf("the text file's last line: %v", failed)
	}
	sum, _ := lines[len(lines)-1]["summary"].(map[string]any)
	if sum["files"] != 3.0 || sum["succeeded"] != 2.0 || sum["failed"] != 1.0 || sum["cancelled"] != 0.0 {
		t.Errorf("summary line %v", lines[len(lines)-1])
	}

	t.Run("operator commands on the result", func(t *testing.T) {
		opsEnv(t, c)
		id := failed["uploadId"].(string)
		// A flag after the argument, as people type it.
		var h struct{ Status, UploadID string }
		code, out, errOut := cli(t, "history", id, "-json")
		if err := json.Unmarshal([]byte(out), &h); code != 0 || err != nil || h.Status != "FAILED" || h.UploadID != id {
			t.Errorf("history %s -json: exit %d, %v, %+v, %s", id, code, err, h, errOut)
		}
		// Days as a duration.
		code, out, errOut = cli(t, "failures", "-since", "7d")
		if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "CorruptImage") {
			t.Fatalf("failures -since 7d: exit %d\n%s%s", code, out, errOut)
		}
		t.Logf("thumbflow failures:\n%s", out)
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if n := utf8.RuneCountInString(l); n > 100 {
				t.Errorf("failures line of %d columns, want at most 100:\n%s", n, l)
			}
		}
		code, out, _ = cli(t, "failures", "-wide", "-since", "1w")
		if code != 0 || !strings.Contains(out, "STEP FUNCTIONS ERROR") || !strings.Contains(out, e["message"].(string)) {
			t.Errorf("failures -wide: exit %d, want the Step Functions column and the whole message:\n%s", code, out)
		}
	})

	t.Run("all succeed", func(t *testing.T) {
		code, out, errOut := cli(t, "upload", "-ws", c.WebSocketURL, "-json", files[1])
		if code != 0 || !strings.Contains(out, `"state":"succeeded"`) {
			t.Errorf("exit %d, want 0:\n%s%s", code, out, errOut)
		}
	})

	t.Run("refused at the grant", func(t *testing.T) {
		paths := writeFiles(t, map[string][]byte{"empty.png": nil}, "empty.png")
		code, out, _ := cli(t, "upload", "-ws", c.WebSocketURL, paths[0])
		l := last(jsonLines(t, out), paths[0])
		if e, _ := l["error"].(map[string]any); code != 1 || l["state"] != "failed" || e["code"] != "EmptyFile" {
			t.Errorf("exit %d, last line %v", code, l)
		}
	})
}

func TestUploadOnATerminal(t *testing.T) {
	// Real time: a fast clock would also shorten the conversion's 25 s
	// timeout, which a busy machine can then exceed.
	c := cloudtest.Start(t)
	isTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { isTerminal = defaultIsTerminal })
	files := writeFiles(t, map[string][]byte{
		"holiday.jpg": uploadtest.Photo(1600, 1200),
		"notes.jpg":   []byte("plain text, not a JPEG\n"),
	}, "holiday.jpg", "notes.jpg")
	if err := c.Lambdas.InjectFault(functionName(c, "ConvertFunction"), lambda.FaultTransient); err != nil {
		t.Fatal(err)
	}
	code, out, _ := cli(t, append([]string{"upload", "-ws", c.WebSocketURL, "-parallel", "1"}, files...)...)
	t.Logf("terminal output:\n%q", out)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"░", "  0%", // the progress bar, drawn as the upload starts
		"converting",
		"retrying (attempt 2)",
		"✓ holiday.jpg",
		"done 320×240, 1024×768",
		"✗ notes.jpg",
		"failed: The file is not a valid image",
		"2 files in ",
		": 1 done, 1 failed\n",
		"\x1b[?25h", // the cursor is given back
	} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q", want)
		}
	}
}

func TestUploadInterruptedExits130(t *testing.T) {
	c := cloudtest.Start(t)
	// The conversion hangs until the task's timeout (25 s): the upload is
	// still converting when the user presses Ctrl+C.
	if err := c.Lambdas.InjectFault(functionName(c, "ConvertFunction"), lambda.FaultTimeout); err != nil {
		t.Fatal(err)
	}
	files := writeFiles(t, map[string][]byte{"a.jpg": uploadtest.Photo(64, 48)}, "a.jpg")
	_, lines := interruptUpload(t, `"converting"`, "upload", "-ws", c.WebSocketURL, files[0])
	if l := last(lines, files[0]); l["state"] != "cancelled" {
		t.Errorf("last line for the file: %v", l)
	}
	if sum, _ := lines[len(lines)-1]["summary"].(map[string]any); sum["cancelled"] != 1.0 {
		t.Errorf("summary %v", lines[len(lines)-1])
	}
}

func TestUploadWithoutAServerSaysHowToGetOne(t *testing.T) {
	t.Setenv("THUMBFLOW_WS", "")
	files := writeFiles(t, map[string][]byte{"a.jpg": uploadtest.Photo(8, 8)}, "a.jpg")
	code, _, errOut := cli(t, "upload", "-data", t.TempDir(), "-ws", "ws://127.0.0.1:1/prod", files[0])
	if code != 1 || !strings.Contains(errOut, "start thumbflow dev, or pass -ws URL or -stack NAME") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, %q", code, errOut)
	}
	// Without -ws: a recorded dev, else dev's default address.
	target, err := findTarget(context.Background(), "", "", t.TempDir())
	if err != nil || target.url != defaultWebSocketURL {
		t.Errorf("no record: %+v %v", target, err)
	}
	data := t.TempDir()
	writeDevRecord(data, devRecord{WebSocketURL: "ws://127.0.0.1:4999/prod"})
	if target, err := findTarget(context.Background(), "", "", data); err != nil || target.url != "ws://127.0.0.1:4999/prod" || target.fallback != defaultWebSocketURL {
		t.Errorf("with a record: %+v %v", target, err)
	}
	if code, _, _ := cli(t, "upload", "-ws", "ws://x", "-stack", "s", files[0]); code != 2 {
		t.Errorf("-ws and -stack together: exit %d, want a usage error", code)
	}
}

var defaultIsTerminal = isTerminal

// TestUploadToAStack reads the WebSocket URL from a stack's outputs, from
// a CloudFormation endpoint that answers DescribeStacks as AWS does.
func TestUploadToAStack(t *testing.T) {
	// Real time: a fast clock would also shorten the conversion's 25 s
	// timeout, which a busy machine can then exceed.
	c := cloudtest.Start(t)
	var asked string
	cfn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		asked = r.Form.Get("Action") + " " + r.Form.Get("StackName")
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
<StackName>photos</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-12-01T10:00:00Z</CreationTime>
<Outputs><member><OutputKey>RecordsBucketName</OutputKey><OutputValue>photos-records</OutputValue></member>
<member><OutputKey>WebSocketURL</OutputKey><OutputValue>%s</OutputValue></member></Outputs>
</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`, c.WebSocketURL)
	}))
	defer cfn.Close()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": cfn.URL, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "THUMBFLOW_WS": ""} {
		t.Setenv(k, v)
	}
	files := writeFiles(t, map[string][]byte{"a.jpg": uploadtest.Photo(64, 48)}, "a.jpg")
	code, out, errOut := cli(t, "upload", "-stack", "photos", "-json", files[0])
	if code != 0 || asked != "DescribeStacks photos" || last(jsonLines(t, out), files[0])["state"] != "succeeded" {
		t.Errorf("upload -stack photos: exit %d, CloudFormation asked %q\n%s%s", code, asked, out, errOut)
	}
}

// interruptUpload runs `thumbflow` with args (an upload), presses Ctrl+C
// (cancels its context) once its output holds marker, checks that it
// exits 130, and returns its output and JSON lines.
func interruptUpload(t *testing.T, marker string, args ...string) (*logtest.Buffer, []map[string]any) {
	t.Helper()
	var out logtest.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() { done <- run(ctx, args) }()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), marker); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("never %s:\n%s", marker, out.String())
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 130 {
			t.Errorf("exit %d after Ctrl+C, want 130", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("upload did not stop when cancelled")
	}
	return &out, jsonLines(t, out.String())
}
