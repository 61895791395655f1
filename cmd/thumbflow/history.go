package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"thumbflow/ops"
	"thumbflow/upload"
)

func init() {
	commands["history"] = command{summary: "show one execution as a timeline: states, attempts, errors and durations", run: runHistory}
}

func runHistory(ctx context.Context, args []string) error {
	fs := newFlagSet("history", "[-json] <upload id | execution ARN>",
		"Shows one execution as a timeline: states entered, attempts, errors and durations.")
	var o opsFlags
	o.register(fs)
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
	c, err := newOpsClients(ctx, o)
	if err != nil {
		return err
	}
	arn := arg
	if !strings.HasPrefix(arg, "arn:") {
		if arn, err = c.ExecutionOfUpload(ctx, arg); err != nil {
			return err
		}
	}
	v, err := c.History(ctx, arn)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(v)
	}
	printHistory(v)
	return nil
}

func printHistory(v ops.History) {
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
