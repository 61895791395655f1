package sfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"thumbflow/local/awsjson"
	"thumbflow/local/sigv4"
)

// Error is a Step Functions API error, rendered as AWS JSON 1.0 renders it so
// that SDKs map it to their typed errors (for example
// *types.ExecutionDoesNotExist): the error of the JSON services.
type Error = awsjson.Error

func apiErr(code, format string, args ...any) *Error {
	return awsjson.Errorf(code, format, args...)
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
		return awsjson.AuthError(err)
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
	return awsjson.Internal("ServiceException", err)
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
