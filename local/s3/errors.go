package s3

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/johannesboyne/gofakes3"

	"thumbflow/local/sigv4"
)

// s3Error is a failure the local S3 answers with: the HTTP status, and the
// code and message of S3's XML <Error> body. Every refusal in this package
// is one, so a client sees exactly the error S3 would send.
type s3Error struct {
	status        int
	code, message string
}

func (e *s3Error) Error() string { return e.code + ": " + e.message }

// The errors several handlers answer with.
var (
	errInternal     = &s3Error{http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."}
	errNoSuchBucket = &s3Error{http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist"}
	// The refusals of Options.Access.
	errForeignHost = &s3Error{http.StatusForbidden, "AccessDenied",
		"Access Denied: the local cloud serves only loopback hosts (127.0.0.1, [::1], localhost); thumbflow dev -public serves others"}
	errForeignOrigin = &s3Error{http.StatusForbidden, "AccessDenied",
		"Access Denied: the local cloud accepts browser uploads only from its own web client"}
)

// fromSigV4 translates a sigv4 verification failure into the S3 error with
// the same status, code and message. sigv4 is shared with the JSON services,
// so its errors carry no body format; any other error is returned unchanged.
func fromSigV4(err error) error {
	var e *sigv4.Error
	if errors.As(err, &e) {
		return &s3Error{e.Status, e.Code, e.Message}
	}
	return err
}

// asS3Error returns the S3 error err carries, or an InternalError that
// reports err, so no failure goes unanswered.
func asS3Error(err error) *s3Error {
	var e *s3Error
	if errors.As(err, &e) {
		return e
	}
	return &s3Error{http.StatusInternalServerError, "InternalError", err.Error()}
}

// errorBody is S3's XML error body.
type errorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
}

// writeError renders e as S3 does: an XML <Error> body naming the resource
// and a request id that is also sent as X-Amz-Request-Id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *s3Error) {
	id := fmt.Sprintf("%016X", s.reqID.Add(1))
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", id)
	w.Header().Del("Content-Length")
	w.WriteHeader(e.status)
	if r.Method == http.MethodHead {
		return // HEAD responses carry no body, as on S3
	}
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(errorBody{Code: e.code, Message: e.message, Resource: r.URL.Path, RequestID: id})
}

// writeBackendError renders a gofakes3 error with its S3 code and status.
func (s *Server) writeBackendError(w http.ResponseWriter, r *http.Request, err error) {
	var e gofakes3.Error
	if errors.As(err, &e) {
		code := e.ErrorCode()
		s.writeError(w, r, &s3Error{code.Status(), string(code), code.Message()})
		return
	}
	s.log.Error("local s3 backend", "path", r.URL.Path, "error", err)
	s.writeError(w, r, errInternal)
}
