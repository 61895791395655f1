package stack

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The repository's template, loaded as `thumbflow dev` loads it: these are
// the values a user of the local cloud would notice.

const origin = "http://127.0.0.1:8080"

func loadRepo(t *testing.T, opts Options) *Stack {
	t.Helper()
	if opts.Parameters == nil {
		opts.Parameters = map[string]string{"WebOrigin": origin}
	}
	st, err := LoadFS(os.DirFS("../.."), "template.yaml", opts)
	if err != nil {
		t.Fatalf("template.yaml does not load:\n%v", err)
	}
	return st
}

func TestRepositoryTemplateNames(t *testing.T) {
	st := loadRepo(t, Options{})
	// README's commands name these.
	if b := st.Bucket("RecordsBucket"); b == nil || b.Name != "thumbflow-records" {
		t.Errorf("records bucket: %+v", b)
	}
	sm := st.StateMachine("ThumbnailStateMachine")
	if sm == nil || sm.Name != "thumbnail" || sm.ARN != "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail" {
		t.Fatalf("state machine: %+v", sm)
	}
	want := map[string]string{
		"UploadsBucket": "thumbflow-uploads-" + uuidFrom("thumbflow"), // named by the template, from the stack id
		"OutputBucket":  "thumbflow-output",
	}
	for id, name := range want {
		if b := st.Bucket(id); b == nil || b.Name != name {
			t.Errorf("%s: got %+v, want %s", id, b, name)
		}
	}
	fns := map[string]string{"StartFunction": "thumbflow-start", "ConvertFunction": "thumbflow-convert",
		"StatusFunction": "thumbflow-status", "WebSocketFunction": "thumbflow-web-socket"}
	for id, name := range fns {
		f := st.Function(id)
		if f == nil || f.Name != name || f.ARN != "arn:aws:lambda:us-east-1:000000000000:function:"+name || st.FunctionByARN(f.ARN) != f {
			t.Errorf("%s: %+v", id, f)
		}
	}
	if q := st.Queue("StartFailuresQueue"); q.Name != "thumbflow-start-failures" ||
		q.URL != "https://sqs.us-east-1.amazonaws.com/000000000000/thumbflow-start-failures" {
		t.Errorf("queue %s %s", q.Name, q.URL)
	}
	// Every resource is created but the optional authorizer and e-mail
	// subscription.
	if !reflect.DeepEqual(st.Skipped, []string{"ConnectAuthorizer", "ConnectAuthorizerPermission", "AlertEmailSubscription"}) || len(st.Resources) < 30 {
		t.Errorf("%d resources, skipped %v", len(st.Resources), st.Skipped)
	}
}

func TestRepositoryTemplateAnotherStack(t *testing.T) {
	st := loadRepo(t, Options{StackName: "demo", Region: "eu-west-1", AccountID: "123456789012"})
	if b := st.Bucket("RecordsBucket"); b.Name != "demo-records" {
		t.Errorf("records bucket %s", b.Name)
	}
	if b := st.Bucket("UploadsBucket"); b.Name != "thumbflow-uploads-"+uuidFrom("demo") {
		t.Errorf("uploads bucket %s", b.Name)
	}
	if sm := st.StateMachine("ThumbnailStateMachine"); sm.ARN != "arn:aws:states:eu-west-1:123456789012:stateMachine:thumbnail" {
		t.Errorf("state machine %s", sm.ARN)
	}
}

func TestUploadsBucketConfiguration(t *testing.T) {
	b := loadRepo(t, Options{}).Bucket("UploadsBucket")
	wantCORS := []CorsRule{{AllowedOrigins: []string{origin}, AllowedMethods: []string{"POST"},
		AllowedHeaders: []string{"*"}, ExposedHeaders: []string{"ETag"}, MaxAge: 3000}}
	if got := b.Props.CorsConfiguration.CorsRules; !reflect.DeepEqual(got, wantCORS) {
		t.Errorf("CORS\n got %+v\nwant %+v", got, wantCORS)
	}
	if !b.Versioned {
		t.Error("the uploads bucket is versioned")
	}
	rule := b.Props.LifecycleConfiguration.Rules[0]
	if rule.Id != "expire-originals" || rule.Prefix != "uploads/" || rule.ExpirationInDays != 30 ||
		rule.NoncurrentVersionExpiration.NoncurrentDays != 30 || rule.AbortIncompleteMultipartUpload.DaysAfterInitiation != 1 {
		t.Errorf("lifecycle rule %+v", rule)
	}
	if enc := b.Props.BucketEncryption.ServerSideEncryptionConfiguration[0]; enc.ServerSideEncryptionByDefault.SSEAlgorithm != "AES256" {
		t.Errorf("encryption %+v", enc)
	}
	if pab := *b.Props.PublicAccessBlockConfiguration; pab != (PublicAccessBlock{true, true, true, true}) {
		t.Errorf("public access block %+v", pab)
	}
	if o := b.Props.OwnershipControls.Rules[0].ObjectOwnership; o != "BucketOwnerEnforced" {
		t.Errorf("ownership %s", o)
	}
	out := loadRepo(t, Options{}).Bucket("OutputBucket")
	if got := out.Props.CorsConfiguration.CorsRules[0]; !reflect.DeepEqual(got.AllowedMethods, []string{"GET", "HEAD"}) ||
		!reflect.DeepEqual(got.ExposedHeaders, []string{"ETag", "Content-Length", "Content-Type"}) {
		t.Errorf("output CORS %+v", got)
	}
	if out.Versioned {
		t.Error("the output bucket is not versioned")
	}
}

func TestStartFunctionS3Notification(t *testing.T) {
	st := loadRepo(t, Options{})
	start := st.Function("StartFunction")
	want := []Notification{{Event: "s3:ObjectCreated:*", Prefix: "uploads/", Target: "Lambda", TargetARN: start.ARN, Function: start}}
	if got := st.Bucket("UploadsBucket").Notifications; !reflect.DeepEqual(got, want) {
		t.Errorf("uploads bucket notifications\n got %+v\nwant %+v", got, want)
	}
	if ev := start.S3Events; len(ev) != 1 || ev[0].Bucket != st.Bucket("UploadsBucket") || ev[0].Prefix != "uploads/" {
		t.Errorf("start's S3 events %+v", ev)
	}
	// SAM's translator writes the event into the bucket's configuration,
	// which GetBucketNotificationConfiguration returns.
	if _, ok := st.Bucket("UploadsBucket").Properties["NotificationConfiguration"]; !ok {
		t.Error("the generic properties lack the notification configuration")
	}
	lc := st.Bucket("UploadsBucket").Props.NotificationConfiguration.LambdaConfigurations
	if len(lc) != 1 || lc[0].Function != start.ARN || lc[0].Filter.S3Key.Rules[0] != (FilterRule{"prefix", "uploads/"}) {
		t.Errorf("notification configuration %+v", lc)
	}
	// Renditions and records never start the pipeline.
	for _, id := range []string{"OutputBucket", "RecordsBucket"} {
		if n := st.Bucket(id).Notifications; len(n) != 0 {
			t.Errorf("%s notifies %+v", id, n)
		}
	}
}

func TestFunctionEnvironment(t *testing.T) {
	st := loadRepo(t, Options{})
	endpoint := "https://websocket.execute-api.us-east-1.amazonaws.com/prod"
	smARN := "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail"
	want := map[string]map[string]string{
		"StartFunction":   {"STATE_MACHINE_ARN": smARN, "RECORDS_BUCKET": "thumbflow-records", "CONNECTIONS_ENDPOINT": endpoint},
		"ConvertFunction": {"OUTPUT_BUCKET": "thumbflow-output", "RECORDS_BUCKET": "thumbflow-records", "CONNECTIONS_ENDPOINT": endpoint},
		"StatusFunction":  {"RECORDS_BUCKET": "thumbflow-records", "CONNECTIONS_ENDPOINT": endpoint},
		"WebSocketFunction": {"UPLOADS_BUCKET": "thumbflow-uploads-" + uuidFrom("thumbflow"), "OUTPUT_BUCKET": "thumbflow-output",
			"RECORDS_BUCKET": "thumbflow-records", "TOKEN_KEY_SECRET_ID": st.Secret("TokenKeySecret").ARN,
			// Number parameters' defaults, resolved to strings.
			"GRANTS_PER_MINUTE": "20", "OPEN_GRANTS": "50"},
	}
	for id, env := range want {
		if got := st.Function(id).Environment; !reflect.DeepEqual(got, env) {
			t.Errorf("%s environment\n got %v\nwant %v", id, got, env)
		}
	}
	if arn := st.Secret("TokenKeySecret").ARN; !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:000000000000:secret:thumbflow-token-key-") {
		t.Errorf("secret ARN %s", arn)
	}

	// The local cloud's API id, another region and another stage name
	// all reach the endpoint.
	st = loadRepo(t, Options{Region: "eu-west-1", APIIDs: map[string]string{"WebSocketApi": "abc123"},
		Parameters: map[string]string{"WebOrigin": origin, "StageName": "dev"}})
	if got := st.Function("StatusFunction").Environment["CONNECTIONS_ENDPOINT"]; got != "https://abc123.execute-api.eu-west-1.amazonaws.com/dev" {
		t.Errorf("CONNECTIONS_ENDPOINT %s", got)
	}
	if got := st.API("WebSocketApi").Stages[0].Name; got != "dev" {
		t.Errorf("stage %s", got)
	}
}

func TestFunctionSizesAndGlobals(t *testing.T) {
	st := loadRepo(t, Options{})
	want := map[string]struct {
		timeout time.Duration
		memory  int
	}{
		"StartFunction":     {10 * time.Second, 256},
		"ConvertFunction":   {30 * time.Second, 1536}, // its own values win over Globals
		"StatusFunction":    {10 * time.Second, 256},
		"WebSocketFunction": {10 * time.Second, 256},
	}
	for id, w := range want {
		f := st.Function(id)
		if f.Timeout != w.timeout || f.MemoryMB != w.memory {
			t.Errorf("%s: timeout %v memory %d, want %v %d", id, f.Timeout, f.MemoryMB, w.timeout, w.memory)
		}
		p := f.Props
		if p.Runtime != "provided.al2023" || p.Handler != "bootstrap" || p.CodeUri != "." ||
			!reflect.DeepEqual(p.Architectures, []string{"arm64"}) || p.LoggingConfig.LogFormat != "JSON" {
			t.Errorf("%s: Globals not merged: %+v", id, p)
		}
		if f.Metadata["BuildMethod"] != "makefile" {
			t.Errorf("%s metadata %v", id, f.Metadata)
		}
		if f.RoleARN != "arn:aws:iam::000000000000:role/"+f.Name+"-role" {
			t.Errorf("%s role %s", id, f.RoleARN)
		}
	}
}

func TestWebSocketAPI(t *testing.T) {
	st := loadRepo(t, Options{})
	api := st.API("WebSocketApi")
	if api.Props.ProtocolType != "WEBSOCKET" || api.Props.RouteSelectionExpression != "$request.body.action" ||
		api.Endpoint != "wss://websocket.execute-api.us-east-1.amazonaws.com" {
		t.Errorf("api %+v %s", api.Props, api.Endpoint)
	}
	ws := st.Function("WebSocketFunction")
	twoWay := map[string]bool{"$connect": false, "$disconnect": false, "$default": true, "upload": true, "subscribe": true}
	if len(api.Routes) != len(twoWay) {
		t.Errorf("%d routes", len(api.Routes))
	}
	for key, tw := range twoWay {
		r := api.Route(key)
		if r == nil {
			t.Errorf("no route %s", key)
			continue
		}
		if r.Function() != ws || r.TwoWay() != tw {
			t.Errorf("route %s: function %v two-way %v", key, r.Function(), r.TwoWay())
		}
	}
	if len(api.Stages) != 1 {
		t.Fatalf("stages %+v", api.Stages)
	}
	s := api.Stages[0]
	if s.Name != "prod" || !s.Props.AutoDeploy || s.Props.DefaultRouteSettings.ThrottlingBurstLimit != 100 ||
		s.Props.DefaultRouteSettings.ThrottlingRateLimit != 50 {
		t.Errorf("stage %+v %+v", s.Props, s.Props.DefaultRouteSettings)
	}
	if !reflect.DeepEqual(s.DependsOn, []string{"ConnectRoute", "DisconnectRoute", "DefaultRoute", "DefaultRouteResponse",
		"UploadRoute", "UploadRouteResponse", "SubscribeRoute", "SubscribeRouteResponse"}) {
		t.Errorf("DependsOn %v", s.DependsOn)
	}
	var p *Permission
	for _, x := range st.Permissions {
		if x.LogicalID == "WebSocketInvokePermission" {
			p = x
		}
	}
	if p == nil || p.Function != ws || p.Props.Principal != "apigateway.amazonaws.com" ||
		p.Props.SourceArn != "arn:aws:execute-api:us-east-1:000000000000:websocket/*" {
		t.Errorf("permission %+v", p.Props)
	}
}

func TestStateMachineDefinition(t *testing.T) {
	st := loadRepo(t, Options{})
	sm := st.StateMachine("ThumbnailStateMachine")
	if strings.Contains(sm.Definition, "${") {
		t.Errorf("a placeholder is left in the definition")
	}
	var def struct {
		States map[string]struct{ Resource string }
	}
	if err := json.Unmarshal([]byte(sm.Definition), &def); err != nil {
		t.Fatal(err)
	}
	if r := def.States["Convert"].Resource; r != st.Function("ConvertFunction").ARN {
		t.Errorf("Convert resource %s", r)
	}
	if r := def.States["MarkConverting"].Resource; r != st.Function("StatusFunction").ARN {
		t.Errorf("MarkConverting resource %s", r)
	}
	if sm.Type != "STANDARD" || sm.Props.Logging.Level != "ERROR" || sm.Props.Logging.IncludeExecutionData ||
		sm.Props.Logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn !=
			"arn:aws:logs:us-east-1:000000000000:log-group:/aws/vendedlogs/states/thumbflow-thumbnail:*" {
		t.Errorf("state machine %+v", sm.Props.Logging)
	}
	want := []Policy{
		{Template: "LambdaInvokePolicy", Params: map[string]any{"FunctionName": "thumbflow-convert"}},
		{Template: "LambdaInvokePolicy", Params: map[string]any{"FunctionName": "thumbflow-status"}},
	}
	if len(sm.Policies) != 3 || !reflect.DeepEqual(sm.Policies[:2], want) || sm.Policies[2].Document == nil {
		t.Errorf("policies %+v", sm.Policies)
	}
}

func TestFunctionPolicies(t *testing.T) {
	start := loadRepo(t, Options{}).Function("StartFunction")
	if len(start.Policies) != 1 {
		t.Fatalf("policies %+v", start.Policies)
	}
	stmts := start.Policies[0].Document["Statement"].([]any)
	first := stmts[0].(map[string]any)
	if first["Action"] != "states:StartExecution" || first["Resource"] != "arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail" {
		t.Errorf("first statement %v", first)
	}
	res := stmts[2].(map[string]any)["Resource"].([]any)
	if res[0] != "arn:aws:s3:::thumbflow-records/status/*" {
		t.Errorf("records statement %v", res)
	}
}

func TestAlarmEmailCondition(t *testing.T) {
	st := loadRepo(t, Options{})
	if st.Conditions["HasAlarmEmail"] || st.Resource("AlertEmailSubscription") != nil || len(st.Topic("AlertTopic").Subscriptions) != 0 {
		t.Errorf("without AlarmEmail: condition %v, subscriptions %v", st.Conditions, st.Topic("AlertTopic").Subscriptions)
	}
	st = loadRepo(t, Options{Parameters: map[string]string{"WebOrigin": origin, "AlarmEmail": "ops@example.com"}})
	if !st.Conditions["HasAlarmEmail"] {
		t.Error("HasAlarmEmail is false with AlarmEmail set")
	}
	subs := st.Topic("AlertTopic").Subscriptions
	if len(subs) != 1 || subs[0].Props.Protocol != "email" || subs[0].Props.Endpoint != "ops@example.com" ||
		!strings.HasPrefix(subs[0].ARN, st.Topic("AlertTopic").ARN+":") {
		t.Errorf("subscriptions %+v", subs)
	}
}

func TestEventInvokeConfig(t *testing.T) {
	st := loadRepo(t, Options{})
	c := st.Function("StartFunction").Props.EventInvokeConfig
	q := st.Queue("StartFailuresQueue")
	if c == nil || *c.MaximumRetryAttempts != 2 || c.MaximumEventAgeInSeconds != nil || c.DestinationConfig.OnSuccess != nil ||
		*c.DestinationConfig.OnFailure != (Destination{Type: "SQS", Destination: q.ARN}) {
		t.Errorf("EventInvokeConfig %+v", c)
	}
	if q.ARN != "arn:aws:sqs:us-east-1:000000000000:thumbflow-start-failures" || *q.Props.MessageRetentionPeriod != 1209600 || !q.Props.SqsManagedSseEnabled {
		t.Errorf("queue %+v", q)
	}
	if st.Function("ConvertFunction").Props.EventInvokeConfig != nil {
		t.Error("convert has no EventInvokeConfig")
	}
}

// The second part of the issue builds these services from the model.
func TestAlertingResources(t *testing.T) {
	st := loadRepo(t, Options{})
	topic := st.Topic("AlertTopic")
	if topic.Props.DisplayName != "thumbflow conversion failures" || len(topic.Policies) != 1 ||
		topic.Policies[0].Props.PolicyDocument["Statement"].([]any)[0].(map[string]any)["Resource"] != topic.ARN {
		t.Errorf("topic %+v policies %+v", topic.Props, topic.Policies)
	}
	rule := st.Rule("ExecutionFailedRule")
	detail := rule.Props.EventPattern["detail"].(map[string]any)
	if !reflect.DeepEqual(detail["stateMachineArn"], []any{st.StateMachine("ThumbnailStateMachine").ARN}) ||
		len(detail["$or"].([]any)) != 2 || // system failures only: local/events tests the pattern itself

		rule.Props.Targets[0].Arn != topic.ARN || rule.Props.Targets[0].Id != "alert-topic" {
		t.Errorf("rule %+v", rule.Props)
	}
	if len(st.Alarms) != 5 {
		t.Fatalf("%d alarms", len(st.Alarms))
	}
	a := st.Alarms[0]
	if a.LogicalID != "StartFailuresAlarm" || a.Props.Dimensions[0].Value != "thumbflow-start-failures" || a.Props.Threshold != 1 ||
		a.Props.Period != 60 || a.Props.ComparisonOperator != "GreaterThanOrEqualToThreshold" || a.Props.AlarmActions[0] != topic.ARN {
		t.Errorf("alarm %+v", a.Props)
	}
	if s := st.Secret("TokenKeySecret").Props.GenerateSecretString; s.PasswordLength != 64 || !s.ExcludePunctuation {
		t.Errorf("secret %+v", s)
	}
	if g := st.Resource("StateMachineLogGroup").Typed.(*LogGroup); g.Name != "/aws/vendedlogs/states/thumbflow-thumbnail" || g.Props.RetentionInDays != 30 {
		t.Errorf("log group %+v", g)
	}
}

func TestOutputs(t *testing.T) {
	st := loadRepo(t, Options{})
	var cfg struct {
		WebsocketURL string `json:"websocketUrl"`
		MaxBytes     int    `json:"maxBytes"`
	}
	if err := json.Unmarshal([]byte(st.Outputs["WebConfig"]), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.WebsocketURL != "wss://websocket.execute-api.us-east-1.amazonaws.com/prod" || cfg.MaxBytes != 26214400 {
		t.Errorf("WebConfig %+v", cfg)
	}
	if st.Outputs["RecordsBucketName"] != "thumbflow-records" || st.Outputs["StateMachineArn"] != st.StateMachine("ThumbnailStateMachine").ARN {
		t.Errorf("outputs %v", st.Outputs)
	}
}

// The sweeper's schedule: a rate rule targeting the sweep function, which
// its permission lets EventBridge invoke from that rule only.
func TestSweepSchedule(t *testing.T) {
	st := loadRepo(t, Options{})
	rule, fn := st.Rule("SweepRule"), st.Function("SweepFunction")
	if rule == nil || fn == nil {
		t.Fatal("no SweepRule or SweepFunction")
	}
	if rule.Every != 5*time.Minute || rule.Props.EventPattern != nil || len(rule.Props.Targets) != 1 || rule.Props.Targets[0].Arn != fn.ARN {
		t.Errorf("rule every %v, props %+v", rule.Every, rule.Props)
	}
	var granted bool
	for _, p := range st.Permissions {
		granted = granted || p.Function == fn && p.Props.Principal == "events.amazonaws.com" && p.Props.SourceArn == rule.ARN
	}
	if !granted {
		t.Error("no permission lets the rule invoke the sweep function")
	}
	st = loadRepo(t, Options{Parameters: map[string]string{"WebOrigin": origin, "SweepScheduleExpression": "rate(1 hour)"}})
	if got := st.Rule("SweepRule").Every; got != time.Hour {
		t.Errorf("rate(1 hour) fires every %v", got)
	}
}

// ConvertFunction's reserved concurrency bounds what conversions can cost
// (issue 24) and the local Lambda throttles above it as Lambda does; the
// other functions share the account's unreserved pool.
func TestConvertReservedConcurrency(t *testing.T) {
	st := loadRepo(t, Options{})
	for _, f := range st.Functions {
		r := f.Props.ReservedConcurrentExecutions
		switch {
		case f.LogicalID == "ConvertFunction" && (r == nil || *r != 10):
			t.Errorf("ConvertFunction reserves %v, want the default of 10", r)
		case f.LogicalID != "ConvertFunction" && r != nil:
			t.Errorf("%s reserves %d; only ConvertFunction is capped", f.LogicalID, *r)
		}
	}
	st = loadRepo(t, Options{Parameters: map[string]string{"WebOrigin": origin, "ConvertReservedConcurrency": "3"}})
	if r := st.Function("ConvertFunction").Props.ReservedConcurrentExecutions; r == nil || *r != 3 {
		t.Errorf("with ConvertReservedConcurrency=3, ConvertFunction reserves %v", r)
	}
}
