package secretsmanager

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"thumbflow/lambdas/wiring"
	"thumbflow/local/awsjson/awsjsontest"
)

type env struct {
	svc    *Service
	url    string
	now    time.Time
	client *sm.Client
}

func newEnv(t *testing.T, dir string) *env {
	e := &env{now: awsjsontest.Epoch}
	opts := Options{Dir: dir, Verifier: awsjsontest.Verifier(), Region: awsjsontest.Region, AccountID: awsjsontest.AccountID, Now: e.clock}
	e.svc, e.url, e.client = awsjsontest.Start(t, New, opts, sm.NewFromConfig)
	return e
}

func (e *env) clock() time.Time { return e.now }

const tokenKeyARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:thumbflow-TokenKeySecret-AbCdEf"

// TestTemplateSecretIsGeneratedOnceAndReadLikeOnAWS: the WebSocket
// function's TokenKey reads the template's generated secret through the
// SDK, and a restart on the same data directory reads the same value.
func TestTemplateSecretIsGeneratedOnceAndReadLikeOnAWS(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir)
	tmpl := TemplateSecret{Name: "thumbflow-TokenKeySecret", ARN: tokenKeyARN, Generate: &Generate{PasswordLength: 64, ExcludePunctuation: true}}
	if _, err := e.svc.CreateFromTemplate(tmpl); err != nil {
		t.Fatal(err)
	}
	key, err := wiring.TokenKey(context.Background(), awsjsontest.Config(e.url), tokenKeyARN)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != 64 || strings.ContainsAny(string(key), punctuation+" ") {
		t.Errorf("generated key %q: want 64 letters and digits", key)
	}
	fi, err := os.Stat(filepath.Join(dir, "secrets.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v, mode %v; want 0600", err, fi.Mode())
	}

	again := newEnv(t, dir)
	if _, err := again.svc.CreateFromTemplate(tmpl); err != nil {
		t.Fatal(err)
	}
	key2, err := wiring.TokenKey(context.Background(), awsjsontest.Config(again.url), tokenKeyARN)
	if err != nil || string(key2) != string(key) {
		t.Errorf("after a restart the key is %q (%v), want the one generated first", key2, err)
	}
	// By name and by partial ARN, as Secrets Manager accepts.
	for _, id := range []string{"thumbflow-TokenKeySecret", strings.TrimSuffix(tokenKeyARN, "-AbCdEf")} {
		if k, err := wiring.TokenKey(context.Background(), awsjsontest.Config(again.url), id); err != nil || string(k) != string(key) {
			t.Errorf("TokenKey(%s) = %q, %v", id, k, err)
		}
	}
}

func TestSecretLifecycleThroughTheSDK(t *testing.T) {
	e := newEnv(t, t.TempDir())
	ctx := context.Background()
	created, err := e.client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("v1"), Description: aws.String("the db")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(created.ARN), "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-") {
		t.Errorf("ARN %s", aws.ToString(created.ARN))
	}
	if _, err := e.client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("x")}); !errors.As(err, new(*types.ResourceExistsException)) {
		t.Errorf("second CreateSecret: %v, want ResourceExistsException", err)
	}
	put, err := e.client.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("db"), SecretString: aws.String("v2")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: created.ARN})
	if err != nil || aws.ToString(got.SecretString) != "v2" || aws.ToString(got.VersionId) != aws.ToString(put.VersionId) {
		t.Fatalf("GetSecretValue after Put: %+v, %v", got, err)
	}
	prev, err := e.client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("db"), VersionStage: aws.String("AWSPREVIOUS")})
	if err != nil || aws.ToString(prev.SecretString) != "v1" {
		t.Errorf("AWSPREVIOUS = %+v, %v; want v1", prev, err)
	}
	desc, err := e.client.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("db")})
	if err != nil || aws.ToString(desc.Description) != "the db" || len(desc.VersionIdsToStages) != 2 || desc.CreatedDate == nil {
		t.Errorf("DescribeSecret: %+v, %v", desc, err)
	}
	list, err := e.client.ListSecrets(ctx, &sm.ListSecretsInput{})
	if err != nil || len(list.SecretList) != 1 || aws.ToString(list.SecretList[0].Name) != "db" {
		t.Errorf("ListSecrets: %+v, %v", list, err)
	}

	del, err := e.client.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("db"), RecoveryWindowInDays: aws.Int64(7)})
	if err != nil || !del.DeletionDate.Equal(e.now.Add(7*24*time.Hour)) {
		t.Fatalf("DeleteSecret: %+v, %v", del, err)
	}
	if _, err := e.client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("db")}); !errors.As(err, new(*types.InvalidRequestException)) {
		t.Errorf("reading a secret scheduled for deletion: %v, want InvalidRequestException", err)
	}
	if list, _ := e.client.ListSecrets(ctx, &sm.ListSecretsInput{}); len(list.SecretList) != 0 {
		t.Errorf("ListSecrets shows a secret scheduled for deletion: %+v", list.SecretList)
	}
	if _, err := e.client.RestoreSecret(ctx, &sm.RestoreSecretInput{SecretId: aws.String("db")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("db"), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(7 * 24 * time.Hour)
	if _, err := e.client.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("db")}); !errors.As(err, new(*types.ResourceNotFoundException)) {
		t.Errorf("after the recovery window: %v, want ResourceNotFoundException", err)
	}
	if _, err := e.client.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("none"), RecoveryWindowInDays: aws.Int64(3)}); !errors.As(err, new(*types.InvalidParameterException)) {
		t.Errorf("a 3-day window: %v, want InvalidParameterException", err)
	}
}

func TestWrongSecretKeyIsRefused(t *testing.T) {
	e := newEnv(t, "")
	bad := sm.NewFromConfig(awsjsontest.Config(e.url, "wrong"))
	_, err := bad.ListSecrets(context.Background(), &sm.ListSecretsInput{})
	if err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Errorf("wrong secret key: %v, want InvalidSignatureException", err)
	}
}

func TestAuthorizerRefusalIsAccessDeniedException(t *testing.T) {
	svc, err := New(Options{Verifier: awsjsontest.Verifier(), Region: awsjsontest.Region, AccountID: awsjsontest.AccountID})
	if err != nil {
		t.Fatal(err)
	}
	svc.srv.Authorize = func(_ *http.Request, action, resource string) error {
		if action == "secretsmanager:GetSecretValue" {
			return errors.New("not allowed to " + action + " on " + resource)
		}
		return nil
	}
	url := awsjsontest.Serve(t, svc).URL
	c := sm.NewFromConfig(awsjsontest.Config(url))
	ctx := context.Background()
	if _, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("k"), SecretString: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("k")})
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Errorf("refused GetSecretValue: %v, want AccessDeniedException", err)
	}
}

func TestGenerateHonoursEveryOption(t *testing.T) {
	f := false
	for _, c := range []struct {
		name    string
		g       Generate
		allowed string
		each    []string
	}{
		{"default", Generate{}, lowercase + uppercase + digits + punctuation, []string{lowercase, uppercase, digits, punctuation}},
		{"no punctuation", Generate{PasswordLength: 64, ExcludePunctuation: true}, lowercase + uppercase + digits, []string{lowercase, uppercase, digits}},
		{"digits only", Generate{PasswordLength: 20, ExcludeLowercase: true, ExcludeUppercase: true, ExcludePunctuation: true}, digits, []string{digits}},
		{"excluded characters", Generate{PasswordLength: 200, ExcludeCharacters: "abc0123", ExcludePunctuation: true}, strings.Trim(lowercase, "abc") + uppercase + "456789", nil},
		{"with space", Generate{PasswordLength: 100, ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true, IncludeSpace: true}, " ", []string{" "}},
		{"not each type", Generate{PasswordLength: 1, RequireEachIncludedType: &f}, lowercase + uppercase + digits + punctuation, nil},
	} {
		pw, err := c.g.password(rand.Reader)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want := c.g.PasswordLength
		if want == 0 {
			want = 32
		}
		if len(pw) != want || strings.Trim(pw, c.allowed) != "" {
			t.Errorf("%s: %q has length %d or characters outside %q", c.name, pw, len(pw), c.allowed)
		}
		for _, class := range c.each {
			if !strings.ContainsAny(pw, class) {
				t.Errorf("%s: %q lacks a character of %q", c.name, pw, class)
			}
		}
	}
	if _, err := (Generate{PasswordLength: 3}).password(rand.Reader); err == nil {
		t.Error("3 characters cannot hold 4 required types, yet no error")
	}
	s, err := Generate{SecretStringTemplate: `{"user":"app"}`, GenerateStringKey: "password"}.secretString(rand.Reader)
	var obj map[string]string
	if err != nil || json.Unmarshal([]byte(s), &obj) != nil || obj["user"] != "app" || len(obj["password"]) != 32 {
		t.Errorf("templated secret %q, %v", s, err)
	}
}

func TestAWSCLIGetSecretValue(t *testing.T) {
	e := newEnv(t, t.TempDir())
	if _, err := e.svc.CreateFromTemplate(TemplateSecret{Name: "cli", ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:cli-XyZabc", SecretString: "from-the-template"}); err != nil {
		t.Fatal(err)
	}
	var out struct{ Name, SecretString string }
	if err := json.Unmarshal(awsjsontest.CLI(t, e.url, "secretsmanager", "get-secret-value", "--secret-id", "cli"), &out); err != nil {
		t.Fatal(err)
	}
	if out.Name != "cli" || out.SecretString != "from-the-template" {
		t.Errorf("aws secretsmanager get-secret-value: %+v", out)
	}
}
