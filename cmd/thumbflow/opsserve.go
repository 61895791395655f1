package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"thumbflow/ops"
	"thumbflow/web"
)

func init() {
	commands["ops"] = command{summary: "serve the /ops page on localhost against the SDK's endpoint (a deployed stack, or thumbflow dev)", run: runOps}
}

// opsTarget names the stack's resources the page reads.
type opsTarget struct {
	stateMachine, records, output string
}

func runOps(ctx context.Context, args []string) error {
	fs := newFlagSet("ops", "[-stack NAME] [-addr 127.0.0.1:8081]",
		"Serves the operator page at http://ADDR/ops, reading through the SDK's default configuration\n"+
			"(credentials, region, AWS_ENDPOINT_URL): the deployed stack's executions and records, or thumbflow dev's.\n"+
			"It answers only this machine, as thumbflow dev's /ops does.")
	var o opsFlags
	o.register(fs)
	stack := fs.String("stack", "", "read the state machine and buckets from this CloudFormation stack's outputs")
	output := fs.String("output-bucket", envOr("THUMBFLOW_OUTPUT_BUCKET", "thumbflow-output"), "the renditions bucket (stack output OutputBucketName), for rendition links")
	addr := fs.String("addr", "127.0.0.1:8081", "where to listen: a loopback address")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if host, _, err := net.SplitHostPort(*addr); err != nil || !loopbackListen(host) {
		fmt.Fprintf(stderr, "thumbflow ops: -addr %q: want a loopback host:port such as 127.0.0.1:8081\n", *addr)
		return errUsage
	}
	h, err := opsHandler(ctx, o, *stack, *output)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "operator page: http://%s/ops\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving the operator page: %w", err)
	}
	return nil
}

func loopbackListen(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// opsHandler is the page (ops.Handler, as thumbflow dev serves it) and the
// site files it links to, over the SDK's clients.
func opsHandler(ctx context.Context, o opsFlags, stack, output string) (http.Handler, error) {
	cfg, err := loadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	t := opsTarget{stateMachine: o.stateMachine, records: o.recordsBucket, output: output}
	if stack != "" {
		if t, err = stackOpsTarget(ctx, cfg, stack); err != nil {
			return nil, err
		}
	}
	states := sfn.NewFromConfig(cfg)
	if t.stateMachine == "" {
		if t.stateMachine, err = ops.FindStateMachine(ctx, states); err != nil {
			return nil, err
		}
	}
	custom := cfg.BaseEndpoint != nil
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = custom })
	page := ops.Handler(ops.Config{
		StepFunctions: states, Starter: states, Records: s3c, Presigner: s3.NewPresignClient(s3c),
		StateMachineARN: t.stateMachine, RecordsBucket: t.records, OutputBucket: t.output,
	})
	mux := http.NewServeMux()
	mux.Handle("/ops", page)
	mux.Handle("/ops/", page)
	mux.Handle("/", http.FileServerFS(web.Static)) // the page's style and scripts
	return mux, nil
}

// stackOpsTarget reads the stack outputs the page needs.
func stackOpsTarget(ctx context.Context, cfg aws.Config, stack string) (opsTarget, error) {
	out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return opsTarget{}, fmt.Errorf("reading stack %s: %w", stack, err)
	}
	var t opsTarget
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			switch v := aws.ToString(o.OutputValue); aws.ToString(o.OutputKey) {
			case "StateMachineArn":
				t.stateMachine = v
			case "RecordsBucketName":
				t.records = v
			case "OutputBucketName":
				t.output = v
			}
		}
	}
	if t.stateMachine == "" || t.records == "" {
		return opsTarget{}, fmt.Errorf("stack %s lacks the StateMachineArn or RecordsBucketName output: is it a thumbflow stack?", stack)
	}
	return t, nil
}
