package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/sfnview"
	"thumbflow/upload"
	"thumbflow/upload/s3store"
)

func init() {
	commands["history"] = command{summary: "show one execution as a timeline: states, attempts, errors and durations", run: runHistory}
}

// historyView is what `history -json` prints: the execution, its error,
// how many conversion attempts it made and its timeline.
type historyView struct {
	sfnview.Execution
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
	// Attempts is the number of conversion attempts made.
	Attempts int            `json:"attempts"`
	Timeline []sfnview.Step `json:"timeline"`
}

func runHistory(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	var o opsFlags
	o.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: thumbflow history [-json] <upload id | execution ARN>")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	arg := fs.Arg(0)
	if !strings.HasPrefix(arg, "arn:") && !upload.ValidID(arg) {
		fmt.Fprintf(stderr, "thumbflow history: %q is neither an upload id (32 hex characters) nor an execution ARN\n", arg)
		return errUsage
	}
	c, err := newOpsClients(ctx)
	if err != nil {
		return err
	}
	arn := arg
	if !strings.HasPrefix(arg, "arn:") {
		if arn, err = c.executionOfUpload(ctx, o, arg); err != nil {
			return err
		}
	}
	v, err := c.history(ctx, arn, o.maxResults())
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(v)
	}
	printHistory(v)
	return nil
}

// executionOfUpload finds the execution that converted an upload: the one
// its status record names, or else the newest whose name starts with the
// id (the record may be missing if the execution failed before writing it).
func (c *opsClients) executionOfUpload(ctx context.Context, o opsFlags, id string) (string, error) {
	store := &s3store.Store{Client: c.s3, Bucket: o.recordsBucket}
	rec, ok, err := store.GetStatus(ctx, id)
	if err == nil && ok && rec.ExecutionARN != "" {
		return rec.ExecutionARN, nil
	}
	machine, merr := c.stateMachineARN(ctx, o.stateMachine)
	if merr != nil {
		return "", errors.Join(merr, err)
	}
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)}
	if n := o.maxResults(); n > 0 {
		in.MaxResults = n
	}
	p := sfn.NewListExecutionsPaginator(c.sfn, in)
	for p.HasMorePages() {
		page, lerr := p.NextPage(ctx)
		if lerr != nil {
			return "", fmt.Errorf("listing executions of %s: %w", machine, lerr)
		}
		for _, e := range page.Executions {
			if got, ok := upload.IDFromExecutionName(aws.ToString(e.Name)); ok && got == id {
				return aws.ToString(e.ExecutionArn), nil
			}
		}
	}
	if err != nil {
		return "", fmt.Errorf("no execution found for upload %s (reading its status record: %w)", id, err)
	}
	return "", fmt.Errorf("no execution found for upload %s", id)
}

// history describes the execution and reads every page of its events.
func (c *opsClients) history(ctx context.Context, arn string, pageSize int32) (historyView, error) {
	d, err := c.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return historyView{}, fmt.Errorf("describing %s: %w", arn, err)
	}
	v := historyView{Execution: sfnview.Described(d, time.Now()), Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}
	in := &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), IncludeExecutionData: aws.Bool(false)}
	if pageSize > 0 {
		in.MaxResults = pageSize
	}
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(c.sfn, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return historyView{}, fmt.Errorf("reading the history of %s: %w", arn, err)
		}
		events = append(events, page.Events...)
	}
	v.Timeline, v.Attempts = sfnview.Timeline(events, v.StartDate)
	return v, nil
}

func printHistory(v historyView) {
	fmt.Fprintf(stdout, "execution  %s\n", v.ExecutionARN)
	if v.UploadID != "" {
		fmt.Fprintf(stdout, "upload     %s\n", v.UploadID)
	}
	fmt.Fprintf(stdout, "status     %s after %s, %d conversion attempt(s)\n", v.Status, span(time.Duration(v.DurationMs)*time.Millisecond), v.Attempts)
	fmt.Fprintf(stdout, "started    %s UTC\n", clock(v.StartDate))
	if v.Error != "" || v.Cause != "" {
		fmt.Fprintf(stdout, "error      %s: %s\n", v.Error, oneLine(readable(v.Cause), 200))
	}
	fmt.Fprintln(stdout)
	w := table()
	fmt.Fprintln(w, "TIME (UTC)\t+OFFSET\tSTATE\tEVENT\tATTEMPT\tTOOK\tERROR")
	for _, s := range v.Timeline {
		state, attempt, took, problem := s.State, "", "", ""
		if state == "" {
			state = "-"
		}
		if s.Attempt > 0 {
			attempt = fmt.Sprint(s.Attempt)
		}
		if s.DurationMs >= 0 {
			took = span(time.Duration(s.DurationMs) * time.Millisecond)
		}
		if s.Error != "" || s.Cause != "" {
			problem = s.Error
			if s.Cause != "" {
				problem += ": " + oneLine(readable(s.Cause), 120)
			}
		}
		fmt.Fprintf(w, "%s\t+%s\t%s\t%s\t%s\t%s\t%s\n", clock(s.Time), span(time.Duration(s.OffsetMs)*time.Millisecond), state, s.Event, attempt, took, problem)
	}
	w.Flush()
}

// readable is a cause as a person wants it: a Lambda error's cause is
// JSON whose errorMessage says what happened.
func readable(cause string) string {
	var payload struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &payload) == nil && payload.ErrorMessage != "" {
		return payload.ErrorMessage
	}
	return cause
}

// oneLine keeps a cause on one table row: newlines folded, long text cut.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
