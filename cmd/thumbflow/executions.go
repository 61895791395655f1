package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/ops"
)

func init() {
	commands["executions"] = command{summary: "list recent thumbnail executions, newest first", run: runExecutions}
}

func runExecutions(ctx context.Context, args []string) error {
	fs := newFlagSet("executions", "[-status S] [-since 24h] [-limit N] [-json]",
		"Lists recent executions of the thumbnail workflow, newest first.")
	var o opsFlags
	o.register(fs)
	status := fs.String("status", "", "only executions with this status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
	sinceFlag := fs.String("since", "24h", "only executions started within this long, e.g. 90m, 24h, 7d, 2w (0: all)")
	limit := fs.Int("limit", 100, "print at most this many (0: all)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "thumbflow executions: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	filter := types.ExecutionStatus(strings.ToUpper(*status))
	if filter != "" && !slices.Contains(ops.Statuses, filter) {
		fmt.Fprintf(stderr, "thumbflow executions: -status %q: want RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED\n", *status)
		return errUsage
	}
	since, err := parseSince(*sinceFlag)
	if err != nil {
		fmt.Fprintf(stderr, "thumbflow executions: %v\n", err)
		return errUsage
	}
	if *limit < 0 {
		fmt.Fprintln(stderr, "thumbflow executions: -limit must not be negative")
		return errUsage
	}
	c, err := newOpsClients(ctx, o)
	if err != nil {
		return err
	}
	machine, err := c.stateMachineARN(ctx)
	if err != nil {
		return err
	}
	rows, err := c.Executions(ctx, ops.Query{StateMachineARN: machine, Status: filter, Since: since, Limit: *limit})
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(stdout, "no executions")
		return nil
	}
	w := table()
	fmt.Fprintln(w, "STARTED (UTC)\tSTATUS\tDURATION\tUPLOAD\tEXECUTION")
	for _, r := range rows {
		upload := r.UploadID
		if upload == "" {
			upload = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", clock(r.StartDate), r.Status, span(time.Duration(r.DurationMs)*time.Millisecond), upload, r.Name)
	}
	return w.Flush()
}
