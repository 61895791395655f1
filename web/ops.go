package web

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	smithy "github.com/aws/smithy-go"

	"thumbflow/sfnview"
	"thumbflow/upload"
	"thumbflow/upload/s3store"
)

// StepFunctions is the part of the Step Functions client the operator page
// reads.
type StepFunctions interface {
	ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, opts ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, opts ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
}

// Presigner signs rendition downloads, so the page can show renditions
// without holding a credential.
type Presigner interface {
	PresignGetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// OpsConfig is what the operator page's server route needs. The route
// holds the credentials (inside the clients); the page only ever sees
// results and short-lived presigned rendition links.
type OpsConfig struct {
	StepFunctions   StepFunctions
	Records         s3store.API
	Presigner       Presigner
	StateMachineARN string
	RecordsBucket   string
	OutputBucket    string
	Logger          *slog.Logger
}

// Ops serves the operator page at /ops and the JSON it reads at
// /ops/api/executions and /ops/api/execution. It is meant for the local
// cloud and for operators' own machines, never for the public site: it
// has no authentication of its own, so it answers only requests from this
// machine (see localOnly), even when the listener it shares with the web
// client is reachable from the network.
func Ops(cfg OpsConfig) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	o := &ops{cfg: cfg, records: &s3store.Store{Client: cfg.Records, Bucket: cfg.RecordsBucket}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ops", func(w http.ResponseWriter, r *http.Request) {
		page, err := fs.ReadFile(Static, "ops.html")
		if err != nil {
			http.Error(w, "operator page missing from the build", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		w.Write(page)
	})
	mux.HandleFunc("GET /ops/api/executions", o.executions)
	mux.HandleFunc("GET /ops/api/execution", o.execution)
	return localOnly(mux)
}

// localOnly refuses, with 403, every request that does not both come from
// a loopback address and name a loopback host. The operator page lists
// every upload and hands out presigned rendition links without a grant,
// so with `thumbflow dev -web 0.0.0.0:8080` the rest of the LAN must not
// reach it; and the Host check stops DNS rebinding, where a web page the
// operator visits resolves its own name to 127.0.0.1 and reads the API
// from the operator's browser.
func localOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if loopbackPeer(r.RemoteAddr) && loopbackHost(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		const msg = "forbidden: the operator page is only served to this machine; " +
			"open it on the machine running the server, at http://localhost:<port>/ops or http://127.0.0.1:<port>/ops"
		if strings.HasPrefix(r.URL.Path, "/ops/api/") {
			writeOpsError(w, http.StatusForbidden, msg)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.Error(w, msg, http.StatusForbidden)
	})
}

// loopbackPeer reports whether a request's RemoteAddr ("ip:port") is a
// loopback address: 127.0.0.0/8 or ::1, IPv4-mapped or not.
func loopbackPeer(remoteAddr string) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	return ap.Addr().Unmap().IsLoopback()
}

// loopbackHost reports whether a Host header names this machine: localhost
// or a loopback IP, with any port or none.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

type ops struct {
	cfg     OpsConfig
	records *s3store.Store
}

type opsRendition struct {
	upload.Rendition
	URL string `json:"url,omitempty"`
}

// opsDetail is one execution as the page shows it. Events is the history
// as a timeline (state, attempt and duration of each event), built by the
// same code as `thumbflow history`, so the page only formats it.
type opsDetail struct {
	Execution  sfnview.Execution     `json:"execution"`
	Error      string                `json:"error,omitempty"`
	Cause      string                `json:"cause,omitempty"`
	Attempts   int                   `json:"attempts"`
	Events     []sfnview.Step        `json:"events"`
	Record     *upload.Record        `json:"record,omitempty"`
	Failure    *upload.FailureRecord `json:"failure,omitempty"`
	Renditions []opsRendition        `json:"renditions,omitempty"`
}

var opsStatuses = map[string]bool{"": true, "RUNNING": true, "SUCCEEDED": true, "FAILED": true, "TIMED_OUT": true, "ABORTED": true}

// executions returns one page of the state machine's executions; the page
// asks for the next with the token it was given.
func (o *ops) executions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	if !opsStatuses[status] {
		writeOpsError(w, http.StatusBadRequest, "status must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED")
		return
	}
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(o.cfg.StateMachineARN), StatusFilter: types.ExecutionStatus(status), MaxResults: 50}
	if tok := q.Get("nextToken"); tok != "" {
		in.NextToken = aws.String(tok)
	}
	out, err := o.cfg.StepFunctions.ListExecutions(r.Context(), in)
	if err != nil {
		o.fail(w, "listing executions", err)
		return
	}
	now := time.Now()
	rows := make([]sfnview.Execution, 0, len(out.Executions))
	for _, e := range out.Executions {
		rows = append(rows, sfnview.Listed(e, now))
	}
	writeOpsJSON(w, map[string]any{"executions": rows, "nextToken": aws.ToString(out.NextToken)})
}

// execution returns one execution: its history, and its upload's status
// record, failure record and rendition links.
func (o *ops) execution(w http.ResponseWriter, r *http.Request) {
	arn := r.URL.Query().Get("arn")
	// Only this state machine's executions: the route must not become a
	// way to read anything the server's credentials can.
	machine := o.cfg.StateMachineARN
	if _, err := upload.ExecutionOf(machine, arn); err != nil {
		writeOpsError(w, http.StatusBadRequest, "arn must be an execution of "+machine)
		return
	}
	ctx := r.Context()
	d, err := o.cfg.StepFunctions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		o.fail(w, "describing the execution", err)
		return
	}
	out := opsDetail{Execution: sfnview.Described(d, time.Now()), Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}
	in := &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), IncludeExecutionData: aws.Bool(false)}
	var events []types.HistoryEvent
	for {
		page, err := o.cfg.StepFunctions.GetExecutionHistory(ctx, in)
		if err != nil {
			o.fail(w, "reading the history", err)
			return
		}
		events = append(events, page.Events...)
		if page.NextToken == nil || len(events) >= 25000 {
			break
		}
		in.NextToken = page.NextToken
	}
	out.Events, out.Attempts = sfnview.Timeline(events, out.Execution.StartDate)
	if id := out.Execution.UploadID; id != "" {
		o.addUpload(ctx, &out, id)
	}
	writeOpsJSON(w, out)
}

// addUpload adds what the records say about the upload. A missing or
// unreadable record is logged and left out: the history is still worth
// showing.
func (o *ops) addUpload(ctx context.Context, out *opsDetail, id string) {
	if rec, ok, err := o.records.GetStatus(ctx, id); err != nil {
		o.cfg.Logger.Warn("ops: reading status record", "uploadId", id, "err", err)
	} else if ok {
		out.Record = &rec
		for _, rd := range rec.Renditions {
			link := opsRendition{Rendition: rd}
			if o.cfg.Presigner != nil && rd.Key != "" {
				req, err := o.cfg.Presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.cfg.OutputBucket), Key: aws.String(rd.Key)},
					s3.WithPresignExpires(15*time.Minute))
				if err == nil {
					link.URL = req.URL
				}
			}
			out.Renditions = append(out.Renditions, link)
		}
	}
	if f, ok, err := o.records.GetFailure(ctx, id); err != nil {
		o.cfg.Logger.Warn("ops: reading failure record", "uploadId", id, "err", err)
	} else if ok {
		out.Failure = &f
	}
}

// fail answers with the service's own error code when there is one (an
// unknown execution is the caller's mistake), and logs the rest.
func (o *ops) fail(w http.ResponseWriter, what string, err error) {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient {
		writeOpsError(w, http.StatusBadRequest, what+": "+ae.ErrorCode()+": "+ae.ErrorMessage())
		return
	}
	o.cfg.Logger.Error("ops: "+what, "err", err)
	writeOpsError(w, http.StatusBadGateway, what+" failed; the server log has the details")
}

func writeOpsJSON(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	json.NewEncoder(w).Encode(v)
}

func writeOpsError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
