package asl

// batcher is a distributed Map's ItemBatcher: the items (after
// ItemSelector) go to the child executions in batches of at most
// MaxItemsPerBatch items and MaxInputBytesPerBatch bytes, each as
// {"BatchInput": ..., "Items": [...]}.
type batcher struct {
	maxItems, maxBytes         *int64
	maxItemsPath, maxBytesPath *path  // JSONPath
	jmaxItems, jmaxBytes       *jtmpl // JSONata expressions
	input                      *tmpl  // BatchInput, JSONPath
	jinput                     *jtmpl // BatchInput, JSONata
}

// checkBatcher reads ItemBatcher, which AWS allows in a DISTRIBUTED Map
// only and which needs a batch limit.
func checkBatcher(c *checker, s *state, f fields) {
	v, ok := f.o["ItemBatcher"]
	if !ok {
		return
	}
	o, isObj := v.(map[string]any)
	if !isObj {
		c.add(s.name, "ItemBatcher must be a JSON object")
		return
	}
	if !s.distributed {
		c.add(s.name, "ItemBatcher is only supported in a DISTRIBUTED Map")
	}
	allowed := map[string]bool{"MaxItemsPerBatch": true, "MaxInputBytesPerBatch": true, "BatchInput": true}
	if !s.jsonata {
		allowed["MaxItemsPerBatchPath"], allowed["MaxInputBytesPerBatchPath"] = true, true
	}
	for k := range o {
		if !allowed[k] {
			c.add(s.name, "ItemBatcher: the field %q is not supported", k)
		}
	}
	bf := fields{c: c, name: s.name, o: o, jsonata: s.jsonata}
	b := &batcher{
		maxItems: bf.int("MaxItemsPerBatch"), maxBytes: bf.int("MaxInputBytesPerBatch"),
		jmaxItems: bf.jexprField("MaxItemsPerBatch"), jmaxBytes: bf.jexprField("MaxInputBytesPerBatch"),
	}
	if !s.jsonata {
		b.maxItemsPath, b.maxBytesPath = bf.path("MaxItemsPerBatchPath"), bf.path("MaxInputBytesPerBatchPath")
	}
	for _, n := range []*int64{b.maxItems, b.maxBytes} {
		if n != nil && *n <= 0 {
			c.add(s.name, "ItemBatcher: MaxItemsPerBatch and MaxInputBytesPerBatch must be positive")
		}
	}
	if b.maxBytes != nil && *b.maxBytes > maxPayload {
		c.add(s.name, "ItemBatcher: MaxInputBytesPerBatch must be at most %d", maxPayload)
	}
	if b.maxItems == nil && b.maxBytes == nil && b.maxItemsPath == nil && b.maxBytesPath == nil && b.jmaxItems == nil && b.jmaxBytes == nil {
		c.add(s.name, "ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch")
	}
	if _, ok := o["BatchInput"]; ok {
		if s.jsonata {
			b.jinput = bf.jtmpl("BatchInput")
		} else {
			b.input = bf.tmpl("BatchInput")
		}
	}
	s.batcher = b
}

// batchLimit is one of the limits: a constant, a path's value or an
// expression's; zero when unset.
func (sr *stateRun) batchLimit(n *int64, p *path, t *jtmpl, field string, sc scope) (int64, *failure) {
	switch {
	case n != nil:
		return *n, nil
	case t != nil:
		return sr.jint(t, jdata{input: sc.input})
	case p != nil:
		v, ok := p.get(sc)
		x, isInt := toIntOrString(v)
		if !ok || !isInt || x <= 0 {
			return 0, sr.runtime("The %sPath field refers to value \"%s\" which is not a valid positive integer: %s", field, plain(v), p.src)
		}
		return x, nil
	}
	return 0, nil
}

// batch groups a Map's iteration inputs as its ItemBatcher says.
func (sr *stateRun) batch(sc scope, inputs []any) ([]any, *failure) {
	b := sr.s.batcher
	maxItems, f := sr.batchLimit(b.maxItems, b.maxItemsPath, b.jmaxItems, "MaxItemsPerBatch", sc)
	if f != nil {
		return nil, f
	}
	maxBytes, f := sr.batchLimit(b.maxBytes, b.maxBytesPath, b.jmaxBytes, "MaxInputBytesPerBatch", sc)
	if f != nil {
		return nil, f
	}
	var batchInput any
	switch {
	case b.jinput != nil:
		batchInput, f = sr.evalJ(b.jinput, jdata{input: sc.input})
	case b.input != nil:
		batchInput, f = sr.evalTmplScope(b.input, sc)
	}
	if f != nil {
		return nil, f
	}
	wrap := func(items []any) any {
		m := map[string]any{"Items": items}
		if batchInput != nil {
			m["BatchInput"] = deepCopy(batchInput)
		}
		return m
	}
	// A batch's size is its envelope's plus each item's and a comma
	// between items.
	empty := int64(len(jsonText(wrap([]any{}))))
	var out, cur []any
	size := empty
	for i, item := range inputs {
		n := int64(len(jsonText(item)))
		grown := size + n
		if len(cur) > 0 {
			grown++
		}
		if len(cur) > 0 && (maxItems > 0 && int64(len(cur)) >= maxItems || maxBytes > 0 && grown > maxBytes) {
			out = append(out, wrap(cur))
			cur, grown = nil, empty+n
		}
		if maxBytes > 0 && grown > maxBytes {
			return nil, sr.runtime("The item at index %d does not fit in a batch of at most %d bytes (MaxInputBytesPerBatch)", i, maxBytes)
		}
		cur, size = append(cur, item), grown
	}
	if len(cur) > 0 {
		out = append(out, wrap(cur))
	}
	return out, nil
}
