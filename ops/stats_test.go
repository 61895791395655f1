package ops

import (
	"testing"

	"thumbflow/upload"
)

func TestKindOfExecution(t *testing.T) {
	for _, c := range []struct {
		status, err string
		kind        upload.Kind
		code        string
		ok          bool
	}{
		{"FAILED", "Rejected.CorruptImage", upload.KindUser, "CorruptImage", true},
		{"FAILED", "TransientError", upload.KindSystem, "TransientError", true},
		{"TIMED_OUT", "", upload.KindSystem, "TIMED_OUT", true},
		{"ABORTED", "", upload.KindSystem, "ABORTED", true},
		{"SUCCEEDED", "", "", "", false},
	} {
		kind, code, ok := upload.KindOfExecution(c.status, c.err)
		if kind != c.kind || code != c.code || ok != c.ok {
			t.Errorf("KindOfExecution(%s, %s) = %s %s %v", c.status, c.err, kind, code, ok)
		}
	}
}

func TestSum(t *testing.T) {
	rows := []Execution{
		{UploadID: "a", Status: "SUCCEEDED", DurationMs: 100},
		{UploadID: "b", Status: "SUCCEEDED", DurationMs: 300},
		{UploadID: "c", Status: "SUCCEEDED", DurationMs: 200},
		{UploadID: "d", Status: "FAILED", Kind: upload.KindUser, Code: "CorruptImage"},
		{UploadID: "e", Status: "FAILED", Kind: upload.KindSystem, Code: "TransientError"},
		{UploadID: "e", Status: "SUCCEEDED", DurationMs: 1000}, // its retry
		{UploadID: "f", Status: "RUNNING"},
	}
	got := Sum(rows)
	if got.Executions != 7 || got.Uploads != 6 || got.Running != 1 || got.Succeeded != 4 || got.UserRejections != 1 || got.SystemFailures != 1 {
		t.Errorf("totals %+v", got)
	}
	if got.P50Ms != 200 || got.P95Ms != 1000 {
		t.Errorf("p50 %d p95 %d, want 200 and 1000", got.P50Ms, got.P95Ms)
	}
	if got.ByCode["CorruptImage"] != 1 || got.ByCode["TransientError"] != 1 || len(got.ByCode) != 2 {
		t.Errorf("by code %v", got.ByCode)
	}
	if z := Sum(nil); z.P50Ms != 0 || z.Executions != 0 {
		t.Errorf("empty totals %+v", z)
	}
}
