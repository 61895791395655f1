package stack

import (
	"encoding/json"
	"fmt"
)

// The *Props structs are the template's properties of each supported type,
// resolved. Their fields are, by reflection, the list of properties the
// local cloud accepts (see shape.go): a property that is not a field here
// is refused, so adding support for one is adding its field (and its row
// in docs/local-cloud.md). Field names are CloudFormation's.

// StringList is a property that CloudFormation accepts as one string or a
// list of strings (an S3 event's Events, a statement's Action).
type StringList []string

// UnmarshalJSON accepts a string or a list of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = StringList{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*l = ss
	return nil
}

// Tag is CloudFormation's {Key, Value} tag.
type Tag struct {
	Key   string `stack:"required"`
	Value string `stack:"required"`
}

// ---------------------------------------------------------------- S3

// BucketProps are AWS::S3::Bucket's properties.
type BucketProps struct {
	BucketName                     string
	VersioningConfiguration        *struct{ Status string }
	CorsConfiguration              *CorsConfiguration
	LifecycleConfiguration         *LifecycleConfiguration
	BucketEncryption               *BucketEncryption
	PublicAccessBlockConfiguration *PublicAccessBlock
	OwnershipControls              *struct {
		Rules []struct{ ObjectOwnership string }
	}
	NotificationConfiguration *NotificationConfiguration
	LoggingConfiguration      *LoggingConfiguration
	Tags                      []Tag
}

// LoggingConfiguration sends a bucket's S3 server access logs to another
// bucket of the stack, under LogFilePrefix.
type LoggingConfiguration struct {
	DestinationBucketName string `stack:"required"`
	LogFilePrefix         string
}

// BucketPolicyProps are AWS::S3::BucketPolicy's properties.
type BucketPolicyProps struct {
	Bucket         string         `stack:"required"`
	PolicyDocument map[string]any `stack:"required"`
}

// CorsConfiguration is a bucket's CORS configuration.
type CorsConfiguration struct {
	CorsRules []CorsRule
}

// CorsRule is one CORS rule, as S3 stores it.
type CorsRule struct {
	Id             string
	AllowedOrigins []string `stack:"required"`
	AllowedMethods []string `stack:"required"`
	AllowedHeaders []string
	ExposedHeaders []string
	MaxAge         int
}

// LifecycleConfiguration is a bucket's lifecycle rules.
type LifecycleConfiguration struct {
	Rules []LifecycleRule
}

// LifecycleRule expires objects under Prefix; the local cloud applies it
// with a sweep.
type LifecycleRule struct {
	Id                                string
	Status                            string `stack:"required"`
	Prefix                            string
	ExpirationInDays                  int
	NoncurrentVersionExpirationInDays int
	NoncurrentVersionExpiration       *struct {
		NoncurrentDays          int
		NewerNoncurrentVersions int
	}
	AbortIncompleteMultipartUpload *struct{ DaysAfterInitiation int }
}

// BucketEncryption is a bucket's default encryption.
type BucketEncryption struct {
	ServerSideEncryptionConfiguration []struct {
		ServerSideEncryptionByDefault *struct {
			SSEAlgorithm   string
			KMSMasterKeyID string
		}
		BucketKeyEnabled bool
	}
}

// PublicAccessBlock is a bucket's public-access block.
type PublicAccessBlock struct {
	BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls, RestrictPublicBuckets bool
}

// NotificationConfiguration is a bucket's notification configuration; SAM's
// S3 events add their LambdaConfigurations to it, as SAM's translator does.
type NotificationConfiguration struct {
	LambdaConfigurations []NotificationTarget `json:",omitempty"`
	QueueConfigurations  []NotificationTarget `json:",omitempty"`
	TopicConfigurations  []NotificationTarget `json:",omitempty"`
}

// NotificationTarget is one Lambda, Queue or Topic configuration: exactly
// one of Function, Queue and Topic is set, as its list says.
type NotificationTarget struct {
	Event    string              `stack:"required"`
	Filter   *NotificationFilter `json:",omitempty"`
	Function string              `json:",omitempty"`
	Queue    string              `json:",omitempty"`
	Topic    string              `json:",omitempty"`
}

// NotificationFilter filters by key prefix and suffix.
type NotificationFilter struct {
	S3Key struct {
		Rules []FilterRule
	}
}

// FilterRule is {Name: prefix|suffix, Value}.
type FilterRule struct {
	Name  string `stack:"required"`
	Value string `stack:"required"`
}

// ---------------------------------------------------------------- Lambda

// FunctionProps are AWS::Serverless::Function's properties, after the
// template's Globals.Function are merged in.
type FunctionProps struct {
	FunctionName                 string
	Description                  string
	Runtime                      string
	Handler                      string
	CodeUri                      any
	Architectures                []string
	MemorySize                   int
	Timeout                      int
	ReservedConcurrentExecutions *int
	Environment                  *struct{ Variables map[string]string }
	Events                       map[string]FunctionEvent
	EventInvokeConfig            *EventInvokeConfig
	Policies                     any
	Role                         string
	LoggingConfig                *struct{ LogFormat, LogGroup, ApplicationLogLevel, SystemLogLevel string }
	Tags                         map[string]string
}

// FunctionEvent is an entry of a function's Events; S3 is the only type
// the local cloud supports.
type FunctionEvent struct {
	Type       string `stack:"required"`
	Properties S3EventProps
}

// S3EventProps are an S3 event source's properties.
type S3EventProps struct {
	Bucket string     `stack:"required"`
	Events StringList `stack:"required"`
	Filter *NotificationFilter
}

// EventInvokeConfig configures asynchronous invocation: retries, maximum
// event age and destinations.
type EventInvokeConfig struct {
	MaximumRetryAttempts     *int
	MaximumEventAgeInSeconds *int
	DestinationConfig        *struct {
		OnSuccess *Destination
		OnFailure *Destination
	}
}

// Destination is where an asynchronous invocation's record goes.
type Destination struct {
	Type        string `stack:"required"` // SQS, SNS, Lambda or EventBridge
	Destination string // ARN
}

// PermissionProps are AWS::Lambda::Permission's properties.
type PermissionProps struct {
	Action        string `stack:"required"`
	FunctionName  string `stack:"required"`
	Principal     string `stack:"required"`
	SourceArn     string
	SourceAccount string
}

// ---------------------------------------------------------- Step Functions

// StateMachineProps are AWS::Serverless::StateMachine's properties.
type StateMachineProps struct {
	Name                    string
	Type                    string
	DefinitionUri           string
	Definition              any
	DefinitionSubstitutions map[string]string
	Logging                 *struct {
		Level                string
		IncludeExecutionData bool
		Destinations         []struct {
			CloudWatchLogsLogGroup struct{ LogGroupArn string }
		}
	}
	Policies any
	Role     string
	Tags     map[string]string
}

// ------------------------------------------------------------ API Gateway

// APIProps are AWS::ApiGatewayV2::Api's properties.
type APIProps struct {
	Name                     string
	Description              string
	ProtocolType             string `stack:"required"`
	RouteSelectionExpression string
	Tags                     map[string]string
}

// IntegrationProps are AWS::ApiGatewayV2::Integration's properties.
type IntegrationProps struct {
	ApiId             string `stack:"required"`
	IntegrationType   string `stack:"required"`
	IntegrationUri    string
	IntegrationMethod string
	Description       string
	TimeoutInMillis   int
}

// RouteProps are AWS::ApiGatewayV2::Route's properties.
type RouteProps struct {
	ApiId                            string `stack:"required"`
	RouteKey                         string `stack:"required"`
	Target                           string
	RouteResponseSelectionExpression string
	AuthorizationType                string
	AuthorizerId                     string
	OperationName                    string
}

// AuthorizerProps are AWS::ApiGatewayV2::Authorizer's properties (a
// WebSocket API's Lambda REQUEST authorizer).
type AuthorizerProps struct {
	ApiId                    string `stack:"required"`
	AuthorizerType           string `stack:"required"`
	Name                     string `stack:"required"`
	AuthorizerUri            string
	AuthorizerCredentialsArn string
	IdentitySource           []string
}

// RouteResponseProps are AWS::ApiGatewayV2::RouteResponse's properties.
type RouteResponseProps struct {
	ApiId            string `stack:"required"`
	RouteId          string `stack:"required"`
	RouteResponseKey string `stack:"required"`
}

// StageProps are AWS::ApiGatewayV2::Stage's properties.
type StageProps struct {
	ApiId                string `stack:"required"`
	StageName            string `stack:"required"`
	Description          string
	AutoDeploy           bool
	DefaultRouteSettings *struct {
		ThrottlingBurstLimit int
		ThrottlingRateLimit  float64
	}
	StageVariables map[string]string
}

// ------------------------------------------------- the stack's other services

// SecretProps are AWS::SecretsManager::Secret's properties.
type SecretProps struct {
	Name                 string
	Description          string
	SecretString         string
	GenerateSecretString *struct {
		PasswordLength          int
		ExcludeCharacters       string
		ExcludeLowercase        bool
		ExcludeUppercase        bool
		ExcludeNumbers          bool
		ExcludePunctuation      bool
		IncludeSpace            bool
		RequireEachIncludedType bool
		SecretStringTemplate    string
		GenerateStringKey       string
	}
	Tags []Tag
}

// QueueProps are AWS::SQS::Queue's properties.
type QueueProps struct {
	QueueName                     string
	DelaySeconds                  *int
	MaximumMessageSize            *int
	MessageRetentionPeriod        *int
	ReceiveMessageWaitTimeSeconds *int
	VisibilityTimeout             *int
	SqsManagedSseEnabled          bool
	RedrivePolicy                 *struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     int    `json:"maxReceiveCount"`
	}
	Tags []Tag
}

// TopicProps are AWS::SNS::Topic's properties.
type TopicProps struct {
	TopicName    string
	DisplayName  string
	Subscription []struct{ Endpoint, Protocol string }
	Tags         []Tag
}

// SubscriptionProps are AWS::SNS::Subscription's properties.
type SubscriptionProps struct {
	TopicArn           string `stack:"required"`
	Protocol           string `stack:"required"`
	Endpoint           string
	FilterPolicy       any
	FilterPolicyScope  string
	RawMessageDelivery bool
}

// TopicPolicyProps are AWS::SNS::TopicPolicy's properties.
type TopicPolicyProps struct {
	Topics         []string       `stack:"required"`
	PolicyDocument map[string]any `stack:"required"`
}

// RuleProps are AWS::Events::Rule's properties.
type RuleProps struct {
	Name         string
	Description  string
	EventBusName string
	EventPattern map[string]any
	// ScheduleExpression is rate(...) or cron(...); the local cloud
	// fires rate schedules (ParseRate).
	ScheduleExpression string
	State              string
	Targets            []RuleTarget
}

// RuleTarget is one target of a rule.
type RuleTarget struct {
	Id          string `stack:"required"`
	Arn         string `stack:"required"`
	RoleArn     string
	Input       string
	InputPath   string
	RetryPolicy *struct {
		MaximumRetryAttempts     *int
		MaximumEventAgeInSeconds *int
	}
	DeadLetterConfig *struct{ Arn string }
}

// AlarmProps are AWS::CloudWatch::Alarm's properties.
type AlarmProps struct {
	AlarmName               string
	AlarmDescription        string
	ActionsEnabled          *bool
	Namespace               string
	MetricName              string
	Dimensions              []struct{ Name, Value string }
	Statistic               string
	ExtendedStatistic       string
	Unit                    string
	Period                  int
	EvaluationPeriods       int `stack:"required"`
	DatapointsToAlarm       int
	Threshold               float64
	ComparisonOperator      string `stack:"required"`
	TreatMissingData        string
	AlarmActions            []string
	OKActions               []string
	InsufficientDataActions []string
	// Metrics is a metric-math alarm's queries, instead of MetricName.
	Metrics []AlarmMetricQuery
}

// AlarmMetricQuery is one entry of an alarm's Metrics: a metric (MetricStat)
// or an expression over the others' ids.
type AlarmMetricQuery struct {
	Id         string `stack:"required"`
	Expression string
	Label      string
	ReturnData *bool
	Period     int
	MetricStat *struct {
		Metric struct {
			Namespace  string
			MetricName string
			Dimensions []struct{ Name, Value string }
		}
		Period int    `stack:"required"`
		Stat   string `stack:"required"`
		Unit   string
	}
}

// LogGroupProps are AWS::Logs::LogGroup's properties.
type LogGroupProps struct {
	LogGroupName    string
	RetentionInDays int
}

// BudgetProps are AWS::Budgets::Budget's properties.
type BudgetProps struct {
	Budget struct {
		BudgetName  string
		BudgetType  string `stack:"required"`
		TimeUnit    string `stack:"required"`
		BudgetLimit *struct {
			Amount float64 `stack:"required"`
			Unit   string  `stack:"required"`
		}
	} `stack:"required"`
	NotificationsWithSubscribers []BudgetNotification
}

// BudgetNotification is one threshold of a budget and who is told.
type BudgetNotification struct {
	Notification struct {
		NotificationType   string  `stack:"required"`
		ComparisonOperator string  `stack:"required"`
		Threshold          float64 `stack:"required"`
		ThresholdType      string
	} `stack:"required"`
	Subscribers []struct {
		SubscriptionType string `stack:"required"`
		Address          string `stack:"required"`
	} `stack:"required"`
}
