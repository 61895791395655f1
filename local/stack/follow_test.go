package stack

import (
	"strings"
	"testing"
	"time"
)

// The mutation tests, at the model's level: change a copy of the
// template and the model follows. (local/cloud's tests then watch the
// running cloud follow the model.)
func TestModelFollowsTheTemplate(t *testing.T) {
	cases := []struct {
		name     string
		old, new string
		check    func(*Stack) bool
	}{
		{"CORS origin", "          - AllowedOrigins: [!Ref WebOrigin]\n            AllowedMethods: [POST]",
			"          - AllowedOrigins: [!Ref WebOrigin, https://other.example]\n            AllowedMethods: [POST]",
			func(st *Stack) bool {
				o := st.Bucket("UploadsBucket").Props.CorsConfiguration.CorsRules[0].AllowedOrigins
				return len(o) == 2 && o[1] == "https://other.example"
			}},
		{"notification prefix", "                    Value: uploads/", "                    Value: incoming/",
			func(st *Stack) bool { return st.Bucket("UploadsBucket").Notifications[0].Prefix == "incoming/" }},
		{"environment variable", "          RECORDS_BUCKET: !Ref RecordsBucket\n          CONNECTIONS_ENDPOINT: !Sub \"https://${WebSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${StageName}\"\n      Events:",
			"          RECORDS_BUCKET: !Ref RecordsBucket\n          CONNECTIONS_ENDPOINT: !Sub \"https://${WebSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${StageName}\"\n          LOG_LEVEL: debug\n      Events:",
			func(st *Stack) bool { return st.Function("StartFunction").Environment["LOG_LEVEL"] == "debug" }},
		{"function timeout", "      Timeout: 30\n", "      Timeout: 45\n",
			func(st *Stack) bool { return st.Function("ConvertFunction").Timeout == 45*time.Second }},
		{"route key", "      RouteKey: subscribe", "      RouteKey: watch",
			func(st *Stack) bool {
				api := st.API("WebSocketApi")
				return api.Route("subscribe") == nil && api.Route("watch").Function() == st.Function("WebSocketFunction")
			}},
		{"substitution", "        StatusFunctionArn: !GetAtt StatusFunction.Arn", "        StatusFunctionArn: !GetAtt ConvertFunction.Arn",
			func(st *Stack) bool {
				return !strings.Contains(st.StateMachine("ThumbnailStateMachine").Definition, st.Function("StatusFunction").ARN)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := loadText(t, mutate(t, c.old, c.new), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(st) {
				t.Error("the model does not follow the change")
			}
		})
	}
}

func TestGlobalsMerge(t *testing.T) {
	text := `
Globals:
  Function:
    Runtime: provided.al2023
    Timeout: 10
    Layers: [a]
    Environment:
      Variables: {SHARED: g, OVERRIDE: g}
    Tags: {team: pipeline}
Resources:
  OneFunction:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 20
      Environment:
        Variables: {OVERRIDE: f, OWN: f}
  TwoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment: !If [Never, {Variables: {X: y}}, !Ref AWS::NoValue]
Conditions:
  Never: !Equals [a, b]
`
	_, err := Load([]byte(text), Options{})
	// Layers is not a supported property: refused at the Globals line,
	// for each function it is merged into.
	if err == nil || !strings.Contains(err.Error(), "template.yaml:6: Resources.OneFunction.Properties: property Layers is not supported") {
		t.Fatalf("got %v", err)
	}
	st, err := Load([]byte(strings.Replace(text, "    Layers: [a]\n", "", 1)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	one, two := st.Function("OneFunction"), st.Function("TwoFunction")
	if one.Timeout != 20*time.Second || two.Timeout != 10*time.Second || one.MemoryMB != 128 {
		t.Errorf("timeouts %v %v memory %d", one.Timeout, two.Timeout, one.MemoryMB)
	}
	if e := one.Environment; len(e) != 3 || e["SHARED"] != "g" || e["OVERRIDE"] != "f" || e["OWN"] != "f" {
		t.Errorf("merged environment %v", e)
	}
	// An intrinsic replaces the global value whole, as in SAM.
	if len(two.Environment) != 0 || one.Props.Tags["team"] != "pipeline" {
		t.Errorf("two's environment %v, tags %v", two.Environment, one.Props.Tags)
	}
}
