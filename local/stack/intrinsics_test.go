package stack

import (
	"strings"
	"testing"
	"testing/fstest"
)

// Intrinsics on a small template: its outputs show what each resolves to.

const small = `
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Zones:
    Type: CommaDelimitedList
    Default: "a,b,c"
  Size:
    Type: Number
    Default: 5
    MinValue: 1
    MaxValue: 10
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: {"Fn::Not": [{"Condition": "IsProd"}]}
  Both: !And [!Condition IsDev, !Equals ["5", !Ref Size]]
  Either: !Or [!Condition IsProd, !Equals [a, b]]
Resources:
  DataBucket:
    Type: AWS::S3::Bucket
    Properties:
      Tags:
        - Key: env
          Value: !Ref Env
        - !If [IsProd, {Key: prod, Value: "yes"}, !Ref AWS::NoValue]
      VersioningConfiguration: !If [IsProd, {Status: Enabled}, !Ref "AWS::NoValue"]
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: "45"
      DelaySeconds: !Ref Size
Outputs:
  Sub:
    Value: !Sub "${AWS::StackName}/${AWS::Region}/${AWS::AccountId}/${AWS::Partition}/${AWS::URLSuffix}/${Env}"
  SubAttr:
    Value: !Sub "${DataBucket.Arn} ${Jobs} ${!Literal} ${ Env }"
  SubVars:
    Value: {"Fn::Sub": ["${Name}-${Jobs.QueueName}", {Name: !Ref DataBucket}]}
  Join:
    Value: !Join [",", [!Ref Env, !GetAtt [Jobs, Arn], "x"]]
  JoinList:
    Value: !Join ["+", !Ref Zones]
  Select:
    Value: !Select [1, !Ref Zones]
  SelectString:
    Value: !Select ["2", [p, q, r]]
  If:
    Value: !If [IsProd, production, development]
  Long:
    Value: {"Fn::Join": ["", [{"Ref": "Env"}, {"Fn::GetAtt": "DataBucket.DomainName"}]]}
  Number:
    Value: !Ref Size
  ProdOnly:
    Condition: IsProd
    Value: only in prod
  StackId:
    Value: !Ref AWS::StackId
`

func loadSmall(t *testing.T, params map[string]string) *Stack {
	t.Helper()
	st, err := Load([]byte(small), Options{Parameters: params})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestIntrinsics(t *testing.T) {
	st := loadSmall(t, nil)
	want := map[string]string{
		"Sub":          "thumbflow/us-east-1/000000000000/aws/amazonaws.com/dev",
		"SubAttr":      "arn:aws:s3:::thumbflow-data https://sqs.us-east-1.amazonaws.com/000000000000/thumbflow-jobs ${Literal} dev",
		"SubVars":      "thumbflow-data-thumbflow-jobs",
		"Join":         "dev,arn:aws:sqs:us-east-1:000000000000:thumbflow-jobs,x",
		"JoinList":     "a+b+c",
		"Select":       "b",
		"SelectString": "r",
		"If":           "development",
		"Long":         "devthumbflow-data.s3.amazonaws.com",
		"Number":       "5",
	}
	for k, v := range want {
		if st.Outputs[k] != v {
			t.Errorf("%s = %q, want %q", k, st.Outputs[k], v)
		}
	}
	if _, ok := st.Outputs["ProdOnly"]; ok {
		t.Error("an output whose condition is false is not created")
	}
	if id := st.Outputs["StackId"]; !strings.HasPrefix(id, "arn:aws:cloudformation:us-east-1:000000000000:stack/thumbflow/") {
		t.Errorf("StackId %s", id)
	}
	if c := st.Conditions; c["IsProd"] || !c["IsDev"] || !c["Both"] || c["Either"] {
		t.Errorf("conditions %v", c)
	}
	b := st.Bucket("DataBucket")
	if len(b.Props.Tags) != 1 || b.Props.VersioningConfiguration != nil || b.Versioned {
		t.Errorf("AWS::NoValue drops the tag and the property: %+v", b.Props)
	}
	// Scalars are coerced as CloudFormation does.
	if q := st.Queue("Jobs"); *q.Props.VisibilityTimeout != 45 || *q.Props.DelaySeconds != 5 {
		t.Errorf("queue %+v", q.Props)
	}

	st = loadSmall(t, map[string]string{"Env": "prod"})
	if st.Outputs["If"] != "production" || st.Outputs["ProdOnly"] != "only in prod" || !st.Conditions["Either"] {
		t.Errorf("prod outputs %v", st.Outputs)
	}
	if b := st.Bucket("DataBucket"); len(b.Props.Tags) != 2 || !b.Versioned {
		t.Errorf("prod bucket %+v", b.Props)
	}
}

func TestIntrinsicErrors(t *testing.T) {
	cases := map[string]string{
		"!Select [5, !Ref Zones]":               "index 5 is out of range",
		"!Join [\",\"]":                         "takes a list of 2 values",
		"!GetAtt DataBucket":                    "want Resource.Attribute",
		"!GetAtt Nothing.Arn":                   "no resource is named Nothing",
		"!Ref AWS::Nothing":                     "unknown pseudo-parameter AWS::Nothing",
		"!Sub \"${Nothing}\"":                   "Ref Nothing: no parameter",
		"!Sub \"${Zones}\"":                     "${Zones} is not a string",
		"!If [Missing, a, b]":                   "no condition is named Missing",
		"!Base64 abc":                           "!Base64 is not supported by the local cloud",
		"!Join [\",\", [!Ref DataBucket, [x]]]": "want a string, got a list",
	}
	for expr, want := range cases {
		text := small + "  Probe:\n    Value: " + expr + "\n"
		_, err := Load([]byte(text), Options{})
		line := strings.Count(text, "\n") // the probe's line
		if err == nil {
			t.Errorf("%s: loads", expr)
			continue
		}
		found := false
		for _, p := range err.(*Error).Problems {
			found = found || (p.Line == line && strings.Contains(p.Msg, want))
		}
		if !found {
			t.Errorf("%s: want %q at line %d, got\n%v", expr, want, line, err)
		}
	}
}

func TestParameterConstraints(t *testing.T) {
	for params, want := range map[string]string{
		"Env=test": `value "test" is not one of AllowedValues [dev prod]`,
		"Size=11":  "is outside MinValue/MaxValue",
		"Size=big": "is not a number",
	} {
		k, v, _ := strings.Cut(params, "=")
		_, err := Load([]byte(small), Options{Parameters: map[string]string{k: v}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want %q, got %v", params, want, err)
		}
	}
}

func TestConditionErrors(t *testing.T) {
	text := "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"
	_, err := Load([]byte(text), Options{})
	if err == nil || !strings.Contains(err.Error(), "refers to itself") {
		t.Errorf("want a cycle, got %v", err)
	}
	text = "Conditions:\n  A: !Equals [!Ref Q, x]\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"
	_, err = Load([]byte(text), Options{})
	if err == nil || !strings.Contains(err.Error(), "template.yaml:2: Conditions.A: Ref Q: a condition cannot refer to a resource") {
		t.Errorf("got %v", err)
	}
}

func TestYAMLErrorsHaveTheirLine(t *testing.T) {
	_, err := Load([]byte("Resources:\n  Q:\n    Type: [\n"), Options{File: "broken.yaml"})
	if err == nil || !strings.HasPrefix(err.Error(), "broken.yaml:") {
		t.Errorf("got %v", err)
	}
	_, err = Load([]byte("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  Q:\n    Type: AWS::SQS::Queue\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), "template.yaml:4: Resources: Q appears twice") {
		t.Errorf("got %v", err)
	}
}

func TestLocalNames(t *testing.T) {
	for id, want := range map[string]string{
		"RecordsBucket":       "thumbflow-records",
		"StartFailuresBucket": "thumbflow-start-failures",
		"Bucket":              "thumbflow-bucket", // nothing would be left
		"HTTPApiLogsBucket":   "thumbflow-http-api-logs",
		"S3EventsBucket":      "thumbflow-s3-events",
	} {
		if got := localName(kinds["AWS::S3::Bucket"], id, "thumbflow"); got != want {
			t.Errorf("%s → %s, want %s", id, got, want)
		}
	}
	if got := localName(kinds["AWS::SQS::Queue"], "StartFailuresQueue", "thumbflow"); got != "thumbflow-start-failures" {
		t.Errorf("queue %s", got)
	}
	if got := localName(kinds["AWS::Serverless::StateMachine"], "ThumbnailStateMachine", "thumbflow"); got != "thumbnail" {
		t.Errorf("state machine %s", got)
	}
	// Any stack name CloudFormation accepts names valid buckets, lowercased
	// and cut to 63 characters as CloudFormation generates them.
	st, err := Load([]byte("Resources:\n  RecordsBucket:\n    Type: AWS::S3::Bucket\n"), Options{StackName: "MyStack"})
	if err != nil || st.Buckets[0].Name != "mystack-records" {
		t.Errorf("MyStack: got %v", err)
	}
	long := strings.Repeat("AbC", 42)
	a, b := localName(kinds["AWS::S3::Bucket"], "RecordsBucket", long), localName(kinds["AWS::S3::Bucket"], "RecordsBucket", long+"d")
	if len(a) > 63 || a == b || !strings.HasSuffix(a, "-records") {
		t.Errorf("long stack names: %s and %s", a, b)
	}
}

// Load without files cannot read DefinitionUri, and says how to.
func TestDefinitionUriNeedsFiles(t *testing.T) {
	text := "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: sm.json\n"
	_, err := Load([]byte(text), Options{})
	if err == nil || !strings.Contains(err.Error(), "template.yaml:5:") || !strings.Contains(err.Error(), "LoadFS") {
		t.Errorf("got %v", err)
	}
	inline := "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Definition:\n        StartAt: A\n        States: {A: {Type: Pass, Result: '${X}', End: true}}\n      DefinitionSubstitutions: {X: !Ref AWS::Region}\n"
	st, err := Load([]byte(inline), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := st.StateMachine("M").Definition; !strings.Contains(d, `"Result":"us-east-1"`) {
		t.Errorf("definition %s", d)
	}
}

func TestSAMGeneratedResourcesAreNotAddressable(t *testing.T) {
	text := "Resources:\n  StartFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment:\n        Variables:\n          ROLE: !GetAtt StartFunctionRole.Arn\n"
	_, err := Load([]byte(text), Options{})
	if err == nil || !strings.Contains(err.Error(), "template.yaml:7:") || !strings.Contains(err.Error(), "SAM generates it from StartFunction") {
		t.Errorf("got %v", err)
	}
}

// LoadFS reads DefinitionUri relative to the template, wherever it is.
func TestLoadFSTemplateInADirectory(t *testing.T) {
	fsys := fstest.MapFS{
		"infra/stack.yaml":   {Data: []byte("Resources:\n  FlowStateMachine:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: sm/flow.json\n      DefinitionSubstitutions: {Who: !Ref AWS::StackName}\n")},
		"infra/sm/flow.json": {Data: []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"${Who}","End":true}}}`)},
	}
	st, err := LoadFS(fsys, "infra/stack.yaml", Options{StackName: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	sm := st.StateMachine("FlowStateMachine")
	if sm.Name != "flow" || !strings.Contains(sm.Definition, `"Result":"demo"`) {
		t.Errorf("%s %s", sm.Name, sm.Definition)
	}
	if _, err := LoadFS(fsys, "infra/missing.yaml", Options{}); err == nil {
		t.Error("a missing template loads")
	}
}
