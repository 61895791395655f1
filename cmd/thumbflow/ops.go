package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"thumbflow/ops"
)

// The operator commands (executions, history, failures) share this file:
// their flags, the clients they read with and how they print. What they
// read, and what it means, is package ops, which the /ops page shares;
// through the SDK's default configuration they work unchanged against AWS
// and against `thumbflow dev` (AWS_ENDPOINT_URL).

// opsFlags are the flags every operator command takes.
type opsFlags struct {
	stateMachine  string
	recordsBucket string
	json          bool
	pageSize      int
}

func (o *opsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.stateMachine, "state-machine", os.Getenv("THUMBFLOW_STATE_MACHINE_ARN"), "the thumbnail state machine's ARN (env THUMBFLOW_STATE_MACHINE_ARN); default: the one named thumbnail or ThumbnailStateMachine-*")
	fs.StringVar(&o.recordsBucket, "records-bucket", envOr("THUMBFLOW_RECORDS_BUCKET", "thumbflow-records"), "the bucket of status and failure records: the stack output RecordsBucketName (env THUMBFLOW_RECORDS_BUCKET)")
	fs.BoolVar(&o.json, "json", false, "print JSON instead of a table")
	fs.IntVar(&o.pageSize, "page-size", 0, "results per API request (0: the service's default); every page is read")
}

// opsClients are what an operator command reads with: package ops over
// the SDK's clients, and the flags that name the stack's resources.
type opsClients struct {
	*ops.Reader
	flags opsFlags
	sfn   *sfn.Client
	// machine caches stateMachineARN's answer: a retry of every failure
	// asks once per record.
	machine string
}

// newOpsClients loads the SDK's default configuration: credentials from the
// usual chain and, when set, AWS_ENDPOINT_URL, which is how the same
// commands reach `thumbflow dev`.
func newOpsClients(ctx context.Context, o opsFlags) (*opsClients, error) {
	cfg, err := loadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	custom := cfg.BaseEndpoint != nil
	sfnClient := sfn.NewFromConfig(cfg)
	s3Client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A custom endpoint (thumbflow dev, LocalStack) has no
		// per-bucket host names.
		o.UsePathStyle = custom
		// Records are small JSON objects written without
		// checksums; saying so on every read is noise.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	c := &opsClients{
		Reader: &ops.Reader{StepFunctions: sfnClient, Records: s3Client, RecordsBucket: o.recordsBucket, PageSize: o.maxResults()},
		flags:  o,
		sfn:    sfnClient,
	}
	c.Reader.StateMachine = c.stateMachineARN
	return c, nil
}

// stateMachineARN is the -state-machine flag's value, or the one state
// machine that SAM or the local cloud named for the thumbnail workflow.
func (c *opsClients) stateMachineARN(ctx context.Context) (string, error) {
	if c.flags.stateMachine != "" {
		return c.flags.stateMachine, nil
	}
	if c.machine != "" {
		return c.machine, nil
	}
	arn, err := ops.FindStateMachine(ctx, c.sfn)
	c.machine = arn
	return arn, err
}

// maxResults is the page size to ask for; 0 lets the service choose.
func (o *opsFlags) maxResults() int32 {
	return int32(max(o.pageSize, 0))
}

// writeJSON prints v indented, for scripts and jq.
func writeJSON(v any) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table is a tab-aligned writer on stdout.
func table() *tabwriter.Writer {
	return tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
}

// clock formats a timestamp for a table: UTC, to the millisecond, because
// the events of one execution are milliseconds apart.
func clock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// span formats a duration for a table.
func span(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// parseSince reads -since: a duration ("24h", "90m", "7d", "2w"), or 0
// for no bound.
func parseSince(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	d, err := parseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("-since %q: want a duration such as 24h, 90m or 7d", s)
	}
	return d, nil
}

// days matches a count of days or weeks in a duration, which Go's
// durations lack and operators' questions ("failures this week") use.
var days = regexp.MustCompile(`(\d+(?:\.\d+)?)([dw])`)

// parseDuration is time.ParseDuration with d (24h) and w (7d) added:
// "7d", "1w", "1d12h".
func parseDuration(s string) (time.Duration, error) {
	var bad error
	hours := days.ReplaceAllStringFunc(s, func(m string) string {
		sub := days.FindStringSubmatch(m)
		n, err := strconv.ParseFloat(sub[1], 64)
		if err != nil {
			bad = err
		}
		if sub[2] == "w" {
			n *= 7
		}
		return strconv.FormatFloat(n*24, 'f', -1, 64) + "h"
	})
	if bad != nil {
		return 0, bad
	}
	return time.ParseDuration(hours)
}
