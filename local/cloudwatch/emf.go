package cloudwatch

import (
	"encoding/json"
	"fmt"
	"time"
)

// emf is the embedded metric format's metadata: _aws in a JSON log line.
type emf struct {
	AWS *struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
}

// IngestLogLine records the metrics of one log line in the embedded metric
// format, as CloudWatch Logs does for a function's log: each metric's
// value (a number or an array of numbers) is the top-level member of its
// name, under each dimension set, whose values are top-level members too.
// A line that is not an EMF document is ignored (ok false); an EMF
// document that breaks the format's rules is an error.
func (s *Service) IngestLogLine(line []byte) (ok bool, err error) {
	var meta emf
	if json.Unmarshal(line, &meta) != nil || meta.AWS == nil {
		return false, nil
	}
	var root map[string]any
	if err := json.Unmarshal(line, &root); err != nil {
		return false, nil
	}
	t := time.UnixMilli(meta.AWS.Timestamp)
	if meta.AWS.Timestamp == 0 {
		t = s.opts.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range meta.AWS.CloudWatchMetrics {
		if d.Namespace == "" {
			return true, fmt.Errorf("embedded metric format: a CloudWatchMetrics directive without Namespace")
		}
		sets := d.Dimensions
		if len(sets) == 0 {
			sets = [][]string{{}}
		}
		for _, m := range d.Metrics {
			values, err := emfValues(root[m.Name])
			if err != nil {
				return true, fmt.Errorf("embedded metric format: metric %s: %w", m.Name, err)
			}
			for _, set := range sets {
				dims, err := emfDimensions(root, set)
				if err != nil {
					return true, err
				}
				for _, v := range values {
					s.add(d.Namespace, m.Name, dims, point{t: t, sum: v, min: v, max: v, n: 1, values: []float64{v}})
				}
			}
		}
	}
	return true, nil
}

func emfValues(v any) ([]float64, error) {
	switch v := v.(type) {
	case float64:
		return []float64{v}, nil
	case []any:
		var out []float64
		for _, e := range v {
			f, ok := e.(float64)
			if !ok {
				return nil, fmt.Errorf("value %v is not a number", e)
			}
			out = append(out, f)
		}
		return out, nil
	}
	return nil, fmt.Errorf("value %v is not a number or an array of numbers", v)
}

func emfDimensions(root map[string]any, names []string) ([]Dimension, error) {
	if len(names) > 30 {
		return nil, fmt.Errorf("embedded metric format: a dimension set has at most 30 dimensions")
	}
	var dims []Dimension
	for _, n := range names {
		v, ok := root[n].(string)
		if !ok {
			return nil, fmt.Errorf("embedded metric format: dimension %s has no string value", n)
		}
		dims = append(dims, Dimension{Name: n, Value: v})
	}
	return dims, nil
}
