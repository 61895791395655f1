package iam

import (
	"os"
	"testing"

	"thumbflow/local/stack"
)

// TestTheStacksOwnRoles evaluates the roles template.yaml declares, as the
// local cloud will: what each function needs is allowed, and what it does
// not need is not.
func TestTheStacksOwnRoles(t *testing.T) {
	tpl, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := stack.LoadFS(os.DirFS("../.."), "template.yaml", stack.Options{Parameters: map[string]string{"WebOrigin": "http://127.0.0.1:8080"}})
	if err != nil {
		t.Fatalf("load template (%d bytes): %v", len(tpl), err)
	}
	pseudo := Pseudo{Partition: "aws", Region: "us-east-1", AccountID: "000000000000"}
	roleOf := func(logicalID string) []Policy {
		t.Helper()
		var ps []stack.Policy
		if f := st.Function(logicalID); f != nil {
			ps = f.Policies
		} else if sm := st.StateMachine(logicalID); sm != nil {
			ps = sm.Policies
		} else {
			t.Fatalf("no function or state machine %s", logicalID)
		}
		pol, err := FromStack(ps, pseudo)
		if err != nil {
			t.Fatalf("%s: %v", logicalID, err)
		}
		return pol
	}
	uploads := st.Bucket("UploadsBucket").ARN
	output := st.Bucket("OutputBucket").ARN
	records := st.Bucket("RecordsBucket").ARN
	convert := st.Function("ConvertFunction")
	status := st.Function("StatusFunction")
	for _, c := range []struct {
		role, action, resource string
		want                   Decision
	}{
		{"ConvertFunction", "s3:GetObjectVersion", uploads + "/uploads/abc", Allow},
		{"ConvertFunction", "s3:PutObject", output + "/renditions/abc/thumb.jpg", Allow},
		{"ConvertFunction", "s3:PutObject", uploads + "/uploads/abc", ImplicitDeny},
		{"ConvertFunction", "s3:GetObject", records + "/status/abc.json", Allow},
		{"ConvertFunction", "states:StartExecution", st.StateMachine("ThumbnailStateMachine").ARN, ImplicitDeny},
		{"StartFunction", "states:StartExecution", st.StateMachine("ThumbnailStateMachine").ARN, Allow},
		{"StartFunction", "s3:PutObject", output + "/renditions/abc/thumb.jpg", ImplicitDeny},
		{"ThumbnailStateMachine", "lambda:InvokeFunction", convert.ARN, Allow},
		{"ThumbnailStateMachine", "lambda:InvokeFunction", status.ARN, Allow},
		{"ThumbnailStateMachine", "lambda:InvokeFunction", st.Function("WebSocketFunction").ARN, ImplicitDeny},
	} {
		r := Request{Principal: "arn:aws:iam::000000000000:role/" + c.role, Account: "000000000000", Action: c.action, Resource: c.resource}
		if got := Evaluate(r, roleOf(c.role), nil); got != c.want {
			t.Errorf("%s %s on %s = %s, want %s", c.role, c.action, c.resource, got, c.want)
		}
	}
}
