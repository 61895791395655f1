package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"thumbflow/upload"
)

// emfLine is what CloudWatch reads from one metrics line.
type emfLine struct {
	Directives []struct {
		Namespace  string
		Dimensions [][]string
		Metrics    []struct{ Name, Unit string }
	}
	Values map[string]any
}

// parseEMF decodes the embedded-metric-format lines the function wrote,
// failing on any line that is not one.
func parseEMF(t *testing.T, out string) []emfLine {
	t.Helper()
	var lines []emfLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("metrics line %q: %v", l, err)
		}
		var head struct {
			AWS struct {
				Timestamp         int64
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
					Metrics    []struct{ Name, Unit string }
				}
			} `json:"_aws"`
		}
		json.Unmarshal([]byte(l), &head)
		if head.AWS.Timestamp == 0 || len(head.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("metrics line %q has no _aws directive", l)
		}
		e := emfLine{Values: v}
		for _, d := range head.AWS.CloudWatchMetrics {
			e.Directives = append(e.Directives, struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}(d))
			// EMF: every metric and dimension named must have a value.
			for _, m := range d.Metrics {
				if _, ok := v[m.Name]; !ok {
					t.Errorf("metric %s has no value in %q", m.Name, l)
				}
			}
			for _, set := range d.Dimensions {
				for _, k := range set {
					if _, ok := v[k].(string); !ok {
						t.Errorf("dimension %s has no string value in %q", k, l)
					}
				}
			}
		}
		lines = append(lines, e)
	}
	return lines
}

func TestStatusPublishesMetricsOfEveryOutcome(t *testing.T) {
	w := newWorld(t)
	var out bytes.Buffer
	h := &Status{Publisher: w.pub, Metrics: &out}
	ctx := context.Background()
	run := func(state upload.State, taskErr *upload.TaskError) {
		t.Helper()
		id := upload.NewID()
		arn := "arn:aws:states:us-east-1:000000000000:execution:thumbnail:" + id + "-v"
		for _, s := range []upload.State{upload.StateConverting, state} {
			in := StatusInput{UploadID: id, State: s, ExecutionARN: arn}
			if s == upload.StateFailed {
				in.Error = taskErr
			}
			if _, err := h.Handle(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(upload.StateSucceeded, nil)
	run(upload.StateFailed, &upload.TaskError{Error: "CorruptImage", Cause: `{"errorMessage":"not an image"}`})
	run(upload.StateFailed, &upload.TaskError{Error: "TransientError", Cause: `{"errorMessage":"slow down"}`})

	lines := parseEMF(t, out.String())
	if len(lines) != 3 {
		t.Fatalf("%d metrics lines, want one per terminal record (converting is not counted):\n%s", len(lines), out.String())
	}
	want := []struct {
		code                 string
		rejections, failures float64
	}{{"", 0, 0}, {"CorruptImage", 1, 0}, {upload.CodeInternal, 0, 1}}
	for i, l := range lines {
		v, w := l.Values, want[i]
		if l.Directives[0].Namespace != MetricsNamespace || v[MetricUploads] != 1.0 ||
			v[MetricUserRejections] != w.rejections || v[MetricSystemFailures] != w.failures {
			t.Errorf("line %d: %v, want uploads 1, rejections %v, failures %v", i, v, w.rejections, w.failures)
		}
		code, _ := v["Code"].(string)
		if code != w.code {
			t.Errorf("line %d: code %q, want %q", i, code, w.code)
		}
	}
	if ms, ok := lines[0].Values[MetricConversionMs].(float64); !ok || ms < 0 {
		t.Errorf("a success reports no ConversionMs: %v", lines[0].Values)
	}
}
