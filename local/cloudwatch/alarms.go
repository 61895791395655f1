package cloudwatch

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"thumbflow/local/awsjson"
	"thumbflow/local/stack"
)

// MetricAlarm is an alarm as PutMetricAlarm takes it and DescribeAlarms
// returns it (API field names).
type MetricAlarm struct {
	AlarmName, AlarmArn                                 string
	AlarmDescription                                    string `json:",omitempty"`
	ActionsEnabled                                      *bool
	OKActions, AlarmActions                             []string
	InsufficientDataActions                             []string
	Namespace, MetricName                               string
	Dimensions                                          []Dimension
	Statistic                                           string `json:",omitempty"`
	ExtendedStatistic                                   string `json:",omitempty"`
	Unit                                                string `json:",omitempty"`
	Period, EvaluationPeriods                           int
	DatapointsToAlarm                                   int `json:",omitempty"`
	Threshold                                           *float64
	ComparisonOperator                                  string
	TreatMissingData                                    string            `json:",omitempty"`
	Metrics                                             []MetricDataQuery `json:",omitempty"`
	StateValue, StateReason                             string
	StateReasonData                                     string   `json:",omitempty"`
	StateUpdatedTimestamp                               *float64 `json:",omitempty"`
	StateTransitionedTimestamp                          *float64 `json:",omitempty"`
	AlarmConfigurationUpdatedTimestamp                  *float64 `json:",omitempty"`
	EvaluationState                                     string   `json:",omitempty"`
	ThresholdMetricId, EvaluateLowSampleCountPercentile string   `json:",omitempty"`
}

// alarm is a metric alarm and its state.
type alarm struct {
	MetricAlarm
	updated, changed time.Time
}

var comparisons = map[string]func(v, t float64) bool{
	"GreaterThanOrEqualToThreshold": func(v, t float64) bool { return v >= t },
	"GreaterThanThreshold":          func(v, t float64) bool { return v > t },
	"LessThanThreshold":             func(v, t float64) bool { return v < t },
	"LessThanOrEqualToThreshold":    func(v, t float64) bool { return v <= t },
}

func epoch(t time.Time) *float64 {
	if t.IsZero() {
		return nil
	}
	v := float64(t.UnixMilli()) / 1000
	return &v
}

func (s *Service) alarmARN(name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", s.opts.Region, s.opts.AccountID, name)
}

// check refuses what CloudWatch refuses, and what the local one does not
// evaluate (metric math functions, anomaly detection); it compiles a
// metric math alarm's expressions.
func (a *MetricAlarm) check() error {
	bad := func(format string, args ...any) error { return awsjson.Errorf("ValidationError", format, args...) }
	switch {
	case a.AlarmName == "":
		return bad("AlarmName is required")
	case len(a.Metrics) > 0:
		if a.MetricName != "" || a.Statistic != "" || a.ExtendedStatistic != "" {
			return bad("Metrics excludes MetricName, Namespace, Statistic and ExtendedStatistic")
		}
		period, err := compileMetrics(a.Metrics)
		if err != nil {
			return err
		}
		a.Period = period
		return a.checkThreshold()
	case a.MetricName == "" || a.Namespace == "":
		return bad("MetricName and Namespace are required")
	case (a.Statistic == "") == (a.ExtendedStatistic == ""):
		return bad("exactly one of Statistic and ExtendedStatistic is required")
	}
	return a.checkThreshold()
}

// checkThreshold checks what every alarm has.
func (a *MetricAlarm) checkThreshold() error {
	bad := func(format string, args ...any) error { return awsjson.Errorf("ValidationError", format, args...) }
	switch {
	case a.Period < 10 || (a.Period > 30 && a.Period%60 != 0):
		return bad("Period must be 10, 20, 30 or a multiple of 60")
	case a.EvaluationPeriods < 1:
		return bad("EvaluationPeriods must be at least 1")
	case a.DatapointsToAlarm > a.EvaluationPeriods:
		return bad("DatapointsToAlarm must be at most EvaluationPeriods")
	case a.Threshold == nil:
		return bad("Threshold is required")
	case comparisons[a.ComparisonOperator] == nil:
		return bad("ComparisonOperator %q is not supported locally", a.ComparisonOperator)
	}
	switch a.TreatMissingData {
	case "", "missing", "notBreaching", "breaching", "ignore":
	default:
		return bad("TreatMissingData must be missing, notBreaching, breaching or ignore")
	}
	return nil
}

// PutMetricAlarm creates or updates an alarm; a new alarm starts in
// INSUFFICIENT_DATA and an update keeps its state, as on CloudWatch.
func (s *Service) PutMetricAlarm(ctx context.Context, in MetricAlarm) (struct{}, error) {
	if err := in.check(); err != nil {
		return struct{}{}, err
	}
	if err := s.authorize(ctx, "PutMetricAlarm", s.alarmARN(in.AlarmName)); err != nil {
		return struct{}{}, err
	}
	s.putAlarm(in, "")
	return struct{}{}, nil
}

func (s *Service) putAlarm(in MetricAlarm, arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if arn == "" {
		arn = s.alarmARN(in.AlarmName)
	}
	a := &alarm{MetricAlarm: in, updated: now, changed: now}
	a.AlarmArn = arn
	a.StateValue, a.StateReason = "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"
	if old, ok := s.alarms[in.AlarmName]; ok {
		a.StateValue, a.StateReason, a.StateReasonData, a.changed = old.StateValue, old.StateReason, old.StateReasonData, old.changed
	}
	for _, l := range []*[]string{&a.OKActions, &a.AlarmActions, &a.InsufficientDataActions} {
		if *l == nil {
			*l = []string{}
		}
	}
	s.alarms[in.AlarmName] = a
}

// CreateFromTemplate creates the template's alarm under its stack name and
// ARN.
func (s *Service) CreateFromTemplate(t *stack.Alarm) error {
	p := t.Props
	th := p.Threshold
	a := MetricAlarm{
		AlarmName: t.Name, AlarmDescription: p.AlarmDescription, ActionsEnabled: p.ActionsEnabled,
		OKActions: p.OKActions, AlarmActions: p.AlarmActions, InsufficientDataActions: p.InsufficientDataActions,
		Namespace: p.Namespace, MetricName: p.MetricName, Statistic: p.Statistic, ExtendedStatistic: p.ExtendedStatistic,
		Unit: p.Unit, Period: p.Period, EvaluationPeriods: p.EvaluationPeriods, DatapointsToAlarm: p.DatapointsToAlarm,
		Threshold: &th, ComparisonOperator: p.ComparisonOperator, TreatMissingData: p.TreatMissingData,
	}
	for _, d := range p.Dimensions {
		a.Dimensions = append(a.Dimensions, Dimension{Name: d.Name, Value: d.Value})
	}
	for _, q := range p.Metrics {
		a.Metrics = append(a.Metrics, metricQuery(q))
	}
	if err := a.check(); err != nil {
		return fmt.Errorf("cloudwatch: alarm %s: %w", t.Name, err)
	}
	s.putAlarm(a, t.ARN)
	return nil
}

// metricQuery converts one of a template alarm's Metrics (a metric-math
// alarm).
func metricQuery(q stack.AlarmMetricQuery) MetricDataQuery {
	out := MetricDataQuery{Id: q.Id, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData, Period: q.Period}
	if m := q.MetricStat; m != nil {
		st := &MetricStat{Period: m.Period, Stat: m.Stat, Unit: m.Unit}
		st.Metric.Namespace, st.Metric.MetricName = m.Metric.Namespace, m.Metric.MetricName
		for _, d := range m.Metric.Dimensions {
			st.Metric.Dimensions = append(st.Metric.Dimensions, Dimension{Name: d.Name, Value: d.Value})
		}
		out.MetricStat = st
	}
	return out
}

func (s *Service) authorize(ctx context.Context, action, resource string) error {
	if err := awsjson.Authorize(ctx, "cloudwatch:"+action, resource); err != nil {
		return &awsjson.Error{Code: "AccessDenied", Message: err.Error(), Status: 403}
	}
	return nil
}

// DescribeAlarms lists alarms by names, prefix or state.
func (s *Service) DescribeAlarms(ctx context.Context, in struct {
	AlarmNames                  []string
	AlarmNamePrefix, StateValue string
}) (struct{ MetricAlarms, CompositeAlarms []MetricAlarm }, error) {
	out := struct{ MetricAlarms, CompositeAlarms []MetricAlarm }{MetricAlarms: []MetricAlarm{}, CompositeAlarms: []MetricAlarm{}}
	if err := s.authorize(ctx, "DescribeAlarms", "*"); err != nil {
		return out, err
	}
	out.MetricAlarms = s.Alarms(in.AlarmNames, in.AlarmNamePrefix, in.StateValue)
	return out, nil
}

// Alarms returns the alarms' current configuration and state, filtered
// as DescribeAlarms filters (empty arguments match every alarm), for
// operators' pages as well as the API.
func (s *Service) Alarms(names []string, prefix, state string) []MetricAlarm {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []MetricAlarm
	for _, a := range s.alarms {
		if (len(names) > 0 && !slices.Contains(names, a.AlarmName)) || !strings.HasPrefix(a.AlarmName, prefix) || (state != "" && a.StateValue != state) {
			continue
		}
		m := a.MetricAlarm
		m.StateUpdatedTimestamp, m.StateTransitionedTimestamp, m.AlarmConfigurationUpdatedTimestamp = epoch(a.changed), epoch(a.changed), epoch(a.updated)
		if m.ActionsEnabled == nil {
			t := true
			m.ActionsEnabled = &t
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AlarmName < out[j].AlarmName })
	return out
}

// SetAlarmState sets an alarm's state until its next evaluation, running
// the state's actions, as CloudWatch does (to test actions).
func (s *Service) SetAlarmState(ctx context.Context, in struct{ AlarmName, StateValue, StateReason, StateReasonData string }) (struct{}, error) {
	switch in.StateValue {
	case "OK", "ALARM", "INSUFFICIENT_DATA":
	default:
		return struct{}{}, awsjson.Errorf("ValidationError", "StateValue must be OK, ALARM or INSUFFICIENT_DATA")
	}
	s.mu.Lock()
	a, ok := s.alarms[in.AlarmName]
	s.mu.Unlock()
	if !ok {
		return struct{}{}, &awsjson.Error{Code: "ResourceNotFound", Message: "Alarm " + in.AlarmName + " does not exist", Status: 404}
	}
	if err := s.authorize(ctx, "SetAlarmState", a.AlarmArn); err != nil {
		return struct{}{}, err
	}
	s.transition(ctx, in.AlarmName, in.StateValue, in.StateReason, in.StateReasonData)
	return struct{}{}, nil
}

// DeleteAlarms deletes alarms by name.
func (s *Service) DeleteAlarms(ctx context.Context, in struct{ AlarmNames []string }) (struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range in.AlarmNames {
		if a, ok := s.alarms[n]; ok {
			if err := s.authorize(ctx, "DeleteAlarms", a.AlarmArn); err != nil {
				return struct{}{}, err
			}
			delete(s.alarms, n)
		}
	}
	return struct{}{}, nil
}

func (s *Service) operations() map[string]awsjson.Operation {
	return map[string]awsjson.Operation{
		"PutMetricData":       awsjson.Op(s.PutMetricData),
		"GetMetricStatistics": awsjson.Op(s.GetMetricStatistics),
		"PutMetricAlarm":      awsjson.Op(s.PutMetricAlarm),
		"DescribeAlarms":      awsjson.Op(s.DescribeAlarms),
		"SetAlarmState":       awsjson.Op(s.SetAlarmState),
		"DeleteAlarms":        awsjson.Op(s.DeleteAlarms),
	}
}
