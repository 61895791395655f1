package s3

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// copyObject implements CopyObject here rather than in gofakes3, which
// ignores x-amz-metadata-directive: REPLACE and has no event hook.
func (s *Server) copyObject(w http.ResponseWriter, r *http.Request, bucket, key string, cors http.Header) {
	src := r.Header.Get("X-Amz-Copy-Source")
	srcVersion := ""
	if i := strings.IndexByte(src, '?'); i >= 0 {
		q, err := url.ParseQuery(src[i+1:])
		if err != nil {
			s.writeError(w, r, &s3Error{http.StatusBadRequest, "InvalidArgument", "Invalid copy source encoding"})
			return
		}
		srcVersion = q.Get("versionId")
		if srcVersion == nullVersion {
			srcVersion = nullVersionQuery
		}
		src = src[:i]
	}
	decoded, err := url.PathUnescape(src)
	if err != nil {
		s.writeError(w, r, &s3Error{http.StatusBadRequest, "InvalidArgument", "Invalid copy source encoding"})
		return
	}
	srcBucket, srcKey := splitPath("/" + strings.TrimPrefix(decoded, "/"))
	if srcBucket == "" || srcKey == "" {
		s.writeError(w, r, &s3Error{http.StatusBadRequest, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"})
		return
	}
	if ok, _ := s.store.BucketExists(bucket); !ok {
		s.writeError(w, r, errNoSuchBucket)
		return
	}
	obj, err := s.store.GetObjectVersion(srcBucket, srcKey, gofakes3.VersionID(srcVersion), nil)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	defer obj.Contents.Close()
	if obj.IsDeleteMarker {
		s.writeError(w, r, &s3Error{http.StatusBadRequest, "InvalidRequest", "The source of a copy request may not specifically refer to a delete marker by version id."})
		return
	}

	directive := strings.ToUpper(r.Header.Get("X-Amz-Metadata-Directive"))
	if directive == "" {
		directive = "COPY"
	}
	if directive != "COPY" && directive != "REPLACE" {
		s.writeError(w, r, &s3Error{http.StatusBadRequest, "InvalidArgument", "Unknown metadata directive."})
		return
	}
	if srcBucket == bucket && srcKey == key && directive == "COPY" && srcVersion == "" {
		s.writeError(w, r, &s3Error{http.StatusBadRequest, "InvalidRequest",
			"This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."})
		return
	}
	now := s.opts.Now().UTC()
	meta := map[string]string{}
	if directive == "COPY" {
		for k, v := range obj.Metadata {
			meta[k] = v
		}
	} else {
		for k, v := range r.Header {
			if strings.HasPrefix(k, "X-Amz-Meta-") || strings.HasPrefix(k, internalPrefix) ||
				k == "Content-Type" || k == "Content-Disposition" || k == "Content-Encoding" {
				meta[k] = v[0]
			}
		}
		for k, v := range obj.Metadata {
			if strings.HasPrefix(k, internalPrefix+"Checksum-") {
				meta[k] = v // same bytes, same checksum
			}
		}
	}
	meta["Last-Modified"] = now.Format(http.TimeFormat)

	// The store records the event before the copy becomes visible; the
	// body is streamed from the source.
	res, err := s.store.PutObject(bucket, key, withOrigin(meta, "ObjectCreated:Copy", r), obj.Contents, obj.Size, nil)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	etag := gofakes3.FormatETag(obj.Hash)
	type copyResult struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		LastModified string   `xml:"LastModified"`
		ETag         string   `xml:"ETag"`
	}
	if obj.VersionID != "" {
		w.Header().Set("X-Amz-Copy-Source-Version-Id", string(obj.VersionID))
	}
	if res.VersionID != "" {
		w.Header().Set("X-Amz-Version-Id", string(res.VersionID))
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(copyResult{LastModified: now.Format("2006-01-02T15:04:05.000Z"), ETag: etag})
}
