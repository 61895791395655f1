package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/internal/logtest"
)

var (
	webURL   = regexp.MustCompile(`Web client\s+(http://\S+)`)
	exportRE = regexp.MustCompile(`export AWS_ENDPOINT_URL=(\S+) AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+) AWS_REGION=(\S+) AWS_DEFAULT_REGION=(\S+)`)
)

// listBuckets calls S3 the way a shell with the printed export line does.
func listBuckets(endpoint, key, secret, region string) error {
	client := s3.New(s3.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
	})
	_, err := client.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	return err
}

// awsCLI runs the aws CLI v1 on the PATH, when there is one, with only
// the variables of the printed export line; ok is false without it. Not
// just any aws: Debian's v2.9 ignores AWS_ENDPOINT_URL, which is what
// `thumbflow aws` is for.
func awsCLI(t *testing.T, export []string, args ...string) (out string, ok bool) {
	t.Helper()
	path := awsV1()
	if path == "" {
		return "", false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	none := filepath.Join(t.TempDir(), "none")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ENDPOINT_URL="+export[1], "AWS_ACCESS_KEY_ID="+export[2],
		"AWS_SECRET_ACCESS_KEY="+export[3], "AWS_REGION="+export[4], "AWS_DEFAULT_REGION="+export[5],
		"AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("aws %v with the printed export line: %v\n%s", args, err, b)
	}
	return string(b), true
}

func TestDevStartsServesAndStopsGracefully(t *testing.T) {
	data := t.TempDir()
	var out logtest.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout })
	var printed []string // the credentials of each round
	for round := 1; round <= 2; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		go func() {
			// The repository's template from disk, its definition read next to
			// it; every other test runs the embedded copy.
			done <- run(ctx, []string{"dev", "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-data", data, "-template", "../../template.yaml"})
		}()
		var url string
		for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m := webURL.FindAllStringSubmatch(out.String(), -1); len(m) == round {
				url = m[round-1][1]
			}
		}
		if url == "" {
			cancel()
			t.Fatalf("round %d: no web URL printed:\n%s", round, out.String())
		}
		for _, want := range []string{"AWS_ENDPOINT_URL=http://127.0.0.1:", "WebSocket API  ws://127.0.0.1:"} {
			if !bytes.Contains([]byte(out.String()), []byte(want)) {
				t.Errorf("startup output lacks %q", want)
			}
		}
		exports := exportRE.FindAllStringSubmatch(out.String(), -1)
		if len(exports) != round {
			cancel()
			t.Fatalf("round %d: no export line printed:\n%s", round, out.String())
		}
		e := exports[round-1]
		if e[2] == "test" || e[3] == "test" || len(e[3]) < 32 {
			t.Errorf("round %d: printed credentials %s / %s are not generated ones", round, e[2], e[3])
		}
		printed = append(printed, e[2]+" "+e[3])
		if err := listBuckets(e[1], e[2], e[3], e[4]); err != nil {
			t.Errorf("round %d: the SDK with the printed export line: %v", round, err)
		}
		if err := listBuckets(e[1], "test", "test", e[4]); err == nil {
			t.Errorf("round %d: the well-known test/test credentials are accepted", round)
		}
		if round == 1 {
			if out, ok := awsCLI(t, e, "s3", "ls"); !ok {
				t.Log("no aws CLI installed: the export line was checked with the SDK only")
			} else if !strings.Contains(out, "thumbflow-records") {
				t.Errorf("aws s3 ls with the printed export line lists no thumbflow-records:\n%s", out)
			}
		}
		resp, err := http.Get(url + "/config.json")
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct{ WebsocketURL string }
		json.NewDecoder(resp.Body).Decode(&cfg)
		resp.Body.Close()
		if cfg.WebsocketURL == "" {
			t.Errorf("config.json has no websocketUrl")
		}
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("round %d: exit %d after SIGINT-like cancel", round, code)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("dev did not stop")
		}
	}
	if fi, err := os.Stat(filepath.Join(data, "secretsmanager", "secrets.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the local Secrets Manager does not keep its secrets privately in the data directory: %v %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(data, "credentials.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials not kept privately in the data directory: %v %v", fi, err)
	}
	if printed[0] != printed[1] {
		t.Errorf("a restart on the same data directory changed the credentials: %q, then %q", printed[0], printed[1])
	}
}

// TestDevRefusesATemplateItCannotRun: -template names a copy of the
// template with a resource type the local cloud does not run; dev prints
// the type and its line and exits 1, without starting.
func TestDevRefusesATemplateItCannotRun(t *testing.T) {
	dir := t.TempDir()
	tpl, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The refused type's line: two below Resources:, wherever that is.
	typeLine := bytes.Count(tpl[:bytes.Index(tpl, []byte("\nResources:\n"))+1], []byte("\n")) + 3
	tpl = bytes.Replace(tpl, []byte("Resources:\n"), []byte("Resources:\n  Sessions:\n    Type: AWS::DynamoDB::Table\n"), 1)
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), tpl, 0o600); err != nil {
		t.Fatal(err)
	}
	var errOut logtest.Buffer
	stderr = &errOut
	t.Cleanup(func() { stderr = os.Stderr })
	code := run(context.Background(), []string{"dev", "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-data", t.TempDir(),
		"-template", filepath.Join(dir, "template.yaml"), "-param", "WebOrigin=http://localhost:5173"})
	if code != 1 || !strings.Contains(errOut.String(), fmt.Sprintf("template.yaml:%d: AWS::DynamoDB::Table (resource Sessions) is not supported", typeLine)) {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 and the refused type with its line", code, errOut.String())
	}
}
