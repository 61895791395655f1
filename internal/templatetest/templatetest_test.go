package templatetest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDecodeResolvesRefsAndKeepsYAMLTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "template.yaml")
	os.WriteFile(path, []byte(`Resources:
  Rule:
    Properties:
      Machine: !Ref Machine
      Other: !Ref Unknown
      Name: !Sub "${AWS::StackName}-x"
      Arn: !GetAtt Fn.Arn
      List: !Split [",", "a,b"]
      Timeout: 30
      Enabled: true
`), 0o600)
	var tpl struct {
		Resources map[string]struct {
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	Decode(t, path, map[string]string{"Machine": "arn:aws:states:us-east-1:1:stateMachine:m"}, &tpl)
	p := tpl.Resources["Rule"].Properties
	for k, want := range map[string]any{
		"Machine": "arn:aws:states:us-east-1:1:stateMachine:m", "Other": "Unknown",
		"Name": "${AWS::StackName}-x", "Arn": "Fn.Arn", "Timeout": 30, "Enabled": true,
	} {
		if p[k] != want {
			t.Errorf("%s = %#v, want %#v", k, p[k], want)
		}
	}
	if l, ok := p["List"].([]any); !ok || len(l) != 2 {
		t.Errorf("List = %#v, want the tag's sequence", p["List"])
	}
}

func TestDecodeOfTheRepositorysTemplate(t *testing.T) {
	var tpl struct {
		Resources map[string]struct {
			Type string `yaml:"Type"`
		} `yaml:"Resources"`
	}
	Decode(t, "../../template.yaml", nil, &tpl)
	if tpl.Resources["ThumbnailStateMachine"].Type != "AWS::Serverless::StateMachine" {
		t.Errorf("template.yaml decoded without its state machine: %v", tpl.Resources)
	}
}
