package cloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sfnapi "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/coder/websocket"

	"thumbflow/local/lambda"
)

// The mutation tests change a copy of template.yaml and watch the local
// cloud follow: every value below reaches the cloud only from the template.

// preflight asks the endpoint whether a page at origin may send method to
// bucket.
func preflight(t *testing.T, c *Cloud, bucket, origin, method string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, c.Endpoint+"/"+bucket+"/uploads/x", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestTemplateCORSOriginReachesTheBucket(t *testing.T) {
	const origin = "https://thumbs.example.com"
	c := startCloud(t)
	uploads := bucketName(c, "UploadsBucket")
	if resp := preflight(t, c, uploads, origin, "POST"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("preflight from %s with the repository's template: %d, want 403", origin, resp.StatusCode)
	}
	if resp := preflight(t, c, uploads, c.WebURL, "POST"); resp.StatusCode != http.StatusOK {
		t.Fatalf("preflight from the web client %s: %d, want 200", c.WebURL, resp.StatusCode)
	}

	c = startCloud(t, withTemplate(t,
		"          - AllowedOrigins: [!Ref WebOrigin]\n            AllowedMethods: [POST]",
		"          - AllowedOrigins: [!Ref WebOrigin, \""+origin+"\"]\n            AllowedMethods: [POST]"))
	resp := preflight(t, c, bucketName(c, "UploadsBucket"), origin, "POST")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("preflight from the origin added to the template: %d %q, want 200 allowing it",
			resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

// TestParamWebOriginReachesTheBucket: -param WebOrigin=... is the origin
// every bucket's rules allow.
func TestParamWebOriginReachesTheBucket(t *testing.T) {
	const origin = "http://localhost:5173"
	c := startCloud(t, func(cfg *Config) { cfg.Parameters = map[string]string{"WebOrigin": origin} })
	for id, method := range map[string]string{"UploadsBucket": "POST", "OutputBucket": "GET", "RecordsBucket": "GET"} {
		if resp := preflight(t, c, bucketName(c, id), origin, method); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: preflight from -param WebOrigin=%s: %d, want 200", id, origin, resp.StatusCode)
		}
	}
}

// recordStarts replaces the start function with one that reports the key
// of every object it is notified of.
func recordStarts(t *testing.T, c *Cloud) <-chan string {
	t.Helper()
	keys := make(chan string, 10)
	_, opts := rebuild[func(context.Context, events.S3Event) error](t, c, "StartFunction")
	err := c.Lambdas.Register(c.Stack.Function("StartFunction").ARN, func(_ context.Context, ev events.S3Event) error {
		for _, r := range ev.Records {
			keys <- r.S3.Object.Key
		}
		return nil
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestTemplateNotificationPrefixReachesTheBucket(t *testing.T) {
	c := startCloud(t, withTemplate(t,
		"                  - Name: prefix\n                    Value: uploads/",
		"                  - Name: prefix\n                    Value: elsewhere/"))
	keys := recordStarts(t, c)
	ctx := context.Background()
	client := s3.NewFromConfig(c.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	uploads := bucketName(c, "UploadsBucket")
	for _, k := range []string{"uploads/outside", "elsewhere/inside"} {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(uploads), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	// Events are recorded before PutObject answers, so once the second
	// object's has arrived the first one's would be in the outbox too.
	select {
	case k := <-keys:
		if k != "elsewhere/inside" {
			t.Fatalf("the start function was notified of %s, outside the template's prefix", k)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("an upload under the template's prefix started nothing")
	}
	cfg, err := client.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(uploads)})
	if err != nil || len(cfg.LambdaFunctionConfigurations) != 1 {
		t.Fatalf("GetBucketNotificationConfiguration: %+v, %v", cfg, err)
	}
	f := cfg.LambdaFunctionConfigurations[0]
	if aws.ToString(f.LambdaFunctionArn) != c.Stack.Function("StartFunction").ARN || f.Filter == nil ||
		len(f.Filter.Key.FilterRules) != 1 || aws.ToString(f.Filter.Key.FilterRules[0].Value) != "elsewhere/" {
		t.Errorf("notification configuration %+v: want the start function under elsewhere/", f)
	}
	select {
	case k := <-keys:
		t.Errorf("the start function was notified of %s as well", k)
	default:
	}
}

func TestTemplateEnvironmentReachesTheHandler(t *testing.T) {
	// The websocket function's grants link renditions in OUTPUT_BUCKET:
	// point it at the records bucket and the links follow.
	c := startCloud(t, withTemplate(t,
		"          UPLOADS_BUCKET: !Ref UploadsBucket\n          OUTPUT_BUCKET: !Ref OutputBucket",
		"          UPLOADS_BUCKET: !Ref UploadsBucket\n          OUTPUT_BUCKET: !Ref RecordsBucket"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	g, err := dial(t, ctx, c.WebSocketURL).Grant(ctx, "a.jpg", "image/jpeg", 100)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(g.Links.Renditions["thumb"])
	if err != nil || !strings.HasPrefix(u.Path, "/"+bucketName(c, "RecordsBucket")+"/") {
		t.Errorf("thumbnail link %s: want it in the bucket the template's OUTPUT_BUCKET names", g.Links.Renditions["thumb"])
	}
}

func TestLambdaVariablesReachTheHandler(t *testing.T) {
	c := startCloud(t)
	vars, err := c.functionEnvironment(c.Stack.Function("ConvertFunction"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1536", "AWS_LAMBDA_FUNCTION_NAME": functionName(c, "ConvertFunction"),
		"AWS_REGION": "us-east-1", "AWS_LAMBDA_LOG_FORMAT": "JSON", "OUTPUT_BUCKET": bucketName(c, "OutputBucket")}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q", k, vars[k], v)
		}
	}

	// A template that sets a reserved variable would not deploy.
	_, err = Start(Config{Addr: "127.0.0.1:0", WebAddr: "127.0.0.1:0", Files: withFiles(t,
		"          OUTPUT_BUCKET: !Ref OutputBucket\n          RECORDS_BUCKET: !Ref RecordsBucket\n          CONNECTIONS_ENDPOINT",
		"          OUTPUT_BUCKET: !Ref OutputBucket\n          AWS_REGION: eu-west-1\n          RECORDS_BUCKET: !Ref RecordsBucket\n          CONNECTIONS_ENDPOINT")})
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION") || !strings.Contains(err.Error(), "template.yaml:") {
		t.Errorf("a template setting AWS_REGION: %v, want a refusal naming it and its line", err)
	}
}

func TestTemplateTimeoutReachesTheFunction(t *testing.T) {
	c := startCloud(t, withTemplate(t,
		"      MemorySize: 1536\n      Timeout: 30\n",
		"      MemorySize: 1536\n      Timeout: 2\n"))
	convert := functionName(c, "ConvertFunction")
	if err := c.Lambdas.InjectFault(convert, lambda.FaultTimeout); err != nil {
		t.Fatal(err)
	}
	_, err := c.Lambdas.Invoke(context.Background(), convert, []byte(`{}`))
	var fe *lambda.FunctionError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "Task timed out after 2.00 seconds") {
		t.Errorf("a hanging invocation: %v, want it timed out after the template's 2 s", err)
	}
}

func TestTemplateRouteReachesTheFunction(t *testing.T) {
	c := startCloud(t, withTemplate(t, "      RouteKey: subscribe\n", "      RouteKey: follow\n"))
	routes := make(chan string, 10)
	ws, opts := rebuild[func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error)](t, c, "WebSocketFunction")
	err := c.Lambdas.Register(c.Stack.Function("WebSocketFunction").ARN,
		func(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
			if req.RequestContext.EventType == "MESSAGE" {
				routes <- req.RequestContext.RouteKey
			}
			return ws(ctx, req)
		}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl := dial(t, ctx, c.WebSocketURL)
	for _, msg := range []string{`{"action":"follow"}`, `{"action":"subscribe"}`} {
		if err := cl.SendRaw(ctx, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"follow", "$default"} {
		select {
		case got := <-routes:
			if got != want {
				t.Errorf("route %q reached the function, want %q", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("no message reached the function; want route %s", want)
		}
	}
}

func TestTemplateSubstitutionReachesTheStateMachine(t *testing.T) {
	c := startCloud(t, withTemplate(t,
		"        StatusFunctionArn: !GetAtt StatusFunction.Arn",
		"        StatusFunctionArn: !GetAtt ConvertFunction.Arn"))
	out, err := sfnapi.NewFromConfig(c.AWSConfig()).DescribeStateMachine(context.Background(),
		&sfnapi.DescribeStateMachineInput{StateMachineArn: aws.String(c.StateMachineARN)})
	if err != nil {
		t.Fatal(err)
	}
	def := aws.ToString(out.Definition)
	if strings.Contains(def, c.Stack.Function("StatusFunction").ARN) || !strings.Contains(def, c.Stack.Function("ConvertFunction").ARN) {
		t.Errorf("the definition does not follow the template's substitution:\n%s", def)
	}
}

func TestUnsupportedResourceIsRefusedWithItsLine(t *testing.T) {
	// The line of the template's "Resources:", wherever it is.
	tpl, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Count(tpl[:bytes.Index(tpl, []byte("\nResources:\n"))+1], []byte("\n")) + 1
	for name, tc := range map[string]struct{ old, new, want string }{
		"type": {"Resources:\n", "Resources:\n  Sessions:\n    Type: AWS::DynamoDB::Table\n", fmt.Sprintf("template.yaml:%d: AWS::DynamoDB::Table (resource Sessions)", at+2)},
		"function without a handler": {"Resources:\n", "Resources:\n  ResizeFunction:\n    Type: AWS::Serverless::Function\n",
			fmt.Sprintf("template.yaml:%d: function ResizeFunction (thumbflow-resize) has no handler", at+1)},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Start(Config{Addr: "127.0.0.1:0", WebAddr: "127.0.0.1:0", Files: withFiles(t, tc.old, tc.new)})
			if err == nil {
				c.Close()
				t.Fatal("the local cloud started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestTemplateThrottlingReachesTheStage: past the stage's burst, a message
// is answered by the gateway and reaches no function.
func TestTemplateThrottlingReachesTheStage(t *testing.T) {
	c := startCloud(t, withTemplate(t,
		"        ThrottlingBurstLimit: 100\n        ThrottlingRateLimit: 50\n",
		"        ThrottlingBurstLimit: 2\n        ThrottlingRateLimit: 0.001\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, c.WebSocketURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	var answers []string
	for range 3 {
		if err := conn.Write(ctx, websocket.MessageText, []byte(`{"action":"nothing"}`)); err != nil {
			t.Fatal(err)
		}
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, string(b))
	}
	if strings.Contains(answers[1], "Too Many Requests") || !strings.Contains(answers[2], `"message":"Too Many Requests"`) {
		t.Errorf("answers past a burst of 2: %q, want the third throttled", answers)
	}
}

// TestTemplateRoutesBehaveAsDeclared: without a $connect route a
// connection is accepted and invokes nothing; without $default an
// unmatched message is answered as API Gateway answers it; a route without
// a route response is one-way, its answer not sent back.
func TestTemplateRoutesBehaveAsDeclared(t *testing.T) {
	c := startCloud(t, withTemplate(t,
		"  ConnectRoute:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref WebSocketApi\n      RouteKey: $connect\n      Target: !Sub \"integrations/${WebSocketIntegration}\"\n"+
			"      AuthorizationType: !If [HasConnectAuthorizer, CUSTOM, NONE]\n      AuthorizerId: !If [HasConnectAuthorizer, !Ref ConnectAuthorizer, !Ref AWS::NoValue]\n", "",
		"  DefaultRoute:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref WebSocketApi\n      RouteKey: $default\n", "  DefaultRoute:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref WebSocketApi\n      RouteKey: unused\n",
		"  UploadRouteResponse:\n    Type: AWS::ApiGatewayV2::RouteResponse\n    Properties:\n      ApiId: !Ref WebSocketApi\n      RouteId: !Ref UploadRoute\n      RouteResponseKey: $default\n", "",
		"DependsOn: [ConnectRoute, DisconnectRoute, DefaultRoute, DefaultRouteResponse, UploadRoute, UploadRouteResponse,", "DependsOn: [DisconnectRoute, DefaultRoute, DefaultRouteResponse, UploadRoute,"))
	invoked := make(chan string, 10)
	ws, opts := rebuild[func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error)](t, c, "WebSocketFunction")
	err := c.Lambdas.Register(c.Stack.Function("WebSocketFunction").ARN,
		func(ctx context.Context, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
			invoked <- req.RequestContext.RouteKey
			return ws(ctx, req)
		}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, c.WebSocketURL, nil)
	if err != nil {
		t.Fatalf("connecting without a $connect route: %v", err)
	}
	defer conn.CloseNow()
	for _, msg := range []string{`{"action":"upload","requestId":"r1","name":"a.jpg","type":"image/jpeg","size":100}`, `{"action":"nothing"}`} {
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	// Messages are answered in order: had the upload route answered, its
	// grant would come first.
	_, b, err := conn.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"message":"Forbidden"`) {
		t.Errorf("first answer %s: want the gateway's Forbidden for the unmatched message, and nothing for the one-way upload", b)
	}
	if got := <-invoked; got != "upload" {
		t.Errorf("the function was first invoked for %q, want upload (no $connect route is declared)", got)
	}
}

// TestStackNameRenamesTheStack: -stack demo names every resource anew and
// the product still works end to end, so nothing is wired by a name of
// its own.
func TestStackNameRenamesTheStack(t *testing.T) {
	c := startCloud(t, func(cfg *Config) { cfg.StackName = "demo" })
	if got := bucketName(c, "RecordsBucket"); got != "demo-records" {
		t.Errorf("records bucket %q, want demo-records", got)
	}
	if got := bucketName(c, "UploadsBucket"); got != "thumbflow-uploads-2a97516c-354b-6884-8cdb-d8f54a226a0a" {
		t.Errorf("uploads bucket %q, want the template's name from stack demo's local id", got)
	}
	cl := dial(t, context.Background(), c.WebSocketURL)
	_, seen, _ := uploadStates(t, cl, "renamed.jpg", photo(64, 48))
	if strings.Join(seen, ",") != "uploaded,converting,succeeded" {
		t.Errorf("states in stack demo: %v, want uploaded,converting,succeeded", seen)
	}
}
