package cloud

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"thumbflow/local/awsjson/awsjsontest"
)

// awsCLI runs the aws CLI against the cloud's endpoint with the cloud's
// credentials, as the export line `thumbflow dev` prints sets them.
func awsCLI(t *testing.T, c *Cloud, args ...string) []byte {
	t.Helper()
	return awsjsontest.RunCLI(t, []string{"AWS_ENDPOINT_URL=" + c.Endpoint,
		"AWS_ACCESS_KEY_ID=" + c.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey, "AWS_DEFAULT_REGION=us-east-1"}, args...)
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
