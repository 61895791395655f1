package jsonata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Internally, values are: nil (undefined), Null (JSON null), bool, float64,
// string, *Object, *Array, or a function value. Undefined and null are kept
// apart because JSONata treats them very differently (a missing field
// vanishes from a sequence; a null stays).

// nullType is the type of Null.
type nullType struct{}

// Null is JSON null inside the evaluator and in values passed to custom
// functions.
var Null = nullType{}

func (nullType) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// undefinedType is the type of Undefined.
type undefinedType struct{}

// MarshalJSON writes Undefined as null, for callers that marshal a result
// without checking for Undefined first.
func (undefinedType) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// Undefined is what Evaluate returns when the expression has no result, and
// what a caller passes as input to evaluate with no input document. It is
// distinct from nil, which is JSON null in the external representation.
var Undefined = undefinedType{}

// Object is an ordered JSON object: keys keep their insertion order, so
// results come out in the order JSONata builds them. It marshals to JSON in
// that order.
type Object struct {
	keys []string
	m    map[string]any
}

// NewObject returns an empty ordered object.
func NewObject() *Object { return &Object{m: map[string]any{}} }

// Get returns the value under key (nil if absent).
func (o *Object) Get(key string) (any, bool) {
	v, ok := o.m[key]
	return v, ok
}

// Set sets key, appending it to the key order if it is new.
func (o *Object) Set(key string, v any) {
	if _, ok := o.m[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.m[key] = v
}

// Delete removes key.
func (o *Object) Delete(key string) {
	if _, ok := o.m[key]; !ok {
		return
	}
	delete(o.m, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// Keys returns the keys in insertion order.
func (o *Object) Keys() []string { return o.keys }

// Len is the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// MarshalJSON writes the object with its keys in insertion order.
func (o *Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := marshalAny(o.m[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object keeping the document's key order.
func (o *Object) UnmarshalJSON(data []byte) error {
	v, err := Decode(data)
	if err != nil {
		return err
	}
	obj, ok := v.(*Object)
	if !ok {
		return fmt.Errorf("jsonata: not a JSON object")
	}
	*o = *obj
	return nil
}

// Array is a JSON array, or a JSONata sequence. The flags carry the
// sequence semantics of jsonata-js: a sequence of one item collapses to the
// item, unless keepSingleton; cons marks an array built by [...], which a
// path does not flatten; tuple marks a stream of tuple bindings.
type Array struct {
	items         []any
	seq           bool
	keepSingleton bool
	cons          bool
	outerWrapper  bool
	tuple         bool
}

// Items returns the elements.
func (a *Array) Items() []any { return a.items }

// MarshalJSON writes the array.
func (a *Array) MarshalJSON() ([]byte, error) { return json.Marshal(ToJSON(a)) }

// marshalAny writes a value of either representation.
func marshalAny(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil, nullType, undefinedType:
		return []byte("null"), nil
	case *Object:
		return x.MarshalJSON()
	case *Array:
		return json.Marshal(ToJSON(x))
	case callable:
		return []byte(`""`), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return []byte("null"), nil
		}
	}
	return json.Marshal(v)
}

func newSeq(items ...any) *Array { return &Array{items: items, seq: true} }

func newArray(items []any) *Array { return &Array{items: items} }

// FromJSON converts a value decoded by encoding/json (nil, bool, float64,
// json.Number, string, []any, map[string]any) and Go numbers into the
// evaluator's representation. Maps have no order, so their keys are sorted;
// use Decode to keep a document's key order. *Array values are taken as
// they are; an *Object is copied with its values converted, since one from
// ToJSON holds external values.
func FromJSON(v any) any {
	switch x := v.(type) {
	case nil:
		return Null
	case undefinedType:
		return nil
	case nullType, bool, float64, string, *Array:
		return x
	case *Object:
		// an *Object may come from ToJSON, holding external values
		o := &Object{keys: append([]string(nil), x.keys...), m: make(map[string]any, len(x.keys))}
		for k, e := range x.m {
			o.m[k] = FromJSON(e)
		}
		return o
	case json.Number:
		f, _ := x.Float64()
		return f
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case uint:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = FromJSON(e)
		}
		return newArray(out)
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return newArray(out)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := &Object{keys: keys, m: make(map[string]any, len(x))}
		for _, k := range keys {
			o.m[k] = FromJSON(x[k])
		}
		return o
	case Function:
		return &goFunc{def: x}
	}
	if f, ok := v.(callable); ok {
		return f
	}
	// Anything else goes through encoding/json.
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	d, _ := Decode(b)
	return d
}

// ToJSON converts an evaluator value to the external representation:
// Undefined for undefined, nil for null, bool, float64, string, []any and
// *Object (ordered; it marshals in order). As JSON.stringify does, a
// function inside an array becomes null and inside an object is left out;
// a function result on its own becomes "".
func ToJSON(v any) any {
	switch x := v.(type) {
	case nil:
		return Undefined
	case nullType:
		return nil
	case *Array:
		out := make([]any, len(x.items))
		for i, e := range x.items {
			if _, isFn := e.(callable); e == nil || isFn {
				// as JSON.stringify writes undefined and functions in
				// an array
				out[i] = nil
				continue
			}
			out[i] = ToJSON(e)
		}
		return out
	case *Object:
		o := &Object{keys: make([]string, 0, len(x.keys)), m: make(map[string]any, len(x.keys))}
		for _, k := range x.keys {
			e := x.m[k]
			if e == nil {
				continue
			}
			if _, isFn := e.(callable); isFn {
				// JSON.stringify leaves functions out of objects
				continue
			}
			o.keys = append(o.keys, k)
			o.m[k] = ToJSON(e)
		}
		return o
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case callable:
		return ""
	}
	return v
}

// ToPlain converts a value of either representation to plain
// encoding/json values: map[string]any for objects (their order is lost),
// []any, float64, string, bool and nil for null and for undefined. It is
// for callers, like the ASL engine's state data, that work on
// map[string]any.
func ToPlain(v any) any {
	switch x := v.(type) {
	case nil, nullType, undefinedType:
		return nil
	case *Object:
		m := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			m[k] = ToPlain(x.m[k])
		}
		return m
	case *Array:
		return plainSlice(x.items)
	case []any:
		return plainSlice(x)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil
		}
		return x
	case callable:
		return ""
	}
	return v
}

func plainSlice(items []any) []any {
	out := make([]any, len(items))
	for i, e := range items {
		out[i] = ToPlain(e)
	}
	return out
}

// Decode parses a JSON document into the evaluator's representation,
// keeping object key order.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("jsonata: trailing data after JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			o := NewObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.Set(kt.(string), v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			items := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				items = append(items, v)
			}
			_, err := dec.Token()
			return newArray(items), err
		}
	case json.Number:
		f, err := x.Float64()
		if err != nil && !strings.Contains(err.Error(), "range") {
			return nil, err
		}
		return f, nil
	case nil:
		return Null, nil
	}
	return t, nil
}
