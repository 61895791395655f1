package s3

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const (
	startARN = "arn:aws:lambda:us-east-1:000000000000:function:start"
	copyARN  = "arn:aws:lambda:us-east-1:000000000000:function:copies"
)

func TestNotificationConfigurationDecidesDelivery(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "uploads")
	out, err := c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("uploads")})
	if err != nil || len(out.LambdaFunctionConfigurations) != 0 {
		t.Fatalf("a new bucket's configuration: %+v %v, want empty", out, err)
	}
	if err := e.srv.SetNotification("uploads", NotificationConfiguration{LambdaFunctions: []LambdaNotification{
		{ID: "originals", FunctionARN: startARN, Events: []string{"s3:ObjectCreated:*"}, Prefix: "uploads/", Suffix: ".jpg"},
		{FunctionARN: copyARN, Events: []string{"s3:ObjectCreated:Copy"}, Prefix: "copies/"},
	}}); err != nil {
		t.Fatal(err)
	}
	out, err = c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("uploads")})
	if err != nil || len(out.LambdaFunctionConfigurations) != 2 {
		t.Fatalf("GetBucketNotificationConfiguration: %+v %v", out, err)
	}
	first := out.LambdaFunctionConfigurations[0]
	rules := first.Filter.Key.FilterRules
	if aws.ToString(first.Id) != "originals" || aws.ToString(first.LambdaFunctionArn) != startARN || len(first.Events) != 1 || first.Events[0] != "s3:ObjectCreated:*" ||
		len(rules) != 2 || !strings.EqualFold(string(rules[0].Name), "prefix") || aws.ToString(rules[0].Value) != "uploads/" ||
		!strings.EqualFold(string(rules[1].Name), "suffix") || aws.ToString(rules[1].Value) != ".jpg" {
		t.Errorf("first configuration read back as %+v", first)
	}
	if aws.ToString(out.LambdaFunctionConfigurations[1].Id) == "" {
		t.Error("a configuration without an ID got none")
	}

	start, copies := newSink(), newSink()
	e.srv.RegisterFunction(startARN, start.handle)
	for _, key := range []string{"uploads/a.jpg", "uploads/a.png", "other/a.jpg", "uploads/b.JPG", "uploads/jpg"} {
		putV(t, c, "uploads", key, "x")
	}
	got := start.wait(t, 1)
	if got[0].S3.Object.Key != "uploads/a.jpg" || got[0].EventName != "ObjectCreated:Put" || got[0].S3.ConfigurationID != "originals" {
		t.Errorf("delivered %s %s, want the Put of uploads/a.jpg only", got[0].EventName, got[0].S3.Object.Key)
	}

	// An event for a function without a handler waits for one.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("uploads"), Key: aws.String("copies/a.jpg"), CopySource: aws.String("uploads/other/a.jpg")}); err != nil {
		t.Fatal(err)
	}
	putV(t, c, "uploads", "copies/b.jpg", "a Put, not a Copy")
	e.srv.RegisterFunction(copyARN, copies.handle)
	if got := copies.wait(t, 1); got[0].S3.Object.Key != "copies/a.jpg" || got[0].EventName != "ObjectCreated:Copy" {
		t.Errorf("copies received %s %s", got[0].EventName, got[0].S3.Object.Key)
	}

	// A configuration put through the API takes over from the next event.
	if _, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("uploads"),
		NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{{
			Id: aws.String("incoming"), LambdaFunctionArn: aws.String(startARN), Events: []types.Event{"s3:ObjectCreated:Put"},
			Filter: &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: []types.FilterRule{
				{Name: types.FilterRuleNamePrefix, Value: aws.String("in/")}}}},
		}}}}); err != nil {
		t.Fatalf("PutBucketNotificationConfiguration: %v", err)
	}
	putV(t, c, "uploads", "uploads/c.jpg", "old prefix")
	putV(t, c, "uploads", "in/c.png", "new prefix")
	if got := start.wait(t, 1); len(got) != 2 || got[1].S3.Object.Key != "in/c.png" {
		t.Errorf("after the new configuration start received %v", got)
	}
	copies.wait(t, 0)
}

func TestNotificationConfigurationRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustBucket(t, e, "uploads")
	put := func(cfgs ...types.LambdaFunctionConfiguration) error {
		_, err := e.client.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("uploads"),
			NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: cfgs}})
		return err
	}
	lambda := func(prefix, suffix string, events ...types.Event) types.LambdaFunctionConfiguration {
		return types.LambdaFunctionConfiguration{LambdaFunctionArn: aws.String(startARN), Events: events,
			Filter: &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: []types.FilterRule{
				{Name: types.FilterRuleNamePrefix, Value: aws.String(prefix)}, {Name: types.FilterRuleNameSuffix, Value: aws.String(suffix)}}}}}
	}
	for name, tc := range map[string]struct {
		err  error
		code string
	}{
		"overlapping":      {put(lambda("uploads/", ".jpg", "s3:ObjectCreated:*"), lambda("uploads/a", "", "s3:ObjectCreated:Put")), "InvalidArgument"},
		"unknown event":    {put(lambda("", "", "s3:ObjectMade:*")), "InvalidArgument"},
		"removal events":   {put(lambda("", "", "s3:ObjectRemoved:*")), "NotImplemented"},
		"not a lambda arn": {put(types.LambdaFunctionConfiguration{LambdaFunctionArn: aws.String("start"), Events: []types.Event{"s3:ObjectCreated:*"}}), "InvalidArgument"},
		"unknown bucket": {func() error {
			_, err := e.client.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("nope")})
			return err
		}(), "NoSuchBucket"},
		"disjoint suffixes": {put(lambda("uploads/", ".jpg", "s3:ObjectCreated:*"), lambda("uploads/", ".png", "s3:ObjectCreated:*")), ""},
	} {
		if errCode(tc.err) != tc.code {
			t.Errorf("%s: %v, want %q", name, tc.err, tc.code)
		}
	}
}

// TestNotificationWaitsAcrossRestart: an event recorded before its
// function had a handler is delivered after a restart, once the function
// is registered again.
func TestNotificationWaitsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	e1 := newEnv(t, envOpts{dir: dir})
	mustBucket(t, e1, "uploads")
	if err := e1.srv.SetNotification("uploads", NotificationConfiguration{LambdaFunctions: []LambdaNotification{
		{FunctionARN: startARN, Events: []string{"s3:ObjectCreated:*"}, Suffix: ".jpg"}}}); err != nil {
		t.Fatal(err)
	}
	putV(t, e1.client, "uploads", "before.jpg", "x")
	e1.close()

	e2 := newEnv(t, envOpts{dir: dir})
	start := newSink()
	e2.srv.RegisterFunction(startARN, start.handle)
	putV(t, e2.client, "uploads", "after.jpg", "y")
	got := start.wait(t, 2)
	if got[0].S3.Object.Key != "before.jpg" || got[1].S3.Object.Key != "after.jpg" {
		t.Errorf("delivered %s, %s; want before.jpg then after.jpg", got[0].S3.Object.Key, got[1].S3.Object.Key)
	}
}
