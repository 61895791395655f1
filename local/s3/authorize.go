package s3

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"

	"thumbflow/local/sigv4"
)

// Authorizer decides whether the principal behind an access key may
// perform an S3 action, as IAM does (local/iam.Authorizer). With none,
// every correctly signed request is allowed.
type Authorizer interface {
	Authorize(accessKeyID, action, resource string, conditions map[string][]string) error
}

// authorize checks a verified request against the Authorizer.
func (s *Server) authorize(r *http.Request, bucket, key string) *s3Error {
	if s.opts.Authorizer == nil {
		return nil
	}
	action, resource, conds := s3Action(r.Method, r.URL.Query(), r.Header.Get("X-Amz-Copy-Source") != "", bucket, key)
	return s.authorizeAs(r, sigv4.AccessKeyID(r), action, resource, conds)
}

func (s *Server) authorizeAs(r *http.Request, accessKeyID, action, resource string, conds map[string][]string) *s3Error {
	if s.opts.Authorizer == nil {
		return nil
	}
	if conds == nil {
		conds = map[string][]string{}
	}
	conds["aws:SecureTransport"] = []string{strconv.FormatBool(SecureTransport(r))}
	if ip := sourceIP(r); ip != "" {
		conds["aws:SourceIp"] = []string{ip}
	}
	if err := s.opts.Authorizer.Authorize(accessKeyID, action, resource, conds); err != nil {
		return &s3Error{http.StatusForbidden, "AccessDenied", errorText(err)}
	}
	return nil
}

// SecureTransport is aws:SecureTransport for a request: true over TLS,
// and true from a loopback address, since the local endpoint stands in
// for the TLS terminator (a terminator on the same machine, or the
// developer's own tools). A plain-HTTP request from another machine is
// not secure, so a TLS-only bucket policy refuses it as S3 does
// (docs/security.md).
func SecureTransport(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

func errorText(err error) string {
	var e interface{ Error() string }
	if errors.As(err, &e) {
		return e.Error()
	}
	return "Access Denied"
}

// subresourceActions maps a bucket-level query parameter to the IAM
// actions that reading and writing it need (DELETE needs the write
// action, as S3 documents for cors, lifecycle and the others).
var subresourceActions = map[string][2]string{
	"cors":              {"s3:GetBucketCORS", "s3:PutBucketCORS"},
	"lifecycle":         {"s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
	"versioning":        {"s3:GetBucketVersioning", "s3:PutBucketVersioning"},
	"notification":      {"s3:GetBucketNotification", "s3:PutBucketNotification"},
	"encryption":        {"s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"},
	"publicAccessBlock": {"s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
	"ownershipControls": {"s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls"},
	"tagging":           {"s3:GetBucketTagging", "s3:PutBucketTagging"},
	"policy":            {"s3:GetBucketPolicy", "s3:PutBucketPolicy"},
	"location":          {"s3:GetBucketLocation", "s3:GetBucketLocation"},
	"uploads":           {"s3:ListBucketMultipartUploads", "s3:ListBucketMultipartUploads"},
	"versions":          {"s3:ListBucketVersions", "s3:ListBucketVersions"},
}

// s3Action names the IAM action, the resource ARN and the condition keys
// of an S3 request, as the S3 documentation's "actions, resources and
// condition keys" table gives them for the operations the local S3 serves.
func s3Action(method string, q url.Values, copy bool, bucket, key string) (action, resource string, conds map[string][]string) {
	switch {
	case bucket == "":
		return "s3:ListAllMyBuckets", "*", nil
	case key == "":
		return bucketAction(method, q, bucket)
	}
	resource = "arn:aws:s3:::" + bucket + "/" + key
	versioned := q.Get("versionId") != ""
	switch method {
	case http.MethodGet, http.MethodHead:
		switch {
		case q.Has("tagging") && versioned:
			return "s3:GetObjectVersionTagging", resource, nil
		case q.Has("tagging"):
			return "s3:GetObjectTagging", resource, nil
		case versioned:
			return "s3:GetObjectVersion", resource, nil
		case q.Has("uploadId"):
			return "s3:ListMultipartUploadParts", resource, nil
		}
		return "s3:GetObject", resource, nil
	case http.MethodPut:
		switch {
		case q.Has("tagging") && versioned:
			return "s3:PutObjectVersionTagging", resource, nil
		case q.Has("tagging"):
			return "s3:PutObjectTagging", resource, nil
		}
		return "s3:PutObject", resource, nil // copies and parts included
	case http.MethodDelete:
		switch {
		case q.Has("tagging") && versioned:
			return "s3:DeleteObjectVersionTagging", resource, nil
		case q.Has("tagging"):
			return "s3:DeleteObjectTagging", resource, nil
		case q.Has("uploadId"):
			return "s3:AbortMultipartUpload", resource, nil
		case versioned:
			return "s3:DeleteObjectVersion", resource, nil
		}
		return "s3:DeleteObject", resource, nil
	}
	return "s3:PutObject", resource, nil // POST: initiate and complete a multipart upload
}

func bucketAction(method string, q url.Values, bucket string) (string, string, map[string][]string) {
	resource := "arn:aws:s3:::" + bucket
	for sub, actions := range subresourceActions {
		if q.Has(sub) {
			if method == http.MethodGet || method == http.MethodHead {
				return actions[0], resource, prefixCondition(q, sub)
			}
			return actions[1], resource, nil
		}
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		return "s3:ListBucket", resource, prefixCondition(q, "")
	case http.MethodPut:
		return "s3:CreateBucket", resource, nil
	case http.MethodDelete:
		return "s3:DeleteBucket", resource, nil
	}
	// POST ?delete deletes many objects; S3 checks s3:DeleteObject on each,
	// which the local S3 approximates on the bucket's objects.
	return "s3:DeleteObject", resource + "/*", nil
}

// prefixCondition gives listings their s3:prefix condition key, which
// policies use to narrow ListBucket to a prefix.
func prefixCondition(q url.Values, sub string) map[string][]string {
	if sub != "" && sub != "versions" {
		return nil
	}
	return map[string][]string{"s3:prefix": {q.Get("prefix")}}
}
