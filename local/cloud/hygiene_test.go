package cloud

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"thumbflow/local/sns"
	"thumbflow/local/stack"
)

// serveFrom serves a request signed with the developer's credentials, as
// if it came from remote, through the cloud's endpoint.
func serveFrom(t *testing.T, c *Cloud, remote, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	host := strings.TrimPrefix(c.Endpoint, "http://")
	req := httptest.NewRequest(method, "http://"+host+path, nil)
	req.RemoteAddr = remote
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	req.Header.Set("X-Amz-Content-Sha256", empty)
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, empty, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	(*c.ready.Load()).ServeHTTP(rec, req)
	return rec
}

// TestBucketPoliciesRefusePlainHTTPFromAnotherMachine: the local cloud
// built from template.yaml applies every bucket's TLS-only policy. A
// request from a loopback address counts as TLS (the local endpoint stands
// in for the TLS terminator) and is served; the same signed request over
// plain HTTP from another machine is refused with AccessDenied, by an
// explicit deny that binds even the administrator, as S3 refuses it.
func TestBucketPoliciesRefusePlainHTTPFromAnotherMachine(t *testing.T) {
	c := startCloud(t)
	if len(c.Stack.Buckets) != 4 {
		t.Fatalf("%d buckets; this test expects the uploads, output, records and access-log buckets", len(c.Stack.Buckets))
	}
	for _, b := range c.Stack.Buckets {
		if len(b.Policies) == 0 {
			t.Errorf("%s has no bucket policy", b.LogicalID)
		}
		for _, path := range []string{"/" + b.Name, "/" + b.Name + "/some/key"} {
			method := http.MethodGet
			if got := serveFrom(t, c, "127.0.0.1:40000", method, path); got.Code == http.StatusForbidden {
				t.Errorf("%s %s from loopback: %d %s", method, path, got.Code, got.Body)
			}
			got := serveFrom(t, c, "192.0.2.9:40000", method, path)
			if got.Code != http.StatusForbidden || !strings.Contains(got.Body.String(), "<Code>AccessDenied</Code>") ||
				!strings.Contains(got.Body.String(), "explicit deny") {
				t.Errorf("%s %s over plain HTTP from 192.0.2.9: %d %s; want 403 AccessDenied by an explicit deny", method, path, got.Code, got.Body)
			}
		}
	}
}

// TestAccessLogsReachTheLogBucketByItsPolicy: with AccessLogging on (the
// default), requests to the data buckets are recorded in the access-log
// bucket under each bucket's prefix, delivered as logging.s3.amazonaws.com
// by the log bucket's policy, which refuses a source bucket it does not
// name.
func TestAccessLogsReachTheLogBucketByItsPolicy(t *testing.T) {
	c := startCloud(t)
	client := s3.NewFromConfig(c.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	records := bucketName(c, "RecordsBucket")
	logs := bucketName(c, "AccessLogsBucket")
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(records), Key: aws.String("status/x.json"), Body: strings.NewReader("{}")}); err != nil {
		t.Fatal(err)
	}
	c.S3.FlushAccessLogs()
	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(logs), Prefix: aws.String("records/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 {
		t.Fatalf("log bucket holds %d objects under records/, want 1", len(out.Contents))
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(logs), Key: out.Contents[0].Key})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(got.Body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body.String(), " "+records+" ") || !strings.Contains(body.String(), " REST.PUT.OBJECT status/x.json ") {
		t.Errorf("access log record %q", body.String())
	}
	if err := c.authorizeLogDelivery(bucketName(c, "UploadsBucket"), logs, "uploads/k"); err != nil {
		t.Errorf("delivery for the uploads bucket: %v", err)
	}
	if err := c.authorizeLogDelivery("someone-elses-bucket", logs, "uploads/k"); err == nil {
		t.Error("the log bucket's policy lets another bucket's logs in")
	}

	off := startCloud(t, func(c *Config) { c.Parameters = map[string]string{"AccessLogging": "false"} })
	if off.Stack.Bucket("AccessLogsBucket") != nil || off.Stack.Bucket("RecordsBucket").LogsTo != nil {
		t.Error("AccessLogging=false still creates the log bucket or logs to it")
	}
}

// TestTopicPolicyAdmitsOnlyTheStacksRuleAndAlarms: the alert topic's
// policy names its publishers by aws:SourceArn and aws:SourceAccount. The
// stack's own rule and every alarm of the stack publish (the path the
// local EventBridge and CloudWatch take); the same services acting for a
// rule or alarm of another stack, or another account, are refused.
func TestTopicPolicyAdmitsOnlyTheStacksRuleAndAlarms(t *testing.T) {
	c := startCloud(t)
	topic := c.Stack.Topic("AlertTopic").ARN
	acct := c.cfg.AccountID
	publish := func(service, source, account string) error {
		_, err := c.Topics.PublishAs(sns.Publisher{Service: service, SourceARN: source, SourceAccount: account}, topic, "test", "{}")
		return err
	}
	published := 0
	for _, r := range c.Stack.Rules {
		if !slices.ContainsFunc(r.Props.Targets, func(tg stack.RuleTarget) bool { return tg.Arn == topic }) {
			continue // a rule with other targets (the sweeper's schedule) has no business on the topic
		}
		published++
		if err := publish("events.amazonaws.com", r.ARN, acct); err != nil {
			t.Errorf("rule %s: %v", r.LogicalID, err)
		}
	}
	if published == 0 {
		t.Fatal("no rule of the stack targets the alert topic")
	}
	for _, a := range c.Stack.Alarms {
		if err := publish("cloudwatch.amazonaws.com", a.ARN, acct); err != nil {
			t.Errorf("alarm %s: %v", a.LogicalID, err)
		}
	}
	refused := []struct{ service, source, account string }{
		{"events.amazonaws.com", "arn:aws:events:us-east-1:" + acct + ":rule/another-rule", acct},
		{"events.amazonaws.com", c.Stack.Rules[0].ARN, "111122223333"},
		{"cloudwatch.amazonaws.com", "arn:aws:cloudwatch:us-east-1:" + acct + ":alarm:otherstack-alarm", acct},
		{"cloudwatch.amazonaws.com", c.Stack.Alarms[0].ARN, "111122223333"},
		{"cloudwatch.amazonaws.com", c.Stack.Rules[0].ARN, acct}, // the rule's ARN, but not EventBridge
	}
	for _, r := range refused {
		var e *sns.Error
		if err := publish(r.service, r.source, r.account); !errors.As(err, &e) || e.Code != "AuthorizationError" {
			t.Errorf("%s for %s in %s: %v; want AuthorizationError", r.service, r.source, r.account, err)
		}
	}
}

// nonLoopbackIPv4 is an address of this machine that is not loopback, or
// "" when it has none.
func nonLoopbackIPv4() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// TestSDKOverPlainHTTPFromANonLoopbackAddressIsRefused is the same check
// over the network, with the SDK: a cloud listening on every interface
// with -public serves the developer's client at 127.0.0.1, and refuses the
// same client reaching it at the machine's LAN address, whose requests
// arrive from that (non-loopback) address over plain HTTP. The httptest
// version above covers machines without such an address.
func TestSDKOverPlainHTTPFromANonLoopbackAddressIsRefused(t *testing.T) {
	lan := nonLoopbackIPv4()
	if lan == "" {
		t.Skip("no non-loopback IPv4 address (TestBucketPoliciesRefusePlainHTTPFromAnotherMachine covers the policy)")
	}
	c := startCloud(t, func(c *Config) { c.Addr, c.Public = "0.0.0.0:0", true })
	_, port, _ := net.SplitHostPort(c.awsLn.Addr().String())
	bucket := bucketName(c, "RecordsBucket")
	list := func(host string) error {
		cfg := c.AWSConfig()
		cfg.BaseEndpoint = aws.String("http://" + net.JoinHostPort(host, port))
		_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).
			ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		return err
	}
	if err := list("127.0.0.1"); err != nil {
		t.Fatalf("from loopback: %v", err)
	}
	err := list(lan)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || !strings.Contains(ae.ErrorMessage(), "explicit deny") {
		t.Fatalf("from %s over plain HTTP: %v; want AccessDenied by the TLS-only policy", lan, err)
	}
}
