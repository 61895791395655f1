package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	localclock "thumbflow/local/clock"
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

// devOptions are dev's flags beyond the cloud's own configuration.
type devOptions struct {
	template, logFormat, logLevel, faults string
	params                                stack.ParamFlag
	timeScale                             string
}

func devFlags(cfg *cloud.Config, o *devOptions) *flag.FlagSet {
	fs := newFlagSet("dev", "[flags]", `Runs the local cloud in one process and prints where it listens, with the export
line for the aws CLI and the SDKs. Press Enter (or send SIGUSR1) to print that
again, Ctrl+C to stop. Start-up problems exit 1 with one line saying what to do.`)
	fs.StringVar(&cfg.Addr, "addr", envOr("THUMBFLOW_ADDR", "127.0.0.1:4566"), "the AWS endpoint: S3, Step Functions, @connections and the WebSocket API (env THUMBFLOW_ADDR)")
	fs.StringVar(&cfg.WebAddr, "web", envOr("THUMBFLOW_WEB", "127.0.0.1:8080"), "the web client (env THUMBFLOW_WEB)")
	fs.StringVar(&cfg.DataDir, "data", devDataDir(), "where objects, executions and the token key persist (env THUMBFLOW_DATA)")
	fs.StringVar(&cfg.AccessKeyID, "access-key", envOr("THUMBFLOW_ACCESS_KEY", ""), "access key id requests must be signed with; default generated once per data directory (env THUMBFLOW_ACCESS_KEY)")
	fs.StringVar(&cfg.SecretAccessKey, "secret-key", envOr("THUMBFLOW_SECRET_KEY", ""), "secret access key; default generated with the access key (env THUMBFLOW_SECRET_KEY)")
	fs.BoolVar(&cfg.Public, "public", envOr("THUMBFLOW_PUBLIC", "") == "true", "also serve hosts that are not loopback and the web client at any address, for testing from another device on the LAN (env THUMBFLOW_PUBLIC=true)")
	fs.StringVar(&cfg.Region, "region", envOr("THUMBFLOW_REGION", "us-east-1"), "region (env THUMBFLOW_REGION)")
	fs.StringVar(&o.template, "template", envOr("THUMBFLOW_TEMPLATE", ""), "the SAM template to run, its DefinitionUri files read next to it (default: the template.yaml built into this binary; env THUMBFLOW_TEMPLATE)")
	fs.StringVar(&cfg.StackName, "stack", envOr("THUMBFLOW_STACK", "thumbflow"), "the local stack name: AWS::StackName and the prefix of local resource names (env THUMBFLOW_STACK)")
	o.params = stack.ParamFlag{}
	fs.Var(o.params, "param", "a template parameter, Key=Value (repeatable); WebOrigin defaults to the web client's origin")
	fs.StringVar(&cfg.AccountID, "account", envOr("THUMBFLOW_ACCOUNT", cloud.AccountID), "the 12-digit account id that local ARNs name (env THUMBFLOW_ACCOUNT)")
	fs.StringVar(&cfg.AlertWebhook, "alert-webhook", envOr("THUMBFLOW_ALERT_WEBHOOK", ""), "subscribe this http(s) URL, raw, to the alert topic: it receives the EventBridge event of every execution the template's rule matches, and the alarms' notifications (env THUMBFLOW_ALERT_WEBHOOK)")
	fs.StringVar(&o.logFormat, "log-format", envOr("THUMBFLOW_LOG_FORMAT", "auto"), "text, json, or auto: text on a terminal, JSON otherwise (env THUMBFLOW_LOG_FORMAT)")
	fs.StringVar(&o.logLevel, "log-level", envOr("THUMBFLOW_LOG_LEVEL", ""), "debug, info, warn or error; default warn for text (plus one line per finished upload), info for JSON (env THUMBFLOW_LOG_LEVEL)")
	fs.StringVar(&cfg.Runtime, "runtime", envOr("THUMBFLOW_RUNTIME", cloud.RuntimeInProcess), "how functions run: inprocess (fast), or process: build each bootstrap with the Makefile for this machine and run it under the Lambda Runtime API; needs make and a clone (env THUMBFLOW_RUNTIME)")
	fs.StringVar(&o.timeScale, "time-scale", envOr("THUMBFLOW_TIME_SCALE", "1"), "run the delays AWS and the template fix (Lambda's asynchronous retries, retry back-off, task timeouts, alarm periods, the sweeper's schedule) N times faster; 1 keeps AWS's values (env THUMBFLOW_TIME_SCALE)")
	fs.StringVar(&o.faults, "faults", envOr("THUMBFLOW_FAULTS", ""), "inject faults for demos and tests (env THUMBFLOW_FAULTS): "+faultsHelp)
	return fs
}

func runDev(ctx context.Context, args []string) error {
	var cfg cloud.Config
	var o devOptions
	fs := devFlags(&cfg, &o)
	if err := parseFlags(fs, args); err != nil {
		return devUsage(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "thumbflow dev: unexpected argument %q (thumbflow dev -h lists the flags)\n", fs.Arg(0))
		return errReported
	}
	faults, err := parseFaults(o.faults)
	if err != nil {
		fmt.Fprintf(stderr, "thumbflow dev: -faults: %v\n", err)
		return errReported
	}
	logs, err := newDevLogs(o.logFormat, o.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "thumbflow dev: %v\n", err)
		return errReported
	}
	scale, err := strconv.ParseFloat(o.timeScale, 64)
	if err != nil || !(scale >= 1) || math.IsInf(scale, 0) {
		fmt.Fprintf(stderr, "thumbflow dev: -time-scale %q: want a number of 1 or more (1 keeps AWS's delays)\n", o.timeScale)
		return errReported
	}
	if scale > 1 {
		cfg.Clock = &localclock.Scaled{Factor: scale}
	}
	cfg.Parameters = o.params
	if o.template != "" {
		cfg.Files, cfg.Template = os.DirFS(filepath.Dir(o.template)), filepath.Base(o.template)
	}
	cfg.Logger = logs.cloud
	setDevMemoryLimit()
	if addr := os.Getenv("THUMBFLOW_PPROF"); addr != "" {
		servePprof(addr, logs.cloud)
	}

	began := time.Now()
	c, err := cloud.Start(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "thumbflow dev: %v\n", startupError(err, cfg))
		return errReported
	}
	c.SFN.OnExecutionEnd(logs.summarize)
	if err := applyFaults(c, faults); err != nil {
		c.Close()
		fmt.Fprintf(stderr, "thumbflow dev: -faults: %v\n", err)
		return errReported
	}
	if err := writeDevRecord(cfg.DataDir, devRecord{PID: os.Getpid(), WebSocketURL: c.WebSocketURL, Endpoint: c.Endpoint, WebURL: c.WebURL, Region: cfg.Region}); err != nil {
		logs.cloud.Warn("thumbflow upload and thumbflow aws will not find this endpoint without flags", "error", err)
	}
	defer removeDevRecord(cfg.DataDir)
	b := banner{took: time.Since(began), c: c, cfg: cfg, faults: faults, definitions: watchNote(o.template)}
	out := stdout // dev's, for as long as it runs
	stopReprint := reprintOnRequest(ctx, func() { b.print(out) })
	defer stopReprint()
	b.print(out)

	<-ctx.Done()
	fmt.Fprintln(out, "\nthumbflow dev: stopping; running executions resume at the next start")
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

// devUsage is dev's answer to a bad flag, which parseFlags has explained
// in one line: exit 1, as every other start-up problem does, since dev
// is started by hand or by a script that only checks for success.
func devUsage(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errReported
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
