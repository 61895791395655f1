package s3

import (
	"net/http"
	"strconv"
	"strings"
)

// unsupported refuses requests whose meaning gofakes3 would silently ignore,
// so a feature that does not work locally never appears to work.
func unsupported(r *http.Request, bucket, key string) *s3Error {
	notImpl := func(what string) *s3Error {
		return &s3Error{http.StatusNotImplemented, "NotImplemented", "A header or query you provided implies functionality that is not implemented by the local S3: " + what}
	}
	q := r.URL.Query()
	for name := range q {
		lname := strings.ToLower(name)
		if strings.HasPrefix(lname, "x-amz-") || strings.HasPrefix(lname, "response-") {
			continue
		}
		if !allowedQuery[lname] {
			return notImpl("?" + name)
		}
	}
	if q.Has("partNumber") && !q.Has("uploadId") {
		return notImpl("?partNumber on a completed object")
	}
	if bucket == "" && r.Method != http.MethodGet {
		return &s3Error{http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."}
	}
	for name, vals := range r.Header {
		lname := strings.ToLower(name)
		v := ""
		if len(vals) > 0 {
			v = vals[0]
		}
		switch {
		case strings.HasPrefix(lname, "x-amz-server-side-encryption-customer-"),
			strings.HasPrefix(lname, "x-amz-copy-source-server-side-encryption-"),
			strings.HasPrefix(lname, "x-amz-object-lock-"),
			strings.HasPrefix(lname, "x-amz-copy-source-if-"),
			strings.HasPrefix(lname, "x-amz-grant-"),
			lname == "x-amz-tagging", lname == "x-amz-tagging-directive",
			lname == "x-amz-copy-source-range", lname == "x-amz-website-redirect-location",
			lname == "x-amz-write-offset-bytes":
			return notImpl(name)
		case lname == "x-amz-copy-source" && (q.Has("uploadId") || r.Method != http.MethodPut):
			return notImpl("UploadPartCopy")
		case lname == "x-amz-server-side-encryption" && v != "AES256":
			return notImpl(name + ": " + v)
		case lname == "x-amz-storage-class" && v != "STANDARD":
			return notImpl(name + ": " + v)
		case lname == "x-amz-acl" && v != "private" && v != "bucket-owner-full-control":
			return &s3Error{http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs"}
		}
	}
	return nil
}

var allowedQuery = map[string]bool{
	"list-type": true, "prefix": true, "delimiter": true, "max-keys": true, "continuation-token": true,
	"start-after": true, "encoding-type": true, "fetch-owner": true, "marker": true, "location": true,
	"x-id": true, "delete": true, "uploads": true, "uploadid": true, "partnumber": true,
	"max-parts": true, "part-number-marker": true, "key-marker": true, "upload-id-marker": true,
	"max-uploads": true, "versioning": true, "versions": true, "versionid": true, "version-id-marker": true,
}

// fixRange answers the Range requests gofakes3 gets wrong with S3's error.
// gofakes3 serves the whole object for a range that starts past the end;
// S3 answers 416 InvalidRange.
func fixRange(r *http.Request, st *store) *s3Error {
	rng := r.Header.Get("Range")
	if rng == "" {
		return nil
	}
	spec, ok := strings.CutPrefix(rng, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		r.Header.Del("Range") // S3 ignores ranges it cannot parse, and multi-ranges
		return nil
	}
	startStr, _, _ := strings.Cut(spec, "-")
	if startStr == "" {
		return nil
	}
	start, err := strconv.ParseInt(startStr, 10, 64)
	if err != nil {
		r.Header.Del("Range")
		return nil
	}
	obj, err := requestedObject(r, st)
	if err != nil {
		return nil // let gofakes3 report NoSuchKey
	}
	obj.Contents.Close()
	if start >= obj.Size {
		return &s3Error{http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable"}
	}
	return nil
}
