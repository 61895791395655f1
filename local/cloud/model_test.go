package cloud

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"thumbflow"
	"thumbflow/local/lambda"
)

// The tests find every name in the model the cloud was built from, by the
// template's logical ids, never in a copy of their own.

func bucketName(c *Cloud, id string) string   { return c.Stack.Bucket(id).Name }
func functionName(c *Cloud, id string) string { return c.Stack.Function(id).Name }

// rebuild builds the function id's handler as the cloud built it (same
// environment, same configuration), for a test to wrap, and the options
// to register the wrapper with.
func rebuild[H any](t testing.TB, c *Cloud, id string) (H, lambda.FunctionOptions) {
	t.Helper()
	h, opts, err := c.functionHandler(context.Background(), c.Stack.Function(id))
	if err != nil {
		t.Fatal(err)
	}
	typed, ok := h.(H)
	if !ok {
		t.Fatalf("handler of %s is a %T", id, h)
	}
	return typed, opts
}

// withTemplate runs the cloud on a copy of the repository's template
// (and its state machine definitions) with each edit applied: old, which
// must occur exactly once, is replaced by new.
func withTemplate(t testing.TB, edits ...string) func(*Config) {
	t.Helper()
	files := withFiles(t, edits...)
	return func(c *Config) { c.Files = files }
}

// withFiles is the repository's template and definitions with edits.
func withFiles(t testing.TB, edits ...string) fstest.MapFS {
	t.Helper()
	if len(edits)%2 != 0 {
		t.Fatal("withTemplate takes old, new pairs")
	}
	files := fstest.MapFS{}
	if err := fs.WalkDir(thumbflow.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(thumbflow.Files, p)
		files[p] = &fstest.MapFile{Data: b}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tpl := string(files[thumbflow.TemplatePath].Data)
	for i := 0; i < len(edits); i += 2 {
		if n := strings.Count(tpl, edits[i]); n != 1 {
			t.Fatalf("template edit: %q occurs %d times, want once", edits[i], n)
		}
		tpl = strings.Replace(tpl, edits[i], edits[i+1], 1)
	}
	files[thumbflow.TemplatePath] = &fstest.MapFile{Data: []byte(tpl)}
	return files
}
