// Package cloudwatch is the local Amazon CloudWatch: metrics (from
// PutMetricData, from the embedded metric format the functions log, from
// the local Step Functions and SQS), the template's alarms evaluated on
// them with CloudWatch's rules (Period, EvaluationPeriods,
// DatapointsToAlarm, Statistic, ComparisonOperator, TreatMissingData), and
// the API the SDK and the aws CLI call, which speak Smithy RPC v2 CBOR (the
// JSON protocol is served too). Alarm actions call back into Go (SNS).
package cloudwatch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"thumbflow/local/awsjson"
	"thumbflow/local/sigv4"
)

// SigningName is the service of CloudWatch's credential scope; Service
// the Smithy service name of its RPC v2 paths and JSON targets.
const (
	SigningName  = "monitoring"
	ServiceName  = "GraniteServiceVersion20100801"
	TargetPrefix = ServiceName + "."
	// PathPrefix is where RPC v2 CBOR requests go:
	// /service/GraniteServiceVersion20100801/operation/<Operation>.
	PathPrefix = "/service/" + ServiceName + "/operation/"
)

// maxRequestBytes is PutMetricData's 1 MB request limit.
const maxRequestBytes = 1 << 20

// EvaluationInterval is how often CloudWatch evaluates alarms: every
// minute.
const EvaluationInterval = time.Minute

// Action is an alarm action: the alarm changed state and names actionARN
// (an SNS topic) for it; subject and message are what CloudWatch
// publishes to SNS.
type Action func(ctx context.Context, alarmARN, actionARN, subject, message string) error

// Options configure the service.
type Options struct {
	Verifier  *sigv4.Verifier
	Authorize awsjson.Authorizer
	// Region and AccountID form alarm ARNs and alarm messages.
	Region, AccountID string
	Logger            *slog.Logger
	// Now is the clock of datapoints and evaluations; nil is the wall
	// clock. Tests step it and call Evaluate.
	Now func() time.Time
	// Action runs alarm actions; nil logs them only.
	Action Action
	// Retention bounds how long datapoints are kept in memory (default
	// 24 h); alarms look back at most EvaluationPeriods × Period.
	Retention time.Duration
}

// Service is the local CloudWatch.
type Service struct {
	opts Options
	log  *slog.Logger
	json *awsjson.Server

	mu     sync.Mutex
	series map[string]*series
	alarms map[string]*alarm // by name
	gauges []gauge
}

// New returns the service.
func New(opts Options) *Service {
	awsjson.Defaults(&opts.Logger, &opts.Now, &opts.Region, &opts.AccountID)
	if opts.Retention == 0 {
		opts.Retention = 24 * time.Hour
	}
	s := &Service{opts: opts, log: opts.Logger.With("component", "cloudwatch"), series: map[string]*series{}, alarms: map[string]*alarm{}}
	s.json = &awsjson.Server{
		SigningName: SigningName, TargetPrefix: TargetPrefix, JSONVersion: "1.0", MaxBytes: maxRequestBytes,
		Verifier: opts.Verifier, Authorize: opts.Authorize, Operations: s.operations(),
		InternalErrorCode: "InternalServiceFault",
	}
	return s
}

// Matches reports whether r is a CloudWatch request: an RPC v2 path, or a
// JSON X-Amz-Target.
func (s *Service) Matches(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, PathPrefix) || s.json.Matches(r)
}

// ServeHTTP answers both protocols.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, PathPrefix) {
		s.json.ServeHTTP(w, r)
		return
	}
	op := strings.TrimPrefix(r.URL.Path, PathPrefix)
	if r.Method != http.MethodPost {
		writeCBORError(w, &awsjson.Error{Code: "UnknownOperationException", Message: "CloudWatch accepts POST requests only", Status: http.StatusMethodNotAllowed})
		return
	}
	if r.ContentLength > maxRequestBytes {
		writeCBORError(w, &awsjson.Error{Code: "RequestEntityTooLarge", Message: "Request must be smaller than 1048576 bytes", Status: http.StatusRequestEntityTooLarge})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if s.opts.Verifier != nil {
		if err := s.opts.Verifier.Verify(r, SigningName); err != nil {
			writeCBORError(w, awsjson.AuthError(err))
			return
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeCBORError(w, awsjson.Errorf("SerializationException", "reading request body: %v", err))
		return
	}
	if strings.Contains(r.Header.Get("Content-Encoding"), "gzip") {
		// PutMetricData's payload is compressed by the SDKs (Smithy's
		// requestCompression); the signature covers the compressed bytes.
		if body, err = gunzip(body); err != nil {
			writeCBORError(w, awsjson.Errorf("SerializationException", "%v", err))
			return
		}
	}
	handler, ok := s.operations()[op]
	if !ok {
		writeCBORError(w, awsjson.Errorf("UnknownOperationException", "operation %s is not supported by the local CloudWatch", op))
		return
	}
	in, err := cborToJSON(body)
	if err != nil {
		writeCBORError(w, awsjson.Errorf("SerializationException", "%v", err))
		return
	}
	ctx := awsjson.WithAuthorizer(r.Context(), r, s.opts.Authorize)
	out, err := handler(ctx, in)
	if err != nil {
		writeCBORError(w, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	b, err := json.Marshal(out)
	if err == nil {
		b, err = jsonToCBOR(b)
	}
	if err != nil {
		writeCBORError(w, err)
		return
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Write(b)
}

// writeCBORError renders err as RPC v2 CBOR does, with the query error
// header CloudWatch's query-compatible clients read.
func writeCBORError(w http.ResponseWriter, err error) {
	var e *awsjson.Error
	if !errors.As(err, &e) {
		e = awsjson.Internal("InternalServiceFault", err)
	}
	b, _ := jsonToCBOR(mustJSON(map[string]string{"__type": "com.amazonaws.cloudwatch#" + e.Code, "message": e.Message}))
	fault := "Sender"
	if e.Status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("X-Amzn-Query-Error", cmpOr(e.QueryError, e.Code+";"+fault))
	w.WriteHeader(e.Status)
	w.Write(b)
}

// maxDecompressedBytes bounds a compressed request once inflated.
const maxDecompressedBytes = 4 * maxRequestBytes

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxDecompressedBytes+1))
	if err != nil {
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	if len(out) > maxDecompressedBytes {
		return nil, fmt.Errorf("gzip body inflates past %d bytes", maxDecompressedBytes)
	}
	return out, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Run evaluates the alarms every EvaluationInterval until ctx ends, as
// CloudWatch does, sampling the gauges first.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(EvaluationInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Evaluate(ctx)
		}
	}
}
