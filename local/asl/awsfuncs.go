package asl

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ohler55/ojg/oj"

	"thumbflow/local/jsonata"
)

// awsFunctions are the functions Step Functions adds to JSONata, the
// counterparts of the States.* intrinsics: $partition, $range, $hash,
// $random (with an optional seed), $uuid and $parse.
var awsFunctions = []jsonata.Function{
	{Name: "partition", Signature: "<an:a>", Fn: jPartition},
	{Name: "range", Signature: "<nnn?:a>", Fn: jRange},
	{Name: "hash", Signature: "<ss:s>", Fn: jHash},
	{Name: "random", Signature: "<n?:n>", Fn: jRandom},
	{Name: "uuid", Signature: "<:s>", Fn: func(context.Context, []any) (any, error) { return newUUID(), nil }},
	{Name: "parse", Signature: "<s:j>", Fn: jParse},
}

func jFuncError(name, format string, a ...any) error {
	return &jsonata.Error{Code: "D3137", Position: -1, Message: "$" + name + ": " + fmt.Sprintf(format, a...)}
}

func intArg(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return int64(f), true
}

func jPartition(_ context.Context, args []any) (any, error) {
	list, _ := args[0].([]any)
	size, ok := intArg(args[1])
	if !ok || size <= 0 {
		return nil, jFuncError("partition", "the chunk size must be a positive integer")
	}
	out := []any{}
	for i := 0; i < len(list); i += int(size) {
		out = append(out, list[i:min(i+int(size), len(list))])
	}
	return out, nil
}

// maxRange is the most elements $range returns, as States.ArrayRange.
const maxRange = 1000

// jRange is $range(start, end, step): end is included. A range of one
// element is that element, as AWS returns it (a JSONata sequence).
func jRange(_ context.Context, args []any) (any, error) {
	start, ok1 := intArg(args[0])
	end, ok2 := intArg(args[1])
	step := int64(1)
	ok3 := true
	if len(args) > 2 && args[2] != jsonata.Undefined {
		step, ok3 = intArg(args[2])
	}
	if !ok1 || !ok2 || !ok3 || step == 0 {
		return nil, jFuncError("range", "start, end and step must be integers and step must not be 0")
	}
	out := []any{}
	for n := start; (step > 0 && n <= end) || (step < 0 && n >= end); n += step {
		if len(out) == maxRange {
			return nil, jFuncError("range", "the range has more than %d elements", maxRange)
		}
		out = append(out, float64(n))
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func jHash(_ context.Context, args []any) (any, error) {
	data, _ := args[0].(string)
	alg, _ := args[1].(string)
	h := newHash(alg)
	if h == nil {
		return nil, jFuncError("hash", "the algorithm %q is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512", alg)
	}
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// jRandom is $random([seed]): a number in [0, 1), the same for the same
// seed (not AWS's sequence, which is not documented).
func jRandom(_ context.Context, args []any) (any, error) {
	if len(args) > 0 && args[0] != jsonata.Undefined {
		seed, ok := intArg(args[0])
		if !ok {
			return nil, jFuncError("random", "the seed must be an integer")
		}
		return rand.New(rand.NewPCG(uint64(seed), 0)).Float64(), nil
	}
	return rand.Float64(), nil
}

// jParse is $parse(text): the JSON value the text holds.
func jParse(_ context.Context, args []any) (any, error) {
	s, _ := args[0].(string)
	v, err := oj.ParseString(s)
	if err != nil {
		return nil, jFuncError("parse", "the text is not JSON: %v", err)
	}
	return jsonata.ToJSON(jsonata.FromJSON(v)), nil
}
