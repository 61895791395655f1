package jsonata

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func eval(t *testing.T, expr string, input any, opts *Options) (any, error) {
	t.Helper()
	e, err := Compile(expr)
	if err != nil {
		return nil, err
	}
	return e.Evaluate(context.Background(), input, opts)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wantCode(t *testing.T, err error, code string) *Error {
	t.Helper()
	var je *Error
	if !errors.As(err, &je) || je.Code != code {
		t.Fatalf("want error %s, got %v", code, err)
	}
	return je
}

func TestCompileOnceEvaluateWithBindings(t *testing.T) {
	e := MustCompile(`$x * price`)
	for _, x := range []float64{1, 2, 3} {
		got, err := e.Evaluate(context.Background(), map[string]any{"price": 10.0}, &Options{Bindings: map[string]any{"x": x}})
		if err != nil {
			t.Fatal(err)
		}
		if got != x*10 {
			t.Fatalf("x=%v: got %v", x, got)
		}
	}
}

func TestCustomFunction(t *testing.T) {
	double := Function{Name: "double", Signature: "<n-:n>", Fn: func(ctx context.Context, args []any) (any, error) {
		return args[0].(float64) * 2, nil
	}}
	fail := Function{Name: "fail", Fn: func(ctx context.Context, args []any) (any, error) {
		return nil, &Error{Code: "X0001", Message: "boom"}
	}}
	opts := &Options{Functions: []Function{double, fail}}
	got, err := eval(t, `[$double(4), n.$double()]`, map[string]any{"n": 5.0}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s := mustJSON(t, got); s != `[8,10]` {
		t.Fatalf("got %s", s)
	}
	_, err = eval(t, `$double("a")`, nil, opts)
	wantCode(t, err, "T0410")
	_, err = eval(t, `$fail()`, nil, opts)
	wantCode(t, err, "X0001")
	// a function can also be bound like any variable, and passed on
	got, err = eval(t, `$map([1,2], $d)`, nil, &Options{Bindings: map[string]any{"d": double}})
	if err != nil || mustJSON(t, got) != `[2,4]` {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestObjectKeyOrder(t *testing.T) {
	in, err := Decode([]byte(`{"z": 1, "a": {"y": null, "b": [true]}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := eval(t, `{"second": a, "first": z, "keys": $keys($)}`, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"second":{"y":null,"b":[true]},"first":1,"keys":["z","a"]}`
	if s := mustJSON(t, got); s != want {
		t.Fatalf("got %s, want %s", s, want)
	}
	p, ok := ToPlain(got).(map[string]any)
	if !ok || p["first"] != 1.0 {
		t.Fatalf("ToPlain: %#v", p)
	}
	if second, ok := p["second"].(map[string]any); !ok || len(second) != 2 || second["y"] != nil {
		t.Fatalf("ToPlain keeps nulls: %#v", p["second"])
	}
}

func TestUndefinedAndNull(t *testing.T) {
	got, err := eval(t, `$`, Undefined, nil)
	if err != nil || got != Undefined {
		t.Fatalf("no input: got %v, %v", got, err)
	}
	got, err = eval(t, `$`, nil, nil)
	if err != nil || got != nil {
		t.Fatalf("null input: got %v, %v", got, err)
	}
	got, err = eval(t, `missing`, map[string]any{}, nil)
	if err != nil || got != Undefined {
		t.Fatalf("missing field: got %v, %v", got, err)
	}
}

func TestRunawayRecursionIsAnError(t *testing.T) {
	_, err := eval(t, `($f := function($n){ $n + $f($n + 1) }; $f(0))`, nil, nil)
	wantCode(t, err, "U1001")
}

func TestTailRecursionRunsInConstantDepth(t *testing.T) {
	got, err := eval(t, `($loop := function($n, $acc){ $n = 0 ? $acc : $loop($n - 1, $acc + 1) }; $loop(100000, 0))`, nil, &Options{MaxDepth: 200})
	if err != nil || got != 100000.0 {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestTimeout(t *testing.T) {
	start := time.Now()
	_, err := eval(t, `($f := function(){ $f() }; $f())`, nil, &Options{Timeout: 50 * time.Millisecond})
	wantCode(t, err, "U1001")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %v", d)
	}
}

func TestCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := MustCompile(`($f := function(){ $f() }; $f())`).Evaluate(ctx, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestErrorsCarryCodeAndPosition(t *testing.T) {
	_, err := eval(t, `1 + "a"`, nil, nil)
	je := wantCode(t, err, "T2002")
	if je.Position != 3 || je.Token != "+" {
		t.Fatalf("position %d token %q", je.Position, je.Token)
	}
	_, err = Compile(`"é" + (`)
	je = wantCode(t, err, "S0203")
	if je.Position != 7 {
		t.Fatalf("position %d, want 7 (characters, not bytes)", je.Position)
	}
	if !strings.Contains(je.Error(), "S0203") {
		t.Fatalf("message %q", je.Error())
	}
}

func TestRegexNeedingBacktrackingIsRefused(t *testing.T) {
	for _, re := range []string{`/(a)\1/`, `/a(?=b)/`, `/(?<!a)b/`} {
		_, err := Compile(`$match("aab", ` + re + `)`)
		wantCode(t, err, "S0303")
	}
	got, err := eval(t, `$replace("abc", /(b)/, "[$1]")`, nil, nil)
	if err != nil || got != "a[b]c" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestNumberFormatting(t *testing.T) {
	cases := map[string]string{
		`$string(0.1 + 0.2)`:          "0.3",
		`$string(1e21)`:               "1e+21",
		`$string(1/3)`:                "0.333333333333333",
		`$string(1e-7)`:               "1e-7",
		`$string(123456789012345678)`: "123456789012345680",
		`"n=" & 2.50`:                 "n=2.5",
	}
	for expr, want := range cases {
		got, err := eval(t, expr, nil, nil)
		if err != nil || got != want {
			t.Errorf("%s: got %v, %v; want %s", expr, got, err, want)
		}
	}
}

func TestConcurrentEvaluation(t *testing.T) {
	e := MustCompile(`Account.Order.Product[Price > $min].{ "name": %.OrderID & ":" & $."Product Name", "i": $i }`)
	in, _ := Decode([]byte(`{"Account":{"Order":[{"OrderID":"o1","Product":[{"Product Name":"a","Price":5},{"Product Name":"b","Price":50}]}]}}`))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				got, err := e.Evaluate(context.Background(), in, &Options{Bindings: map[string]any{"min": 10, "i": g}})
				if err != nil {
					t.Error(err)
					return
				}
				if s := mustJSON(t, got); s != `{"name":"o1:b","i":`+string(rune('0'+g))+`}` {
					t.Errorf("got %s", s)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestObjectAPIAndConversions(t *testing.T) {
	o := NewObject()
	o.Set("b", 1.0)
	o.Set("a", "x")
	o.Set("b", 2.0)
	if k := o.Keys(); len(k) != 2 || k[0] != "b" || k[1] != "a" {
		t.Fatalf("keys %v", k)
	}
	o.Delete("b")
	if _, ok := o.Get("b"); ok || o.Len() != 1 {
		t.Fatal("delete")
	}
	var u Object
	if err := json.Unmarshal([]byte(`{"z":[1,{"y":null}],"a":true}`), &u); err != nil {
		t.Fatal(err)
	}
	if s := mustJSON(t, &u); s != `{"z":[1,{"y":null}],"a":true}` {
		t.Fatalf("round trip %s", s)
	}
	// maps have no order: their keys are sorted on the way in
	got, err := eval(t, `$keys($)`, map[string]any{"b": 1, "a": 2, "c": nil}, nil)
	if err != nil || mustJSON(t, got) != `["a","b","c"]` {
		t.Fatalf("got %v, %v", got, err)
	}
	// raw JSON keeps its order
	got, err = eval(t, `$keys($)`, json.RawMessage(`{"b": 1, "a": 2}`), nil)
	if err != nil || mustJSON(t, got) != `["b","a"]` {
		t.Fatalf("got %v, %v", got, err)
	}
	if s := mustJSON(t, Undefined); s != "null" {
		t.Fatalf("Undefined marshals as %s", s)
	}
}

// TestConcurrentRawOnSharedInput runs EvaluateRaw on one decoded document
// from several goroutines; run with -race.
func TestConcurrentRawOnSharedInput(t *testing.T) {
	in, _ := Decode([]byte(`{"a":{"b":[1]},"c":[{"d":[2,3]},{"d":[4]}]}`))
	exprs := []*Expr{MustCompile(`a.b[]`), MustCompile(`c.d[]`), MustCompile(`c#$i.d[$i = 0]`), MustCompile(`$sort(c.d, function($x, $y){$x < $y})`), MustCompile(`c ~> |$|{"e": 1}|`)}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				for _, e := range exprs {
					if _, err := e.EvaluateRaw(context.Background(), in, nil); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestLargeRange(t *testing.T) {
	got, err := eval(t, `($r := [1..1000000]; [$count($r), $r[0], $r[-1], $sum($r[[0..2]])])`, nil, nil)
	if err != nil || mustJSON(t, got) != `[1000000,1,1000000,6]` {
		t.Fatalf("got %v, %v", mustJSON(t, got), err)
	}
}
