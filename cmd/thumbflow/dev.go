package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"thumbflow/local/cloud"
	"thumbflow/local/stack"
)

func init() {
	commands["dev"] = command{summary: "run the whole product locally: S3, Step Functions, WebSocket API and the web client", run: runDev}
}

// envOr reads configuration the way the Lambda mains do, from the
// environment, so that flags only need to say what differs.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func runDev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	var cfg cloud.Config
	fs.StringVar(&cfg.Addr, "addr", envOr("THUMBFLOW_ADDR", "127.0.0.1:4566"), "the AWS endpoint: S3, Step Functions, @connections and the WebSocket API (env THUMBFLOW_ADDR)")
	fs.StringVar(&cfg.WebAddr, "web", envOr("THUMBFLOW_WEB", "127.0.0.1:8080"), "the web client (env THUMBFLOW_WEB)")
	fs.StringVar(&cfg.DataDir, "data", envOr("THUMBFLOW_DATA", ".thumbflow"), "where objects, executions and the token key persist (env THUMBFLOW_DATA)")
	fs.StringVar(&cfg.AccessKeyID, "access-key", envOr("THUMBFLOW_ACCESS_KEY", ""), "access key id requests must be signed with; default generated once per data directory (env THUMBFLOW_ACCESS_KEY)")
	fs.StringVar(&cfg.SecretAccessKey, "secret-key", envOr("THUMBFLOW_SECRET_KEY", ""), "secret access key; default generated with the access key (env THUMBFLOW_SECRET_KEY)")
	fs.BoolVar(&cfg.Public, "public", envOr("THUMBFLOW_PUBLIC", "") == "true", "also serve hosts that are not loopback and the web client at any address, for testing from another device on the LAN (env THUMBFLOW_PUBLIC=true)")
	fs.StringVar(&cfg.Region, "region", envOr("THUMBFLOW_REGION", "us-east-1"), "region (env THUMBFLOW_REGION)")
	template := fs.String("template", envOr("THUMBFLOW_TEMPLATE", ""), "the SAM template to run, its DefinitionUri files read next to it (default: the template.yaml built into this binary; env THUMBFLOW_TEMPLATE)")
	fs.StringVar(&cfg.StackName, "stack", envOr("THUMBFLOW_STACK", "thumbflow"), "the local stack name: AWS::StackName and the prefix of local resource names (env THUMBFLOW_STACK)")
	params := stack.ParamFlag{}
	fs.Var(params, "param", "a template parameter, Key=Value (repeatable); WebOrigin defaults to the web client's origin")
	fs.StringVar(&cfg.AccountID, "account", envOr("THUMBFLOW_ACCOUNT", cloud.AccountID), "the 12-digit account id that local ARNs name (env THUMBFLOW_ACCOUNT)")
	fs.StringVar(&cfg.AlertWebhook, "alert-webhook", envOr("THUMBFLOW_ALERT_WEBHOOK", ""), "POST an EventBridge-shaped alert here for every execution that ends FAILED, TIMED_OUT or ABORTED (env THUMBFLOW_ALERT_WEBHOOK)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "thumbflow dev: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	cfg.Logger = slog.Default()
	cfg.Parameters = params
	if *template != "" {
		cfg.Files, cfg.Template = os.DirFS(filepath.Dir(*template)), filepath.Base(*template)
	}

	began := time.Now()
	c, err := cloud.Start(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `thumbflow dev is ready (%s)

  Web client     %s
  Operations     %s/ops   (this machine only; see also thumbflow executions, history, failures)
  WebSocket API  %s
  AWS endpoint   %s   (S3, Step Functions, API Gateway @connections)

  Point the aws CLI or any SDK at it:
    export AWS_ENDPOINT_URL=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=%s

  State machines %s
  Data directory %s (delete it to start afresh)
  Press Ctrl+C to stop.
`, time.Since(began).Round(time.Millisecond), c.WebURL, opsURL(c.WebURL), c.WebSocketURL, c.Endpoint,
		c.Endpoint, c.AccessKeyID, c.SecretAccessKey, cfg.Region, watchNote(*template), cfg.DataDir)

	<-ctx.Done()
	fmt.Fprintln(stdout, "\nthumbflow dev: stopping; running executions resume at the next start")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Shutdown(shutdownCtx)
}

// watchNote says which definition edits the running cloud follows: the
// files a template on disk names are watched, the embedded ones and the
// template itself are not.
func watchNote(template string) string {
	if template == "" {
		return "built into this binary: not watched (use -template template.yaml to edit them live)"
	}
	return "the files " + template + " names: an edit is published as a new version for\n" +
		"                 new executions (running ones keep theirs); an edit of the template\n" +
		"                 itself needs a restart"
}

// opsURL is the operator page's address as this machine reaches it: the
// page answers only loopback clients naming a loopback host, so a web
// client bound to 0.0.0.0 is still opened as localhost.
func opsURL(webURL string) string {
	u, err := url.Parse(webURL)
	if err != nil {
		return webURL
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		u.Host = net.JoinHostPort("localhost", u.Port())
	}
	return u.String()
}
