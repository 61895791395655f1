package s3

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestBucketEncryption(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "bkt")
	get := func() types.ServerSideEncryptionRule {
		t.Helper()
		out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("bkt")})
		if err != nil {
			t.Fatalf("GetBucketEncryption: %v", err)
		}
		if n := len(out.ServerSideEncryptionConfiguration.Rules); n != 1 {
			t.Fatalf("GetBucketEncryption: %d rules", n)
		}
		return out.ServerSideEncryptionConfiguration.Rules[0]
	}
	// Every bucket reports SSE-S3, as on S3 since 2023.
	if r := get(); r.ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 || aws.ToBool(r.BucketKeyEnabled) {
		t.Errorf("default encryption: %+v", r.ApplyServerSideEncryptionByDefault)
	}
	put := func(alg types.ServerSideEncryption, bucketKey bool) error {
		_, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("bkt"),
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: alg},
				BucketKeyEnabled:                   aws.Bool(bucketKey),
			}}}})
		return err
	}
	if err := put(types.ServerSideEncryptionAes256, true); err != nil {
		t.Fatalf("PutBucketEncryption: %v", err)
	}
	if r := get(); !aws.ToBool(r.BucketKeyEnabled) {
		t.Errorf("BucketKeyEnabled not stored: %+v", r)
	}
	if err := put(types.ServerSideEncryptionAwsKms, false); errCode(err) != "NotImplemented" {
		t.Errorf("SSE-KMS default: %v, want NotImplemented", err)
	}
	if _, err := c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatalf("DeleteBucketEncryption: %v", err)
	}
	if r := get(); aws.ToBool(r.BucketKeyEnabled) {
		t.Errorf("after delete the bucket is not back to the default: %+v", r)
	}
	if _, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("nope")}); errCode(err) != "NoSuchBucket" {
		t.Errorf("GetBucketEncryption of an unknown bucket: %v", err)
	}
}

func TestPublicAccessBlock(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "bkt")
	get := func() (*types.PublicAccessBlockConfiguration, error) {
		out, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("bkt")})
		if err != nil {
			return nil, err
		}
		return out.PublicAccessBlockConfiguration, nil
	}
	cfg, err := get()
	if err != nil || !aws.ToBool(cfg.BlockPublicAcls) || !aws.ToBool(cfg.IgnorePublicAcls) || !aws.ToBool(cfg.BlockPublicPolicy) || !aws.ToBool(cfg.RestrictPublicBuckets) {
		t.Fatalf("a new bucket blocks all public access on S3: %+v %v", cfg, err)
	}
	if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("bkt"),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(false),
			IgnorePublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(false)}}); err != nil {
		t.Fatalf("PutPublicAccessBlock: %v", err)
	}
	cfg, err = get()
	if err != nil || !aws.ToBool(cfg.BlockPublicAcls) || aws.ToBool(cfg.BlockPublicPolicy) || !aws.ToBool(cfg.IgnorePublicAcls) || aws.ToBool(cfg.RestrictPublicBuckets) {
		t.Errorf("GetPublicAccessBlock after put: %+v %v", cfg, err)
	}
	if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatalf("DeletePublicAccessBlock: %v", err)
	}
	if _, err := get(); errCode(err) != "NoSuchPublicAccessBlockConfiguration" {
		t.Errorf("GetPublicAccessBlock after delete: %v", err)
	}
	if err := e.srv.SetPublicAccessBlock("bkt", PublicAccessBlock{BlockPublicAcls: true}); err != nil {
		t.Fatal(err)
	}
	if cfg, err := get(); err != nil || !aws.ToBool(cfg.BlockPublicAcls) || aws.ToBool(cfg.IgnorePublicAcls) {
		t.Errorf("GetPublicAccessBlock after SetPublicAccessBlock: %+v %v", cfg, err)
	}
	if err := e.srv.SetPublicAccessBlock("nope", PublicAccessBlock{}); err == nil {
		t.Error("SetPublicAccessBlock on an unknown bucket succeeded")
	}
}

func TestOwnershipControls(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "bkt")
	get := func() (types.ObjectOwnership, error) {
		out, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("bkt")})
		if err != nil {
			return "", err
		}
		return out.OwnershipControls.Rules[0].ObjectOwnership, nil
	}
	if o, err := get(); o != types.ObjectOwnershipBucketOwnerEnforced || err != nil {
		t.Errorf("default ownership: %q %v", o, err)
	}
	put := func(o types.ObjectOwnership) error {
		_, err := c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("bkt"),
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: o}}}})
		return err
	}
	if err := put(types.ObjectOwnershipBucketOwnerEnforced); err != nil {
		t.Errorf("PutBucketOwnershipControls: %v", err)
	}
	if err := put(types.ObjectOwnershipObjectWriter); errCode(err) != "NotImplemented" {
		t.Errorf("ObjectWriter (ACLs): %v, want NotImplemented", err)
	}
	if _, err := c.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatalf("DeleteBucketOwnershipControls: %v", err)
	}
	if _, err := get(); errCode(err) != "OwnershipControlsNotFoundError" {
		t.Errorf("after delete: %v", err)
	}
	if err := e.srv.SetOwnership("bkt", OwnershipBucketOwnerEnforced); err != nil {
		t.Fatal(err)
	}
	if o, err := get(); o != types.ObjectOwnershipBucketOwnerEnforced || err != nil {
		t.Errorf("after SetOwnership: %q %v", o, err)
	}
}

// TestBucketSettingsPersist restarts the local S3 on its directory: the
// configurations and tags are still there, and gone with their bucket.
func TestBucketSettingsPersist(t *testing.T) {
	dir := t.TempDir()
	e1 := newEnv(t, envOpts{dir: dir})
	mustBucket(t, e1, "bkt")
	mustBucket(t, e1, "gone")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e1.srv.SetCORS("bkt", []CORSRule{{ID: "r", AllowedOrigins: []string{"http://x"}, AllowedMethods: []string{"GET"}}}))
	must(e1.srv.SetLifecycle("bkt", []LifecycleRule{{ID: "tmp", Enabled: true, Prefix: "tmp/", ExpirationDays: 1}}))
	must(e1.srv.SetEncryption("bkt", EncryptionRule{SSEAlgorithm: "AES256", BucketKeyEnabled: true}))
	must(e1.srv.SetPublicAccessBlock("bkt", PublicAccessBlock{BlockPublicAcls: true}))
	must(e1.srv.SetNotification("bkt", NotificationConfiguration{LambdaFunctions: []LambdaNotification{{
		ID: "n", FunctionARN: "arn:aws:lambda:us-east-1:000000000000:function:f", Events: []string{"s3:ObjectCreated:*"}, Prefix: "in/", Suffix: ".jpg"}}}))
	must(e1.srv.SetLifecycle("gone", []LifecycleRule{{ID: "x", Enabled: true, ExpirationDays: 1}}))
	must(e1.srv.SetCORS("gone", []CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}}))
	_, err := e1.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: nil})
	must(err)
	_, err = e1.client.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("bkt"), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("imaging")}}}})
	must(err)
	_, err = e1.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("gone")})
	must(err)
	e1.close()

	e2 := newEnv(t, envOpts{dir: dir})
	c := e2.client
	if out, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("bkt")}); err != nil || aws.ToString(out.CORSRules[0].ID) != "r" {
		t.Errorf("CORS after restart: %v", err)
	}
	if out, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("bkt")}); err != nil || aws.ToString(out.Rules[0].ID) != "tmp" {
		t.Errorf("lifecycle after restart: %v", err)
	}
	if out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("bkt")}); err != nil || !aws.ToBool(out.ServerSideEncryptionConfiguration.Rules[0].BucketKeyEnabled) {
		t.Errorf("encryption after restart: %v", err)
	}
	if out, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("bkt")}); err != nil || aws.ToBool(out.PublicAccessBlockConfiguration.IgnorePublicAcls) {
		t.Errorf("public access block after restart: %v", err)
	}
	if out, err := c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("bkt")}); err != nil || len(out.LambdaFunctionConfigurations) != 1 {
		t.Errorf("notification after restart: %v", err)
	}
	if out, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("bkt"), Key: aws.String("k")}); err != nil || len(out.TagSet) != 1 {
		t.Errorf("tags after restart: %v", err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("gone")}); errCode(err) != "NoSuchLifecycleConfiguration" {
		t.Errorf("a recreated bucket kept the deleted bucket's lifecycle: %v", err)
	}
	if _, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("gone")}); errCode(err) != "NoSuchCORSConfiguration" {
		t.Errorf("a recreated bucket kept the deleted bucket's CORS rules: %v", err)
	}
}
