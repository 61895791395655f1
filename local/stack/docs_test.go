package stack

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docs/local-cloud.md lists every supported type with every property the
// loader accepts, and no type it refuses.
func TestDocsListSupportedTypes(t *testing.T) {
	b, err := os.ReadFile("../../docs/local-cloud.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	row := regexp.MustCompile("^\\| `(AWS::[A-Za-z0-9:]+)` \\| ([^|]*) \\|")
	for _, line := range strings.Split(string(b), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			rows[m[1]] = m[2]
		}
	}
	for typ, k := range kinds {
		props, ok := rows[typ]
		if !ok {
			t.Errorf("docs/local-cloud.md has no row for %s", typ)
			continue
		}
		for _, p := range shapeOf(k.props).fieldNames() {
			if !regexp.MustCompile(`\b` + p + `\b`).MatchString(props) {
				t.Errorf("docs/local-cloud.md: %s does not list property %s", typ, p)
			}
		}
	}
	for typ := range rows {
		if kinds[typ] == nil {
			t.Errorf("docs/local-cloud.md lists %s, which the loader refuses", typ)
		}
	}
}
