// Package sigv4 verifies AWS Signature Version 4 on requests that reach the
// local cloud, so that a forged, tampered or expired request fails on the
// laptop exactly as it would fail on AWS.
//
// It provides a Verifier (header-signed and presigned requests, payload
// hashes and aws-chunked bodies, which it replaces by the verified payload;
// and the signature of an S3 POST policy), SignPolicy for the signing side
// of a POST policy, and an Error carrying the AWS code and HTTP status,
// which each service renders in its own body format. ReadAllSized and
// ReadAllLimit read bodies into memory with the limits the services share.
//
// Signatures are recomputed with aws-sdk-go-v2's own signer wherever the
// signer can be reused (header-signed and presigned requests), so the local
// cloud and the SDK can never disagree on canonicalisation. Only the parts
// the SDK does not implement on the verifying side are written by hand: the
// aws-chunked chunk and trailer signatures and the POST policy signature.
package sigv4

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// Payload hash values that S3 accepts in place of a hex SHA-256.
const (
	UnsignedPayload          = "UNSIGNED-PAYLOAD"
	StreamingPayload         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingPayloadTrailer  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

	algorithm   = "AWS4-HMAC-SHA256"
	timeFormat  = "20060102T150405Z"
	dateFormat  = "20060102"
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

	// maxSkew is how far a header-signed request's clock may drift, as on AWS.
	maxSkew = 15 * time.Minute
	// maxExpires is the longest validity AWS accepts for a presigned URL.
	maxExpires = 7 * 24 * time.Hour
)

// Error is a verification failure carrying the AWS error code and HTTP
// status. It is a plain value because each service renders errors in its own
// body format (XML for S3, JSON for Step Functions and API Gateway).
type Error struct {
	Status  int
	Code    string
	Message string
	// HeadersNotSigned names the x-amz-* headers a presigned request
	// carried unsigned, which S3 lists in <HeadersNotSigned>.
	HeadersNotSigned []string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Verifier checks requests against a fixed set of credentials, the way one
// AWS account would. The zero Now means time.Now.
type Verifier struct {
	// Credentials maps access key IDs to their secret access keys.
	Credentials map[string]string
	// Region is the only region the credential scope may name.
	Region string
	// Now is the clock used for expiry and skew checks; tests replace it.
	Now func() time.Time
}

// NewVerifier returns a Verifier for a single key pair, the common case for
// `thumbflow dev`.
func NewVerifier(accessKeyID, secret, region string) *Verifier {
	return &Verifier{Credentials: map[string]string{accessKeyID: secret}, Region: region}
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Credential is the parsed "Credential=" value of a signature.
type Credential struct {
	AccessKeyID string
	Date        string // yyyymmdd
	Region      string
	Service     string
}

// Scope returns the credential scope string "date/region/service/aws4_request".
func (c Credential) Scope() string {
	return c.Date + "/" + c.Region + "/" + c.Service + "/aws4_request"
}

// ParseCredential splits "AKID/20130524/us-east-1/s3/aws4_request".
func ParseCredential(s string) (Credential, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return Credential{}, fmt.Errorf("credential %q is not of the form <key>/<date>/<region>/<service>/aws4_request", s)
	}
	return Credential{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}

// signature describes what the client claims to have signed.
type signature struct {
	cred          Credential
	signedHeaders []string
	sig           string
	date          time.Time
	amzDate       string
	presigned     bool
	expires       time.Duration
}

// Verify checks the SigV4 signature of r for the named service ("s3",
// "states", "execute-api"). It accepts header-signed requests and presigned
// query strings. On success r.Body holds the verified payload: aws-chunked
// bodies are decoded, their trailers (such as x-amz-checksum-crc32) are moved
// into r.Header, and r.ContentLength is the decoded length. The returned
// error is always an *Error.
func (v *Verifier) Verify(r *http.Request, service string) error {
	sig, err := v.parse(r, service)
	if err != nil {
		return err
	}
	secret, err := v.checkScope(sig, service)
	if err != nil {
		return err
	}
	if err := v.checkTime(sig); err != nil {
		return err
	}
	if sig.presigned {
		if err := checkHeadersSigned(r, sig); err != nil {
			return err
		}
	}

	// The signature is checked over the payload hash the client claims
	// (that is what SigV4 signs) before a byte of the body is read, so an
	// unauthenticated client cannot make the server buffer its payload.
	// Only a request that names no hash (the JSON services' SDKs send
	// none) has to be hashed first; its read is bounded by the caller's
	// limit and by MaxS3Payload or MaxJSONPayload.
	payloadHash, err := v.claimedHash(r, sig, service)
	if err != nil {
		return err
	}
	hashChecked := false
	if payloadHash == "" {
		body, err := readBody(r, service)
		if err != nil {
			return err
		}
		payloadHash = sha256Hex(body)
		hashChecked = true
	}
	want, err := v.recompute(r, sig, secret, payloadHash, service)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig.sig)) != 1 {
		return newError(http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}

	switch payloadHash {
	case UnsignedPayload:
		return nil
	case StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedTrailer:
		return decodeChunked(r, sig, signingKey(secret, sig.cred), payloadHash)
	}
	if !hashChecked {
		body, err := readBody(r, service)
		if err != nil {
			return err
		}
		if !strings.EqualFold(payloadHash, sha256Hex(body)) {
			return newError(http.StatusBadRequest, "XAmzContentSHA256Mismatch",
				"The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	}
	return nil
}

func (v *Verifier) parse(r *http.Request, service string) (*signature, error) {
	malformed := "AuthorizationHeaderMalformed"
	if service != "s3" {
		malformed = "IncompleteSignature"
	}
	q := r.URL.Query()
	auth := r.Header.Get("Authorization")
	switch {
	case q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential"):
		if auth != "" {
			return nil, newError(http.StatusBadRequest, "InvalidArgument",
				"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified")
		}
		return parsePresigned(q, service)
	case auth == "":
		if service == "s3" {
			return nil, newError(http.StatusForbidden, "AccessDenied", "Access Denied")
		}
		return nil, newError(http.StatusForbidden, "MissingAuthenticationToken", "Missing Authentication Token")
	}

	rest, ok := strings.CutPrefix(auth, algorithm+" ")
	if !ok {
		return nil, newError(http.StatusBadRequest, malformed,
			"The authorization header is malformed; only %s is supported", algorithm)
	}
	sig := &signature{}
	var credStr, headersStr string
	for _, field := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Credential":
			credStr = val
		case "SignedHeaders":
			headersStr = val
		case "Signature":
			sig.sig = val
		}
	}
	if credStr == "" || headersStr == "" || sig.sig == "" {
		return nil, newError(http.StatusBadRequest, malformed,
			"The authorization header is malformed; it must contain Credential, SignedHeaders and Signature")
	}
	cred, err := ParseCredential(credStr)
	if err != nil {
		return nil, newError(http.StatusBadRequest, malformed, "The authorization header is malformed; %v", err)
	}
	sig.cred = cred
	sig.signedHeaders = strings.Split(headersStr, ";")

	sig.amzDate = r.Header.Get("X-Amz-Date")
	if sig.amzDate == "" {
		return nil, newError(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	sig.date, err = time.Parse(timeFormat, sig.amzDate)
	if err != nil {
		return nil, newError(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	return sig, nil
}

func parsePresigned(q url.Values, service string) (*signature, error) {
	bad := func(format string, args ...any) *Error {
		code := "AuthorizationQueryParametersError"
		if service != "s3" {
			code = "IncompleteSignature"
		}
		return newError(http.StatusBadRequest, code, format, args...)
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != algorithm {
		return nil, bad("X-Amz-Algorithm only supports %q", algorithm)
	}
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if q.Get(k) == "" {
			return nil, bad("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	cred, err := ParseCredential(q.Get("X-Amz-Credential"))
	if err != nil {
		return nil, bad("Error parsing the X-Amz-Credential parameter; %v", err)
	}
	sig := &signature{
		cred:          cred,
		signedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";"),
		sig:           q.Get("X-Amz-Signature"),
		amzDate:       q.Get("X-Amz-Date"),
		presigned:     true,
	}
	sig.date, err = time.Parse(timeFormat, sig.amzDate)
	if err != nil {
		return nil, bad("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	if e := q.Get("X-Amz-Expires"); e != "" {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil || n < 0 {
			return nil, bad("X-Amz-Expires should be a number")
		}
		sig.expires = time.Duration(n) * time.Second
		if sig.expires > maxExpires {
			return nil, bad("X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
	} else if service == "s3" {
		return nil, bad("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	} else {
		sig.expires = maxSkew
	}
	return sig, nil
}

// checkScope resolves the secret and rejects scopes this endpoint cannot
// have issued.
func (v *Verifier) checkScope(sig *signature, service string) (string, error) {
	secret, ok := v.Credentials[sig.cred.AccessKeyID]
	if !ok {
		return "", newError(http.StatusForbidden, "InvalidAccessKeyId",
			"The AWS Access Key Id you provided does not exist in our records.")
	}
	if sig.cred.Region != v.Region {
		if service == "s3" {
			code := "AuthorizationHeaderMalformed"
			if sig.presigned {
				code = "AuthorizationQueryParametersError"
			}
			return "", newError(http.StatusBadRequest, code,
				"The authorization header is malformed; the region '%s' is wrong; expecting '%s'", sig.cred.Region, v.Region)
		}
		return "", newError(http.StatusForbidden, "SignatureDoesNotMatch",
			"Credential should be scoped to a valid region, not '%s'.", sig.cred.Region)
	}
	if sig.cred.Service != service {
		return "", newError(http.StatusForbidden, "SignatureDoesNotMatch",
			"Credential should be scoped to correct service: '%s'.", service)
	}
	if sig.cred.Date != sig.date.Format(dateFormat) {
		return "", newError(http.StatusForbidden, "SignatureDoesNotMatch",
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s'",
			sig.cred.Date, sig.date.Format(dateFormat))
	}
	return secret, nil
}

func (v *Verifier) checkTime(sig *signature) error {
	now := v.now()
	if sig.presigned {
		if sig.date.After(now.Add(maxSkew)) {
			return newError(http.StatusForbidden, "AccessDenied", "Request is not yet valid")
		}
		if now.After(sig.date.Add(sig.expires)) {
			return newError(http.StatusForbidden, "AccessDenied", "Request has expired")
		}
		return nil
	}
	if d := now.Sub(sig.date); d > maxSkew || d < -maxSkew {
		return newError(http.StatusForbidden, "RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.")
	}
	return nil
}

// checkHeadersSigned refuses a presigned request carrying x-amz-* headers
// its signature does not cover, as S3 does: they change what the request
// does (x-amz-acl, x-amz-checksum-mode, x-amz-server-side-encryption…), and
// whoever presigned the URL did not agree to them. S3 answers 403
// AccessDenied "There were headers present in the request which were not
// signed" with the headers in <HeadersNotSigned>, as reported in
// github.com/soto-project/soto/issues/374 (x-amz-acl on a presigned URL)
// and github.com/aws/aws-sdk-js/issues/896 (several headers, listed ", "
// apart). x-amz-content-sha256 is no exception: S3 names it too
// (github.com/bradleyg/django-s3direct/issues/249). The names are added to
// the message here as well, because the local S3's error body has no
// <HeadersNotSigned> element.
func checkHeadersSigned(r *http.Request, sig *signature) error {
	signed := make(map[string]bool, len(sig.signedHeaders))
	for _, h := range sig.signedHeaders {
		signed[strings.ToLower(h)] = true
	}
	var unsigned []string
	for name := range r.Header {
		if n := strings.ToLower(name); strings.HasPrefix(n, "x-amz-") && !signed[n] {
			unsigned = append(unsigned, n)
		}
	}
	if len(unsigned) == 0 {
		return nil
	}
	slices.Sort(unsigned)
	e := newError(http.StatusForbidden, "AccessDenied", "There were headers present in the request which were not signed: %s", strings.Join(unsigned, ", "))
	e.HeadersNotSigned = unsigned
	return e
}

// claimedHash returns the payload hash the client claims to have signed:
// a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING value, or "" when the
// request names none and the hash must be computed from the body.
func (v *Verifier) claimedHash(r *http.Request, sig *signature, service string) (string, error) {
	claimed := r.Header.Get("X-Amz-Content-Sha256")
	if sig.presigned {
		if c := r.URL.Query().Get("X-Amz-Content-Sha256"); c != "" {
			claimed = c
		}
		if claimed == "" && service == "s3" {
			return UnsignedPayload, nil
		}
	}
	switch claimed {
	case UnsignedPayload, StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedTrailer:
		if service != "s3" {
			return "", newError(http.StatusBadRequest, "InvalidRequest", "%s is only supported by S3", claimed)
		}
		return claimed, nil
	case "":
		if service == "s3" && !sig.presigned {
			return "", newError(http.StatusBadRequest, "InvalidRequest",
				"Missing required header for this request: x-amz-content-sha256")
		}
		return "", nil
	}
	if _, err := hex.DecodeString(claimed); err != nil || len(claimed) != sha256.Size*2 {
		return "", newError(http.StatusBadRequest, "InvalidArgument",
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING value or a valid sha256 value.")
	}
	return claimed, nil
}

const (
	// MaxS3Payload is the largest hashed S3 payload Verify reads: S3's
	// limit for a single PUT.
	MaxS3Payload = 5 << 30
	// MaxJSONPayload is the largest payload Verify reads for the JSON
	// services (Step Functions, API Gateway), whose own limits are lower.
	MaxJSONPayload = 10 << 20
	// maxPrealloc bounds what a client's Content-Length may make the
	// reader allocate up front; larger bodies grow the buffer as they
	// actually arrive.
	maxPrealloc = 1 << 20
)

// s3PayloadLimit is MaxS3Payload; tests lower it to show a limit applied
// without sending gigabytes.
var s3PayloadLimit int64 = MaxS3Payload

// payloadLimit is the largest payload Verify reads for service, plain or
// aws-chunked.
func payloadLimit(service string) int64 {
	if service == "s3" {
		return s3PayloadLimit
	}
	return MaxJSONPayload
}

// tooLarge is the error for a payload over the limit, in the dialect of
// the service.
func tooLarge(service string, limit int64) *Error {
	if service == "s3" {
		return newError(http.StatusBadRequest, "EntityTooLarge",
			"Your proposed upload exceeds the maximum allowed size")
	}
	if limit > 0 {
		return newError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Request must be smaller than %d bytes", limit)
	}
	return newError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request entity too large")
}

// readBody reads the (already authenticated, or bounded) payload into
// memory so the handler only ever sees verified bytes. It reads at most
// the service's maximum; a caller with a lower limit wraps r.Body in
// http.MaxBytesReader, whose error is reported as the same failure.
func readBody(r *http.Request, service string) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		r.Body = http.NoBody
		return nil, nil
	}
	limit := payloadLimit(service)
	if r.ContentLength > limit {
		return nil, tooLarge(service, limit)
	}
	body, err := ReadAllLimit(r.Body, r.ContentLength, limit)
	r.Body.Close()
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return nil, tooLarge(service, mbe.Limit)
		case errors.Is(err, ErrTooLarge):
			return nil, tooLarge(service, limit)
		}
		return nil, newError(http.StatusBadRequest, "IncompleteBody", "reading request body: %v", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// ErrTooLarge is returned by ReadAllLimit for a stream over its limit.
var ErrTooLarge = errors.New("payload exceeds the size limit")

// ReadAllLimit reads r to the end, failing with ErrTooLarge past limit
// bytes. The buffer starts at the expected size, but never above 1 MiB
// whatever the size claims, and grows only as bytes arrive.
func ReadAllLimit(r io.Reader, size, limit int64) ([]byte, error) {
	initial := min(max(size, 0)+1, maxPrealloc, limit+1)
	buf := bytes.NewBuffer(make([]byte, 0, initial))
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, ErrTooLarge
	}
	return buf.Bytes(), nil
}

// ReadAllSized is io.ReadAll that allocates once when the size is known,
// since request bodies here are whole images held in memory. Use it only
// on authenticated requests: the size comes from the client.
func ReadAllSized(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > 1<<30 {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// recompute signs a copy of r that carries only the headers the client
// claims to have signed, using the SDK signer with the client's own time.
func (v *Verifier) recompute(r *http.Request, sig *signature, secret, payloadHash, service string) (string, error) {
	u := *r.URL
	if service == "s3" {
		// S3 signs the path URI-encoded exactly once, byte by byte, as the SDK
		// serialises object keys. Re-encoding the decoded path accepts any
		// client that percent-encoded the same key, whatever it left bare.
		u.RawPath = httpbinding.EscapePath(u.Path, false)
	}
	q := u.Query()
	q.Del("X-Amz-Signature")
	if sig.presigned {
		// PresignHTTP sets these itself from its arguments.
		q.Del("X-Amz-Algorithm")
		q.Del("X-Amz-Credential")
		q.Del("X-Amz-Date")
		q.Del("X-Amz-SignedHeaders")
	}
	u.RawQuery = q.Encode()
	u.Host = r.Host
	u.Scheme = "http"

	c := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	for _, h := range sig.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			c.ContentLength = r.ContentLength
			if c.ContentLength <= 0 {
				// The signer only signs content-length when positive.
				n, _ := strconv.ParseInt(r.Header.Get("Content-Length"), 10, 64)
				c.ContentLength = n
			}
		default:
			vals, ok := r.Header[http.CanonicalHeaderKey(h)]
			if !ok {
				return "", newError(http.StatusForbidden, "SignatureDoesNotMatch",
					"The request signature we calculated does not match the signature you provided: signed header %q is missing.", h)
			}
			c.Header[http.CanonicalHeaderKey(h)] = vals
		}
	}
	if !sig.presigned {
		c.Header.Del("X-Amz-Date") // SignHTTP sets it from signingTime.
	}

	creds := aws.Credentials{AccessKeyID: sig.cred.AccessKeyID, SecretAccessKey: secret}
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = service == "s3"
		// Headers arriving on a presigned request were signed as headers.
		o.DisableHeaderHoisting = true
		// A session token is whatever the client sent; never add one.
		o.DisableSessionToken = true
	})
	ctx := context.Background()
	if sig.presigned {
		signed, _, err := signer.PresignHTTP(ctx, creds, c, payloadHash, service, sig.cred.Region, sig.date)
		if err != nil {
			return "", newError(http.StatusInternalServerError, "InternalError", "presigning: %v", err)
		}
		su, err := url.Parse(signed)
		if err != nil {
			return "", newError(http.StatusInternalServerError, "InternalError", "parsing presigned URL: %v", err)
		}
		return su.Query().Get("X-Amz-Signature"), nil
	}
	if err := signer.SignHTTP(ctx, creds, c, payloadHash, service, sig.cred.Region, sig.date); err != nil {
		return "", newError(http.StatusInternalServerError, "InternalError", "signing: %v", err)
	}
	_, got, _ := strings.Cut(c.Header.Get("Authorization"), "Signature=")
	return got, nil
}

// signingKey derives the SigV4 signing key. The SDK keeps its derivation
// internal, and the chunk, trailer and POST policy signatures need the key
// itself, so it is rebuilt here from the published HMAC chain.
func signingKey(secret string, c Credential) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), c.Date)
	k = hmacSHA256(k, c.Region)
	k = hmacSHA256(k, c.Service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// AsError converts err to an *Error, wrapping unknown errors as 500
// InternalError so callers can always render an AWS-shaped response.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Code: "InternalError", Message: err.Error()}
}
