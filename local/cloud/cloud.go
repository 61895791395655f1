// Package cloud runs the whole product on one machine: the local S3, the
// Step Functions engine, the WebSocket gateway, the Lambda handlers and the
// web client, in one process, with no AWS account and no Docker.
//
// The local cloud is built from the stack's own template (template.yaml,
// through local/stack): its buckets with their configuration, its
// functions with their environment and limits, its state machine, its
// WebSocket API. Nothing the template declares is written again here, so
// the two clouds cannot drift. Every AWS service answers on one endpoint,
// as LocalStack's does, so AWS_ENDPOINT_URL works for every SDK client and
// for the aws CLI. The handlers are the same code the Lambda mains run,
// built by the same constructors from the same variables; only the
// endpoints differ (see endpoints.go). docs/local-cloud.md has the details.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"thumbflow"
	"thumbflow/local/apigw"
	"thumbflow/local/asl"
	"thumbflow/local/cloudwatch"
	"thumbflow/local/events"
	"thumbflow/local/iam"
	"thumbflow/local/lambda"
	locals3 "thumbflow/local/s3"
	"thumbflow/local/secretsmanager"
	"thumbflow/local/sfn"
	"thumbflow/local/sigv4"
	"thumbflow/local/sns"
	"thumbflow/local/sqs"
	"thumbflow/local/stack"
)

// Config says where the local cloud listens, keeps its data, and which
// template it runs. The zero value of every field but Addr and WebAddr has
// a sensible default.
type Config struct {
	// Addr is the single AWS endpoint (S3, Step Functions, @connections,
	// and the WebSocket API at /{stage}); ":0" picks a free port.
	Addr string
	// WebAddr serves the browser client.
	WebAddr string
	// DataDir persists everything; empty keeps it in memory (tests).
	DataDir string
	// Credentials every request must be signed with; empty generates a
	// pair per data directory (Cloud.AccessKeyID has the ones in use).
	// Region is AWS::Region ("us-east-1").
	AccessKeyID, SecretAccessKey, Region string
	// Public serves requests naming any Host, not only loopback ones, and
	// the web client at any address, for testing from another device.
	Public bool
	// Files holds the template and the files it names (DefinitionUri),
	// at their paths relative to it; nil is the embedded thumbflow.Files.
	Files fs.FS
	// Template is the template's path in Files ("template.yaml").
	Template string
	// StackName is AWS::StackName and the prefix of local names
	// ("thumbflow"; -stack).
	StackName string
	// Parameters override the template's parameter defaults (-param).
	// WebOrigin, when the template declares it, defaults to the web
	// client's origin.
	Parameters map[string]string
	// CPUSlots caps the concurrent invocations of a CPU-bound function
	// (the converter) below its reserved concurrency; 0 is
	// runtime.NumCPU(). Tests that are not about throttling raise it, so
	// the template's reservation alone applies.
	CPUSlots int
	// Clock drives the state machine's waits, back-off and timeouts; nil
	// is real time (clock.System). Tests pass a clocktest.FastClock.
	Clock asl.Clock
	// WebSocketLimits override API Gateway's limits (tests shorten them).
	WebSocketLimits apigw.Limits
	// AlertWebhook is subscribed (http or https, raw message delivery) to
	// the topics the template's rules target, so it receives the
	// EventBridge event of every execution those rules match, and the
	// alarms' notifications; empty adds no subscription.
	AlertWebhook string
	// Metrics receives the functions' embedded-metric-format lines (what
	// Lambda's stdout carries to CloudWatch Logs); nil drops them.
	Metrics io.Writer
	// AccountID is the account every local ARN names; empty is
	// AccountID, the default.
	AccountID string
	Logger    *slog.Logger

	// Runtime is how functions run: RuntimeInProcess (empty) or
	// RuntimeProcess (process.go; -runtime process).
	Runtime string
	// SourceDir holds the Makefile and the module RuntimeProcess builds
	// ("."); BuildDir receives the bootstraps (empty: a temporary
	// directory). ProcessOutput receives the processes' logs (os.Stderr).
	SourceDir, BuildDir string
	ProcessOutput       io.Writer
}

// AccountID is the account local ARNs name unless Config.AccountID (the
// -account flag) says otherwise.
const AccountID = "000000000000"

// The stack outputs the operator page reads, as an operator configures
// the CLI on AWS from the same outputs.
const (
	outputStateMachine  = "StateMachineArn"
	outputRecordsBucket = "RecordsBucketName"
	outputOutputBucket  = "OutputBucketName"
)

// Cloud is a running local cloud.
type Cloud struct {
	cfg Config
	log *slog.Logger

	// Stack is the template's resolved model: every name, ARN and
	// setting the local cloud was built from. Tests and tools find the
	// buckets, functions and state machine there, by logical id.
	Stack *stack.Stack

	// The services, exposed for tests and fault injection.
	S3      *locals3.Server
	SFN     *sfn.Service
	Gateway *apigw.Gateway
	Lambdas *lambda.Registry
	procs   processes
	Events  *events.Service
	Topics  *sns.Service
	Secrets *secretsmanager.Service
	Queues  *sqs.Service
	Alarms  *cloudwatch.Service

	// Endpoint is the AWS endpoint URL, WebSocketURL the API's URL,
	// WebURL the browser client's.
	Endpoint, WebSocketURL, WebURL string
	// StateMachineARN is the stack's StateMachineArn output: the
	// workflow the operator page shows.
	StateMachineARN string
	// AccessKeyID and SecretAccessKey are the credentials requests must
	// be signed with: Config's, or the generated ones.
	AccessKeyID, SecretAccessKey string

	verifier *sigv4.Verifier
	authz    *iam.Authorizer
	// bucketPolicies are the template's bucket policies by bucket name.
	bucketPolicies map[string][]iam.Policy
	hosts          *awsHosts
	api            *webSocketAPI
	stopWatch      func() // ends the definition files' watchers

	awsLn, webLn net.Listener
	awsSrv       *http.Server
	ready        atomic.Pointer[http.Handler] // the endpoint, once everything is built
	readyCh      chan struct{}                // closed when ready is set
	webSrv       *http.Server
	stop         chan struct{}
	sweeper      sync.WaitGroup
	closeOnce    sync.Once
}

func (c *Config) defaults() {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Template == "" {
		c.Template = thumbflow.TemplatePath
	}
	if c.AccountID == "" {
		c.AccountID = AccountID
	}
	if c.StackName == "" {
		c.StackName = "thumbflow"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Start loads the template, brings up the local cloud it declares and
// returns once every listener accepts connections. A template the local
// cloud cannot honour is refused with every problem and its line.
func Start(cfg Config) (c *Cloud, err error) {
	cfg.defaults()
	c = &Cloud{cfg: cfg, log: cfg.Logger, stop: make(chan struct{}), readyCh: make(chan struct{})}
	// A failed start stops what it started; c itself is nil by then.
	started := c
	defer func() {
		if err != nil {
			started.Close()
		}
	}()
	if err := c.listen(); err != nil {
		return nil, err
	}
	if c.Stack, err = c.loadStack(); err != nil {
		return nil, err
	}
	if err := c.build(); err != nil {
		return nil, err
	}
	c.serve()
	return c, nil
}

// listen takes the data directory, the credentials and both ports: the
// web client's origin is a parameter of the template.
func (c *Cloud) listen() error {
	cfg := c.cfg
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
	}
	creds, err := c.credentials()
	if err != nil {
		return err
	}
	c.AccessKeyID, c.SecretAccessKey = creds.AccessKeyID, creds.SecretAccessKey
	if c.awsLn, err = net.Listen("tcp", cfg.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if c.webLn, err = net.Listen("tcp", cfg.WebAddr); err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.WebAddr, err)
	}
	c.Endpoint = "http://" + c.awsLn.Addr().String()
	c.WebURL = "http://" + c.webLn.Addr().String()
	c.verifier = sigv4.NewVerifier(c.AccessKeyID, c.SecretAccessKey, cfg.Region)
	c.buildIAM()
	return nil
}

// build instantiates the stack, one resource type after another, in the
// order their dependencies need: what can be refused without touching the
// data directory first (the API, the outputs), then buckets before the
// functions that use them, functions before the engine (which at once
// resumes executions a killed process left running, and those call the
// functions) and before the notifications that invoke them. A new type of
// resource is one more step.
func (c *Cloud) build() error {
	var err error
	if c.hosts, err = newAWSHosts(c.Stack, c.Endpoint); err != nil {
		return err
	}
	if err := c.buildAPI(); err != nil {
		return err
	}
	c.WebSocketURL = "ws://" + c.awsLn.Addr().String() + "/" + c.api.stage.Name
	if c.StateMachineARN, _, _, err = c.operatorOutputs(); err != nil {
		return err
	}
	if c.S3, err = locals3.New(locals3.Options{Dir: c.sub("s3"), Auth: c.verifier, Authorizer: c.authz, Access: c.access(), Region: c.cfg.Region,
		AuthorizeLogDelivery: c.authorizeLogDelivery, Logger: c.log.With("service", "s3")}); err != nil {
		return fmt.Errorf("local S3: %w", err)
	}
	if err := c.buildBuckets(); err != nil {
		return err
	}
	c.Lambdas = lambda.NewRegistry(c.cfg.Region, c.cfg.AccountID)
	c.Lambdas.SetAccountConcurrency(accountConcurrency)
	if err := c.buildTopics(); err != nil {
		return err
	}
	if err := c.buildRules(); err != nil {
		return err
	}
	if err := c.buildSecrets(); err != nil {
		return err
	}
	if err := c.buildQueues(); err != nil {
		return err
	}
	if err := c.buildAlarms(); err != nil {
		return err
	}
	// Functions read secrets at their cold start, through the endpoint: it
	// serves Secrets Manager from here on, the rest once the cloud is up.
	c.serveAWS()
	if err := c.buildFunctions(context.Background()); err != nil {
		return err
	}
	invoker, err := c.stateMachineInvoker()
	if err != nil {
		return err
	}
	if c.SFN, err = sfn.New(sfn.Options{DataDir: c.sub("states"), Invoker: invoker, Verifier: c.verifier, Authorizer: c.authz, Clock: c.cfg.Clock,
		Region: c.cfg.Region, AccountID: c.cfg.AccountID, Logger: c.log.With("service", "states")}); err != nil {
		return fmt.Errorf("local Step Functions: %w", err)
	}
	// Registered before anything else can happen, so that executions that
	// ended unobserved before a restart are alerted now, once.
	c.SFN.OnExecutionEnd(c.observeExecution)
	c.SFN.OnExecutionEnd(c.Alarms.ObserveExecution)
	if err := c.buildStateMachines(); err != nil {
		return err
	}
	c.watchStateMachines()
	if err := c.buildNotifications(); err != nil {
		return err
	}
	c.sweep()
	c.runSchedules()
	return nil
}

// sub is a service's directory under the data directory ("" in memory).
func (c *Cloud) sub(name string) string {
	if c.cfg.DataDir == "" {
		return ""
	}
	return filepath.Join(c.cfg.DataDir, name)
}

// endpoint routes the single AWS endpoint: Step Functions by X-Amz-Target,
// the @connections API by path, WebSocket upgrades at /{stage}, and
// everything else to S3 (whose bucket names cannot contain '@').
//
// An unsigned GET or HEAD of /{stage} goes to the gateway too, which
// answers it 426 Upgrade Required: it is someone opening the WebSocket URL
// with a browser or curl, and S3's 403 for an anonymous request would not
// tell them what the URL is. A signed one still goes to S3, since the
// stage's name is a valid bucket name; the local S3 refuses every unsigned
// request, so S3 loses nothing it could have served.
func (c *Cloud) endpoint() http.Handler {
	// S3 and the WebSocket upgrade check the Host themselves, to answer
	// in their own error format.
	states := loopbackOnly(c.access(), c.SFN)
	mgmt := loopbackOnly(c.access(), c.Gateway.ManagementHandler())
	queues := loopbackOnly(c.access(), c.Queues)
	alarms := loopbackOnly(c.access(), c.Alarms)
	bus := loopbackOnly(c.access(), c.Events)
	topics := loopbackOnly(c.access(), c.Topics)
	stagePath := "/" + c.api.stage.Name
	// plainRead is a GET or HEAD with no SigV4 signature, in the
	// Authorization header or in a presigned query string.
	plainRead := func(r *http.Request) bool {
		q := r.URL.Query()
		return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
			r.Header.Get("Authorization") == "" && !q.Has("X-Amz-Signature") && !q.Has("X-Amz-Credential")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions."):
			states.ServeHTTP(w, r)
		case c.Queues.Matches(r):
			queues.ServeHTTP(w, r)
		case c.Alarms.Matches(r):
			alarms.ServeHTTP(w, r)
		case c.Events.Matches(r):
			bus.ServeHTTP(w, r)
		case c.Topics.Matches(r):
			topics.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, "/@connections/") || strings.HasPrefix(r.URL.Path, stagePath+"/@connections/"):
			mgmt.ServeHTTP(w, r)
		case (r.URL.Path == stagePath || r.URL.Path == stagePath+"/") && (strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || plainRead(r)):
			c.Gateway.ServeHTTP(w, r)
		default:
			c.S3.ServeHTTP(w, r)
		}
	})
}

// Close stops everything at once, as a kill would for executions: running
// executions keep their checkpoints and resume at the next Start on the
// same data directory. Use Shutdown for a graceful stop.
func (c *Cloud) Close() error {
	return c.Shutdown(context.Background())
}

// Shutdown stops accepting requests, lets in-flight ones finish until ctx
// is done, then stops the services. Running executions are interrupted
// without a terminal event and resume at the next start.
func (c *Cloud) Shutdown(ctx context.Context) error {
	var errs []error
	defer c.procs.close()
	c.closeOnce.Do(func() {
		// The engine stops first, so that no handler cut off by the
		// servers below can record a failure that was only a shutdown.
		close(c.stop)
		c.sweeper.Wait()
		// before it, the watchers that publish to it.
		if c.stopWatch != nil {
			c.stopWatch()
		}
		if c.SFN != nil {
			errs = append(errs, c.SFN.Close())
		}
		// The bus before the topics it publishes to: a pending notification
		// stays in the SNS outbox for the next start.
		if c.Events != nil {
			errs = append(errs, c.Events.Close())
		}
		if c.Topics != nil {
			errs = append(errs, c.Topics.Close())
		}
		if c.Gateway != nil {
			errs = append(errs, c.Gateway.Shutdown(ctx))
		}
		for _, s := range []*http.Server{c.awsSrv, c.webSrv} {
			if s != nil {
				errs = append(errs, s.Shutdown(ctx))
			}
		}
		for _, ln := range []net.Listener{c.awsLn, c.webLn} {
			if ln != nil {
				ln.Close()
			}
		}
		if c.S3 != nil {
			errs = append(errs, c.S3.Close())
		}
	})
	return errors.Join(errs...)
}
