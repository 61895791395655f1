package cloudwatch

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatch's SDKs and the aws CLI speak Smithy RPC v2 CBOR. The
// operations are written once against JSON (the service's other
// protocol), and CBOR is bridged to it: a CBOR request becomes the JSON
// body the operation decodes, and the operation's JSON answer becomes CBOR,
// with epoch-time tags on the timestamp members.

// cborToJSON converts a request body.
func cborToJSON(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return []byte("{}"), nil
	}
	v, err := cbor.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("malformed CBOR body: %w", err)
	}
	g, err := fromCBOR(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(g)
}

func fromCBOR(v cbor.Value) (any, error) {
	switch v := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(v))
		for k, e := range v {
			g, err := fromCBOR(e)
			if err != nil {
				return nil, err
			}
			m[k] = g
		}
		return m, nil
	case cbor.List:
		l := make([]any, len(v))
		for i, e := range v {
			g, err := fromCBOR(e)
			if err != nil {
				return nil, err
			}
			l[i] = g
		}
		return l, nil
	case cbor.String:
		return string(v), nil
	case cbor.Slice:
		return base64.StdEncoding.EncodeToString(v), nil
	case cbor.Uint:
		return json.Number(fmt.Sprint(uint64(v))), nil
	case cbor.NegInt:
		return json.Number(fmt.Sprintf("-%d", uint64(v))), nil
	case cbor.Float32, cbor.Float64:
		f, _ := cbor.AsFloat64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("non-finite number in request")
		}
		return f, nil
	case cbor.Bool:
		return bool(v), nil
	case *cbor.Nil, *cbor.Undefined:
		return nil, nil
	case *cbor.Tag:
		if v.ID == 1 { // epoch seconds
			return fromCBOR(v.Value)
		}
		return fromCBOR(v.Value)
	}
	return nil, fmt.Errorf("unsupported CBOR value %T", v)
}

// jsonToCBOR converts an answer; members named in timestamps become
// epoch-time tags.
func jsonToCBOR(b []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var g any
	if err := d.Decode(&g); err != nil {
		return nil, err
	}
	return cbor.Encode(toCBOR(g, false)), nil
}

func isTimestamp(key string) bool {
	return strings.HasSuffix(key, "Timestamp") || strings.HasSuffix(key, "Timestamps") || key == "StartTime" || key == "EndTime"
}

func toCBOR(g any, timestamp bool) cbor.Value {
	switch g := g.(type) {
	case map[string]any:
		m := cbor.Map{}
		for k, e := range g {
			if e == nil {
				continue
			}
			m[k] = toCBOR(e, isTimestamp(k))
		}
		return m
	case []any:
		l := cbor.List{}
		for _, e := range g {
			l = append(l, toCBOR(e, timestamp))
		}
		return l
	case string:
		return cbor.String(g)
	case bool:
		return cbor.Bool(g)
	case json.Number:
		if timestamp {
			f, _ := g.Float64()
			return &cbor.Tag{ID: 1, Value: cbor.Float64(f)}
		}
		if n, err := g.Int64(); err == nil {
			if n < 0 {
				return cbor.NegInt(uint64(-n))
			}
			return cbor.Uint(uint64(n))
		}
		f, _ := g.Float64()
		return cbor.Float64(f)
	}
	return &cbor.Nil{}
}
