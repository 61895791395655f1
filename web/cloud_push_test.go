package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"thumbflow/internal/browsertest"
	"thumbflow/internal/clocktest"
	"thumbflow/internal/cloudtest"
	"thumbflow/internal/uploadtest"
	"thumbflow/local/cloud"
	"thumbflow/local/lambda"
)

// The tests in this file show, against the real local cloud, what the
// protocol warns a client about: a socket the gateway drops, a retried
// conversion, a second tab, and pushes that come late or twice. The
// gateway's own @connections API (the SDK's apigatewaymanagementapi
// client, as the handlers use it) drops connections and posts the late
// pushes, so every frame the page sees is one the real gateway sent.

// mgmtClient is an @connections client of c's WebSocket API, signed as
// the developer, at {endpoint}/{stage} as on AWS.
func mgmtClient(t *testing.T, c *cloud.Cloud) *apigatewaymanagementapi.Client {
	t.Helper()
	u, err := url.Parse(c.WebSocketURL)
	if err != nil {
		t.Fatal(err)
	}
	return apigatewaymanagementapi.NewFromConfig(c.AWSConfig(), func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(c.Endpoint + u.Path)
	})
}

// waitConnections waits until the gateway holds n connections, none of
// them in old, and returns them.
func waitConnections(t *testing.T, c *cloud.Cloud, n int, old []string) []string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ids := c.Gateway.Connections()
		if len(ids) == n && !slices.ContainsFunc(ids, func(id string) bool { return slices.Contains(old, id) }) {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway holds connections %v; want %d new ones (old: %v)", ids, n, old)
		}
	}
}

// recordLines keeps, in the page, every status line a row shows, so a
// state that lasts only milliseconds ("retrying (attempt 2)" before a
// quick conversion) is seen however slowly the test polls.
func recordLines(t *testing.T, ctx context.Context) {
	t.Helper()
	eval[chromedp.Void](t, ctx, `(() => {
		window.lines = [];
		const note = () => {
			const s = document.querySelector(".upload .upload-status")?.textContent;
			if (s && window.lines.at(-1) !== s) window.lines.push(s);
		};
		new MutationObserver(note).observe(document.querySelector("#uploads"), { subtree: true, childList: true, characterData: true, attributes: true });
		note();
	})()`)
}

// TestCloudRetryReconnectAndSecondTab: the first conversion attempt hangs
// until the task's timeout, the gateway drops both tabs' sockets while it
// hangs, and the workflow's retry then succeeds. The page shows
// "retrying (attempt 2)", subscribes again on its new sockets (the only
// way the later pushes reach it), and both tabs end at done.
func TestCloudRetryReconnectAndSecondTab(t *testing.T) {
	// clocktest.TestFactor: the 25 s task timeout is 12.5 s of wall time, the
	// window in which the sockets are dropped and come back. A loaded
	// machine reconnects in well under that; if it did not, the
	// precondition below says so rather than passing vacuously.
	c := cloudtest.Start(t, func(cfg *cloud.Config) { cfg.Clock = clocktest.NewFastClock(clocktest.TestFactor) })
	ctx := browsertest.NewBrowser(t)
	p := openCloud(t, ctx, c)
	q := &cloudPage{c: c, ctx: newTab(t, ctx)}
	q.navigate(t)
	recordLines(t, p.ctx)
	recordLines(t, q.ctx)
	if err := c.Lambdas.InjectFault(c.Stack.Function("ConvertFunction").Name, lambda.FaultTimeout); err != nil {
		t.Fatal(err)
	}
	p.choose(t, "slow.jpg", uploadtest.Photo(400, 300))
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "converting"`)
	waitForIn(t, q.ctx, firstRow+`?.dataset.state === "converting"`)

	old := waitConnections(t, c, 2, nil)
	mgmt := mgmtClient(t, c)
	for _, id := range old {
		if _, err := mgmt.DeleteConnection(context.Background(), &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(id)}); err != nil {
			t.Fatalf("DeleteConnection %s: %v", id, err)
		}
	}
	waitConnections(t, c, 2, old)
	waitForIn(t, p.ctx, `document.querySelector("#connection").dataset.connection === "open"`)
	waitForIn(t, q.ctx, `document.querySelector("#connection").dataset.connection === "open"`)
	if got := rowText(t, p.ctx); got != "processing: converting" {
		t.Fatalf("precondition: the row says %q once the new sockets are open; the drop must come while the first attempt hangs", got)
	}

	for name, tab := range map[string]context.Context{"first tab": p.ctx, "second tab": q.ctx} {
		waitForIn(t, tab, firstRow+`?.dataset.state === "succeeded" && `+firstRow+`.querySelector(".upload-thumb").complete && `+firstRow+`.querySelector(".upload-thumb").naturalWidth === 320`)
		if got := rowText(t, tab); got != "done" {
			t.Errorf("%s: status line = %q, want done", name, got)
		}
		lines := eval[[]string](t, tab, `window.lines`)
		if want := []string{"processing: converting", "processing: retrying (attempt 2)", "done"}; !isSubsequence(want, lines) {
			t.Errorf("%s showed %q; want it to pass through %q in order", name, lines, want)
		}
	}
}

// watchFrames makes every WebSocket the page opens keep the frames it
// receives in window.frames. Its listener is added in the constructor,
// before the page's own, so once a frame is in window.frames every
// earlier frame has been handled by the page.
func watchFrames(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `(() => {
		const Native = window.WebSocket;
		window.frames = [];
		window.WebSocket = class extends Native {
			constructor(...args) {
				super(...args);
				this.addEventListener("message", (ev) => window.frames.push(ev.data));
			}
		};
	})()`}); err != nil {
		t.Fatal(err)
	}
}

// TestCloudLateAndDuplicatePushesAreIgnored posts, through the gateway's
// @connections API, what the protocol says can arrive after the final
// record: an older record (a late retry's push) and the final record
// again (an at-least-once retry of the push). A marker frame sent after
// them shows when the page has handled both; the row must still say done.
func TestCloudLateAndDuplicatePushesAreIgnored(t *testing.T) {
	c := cloudtest.Start(t)
	ctx := browsertest.NewBrowser(t)
	watchFrames(t, ctx)
	p := openCloud(t, ctx, c)
	recordIn(t, p.ctx)
	p.choose(t, "twice.jpg", uploadtest.Photo(400, 300))
	waitForIn(t, p.ctx, firstRow+`?.dataset.state === "succeeded" && `+firstRow+`.querySelector(".upload-thumb").naturalWidth === 320`)

	var final map[string]any
	if err := json.Unmarshal([]byte(eval[string](t, p.ctx, `JSON.stringify(JSON.parse(localStorage.getItem("thumbflow.history.v1"))[0].record)`)), &final); err != nil {
		t.Fatal(err)
	}
	version, _ := final["version"].(float64)
	if final["state"] != "succeeded" || version < 2 {
		t.Fatalf("the page keeps record %v", final)
	}
	late := map[string]any{"uploadId": final["uploadId"], "state": "converting", "version": version - 1, "attempt": 1, "renditions": []any{}}
	conns := waitConnections(t, c, 1, nil)
	mgmt := mgmtClient(t, c)
	post := func(v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mgmt.PostToConnection(context.Background(), &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(conns[0]), Data: b}); err != nil {
			t.Fatalf("PostToConnection: %v", err)
		}
	}
	post(map[string]any{"type": "status", "status": late})
	post(map[string]any{"type": "status", "status": final})
	post(map[string]any{"type": "status", "status": map[string]any{"uploadId": "marker"}})
	waitForIn(t, p.ctx, `window.frames.some((f) => f.includes('"marker"'))`)

	if got := rowText(t, p.ctx); got != "done" {
		t.Errorf("after a late and a duplicate push the status line = %q, want done", got)
	}
	if states := eval[[]string](t, p.ctx, `window.seen.states`); slices.Index(states, "succeeded") != len(states)-1 {
		t.Errorf("states seen = %v, want succeeded last and once", states)
	}
	if spoken := eval[[]string](t, p.ctx, `window.seen.spoken`); countSuffix(spoken, ": done") != 1 {
		t.Errorf("announced %q; want done announced once", spoken)
	}
}

func countSuffix(ss []string, suffix string) int {
	n := 0
	for _, s := range ss {
		if strings.HasSuffix(s, suffix) {
			n++
		}
	}
	return n
}
