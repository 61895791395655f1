package cloudwatch

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"thumbflow/local/awsjson"
	"thumbflow/local/sfn"
)

// Dimension is a metric dimension.
type Dimension struct{ Name, Value string }

// series is one metric: a namespace, a name and a set of dimensions.
type series struct {
	namespace, name string
	dims            []Dimension
	points          []point // by time
}

// point is one datum or a statistic set.
type point struct {
	t                time.Time
	sum, min, max, n float64
	values           []float64 // raw values, for percentiles
}

func seriesKey(namespace, name string, dims []Dimension) string {
	d := append([]Dimension(nil), dims...)
	sort.Slice(d, func(i, j int) bool { return d[i].Name < d[j].Name })
	var b strings.Builder
	b.WriteString(namespace + "\x00" + name)
	for _, x := range d {
		b.WriteString("\x00" + x.Name + "=" + x.Value)
	}
	return b.String()
}

// add records a point. Callers hold s.mu.
func (s *Service) add(namespace, name string, dims []Dimension, p point) {
	k := seriesKey(namespace, name, dims)
	se, ok := s.series[k]
	if !ok {
		se = &series{namespace: namespace, name: name, dims: dims}
		s.series[k] = se
	}
	i := sort.Search(len(se.points), func(i int) bool { return se.points[i].t.After(p.t) })
	se.points = append(se.points, point{})
	copy(se.points[i+1:], se.points[i:])
	se.points[i] = p
	cut := s.opts.Now().Add(-s.opts.Retention)
	j := sort.Search(len(se.points), func(i int) bool { return !se.points[i].t.Before(cut) })
	se.points = se.points[j:]
}

// Put records one value at t.
func (s *Service) Put(namespace, name string, dims []Dimension, value float64, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(namespace, name, dims, point{t: t, sum: value, min: value, max: value, n: 1, values: []float64{value}})
}

// MetricDatum is one entry of PutMetricData.
type MetricDatum struct {
	MetricName      string
	Dimensions      []Dimension
	Timestamp       *float64
	Value           *float64
	Values, Counts  []float64
	StatisticValues *struct{ SampleCount, Sum, Minimum, Maximum float64 }
	Unit            string
}

// PutMetricData records datapoints.
func (s *Service) PutMetricData(ctx context.Context, in struct {
	Namespace  string
	MetricData []MetricDatum
}) (struct{}, error) {
	if in.Namespace == "" || strings.HasPrefix(in.Namespace, "AWS/") {
		return struct{}{}, awsjson.Errorf("InvalidParameterValue", "The value %q for parameter Namespace is not valid: it must be set and not start with AWS/.", in.Namespace)
	}
	if len(in.MetricData) == 0 || len(in.MetricData) > 1000 {
		return struct{}{}, awsjson.Errorf("InvalidParameterValue", "MetricData takes 1 to 1000 items")
	}
	if err := awsjson.Authorize(ctx, "cloudwatch:PutMetricData", "*"); err != nil {
		return struct{}{}, &awsjson.Error{Code: "AccessDenied", Message: err.Error(), Status: 403}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	for _, d := range in.MetricData {
		t := now
		if d.Timestamp != nil {
			t = time.UnixMilli(int64(*d.Timestamp * 1000))
		}
		var p point
		switch {
		case d.Value != nil:
			p = point{sum: *d.Value, min: *d.Value, max: *d.Value, n: 1, values: []float64{*d.Value}}
		case d.StatisticValues != nil:
			v := d.StatisticValues
			p = point{sum: v.Sum, min: v.Minimum, max: v.Maximum, n: v.SampleCount}
		case len(d.Values) > 0:
			p = point{min: math.Inf(1), max: math.Inf(-1)}
			for i, v := range d.Values {
				c := 1.0
				if i < len(d.Counts) {
					c = d.Counts[i]
				}
				p.sum += v * c
				p.n += c
				p.min, p.max = math.Min(p.min, v), math.Max(p.max, v)
				p.values = append(p.values, v)
			}
		default:
			return struct{}{}, awsjson.Errorf("MissingRequiredParameter", "a datum needs Value, Values or StatisticValues (%s)", d.MetricName)
		}
		p.t = t
		s.add(in.Namespace, d.MetricName, d.Dimensions, p)
	}
	return struct{}{}, nil
}

// gauge is a metric the local cloud samples before each evaluation, as AWS
// services publish theirs every minute (AWS/SQS queue depths).
type gauge struct {
	namespace, name string
	dims            []Dimension
	sample          func() (float64, error)
}

// AddGauge samples fn at every evaluation into namespace/name with dims;
// for example AWS/SQS ApproximateNumberOfMessagesVisible by QueueName.
func (s *Service) AddGauge(namespace, name string, dims []Dimension, fn func() (float64, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gauges = append(s.gauges, gauge{namespace, name, dims, fn})
}

func (s *Service) sampleGauges() {
	s.mu.Lock()
	gauges := append([]gauge(nil), s.gauges...)
	s.mu.Unlock()
	now := s.opts.Now()
	for _, g := range gauges {
		v, err := g.sample()
		if err != nil {
			s.log.Warn("sampling a metric", "namespace", g.namespace, "metric", g.name, "error", err)
			continue
		}
		s.Put(g.namespace, g.name, g.dims, v, now)
	}
}

// executionMetric names the AWS/States metric of an ended execution.
var executionMetric = map[string]string{
	"SUCCEEDED": "ExecutionsSucceeded", "FAILED": "ExecutionsFailed",
	"TIMED_OUT": "ExecutionsTimedOut", "ABORTED": "ExecutionsAborted",
}

// ObserveExecution counts an ended execution in AWS/States by
// StateMachineArn, as Step Functions does; it is what
// sfn.Service.OnExecutionEnd takes.
func (s *Service) ObserveExecution(sum sfn.ExecutionSummary) {
	name, ok := executionMetric[sum.Status]
	if !ok {
		return
	}
	t := sum.StopDate
	if t.IsZero() {
		t = s.opts.Now()
	}
	dims := []Dimension{{Name: "StateMachineArn", Value: sum.StateMachineARN}}
	s.Put("AWS/States", name, dims, 1, t)
	s.Put("AWS/States", "ExecutionsStarted", dims, 1, sum.StartDate)
}

// window returns the points of a series in [from, to). Callers hold s.mu.
func (s *Service) window(namespace, name string, dims []Dimension, from, to time.Time) []point {
	se := s.series[seriesKey(namespace, name, dims)]
	if se == nil {
		return nil
	}
	var out []point
	for _, p := range se.points {
		if !p.t.Before(from) && p.t.Before(to) {
			out = append(out, p)
		}
	}
	return out
}

// statistic computes stat (Sum, Average, Minimum, Maximum, SampleCount,
// or pNN) over points; ok is false when there are none.
func statistic(stat string, points []point) (float64, bool, error) {
	if len(points) == 0 {
		return 0, false, nil
	}
	var sum, n float64
	lo, hi := math.Inf(1), math.Inf(-1)
	var values []float64
	for _, p := range points {
		sum += p.sum
		n += p.n
		lo, hi = math.Min(lo, p.min), math.Max(hi, p.max)
		values = append(values, p.values...)
	}
	switch stat {
	case "Sum":
		return sum, true, nil
	case "Average":
		return sum / n, true, nil
	case "Minimum":
		return lo, true, nil
	case "Maximum":
		return hi, true, nil
	case "SampleCount":
		return n, true, nil
	}
	var pct float64
	if _, err := fmt.Sscanf(stat, "p%g", &pct); err != nil || pct < 0 || pct > 100 {
		return 0, false, awsjson.Errorf("InvalidParameterValue", "the local CloudWatch supports Sum, Average, Minimum, Maximum, SampleCount and pNN, not %s", stat)
	}
	if len(values) == 0 {
		return 0, false, nil
	}
	sort.Float64s(values)
	i := int(math.Ceil(pct/100*float64(len(values)))) - 1
	return values[max(i, 0)], true, nil
}

// Datapoint is one period of GetMetricStatistics.
type Datapoint struct {
	Timestamp                                   float64
	Sum, Average, Minimum, Maximum, SampleCount *float64 `json:",omitempty"`
	Unit                                        string
}

// GetMetricStatistics returns a metric's statistics per period.
func (s *Service) GetMetricStatistics(ctx context.Context, in struct {
	Namespace, MetricName string
	Dimensions            []Dimension
	StartTime, EndTime    float64
	Period                int
	Statistics            []string
}) (struct {
	Label      string
	Datapoints []Datapoint
}, error) {
	out := struct {
		Label      string
		Datapoints []Datapoint
	}{Label: in.MetricName, Datapoints: []Datapoint{}}
	if in.Period <= 0 {
		return out, awsjson.Errorf("InvalidParameterValue", "Period must be positive")
	}
	if err := awsjson.Authorize(ctx, "cloudwatch:GetMetricStatistics", "*"); err != nil {
		return out, &awsjson.Error{Code: "AccessDenied", Message: err.Error(), Status: 403}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	period := time.Duration(in.Period) * time.Second
	start := time.UnixMilli(int64(in.StartTime * 1000)).Truncate(period)
	end := time.UnixMilli(int64(in.EndTime * 1000))
	for t := start; t.Before(end); t = t.Add(period) {
		pts := s.window(in.Namespace, in.MetricName, in.Dimensions, t, t.Add(period))
		if len(pts) == 0 {
			continue
		}
		d := Datapoint{Timestamp: float64(t.Unix()), Unit: "None"}
		for _, st := range in.Statistics {
			v, _, err := statistic(st, pts)
			if err != nil {
				return out, err
			}
			switch st {
			case "Sum":
				d.Sum = &v
			case "Average":
				d.Average = &v
			case "Minimum":
				d.Minimum = &v
			case "Maximum":
				d.Maximum = &v
			case "SampleCount":
				d.SampleCount = &v
			}
		}
		out.Datapoints = append(out.Datapoints, d)
	}
	return out, nil
}
