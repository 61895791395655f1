// Package s3store keeps status records, failure records and subscriptions
// as small JSON objects in one S3 bucket. S3 is the only state the
// pipeline has, so nothing else needs provisioning, and a lifecycle rule on
// the subscriptions prefix expires what browsers abandon.
package s3store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"thumbflow/upload"
)

// API is the part of the S3 client the store calls.
type API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// Store implements upload.Store on one bucket.
type Store struct {
	Client API
	Bucket string
}

// maxRecordBytes caps what GetStatus reads: a record is a few KB, and a
// corrupted or hostile object must not exhaust memory.
const maxRecordBytes = 1 << 20

// GetStatus returns the upload's record, or false when none exists yet.
func (s *Store) GetStatus(ctx context.Context, id string) (upload.Record, bool, error) {
	var r upload.Record
	ok, err := s.getJSON(ctx, upload.StatusKey(id), &r)
	return r, ok, err
}

// maxUpdateTries bounds the optimistic-concurrency loop. Writers of one
// record are the few steps of one execution plus duplicated deliveries, so
// more than a couple of conflicts means something is wrong.
const maxUpdateTries = 8

// UpdateStatus applies change with a conditional write (If-Match on the
// ETag read, If-None-Match: * for a new record), re-reading on conflict,
// so concurrent writers never lose each other's updates.
func (s *Store) UpdateStatus(ctx context.Context, id string, change func(upload.Record) (upload.Record, bool)) (upload.Record, bool, error) {
	key := upload.StatusKey(id)
	for try := 0; try < maxUpdateTries; try++ {
		var cur upload.Record
		etag, err := s.getJSONTagged(ctx, key, &cur)
		if err != nil {
			return upload.Record{}, false, err
		}
		next, changed := change(cur)
		if !changed {
			return next, false, nil
		}
		b, err := json.Marshal(next)
		if err != nil {
			return upload.Record{}, false, fmt.Errorf("encode %s: %w", key, err)
		}
		in := &s3.PutObjectInput{
			Bucket:       aws.String(s.Bucket),
			Key:          aws.String(key),
			Body:         bytes.NewReader(b),
			ContentType:  aws.String("application/json"),
			CacheControl: aws.String("no-store"),
		}
		OnlyIfUnchanged(in, etag)
		_, err = s.Client.PutObject(ctx, in)
		if err == nil {
			return next, true, nil
		}
		if !LostRace(err) {
			return upload.Record{}, false, fmt.Errorf("put s3://%s/%s: %w", s.Bucket, key, err)
		}
	}
	return upload.Record{}, false, fmt.Errorf("put s3://%s/%s: still conflicting after %d tries", s.Bucket, key, maxUpdateTries)
}

// OnlyIfUnchanged makes in a compare-and-swap write: it creates the
// object only if none exists (etag empty), or replaces only the version
// whose ETag was read. S3 answers a lost race with 412 (LostRace).
func OnlyIfUnchanged(in *s3.PutObjectInput, etag string) {
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
}

// LostRace reports whether a conditional write failed because another
// writer got there first: 412 Precondition Failed, or 409 Conflict when
// two conditional writes to one key overlap. The caller re-reads and
// tries again.
func LostRace(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusPreconditionFailed, http.StatusConflict:
			return true
		}
	}
	return false
}

// PutFailure writes the operator's copy of a failed upload's record.
func (s *Store) PutFailure(ctx context.Context, f upload.FailureRecord) error {
	return s.putJSON(ctx, upload.FailureKey(f.UploadID), f)
}

// GetFailure reads one failure record.
func (s *Store) GetFailure(ctx context.Context, id string) (upload.FailureRecord, bool, error) {
	var f upload.FailureRecord
	ok, err := s.getJSON(ctx, upload.FailureKey(id), &f)
	return f, ok, err
}

// Subscribe records that connectionID watches upload id.
func (s *Store) Subscribe(ctx context.Context, id, connectionID string) error {
	_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(s.Bucket),
		Key:         aws.String(upload.SubscriptionKey(id, connectionID)),
		Body:        bytes.NewReader(nil),
		ContentType: aws.String("application/octet-stream"),
	})
	if err != nil {
		return fmt.Errorf("subscribe %s to upload %s: %w", connectionID, id, err)
	}
	return nil
}

// Unsubscribe forgets one subscription.
func (s *Store) Unsubscribe(ctx context.Context, id, connectionID string) error {
	_, err := s.Client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.Bucket),
		Key:    aws.String(upload.SubscriptionKey(id, connectionID)),
	})
	if err != nil {
		return fmt.Errorf("unsubscribe %s from upload %s: %w", connectionID, id, err)
	}
	return nil
}

// Subscribers lists the connections watching upload id, following pages.
func (s *Store) Subscribers(ctx context.Context, id string) ([]string, error) {
	var conns []string
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.Bucket),
		Prefix: aws.String(upload.SubscriptionKey(id, "")),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list subscribers of upload %s: %w", id, err)
		}
		for _, o := range page.Contents {
			c, err := upload.ConnectionFromSubscriptionKey(aws.ToString(o.Key))
			if err != nil {
				continue // not ours; never fail a publish over a stray key
			}
			conns = append(conns, c)
		}
	}
	return conns, nil
}

func (s *Store) getJSON(ctx context.Context, key string, v any) (bool, error) {
	etag, err := s.getJSONTagged(ctx, key, v)
	return etag != "", err
}

// getJSONTagged decodes the object at key into v and returns its ETag, or
// "" when there is no such object.
func (s *Store) getJSONTagged(ctx context.Context, key string, v any) (string, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return "", nil
		}
		return "", fmt.Errorf("get s3://%s/%s: %w", s.Bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxRecordBytes+1))
	if err != nil {
		return "", fmt.Errorf("read s3://%s/%s: %w", s.Bucket, key, err)
	}
	if len(b) > maxRecordBytes {
		return "", fmt.Errorf("s3://%s/%s is larger than %d bytes", s.Bucket, key, maxRecordBytes)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return "", fmt.Errorf("decode s3://%s/%s: %w", s.Bucket, key, err)
	}
	etag := aws.ToString(out.ETag)
	if etag == "" {
		etag = "*" // an object without an ETag still exists; never write as if new
	}
	return etag, nil
}

func (s *Store) putJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	_, err = s.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:       aws.String(s.Bucket),
		Key:          aws.String(key),
		Body:         bytes.NewReader(b),
		ContentType:  aws.String("application/json"),
		CacheControl: aws.String("no-store"),
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", s.Bucket, key, err)
	}
	return nil
}
