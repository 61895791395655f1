package events

import (
	"errors"
	"testing"
)

// ec2Event is the example event of EventBridge's pattern documentation.
const ec2Event = `{
  "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {
    "instance-id": "i-1234567890abcdef0", "state": "terminated",
    "c-count": 5, "d-count": 7, "x-limit": 301.8,
    "source-ip": "10.0.0.123", "location": "us-west-1b", "FileName": "photo.png",
    "responseElements": null, "eventVersion": "",
    "Filepath": "/usr/lib/libc.so",
    "EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default",
    "tags": ["a", "b"],
    "items": [{"name": "x", "size": 1}, {"name": "y", "size": 9}]
  }
}`

func TestPatternsFromEventBridgesDocumentation(t *testing.T) {
	for _, c := range []struct {
		name, pattern string
		want          bool
	}{
		{"exact source", `{"source":["aws.ec2"]}`, true},
		{"exact other source", `{"source":["aws.s3"]}`, false},
		{"one of", `{"detail":{"state":["running","terminated"]}}`, true},
		{"resource in array", `{"resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}`, true},
		{"array element", `{"detail":{"tags":["b"]}}`, true},
		{"array element absent", `{"detail":{"tags":["c"]}}`, false},
		{"null", `{"detail":{"responseElements":[null]}}`, true},
		{"empty string", `{"detail":{"eventVersion":[""]}}`, true},
		{"string is not a number", `{"detail":{"c-count":["5"]}}`, false},
		{"number by value", `{"detail":{"x-limit":[3.018e2]}}`, true},
		{"missing field", `{"detail":{"nope":["x"]}}`, false},
		{"prefix", `{"time":[{"prefix":"2017-12-22"}]}`, true},
		{"prefix miss", `{"time":[{"prefix":"2018"}]}`, false},
		{"prefix ignoring case", `{"detail-type":[{"prefix":{"equals-ignore-case":"ec2 INSTANCE"}}]}`, true},
		{"suffix", `{"detail":{"FileName":[{"suffix":".png"}]}}`, true},
		{"suffix ignoring case", `{"detail":{"FileName":[{"suffix":{"equals-ignore-case":".PNG"}}]}}`, true},
		{"suffix miss", `{"detail":{"FileName":[{"suffix":".jpg"}]}}`, false},
		{"anything-but value", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, true},
		{"anything-but the value", `{"detail":{"state":[{"anything-but":"terminated"}]}}`, false},
		{"anything-but list", `{"detail":{"state":[{"anything-but":["stopped","terminated"]}]}}`, false},
		{"anything-but number", `{"detail":{"c-count":[{"anything-but":[1,2,3]}]}}`, true},
		{"anything-but prefix", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, true},
		{"anything-but prefix of the value", `{"detail":{"state":[{"anything-but":{"prefix":"term"}}]}}`, false},
		{"anything-but suffix", `{"detail":{"FileName":[{"anything-but":{"suffix":".txt"}}]}}`, true},
		{"anything-but equals-ignore-case", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["Stopped","TERMINATED"]}}]}}`, false},
		{"anything-but wildcard", `{"detail":{"Filepath":[{"anything-but":{"wildcard":"*/lib/*"}}]}}`, false},
		{"anything-but a missing field", `{"detail":{"nope":[{"anything-but":"x"}]}}`, false},
		{"numeric range", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, true},
		{"numeric out of range", `{"detail":{"c-count":[{"numeric":[">",5]}]}}`, false},
		{"numeric on a string", `{"detail":{"state":[{"numeric":[">",0]}]}}`, false},
		{"cidr", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, true},
		{"cidr miss", `{"detail":{"source-ip":[{"cidr":"10.0.1.0/24"}]}}`, false},
		{"exists", `{"detail":{"state":[{"exists":true}]}}`, true},
		{"exists on a missing field", `{"detail":{"nope":[{"exists":true}]}}`, false},
		{"not exists", `{"detail":{"nope":[{"exists":false}]}}`, true},
		{"not exists on a present field", `{"detail":{"state":[{"exists":false}]}}`, false},
		{"exists is for leaves", `{"detail":[{"exists":true}]}`, false},
		{"equals-ignore-case", `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}`, true},
		{"wildcard", `{"detail":{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}}`, true},
		{"wildcard miss", `{"detail":{"EventBusArn":[{"wildcard":"arn:aws:events:eu-west-1:*:event-bus/*"}]}}`, false},
		{"wildcard without star is exact", `{"detail":{"state":[{"wildcard":"terminated"}]}}`, true},
		{"$or", `{"detail":{"$or":[{"c-count":[{"numeric":[">",10]}]},{"d-count":[{"numeric":["<",10]}]}]}}`, true},
		{"$or none", `{"detail":{"$or":[{"c-count":[{"numeric":[">",10]}]},{"d-count":[{"numeric":[">",10]}]}]}}`, false},
		{"$or at the top", `{"source":["aws.ec2"],"$or":[{"region":["eu-west-1"]},{"detail":{"state":["terminated"]}}]}`, true},
		{"AND of fields", `{"source":["aws.ec2"],"detail":{"state":["running"]}}`, false},
		{"array of objects", `{"detail":{"items":{"name":["y"]}}}`, true},
		{"no array consistency", `{"detail":{"items":{"name":["x"],"size":[9]}}}`, true},
		{"exists or value", `{"detail":{"nope":[{"exists":false},"x"]}}`, true},
	} {
		p, err := Compile(c.pattern)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		got, err := p.Matches([]byte(ec2Event))
		if err != nil || got != c.want {
			t.Errorf("%s: %s matches = %v (%v), want %v", c.name, c.pattern, got, err, c.want)
		}
	}
}

func TestInvalidPatternsAreRefused(t *testing.T) {
	for _, p := range []string{
		`[]`, `{"source":"aws.ec2"}`, `{"source":[]}`, `{"source":[{"bogus":1}]}`,
		`{"a":[{"numeric":[">",10,"<",5]}]}`, `{"a":[{"numeric":["!",1]}]}`, `{"a":[{"wildcard":"a**b"}]}`,
		`{"a":[{"exists":"yes"}]}`, `{"$or":[{"a":["x"]}]}`, `{"a":[{"cidr":"10.0.0.1"}]}`,
		`{"a":[{"anything-but":null}]}`, `{"a":[{"prefix":1}]}`,
	} {
		_, err := Compile(p)
		var ie *InvalidPatternError
		if !errors.As(err, &ie) {
			t.Errorf("Compile(%s) = %v, want an InvalidPatternError", p, err)
		}
	}
}

func TestWildcardEscapes(t *testing.T) {
	p, err := Compile(`{"k":[{"wildcard":"a\\*b*c"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	for ev, want := range map[string]bool{`{"k":"a*bXYc"}`: true, `{"k":"aXbc"}`: false, `{"k":"a*bc"}`: true, `{"k":"a*b"}`: false} {
		if got, _ := p.Matches([]byte(ev)); got != want {
			t.Errorf("a\\*b*c on %s = %v, want %v", ev, got, want)
		}
	}
}
