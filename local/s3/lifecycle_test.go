package s3

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestLifecycleConfigurationRoundTrip(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "bkt")
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("bkt")}); errCode(err) != "NoSuchLifecycleConfiguration" {
		t.Fatalf("before any rule: %v, want NoSuchLifecycleConfiguration", err)
	}
	midnight := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	rules := []types.LifecycleRule{
		{
			ID: aws.String("expire-originals"), Status: types.ExpirationStatusEnabled,
			Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("uploads/")},
			Expiration:                     &types.LifecycleExpiration{Days: aws.Int32(30)},
			NoncurrentVersionExpiration:    &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(30), NewerNoncurrentVersions: aws.Int32(2)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)},
		},
		{
			ID: aws.String("tagged"), Status: types.ExpirationStatusDisabled,
			Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("tmp/"),
				Tags: []types.Tag{{Key: aws.String("temp"), Value: aws.String("yes")}}, ObjectSizeGreaterThan: aws.Int64(10)}},
			Expiration: &types.LifecycleExpiration{Date: &midnight},
		},
		{
			ID: aws.String("markers"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Tag: nil, Prefix: aws.String("")},
			Expiration: &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)},
		},
	}
	if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("bkt"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}}); err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
	out, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("bkt")})
	if err != nil {
		t.Fatalf("GetBucketLifecycleConfiguration: %v", err)
	}
	if !reflect.DeepEqual(out.Rules, rules) {
		t.Errorf("GetBucketLifecycleConfiguration returned\n%s\nwant\n%s", describeRules(out.Rules), describeRules(rules))
	}

	// The deprecated top-level Prefix comes back as it was put.
	if status, code := rawPut(t, e, "/bkt?lifecycle", `<LifecycleConfiguration><Rule><ID>legacy</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule></LifecycleConfiguration>`); status != 200 {
		t.Fatalf("legacy Prefix: %d %s", status, code)
	}
	out, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("bkt")})
	if err != nil || len(out.Rules) != 1 || aws.ToString(out.Rules[0].Prefix) != "logs/" || out.Rules[0].Filter != nil {
		t.Errorf("legacy rule read back as %s (%v)", describeRules(out.Rules), err)
	}

	if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatalf("DeleteBucketLifecycle: %v", err)
	}
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("bkt")}); errCode(err) != "NoSuchLifecycleConfiguration" {
		t.Errorf("after delete: %v", err)
	}
}

// describeRules shows what the SDK's pointer-laden rules hold.
func describeRules(rules []types.LifecycleRule) string {
	var b strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&b, "%s %s prefix=%q", aws.ToString(r.ID), r.Status, aws.ToString(r.Prefix))
		if f := r.Filter; f != nil {
			fmt.Fprintf(&b, " filter{prefix=%q tag=%v and=%+v}", aws.ToString(f.Prefix), f.Tag, f.And)
		}
		if x := r.Expiration; x != nil {
			fmt.Fprintf(&b, " expiration{days=%d date=%v marker=%v}", aws.ToInt32(x.Days), aws.ToTime(x.Date), aws.ToBool(x.ExpiredObjectDeleteMarker))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestLifecycleConfigurationRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "bkt")
	rule := func(inner string) string {
		return `<LifecycleConfiguration><Rule><ID>r</ID>` + inner + `</Rule></LifecycleConfiguration>`
	}
	for name, tc := range map[string]struct{ doc, code string }{
		"no rules":           {`<LifecycleConfiguration></LifecycleConfiguration>`, "MalformedXML"},
		"no filter":          {rule(`<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), "MalformedXML"},
		"prefix and filter":  {rule(`<Prefix>a</Prefix><Filter><Prefix>a</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), "MalformedXML"},
		"bad status":         {rule(`<Filter><Prefix>a</Prefix></Filter><Status>On</Status><Expiration><Days>1</Days></Expiration>`), "MalformedXML"},
		"zero days":          {rule(`<Filter><Prefix>a</Prefix></Filter><Status>Enabled</Status><Expiration><Days>0</Days></Expiration>`), "InvalidArgument"},
		"days and date":      {rule(`<Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2027-01-01T00:00:00Z</Date></Expiration>`), "MalformedXML"},
		"date not midnight":  {rule(`<Filter/><Status>Enabled</Status><Expiration><Date>2027-01-01T10:00:00Z</Date></Expiration>`), "InvalidArgument"},
		"no action":          {rule(`<Filter><Prefix>a</Prefix></Filter><Status>Enabled</Status>`), "InvalidRequest"},
		"transition":         {rule(`<Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>`), "NotImplemented"},
		"marker with a tag":  {rule(`<Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`), "InvalidRequest"},
		"two filter members": {rule(`<Filter><Prefix>a</Prefix><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), "MalformedXML"},
		"duplicate ids": {`<LifecycleConfiguration>` +
			`<Rule><ID>r</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>` +
			`<Rule><ID>r</ID><Filter/><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule></LifecycleConfiguration>`, "InvalidArgument"},
	} {
		if status, code := rawPut(t, e, "/bkt?lifecycle", tc.doc); code != tc.code || status/100 == 2 {
			t.Errorf("%s: %d %s, want %s", name, status, code, tc.code)
		}
	}
	if _, err := e.client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("bkt")}); errCode(err) != "NoSuchLifecycleConfiguration" {
		t.Errorf("a refused configuration was stored: %v", err)
	}
	if err := e.srv.SetLifecycle("bkt", []LifecycleRule{{ID: "r", Enabled: true}}); err == nil {
		t.Error("SetLifecycle accepted a rule without an action")
	}
	if err := e.srv.SetLifecycle("nope", []LifecycleRule{{ID: "r", Enabled: true, ExpirationDays: 1}}); err == nil {
		t.Error("SetLifecycle accepted an unknown bucket")
	}
}
