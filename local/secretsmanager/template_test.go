package secretsmanager

import (
	"context"
	"os"
	"strings"
	"testing"

	"thumbflow/lambdas/wiring"
	"thumbflow/local/awsjson/awsjsontest"
	"thumbflow/local/stack"
)

// TestTheTemplatesTokenKey: the secret template.yaml declares, created
// from the loader's model, is what the WebSocket function's
// TOKEN_KEY_SECRET_ID names and reads.
func TestTheTemplatesTokenKey(t *testing.T) {
	st, err := stack.LoadFS(os.DirFS("../.."), "template.yaml", stack.Options{
		Parameters: stack.ParamFlag{"WebOrigin": "http://127.0.0.1:8080"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, t.TempDir())
	for _, sec := range st.Secrets {
		if _, err := e.svc.CreateFromTemplate(FromStack(sec)); err != nil {
			t.Fatal(err)
		}
	}
	id := st.Function("WebSocketFunction").Environment["TOKEN_KEY_SECRET_ID"]
	key, err := wiring.TokenKey(context.Background(), awsjsontest.Config(e.url), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != 64 || strings.ContainsAny(string(key), punctuation) {
		t.Errorf("the token key %q is not 64 characters without punctuation, as the template asks", key)
	}
	for _, class := range []string{lowercase, uppercase, digits} {
		if !strings.ContainsAny(string(key), class) {
			t.Errorf("the token key %q lacks one of %q (RequireEachIncludedType defaults to true)", key, class)
		}
	}
}
