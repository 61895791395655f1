package ops

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"thumbflow/upload"
)

// stats answers the totals of the executions started within ?since= (a
// Go duration, default 24h; 0 is all time), with the classified rows they
// were computed from, so the page can show both and they cannot disagree.
func (o *handler) stats(w http.ResponseWriter, r *http.Request) {
	since := 24 * time.Hour
	if s := r.URL.Query().Get("since"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			writeError(w, http.StatusBadRequest, "since must be a duration such as 15m or 24h")
			return
		}
		since = d
	}
	t, rows, err := o.read.Stats(r.Context(), o.cfg.StateMachineARN, since)
	if err != nil {
		o.fail(w, "computing totals", err)
		return
	}
	writeJSON(w, map[string]any{"totals": t, "executions": rows})
}

// maxRetryBody bounds a retry request: one target.
const maxRetryBody = 4 << 10

// retry starts the next generation of one failed upload, as `thumbflow
// retry` does without -force: the page offers it for system failures, and
// a user rejection is refused by the same rule. It is the page's only
// route that changes anything, so besides localOnly it takes only a JSON
// body from this page's own origin: a form or script on another site
// cannot send that without a CORS preflight, which this server never
// answers.
func (o *handler) retry(w http.ResponseWriter, r *http.Request) {
	if o.cfg.Starter == nil {
		writeError(w, http.StatusNotImplemented, "this server cannot start executions")
		return
	}
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "retry is only accepted from the operator page itself")
		return
	}
	var in struct {
		Target string `json:"target"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRetryBody)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "body must be JSON: {\"target\": upload id or execution ARN}")
		return
	}
	if strings.HasPrefix(in.Target, "arn:") {
		if _, err := upload.ExecutionOf(o.cfg.StateMachineARN, in.Target); err != nil {
			writeError(w, http.StatusBadRequest, "target must be an execution of "+o.cfg.StateMachineARN)
			return
		}
	} else if !upload.ValidID(in.Target) {
		writeError(w, http.StatusBadRequest, "target must be an upload id or an execution ARN")
		return
	}
	res, err := o.read.Retry(r.Context(), o.cfg.Starter, in.Target, RetryOptions{})
	if err != nil {
		o.fail(w, "retrying", err)
		return
	}
	o.cfg.Logger.Info("ops: retry", "uploadId", res.UploadID, "outcome", res.Outcome, "executionArn", res.ExecutionARN)
	writeJSON(w, res)
}

// sameOrigin reports whether a state-changing request comes from this
// page: a JSON body, and an Origin (which browsers send on every POST)
// naming the host the request was sent to.
func sameOrigin(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct != "application/json" && !strings.HasPrefix(ct, "application/json;") {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return r.Header.Get("Sec-Fetch-Site") == "" // not a browser: curl, a test
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
