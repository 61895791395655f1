package wiring

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"thumbflow/websocket"
)

// The grant counters: only the WebSocket function may touch them, with
// exactly GetObject and PutObject, and a lifecycle rule forgets them.
func TestGrantCountersAreGrantedNarrowlyAndExpire(t *testing.T) {
	tpl := loadTemplate(t)
	prefix := websocket.GrantCountPrefix
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		var actions []string
		list, _ := r.Properties["Policies"].([]any)
		for _, p := range list {
			pm, _ := p.(map[string]any)
			stmts, _ := pm["Statement"].([]any)
			for _, s := range stmts {
				sm, _ := s.(map[string]any)
				if !strings.Contains(fmt.Sprint(sm["Resource"]), prefix) {
					continue
				}
				if fmt.Sprint(sm["Resource"]) != "${RecordsBucket.Arn}/"+prefix+"*" {
					t.Errorf("%s: the counters' statement names %v besides %s*", id, sm["Resource"], prefix)
				}
				actions = append(actions, strings.Fields(strings.Trim(fmt.Sprint(sm["Action"]), "[]"))...)
			}
		}
		slices.Sort(actions)
		want := []string(nil)
		if id == "WebSocketFunction" {
			want = []string{"s3:GetObject", "s3:PutObject"}
		}
		if !slices.Equal(actions, want) {
			t.Errorf("%s may %v on %s*, want %v", id, actions, prefix, want)
		}
	}

	lc, _ := tpl.Resources["RecordsBucket"].Properties["LifecycleConfiguration"].(map[string]any)
	rules, _ := lc["Rules"].([]any)
	found := false
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		if rm["Prefix"] == prefix {
			found = rm["Status"] == "Enabled" && fmt.Sprint(rm["ExpirationInDays"]) == "1"
		}
	}
	if !found {
		t.Errorf("the records bucket has no enabled rule expiring %s after a day: %v", prefix, rules)
	}
}
