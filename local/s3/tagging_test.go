package s3

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func tagSet(kv ...string) []types.Tag {
	var tags []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tags
}

func putTags(c *s3.Client, bucket, key, version string, tags []types.Tag) (*s3.PutObjectTaggingOutput, error) {
	in := &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), Tagging: &types.Tagging{TagSet: tags}}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	return c.PutObjectTagging(ctx, in)
}

// getTags returns "k=v,k=v" and the version id the response named.
func getTags(c *s3.Client, bucket, key, version string) (string, string, error) {
	in := &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	out, err := c.GetObjectTagging(ctx, in)
	if err != nil {
		return "", "", err
	}
	var kv []string
	for _, t := range out.TagSet {
		kv = append(kv, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return strings.Join(kv, ","), aws.ToString(out.VersionId), nil
}

func TestObjectTagging(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "plain")
	putV(t, c, "plain", "a.jpg", "x")
	if tags, _, err := getTags(c, "plain", "a.jpg", ""); err != nil || tags != "" {
		t.Fatalf("a new object's tags: %q %v", tags, err)
	}
	if _, err := putTags(c, "plain", "a.jpg", "", tagSet("team", "imaging", "stage", "raw upload")); err != nil {
		t.Fatalf("PutObjectTagging: %v", err)
	}
	if tags, v, err := getTags(c, "plain", "a.jpg", ""); err != nil || tags != "team=imaging,stage=raw upload" || v != "" {
		t.Errorf("GetObjectTagging: %q version %q %v", tags, v, err)
	}
	// A new object under the key starts untagged, as on S3.
	putV(t, c, "plain", "a.jpg", "y")
	if tags, _, _ := getTags(c, "plain", "a.jpg", ""); tags != "" {
		t.Errorf("an overwritten object kept the old object's tags: %q", tags)
	}
	putTags(c, "plain", "a.jpg", "", tagSet("k", "v"))
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("plain"), Key: aws.String("a.jpg")}); err != nil {
		t.Fatalf("DeleteObjectTagging: %v", err)
	}
	if tags, _, _ := getTags(c, "plain", "a.jpg", ""); tags != "" {
		t.Errorf("after DeleteObjectTagging: %q", tags)
	}
	putTags(c, "plain", "a.jpg", "", tagSet("k", "v"))
	c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("plain"), Key: aws.String("a.jpg")})
	putV(t, c, "plain", "a.jpg", "z")
	if tags, _, _ := getTags(c, "plain", "a.jpg", ""); tags != "" {
		t.Errorf("a deleted object's tags came back with a new one: %q", tags)
	}

	for name, tc := range map[string]struct {
		err  error
		code string
	}{
		"missing key":    {func() error { _, _, err := getTags(c, "plain", "nope", ""); return err }(), "NoSuchKey"},
		"missing bucket": {func() error { _, err := putTags(c, "nope", "a.jpg", "", tagSet("k", "v")); return err }(), "NoSuchBucket"},
		"bad version":    {func() error { _, _, err := getTags(c, "plain", "a.jpg", "v123"); return err }(), "NoSuchVersion"},
	} {
		if errCode(tc.err) != tc.code {
			t.Errorf("%s: %v, want %s", name, tc.err, tc.code)
		}
	}
}

func TestObjectTaggingPerVersion(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "versioned")
	putV(t, c, "versioned", "k", "before versioning") // becomes the null version
	putTags(c, "versioned", "k", "", tagSet("era", "null"))
	setVersioning(t, c, "versioned", types.BucketVersioningStatusEnabled)
	v1 := putV(t, c, "versioned", "k", "one")
	v2 := putV(t, c, "versioned", "k", "two")
	out, err := putTags(c, "versioned", "k", v1, tagSet("v", "1"))
	if err != nil || aws.ToString(out.VersionId) != v1 {
		t.Fatalf("PutObjectTagging of v1: %+v %v", out, err)
	}
	if _, err := putTags(c, "versioned", "k", "", tagSet("v", "current")); err != nil {
		t.Fatal(err)
	}
	for version, want := range map[string]string{v1: "v=1", v2: "v=current", "": "v=current", "null": "era=null"} {
		tags, id, err := getTags(c, "versioned", "k", version)
		wantID := version
		if version == "" {
			wantID = v2
		}
		if err != nil || tags != want || id != wantID {
			t.Errorf("tags of version %q: %q (version %q) %v, want %q (version %q)", version, tags, id, err, want, wantID)
		}
	}
	// Removing a version removes its tags, and only its tags.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("versioned"), Key: aws.String("k"), VersionId: aws.String(v2)}); err != nil {
		t.Fatal(err)
	}
	if tags, id, _ := getTags(c, "versioned", "k", ""); tags != "v=1" || id != v1 {
		t.Errorf("current version after deleting v2: %q (version %q), want v1's tags", tags, id)
	}
	// A delete marker has no tags to read.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("versioned"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := getTags(c, "versioned", "k", ""); errCode(err) != "NoSuchKey" {
		t.Errorf("tags behind a delete marker: %v, want NoSuchKey", err)
	}
}

func TestObjectTaggingLimits(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client
	mustBucket(t, e, "plain")
	putV(t, c, "plain", "a", "x")
	var ten, eleven []string
	for i := range 11 {
		kv := []string{"k" + string(rune('a'+i)), "v"}
		eleven = append(eleven, kv...)
		if i < 10 {
			ten = append(ten, kv...)
		}
	}
	for name, tc := range map[string]struct {
		tags []types.Tag
		ok   bool
	}{
		"ten tags":            {tagSet(ten...), true},
		"eleven tags":         {tagSet(eleven...), false},
		"key of 128":          {tagSet(strings.Repeat("k", 128), "v"), true},
		"key of 129":          {tagSet(strings.Repeat("k", 129), "v"), false},
		"value of 256":        {tagSet("k", strings.Repeat("é", 256)), true},
		"value of 257":        {tagSet("k", strings.Repeat("v", 257)), false},
		"duplicate key":       {tagSet("k", "1", "k", "2"), false},
		"reserved prefix":     {tagSet("aws:cloudformation", "v"), false},
		"invalid character":   {tagSet("k", "semi;colon"), false},
		"allowed punctuation": {tagSet("a+b-c=d.e_f:g/h@i", "x y"), true},
	} {
		_, err := putTags(c, "plain", "a", "", tc.tags)
		if tc.ok && err != nil || !tc.ok && errCode(err) != "InvalidTag" {
			t.Errorf("%s: %v", name, err)
		}
	}
	putTags(c, "plain", "a", "", tagSet("kept", "yes"))
	putTags(c, "plain", "a", "", tagSet(eleven...))
	if tags, _, _ := getTags(c, "plain", "a", ""); tags != "kept=yes" {
		t.Errorf("a refused tag set replaced the last accepted one: %q", tags)
	}
}
