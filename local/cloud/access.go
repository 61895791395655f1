package cloud

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"thumbflow/local/sigv4"
)

// credentialsFile holds the generated credentials in the data directory.
const credentialsFile = "credentials.json"

type storedCredentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// credentials are the only ones requests may be signed with: the
// configured pair, or one generated once per data directory and kept there
// (mode 0600), or fresh per process in memory. Well-known credentials such
// as test/test would let any web page the developer visits sign requests
// to the local cloud, and a policy for the browser POST route.
func (c *Cloud) credentials() (storedCredentials, error) {
	cfg := c.cfg
	if cfg.AccessKeyID != "" || cfg.SecretAccessKey != "" {
		if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
			return storedCredentials{}, errors.New("credentials: set both the access key id and the secret access key, or neither")
		}
		return storedCredentials{cfg.AccessKeyID, cfg.SecretAccessKey}, nil
	}
	if cfg.DataDir == "" {
		return newCredentials(), nil
	}
	path := filepath.Join(cfg.DataDir, credentialsFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var got storedCredentials
		if err := json.Unmarshal(b, &got); err != nil || got.AccessKeyID == "" || got.SecretAccessKey == "" {
			return storedCredentials{}, fmt.Errorf("credentials: %s is damaged; delete it to generate new ones", path)
		}
		return got, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return storedCredentials{}, fmt.Errorf("read credentials: %w", err)
	}
	fresh := newCredentials()
	b, err = json.Marshal(fresh)
	if err != nil {
		return storedCredentials{}, err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return storedCredentials{}, fmt.Errorf("write credentials: %w", err)
	}
	return fresh, nil
}

// newCredentials draws an access key id of 20 characters from [A-Z2-7] and
// a secret of 40 URL-safe characters, shaped like AWS's and safe to paste
// into a shell.
func newCredentials() storedCredentials {
	id := make([]byte, 12)
	secret := make([]byte, 30)
	rand.Read(id)
	rand.Read(secret)
	return storedCredentials{
		AccessKeyID:     base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(id),
		SecretAccessKey: base64.RawURLEncoding.EncodeToString(secret),
	}
}

// AWSConfig is an SDK configuration for this cloud as its developer uses
// it: its endpoint, region and credentials, as the export line that
// `thumbflow dev` prints sets them.
func (c *Cloud) AWSConfig() aws.Config {
	return aws.Config{
		Region:       c.cfg.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		BaseEndpoint: aws.String(c.Endpoint),
	}
}

// access is who may reach the local cloud: requests naming a loopback
// Host (any Host with Public), and browsers on the web client's origins
// and the template's WebOrigin.
func (c *Cloud) access() *sigv4.Access {
	origins := c.webOrigins()
	if o := c.Stack.Parameters[webOriginParam]; o != "" && !slices.Contains(origins, o) {
		// The page the template's CORS rules let upload, when -param
		// names another origin than the web client's.
		origins = append(origins, o)
	}
	return &sigv4.Access{Public: c.cfg.Public, Origins: origins}
}

// corsOrigins are the origins the buckets' CORS rules allow: the web
// client's, and with Public its port on any host, as Access allows.
func (c *Cloud) corsOrigins() []string {
	origins := c.webOrigins()
	if c.cfg.Public {
		_, port, _ := net.SplitHostPort(c.webLn.Addr().String())
		origins = append(origins, "http://*:"+port)
	}
	return origins
}

// loopbackOnly refuses requests naming a Host that access does not serve,
// in the error shape of the AWS JSON APIs (Step Functions and
// @connections); S3 and the WebSocket upgrade check their own requests.
func loopbackOnly(access *sigv4.Access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if access.HostAllowed(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]string{
			"__type":  "AccessDeniedException",
			"message": "the local cloud serves only loopback hosts (127.0.0.1, [::1], localhost); thumbflow dev -public serves others",
		})
	})
}
