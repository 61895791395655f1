package s3

import (
	"net/http"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// checkReadConditions applies If-Match and If-Unmodified-Since, which
// gofakes3 ignores on GET and HEAD; S3 answers 412 when they fail.
func checkReadConditions(r *http.Request, st *store) *s3Error {
	ifMatch := r.Header.Get("If-Match")
	ifUnmodified := r.Header.Get("If-Unmodified-Since")
	if ifMatch == "" && ifUnmodified == "" {
		return nil
	}
	obj, err := requestedObject(r, st)
	if err != nil {
		return nil // let gofakes3 report NoSuchKey
	}
	obj.Contents.Close()
	failed := &s3Error{http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"}
	if ifMatch != "" {
		etag := gofakes3.FormatETag(obj.Hash)
		ok := false
		for _, m := range strings.Split(ifMatch, ",") {
			m = strings.TrimSpace(m)
			ok = ok || m == "*" || m == etag || `"`+m+`"` == etag
		}
		if !ok {
			return failed
		}
		return nil // If-Match that holds overrides If-Unmodified-Since, as on S3
	}
	since, err := time.Parse(http.TimeFormat, ifUnmodified)
	if err != nil {
		return nil // S3 ignores an unparsable date
	}
	if lm, err := time.Parse(http.TimeFormat, obj.Metadata["Last-Modified"]); err == nil && lm.After(since) {
		return failed
	}
	return nil
}

// requestedObject heads the object (or ?versionId version) r reads; a
// delete marker is no object.
func requestedObject(r *http.Request, st *store) (*gofakes3.Object, error) {
	bucket, key := splitPath(r.URL.Path)
	obj, err := st.HeadObjectVersion(bucket, key, gofakes3.VersionID(r.URL.Query().Get("versionId")))
	if err == nil && obj.IsDeleteMarker {
		obj.Contents.Close()
		return nil, gofakes3.KeyNotFound(key)
	}
	return obj, err
}
