package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// The operator commands (executions, history, failures) share this file:
// how they find the stack and the clients they use. They read only what
// the AWS console would show, through the same SDK clients, so they work
// unchanged against AWS and against `thumbflow dev` (AWS_ENDPOINT_URL).

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

// opsClients are the SDK clients an operator command uses.
type opsClients struct {
	sfn *sfn.Client
	s3  *s3.Client
}

// newOpsClients loads the SDK's default configuration: credentials from the
// usual chain and, when set, AWS_ENDPOINT_URL, which is how the same
// commands reach `thumbflow dev`.
func newOpsClients(ctx context.Context) (*opsClients, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region configured: set AWS_REGION (us-east-1 for thumbflow dev)")
	}
	custom := cfg.BaseEndpoint != nil
	return &opsClients{
		sfn: sfn.NewFromConfig(cfg),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			// A custom endpoint (thumbflow dev, LocalStack) has no
			// per-bucket host names.
			o.UsePathStyle = custom
			// Records are small JSON objects written without
			// checksums; saying so on every read is noise.
			o.DisableLogOutputChecksumValidationSkipped = true
		}),
	}, nil
}

// stateMachineARN is the flag's value, or the one state machine that SAM
// or the local cloud named for the thumbnail workflow.
func (c *opsClients) stateMachineARN(ctx context.Context, flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	var found []string
	p := sfn.NewListStateMachinesPaginator(c.sfn, &sfn.ListStateMachinesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing state machines: %w", err)
		}
		for _, m := range page.StateMachines {
			name := aws.ToString(m.Name)
			if name == "thumbnail" || strings.HasPrefix(name, "ThumbnailStateMachine") {
				found = append(found, aws.ToString(m.StateMachineArn))
			}
		}
	}
	switch len(found) {
	case 0:
		return "", errors.New("no state machine named thumbnail or ThumbnailStateMachine-*: pass -state-machine ARN (the stack output StateMachineArn)")
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("several thumbnail state machines (%s): pass -state-machine ARN", strings.Join(found, ", "))
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

// parseSince reads -since: a duration ("24h", "90m"), or 0 for no bound.
func parseSince(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("-since %q: want a duration such as 24h or 90m", s)
	}
	return d, nil
}

// statusNames are the execution statuses -status accepts.
var statusNames = []types.ExecutionStatus{
	types.ExecutionStatusRunning, types.ExecutionStatusSucceeded, types.ExecutionStatusFailed,
	types.ExecutionStatusTimedOut, types.ExecutionStatusAborted,
}
