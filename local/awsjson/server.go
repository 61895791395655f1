package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"thumbflow/local/sigv4"
)

// Operation answers one API operation: it decodes body, acts, and returns
// the value to encode as the response (nil encodes as {}).
type Operation func(ctx context.Context, body []byte) (any, error)

// Op adapts a typed method to an Operation.
func Op[In, Out any](call func(context.Context, In) (Out, error)) Operation {
	return func(ctx context.Context, body []byte) (any, error) {
		var in In
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, Errorf("SerializationException", "malformed request body: %v", err)
		}
		return call(ctx, in)
	}
}

// Authorizer decides whether the caller of r may perform action
// ("sqs:SendMessage") on resource (an ARN). A non-nil error refuses; the
// service renders it with its own access-denied code.
type Authorizer func(r *http.Request, action, resource string) error

// Server serves one AWS JSON service.
type Server struct {
	// SigningName is the service name of the SigV4 credential scope
	// ("secretsmanager", "sqs", "events").
	SigningName string
	// TargetPrefix is what X-Amz-Target starts with, dot included
	// ("secretsmanager.", "AmazonSQS.", "AWSEvents.").
	TargetPrefix string
	// JSONVersion is "1.0" or "1.1", for the Content-Type.
	JSONVersion string
	// MaxBytes is the service's request size quota.
	MaxBytes int64
	// Verifier checks signatures; nil accepts every request (tests of the
	// operations only).
	Verifier *sigv4.Verifier
	// Authorize, when set, is asked by the operations through Authorize.
	Authorize Authorizer
	// Operations maps operation names to their handlers.
	Operations map[string]Operation
	// ErrorNamespace prefixes "__type" ("com.amazonaws.sqs"); empty sends
	// the bare code.
	ErrorNamespace string
	// InternalErrorCode names a service failure (default InternalFailure).
	InternalErrorCode string
	// TooLargeCode names a request over MaxBytes (default
	// RequestEntityTooLarge).
	TooLargeCode string
}

// Matches reports whether r is addressed to this service, which is how
// one endpoint routes JSON requests: by X-Amz-Target.
func (s *Server) Matches(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), s.TargetPrefix)
}

func (s *Server) contentType() string { return "application/x-amz-json-" + s.JSONVersion }

func (s *Server) tooLarge() *Error {
	code := s.TooLargeCode
	if code == "" {
		code = "RequestEntityTooLarge"
	}
	return &Error{Code: code, Message: "Request must be smaller than " + itoa(s.MaxBytes) + " bytes", Status: http.StatusRequestEntityTooLarge}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

type ctxKey struct{}

type callInfo struct {
	r         *http.Request
	authorize Authorizer
}

// Authorize asks the server's Authorizer, if any, whether the caller of
// the request behind ctx may perform action on resource.
func Authorize(ctx context.Context, action, resource string) error {
	c, _ := ctx.Value(ctxKey{}).(*callInfo)
	if c == nil || c.authorize == nil {
		return nil
	}
	return c.authorize(c.r, action, resource)
}

// WithAuthorizer returns ctx carrying r and authorize, for Authorize; a
// service that decodes another protocol (CloudWatch's CBOR) calls it before
// its operations.
func WithAuthorizer(ctx context.Context, r *http.Request, authorize Authorizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, &callInfo{r: r, authorize: authorize})
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.writeError(w, &Error{Code: "UnknownOperationException", Message: "this service accepts POST requests only", Status: http.StatusMethodNotAllowed})
		return
	}
	// The limit is applied before the verifier hashes the body.
	if s.MaxBytes > 0 {
		if r.ContentLength > s.MaxBytes {
			s.writeError(w, s.tooLarge())
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBytes)
	}
	if s.Verifier != nil {
		if err := s.Verifier.Verify(r, s.SigningName); err != nil {
			if se := sigv4.AsError(err); se != nil && se.Code == "RequestEntityTooLarge" {
				s.writeError(w, s.tooLarge())
				return
			}
			s.writeError(w, AuthError(err))
			return
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, s.tooLarge())
			return
		}
		s.writeError(w, Errorf("SerializationException", "reading request body: %v", err))
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), s.TargetPrefix)
	if !ok {
		s.writeError(w, Errorf("UnknownOperationException", "missing or foreign X-Amz-Target %q", r.Header.Get("X-Amz-Target")))
		return
	}
	handler, ok := s.Operations[op]
	if !ok {
		s.writeError(w, Errorf("UnknownOperationException", "operation %s is not supported by the local %s service", op, s.SigningName))
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	ctx := WithAuthorizer(r.Context(), r, s.Authorize)
	out, err := handler(ctx, body)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		s.writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", s.contentType())
	w.Write(b)
}
