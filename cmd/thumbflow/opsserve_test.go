package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/ops"
	"thumbflow/upload"
)

// TestOpsServesThePageThroughTheSDK: `thumbflow ops` serves the same page
// and API as thumbflow dev's /ops, reading through whatever endpoint the
// SDK's configuration names (here the local cloud's, as AWS's would be).
func TestOpsServesThePageThroughTheSDK(t *testing.T) {
	c := cloudtest.Start(t)
	opsEnv(t, c)
	uploadtest.Upload(t, uploadtest.Dial(t, context.Background(), c.WebSocketURL), "fine.jpg", uploadtest.Photo(32, 24), upload.StateSucceeded)
	h, err := opsHandler(context.Background(), opsFlags{recordsBucket: "thumbflow-records"}, "", "thumbflow-output")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/ops", "/ops.css", "/style.css", "/js/ops.js", "/js/ops-chart.js"} {
		if code, body := get(path); code != 200 || body == "" {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	code, body := get("/ops/api/stats?since=1h")
	var st struct{ Totals ops.Totals }
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil || st.Totals.Succeeded < 1 {
		t.Errorf("stats: %d %s", code, body)
	}
	if code, _, errOut := cli(t, "ops", "-addr", "0.0.0.0:8081"); code != 2 || !strings.Contains(errOut, "loopback") {
		t.Errorf("a network address: exit %d, %q", code, errOut)
	}
}
