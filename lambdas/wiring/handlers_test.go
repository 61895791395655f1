package wiring

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestHandlersBuildFromTheirEnvironment builds every handler of the table
// the local cloud uses, with every variable set, and checks that the
// websocket handler reads its key through Deps.Secret by the id its
// environment names.
func TestHandlersBuildFromTheirEnvironment(t *testing.T) {
	for id, h := range Handlers {
		t.Run(id, func(t *testing.T) {
			var asked string
			env := &Env{Lookup: func(k string) string { return "value-of-" + k }}
			fn, err := h.Build(context.Background(), Deps{Env: env, AWS: testConfig(), Log: slog.Default(),
				Secret: func(_ context.Context, id string) ([]byte, error) {
					asked = id
					return []byte(strings.Repeat("k", 64)), nil
				}})
			if err != nil || fn == nil {
				t.Fatalf("Build: %v, %v", fn, err)
			}
			if err := env.Err(); err != nil {
				t.Fatal(err)
			}
			if id == "WebSocketFunction" && asked != "value-of-TOKEN_KEY_SECRET_ID" {
				t.Errorf("the websocket handler read secret %q, want the one TOKEN_KEY_SECRET_ID names", asked)
			}
		})
	}
}
