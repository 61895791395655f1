package cloud

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// awsCLI runs the aws CLI against the cloud's endpoint with the cloud's
// credentials, as the export line `thumbflow dev` prints sets them, and
// none of the developer's own configuration. Without the CLI the test is
// skipped, except under CI, whose machine image has it (v1, via pyenv).
func awsCLI(t *testing.T, c *Cloud, args ...string) []byte {
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
	cmd.Env = append(cmd.Env, "AWS_ENDPOINT_URL="+c.Endpoint,
		"AWS_ACCESS_KEY_ID="+c.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"))
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

type corsRules struct {
	CORSRules []struct {
		AllowedOrigins []string
		AllowedMethods []string
	}
}

// TestAWSCLIBucketCORSThroughTheCloud: the template's rules are what
// get-bucket-cors answers; an origin put-bucket-cors adds is allowed at
// once, as on S3.
func TestAWSCLIBucketCORSThroughTheCloud(t *testing.T) {
	c := startCloud(t)
	records := bucketName(c, "RecordsBucket")
	var got corsRules
	if err := json.Unmarshal(awsCLI(t, c, "s3api", "get-bucket-cors", "--bucket", records), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.CORSRules) != 1 || !slices.Contains(got.CORSRules[0].AllowedOrigins, c.WebURL) ||
		!slices.Equal(got.CORSRules[0].AllowedMethods, []string{"GET", "HEAD"}) {
		t.Fatalf("get-bucket-cors of the records bucket: %+v, want the template's rule for %s", got, c.WebURL)
	}

	const origin = "https://dashboard.example.com"
	if resp := preflight(t, c, records, origin, "GET"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("preflight from %s before put-bucket-cors: %d, want 403", origin, resp.StatusCode)
	}
	cfg := `{"CORSRules":[{"AllowedOrigins":["` + c.WebURL + `","` + origin + `"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"],"MaxAgeSeconds":3000}]}`
	awsCLI(t, c, "s3api", "put-bucket-cors", "--bucket", records, "--cors-configuration", cfg)
	if err := json.Unmarshal(awsCLI(t, c, "s3api", "get-bucket-cors", "--bucket", records), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.CORSRules) != 1 || !slices.Contains(got.CORSRules[0].AllowedOrigins, origin) {
		t.Fatalf("get-bucket-cors after put-bucket-cors: %+v", got)
	}
	resp := preflight(t, c, records, origin, "GET")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("preflight from the origin put-bucket-cors added: %d %q, want 200 allowing it",
			resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}
