package s3

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"

	"thumbflow/local/sigv4"
)

// maxFormFields bounds the non-file part of a POST form, as S3 limits it to
// 20 KB, so a hostile form cannot exhaust memory before the policy check.
const maxFormFields = 20 << 10

// maxPostObject is S3's 5 GB limit on a POST upload.
const maxPostObject = 5 << 30

// exemptFields need no policy condition: S3 exempts the signature, the file,
// the policy itself and x-ignore-* fields.
func exemptField(name string) bool {
	return name == "x-amz-signature" || name == "file" || name == "policy" || strings.HasPrefix(name, "x-ignore-")
}

// storedFields are the form fields S3 keeps as system metadata; with
// x-amz-meta-* they are the only fields that reach the object.
var storedFields = map[string]string{
	"content-type":        "Content-Type",
	"content-disposition": "Content-Disposition",
	"content-encoding":    "Content-Encoding",
	"cache-control":       internalPrefix + "Cache-Control",
	"content-language":    internalPrefix + "Content-Language",
	"expires":             internalPrefix + "Expires",
}

type policyDoc struct {
	Expiration string            `json:"expiration"`
	Conditions []json.RawMessage `json:"conditions"`
}

// errMalformedPOST answers a body that is not the multipart form S3 expects.
var errMalformedPOST = &s3Error{http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."}

func policyDenied(reason string) *s3Error {
	return &s3Error{http.StatusForbidden, "AccessDenied", "Invalid according to Policy: " + reason}
}

// postObject handles a browser-based upload (HTML form POST), verifying the
// signed policy before a byte of the file is stored.
func (s *Server) postObject(w http.ResponseWriter, r *http.Request, bucket string) {
	if !s.opts.Access.OriginAllowed(r.Header.Get("Origin")) {
		// Browsers submit a form to any origin without asking CORS, so
		// the policy alone would let any page the developer visits
		// upload with a policy it signed itself.
		s.writeError(w, r, errForeignOrigin)
		return
	}
	if ok, _ := s.store.BucketExists(bucket); !ok {
		s.writeError(w, r, errNoSuchBucket)
		return
	}
	fields, file, filename, err := s.readForm(r)
	if err == nil {
		err = s.checkPolicy(r, bucket, fields, filename)
	}
	if err == nil {
		err = unsupportedFields(fields)
	}
	var body *spooled
	if err == nil {
		body, err = s.readFile(bucket, file, fields["\x00max"], fields["\x00min"])
	}
	if err != nil {
		var e *s3Error
		if !errors.As(err, &e) {
			e = errMalformedPOST
		}
		s.writeError(w, r, e)
		return
	}
	key := strings.ReplaceAll(fields["key"], "${filename}", filename)

	meta := map[string]string{"Last-Modified": s.opts.Now().UTC().Format(http.TimeFormat)}
	for name, v := range fields {
		if h, ok := storedFields[name]; ok {
			meta[h] = v
		} else if strings.HasPrefix(name, "x-amz-meta-") {
			meta[http.CanonicalHeaderKey(name)] = v
		}
	}
	if meta["Content-Type"] == "" {
		meta["Content-Type"] = "binary/octet-stream"
	}
	defer body.close()
	// The store records the event before the object becomes visible.
	res, err := s.store.PutObject(bucket, key, withOrigin(meta, "ObjectCreated:Post", r), body.f, body.size, nil)
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	etag := gofakes3.FormatETag(body.md5)

	location := "http://" + r.Host + "/" + bucket + "/" + url.PathEscape(key)
	w.Header().Set("ETag", etag)
	w.Header().Set("Location", location)
	if res.VersionID != "" {
		w.Header().Set("X-Amz-Version-Id", string(res.VersionID))
	}
	if redirect := fields["success_action_redirect"]; redirect != "" {
		if u, err := url.Parse(redirect); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			q := u.Query()
			q.Set("bucket", bucket)
			q.Set("key", key)
			q.Set("etag", etag)
			u.RawQuery = q.Encode()
			w.Header().Set("Location", u.String())
			w.WriteHeader(http.StatusSeeOther)
			return
		}
	}
	switch fields["success_action_status"] {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		type postResponse struct {
			XMLName  xml.Name `xml:"PostResponse"`
			Location string   `xml:"Location"`
			Bucket   string   `xml:"Bucket"`
			Key      string   `xml:"Key"`
			ETag     string   `xml:"ETag"`
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, xml.Header)
		xml.NewEncoder(w).Encode(postResponse{Location: location, Bucket: bucket, Key: key, ETag: etag})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// readForm reads the form up to and including the start of the file part,
// which S3 requires to be the last field. Field names are lower-cased
// because S3 matches them case-insensitively.
func (s *Server) readForm(r *http.Request) (map[string]string, io.Reader, string, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, nil, "", errMalformedPOST
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	fields := map[string]string{}
	total := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, nil, "", &s3Error{http.StatusBadRequest, "InvalidArgument", "POST requires exactly one file upload per request."}
		}
		if err != nil {
			return nil, nil, "", err
		}
		name := strings.ToLower(part.FormName())
		if name == "file" {
			if _, ok := fields["key"]; !ok {
				return nil, nil, "", &s3Error{http.StatusBadRequest, "InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."}
			}
			return fields, part, part.FileName(), nil
		}
		b, err := io.ReadAll(io.LimitReader(part, maxFormFields+1))
		if err != nil {
			return nil, nil, "", err
		}
		total += len(b)
		if total > maxFormFields {
			return nil, nil, "", &s3Error{http.StatusBadRequest, "MaxPostPreDataLengthExceeded", "Your POST request fields preceding the upload file were too large."}
		}
		if _, dup := fields[name]; dup {
			return nil, nil, "", &s3Error{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("Field %q is specified more than once.", name)}
		}
		fields[name] = string(b)
	}
}

// checkPolicy verifies the policy signature, expiry and conditions. The
// content-length-range bounds are returned through fields under NUL-prefixed
// names, which no form field can have.
func (s *Server) checkPolicy(r *http.Request, bucket string, fields map[string]string, filename string) error {
	if fields["policy"] == "" || fields["x-amz-signature"] == "" {
		return &s3Error{http.StatusForbidden, "AccessDenied", "Access Denied"}
	}
	cred, err := s.auth.VerifyPolicy(sigv4.PolicySignature{
		Algorithm:  fields["x-amz-algorithm"],
		Credential: fields["x-amz-credential"],
		Date:       fields["x-amz-date"],
		Policy:     fields["policy"],
		Signature:  fields["x-amz-signature"],
	})
	if err != nil {
		return fromSigV4(err)
	}
	// The form acts with its signer's permissions, as S3 checks them.
	key := strings.ReplaceAll(fields["key"], "${filename}", filename)
	if e := s.authorizeAs(r, cred.AccessKeyID, "s3:PutObject", "arn:aws:s3:::"+bucket+"/"+key, nil); e != nil {
		return e
	}
	raw, err := base64.StdEncoding.DecodeString(fields["policy"])
	if err != nil {
		return &s3Error{http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid 'Policy' encoding."}
	}
	var doc policyDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return &s3Error{http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON."}
	}
	exp, err := time.Parse(time.RFC3339, doc.Expiration)
	if err != nil {
		return &s3Error{http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value: '" + doc.Expiration + "'"}
	}
	if !s.opts.Now().Before(exp) {
		return policyDenied("Policy expired.")
	}

	values := func(name string) string {
		switch name {
		case "bucket":
			return bucket
		case "key":
			return strings.ReplaceAll(fields["key"], "${filename}", filename)
		}
		return fields[name]
	}
	covered := map[string]bool{}
	minSize, maxSize := int64(0), int64(maxPostObject)
	for _, c := range doc.Conditions {
		var obj map[string]any
		if json.Unmarshal(c, &obj) == nil {
			if len(obj) != 1 {
				return &s3Error{http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."}
			}
			for k, v := range obj {
				name := strings.ToLower(k)
				want, ok := v.(string)
				if !ok {
					return &s3Error{http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid Simple-Condition: value must be a string."}
				}
				covered[name] = true
				if values(name) != want {
					return policyDenied(fmt.Sprintf("Policy Condition failed: [\"eq\", \"$%s\", %q]", k, want))
				}
			}
			continue
		}
		var arr []any
		if err := json.Unmarshal(c, &arr); err != nil || len(arr) != 3 {
			return &s3Error{http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition: " + string(c)}
		}
		op, _ := arr[0].(string)
		switch strings.ToLower(op) {
		case "content-length-range":
			lo, ok1 := arr[1].(float64)
			hi, ok2 := arr[2].(float64)
			if !ok1 || !ok2 || lo < 0 || hi < lo {
				return &s3Error{http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid content-length-range: " + string(c)}
			}
			minSize, maxSize = max(minSize, int64(lo)), min(maxSize, int64(hi))
		case "eq", "starts-with":
			field, ok1 := arr[1].(string)
			want, ok2 := arr[2].(string)
			if !ok1 || !ok2 || !strings.HasPrefix(field, "$") {
				return &s3Error{http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition: " + string(c)}
			}
			name := strings.ToLower(field[1:])
			covered[name] = true
			got := values(name)
			var pass bool
			if strings.EqualFold(op, "eq") {
				pass = got == want
			} else {
				pass = strings.HasPrefix(got, want)
			}
			if !pass {
				return policyDenied(fmt.Sprintf("Policy Condition failed: [%q, %q, %q]", op, field, want))
			}
		default:
			return &s3Error{http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition: unknown operator " + strconv.Quote(op)}
		}
	}
	var extra []string
	for name := range fields {
		if !exemptField(name) && !covered[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		return policyDenied("Extra input fields: " + strings.Join(extra, ", "))
	}
	fields["\x00min"] = strconv.FormatInt(minSize, 10)
	fields["\x00max"] = strconv.FormatInt(maxSize, 10)
	return nil
}

// readFile spools the file part to a temporary file (the bucket's
// directory, or the system's without a data directory), reading no further
// than one byte past the policy's maximum, so an oversized upload is
// refused without being stored and a body is never held in memory whole.
func (s *Server) readFile(bucket string, file io.Reader, maxStr, minStr string) (*spooled, error) {
	maxSize, _ := strconv.ParseInt(maxStr, 10, 64)
	minSize, _ := strconv.ParseInt(minStr, 10, 64)
	dir := ""
	if s.store.dir != "" {
		dir = s.store.bucketDir(bucket)
	}
	sp, err := spoolUpTo(dir, file, maxSize)
	if err != nil {
		return nil, err
	}
	switch {
	case sp.size > maxSize:
		err = &s3Error{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"}
	case sp.size < minSize:
		err = &s3Error{http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"}
	}
	if err != nil {
		sp.close()
		return nil, err
	}
	return sp, nil
}

// unsupportedFields refuses form fields whose effect the local S3 cannot
// reproduce, rather than storing the object without it.
func unsupportedFields(fields map[string]string) error {
	for name, v := range fields {
		switch {
		case name == "tagging", name == "x-amz-website-redirect-location",
			strings.HasPrefix(name, "x-amz-server-side-encryption-customer-"),
			strings.HasPrefix(name, "x-amz-object-lock-"),
			name == "x-amz-server-side-encryption" && v != "AES256",
			name == "x-amz-storage-class" && v != "STANDARD":
			return &s3Error{http.StatusNotImplemented, "NotImplemented",
				"A form field you provided implies functionality that is not implemented by the local S3: " + name}
		case name == "acl" && v != "private" && v != "bucket-owner-full-control":
			return &s3Error{http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs"}
		}
	}
	return nil
}
