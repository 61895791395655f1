package thumbflow

import (
	"io/fs"
	"os"
	"regexp"
	"testing"
)

// TestFilesEmbedTheTemplateAndEveryDefinitionItNames guards the embed
// pattern: a state machine added to template.yaml whose definition is not
// embedded would leave the binary unable to build its local cloud.
func TestFilesEmbedTheTemplateAndEveryDefinitionItNames(t *testing.T) {
	tpl, err := fs.ReadFile(Files, TemplatePath)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile("template.yaml")
	if err != nil || string(onDisk) != string(tpl) {
		t.Fatalf("embedded template differs from template.yaml (%v)", err)
	}
	uris := regexp.MustCompile(`(?m)^\s*DefinitionUri:\s*(\S+)`).FindAllSubmatch(tpl, -1)
	if len(uris) == 0 {
		t.Fatal("template.yaml names no DefinitionUri")
	}
	for _, m := range uris {
		if _, err := fs.Stat(Files, string(m[1])); err != nil {
			t.Errorf("DefinitionUri %s is not embedded: %v", m[1], err)
		}
	}
}
