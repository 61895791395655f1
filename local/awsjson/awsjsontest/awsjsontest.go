// Package awsjsontest runs a local service behind an httptest server with
// SigV4 verification on, and gives tests an SDK configuration and an aws
// CLI v1 runner for it.
package awsjsontest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"thumbflow/local/sigv4"
)

// The test account's credentials and place.
const (
	AccessKeyID = "AKIDLOCALTEST"
	Secret      = "local-test-secret"
	Region      = "us-east-1"
	AccountID   = "123456789012"
)

// Verifier verifies the test credentials.
func Verifier() *sigv4.Verifier { return sigv4.NewVerifier(AccessKeyID, Secret, Region) }

// Serve starts h on an httptest server closed with the test.
func Serve(t testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// Config is an SDK configuration that reaches url with the test
// credentials (secret overrides them, to test a refusal).
func Config(url string, secret ...string) aws.Config {
	s := Secret
	if len(secret) > 0 {
		s = secret[0]
	}
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, s, ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   http.DefaultClient,
	}
}

// CLI runs the aws CLI against url with the test credentials and none of
// the developer's configuration, and returns its standard output.
func CLI(t *testing.T, url string, args ...string) []byte {
	t.Helper()
	return RunCLI(t, []string{"AWS_ACCESS_KEY_ID=" + AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + Secret, "AWS_DEFAULT_REGION=" + Region},
		append(args, "--endpoint-url", url)...)
}

// RunCLI runs the aws CLI with vars as its only AWS_* settings (keys,
// region, endpoint) and none of the developer's own configuration, and
// returns its standard output in JSON. Without the CLI the test is
// skipped, except under CI=true, whose machine image has it (aws-cli v1
// via pyenv), so that a broken image is noticed.
func RunCLI(t *testing.T, vars []string, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the aws CLI is not on PATH: %v", err)
		}
		t.Skipf("the aws CLI is not installed: %v", err)
	}
	home := t.TempDir()
	cmd := exec.Command(path, append(args, "--output", "json")...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, vars...)
	cmd.Env = append(cmd.Env, "AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"))
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("aws %v: %v\n%s", args, err, stderr)
	}
	return out
}

// Epoch is where the tests' stepped clocks start.
var Epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Start makes a service with newSvc and opts (failing the test on an
// error), serves it, and returns it with its URL and an SDK client for it
// made by newClient with Config.
func Start[S http.Handler, O, C any, F any](t testing.TB, newSvc func(O) (S, error), opts O, newClient func(aws.Config, ...F) C) (S, string, C) {
	t.Helper()
	svc, err := newSvc(opts)
	if err != nil {
		t.Fatal(err)
	}
	url := Serve(t, svc).URL
	return svc, url, newClient(Config(url))
}
