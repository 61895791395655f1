package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Evaluate samples the gauges and evaluates every alarm at the service's
// clock, running the actions of each state change. Run calls it every
// minute; tests call it after stepping their clock.
func (s *Service) Evaluate(ctx context.Context) {
	s.sampleGauges()
	s.mu.Lock()
	var changes []struct{ name, state, reason, data string }
	now := s.opts.Now()
	for _, a := range s.alarms {
		state, reason, data := s.evaluate(a, now)
		if state != "" && state != a.StateValue {
			changes = append(changes, struct{ name, state, reason, data string }{a.AlarmName, state, reason, data})
		}
	}
	s.mu.Unlock()
	for _, c := range changes {
		s.transition(ctx, c.name, c.state, c.reason, c.data)
	}
}

// evaluate decides an alarm's state from its last EvaluationPeriods
// complete periods: a period breaches when its statistic compares true
// with the threshold; DatapointsToAlarm (default EvaluationPeriods)
// breaching periods raise ALARM. Missing periods follow TreatMissingData:
// notBreaching and breaching count them so, missing and ignore leave them
// out; when every period is missing, missing gives INSUFFICIENT_DATA and
// ignore keeps the state (""). Callers hold s.mu.
func (s *Service) evaluate(a *alarm, now time.Time) (state, reason, data string) {
	period := time.Duration(a.Period) * time.Second
	end := now.Truncate(period)
	stat := a.Statistic
	if stat == "" {
		stat = a.ExtendedStatistic
	}
	m := a.DatapointsToAlarm
	if m == 0 {
		m = a.EvaluationPeriods
	}
	cmp := comparisons[a.ComparisonOperator]
	var recent []float64
	breaching, present := 0, 0
	for i := 0; i < a.EvaluationPeriods; i++ {
		from := end.Add(-time.Duration(i+1) * period)
		v, ok, err := s.periodValue(a, stat, from, period)
		if err != nil {
			return "", "", ""
		}
		switch {
		case ok:
			present++
			recent = append(recent, v)
			if cmp(v, *a.Threshold) {
				breaching++
			}
		case a.TreatMissingData == "breaching":
			breaching++
		}
	}
	threshold := fmt.Sprintf("the threshold (%v)", *a.Threshold)
	if present == 0 {
		switch a.TreatMissingData {
		case "notBreaching":
			return "OK", "Threshold Crossed: no datapoints were received for " + plural(a.EvaluationPeriods, "period") + " and missing data is treated as not breaching.", ""
		case "breaching":
			return "ALARM", "Threshold Crossed: no datapoints were received for " + plural(a.EvaluationPeriods, "period") + " and missing data is treated as breaching.", ""
		case "ignore":
			return "", "", ""
		}
		return "INSUFFICIENT_DATA", "Insufficient Data: " + plural(a.EvaluationPeriods, "datapoint") + " were unknown.", ""
	}
	b, _ := json.Marshal(map[string]any{"version": "1.0", "queryDate": now.UTC().Format("2006-01-02T15:04:05.000+0000"),
		"statistic": stat, "period": a.Period, "recentDatapoints": recent, "threshold": *a.Threshold})
	if breaching >= m {
		return "ALARM", fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints %v were %s %s.", breaching, a.EvaluationPeriods, recent, verb(a.ComparisonOperator), threshold), string(b)
	}
	return "OK", fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints %v were not %s %s.", a.EvaluationPeriods-breaching, a.EvaluationPeriods, recent, verb(a.ComparisonOperator), threshold), string(b)
}

// periodValue is the alarm's value over one period: its metric's
// statistic, or its metric math's returned entry. Callers hold s.mu.
func (s *Service) periodValue(a *alarm, stat string, from time.Time, period time.Duration) (float64, bool, error) {
	if len(a.Metrics) > 0 {
		return s.mathValue(a.Metrics, from, period)
	}
	return statistic(stat, s.window(a.Namespace, a.MetricName, a.Dimensions, from, from.Add(period)))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func verb(op string) string {
	words := strings.NewReplacer("GreaterThanOrEqualTo", "greater than or equal to ", "GreaterThan", "greater than ",
		"LessThanOrEqualTo", "less than or equal to ", "LessThan", "less than ", "Threshold", "")
	return strings.TrimSpace(words.Replace(op))
}

// transition moves an alarm to state and runs the state's actions.
func (s *Service) transition(ctx context.Context, name, state, reason, data string) {
	s.mu.Lock()
	a, ok := s.alarms[name]
	if !ok {
		s.mu.Unlock()
		return
	}
	old := a.StateValue
	a.StateValue, a.StateReason, a.StateReasonData, a.changed = state, reason, data, s.opts.Now()
	snapshot := a.MetricAlarm
	changed := a.changed
	s.mu.Unlock()
	s.log.Info("alarm state changed", "alarm", name, "from", old, "to", state, "reason", reason)
	if snapshot.ActionsEnabled != nil && !*snapshot.ActionsEnabled {
		return
	}
	actions := map[string][]string{"OK": snapshot.OKActions, "ALARM": snapshot.AlarmActions, "INSUFFICIENT_DATA": snapshot.InsufficientDataActions}[state]
	if len(actions) == 0 {
		return
	}
	subject, message := s.notification(snapshot, old, changed)
	for _, arn := range actions {
		if s.opts.Action == nil {
			s.log.Info("alarm action (no local handler)", "alarm", name, "action", arn)
			continue
		}
		if err := s.opts.Action(ctx, snapshot.AlarmArn, arn, subject, message); err != nil {
			s.log.Error("alarm action failed", "alarm", name, "action", arn, "error", err)
		}
	}
}

// regionNames are the names CloudWatch's alarm messages use.
var regionNames = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
	"us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-central-1": "EU (Frankfurt)",
}

// notification is what CloudWatch publishes to an SNS action: the subject
// `ALARM: "name" in Region` and the alarm's JSON.
func (s *Service) notification(a MetricAlarm, old string, at time.Time) (subject, message string) {
	region := regionNames[s.opts.Region]
	if region == "" {
		region = s.opts.Region
	}
	subject = fmt.Sprintf("%s: %q in %s", a.StateValue, a.AlarmName, region)
	if len(subject) > 100 {
		subject = subject[:100]
	}
	stat := strings.ToUpper(a.Statistic)
	statType := "Statistic"
	if a.ExtendedStatistic != "" {
		stat, statType = a.ExtendedStatistic, "ExtendedStatistic"
	}
	dims := []map[string]string{}
	for _, d := range a.Dimensions {
		dims = append(dims, map[string]string{"name": d.Name, "value": d.Value})
	}
	b, _ := json.Marshal(map[string]any{
		"AlarmName": a.AlarmName, "AlarmDescription": a.AlarmDescription, "AWSAccountId": s.opts.AccountID,
		"NewStateValue": a.StateValue, "NewStateReason": a.StateReason, "StateChangeTime": at.UTC().Format("2006-01-02T15:04:05.000+0000"),
		"Region": region, "AlarmArn": a.AlarmArn, "OldStateValue": old,
		"OKActions": a.OKActions, "AlarmActions": a.AlarmActions, "InsufficientDataActions": a.InsufficientDataActions,
		"Trigger": map[string]any{
			"MetricName": a.MetricName, "Namespace": a.Namespace, "StatisticType": statType, "Statistic": stat, "Unit": nil,
			"Dimensions": dims, "Period": a.Period, "EvaluationPeriods": a.EvaluationPeriods, "DatapointsToAlarm": max(a.DatapointsToAlarm, a.EvaluationPeriods*boolInt(a.DatapointsToAlarm == 0)),
			"ComparisonOperator": a.ComparisonOperator, "Threshold": *a.Threshold, "TreatMissingData": a.TreatMissingData, "EvaluateLowSampleCountPercentile": "",
		},
	})
	return subject, string(b)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
