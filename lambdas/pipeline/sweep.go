package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"thumbflow/upload"
)

// The sweeper's metrics, in MetricsNamespace: how many executions a sweep
// started (each one an event the pipeline lost, so anything above zero is
// worth a look) and how many uploads were pending when it looked.
const (
	MetricSweepStarted = "SweepStarted"
	MetricSweepPending = "SweepPending"
)

// Sweep is the scheduled sweeper's handler: the schedule's event only says
// it is time; the sweep itself is upload.Sweeper's.
type Sweep struct {
	Sweeper *upload.Sweeper
	// Metrics receives one embedded-metric-format line per sweep; nil
	// publishes none.
	Metrics io.Writer
	Now     func() time.Time
}

// SweepOutput is what an invocation returns (and the local cloud logs).
type SweepOutput struct {
	Pending int      `json:"pending"`
	Started []string `json:"started"`
	Cleared int      `json:"cleared"`
}

// Handle runs one sweep. The counts are written even when some upload
// could not be settled, so a start that happened is never uncounted; the
// error then fails the invocation, which the function's error metric shows.
func (h *Sweep) Handle(ctx context.Context, ev events.CloudWatchEvent) (SweepOutput, error) {
	rep, err := h.Sweeper.Sweep(ctx)
	out := SweepOutput{Pending: rep.Pending, Started: rep.Started, Cleared: rep.Cleared}
	if out.Started == nil {
		out.Started = []string{}
	}
	if werr := writeSweepMetrics(h.Metrics, h.now(), rep); werr != nil && err == nil {
		err = fmt.Errorf("sweep metrics: %w", werr)
	}
	return out, err
}

func (h *Sweep) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// writeSweepMetrics writes the sweep's metrics line to w.
func writeSweepMetrics(w io.Writer, at time.Time, rep upload.SweepReport) error {
	if w == nil {
		return nil
	}
	var e emf
	e.AWS.Timestamp = at.UnixMilli()
	e.AWS.CloudWatchMetrics = []emfDirective{{Namespace: MetricsNamespace, Dimensions: [][]string{{}}, Metrics: []emfMetric{
		{MetricSweepStarted, "Count"}, {MetricSweepPending, "Count"},
	}}}
	head, err := json.Marshal(e)
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{MetricSweepStarted: len(rep.Started), MetricSweepPending: rep.Pending, "uploadIds": rep.Started})
	if err != nil {
		return err
	}
	line := append(head[:len(head)-1], ',')
	line = append(line, body[1:]...)
	_, err = w.Write(append(line, '\n'))
	return err
}
