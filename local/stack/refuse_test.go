package stack

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// Copies of the repository's template, changed: each problem is refused
// with its name and its line, and all of them together.

// mutate returns the repository's template with each old string (which
// must occur exactly once) replaced.
func mutate(t *testing.T, pairs ...string) string {
	t.Helper()
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(pairs); i += 2 {
		if n := strings.Count(s, pairs[i]); n != 1 {
			t.Fatalf("%q occurs %d times in template.yaml", pairs[i], n)
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// loadText loads a template next to the repository's state machine.
func loadText(t *testing.T, text string, params map[string]string) (*Stack, error) {
	t.Helper()
	asl, err := os.ReadFile("../../statemachine/thumbnail.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	if params == nil {
		params = map[string]string{"WebOrigin": origin}
	}
	fsys := fstest.MapFS{"template.yaml": {Data: []byte(text)}, "statemachine/thumbnail.asl.json": {Data: asl}}
	return LoadFS(fsys, "template.yaml", Options{Parameters: params})
}

// lineOf is the 1-based line of the first line containing marker.
func lineOf(t *testing.T, text, marker string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, marker) {
			return i + 1
		}
	}
	t.Fatalf("no %q in the template", marker)
	return 0
}

// problems is the list of problems of a load that must fail.
func problems(t *testing.T, err error) []Problem {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *Error, got %v", err)
	}
	return e.Problems
}

// wantProblem checks that err reports, at line, a message containing
// every one of parts.
func wantProblem(t *testing.T, err error, line int, parts ...string) {
	t.Helper()
	for _, p := range problems(t, err) {
		ok := p.Line == line
		for _, part := range parts {
			ok = ok && strings.Contains(p.Msg, part)
		}
		if ok {
			return
		}
	}
	t.Errorf("no problem at line %d with %q in:\n%v", line, parts, err)
}

const unsupportedType = `
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
`

func TestRefuseUnsupportedType(t *testing.T) {
	text := mutate(t, "  # --------------------------------------------------------------- alerting\n",
		unsupportedType+"  # --------------------------------------------------------------- alerting\n")
	_, err := loadText(t, text, nil)
	line := lineOf(t, text, "AWS::DynamoDB::Table")
	wantProblem(t, err, line, "AWS::DynamoDB::Table (resource Table) is not supported by the local cloud")
	if !strings.Contains(err.Error(), fmt.Sprintf("template.yaml:%d: AWS::DynamoDB::Table (resource Table)", line)) {
		t.Errorf("message: %v", err)
	}
}

func TestRefuseUnknownProperty(t *testing.T) {
	text := mutate(t, "      MessageRetentionPeriod: 1209600\n", "      MessageRetentionPeriod: 1209600\n      FifoQueue: true\n")
	_, err := loadText(t, text, nil)
	wantProblem(t, err, lineOf(t, text, "FifoQueue"), "Resources.StartFailuresQueue.Properties", "property FifoQueue is not supported by the local cloud", "QueueName")

	// Deep inside a property, too.
	text = mutate(t, "            MaxAge: 3000\n      LifecycleConfiguration:\n        Rules:\n          - Id: expire-originals",
		"            MaxAge: 3000\n            MaxAgeSeconds: 3000\n      LifecycleConfiguration:\n        Rules:\n          - Id: expire-originals")
	_, err = loadText(t, text, nil)
	wantProblem(t, err, lineOf(t, text, "MaxAgeSeconds"), "UploadsBucket.Properties.CorsConfiguration.CorsRules[0]", "property MaxAgeSeconds")
}

func TestRefuseUnsupportedIntrinsic(t *testing.T) {
	text := mutate(t, "          UPLOADS_BUCKET: !Ref UploadsBucket\n          OUTPUT_BUCKET", "          UPLOADS_BUCKET: !ImportValue shared-uploads\n          OUTPUT_BUCKET")
	_, err := loadText(t, text, nil)
	wantProblem(t, err, lineOf(t, text, "!ImportValue"), "!ImportValue is not supported by the local cloud")

	text = mutate(t, "          UPLOADS_BUCKET: !Ref UploadsBucket\n          OUTPUT_BUCKET", `          UPLOADS_BUCKET: {"Fn::FindInMap": [A, B, C]}`+"\n          OUTPUT_BUCKET")
	_, err = loadText(t, text, nil)
	wantProblem(t, err, lineOf(t, text, "Fn::FindInMap"), "Fn::FindInMap is not supported by the local cloud")

	text = mutate(t, "          UPLOADS_BUCKET: !Ref UploadsBucket\n          OUTPUT_BUCKET", "          UPLOADS_BUCKET: !Frobnicate x\n          OUTPUT_BUCKET")
	_, err = loadText(t, text, nil)
	wantProblem(t, err, lineOf(t, text, "!Frobnicate"), "unknown intrinsic function !Frobnicate")
}

func TestRefuseUnknownRef(t *testing.T) {
	text := mutate(t, "          TOKEN_KEY_SECRET_ID: !Ref TokenKeySecret", "          TOKEN_KEY_SECRET_ID: !Ref TokenSecret")
	_, err := loadText(t, text, nil)
	wantProblem(t, err, lineOf(t, text, "!Ref TokenSecret"), "Ref TokenSecret", "no parameter, pseudo-parameter or resource is named TokenSecret")

	text = mutate(t, `      RouteKey: $connect
      Target: !Sub "integrations/${WebSocketIntegration}"`, `      RouteKey: $connect
      Target: !Sub "integrations/${WebSocketIntegrations}"`)
	_, err = loadText(t, text, nil)
	wantProblem(t, err, lineOf(t, text, "WebSocketIntegrations"), "Ref WebSocketIntegrations")

	text = mutate(t, "!GetAtt StartFailuresQueue.QueueName", "!GetAtt StartFailuresQueue.Name")
	_, err = loadText(t, text, nil)
	wantProblem(t, err, lineOf(t, text, "StartFailuresQueue.Name"), "AWS::SQS::Queue has no attribute Name", "QueueName")
}

// One load reports every problem, in line order.
func TestRefuseGathersEveryProblem(t *testing.T) {
	text := mutate(t,
		"          TOKEN_KEY_SECRET_ID: !Ref TokenKeySecret", "          TOKEN_KEY_SECRET_ID: !Ref TokenSecret",
		"          UPLOADS_BUCKET: !Ref UploadsBucket\n          OUTPUT_BUCKET", "          UPLOADS_BUCKET: !ImportValue shared-uploads\n          OUTPUT_BUCKET",
		"      MessageRetentionPeriod: 1209600\n", "      MessageRetentionPeriod: 1209600\n      FifoQueue: true\n",
		"  # --------------------------------------------------------------- alerting\n", unsupportedType)
	_, err := loadText(t, text, nil)
	ps := problems(t, err)
	if len(ps) != 4 {
		t.Errorf("want 4 problems, got:\n%v", err)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].Line < ps[i-1].Line {
			t.Errorf("not in line order:\n%v", err)
		}
	}
}

// The cycle the template's comments avoid: the convert function naming the
// uploads bucket by reference. Locally it would run; CloudFormation would
// refuse it, so the local cloud refuses it too.
func TestRefuseCircularDependency(t *testing.T) {
	text := mutate(t, `              Action: [s3:GetObject, s3:GetObjectVersion]
              Resource: !Sub
                - "arn:${AWS::Partition}:s3:::thumbflow-uploads-${StackUUID}/uploads/*"
                - StackUUID: !Select [2, !Split ["/", !Ref AWS::StackId]]`,
		`              Action: [s3:GetObject, s3:GetObjectVersion]
              Resource: !Sub "${UploadsBucket.Arn}/uploads/*"`)
	_, err := loadText(t, text, nil)
	if err == nil || !strings.Contains(err.Error(), "circular dependency") || !strings.Contains(err.Error(), "UploadsBucket → StartFunction → ThumbnailStateMachine → ConvertFunction → UploadsBucket") {
		t.Errorf("want the cycle, got %v", err)
	}
}

func TestRefuseOtherMistakes(t *testing.T) {
	cases := []struct {
		name, old, new, marker string
		parts                  []string
	}{
		{"event source type", "          Type: S3\n", "          Type: Schedule\n", "Type: Schedule", []string{"event source OriginalCreated of type Schedule is not supported"}},
		{"missing substitution", "        StatusFunctionArn: !GetAtt StatusFunction.Arn\n", "", "DefinitionSubstitutions:", []string{"${StatusFunctionArn}", "no DefinitionSubstitutions"}},
		{"definition file", "DefinitionUri: statemachine/thumbnail.asl.json", "DefinitionUri: statemachine/thumbnails.asl.json", "DefinitionUri", []string{"DefinitionUri"}},
		{"condition function outside Conditions", "          UPLOADS_BUCKET: !Ref UploadsBucket\n          OUTPUT_BUCKET", "          UPLOADS_BUCKET: !Equals [a, b]\n          OUTPUT_BUCKET", "!Equals [a, b]", []string{"only allowed in the Conditions section"}},
		{"wrong scalar", "      MemorySize: 1536", "      MemorySize: lots", "MemorySize: lots", []string{"MemorySize: want an integer"}},
		{"out of range", "      Timeout: 30\n", "      Timeout: 3000\n", "Timeout: 3000", []string{"Timeout is 3000"}},
		{"policy template", "        - LambdaInvokePolicy:\n            FunctionName: !Ref ConvertFunction", "        - DynamoDBCrudPolicy:\n            TableName: t", "DynamoDBCrudPolicy", []string{"SAM policy template DynamoDBCrudPolicy is not supported"}},
		{"protocol", "      ProtocolType: WEBSOCKET", "      ProtocolType: HTTP", "ProtocolType: HTTP", []string{"ProtocolType HTTP is not supported"}},
		{"route target", `      RouteKey: upload
      RouteResponseSelectionExpression: $default
      Target: !Sub "integrations/${WebSocketIntegration}"`, `      RouteKey: upload
      RouteResponseSelectionExpression: $default
      Target: integrations/nope`, "integrations/nope", []string{`Target "integrations/nope"`}},
		{"duplicate route key", "      RouteKey: subscribe", "      RouteKey: upload # again", "# again", []string{"route key upload is declared twice"}},
		{"destination outside the stack", "            Destination: !GetAtt StartFailuresQueue.Arn", "            Destination: arn:aws:sqs:us-east-1:000000000000:elsewhere", "DestinationConfig:", []string{"destination arn:aws:sqs:us-east-1:000000000000:elsewhere is not an AWS::SQS::Queue of this template"}},
		{"resource attribute", "    Type: AWS::SNS::Topic\n", "    Type: AWS::SNS::Topic\n    UpdatePolicy: {}\n", "UpdatePolicy", []string{"resource attribute UpdatePolicy is not supported"}},
		{"required property", "      ApiId: !Ref WebSocketApi\n      RouteKey: $disconnect\n", "      ApiId: !Ref WebSocketApi # no key\n", "# no key", []string{"Resources.DisconnectRoute.Properties: property RouteKey is required"}},
		{"required nested property", "            AllowedMethods: [POST]\n", "", "AllowedOrigins: [!Ref WebOrigin]", []string{"CorsRules[0]: property AllowedMethods is required"}},
		{"section", "Conditions:\n", "Mappings: {}\nConditions:\n", "Mappings:", []string{"section Mappings is not supported"}},
		{"Globals section", "Globals:\n", "Globals:\n  Api: {}\n", "  Api: {}", []string{"Globals.Api is not supported"}},
		{"cron schedule", "      ScheduleExpression: !Ref SweepScheduleExpression", "      ScheduleExpression: cron(0/5 * * * ? *)", "cron(0/5", []string{"SweepRule", "cron expressions are not supported by the local cloud", "use rate("}},
		{"rule without pattern or schedule", "      ScheduleExpression: !Ref SweepScheduleExpression\n", "", "  SweepRule:", []string{"SweepRule: a rule needs an EventPattern or a ScheduleExpression"}},
		{"DependsOn", "DependsOn: [ConnectRoute,", "DependsOn: [ConectRoute,", "DependsOn", []string{"DependsOn ConectRoute: no resource"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := mutate(t, c.old, c.new)
			_, err := loadText(t, text, nil)
			if err == nil {
				t.Fatal("loads")
			}
			wantProblem(t, err, lineOf(t, text, c.marker), c.parts...)
		})
	}
}

// A resource whose condition is false cannot be referred to.
func TestRefuseReferenceToSkippedResource(t *testing.T) {
	text := mutate(t, "          RECORDS_BUCKET: !Ref RecordsBucket\n          CONNECTIONS_ENDPOINT: !Sub \"https://${WebSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${StageName}\"\n      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: [s3:GetObject, s3:PutObject]",
		"          RECORDS_BUCKET: !Ref RecordsBucket\n          ALERTS: !Ref AlertEmailSubscription\n          CONNECTIONS_ENDPOINT: !Sub \"https://${WebSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${StageName}\"\n      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: [s3:GetObject, s3:PutObject]")
	_, err := loadText(t, text, nil)
	wantProblem(t, err, lineOf(t, text, "ALERTS:"), "AlertEmailSubscription is not created: its condition HasAlarmEmail is false")
	if _, err := loadText(t, text, map[string]string{"WebOrigin": origin, "AlarmEmail": "a@b.c"}); err != nil {
		t.Errorf("with the condition true: %v", err)
	}
}

func TestParameters(t *testing.T) {
	text := mutate(t) // the template as it is
	_, err := loadText(t, text, map[string]string{})
	wantProblem(t, err, lineOf(t, text, "  WebOrigin:"), "parameter WebOrigin has no Default", "-param WebOrigin=VALUE")

	_, err = loadText(t, text, map[string]string{"WebOrigin": "http://127.0.0.1:8080/page"})
	wantProblem(t, err, lineOf(t, text, "  WebOrigin:"), `parameter WebOrigin: value "http://127.0.0.1:8080/page" does not match AllowedPattern`)

	_, err = loadText(t, text, map[string]string{"WebOrigin": origin, "Stage": "dev"})
	wantProblem(t, err, lineOf(t, text, "Parameters:"), "parameter Stage is given a value but the template declares no such parameter")

	st, err := loadText(t, text, map[string]string{"WebOrigin": "https://thumbs.example.com", "StageName": "beta"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Parameters["StageName"] != "beta" || st.Parameters["AlarmEmail"] != "" ||
		st.Bucket("RecordsBucket").Props.CorsConfiguration.CorsRules[0].AllowedOrigins[0] != "https://thumbs.example.com" ||
		st.Outputs["WebSocketURL"] != "wss://websocket.execute-api.us-east-1.amazonaws.com/beta" {
		t.Errorf("parameters %v outputs %v", st.Parameters, st.Outputs)
	}

	allowed := mutate(t, "    Default: prod\n", "    Default: prod\n    AllowedValues: [prod, beta]\n")
	_, err = loadText(t, allowed, map[string]string{"WebOrigin": origin, "StageName": "gamma"})
	wantProblem(t, err, lineOf(t, allowed, "  StageName:"), `value "gamma" is not one of AllowedValues [prod beta]`)
}

func TestParamFlag(t *testing.T) {
	p := ParamFlag{}
	for _, s := range []string{"WebOrigin=http://a:1", "AlarmEmail=", "X=a=b"} {
		if err := p.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if p["WebOrigin"] != "http://a:1" || p["AlarmEmail"] != "" || p["X"] != "a=b" || p.String() != "AlarmEmail=,WebOrigin=http://a:1,X=a=b" {
		t.Errorf("%v", p)
	}
	if err := p.Set("novalue"); err == nil {
		t.Error("want Key=Value")
	}
}
