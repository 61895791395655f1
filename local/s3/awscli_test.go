package s3

import (
	"encoding/json"
	"testing"
	"thumbflow/local/awsjson/awsjsontest"
)

// awsCLI runs the aws CLI against e with the test credentials.
func awsCLI(t *testing.T, e *env, args ...string) []byte {
	t.Helper()
	return awsjsontest.RunCLI(t, []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1"},
		append(args, "--endpoint-url", e.http.URL)...)
}

// TestAWSCLIBucketCORS is what a user does with the aws CLI v1: put CORS
// rules, read them back, and have a browser's preflight follow them.
func TestAWSCLIBucketCORS(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "cli-bucket")
	const origin = "http://localhost:5173"
	cfg := `{"CORSRules":[{"ID":"dev-server","AllowedOrigins":["` + origin + `","http://*.example.com"],"AllowedMethods":["GET","PUT"],` +
		`"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":120}]}`
	awsCLI(t, e, "s3api", "put-bucket-cors", "--bucket", "cli-bucket", "--cors-configuration", cfg)

	var got struct {
		CORSRules []struct {
			ID             string
			AllowedOrigins []string
			AllowedMethods []string
			AllowedHeaders []string
			ExposeHeaders  []string
			MaxAgeSeconds  int
		}
	}
	if err := json.Unmarshal(awsCLI(t, e, "s3api", "get-bucket-cors", "--bucket", "cli-bucket"), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.CORSRules) != 1 {
		t.Fatalf("get-bucket-cors: %+v", got)
	}
	r := got.CORSRules[0]
	if r.ID != "dev-server" || len(r.AllowedOrigins) != 2 || r.AllowedOrigins[0] != origin || len(r.AllowedMethods) != 2 ||
		len(r.AllowedHeaders) != 1 || len(r.ExposeHeaders) != 1 || r.MaxAgeSeconds != 120 {
		t.Errorf("get-bucket-cors returned %+v", r)
	}
	if resp, body := preflight(t, e, "cli-bucket", origin, "PUT", "content-type"); resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("preflight from the origin the CLI added: %d %s", resp.StatusCode, body)
	}
}
