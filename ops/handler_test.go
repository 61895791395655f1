package ops_test

import (
	"context"
	"encoding/json"
	"image"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"thumbflow/internal/browsertest"
	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/cloud"
	"thumbflow/ops"
	"thumbflow/upload"
)

// The operator page is tested against a real in-process local cloud that
// has converted one image and failed another.

func startOpsCloud(t *testing.T) (*cloud.Cloud, string, string) {
	t.Helper()
	c := cloudtest.Start(t)
	ok := uploadtest.Upload(t, uploadtest.Dial(t, context.Background(), c.WebSocketURL), "fine.jpg", uploadtest.Photo(80, 60), upload.StateSucceeded)
	bad := uploadtest.Upload(t, uploadtest.Dial(t, context.Background(), c.WebSocketURL), "broken.jpg", []byte("definitely not a JPEG\n"), upload.StateFailed)
	// The record is terminal a moment before the execution is.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(c.WebURL + "/ops/api/executions?status=RUNNING")
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Executions []any }
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if len(page.Executions) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("executions still running")
		}
	}
	return c, ok, bad
}

func TestOpsAPI(t *testing.T) {
	c, ok, bad := startOpsCloud(t)
	get := func(path string, v any) int {
		t.Helper()
		resp, err := http.Get(c.WebURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if v != nil {
			if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		return resp.StatusCode
	}
	var list struct {
		Executions []struct{ ExecutionARN, UploadID, Status string }
		NextToken  string
	}
	if code := get("/ops/api/executions?status=FAILED", &list); code != 200 || len(list.Executions) != 1 || list.Executions[0].UploadID != bad {
		t.Fatalf("FAILED executions (%d): %+v", code, list)
	}
	failedARN := list.Executions[0].ExecutionARN
	if code := get("/ops/api/executions", &list); code != 200 || len(list.Executions) != 2 {
		t.Fatalf("all executions (%d): %+v", code, list)
	}
	var okARN string
	for _, e := range list.Executions {
		if e.UploadID == ok {
			okARN = e.ExecutionARN
		}
	}

	var detail struct {
		Error    string
		Attempts int
		// Events is the timeline, placed and measured by the server.
		Events []struct {
			Event, State, Error string
			Attempt             int
		}
		Failure *upload.FailureRecord
		Record  *upload.Record
		// Renditions carry presigned links the page can open.
		Renditions []struct{ Name, URL string }
	}
	if code := get("/ops/api/execution?arn="+url.QueryEscape(failedARN), &detail); code != 200 || detail.Error != "Rejected.CorruptImage" ||
		detail.Failure == nil || detail.Failure.Error == nil || detail.Failure.Error.Code != "CorruptImage" ||
		detail.Failure.Error.Kind != upload.KindUser || len(detail.Events) < 10 {
		t.Fatalf("failed execution (%d): %+v", code, detail)
	}
	if last := detail.Events[len(detail.Events)-1]; last.Event != "ExecutionFailed" || last.Error != "Rejected.CorruptImage" || detail.Attempts != 1 {
		t.Errorf("failed execution: last event %+v, %d attempts", last, detail.Attempts)
	}
	detail.Failure, detail.Renditions = nil, nil
	if code := get("/ops/api/execution?arn="+url.QueryEscape(okARN), &detail); code != 200 || detail.Failure != nil || len(detail.Renditions) != 2 {
		t.Fatalf("succeeded execution (%d): %+v", code, detail)
	}
	resp, err := http.Get(detail.Renditions[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := image.DecodeConfig(resp.Body)
	resp.Body.Close()
	if err != nil || cfg.Width == 0 {
		t.Errorf("rendition link %s does not serve an image: %v", detail.Renditions[0].URL, err)
	}
	// The page gets a short-lived signed link, not a credential.
	if !strings.Contains(detail.Renditions[0].URL, "X-Amz-Signature=") || !strings.Contains(detail.Renditions[0].URL, "X-Amz-Expires=") {
		t.Errorf("rendition link is not presigned: %s", detail.Renditions[0].URL)
	}

	// Over the real listener too: right peer, foreign Host.
	req, _ := http.NewRequest(http.MethodGet, c.WebURL+"/ops/api/executions", nil)
	req.Host = "rebind.attacker.example"
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusForbidden {
		t.Errorf("request naming host %s = %d, want 403", req.Host, resp.StatusCode)
	}

	var e struct{ Error string }
	for path, want := range map[string]int{
		"/ops/api/executions?status=BROKEN": 400,
		"/ops/api/execution?arn=" + url.QueryEscape("arn:aws:states:us-east-1:000000000000:execution:other:x"):                  400,
		"/ops/api/execution?arn=" + url.QueryEscape("arn:aws:states:us-east-1:000000000000:execution:thumbnail:does-not-exist"): 400,
		"/ops/api/execution":                 400,
		"/ops/api/executions?nextToken=junk": 400,
	} {
		e.Error = ""
		if code := get(path, &e); code != want || e.Error == "" {
			t.Errorf("GET %s = %d %q, want %d with a reason", path, code, e.Error, want)
		}
	}
}

func TestOpsPageShowsTheFailedUploadsError(t *testing.T) {
	c, _, bad := startOpsCloud(t)
	ctx := browsertest.NewBrowser(t)
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(cctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(cond string) {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(cctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("waiting for %s: %v\npage:\n%s", cond, err, text)
		}
	}
	text := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}

	run(chromedp.Navigate(c.WebURL + "/ops"))
	waitFor(`document.documentElement.dataset.ready === "true" && document.querySelectorAll("tr.execution").length === 2`)

	// Filter to failures: only the broken upload is left.
	text(`(() => { const s = document.querySelector("#status-filter"); s.value = "FAILED"; s.dispatchEvent(new Event("change")); return ""; })()`)
	waitFor(`document.querySelectorAll("tr.execution").length === 1 && document.querySelector("tr.execution").dataset.status === "FAILED"`)
	if got := text(`document.querySelector("tr.execution").dataset.upload`); got != bad {
		t.Fatalf("failed row is upload %q, want %q", got, bad)
	}

	// Open it: the failure record and the timeline say what went wrong.
	run(chromedp.Click(chromedp.CSS("tr.execution a")))
	waitFor(`document.querySelector("#detail").dataset.loaded === "true"`)
	if e := text(`document.querySelector("#detail-error").hidden ? "" : document.querySelector("#detail-error").textContent`); e != "" {
		t.Fatalf("detail error: %s", e)
	}
	failure := text(`document.querySelector("#failure").hidden ? "" : document.querySelector("#failure").innerText`)
	for _, want := range []string{"CorruptImage", "not a valid image", "Attempts"} {
		if !strings.Contains(failure, want) {
			t.Errorf("failure section lacks %q:\n%s", want, failure)
		}
	}
	row := text(`[...document.querySelectorAll("#timeline tr")].find(r => r.dataset.event === "LambdaFunctionFailed").innerText`)
	if !strings.Contains(row, "Convert") || !strings.Contains(row, "CorruptImage") {
		t.Errorf("timeline row of the failed attempt: %q", row)
	}
	if got := text(`[...document.querySelectorAll("#timeline tr")].at(-1).dataset.event`); got != "ExecutionFailed" {
		t.Errorf("timeline ends with %s", got)
	}
	if !strings.Contains(text(`document.querySelector("#summary").innerText`), "Conversion attempts\n1") {
		t.Errorf("summary: %s", text(`document.querySelector("#summary").innerText`))
	}
}

// TestOpsOnlyServesThisMachine: the page and its API answer a loopback
// peer that names a loopback host, and refuse a peer on the network (the
// web listener may be bound to 0.0.0.0) and a foreign Host header (DNS
// rebinding reaches the listener from 127.0.0.1 under an attacker's name).
func TestOpsOnlyServesThisMachine(t *testing.T) {
	h := ops.Handler(ops.Config{StateMachineARN: "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail"})
	serve := func(path, remote, host string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr, r.Host = remote, host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	// The API path answers 400 for a bad status before it calls any AWS
	// client: getting that far means the request was let through.
	const page, api = "/ops", "/ops/api/executions?status=BROKEN"
	for _, c := range []struct{ remote, host string }{
		{"127.0.0.1:50000", "localhost:8080"},
		{"127.0.0.1:50000", "127.0.0.1:8080"},
		{"127.12.0.1:50000", "LOCALHOST"},
		{"[::1]:50000", "[::1]:8080"},
		{"[::ffff:127.0.0.1]:50000", "127.0.0.1"},
	} {
		if w := serve(page, c.remote, c.host); w.Code != 200 || !strings.Contains(w.Body.String(), "<html") {
			t.Errorf("page from %s for Host %s = %d, want the page", c.remote, c.host, w.Code)
		}
		if w := serve(api, c.remote, c.host); w.Code != 400 {
			t.Errorf("API from %s for Host %s = %d %s, want it answered (400 for the bad status)", c.remote, c.host, w.Code, w.Body)
		}
	}
	for _, c := range []struct{ why, remote, host string }{
		{"a peer on the LAN", "192.168.1.20:50000", "192.168.1.10:8080"},
		{"a peer on the LAN naming localhost", "192.168.1.20:50000", "localhost:8080"},
		{"an IPv6 peer", "[fe80::1]:50000", "[::1]:8080"},
		{"DNS rebinding", "127.0.0.1:50000", "attacker.example:8080"},
		{"a LAN address as Host", "127.0.0.1:50000", "192.168.1.10:8080"},
		{"a name merely starting with localhost", "127.0.0.1:50000", "localhost.attacker.example"},
		{"no Host", "127.0.0.1:50000", ""},
	} {
		for _, path := range []string{page, api} {
			w := serve(path, c.remote, c.host)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "only served to this machine") {
				t.Errorf("%s: GET %s = %d %q, want 403 saying the page is only served to this machine", c.why, path, w.Code, w.Body)
			}
		}
	}
	if w := serve(api, "192.168.1.20:50000", "localhost"); !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Errorf("API refusal is %s, want JSON the page can show", w.Header().Get("Content-Type"))
	}
}
