package ops

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	smithy "github.com/aws/smithy-go"

	"thumbflow/upload"
	"thumbflow/upload/s3store"
	"thumbflow/web"
)

// Presigner signs rendition downloads, so the page can show renditions
// without holding a credential.
type Presigner interface {
	PresignGetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// Config is what the operator page's server route needs. The route
// holds the credentials (inside the clients); the page only ever sees
// results and short-lived presigned rendition links.
type Config struct {
	StepFunctions   StepFunctions
	Records         s3store.API
	Presigner       Presigner
	StateMachineARN string
	RecordsBucket   string
	OutputBucket    string
	// Starter starts retries (POST /ops/api/retry); nil refuses them.
	Starter Starter
	Logger  *slog.Logger
}

// Handler serves the operator page at /ops (its files are web/static's
// ops.html and js/ops*.js) and the JSON it reads at
// /ops/api/executions and /ops/api/execution. It is meant for the local
// cloud and for operators' own machines, never for the public site: it
// has no authentication of its own, so it answers only requests from this
// machine (see localOnly), even when the listener it shares with the web
// client is reachable from the network.
func Handler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	o := &handler{cfg: cfg, read: &Reader{StepFunctions: cfg.StepFunctions, Records: cfg.Records, RecordsBucket: cfg.RecordsBucket,
		StateMachine: func(context.Context) (string, error) { return cfg.StateMachineARN, nil }}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ops", func(w http.ResponseWriter, r *http.Request) {
		page, err := fs.ReadFile(web.Static, "ops.html")
		if err != nil {
			http.Error(w, "operator page missing from the build", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		// Everything the page reads comes from this server; its rendition
		// links are navigations, which connect-src does not govern.
		web.SetSecurityHeaders(h, web.ContentSecurityPolicy(nil, nil))
		w.Write(page)
	})
	mux.HandleFunc("GET /ops/api/executions", o.executions)
	mux.HandleFunc("GET /ops/api/execution", o.execution)
	mux.HandleFunc("GET /ops/api/stats", o.stats)
	mux.HandleFunc("POST /ops/api/retry", o.retry)
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
			writeError(w, http.StatusForbidden, msg)
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

type handler struct {
	cfg  Config
	read *Reader
}

type renditionLink struct {
	upload.Rendition
	URL string `json:"url,omitempty"`
}

// detail is one execution as the page shows it. Events is the history
// as a timeline (state, attempt and duration of each event), read by the
// same code as `thumbflow history`, so the page only formats it.
type detail struct {
	Execution  Execution             `json:"execution"`
	Error      string                `json:"error,omitempty"`
	Cause      string                `json:"cause,omitempty"`
	Attempts   int                   `json:"attempts"`
	Events     []Step                `json:"events"`
	Record     *upload.Record        `json:"record,omitempty"`
	Failure    *upload.FailureRecord `json:"failure,omitempty"`
	Renditions []renditionLink       `json:"renditions,omitempty"`
}

// executions returns one page of the state machine's executions; the page
// asks for the next with the token it was given.
func (o *handler) executions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	if status != "" && !slices.Contains(Statuses, types.ExecutionStatus(status)) {
		writeError(w, http.StatusBadRequest, "status must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED")
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
	rows := make([]Execution, 0, len(out.Executions))
	for _, e := range out.Executions {
		rows = append(rows, Listed(e, now))
	}
	// The list shows each failure's kind and code.
	if err := o.read.Classify(r.Context(), rows); err != nil {
		o.fail(w, "classifying executions", err)
		return
	}
	writeJSON(w, map[string]any{"executions": rows, "nextToken": aws.ToString(out.NextToken)})
}

// execution returns one execution: its history, and its upload's status
// record, failure record and rendition links.
func (o *handler) execution(w http.ResponseWriter, r *http.Request) {
	arn := r.URL.Query().Get("arn")
	// Only this state machine's executions: the route must not become a
	// way to read anything the server's credentials can.
	machine := o.cfg.StateMachineARN
	if _, err := upload.ExecutionOf(machine, arn); err != nil {
		writeError(w, http.StatusBadRequest, "arn must be an execution of "+machine)
		return
	}
	ctx := r.Context()
	h, err := o.read.describe(ctx, arn)
	if err != nil {
		o.fail(w, "describing the execution", err)
		return
	}
	events, err := o.read.events(ctx, arn)
	if err != nil {
		o.fail(w, "reading the history", err)
		return
	}
	out := detail{Execution: h.Execution, Error: h.Error, Cause: h.Cause}
	out.Events, out.Attempts = Timeline(events, h.StartDate)
	if id := out.Execution.UploadID; id != "" {
		o.addUpload(ctx, &out, id)
	}
	writeJSON(w, out)
}

// addUpload adds what the records say about the upload. A missing or
// unreadable record is logged and left out: the history is still worth
// showing.
func (o *handler) addUpload(ctx context.Context, out *detail, id string) {
	if rec, ok, err := o.read.records().GetStatus(ctx, id); err != nil {
		o.cfg.Logger.Warn("ops: reading status record", "uploadId", id, "error", err)
	} else if ok {
		out.Record = &rec
		for _, rd := range rec.Renditions {
			link := renditionLink{Rendition: rd}
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
	if f, ok, err := o.read.records().GetFailure(ctx, id); err != nil {
		o.cfg.Logger.Warn("ops: reading failure record", "uploadId", id, "error", err)
	} else if ok {
		out.Failure = &f
	}
}

// fail answers with the service's own error code when there is one (an
// unknown execution is the caller's mistake), and logs the rest.
func (o *handler) fail(w http.ResponseWriter, what string, err error) {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient {
		writeError(w, http.StatusBadRequest, what+": "+ae.ErrorCode()+": "+ae.ErrorMessage())
		return
	}
	o.cfg.Logger.Error("ops: "+what, "error", err)
	writeError(w, http.StatusBadGateway, what+" failed; the server log has the details")
}

func writeJSON(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
