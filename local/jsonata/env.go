package jsonata

// env is a lexical frame of variable bindings. Frames are small slices:
// most hold one to three names, where a map would cost more than it saves.
type env struct {
	parent *env
	names  []string
	vals   []any
	global map[string]any
}

func newEnv(parent *env) *env { return &env{parent: parent} }

// bind sets a variable in this frame (:= never assigns to an outer one).
func (e *env) bind(name string, v any) {
	for i, n := range e.names {
		if n == name {
			e.vals[i] = v
			return
		}
	}
	e.names = append(e.names, name)
	e.vals = append(e.vals, v)
}

// lookup finds a variable in this frame or the nearest enclosing one.
func (e *env) lookup(name string) (any, bool) {
	for f := e; f != nil; f = f.parent {
		for i := len(f.names) - 1; i >= 0; i-- {
			if f.names[i] == name {
				return f.vals[i], true
			}
		}
		if f.global != nil {
			if v, ok := f.global[name]; ok {
				return v, true
			}
		}
	}
	return nil, false
}

// tuple is one binding of a tuple stream: "@" is the context item, the
// other keys are focus (@$v), index (#$i) and ancestor (%) labels.
type tuple map[string]any

// frameFromTuple makes a tuple's bindings visible as variables.
func frameFromTuple(e *env, t tuple) *env {
	f := &env{parent: e, names: make([]string, 0, len(t)), vals: make([]any, 0, len(t))}
	for k, v := range t {
		f.names = append(f.names, k)
		f.vals = append(f.vals, v)
	}
	return f
}
