package asl

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"thumbflow/internal/clocktest"
)

// FuzzParseAndRun checks that no definition or input, however malformed,
// panics: bad input must come back as a validation error or a failed
// execution.
func FuzzParseAndRun(f *testing.F) {
	f.Add([]byte(durableDef), []byte(`{"x":1}`))
	f.Add([]byte(branchyDef), []byte(`[1,{"items":[1,2]}]`))
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"States.Format('{}',$.x)"},"ResultPath":"$.r[0]","End":true}}}`), []byte(`{"x":[1]}`))
	f.Add([]byte(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEqualsPath":"$.m","Next":"D"}],"Default":"D"},"D":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.JsonToString($)"}}}`), []byte(`{"n":1,"m":"x"}`))
	f.Fuzz(func(t *testing.T, def, input []byte) {
		m, err := Parse(def)
		if err != nil || !json.Valid(input) {
			return
		}
		clock := clocktest.NewVirtualClock(time.Unix(0, 0))
		clock.Advance(0)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		exec := testExec(clock)
		exec.Input = input
		m.Run(ctx, exec, Options{Clock: clock, Invoker: &countingInvoker{}})
	})
}
