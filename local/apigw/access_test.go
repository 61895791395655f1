package apigw_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"thumbflow/local/apigw"
	"thumbflow/local/sigv4"
)

const webClient = "http://127.0.0.1:8080"

// dialWith upgrades with the given Host and Origin ("" sends none) and
// returns the HTTP status of a refusal, or 101 for an open connection.
func dialWith(t *testing.T, url, host, origin string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h, Host: host})
	if err == nil {
		c.CloseNow()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial %s (Host %q, Origin %q): %v", url, host, origin, err)
	}
	return resp.StatusCode
}

// TestUpgradeOnlyFromTheWebClient: browsers open a WebSocket to any origin
// without asking CORS, so the gateway itself refuses an upgrade whose
// Origin is not the web client's, and one naming a Host that is not
// loopback (DNS rebinding), before $connect runs. Clients that send no
// Origin (the CLI, tests) connect as before.
func TestUpgradeOnlyFromTheWebClient(t *testing.T) {
	rec := newRecorder()
	e := start(t, apigw.Options{Handler: rec.handle, Access: &sigv4.Access{Origins: []string{webClient}}})
	for _, tc := range []struct {
		host, origin string
		want         int
	}{
		{"", "http://127.0.0.1:9999", http.StatusForbidden},
		{"", "https://attacker.example", http.StatusForbidden},
		{"", "null", http.StatusForbidden},
		{"rebind.attacker.example", "", http.StatusForbidden},
		{"rebind.attacker.example", "http://rebind.attacker.example", http.StatusForbidden},
		{"", webClient, http.StatusSwitchingProtocols},
		{"", "", http.StatusSwitchingProtocols},
		{"localhost", webClient, http.StatusSwitchingProtocols},
	} {
		got := dialWith(t, e.wsURL, tc.host, tc.origin)
		if got != tc.want {
			t.Errorf("upgrade with Host %q, Origin %q: status %d, want %d", tc.host, tc.origin, got, tc.want)
		}
		if got == http.StatusSwitchingProtocols {
			rec.next(t, apigw.RouteConnect)
		}
	}
	select {
	case ev := <-rec.events:
		if ev.RequestContext.RouteKey == apigw.RouteConnect {
			t.Errorf("a refused upgrade reached $connect")
		}
	case <-time.After(100 * time.Millisecond):
	}
}

// TestPublicUpgradeFromTheLAN: with -public, the web client opened at a
// LAN address may connect, and other origins still may not.
func TestPublicUpgradeFromTheLAN(t *testing.T) {
	e := start(t, apigw.Options{Access: &sigv4.Access{Public: true, Origins: []string{webClient}}})
	if got := dialWith(t, e.wsURL, "192.168.1.20:4566", "http://192.168.1.20:8080"); got != http.StatusSwitchingProtocols {
		t.Errorf("public upgrade from the LAN: status %d", got)
	}
	if got := dialWith(t, e.wsURL, "192.168.1.20:4566", "https://attacker.example"); got != http.StatusForbidden {
		t.Errorf("public upgrade from another site: status %d, want 403", got)
	}
}
