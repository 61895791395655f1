package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// awsVersion is `aws --version` of the CLI at path, or "" when it does
// not run.
func awsVersion(path string) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// awsV1 is the first aws CLI v1 on the PATH (the machine image's, through
// pyenv), or "". Asking a CLI its version costs a Python start, so once.
var awsV1 = sync.OnceValue(func() string {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, "aws")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && strings.HasPrefix(awsVersion(p), "aws-cli/1.") {
			return p
		}
	}
	return ""
})

// TestExportLineWithAWSCLIv1 runs the aws CLI v1 that the machine image
// ships (Python through pyenv) with nothing but the printed export line:
// v1 reads AWS_DEFAULT_REGION, not AWS_REGION.
func TestExportLineWithAWSCLIv1(t *testing.T) {
	path := awsV1()
	if path == "" {
		const msg = "no aws CLI v1 on the PATH (the machine image has one through pyenv; .ci/run puts it on PATH)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true)")
		}
		t.Skip(msg)
	}
	v := awsVersion(path)
	out, _, _ := quietDev(t)
	d := startDev(t, out, "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-data", t.TempDir())
	e := exportRE.FindStringSubmatch(d.out.String())
	if e == nil || e[4] != e[5] {
		t.Fatalf("no export line with AWS_REGION and AWS_DEFAULT_REGION alike:\n%s", d.out.String())
	}
	got, ok := awsCLI(t, e, "stepfunctions", "list-state-machines", "--query", "stateMachines[].name", "--output", "text")
	if ok && strings.TrimSpace(got) != "thumbnail" {
		t.Errorf("%s: stepfunctions list-state-machines with the export line printed %q", v, got)
	}
	if got, ok := awsCLI(t, e, "s3", "ls"); ok && !strings.Contains(got, "thumbflow-records") {
		t.Errorf("%s: s3 ls with the export line printed %q", v, got)
	}
}

// TestAWSWrapperWithDebianCLI runs `thumbflow aws` with Debian's aws CLI
// 2.9, which ignores AWS_ENDPOINT_URL: the wrapper passes --endpoint-url.
// It also presigns with the CLI v1, whose SigV2 default the wrapper's
// configuration turns into SigV4.
func TestAWSWrapperWithDebianCLI(t *testing.T) {
	const debian = "/usr/bin/aws"
	if _, err := os.Stat(debian); err != nil {
		const msg = "no /usr/bin/aws: apt-get install -y awscli (.ci/run does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true)")
		}
		t.Skip(msg)
	}
	data := t.TempDir()
	out, _, _ := quietDev(t)
	startDev(t, out, "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-data", data)
	t.Setenv("THUMBFLOW_DATA", data)
	t.Setenv("THUMBFLOW_AWS", debian)
	// Real-looking credentials in the environment must not be used.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAREALACCOUNTKEY00")
	t.Setenv("AWS_PROFILE", "production")

	hello := filepath.Join(t.TempDir(), "hello.txt")
	os.WriteFile(hello, []byte("hello from the wrapper\n"), 0o644)
	if code, got, errOut := cli(t, "aws", "s3", "cp", hello, "s3://thumbflow-output/hello.txt"); code != 0 {
		t.Fatalf("%s: thumbflow aws s3 cp: exit %d\n%s%s", awsVersion(debian), code, got, errOut)
	}
	code, got, errOut := cli(t, "aws", "s3", "ls")
	if code != 0 || !strings.Contains(got, "thumbflow-records") {
		t.Errorf("%s: thumbflow aws s3 ls: exit %d\n%s%s", awsVersion(debian), code, got, errOut)
	}
	if code, _, _ := cli(t, "aws", "s3", "ls", "s3://no-such-bucket"); code == 0 {
		t.Error("a failing aws command exits 0 through the wrapper")
	}

	presigners := []string{debian}
	if p := awsV1(); p != "" {
		presigners = append(presigners, p)
	}
	for _, p := range presigners {
		t.Setenv("THUMBFLOW_AWS", p)
		code, url, errOut := cli(t, "aws", "s3", "presign", "s3://thumbflow-output/hello.txt")
		url = strings.TrimSpace(url)
		if code != 0 || !strings.Contains(url, "X-Amz-Algorithm=AWS4-HMAC-SHA256") {
			t.Errorf("%s: presign through the wrapper: exit %d, %q %s; want a SigV4 URL", awsVersion(p), code, url, errOut)
			continue
		}
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "hello from the wrapper\n" {
			t.Errorf("%s: the presigned URL answered %s %q", awsVersion(p), resp.Status, body)
		}
	}
}
