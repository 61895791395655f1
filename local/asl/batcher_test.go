package asl

import (
	"strings"
	"testing"
)

func TestItemBatcher(t *testing.T) {
	proc := `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	for name, c := range map[string]struct{ def, input, want string }{
		"JSONPath count": {`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",` + proc + `,
			"ItemBatcher":{"MaxItemsPerBatchPath":"$.n","BatchInput":{"tag.$":"$.tag"}},"End":true}}}`,
			`{"items":[1,2,3,4,5],"n":2,"tag":"t"}`,
			`[{"BatchInput":{"tag":"t"},"Items":[1,2]},{"BatchInput":{"tag":"t"},"Items":[3,4]},{"BatchInput":{"tag":"t"},"Items":[5]}]`},
		"JSONata count": {`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.items %}",` + proc + `,
			"ItemBatcher":{"MaxItemsPerBatch":"{% $states.input.n %}","BatchInput":{"tag":"{% $states.input.tag %}"}},"End":true}}}`,
			`{"items":[1,2,3],"n":2,"tag":"t"}`,
			`[{"BatchInput":{"tag":"t"},"Items":[1,2]},{"BatchInput":{"tag":"t"},"Items":[3]}]`},
		// {"Items":[1,2]} is 15 bytes, {"Items":[1,2,3]} 17.
		"bytes": {`{"StartAt":"M","States":{"M":{"Type":"Map",` + proc + `,"ItemBatcher":{"MaxInputBytesPerBatch":16},"End":true}}}`,
			`[1,2,3,4]`, `[{"Items":[1,2]},{"Items":[3,4]}]`},
	} {
		t.Run(name, func(t *testing.T) {
			res := runJSON(t, c.def, c.input)
			if res.Status != StatusSucceeded || string(res.Output) != c.want {
				t.Fatalf("%s %s (%s %s), want %s", res.Status, res.Output, res.Error, res.Cause, c.want)
			}
		})
	}
}

func TestItemBatcherChecks(t *testing.T) {
	for name, c := range map[string]struct{ def, want string }{
		"inline": {`{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatch":2},
			"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, "only supported in a DISTRIBUTED Map"},
		"no limit": {`{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{},
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, "needs MaxItemsPerBatch or MaxInputBytesPerBatch"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.def))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse error = %v, want %q", err, c.want)
			}
		})
	}
}
