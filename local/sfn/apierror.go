package sfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"thumbflow/local/sigv4"
)

// Error is a Step Functions API error, rendered as AWS JSON 1.0 renders it so
// that SDKs map it to their typed errors (for example
// *types.ExecutionDoesNotExist).
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func apiErr(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// maxRequestBytes is Step Functions' quota on the size of one API request.
const maxRequestBytes = 1 << 20

func tooLargeErr() *Error {
	return &Error{Code: "RequestEntityTooLarge", Message: fmt.Sprintf("Request must be smaller than %d bytes", maxRequestBytes), Status: http.StatusRequestEntityTooLarge}
}

// authErr renders a verifier's failure with the code it names, if any.
func authErr(err error) *Error {
	var se *sigv4.Error
	if errors.As(err, &se) {
		// The verifier speaks S3's dialect; JSON services name the same
		// failures differently.
		switch se.Code {
		case "SignatureDoesNotMatch", "RequestTimeTooSkewed", "AuthorizationHeaderMalformed":
			return &Error{Code: "InvalidSignatureException", Message: se.Message, Status: http.StatusBadRequest}
		case "InvalidAccessKeyId":
			return &Error{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Status: http.StatusBadRequest}
		}
		return &Error{Code: se.Code, Message: se.Message, Status: se.Status}
	}
	e := &Error{Code: "InvalidSignatureException", Message: err.Error(), Status: http.StatusBadRequest}
	if c, ok := err.(interface{ ErrorCode() string }); ok && c.ErrorCode() != "" {
		e.Code = c.ErrorCode()
	}
	if c, ok := err.(interface{ HTTPStatusCode() int }); ok && c.HTTPStatusCode() != 0 {
		e.Status = c.HTTPStatusCode()
	}
	return e
}

// serviceErr reports a failure of the service itself, such as a write to
// the data directory, as the API's ServiceException.
func serviceErr(err error) *Error {
	return &Error{Code: "ServiceException", Message: err.Error(), Status: http.StatusInternalServerError}
}

func writeErr(w http.ResponseWriter, err error) {
	e, ok := err.(*Error)
	if !ok {
		e = serviceErr(err)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}
