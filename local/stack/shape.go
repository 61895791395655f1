package stack

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// A shape is what a property may hold, derived by reflection from the
// *Props structs, so that the structs are the one list of supported
// properties: the resolver checks every key of the template against it
// (with the key's line) and coerces scalars as CloudFormation does
// ("30" for an integer, 30 for a string).
type shape struct {
	kind   shapeKind
	elem   *shape            // kList, kMap
	fields map[string]*shape // kObject
	// required are the kObject fields CloudFormation requires, tagged
	// `stack:"required"` in the Props structs.
	required []string
}

type shapeKind int

const (
	kAny     shapeKind = iota // free-form: policy documents, event patterns, metadata
	kString                   //
	kInt                      //
	kFloat                    //
	kBool                     //
	kList                     //
	kMap                      // string keys, elem values
	kObject                   // fixed fields
	kStrings                  // a string or a list of strings
)

var (
	anyShape    = &shape{kind: kAny}
	stringShape = &shape{kind: kString}
	boolShape   = &shape{kind: kBool}
	shapes      sync.Map // reflect.Type → *shape
)

var stringListType = reflect.TypeFor[StringList]()

// shapeOf is the shape of values of Go type t.
func shapeOf(t reflect.Type) *shape {
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	s := buildShape(t)
	shapes.Store(t, s)
	return s
}

func buildShape(t reflect.Type) *shape {
	if t == stringListType {
		return &shape{kind: kStrings}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return shapeOf(t.Elem())
	case reflect.String:
		return stringShape
	case reflect.Int, reflect.Int64, reflect.Int32:
		return &shape{kind: kInt}
	case reflect.Float64:
		return &shape{kind: kFloat}
	case reflect.Bool:
		return boolShape
	case reflect.Slice:
		return &shape{kind: kList, elem: shapeOf(t.Elem())}
	case reflect.Map:
		return &shape{kind: kMap, elem: shapeOf(t.Elem())}
	case reflect.Struct:
		s := &shape{kind: kObject, fields: map[string]*shape{}}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			s.fields[name] = shapeOf(f.Type)
			if f.Tag.Get("stack") == "required" {
				s.required = append(s.required, name)
			}
		}
		return s
	}
	return anyShape
}

// fieldNames lists an object shape's properties, for messages and docs.
func (s *shape) fieldNames() []string {
	names := make([]string, 0, len(s.fields))
	for n := range s.fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *shape) describe() string {
	switch s.kind {
	case kString:
		return "a string"
	case kInt:
		return "an integer"
	case kFloat:
		return "a number"
	case kBool:
		return "a boolean"
	case kList:
		return "a list"
	case kStrings:
		return "a string or a list of strings"
	case kMap, kObject:
		return "a mapping"
	}
	return "a value"
}

// conform coerces a resolved value (the result of an intrinsic, or a
// scalar) to shape s, reporting a mismatch at line. Objects produced by
// intrinsics are checked key by key like literal ones.
func (l *loader) conform(v any, s *shape, line int, path string) (any, bool) {
	bad := func() (any, bool) {
		l.problemf(line, "%s: want %s, got %s", path, s.describe(), describeValue(v))
		return nil, false
	}
	switch s.kind {
	case kAny:
		return v, true
	case kString:
		switch x := v.(type) {
		case string:
			return x, true
		case int64, float64, bool:
			return fmt.Sprint(x), true
		}
		return bad()
	case kInt:
		switch x := v.(type) {
		case int64:
			return x, true
		case float64:
			if x == math.Trunc(x) {
				return int64(x), true
			}
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, true
			}
		}
		return bad()
	case kFloat:
		switch x := v.(type) {
		case int64:
			return float64(x), true
		case float64:
			return x, true
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, true
			}
		}
		return bad()
	case kBool:
		switch x := v.(type) {
		case bool:
			return x, true
		case string:
			if strings.EqualFold(x, "true") || strings.EqualFold(x, "false") {
				return strings.EqualFold(x, "true"), true
			}
		}
		return bad()
	case kStrings:
		if str, ok := v.(string); ok {
			return []any{str}, true
		}
		return l.conformList(v, stringShape, line, path, bad)
	case kList:
		return l.conformList(v, s.elem, line, path, bad)
	case kMap, kObject:
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			es := s.elem
			if s.kind == kObject {
				if es = s.fields[k]; es == nil {
					l.unknownProperty(line, path, k, s)
					continue
				}
			}
			if cv, ok := l.conform(e, es, line, path+"."+k); ok {
				out[k] = cv
			}
		}
		l.checkRequired(s, out, line, path)
		return out, true
	}
	return bad()
}

func (l *loader) conformList(v any, elem *shape, line int, path string, bad func() (any, bool)) (any, bool) {
	list, ok := v.([]any)
	if !ok {
		return bad()
	}
	out := make([]any, 0, len(list))
	for i, e := range list {
		if cv, ok := l.conform(e, elem, line, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, cv)
		}
	}
	return out, true
}

// checkRequired reports the required properties an object lacks.
func (l *loader) checkRequired(s *shape, m map[string]any, line int, path string) {
	for _, r := range s.required {
		if _, ok := m[r]; !ok {
			l.problemf(line, "%s: property %s is required", path, r)
		}
	}
}

func (l *loader) unknownProperty(line int, path, key string, s *shape) {
	l.problemf(line, "%s: property %s is not supported by the local cloud (supported: %s)",
		path, key, strings.Join(s.fieldNames(), ", "))
}

func describeValue(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case int64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}
