package s3store

import (
	"bytes"
	"context"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/upload"
)

// OriginalsAPI is the part of the S3 client Originals calls.
type OriginalsAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// Originals reads originals where the storage event said they are. It
// implements upload.Originals and upload.ObjectTypes.
type Originals struct {
	Client OriginalsAPI
}

// OpenOriginal opens the object the event announced, by its version id
// where the bucket is versioned, so a later object under the same key is
// never converted in its place.
func (o *Originals) OpenOriginal(ctx context.Context, obj upload.Object) (io.ReadCloser, int64, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key)}
	if obj.VersionID != "" {
		in.VersionId = aws.String(obj.VersionID)
	}
	out, err := o.Client.GetObject(ctx, in)
	if err != nil {
		return nil, 0, classify(err)
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// ContentType returns the type the browser declared when it uploaded obj.
func (o *Originals) ContentType(ctx context.Context, obj upload.Object) (string, error) {
	head, err := o.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key)})
	if err != nil {
		return "", err
	}
	return aws.ToString(head.ContentType), nil
}

// RenditionsAPI is the part of the S3 client Renditions calls.
type RenditionsAPI interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Renditions writes renditions into the output bucket, which has no
// notification, so a write can never start the pipeline again. It
// implements upload.RenditionWriter.
type Renditions struct {
	Client RenditionsAPI
	Bucket string
}

// PutRendition stores one rendition. Renditions never change for an
// upload id, so browsers may cache them for good.
func (r *Renditions) PutRendition(ctx context.Context, key, contentType string, data []byte) error {
	_, err := r.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:       aws.String(r.Bucket),
		Key:          aws.String(key),
		Body:         bytes.NewReader(data),
		ContentType:  aws.String(contentType),
		CacheControl: aws.String("private, max-age=31536000, immutable"),
	})
	return classify(err)
}
