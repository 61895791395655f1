package stack

import (
	"reflect"
	"strings"
	"testing"
)

// Scalars are coerced as CloudFormation coerces them; anything else of the
// wrong kind is a problem naming what was wanted.
func TestConform(t *testing.T) {
	obj := shapeOf(reflect.TypeFor[struct {
		N    int
		Name string `stack:"required"`
	}]())
	cases := []struct {
		v    any
		s    *shape
		want any
		err  string
	}{
		{"30", &shape{kind: kInt}, int64(30), ""},
		{30.0, &shape{kind: kInt}, int64(30), ""},
		{30.5, &shape{kind: kInt}, nil, "want an integer, got a number"},
		{"x", &shape{kind: kInt}, nil, "want an integer, got a string"},
		{"2.5", &shape{kind: kFloat}, 2.5, ""},
		{int64(2), &shape{kind: kFloat}, 2.0, ""},
		{true, &shape{kind: kFloat}, nil, "want a number, got a boolean"},
		{"TRUE", boolShape, true, ""},
		{"false", boolShape, false, ""},
		{"yes", boolShape, nil, "want a boolean, got a string"},
		{int64(7), stringShape, "7", ""},
		{false, stringShape, "false", ""},
		{[]any{"a"}, stringShape, nil, "want a string, got a list"},
		{"one", &shape{kind: kStrings}, []any{"one"}, ""},
		{[]any{"a", int64(1)}, &shape{kind: kStrings}, []any{"a", "1"}, ""},
		{map[string]any{}, &shape{kind: kList, elem: stringShape}, nil, "want a list, got a mapping"},
		{map[string]any{"N": "3", "Name": "x"}, obj, map[string]any{"N": int64(3), "Name": "x"}, ""},
		{map[string]any{"N": 1.0, "Name": "x", "Other": 1.0}, obj, map[string]any{"N": int64(1), "Name": "x"}, "property Other is not supported by the local cloud (supported: N, Name)"},
		{map[string]any{"N": int64(1)}, obj, map[string]any{"N": int64(1)}, "property Name is required"},
		{nil, stringShape, nil, "want a string, got null"},
	}
	for _, c := range cases {
		l := newLoader(Options{})
		got, _ := l.conform(c.v, c.s, 7, "P")
		if !reflect.DeepEqual(got, c.want) && c.want != nil {
			t.Errorf("%#v as %s: got %#v, want %#v", c.v, c.s.describe(), got, c.want)
		}
		var msgs []string
		for _, p := range l.problems {
			if p.Line != 7 {
				t.Errorf("problem at line %d", p.Line)
			}
			msgs = append(msgs, p.Msg)
		}
		joined := strings.Join(msgs, "; ")
		if (c.err == "") != (joined == "") || !strings.Contains(joined, c.err) {
			t.Errorf("%#v as %s: problems %q, want %q", c.v, c.s.describe(), joined, c.err)
		}
	}
}

func TestScalarTags(t *testing.T) {
	text := "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      DelaySeconds: 0x10\n      VisibilityTimeout: 1_000\n      SqsManagedSseEnabled: True\n      QueueName: ~\n"
	st, err := Load([]byte(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := st.Queue("Q")
	if *q.Props.DelaySeconds != 16 || *q.Props.VisibilityTimeout != 1000 || !q.Props.SqsManagedSseEnabled || q.Name != "thumbflow-q" {
		t.Errorf("queue %+v", q)
	}
}
