package main

import (
	"strings"
	"testing"
)

func TestParseFaults(t *testing.T) {
	got, err := parseFaults("convert:transient:1, s3:503:0.1,status:timeout:3,convert:panic,convert:transient:1.0")
	if err != nil {
		t.Fatal(err)
	}
	want := []fault{
		{target: "convert", kind: "transient", count: 1},
		{target: "s3", kind: "503", rate: 0.1},
		{target: "status", kind: "timeout", count: 3},
		{target: "convert", kind: "panic", count: 1},
		{target: "convert", kind: "transient", rate: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("rule %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if d := describeFaults(got[:3]); d != "convert transient on the next call; s3 503 on 10% of calls; status timeout on the next 3 calls" {
		t.Errorf("banner line %q", d)
	}
	for spec, msg := range map[string]string{
		"convert":               "TARGET:KIND",
		"resize:transient":      "unknown target",
		"s3:404":                "503 or 500",
		"convert:transient:0":   "whole number",
		"convert:transient:2.5": "fraction",
		"convert:slow:1":        "transient, timeout or panic",
	} {
		if _, err := parseFaults(spec); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("parseFaults(%q) = %v, want an error saying %q", spec, err, msg)
		}
	}
}
