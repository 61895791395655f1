// Package cloud runs the whole product on one machine: the local S3, the
// Step Functions engine, the WebSocket gateway, the Lambda handlers and the
// web client, in one process, with no AWS account and no Docker.
//
// Every AWS service answers on one endpoint, as LocalStack's does, so
// AWS_ENDPOINT_URL works for every SDK client and for the aws CLI. The
// handlers are the same code the Lambda mains run, built by the same
// constructors from the same variables; only the endpoints differ.
package cloud

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sfnapi "github.com/aws/aws-sdk-go-v2/service/sfn"

	"thumbflow/lambdas/wiring"
	"thumbflow/local/alert"
	"thumbflow/local/apigw"
	"thumbflow/local/asl"
	"thumbflow/local/lambda"
	locals3 "thumbflow/local/s3"
	"thumbflow/local/sfn"
	"thumbflow/local/sigv4"
	"thumbflow/ops"
	"thumbflow/thumbnail"
	"thumbflow/upload"
	"thumbflow/web"
	"thumbflow/websocket"
)

// Config says where the local cloud listens and keeps its data. The zero
// value of every field but Addr and WebAddr has a sensible default.
type Config struct {
	// Addr is the single AWS endpoint (S3, Step Functions, @connections,
	// and the WebSocket API at /{Stage}); ":0" picks a free port.
	Addr string
	// WebAddr serves the browser client.
	WebAddr string
	// DataDir persists everything; empty keeps it in memory (tests).
	DataDir string
	// Credentials every request must be signed with; empty generates a
	// pair per data directory (Cloud.AccessKeyID has the ones in use).
	AccessKeyID, SecretAccessKey, Region string
	// Public serves requests naming any Host, not only loopback ones, and
	// the web client at any address, for testing from another device.
	Public bool
	// Stage of the WebSocket API ("prod").
	Stage string
	// StateMachines is the directory of *.asl.json definitions, read when
	// Definitions is nil.
	StateMachines string
	// Definitions holds the *.asl.json definitions at its root, such as
	// the ones the binary embeds (thumbflow.Files); it wins over
	// StateMachines.
	Definitions fs.FS
	// ConvertTimeout is the convert function's timeout (30 s, as in
	// template.yaml); tests shorten it.
	ConvertTimeout time.Duration
	// Clock drives the state machine's waits, back-off and timeouts; nil
	// is real time (clock.System). Tests pass a clocktest.FastClock.
	Clock asl.Clock
	// WebSocketLimits override API Gateway's limits (tests shorten them).
	WebSocketLimits apigw.Limits
	// AlertWebhook receives an EventBridge-shaped POST for every execution
	// that ends FAILED, TIMED_OUT or ABORTED; empty only logs the alert.
	AlertWebhook string
	Logger       *slog.Logger
}

// AccountID is the account every local ARN names.
const AccountID = "000000000000"

// Bucket names of the local stack (on AWS they come from the template).
const (
	UploadsBucket = "thumbflow-uploads"
	OutputBucket  = "thumbflow-output"
	RecordsBucket = "thumbflow-records"
)

// Function names, as the local Lambda registry knows them.
const (
	StartFunction     = "thumbflow-start"
	ConvertFunction   = "thumbflow-convert"
	StatusFunction    = "thumbflow-status"
	WebSocketFunction = "thumbflow-websocket"
)

// Cloud is a running local cloud.
type Cloud struct {
	cfg Config
	log *slog.Logger

	// The services, exposed for tests and fault injection.
	S3      *locals3.Server
	SFN     *sfn.Service
	Gateway *apigw.Gateway
	Lambdas *lambda.Registry
	Alerter *alert.Alerter

	// Endpoint is the AWS endpoint URL, WebSocketURL the API's URL,
	// WebURL the browser client's.
	Endpoint, WebSocketURL, WebURL string
	// StateMachineARN is the thumbnail workflow's.
	StateMachineARN string
	// AccessKeyID and SecretAccessKey are the credentials requests must
	// be signed with: Config's, or the generated ones.
	AccessKeyID, SecretAccessKey string

	awsLn, webLn net.Listener
	awsSrv       *http.Server
	webSrv       *http.Server
	closeOnce    sync.Once
}

func (c *Config) defaults() {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Stage == "" {
		c.Stage = "prod"
	}
	if c.StateMachines == "" {
		c.StateMachines = "statemachine"
	}
	if c.ConvertTimeout == 0 {
		c.ConvertTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Start brings the local cloud up and returns once every listener accepts
// connections.
func Start(cfg Config) (c *Cloud, err error) {
	cfg.defaults()
	c = &Cloud{cfg: cfg, log: cfg.Logger}
	// A failed start stops what it started; c itself is nil by then.
	started := c
	defer func() {
		if err != nil {
			started.Close()
		}
	}()
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	creds, err := c.credentials()
	if err != nil {
		return nil, err
	}
	c.AccessKeyID, c.SecretAccessKey = creds.AccessKeyID, creds.SecretAccessKey
	if c.awsLn, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if c.webLn, err = net.Listen("tcp", cfg.WebAddr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.WebAddr, err)
	}
	c.Endpoint = "http://" + c.awsLn.Addr().String()
	c.WebSocketURL = "ws://" + c.awsLn.Addr().String() + "/" + cfg.Stage
	c.WebURL = "http://" + c.webLn.Addr().String()

	verifier := sigv4.NewVerifier(c.AccessKeyID, c.SecretAccessKey, cfg.Region)
	if c.S3, err = locals3.New(locals3.Options{Dir: c.sub("s3"), Auth: verifier, Access: c.access(), Region: cfg.Region, Logger: c.log.With("service", "s3")}); err != nil {
		return nil, fmt.Errorf("local S3: %w", err)
	}
	if err := c.createBuckets(); err != nil {
		return nil, err
	}
	c.Lambdas = lambda.NewRegistry(cfg.Region, AccountID)
	if c.Alerter, err = alert.New(alert.Options{Webhook: cfg.AlertWebhook, Dir: c.sub("alerts"), Region: cfg.Region,
		AccountID: AccountID, Logger: c.log.With("service", "alert")}); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	// The functions are registered before the engine starts: it resumes
	// at once the executions a killed process left running, and those
	// call the functions.
	c.StateMachineARN = fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:thumbnail", cfg.Region, AccountID)
	if err := c.registerFunctions(); err != nil {
		return nil, err
	}
	if c.SFN, err = sfn.New(sfn.Options{DataDir: c.sub("states"), Invoker: c.Lambdas, Verifier: verifier, Clock: cfg.Clock,
		Region: cfg.Region, AccountID: AccountID, Logger: c.log.With("service", "states")}); err != nil {
		return nil, fmt.Errorf("local Step Functions: %w", err)
	}
	// Registered before anything else can happen, so that executions that
	// ended unobserved before a restart are alerted now, once.
	c.SFN.OnExecutionEnd(c.Alerter.Observe)
	c.Gateway = apigw.New(apigw.Options{
		Stage:    cfg.Stage,
		APIID:    "local",
		Handler:  c.routeHandler,
		Routes:   websocket.Actions,
		Verifier: verifier,
		Access:   c.access(),
		Limits:   cfg.WebSocketLimits,
		Logger:   c.log.With("service", "websocket"),
	})
	if err := c.loadStateMachines(); err != nil {
		return nil, err
	}
	// The uploads bucket notifies the start function, as template.yaml's
	// S3 event does; delivery retries until the function succeeds.
	c.S3.Notify(UploadsBucket, upload.OriginalPrefix, func(ctx context.Context, ev events.S3Event) error {
		payload, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		_, err = c.Lambdas.Invoke(ctx, StartFunction, payload)
		return err
	})

	spec := thumbnail.DefaultSpec()
	renditions := make([]web.Rendition, len(spec.Renditions))
	for i, r := range spec.Renditions {
		renditions[i] = web.Rendition{Name: r.Name, Width: r.Width, Height: r.Height}
	}
	// No ReadTimeout: it would cut off large uploads on slow links, and its
	// deadline outlives the WebSocket upgrade's hijack.
	c.awsSrv = &http.Server{Handler: c.endpoint(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	site := http.NewServeMux()
	site.Handle("/", web.Handler(web.Config{
		WebsocketURL: c.WebSocketURL,
		MaxBytes:     spec.Limits.MaxBytes,
		Types:        thumbnail.AcceptedContentTypes(),
		Renditions:   renditions,
	}))
	// The operator page reads Step Functions and the records through
	// this server, which holds the local credentials; the page holds none.
	records := s3.NewFromConfig(c.awsConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	opsPage := ops.Handler(ops.Config{
		StepFunctions: sfnapi.NewFromConfig(c.awsConfig()), Records: records, Presigner: s3.NewPresignClient(records),
		StateMachineARN: c.StateMachineARN, RecordsBucket: RecordsBucket, OutputBucket: OutputBucket, Logger: c.log.With("service", "ops"),
	})
	site.Handle("/ops", opsPage)
	site.Handle("/ops/", opsPage)
	c.webSrv = &http.Server{Handler: site, ReadHeaderTimeout: 10 * time.Second}
	go c.awsSrv.Serve(c.awsLn)
	go c.webSrv.Serve(c.webLn)
	return c, nil
}

// loadStateMachines creates the state machines from the definitions, with
// template.yaml's DefinitionSubstitutions.
func (c *Cloud) loadStateMachines() error {
	role, subs := "arn:aws:iam::"+AccountID+":role/thumbflow-statemachine", map[string]string{
		"ConvertFunctionArn": c.functionARN(ConvertFunction),
		"StatusFunctionArn":  c.functionARN(StatusFunction),
	}
	where := c.cfg.StateMachines
	var arns map[string]string
	var err error
	if c.cfg.Definitions != nil {
		where = "the built-in definitions"
		arns, err = c.SFN.LoadFS(c.cfg.Definitions, where, role, subs)
	} else {
		arns, err = c.SFN.LoadDir(c.cfg.StateMachines, role, subs)
	}
	if err != nil {
		return fmt.Errorf("load state machines from %s: %w", where, err)
	}
	if arns["thumbnail"] != c.StateMachineARN {
		return fmt.Errorf("no thumbnail.asl.json in %s", where)
	}
	return nil
}

// sub is a service's directory under the data directory ("" in memory).
func (c *Cloud) sub(name string) string {
	if c.cfg.DataDir == "" {
		return ""
	}
	return filepath.Join(c.cfg.DataDir, name)
}

func (c *Cloud) functionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", c.cfg.Region, AccountID, name)
}

// webOrigins are the origins the page may be opened at: the address it
// listens on, and localhost for the same port.
func (c *Cloud) webOrigins() []string {
	_, port, _ := net.SplitHostPort(c.webLn.Addr().String())
	origins := []string{c.WebURL}
	for _, h := range []string{"127.0.0.1", "localhost", "[::1]"} {
		if o := "http://" + net.JoinHostPort(strings.Trim(h, "[]"), port); o != c.WebURL {
			origins = append(origins, o)
		}
	}
	return origins
}

func (c *Cloud) createBuckets() error {
	origins := c.corsOrigins()
	buckets := map[string]locals3.CORSRule{
		UploadsBucket: {AllowedOrigins: origins, AllowedMethods: []string{"POST"}, AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 3000},
		OutputBucket:  {AllowedOrigins: origins, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag", "Content-Length", "Content-Type"}, MaxAgeSeconds: 3000},
		RecordsBucket: {AllowedOrigins: origins, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"*"}, MaxAgeSeconds: 3000},
	}
	for b, rule := range buckets {
		if err := c.S3.CreateBucket(b, rule); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	// Versioned as in template.yaml, so a replayed grant cannot overwrite
	// the original the pipeline converts.
	if err := c.S3.SetVersioning(UploadsBucket, true); err != nil {
		return fmt.Errorf("create bucket %s: %w", UploadsBucket, err)
	}
	return nil
}

// awsConfig is what a Lambda's role and region give it on AWS: here, the
// local endpoint and, until functions have roles of their own, the
// developer's credentials.
func (c *Cloud) awsConfig() aws.Config {
	return c.AWSConfig()
}

// registerFunctions builds the handlers with the Lambda mains'
// constructors, from the variables template.yaml sets on AWS.
func (c *Cloud) registerFunctions() error {
	vars := map[string]string{
		"STATE_MACHINE_ARN":    c.StateMachineARN,
		"UPLOADS_BUCKET":       UploadsBucket,
		"OUTPUT_BUCKET":        OutputBucket,
		"RECORDS_BUCKET":       RecordsBucket,
		"CONNECTIONS_ENDPOINT": c.Endpoint + "/" + c.cfg.Stage,
	}
	env := &wiring.Env{Lookup: func(k string) string { return vars[k] }}
	cfg := c.awsConfig()
	key, err := c.tokenKey()
	if err != nil {
		return err
	}
	ws, err := wiring.WebSocket(env, cfg, key, c.log.With("function", "websocket"))
	if err != nil {
		return err
	}
	fns := []struct {
		name    string
		handler any
		opts    lambda.FunctionOptions
	}{
		{StartFunction, wiring.Start(env, cfg, c.log.With("function", "start")).Handle, lambda.FunctionOptions{Timeout: 10 * time.Second}},
		// The converter is CPU-bound: a pool the size of the machine keeps
		// memory bounded under load; extra calls wait for a slot.
		{ConvertFunction, wiring.Convert(env, cfg, c.log.With("function", "convert")).Handle, lambda.FunctionOptions{Timeout: c.cfg.ConvertTimeout, Concurrency: runtime.NumCPU(), Queue: true}},
		{StatusFunction, wiring.Status(env, cfg, c.log.With("function", "status")).Handle, lambda.FunctionOptions{Timeout: 10 * time.Second}},
		{WebSocketFunction, ws.Handle, lambda.FunctionOptions{Timeout: 10 * time.Second}},
	}
	if err := env.Err(); err != nil {
		return fmt.Errorf("function configuration: %w", err)
	}
	for _, f := range fns {
		if err := c.Lambdas.Register(c.functionARN(f.name), f.handler, f.opts); err != nil {
			return fmt.Errorf("register %s: %w", f.name, err)
		}
	}
	return nil
}

// tokenKey is the subscription-token signing key: generated once and kept
// in the data directory (mode 0600), or fresh per process in memory. On
// AWS it lives in Secrets Manager; it is never in the repository.
func (c *Cloud) tokenKey() ([]byte, error) {
	fresh := func() []byte {
		b := make([]byte, 32)
		rand.Read(b)
		return []byte(hex.EncodeToString(b))
	}
	if c.cfg.DataDir == "" {
		return fresh(), nil
	}
	path := filepath.Join(c.cfg.DataDir, "token.key")
	key, err := os.ReadFile(path)
	if err == nil && len(key) >= upload.MinKeyBytes {
		return key, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read token key: %w", err)
	}
	key = fresh()
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("write token key: %w", err)
	}
	return key, nil
}

// routeHandler invokes the WebSocket function, as API Gateway's Lambda
// proxy integration does.
func (c *Cloud) routeHandler(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	out, err := c.Lambdas.Invoke(ctx, WebSocketFunction, payload)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return events.APIGatewayProxyResponse{}, fmt.Errorf("websocket function answered %q: %w", out, err)
	}
	return resp, nil
}

// endpoint routes the single AWS endpoint: Step Functions by X-Amz-Target,
// the @connections API by path, WebSocket upgrades at /{stage}, and
// everything else to S3 (whose bucket names cannot contain '@').
func (c *Cloud) endpoint() http.Handler {
	// S3 and the WebSocket upgrade check the Host themselves, to answer
	// in their own error format.
	states := loopbackOnly(c.access(), c.SFN)
	mgmt := loopbackOnly(c.access(), c.Gateway.ManagementHandler())
	stagePath := "/" + c.cfg.Stage
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions."):
			states.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, "/@connections/") || strings.HasPrefix(r.URL.Path, stagePath+"/@connections/"):
			mgmt.ServeHTTP(w, r)
		case (r.URL.Path == stagePath || r.URL.Path == stagePath+"/") && strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
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
	c.closeOnce.Do(func() {
		// The engine stops first, so that no handler cut off by the
		// servers below can record a failure that was only a shutdown.
		if c.SFN != nil {
			errs = append(errs, c.SFN.Close())
		}
		if c.Alerter != nil {
			errs = append(errs, c.Alerter.Close())
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
