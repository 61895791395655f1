package jsonata

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

func TestDbg(t *testing.T) {
	e, err := Compile(os.Getenv("E"))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := Decode([]byte(os.Getenv("D")))
	r, err := e.Evaluate(context.Background(), ToJSON(in), nil)
	b, _ := json.Marshal(r)
	t.Logf("%s %v", b, err)
}
