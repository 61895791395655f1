package awsjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"thumbflow/local/sigv4"
)

// Error is an API error as the JSON protocols render it: Code becomes the
// body's "__type" (prefixed by the server's ErrorNamespace, as SQS does)
// and the X-Amzn-ErrorType header. QueryError, when set, is sent as
// x-amzn-query-error, the header SQS adds so that clients of its older
// query protocol keep their error codes.
type Error struct {
	Code, Message string
	Status        int
	QueryError    string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns a client error (400) with that code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// NotFound returns a 400 error with that code: AWS's JSON services answer
// a missing resource with 400, not 404.
func NotFound(code, format string, args ...any) *Error { return Errorf(code, format, args...) }

// Internal reports a failure of the service itself, such as a write to the
// data directory, as a 500 with the service's internal error code.
func Internal(code string, err error) *Error {
	return &Error{Code: code, Message: err.Error(), Status: http.StatusInternalServerError}
}

// AuthError renders a verifier's failure as the JSON services name it: the
// verifier speaks S3's dialect.
func AuthError(err error) *Error {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return &Error{Code: "InvalidSignatureException", Message: err.Error(), Status: http.StatusBadRequest}
	}
	switch se.Code {
	case "SignatureDoesNotMatch", "RequestTimeTooSkewed", "AuthorizationHeaderMalformed":
		return &Error{Code: "InvalidSignatureException", Message: se.Message, Status: http.StatusBadRequest}
	case "InvalidAccessKeyId":
		return &Error{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Status: http.StatusBadRequest}
	}
	return &Error{Code: se.Code, Message: se.Message, Status: se.Status}
}

// writeError renders err; anything but an *Error is the service's own
// failure.
func (s *Server) writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		code := s.InternalErrorCode
		if code == "" {
			code = "InternalFailure"
		}
		e = Internal(code, err)
	}
	typ := e.Code
	if s.ErrorNamespace != "" {
		typ = s.ErrorNamespace + "#" + e.Code
	}
	w.Header().Set("Content-Type", s.contentType())
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	if e.QueryError != "" {
		w.Header().Set("X-Amzn-Query-Error", e.QueryError)
	}
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": e.Message})
}
