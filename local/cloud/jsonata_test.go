package cloud

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// TestJSONataWorkflowEndToEnd runs the local cloud with a JSONata version
// of the thumbnail workflow in place of the repository's JSONPath one, as
// a developer who rewrites it in Workflow Studio would: the template is
// unchanged, its DefinitionUri names the JSONata file. A photo converts
// and a text file named .jpg fails with its reason.
func TestJSONataWorkflowEndToEnd(t *testing.T) {
	def, err := os.ReadFile("../asl/testdata/thumbnail-jsonata.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(def), `"QueryLanguage": "JSONata"`) {
		t.Fatal("the test workflow is not a JSONata one")
	}
	files := withFiles(t)
	files["statemachine/thumbnail.asl.json"] = &fstest.MapFile{Data: def}
	c := startCloud(t, func(cfg *Config) { cfg.Files = files })
	if !strings.Contains(c.Stack.StateMachine("ThumbnailStateMachine").Definition, `"QueryLanguage": "JSONata"`) {
		t.Fatal("the cloud did not deploy the JSONata definition")
	}
	cl := dial(t, context.Background(), c.WebSocketURL)
	if _, seen, rec := uploadStates(t, cl, "photo.jpg", photo(640, 480)); strings.Join(seen, ",") != "uploaded,converting,succeeded" || len(rec.Renditions) != 2 {
		t.Fatalf("photo: states %v, renditions %+v", seen, rec.Renditions)
	}
	if _, seen, rec := uploadStates(t, cl, "notes.jpg", []byte("not an image at all\n")); seen[len(seen)-1] != "failed" || rec.Error == nil || rec.Error.Code != "CorruptImage" {
		t.Fatalf("text file: states %v, record %+v", seen, rec)
	}
}
