package wiring

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestHandlersBuildFromTheirEnvironment builds every handler of the table
// the local cloud uses, with every variable set, and checks that the
// websocket handler reads its key from Secrets Manager, through the SDK,
// by the id its environment names: the same call on AWS and locally.
func TestHandlersBuildFromTheirEnvironment(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			http.Error(w, "unexpected call "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
			return
		}
		var in struct{ SecretId string }
		json.NewDecoder(r.Body).Decode(&in)
		mu.Lock()
		asked = append(asked, in.SecretId)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]string{"ARN": in.SecretId, "Name": "k", "SecretString": strings.Repeat("k", 64)})
	}))
	defer srv.Close()
	cfg := testConfig()
	cfg.BaseEndpoint = aws.String(srv.URL)
	// The variables that hold counts (RequireInt) get numbers.
	counts := map[string]string{"GRANTS_PER_MINUTE": "20", "OPEN_GRANTS": "50"}
	for id, h := range Handlers {
		t.Run(id, func(t *testing.T) {
			mu.Lock()
			asked = nil
			mu.Unlock()
			env := &Env{Lookup: func(k string) string {
				if n, ok := counts[k]; ok {
					return n
				}
				if strings.HasSuffix(k, "_SECONDS") {
					return "600"
				}
				return "value-of-" + k
			}}
			fn, err := h.Build(context.Background(), Deps{Env: env, AWS: cfg, Log: slog.Default()})
			if err != nil || fn == nil {
				t.Fatalf("Build: %v, %v", fn, err)
			}
			if err := env.Err(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if id == "WebSocketFunction" && (len(asked) != 1 || asked[0] != "value-of-TOKEN_KEY_SECRET_ID") {
				t.Errorf("the websocket handler read secrets %q, want the one TOKEN_KEY_SECRET_ID names", asked)
			}
			if id != "WebSocketFunction" && len(asked) != 0 {
				t.Errorf("%s read secrets %q, which it has no need of", id, asked)
			}
		})
	}
}

// A sweeper configured with a minimum age that is not a positive number of
// seconds refuses to start, naming the variable and its value.
func TestSweepRefusesABadMinimumAge(t *testing.T) {
	for _, v := range []string{"10m", "0", "-5", "1.5"} {
		env := &Env{Lookup: func(k string) string {
			if k == "SWEEP_MIN_AGE_SECONDS" {
				return v
			}
			return "value-of-" + k
		}}
		_, err := Sweep(env, testConfig(), slog.Default(), nil)
		if err == nil || !strings.Contains(err.Error(), "SWEEP_MIN_AGE_SECONDS") || !strings.Contains(err.Error(), `"`+v+`"`) {
			t.Errorf("SWEEP_MIN_AGE_SECONDS=%s: %v, want an error naming it and its value", v, err)
		}
	}
}
