package pipeline

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"thumbflow/upload"
)

// A sweep's metrics line is valid embedded metric format in the pipeline's
// namespace, counting the starts it made and the markers it saw, with the
// started uploads named.
func TestSweepMetrics(t *testing.T) {
	var out bytes.Buffer
	a, b := upload.NewID(), upload.NewID()
	if err := writeSweepMetrics(&out, time.Unix(1700000000, 0), upload.SweepReport{Pending: 5, Started: []string{a, b}, Cleared: 1}); err != nil {
		t.Fatal(err)
	}
	lines := parseEMF(t, out.String())
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1", len(lines))
	}
	l := lines[0]
	if l.Directives[0].Namespace != MetricsNamespace || l.Values[MetricSweepStarted] != 2.0 || l.Values[MetricSweepPending] != 5.0 {
		t.Errorf("line %+v", l)
	}
	ids, _ := l.Values["uploadIds"].([]any)
	if !slices.Equal(ids, []any{a, b}) {
		t.Errorf("uploadIds %v, want %s, %s", ids, a, b)
	}
}
