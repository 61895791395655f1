package stack

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// A kind is one supported resource type: how it is named, what Ref and
// Fn::GetAtt return for it, which properties it takes (its Props struct)
// and how its typed model is built.
type kind struct {
	// word is the type word a logical id drops in local names;
	// prefixed says whether the local name starts with "<stack>-".
	word     string
	prefixed bool
	// nameProp is the property that names the resource, if it has one.
	nameProp string
	props    reflect.Type
	// ident computes Ref and attributes from the resource's name (the
	// nameProp's value or the local name).
	ident func(l *loader, e *entry, name string) identity
	// build makes the typed resource from its decoded props (a pointer to
	// a value of type props) and adds it to the stack.
	build func(l *loader, r *Resource, props any, id *identity) any
}

// identity is what other resources see of a resource: its name, Ref and
// attributes.
type identity struct {
	name, ref string
	attrs     map[string]string
}

var kinds map[string]*kind

// init fills kinds (a literal would be an initialisation cycle: the
// builders resolve references, which look kinds up).
func init() {
	kinds = map[string]*kind{
		"AWS::S3::Bucket":                  {word: "Bucket", prefixed: true, nameProp: "BucketName", props: reflect.TypeFor[BucketProps](), ident: identBucket, build: buildBucket},
		"AWS::Serverless::Function":        {word: "Function", prefixed: true, nameProp: "FunctionName", props: reflect.TypeFor[FunctionProps](), ident: identFunction, build: buildFunction},
		"AWS::Serverless::StateMachine":    {word: "StateMachine", nameProp: "Name", props: reflect.TypeFor[StateMachineProps](), ident: identStateMachine, build: buildStateMachine},
		"AWS::ApiGatewayV2::Api":           {word: "Api", props: reflect.TypeFor[APIProps](), ident: identAPI, build: buildAPI},
		"AWS::ApiGatewayV2::Integration":   {props: reflect.TypeFor[IntegrationProps](), ident: identCompact("IntegrationId"), build: buildIntegration},
		"AWS::ApiGatewayV2::Route":         {props: reflect.TypeFor[RouteProps](), ident: identCompact("RouteId"), build: buildRoute},
		"AWS::ApiGatewayV2::RouteResponse": {props: reflect.TypeFor[RouteResponseProps](), ident: identCompact("RouteResponseId"), build: buildRouteResponse},
		"AWS::ApiGatewayV2::Stage":         {nameProp: "StageName", props: reflect.TypeFor[StageProps](), ident: identPlain, build: buildStage},
		"AWS::Lambda::Permission":          {props: reflect.TypeFor[PermissionProps](), ident: identLogical, build: buildPermission},
		"AWS::SecretsManager::Secret":      {word: "Secret", prefixed: true, nameProp: "Name", props: reflect.TypeFor[SecretProps](), ident: identSecret, build: buildSecret},
		"AWS::SQS::Queue":                  {word: "Queue", prefixed: true, nameProp: "QueueName", props: reflect.TypeFor[QueueProps](), ident: identQueue, build: buildQueue},
		"AWS::SNS::Topic":                  {word: "Topic", prefixed: true, nameProp: "TopicName", props: reflect.TypeFor[TopicProps](), ident: identTopic, build: buildTopic},
		"AWS::SNS::Subscription":           {props: reflect.TypeFor[SubscriptionProps](), ident: identSubscription, build: buildSubscription},
		"AWS::SNS::TopicPolicy":            {props: reflect.TypeFor[TopicPolicyProps](), ident: identLogical, build: buildTopicPolicy},
		"AWS::Events::Rule":                {word: "Rule", prefixed: true, nameProp: "Name", props: reflect.TypeFor[RuleProps](), ident: identARN("events", "rule/"), build: buildRule},
		"AWS::CloudWatch::Alarm":           {word: "Alarm", prefixed: true, nameProp: "AlarmName", props: reflect.TypeFor[AlarmProps](), ident: identARN("cloudwatch", "alarm:"), build: buildAlarm},
		"AWS::Logs::LogGroup":              {word: "LogGroup", prefixed: true, nameProp: "LogGroupName", props: reflect.TypeFor[LogGroupProps](), ident: identLogGroup, build: buildLogGroup},
		"AWS::S3::BucketPolicy":            {props: reflect.TypeFor[BucketPolicyProps](), ident: identLogical, build: buildBucketPolicy},
		"AWS::ApiGatewayV2::Authorizer":    {props: reflect.TypeFor[AuthorizerProps](), ident: identCompact("AuthorizerId"), build: buildAuthorizer},
		"AWS::Budgets::Budget":             {word: "Budget", prefixed: true, props: reflect.TypeFor[BudgetProps](), ident: identBudget, build: buildBudget},
	}
}

// arn builds an ARN in the stack's partition, region and account.
func (l *loader) arn(service, resource string) string {
	o := l.opts
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", o.Partition, service, o.Region, o.AccountID, resource)
}

// ------------------------------------------------------------ identities

func identBucket(l *loader, e *entry, name string) identity {
	o := l.opts
	return identity{name: name, ref: name, attrs: map[string]string{
		"Arn":                 "arn:" + o.Partition + ":s3:::" + name,
		"DomainName":          name + ".s3." + o.URLSuffix,
		"RegionalDomainName":  name + ".s3." + o.Region + "." + o.URLSuffix,
		"DualStackDomainName": name + ".s3.dualstack." + o.Region + "." + o.URLSuffix,
		"WebsiteURL":          "http://" + name + ".s3-website-" + o.Region + "." + o.URLSuffix,
	}}
}

func identFunction(l *loader, e *entry, name string) identity {
	return identity{name: name, ref: name, attrs: map[string]string{"Arn": l.arn("lambda", "function:"+name)}}
}

func identStateMachine(l *loader, e *entry, name string) identity {
	arn := l.arn("states", "stateMachine:"+name)
	return identity{name: name, ref: arn, attrs: map[string]string{"Arn": arn, "Name": name}}
}

func identAPI(l *loader, e *entry, _ string) identity {
	id := l.opts.APIIDs[e.id]
	if id == "" {
		id = compactID(trimWord(e.id, "Api"))
	}
	scheme := "https"
	if p, _ := l.propString(e, "ProtocolType"); p == "WEBSOCKET" {
		scheme = "wss"
	}
	return identity{name: id, ref: id, attrs: map[string]string{
		"ApiId":       id,
		"ApiEndpoint": scheme + "://" + id + ".execute-api." + l.opts.Region + "." + l.opts.URLSuffix,
	}}
}

// identCompact is for API Gateway's sub-resources, whose Ref is an id.
func identCompact(attr string) func(*loader, *entry, string) identity {
	return func(l *loader, e *entry, _ string) identity {
		id := compactID(e.id)
		return identity{name: id, ref: id, attrs: map[string]string{attr: id}}
	}
}

// identPlain is for a resource whose Ref is its name (a stage).
func identPlain(l *loader, e *entry, name string) identity {
	return identity{name: name, ref: name, attrs: map[string]string{}}
}

// identLogical is for a resource whose Ref is an opaque id nothing else
// uses (a permission, a topic policy).
func identLogical(l *loader, e *entry, _ string) identity {
	return identity{name: e.id, ref: e.id, attrs: map[string]string{"Id": e.id}}
}

func identSecret(l *loader, e *entry, name string) identity {
	arn := l.arn("secretsmanager", "secret:"+name+"-"+secretSuffix(name))
	return identity{name: name, ref: arn, attrs: map[string]string{"Id": arn}}
}

func identQueue(l *loader, e *entry, name string) identity {
	url := "https://sqs." + l.opts.Region + "." + l.opts.URLSuffix + "/" + l.opts.AccountID + "/" + name
	return identity{name: name, ref: url, attrs: map[string]string{"Arn": l.arn("sqs", name), "QueueName": name, "QueueUrl": url}}
}

func identTopic(l *loader, e *entry, name string) identity {
	arn := l.arn("sns", name)
	return identity{name: name, ref: arn, attrs: map[string]string{"TopicArn": arn, "TopicName": name}}
}

func identSubscription(l *loader, e *entry, _ string) identity {
	topic, _ := l.propString(e, "TopicArn")
	arn := topic + ":" + uuidFrom(l.opts.StackName+"/"+e.id)
	return identity{name: arn, ref: arn, attrs: map[string]string{"Arn": arn}}
}

// identARN is for a resource whose Ref is its name and Arn
// arn:…:service:region:account:<prefix><name>.
func identARN(service, prefix string) func(*loader, *entry, string) identity {
	return func(l *loader, e *entry, name string) identity {
		return identity{name: name, ref: name, attrs: map[string]string{"Arn": l.arn(service, prefix+name)}}
	}
}

func identLogGroup(l *loader, e *entry, name string) identity {
	return identity{name: name, ref: name, attrs: map[string]string{"Arn": l.arn("logs", "log-group:"+name+":*")}}
}

// ---------------------------------------------------------------- builders

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func buildBucket(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*BucketProps)
	b := &Bucket{Resource: r, Name: id.name, ARN: id.attrs["Arn"], Props: *p}
	if !bucketName.MatchString(b.Name) {
		// The mistake README warns about: an upper-case stack name.
		l.problemf(r.Line, "%s: %q is not a valid S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')", r.LogicalID, b.Name)
	}
	if v := p.VersioningConfiguration; v != nil {
		l.oneOf(r, "VersioningConfiguration.Status", v.Status, "Enabled", "Suspended")
		b.Versioned = v.Status == "Enabled"
	}
	l.st.Buckets = append(l.st.Buckets, b)
	return b
}

func buildFunction(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*FunctionProps)
	f := &Function{Resource: r, Name: id.name, ARN: id.attrs["Arn"], Props: *p, RoleARN: p.Role,
		Environment: map[string]string{}, Timeout: 3 * time.Second, MemoryMB: 128}
	if f.RoleARN == "" {
		f.RoleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s-role", l.opts.Partition, l.opts.AccountID, f.Name)
	}
	if p.Environment != nil {
		for k, v := range p.Environment.Variables {
			f.Environment[k] = v
		}
	}
	if p.Timeout != 0 {
		f.Timeout = time.Duration(p.Timeout) * time.Second
	}
	if p.MemorySize != 0 {
		f.MemoryMB = p.MemorySize
	}
	l.between(r, "Timeout", p.Timeout, 1, 900)
	l.between(r, "MemorySize", p.MemorySize, 128, 10240)
	if c := p.ReservedConcurrentExecutions; c != nil && *c < 0 {
		l.problemf(l.propLine(r, "ReservedConcurrentExecutions"), "%s: ReservedConcurrentExecutions must not be negative", r.LogicalID)
	}
	l.checkInvokeConfig(r, p.EventInvokeConfig)
	f.Policies = l.policies(r, p.Policies)
	l.st.Functions = append(l.st.Functions, f)
	l.st.byARN[f.ARN] = f
	return f
}

func (l *loader) checkInvokeConfig(r *Resource, c *EventInvokeConfig) {
	if c == nil {
		return
	}
	if n := c.MaximumRetryAttempts; n != nil {
		l.between(r, "EventInvokeConfig.MaximumRetryAttempts", *n, 0, 2)
	}
	if n := c.MaximumEventAgeInSeconds; n != nil {
		l.between(r, "EventInvokeConfig.MaximumEventAgeInSeconds", *n, 60, 21600)
	}
	if c.DestinationConfig == nil {
		return
	}
	for i, d := range []*Destination{c.DestinationConfig.OnSuccess, c.DestinationConfig.OnFailure} {
		name := []string{"OnSuccess", "OnFailure"}[i]
		if d == nil {
			continue
		}
		l.oneOf(r, "EventInvokeConfig.DestinationConfig."+name+".Type", d.Type, "SQS", "SNS", "Lambda", "EventBridge")
		if d.Destination == "" {
			// SAM would create a queue or topic; locally the template must
			// declare it, so that it is visible and named.
			l.problemf(l.propLine(r, "EventInvokeConfig"), "%s: EventInvokeConfig.DestinationConfig.%s.Destination is required by the local cloud", r.LogicalID, name)
		}
	}
}

func buildStateMachine(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*StateMachineProps)
	sm := &StateMachine{Resource: r, Name: id.name, ARN: id.ref, Props: *p, Type: p.Type, RoleARN: p.Role}
	if sm.Type == "" {
		sm.Type = "STANDARD"
	}
	l.oneOf(r, "Type", sm.Type, "STANDARD", "EXPRESS")
	if sm.RoleARN == "" {
		sm.RoleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s-%s-role", l.opts.Partition, l.opts.AccountID, l.opts.StackName, sm.Name)
	}
	if lg := p.Logging; lg != nil {
		l.oneOf(r, "Logging.Level", lg.Level, "ALL", "ERROR", "FATAL", "OFF")
	}
	sm.Definition = l.definition(r, p)
	sm.Policies = l.policies(r, p.Policies)
	l.st.StateMachines = append(l.st.StateMachines, sm)
	return sm
}

func buildAPI(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*APIProps)
	if p.ProtocolType != "WEBSOCKET" {
		l.problemf(l.propLine(r, "ProtocolType"), "%s: ProtocolType %s is not supported by the local cloud (only WEBSOCKET)", r.LogicalID, p.ProtocolType)
	}
	if p.RouteSelectionExpression == "" {
		l.problemf(r.Line, "%s: a WEBSOCKET API needs a RouteSelectionExpression", r.LogicalID)
	}
	a := &API{Resource: r, ID: id.ref, Endpoint: id.attrs["ApiEndpoint"], Props: *p}
	l.st.APIs = append(l.st.APIs, a)
	return a
}

func buildIntegration(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*IntegrationProps)
	if p.IntegrationType != "AWS_PROXY" {
		l.problemf(l.propLine(r, "IntegrationType"), "%s: IntegrationType %s is not supported by the local cloud (only AWS_PROXY to a function)", r.LogicalID, p.IntegrationType)
	}
	return &Integration{Resource: r, ID: id.ref, Props: *p}
}

func buildRoute(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*RouteProps)
	switch p.AuthorizationType {
	case "", "NONE":
		if p.AuthorizerId != "" {
			l.problemf(l.propLine(r, "AuthorizerId"), "%s: AuthorizerId needs AuthorizationType CUSTOM", r.LogicalID)
		}
	case "CUSTOM":
		if p.AuthorizerId == "" {
			l.problemf(l.propLine(r, "AuthorizationType"), "%s: AuthorizationType CUSTOM needs an AuthorizerId", r.LogicalID)
		}
		if p.RouteKey != "$connect" {
			// API Gateway authorizes a WebSocket connection once, at $connect.
			l.problemf(l.propLine(r, "AuthorizationType"), "%s: a WebSocket API authorizes only its $connect route, not %s", r.LogicalID, p.RouteKey)
		}
	default:
		l.problemf(l.propLine(r, "AuthorizationType"), "%s: AuthorizationType %s is not supported by the local cloud (only NONE and CUSTOM)", r.LogicalID, p.AuthorizationType)
	}
	return &Route{Resource: r, ID: id.ref, Props: *p}
}

// identitySource is what a WebSocket REQUEST authorizer's identity source
// may name locally: a header or a query string parameter of $connect.
var identitySource = regexp.MustCompile(`^route\.request\.(header|querystring)\.[^.\s]+$`)

func buildAuthorizer(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*AuthorizerProps)
	if p.AuthorizerType != "REQUEST" {
		l.problemf(l.propLine(r, "AuthorizerType"), "%s: AuthorizerType %s: a WebSocket API takes REQUEST authorizers only", r.LogicalID, p.AuthorizerType)
	}
	a := &Authorizer{Resource: r, ID: id.ref, Props: *p}
	if m := integrationURI.FindStringSubmatch(p.AuthorizerUri); m != nil {
		a.FunctionARN = m[1]
	} else {
		l.problemf(l.propLine(r, "AuthorizerUri"), "%s: AuthorizerUri %q is not arn:…:apigateway:…:lambda:path/2015-03-31/functions/<function ARN>/invocations", r.LogicalID, p.AuthorizerUri)
	}
	for _, s := range p.IdentitySource {
		if !identitySource.MatchString(s) {
			l.problemf(l.propLine(r, "IdentitySource"), "%s: IdentitySource %q: the local gateway reads route.request.header.<name> and route.request.querystring.<name> only", r.LogicalID, s)
		}
	}
	return a
}

// identBudget: a budget's Ref is its name, Budget.BudgetName or the
// local name.
func identBudget(l *loader, e *entry, name string) identity {
	if e.props != nil && e.props.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(e.props.Content); i += 2 {
			if b := e.props.Content[i+1]; e.props.Content[i].Value == "Budget" && b.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(b.Content); j += 2 {
					if b.Content[j].Value == "BudgetName" {
						v, _ := l.value(b.Content[j+1], stringShape, "Resources."+e.id+".Properties.Budget.BudgetName")
						if s, _ := v.(string); s != "" {
							name = s
						}
					}
				}
			}
		}
	}
	return identity{name: name, ref: name, attrs: map[string]string{}}
}

func buildBudget(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*BudgetProps)
	b := p.Budget
	l.oneOf(r, "Budget.BudgetType", b.BudgetType, "COST", "USAGE", "RI_UTILIZATION", "RI_COVERAGE", "SAVINGS_PLANS_UTILIZATION", "SAVINGS_PLANS_COVERAGE")
	l.oneOf(r, "Budget.TimeUnit", b.TimeUnit, "DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY")
	if b.BudgetType == "COST" && (b.BudgetLimit == nil || b.BudgetLimit.Amount <= 0) {
		l.problemf(l.propLine(r, "Budget"), "%s: a COST budget needs a BudgetLimit with a positive Amount", r.LogicalID)
	}
	for i, n := range p.NotificationsWithSubscribers {
		at := fmt.Sprintf("NotificationsWithSubscribers[%d]", i)
		// The list's line: an element's own may be inside an Fn::If.
		line := l.propLine(r, "NotificationsWithSubscribers")
		nt := n.Notification
		l.oneOf(r, at+".Notification.NotificationType", nt.NotificationType, "ACTUAL", "FORECASTED")
		l.oneOf(r, at+".Notification.ComparisonOperator", nt.ComparisonOperator, "GREATER_THAN", "LESS_THAN", "EQUAL_TO")
		if nt.ThresholdType != "" {
			l.oneOf(r, at+".Notification.ThresholdType", nt.ThresholdType, "PERCENTAGE", "ABSOLUTE_VALUE")
		}
		if nt.Threshold <= 0 {
			l.problemf(line, "%s: %s.Notification.Threshold must be positive", r.LogicalID, at)
		}
		if len(n.Subscribers) == 0 || len(n.Subscribers) > 11 {
			l.problemf(line, "%s: %s has %d subscribers, want 1 to 11", r.LogicalID, at, len(n.Subscribers))
		}
		for _, s := range n.Subscribers {
			l.oneOf(r, at+".Subscribers.SubscriptionType", s.SubscriptionType, "EMAIL", "SNS")
			if s.SubscriptionType == "EMAIL" && !strings.Contains(s.Address, "@") {
				l.problemf(line, "%s: %s: %q is not an email address", r.LogicalID, at, s.Address)
			}
		}
	}
	bu := &Budget{Resource: r, Name: id.name, Props: *p}
	l.st.Budgets = append(l.st.Budgets, bu)
	return bu
}

func buildRouteResponse(l *loader, r *Resource, props any, id *identity) any {
	return &RouteResponse{Resource: r, ID: id.ref, Props: *props.(*RouteResponseProps)}
}

func buildStage(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*StageProps)
	if p.StageName == "" {
		l.problemf(r.Line, "%s: StageName is required", r.LogicalID)
	}
	return &Stage{Resource: r, Name: p.StageName, Props: *p}
}

func buildPermission(l *loader, r *Resource, props any, id *identity) any {
	p := &Permission{Resource: r, Props: *props.(*PermissionProps)}
	l.st.Permissions = append(l.st.Permissions, p)
	return p
}

func buildSecret(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*SecretProps)
	if p.SecretString != "" && p.GenerateSecretString != nil {
		l.problemf(r.Line, "%s: SecretString and GenerateSecretString are mutually exclusive", r.LogicalID)
	}
	s := &Secret{Resource: r, Name: id.name, ARN: id.ref, Props: *p}
	l.st.Secrets = append(l.st.Secrets, s)
	return s
}

func buildQueue(l *loader, r *Resource, props any, id *identity) any {
	q := &Queue{Resource: r, Name: id.name, ARN: id.attrs["Arn"], URL: id.ref, Props: *props.(*QueueProps)}
	if n := q.Props.MessageRetentionPeriod; n != nil {
		l.between(r, "MessageRetentionPeriod", *n, 60, 1209600)
	}
	l.st.Queues = append(l.st.Queues, q)
	return q
}

func buildTopic(l *loader, r *Resource, props any, id *identity) any {
	t := &Topic{Resource: r, Name: id.name, ARN: id.ref, Props: *props.(*TopicProps)}
	l.st.Topics = append(l.st.Topics, t)
	return t
}

func buildSubscription(l *loader, r *Resource, props any, id *identity) any {
	return &Subscription{Resource: r, ARN: id.ref, Props: *props.(*SubscriptionProps)}
}

func buildTopicPolicy(l *loader, r *Resource, props any, id *identity) any {
	return &TopicPolicy{Resource: r, Props: *props.(*TopicPolicyProps)}
}

func buildRule(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*RuleProps)
	var every time.Duration
	switch {
	case p.EventPattern != nil && p.ScheduleExpression != "":
		l.problemf(r.Line, "%s: the local cloud supports a rule with an EventPattern or a ScheduleExpression, not both", r.LogicalID)
	case p.ScheduleExpression != "":
		var err error
		if every, err = ParseRate(p.ScheduleExpression); err != nil {
			l.problemf(l.propLine(r, "ScheduleExpression"), "%s: %v", r.LogicalID, err)
		}
	case p.EventPattern == nil:
		l.problemf(r.Line, "%s: a rule needs an EventPattern or a ScheduleExpression", r.LogicalID)
	}
	if p.State != "" {
		l.oneOf(r, "State", p.State, "ENABLED", "DISABLED")
	}
	if p.EventBusName != "" && p.EventBusName != "default" {
		l.problemf(l.propLine(r, "EventBusName"), "%s: EventBusName %s is not supported by the local cloud (only the default bus)", r.LogicalID, p.EventBusName)
	}
	ru := &Rule{Resource: r, Name: id.name, ARN: id.attrs["Arn"], Props: *p, Every: every}
	l.st.Rules = append(l.st.Rules, ru)
	return ru
}

func buildAlarm(l *loader, r *Resource, props any, id *identity) any {
	p := props.(*AlarmProps)
	l.oneOf(r, "ComparisonOperator", p.ComparisonOperator, "GreaterThanOrEqualToThreshold", "GreaterThanThreshold",
		"LessThanThreshold", "LessThanOrEqualToThreshold")
	if p.TreatMissingData != "" {
		l.oneOf(r, "TreatMissingData", p.TreatMissingData, "breaching", "notBreaching", "ignore", "missing")
	}
	a := &Alarm{Resource: r, Name: id.name, ARN: id.attrs["Arn"], Props: *p}
	l.st.Alarms = append(l.st.Alarms, a)
	return a
}

func buildBucketPolicy(l *loader, r *Resource, props any, id *identity) any {
	return &BucketPolicy{Resource: r, Props: *props.(*BucketPolicyProps)}
}

// retentionDays are the values CloudWatch Logs accepts for RetentionInDays.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func buildLogGroup(l *loader, r *Resource, props any, id *identity) any {
	g := &LogGroup{Resource: r, Name: id.name, ARN: id.attrs["Arn"], Props: *props.(*LogGroupProps)}
	if d := g.Props.RetentionInDays; d != 0 && !slices.Contains(retentionDays, d) {
		l.problemf(l.propLine(r, "RetentionInDays"), "%s: RetentionInDays is %d, want one of %v", r.LogicalID, d, retentionDays)
	}
	l.st.LogGroups = append(l.st.LogGroups, g)
	return g
}

// oneOf checks an enumerated property.
func (l *loader) oneOf(r *Resource, prop, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		l.problemf(l.propLine(r, prop), "%s: %s is %q, want one of %v", r.LogicalID, prop, v, allowed)
	}
}

// between checks a numeric property, when set.
func (l *loader) between(r *Resource, prop string, v, lo, hi int) {
	if v != 0 && (v < lo || v > hi) {
		l.problemf(l.propLine(r, prop), "%s: %s is %d, want %d to %d", r.LogicalID, prop, v, lo, hi)
	}
}
