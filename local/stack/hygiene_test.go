package stack

import (
	"strconv"
	"strings"
	"testing"
)

// TestEveryFunctionAndTheStateMachineLogWithRetention: every function logs
// to a log group of the stack (LoggingConfig.LogGroup), and the state
// machine to its own, each kept for LogRetentionDays, so no log group
// grows forever; the parameter reaches every one of them.
func TestEveryFunctionAndTheStateMachineLogWithRetention(t *testing.T) {
	for _, days := range []string{"", "90"} {
		opts := Options{}
		want := 30 // the parameter's default
		if days != "" {
			opts.Parameters = map[string]string{"WebOrigin": origin, "LogRetentionDays": days}
			want = 90
		}
		st := loadRepo(t, opts)
		groups := map[string]*LogGroup{}
		for _, g := range st.LogGroups {
			groups[g.Name] = g
			if g.Props.RetentionInDays != want {
				t.Errorf("LogRetentionDays=%q: %s keeps logs %d days, want %d", days, g.LogicalID, g.Props.RetentionInDays, want)
			}
		}
		if len(st.Functions) == 0 {
			t.Fatal("no functions")
		}
		for _, f := range st.Functions {
			lc := f.Props.LoggingConfig
			if lc == nil || groups[lc.LogGroup] == nil {
				t.Errorf("%s logs to %+v, not to a log group of the stack", f.LogicalID, lc)
				continue
			}
			if lc.LogFormat != "JSON" {
				t.Errorf("%s: LoggingConfig lost Globals' LogFormat JSON: %+v", f.LogicalID, lc)
			}
		}
		for _, sm := range st.StateMachines {
			lg := sm.Props.Logging
			if lg == nil || len(lg.Destinations) == 0 {
				t.Errorf("%s has no log destination", sm.LogicalID)
				continue
			}
			found := false
			for _, g := range groups {
				found = found || g.ARN == lg.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn
			}
			if !found {
				t.Errorf("%s logs to %s, not to a log group of the stack", sm.LogicalID, lg.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn)
			}
		}
	}
}

// TestMonthlyBudget: the stack has a monthly cost budget of
// MonthlyBudgetUSD; AlarmEmail, when set, is told at 80% of actual and
// 100% of forecasted spend.
func TestMonthlyBudget(t *testing.T) {
	st := loadRepo(t, Options{Parameters: map[string]string{"WebOrigin": origin, "MonthlyBudgetUSD": "120", "AlarmEmail": "ops@example.com"}})
	if len(st.Budgets) != 1 {
		t.Fatalf("%d budgets, want 1", len(st.Budgets))
	}
	b := st.Budgets[0]
	if p := b.Props.Budget; p.BudgetType != "COST" || p.TimeUnit != "MONTHLY" || p.BudgetLimit == nil ||
		p.BudgetLimit.Amount != 120 || p.BudgetLimit.Unit != "USD" || !strings.HasPrefix(b.Name, "thumbflow-") {
		t.Errorf("budget %s: %+v", b.Name, p)
	}
	var got []string
	for _, n := range b.Props.NotificationsWithSubscribers {
		for _, s := range n.Subscribers {
			got = append(got, strings.Join([]string{n.Notification.NotificationType, n.Notification.ComparisonOperator,
				strconv.FormatFloat(n.Notification.Threshold, 'f', -1, 64), n.Notification.ThresholdType, s.SubscriptionType, s.Address}, " "))
		}
	}
	want := []string{"ACTUAL GREATER_THAN 80 PERCENTAGE EMAIL ops@example.com", "FORECASTED GREATER_THAN 100 PERCENTAGE EMAIL ops@example.com"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notifications:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st := loadRepo(t, Options{}); len(st.Budgets) != 1 || len(st.Budgets[0].Props.NotificationsWithSubscribers) != 0 {
		t.Errorf("without AlarmEmail: %d budgets, notifications %+v", len(st.Budgets), st.Budgets)
	}
}

// TestRefuseWhatTheNewKindsCannotHonour: a bucket policy or logging target
// outside the stack, an authorizer on a route other than $connect or of
// another type, an identity source the gateway cannot read, a budget with
// an unknown time unit or a subscriber that is no email address, and a
// retention CloudWatch does not offer are refused with their lines.
func TestRefuseWhatTheNewKindsCannotHonour(t *testing.T) {
	authorizer := map[string]string{"WebOrigin": origin, "ConnectAuthorizerArn": "arn:aws:lambda:us-east-1:000000000000:function:auth"}
	for _, c := range []struct {
		name, old, new, marker string
		params                 map[string]string
		parts                  []string
	}{
		{"policy of another bucket", "      Bucket: !Ref OutputBucket\n", "      Bucket: someone-elses-bucket\n", "someone-elses-bucket", nil,
			[]string{"OutputBucketPolicy", "not a bucket of this template"}},
		{"logging to a bucket outside the stack", "        - DestinationBucketName: !Ref AccessLogsBucket\n          LogFilePrefix: uploads/\n",
			"        - DestinationBucketName: elsewhere\n          LogFilePrefix: uploads/\n", "      LoggingConfiguration: !If", nil,
			[]string{"UploadsBucket", `DestinationBucketName "elsewhere" is not a bucket of this template`}},
		{"retention", "      RetentionInDays: !Ref LogRetentionDays\n  ConvertFunctionLogGroup:", "      RetentionInDays: 42\n  ConvertFunctionLogGroup:", "RetentionInDays: 42", nil,
			[]string{"StartFunctionLogGroup", "RetentionInDays is 42"}},
		{"budget time unit", "        TimeUnit: MONTHLY\n", "        TimeUnit: WEEKLY\n", "TimeUnit: WEEKLY", nil,
			[]string{"MonthlyCostBudget", "Budget.TimeUnit", "WEEKLY"}},
		{"budget subscriber", "                Address: !Ref AlarmEmail\n          - Notification:", "                Address: not-an-address\n          - Notification:", "NotificationsWithSubscribers: !If",
			map[string]string{"WebOrigin": origin, "AlarmEmail": "a@b.c"}, []string{"MonthlyCostBudget", `"not-an-address" is not an email address`}},
		{"authorizer type", "      AuthorizerType: REQUEST\n", "      AuthorizerType: JWT\n", "AuthorizerType: JWT", authorizer,
			[]string{"ConnectAuthorizer", "REQUEST authorizers only"}},
		{"identity source", "      IdentitySource: [route.request.querystring.token]\n", "      IdentitySource: [context.requestId]\n", "IdentitySource:", authorizer,
			[]string{"ConnectAuthorizer", "context.requestId"}},
		{"authorizer on a message route", "      RouteKey: upload\n", "      RouteKey: upload\n      AuthorizationType: CUSTOM\n      AuthorizerId: !Ref ConnectAuthorizer\n", "      AuthorizationType: CUSTOM", authorizer,
			[]string{"UploadRoute", "authorizes only its $connect route"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := mutate(t, c.old, c.new)
			_, err := loadText(t, text, c.params)
			if err == nil {
				t.Fatal("loads")
			}
			wantProblem(t, err, lineOf(t, text, c.marker), c.parts...)
		})
	}
	// With the authorizer on, the template loads and $connect names it.
	st, err := loadText(t, mutate(t), authorizer)
	if err != nil {
		t.Fatal(err)
	}
	r := st.API("WebSocketApi").Route("$connect")
	if r.Authorizer == nil || r.Props.AuthorizationType != "CUSTOM" || r.Authorizer.FunctionARN != authorizer["ConnectAuthorizerArn"] ||
		r.Authorizer.Props.IdentitySource[0] != "route.request.querystring.token" {
		t.Errorf("$connect with the authorizer on: %+v %+v", r.Props, r.Authorizer)
	}
}
