package jsonata

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

const benchExpr = `{
  "orders": Account.Order.{
    "id": OrderID,
    "total": $sum(Product.(Price * Quantity)) ~> $round(2),
    "names": $join(Product."Product Name", ", "),
    "expensive": Product[Price > 30].SKU
  },
  "byColour": Account.Order.Product{Description.Colour: $count($)},
  "when": $fromMillis(1521801216617, "[FNn], [D1o] [MNn] [Y]")
}`

func benchInput(orders int) any {
	var b strings.Builder
	b.WriteString(`{"Account":{"Name":"Firefly","Order":[`)
	for i := 0; i < orders; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"OrderID":"order%d","Product":[`, i)
		for j := 0; j < 4; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"Product Name":"Item %d","SKU":"%04d","Price":%d.25,"Quantity":%d,"Description":{"Colour":"c%d","Weight":0.75}}`, j, i*4+j, 10+j*10, j+1, j%3)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}}`)
	v, err := Decode([]byte(b.String()))
	if err != nil {
		panic(err)
	}
	return v
}

func BenchmarkCompile(b *testing.B) {
	for b.Loop() {
		if _, err := Compile(benchExpr); err != nil {
			b.Fatal(err)
		}
	}
}

func benchEval(b *testing.B, expr string, orders int) {
	e := MustCompile(expr)
	in := benchInput(orders)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.EvaluateRaw(ctx, in, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) { benchEval(b, benchExpr, 10) }

func BenchmarkEvaluate100Orders(b *testing.B) { benchEval(b, benchExpr, 100) }

// BenchmarkEvaluateParent measures the tuple-stream path (% and @/#).
func BenchmarkEvaluateParent(b *testing.B) {
	benchEval(b, `Account.Order#$i.Product.{ "order": %.OrderID, "i": $i, "name": $."Product Name" }`, 10)
}

func BenchmarkEvaluateRecursion(b *testing.B) {
	benchEval(b, `($fib := function($n){ $n < 2 ? $n : $fib($n - 1) + $fib($n - 2) }; $fib(15))`, 0)
}

// BenchmarkStepFunctionsStyle is the shape of an ASL Arguments/Output
// expression: small input, a few field reads and a constructor.
func BenchmarkStepFunctionsStyle(b *testing.B) {
	e := MustCompile(`{ "bucket": $states.input.detail.bucket.name, "key": $states.input.detail.object.key, "sizes": [128, 512] }`)
	in, _ := Decode([]byte(`{"detail":{"bucket":{"name":"uploads"},"object":{"key":"a/b.jpg","size":1234}}}`))
	states := NewObject()
	states.Set("input", in)
	opts := &Options{Bindings: map[string]any{"states": states}}
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.Evaluate(ctx, Undefined, opts); err != nil {
			b.Fatal(err)
		}
	}
}
