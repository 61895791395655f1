package stack

import "time"

// Stack is a loaded template: every resource it creates, resolved against
// the local values, typed for what the local cloud acts on. Slices keep the
// template's order.
type Stack struct {
	// Name, AccountID, Region, Partition and URLSuffix are the values the
	// pseudo-parameters resolved to.
	Name, AccountID, Region, Partition, URLSuffix string
	Description                                   string
	// Parameters are the parameters' values (a list parameter's values
	// joined by commas); Conditions the conditions' values.
	Parameters map[string]string
	Conditions map[string]bool
	// Resources are the resources the stack creates; Skipped the logical
	// ids of those whose Condition is false.
	Resources []*Resource
	Skipped   []string
	// Outputs are the resolved values of the outputs the stack creates.
	Outputs map[string]string

	Buckets       []*Bucket
	Functions     []*Function
	StateMachines []*StateMachine
	APIs          []*API
	Permissions   []*Permission
	Secrets       []*Secret
	Queues        []*Queue
	Topics        []*Topic
	Rules         []*Rule
	Alarms        []*Alarm
	LogGroups     []*LogGroup
	Budgets       []*Budget

	byID  map[string]*Resource
	byARN map[string]*Function
}

// Resource is what every resource has: its declaration, its resolved
// properties as generic values (what the typed structs decode from), and
// what Ref and Fn::GetAtt return for it locally.
type Resource struct {
	LogicalID, Type string
	// Line is the line of the resource's logical id in the template.
	Line                                int
	Condition                           string
	DependsOn                           []string
	DeletionPolicy, UpdateReplacePolicy string
	Metadata                            map[string]any
	// Properties are the resolved properties: strings, int64, float64,
	// bool, []any and map[string]any.
	Properties map[string]any
	// Ref is what !Ref returns, Attrs what !GetAtt returns by attribute.
	Ref   string
	Attrs map[string]string
	// Typed is the typed resource (*Bucket, *Function, ...).
	Typed any
}

// Resource returns the created resource with that logical id, or nil.
func (s *Stack) Resource(logicalID string) *Resource { return s.byID[logicalID] }

func typed[T any](s *Stack, id string) T {
	var zero T
	r := s.byID[id]
	if r == nil {
		return zero
	}
	t, _ := r.Typed.(T)
	return t
}

// Bucket returns the bucket with that logical id, or nil.
func (s *Stack) Bucket(id string) *Bucket { return typed[*Bucket](s, id) }

// Function returns the function with that logical id, or nil.
func (s *Stack) Function(id string) *Function { return typed[*Function](s, id) }

// StateMachine returns the state machine with that logical id, or nil.
func (s *Stack) StateMachine(id string) *StateMachine { return typed[*StateMachine](s, id) }

// API returns the WebSocket API with that logical id, or nil.
func (s *Stack) API(id string) *API { return typed[*API](s, id) }

// Queue returns the queue with that logical id, or nil.
func (s *Stack) Queue(id string) *Queue { return typed[*Queue](s, id) }

// Topic returns the topic with that logical id, or nil.
func (s *Stack) Topic(id string) *Topic { return typed[*Topic](s, id) }

// Rule returns the rule with that logical id, or nil.
func (s *Stack) Rule(id string) *Rule { return typed[*Rule](s, id) }

// Secret returns the secret with that logical id, or nil.
func (s *Stack) Secret(id string) *Secret { return typed[*Secret](s, id) }

// FunctionByARN returns the function of the stack with that ARN (a state
// machine task's Resource, a destination), or nil.
func (s *Stack) FunctionByARN(arn string) *Function { return s.byARN[arn] }

// Bucket is an AWS::S3::Bucket.
type Bucket struct {
	*Resource
	Name, ARN string
	Props     BucketProps
	// Versioned is VersioningConfiguration.Status == Enabled.
	Versioned bool
	// Policies are the bucket's AWS::S3::BucketPolicy documents.
	Policies []*BucketPolicy
	// LogsTo is the bucket LoggingConfiguration sends access logs to, or
	// nil.
	LogsTo *Bucket
	// Notifications flattens NotificationConfiguration (which includes
	// the SAM S3 events of the stack's functions): one per event type.
	Notifications []Notification
}

// Notification is one event type a bucket notifies a target of.
type Notification struct {
	Event          string // s3:ObjectCreated:*
	Prefix, Suffix string // the key filter; empty matches every key
	// Target is "Lambda", "Queue" or "Topic"; TargetARN its ARN;
	// Function is set when the target is a function of the stack.
	Target, TargetARN string
	Function          *Function
}

// Function is an AWS::Serverless::Function, with Globals.Function merged.
type Function struct {
	*Resource
	Name, ARN string
	// RoleARN is the function's role: its Role property, or the role SAM
	// would create for its Policies, named "<function name>-role" locally.
	RoleARN string
	Props   FunctionProps
	// Environment is Environment.Variables (never nil).
	Environment map[string]string
	// Timeout and MemoryMB are Timeout and MemorySize, or Lambda's
	// defaults (3 s, 128 MB) when the template sets neither.
	Timeout  time.Duration
	MemoryMB int
	// Policies are the function's Policies, one entry each.
	Policies []Policy
	// S3Events are the function's Events of type S3.
	S3Events []S3Event
}

// S3Event is a SAM S3 event source: Bucket notifies the function.
type S3Event struct {
	Name           string
	Bucket         *Bucket
	Events         []string
	Prefix, Suffix string
}

// Policy is one entry of SAM's Policies: exactly one of ManagedPolicy (a
// name or ARN), Document (an IAM policy document with its statements) and
// Template (a SAM policy template with its parameters, expanded by the
// IAM evaluation) is set.
type Policy struct {
	ManagedPolicy string
	Document      map[string]any
	Template      string
	Params        map[string]any
}

// StateMachine is an AWS::Serverless::StateMachine.
type StateMachine struct {
	*Resource
	Name, ARN string
	// RoleARN is the Role property or "<stack>-<name>-role" locally.
	RoleARN string
	// Type is STANDARD (the default) or EXPRESS.
	Type  string
	Props StateMachineProps
	// Definition is the ASL definition (DefinitionUri's file, or
	// Definition as JSON) with DefinitionSubstitutions applied.
	Definition string
	Policies   []Policy
}

// API is an AWS::ApiGatewayV2::Api of protocol WEBSOCKET, with the
// integrations, routes and stages that name it.
type API struct {
	*Resource
	// ID is the API id (Options.APIIDs, or derived from the logical id);
	// Endpoint the API's wss:// endpoint as AWS names it.
	ID, Endpoint string
	Props        APIProps
	Integrations []*Integration
	Authorizers  []*Authorizer
	Routes       []*Route
	Stages       []*Stage
}

// Route returns the API's route with that key ($connect, upload, ...), or
// nil.
func (a *API) Route(key string) *Route {
	for _, r := range a.Routes {
		if r.Props.RouteKey == key {
			return r
		}
	}
	return nil
}

// Integration is an AWS::ApiGatewayV2::Integration (AWS_PROXY to a
// function).
type Integration struct {
	*Resource
	ID          string
	Props       IntegrationProps
	API         *API
	FunctionARN string
	// Function is the stack's function behind FunctionARN, or nil.
	Function *Function
}

// Route is an AWS::ApiGatewayV2::Route.
type Route struct {
	*Resource
	ID          string
	Props       RouteProps
	API         *API
	Integration *Integration // nil for a route without a target
	// Authorizer is the route's CUSTOM authorizer (AuthorizerId), or nil.
	Authorizer *Authorizer
	Responses  []*RouteResponse
}

// Function is the function that serves the route, or nil.
func (r *Route) Function() *Function {
	if r.Integration == nil {
		return nil
	}
	return r.Integration.Function
}

// TwoWay says whether the route answers its caller: it has a route
// response, as API Gateway requires.
func (r *Route) TwoWay() bool { return len(r.Responses) > 0 }

// RouteResponse is an AWS::ApiGatewayV2::RouteResponse.
type RouteResponse struct {
	*Resource
	ID    string
	Props RouteResponseProps
	Route *Route
}

// Stage is an AWS::ApiGatewayV2::Stage.
type Stage struct {
	*Resource
	Name  string
	Props StageProps
	API   *API
}

// Permission is an AWS::Lambda::Permission.
type Permission struct {
	*Resource
	Props    PermissionProps
	Function *Function // nil when FunctionName is not the stack's
}

// Secret is an AWS::SecretsManager::Secret.
type Secret struct {
	*Resource
	Name, ARN string
	Props     SecretProps
}

// Queue is an AWS::SQS::Queue.
type Queue struct {
	*Resource
	Name, ARN, URL string
	Props          QueueProps
}

// Topic is an AWS::SNS::Topic with its subscriptions and policies.
type Topic struct {
	*Resource
	Name, ARN     string
	Props         TopicProps
	Subscriptions []*Subscription
	Policies      []*TopicPolicy
}

// Subscription is an AWS::SNS::Subscription.
type Subscription struct {
	*Resource
	ARN   string
	Props SubscriptionProps
	Topic *Topic
}

// TopicPolicy is an AWS::SNS::TopicPolicy.
type TopicPolicy struct {
	*Resource
	Props  TopicPolicyProps
	Topics []*Topic
}

// Rule is an AWS::Events::Rule: it matches events (Props.EventPattern)
// or fires on a schedule (Props.ScheduleExpression).
type Rule struct {
	*Resource
	Name, ARN string
	Props     RuleProps
	// Every is the period of a scheduled rule (its rate expression); zero
	// for a rule that matches events.
	Every time.Duration
}

// Alarm is an AWS::CloudWatch::Alarm.
type Alarm struct {
	*Resource
	Name, ARN string
	Props     AlarmProps
}

// LogGroup is an AWS::Logs::LogGroup.
type LogGroup struct {
	*Resource
	Name, ARN string
	Props     LogGroupProps
}

// BucketPolicy is an AWS::S3::BucketPolicy.
type BucketPolicy struct {
	*Resource
	Props  BucketPolicyProps
	Bucket *Bucket
}

// Authorizer is an AWS::ApiGatewayV2::Authorizer: a Lambda REQUEST
// authorizer of a WebSocket API.
type Authorizer struct {
	*Resource
	ID    string
	Props AuthorizerProps
	API   *API
	// FunctionARN is the authorizer function, from AuthorizerUri; it may
	// be outside the stack.
	FunctionARN string
}

// Budget is an AWS::Budgets::Budget. Nothing costs anything locally: the
// local cloud validates it and records it.
type Budget struct {
	*Resource
	Name  string
	Props BudgetProps
}
