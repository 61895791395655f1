package iam

import (
	"os"
	"testing"

	"thumbflow/local/stack"
)

func loadRepoStack(t *testing.T, params map[string]string) *stack.Stack {
	t.Helper()
	p := map[string]string{"WebOrigin": "http://127.0.0.1:8080"}
	for k, v := range params {
		p[k] = v
	}
	st, err := stack.LoadFS(os.DirFS("../.."), "template.yaml", stack.Options{Parameters: p})
	if err != nil {
		t.Fatalf("load template: %v", err)
	}
	return st
}

// TestEveryBucketIsTLSOnly evaluates each bucket's policy as S3 does: any
// request, the administrator's included, on the bucket or any of its
// objects, without TLS is denied explicitly; with TLS the policy denies
// nothing. With access logging off the data buckets keep their policies.
func TestEveryBucketIsTLSOnly(t *testing.T) {
	for _, logging := range []string{"true", "false"} {
		st := loadRepoStack(t, map[string]string{"AccessLogging": logging})
		want := map[string]bool{"UploadsBucket": true, "OutputBucket": true, "RecordsBucket": true, "AccessLogsBucket": logging == "true"}
		for id, exists := range want {
			if (st.Bucket(id) != nil) != exists {
				t.Errorf("AccessLogging=%s: bucket %s exists: %v, want %v", logging, id, st.Bucket(id) != nil, exists)
			}
		}
		for _, b := range st.Buckets {
			var policies []Policy
			for _, p := range b.Policies {
				doc, err := Parse(p.Props.PolicyDocument)
				if err != nil {
					t.Fatalf("%s: %v", p.LogicalID, err)
				}
				policies = append(policies, doc)
			}
			for _, action := range []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:PutBucketPolicy"} {
				for _, resource := range []string{b.ARN, b.ARN + "/any/key"} {
					for _, secure := range []string{"false", "true"} {
						r := Request{Principal: "arn:aws:iam::000000000000:root", Account: "000000000000", Action: action, Resource: resource,
							Context: map[string][]string{"aws:SecureTransport": {secure}}}
						got := Evaluate(r, []Policy{allowAll}, policies)
						if secure == "false" && got != ExplicitDeny {
							t.Errorf("%s: %s on %s without TLS = %s, want ExplicitDeny", b.LogicalID, action, resource, got)
						}
						if secure == "true" && got == ExplicitDeny {
							t.Errorf("%s: %s on %s over TLS is denied", b.LogicalID, action, resource)
						}
					}
				}
			}
		}
	}
}

// TestGrantsAreNarrowed: the records bucket's status and failure records
// can be deleted only by the WebSocket function (the user's "delete");
// the pipeline's functions delete subscriptions only, and every role lists
// the records bucket only under subscriptions/.
func TestGrantsAreNarrowed(t *testing.T) {
	st := loadRepoStack(t, nil)
	pseudo := Pseudo{Partition: "aws", Region: "us-east-1", AccountID: "000000000000"}
	records := st.Bucket("RecordsBucket").ARN
	for _, f := range st.Functions {
		policies, err := FromStack(f.Policies, pseudo)
		if err != nil {
			t.Fatal(err)
		}
		decide := func(action, resource string, ctx map[string][]string) Decision {
			return Evaluate(Request{Principal: f.RoleARN, Account: "000000000000", Action: action, Resource: resource, Context: ctx}, policies, nil)
		}
		switch f.LogicalID {
		case "StartFunction", "ConvertFunction", "StatusFunction", "WebSocketFunction":
		default:
			continue // another function's grants are its own test's
		}
		deletes := f.LogicalID == "WebSocketFunction"
		for _, key := range []string{"status/u1.json", "failures/u1.json"} {
			if got := decide("s3:DeleteObject", records+"/"+key, nil); (got == Allow) != deletes {
				t.Errorf("%s: s3:DeleteObject on %s = %s", f.LogicalID, key, got)
			}
		}
		if got := decide("s3:ListBucket", records, map[string][]string{"s3:prefix": {"subscriptions/u1/"}}); got != Allow {
			t.Errorf("%s cannot list its subscribers (subscriptions/<id>/): %s", f.LogicalID, got)
		}
		for _, prefix := range []string{"", "status/", "failures/"} {
			if got := decide("s3:ListBucket", records, map[string][]string{"s3:prefix": {prefix}}); got == Allow {
				t.Errorf("%s may list the records bucket under %q", f.LogicalID, prefix)
			}
		}
		if got := decide("s3:DeleteObject", records+"/subscriptions/u1/c1", nil); got != Allow {
			t.Errorf("%s cannot forget a subscription: %s", f.LogicalID, got)
		}
	}
}
