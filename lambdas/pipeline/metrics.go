package pipeline

import (
	"encoding/json"
	"fmt"
	"io"

	"thumbflow/upload"
)

// MetricsNamespace is the CloudWatch namespace of the pipeline's own
// metrics; template.yaml's alarms name it.
const MetricsNamespace = "thumbflow"

// Metric names, as template.yaml's alarms name them.
const (
	MetricUploads        = "Uploads"
	MetricSystemFailures = "SystemFailures"
	MetricUserRejections = "UserRejections"
	MetricConversionMs   = "ConversionMs"
)

// emf is one embedded-metric-format log line: CloudWatch Logs turns it
// into metrics as it ingests the function's output, so publishing costs
// no API call and cannot fail the step.
type emf struct {
	AWS struct {
		Timestamp         int64          `json:"Timestamp"`
		CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// terminalMetrics renders the metrics of a record that has just ended: one
// upload, and whether it was a user rejection or a system failure (both
// always present, 0 or 1, so a rate over them needs no missing-data
// rules). A success also reports how long conversion took; a failure is
// also broken down by its error code. Alarms use the dimensionless sums.
func terminalMetrics(r upload.Record) ([]byte, error) {
	var e emf
	e.AWS.Timestamp = r.UpdatedAt.UnixMilli()
	values := map[string]any{MetricUploads: 1, MetricSystemFailures: 0, MetricUserRejections: 0}
	d := emfDirective{Namespace: MetricsNamespace, Dimensions: [][]string{{}}, Metrics: []emfMetric{
		{MetricUploads, "Count"}, {MetricSystemFailures, "Count"}, {MetricUserRejections, "Count"},
	}}
	switch r.State {
	case upload.StateSucceeded:
		if !r.ConvertingAt.IsZero() {
			values[MetricConversionMs] = r.UpdatedAt.Sub(r.ConvertingAt).Milliseconds()
			d.Metrics = append(d.Metrics, emfMetric{MetricConversionMs, "Milliseconds"})
		}
	case upload.StateFailed:
		code := upload.CodeInternal
		if r.Error != nil {
			code = r.Error.Code
		}
		values["Code"] = code
		d.Dimensions = append(d.Dimensions, []string{"Code"})
		if upload.KindOf(code) == upload.KindUser {
			values[MetricUserRejections] = 1
		} else {
			values[MetricSystemFailures] = 1
		}
	default:
		return nil, fmt.Errorf("metrics of a %s record: only terminal records are counted", r.State)
	}
	e.AWS.CloudWatchMetrics = []emfDirective{d}
	head, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(values)
	if err != nil {
		return nil, err
	}
	// One object: the _aws directive and the values side by side.
	line := append(head[:len(head)-1], ',')
	line = append(line, body[1:]...)
	return append(line, '\n'), nil
}

// writeMetrics writes r's metrics line to w, if r is terminal.
func writeMetrics(w io.Writer, r upload.Record) error {
	if w == nil || !r.State.Terminal() {
		return nil
	}
	line, err := terminalMetrics(r)
	if err != nil {
		return err
	}
	_, err = w.Write(line)
	return err
}
