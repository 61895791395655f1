package main

import (
	"context"
	"fmt"
	"unicode/utf8"

	"thumbflow/upload"
)

func init() {
	commands["failures"] = command{summary: "list failed uploads: error code, message, attempts and the Step Functions error", run: runFailures}
}

// failuresWidth is what the default table fits in: a terminal of 100
// columns. -wide prints every column whole.
const failuresWidth = 100

func runFailures(ctx context.Context, args []string) error {
	fs := newFlagSet("failures", "[-since 24h] [-wide] [-json]",
		"Lists the failure records of failed uploads, newest first.")
	var o opsFlags
	o.register(fs)
	sinceFlag := fs.String("since", "24h", "only uploads that failed within this long, e.g. 90m, 24h, 7d, 2w (0: all)")
	wide := fs.Bool("wide", false, "every column, uncut: the time to the millisecond and the Step Functions error and cause")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "thumbflow failures: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	since, err := parseSince(*sinceFlag)
	if err != nil {
		fmt.Fprintf(stderr, "thumbflow failures: %v\n", err)
		return errUsage
	}
	c, err := newOpsClients(ctx, o)
	if err != nil {
		return err
	}
	recs, err := c.Failures(ctx, since)
	if err != nil {
		return err
	}
	switch {
	case o.json:
		return writeJSON(recs)
	case len(recs) == 0:
		fmt.Fprintln(stdout, "no failures")
		return nil
	case *wide:
		return printFailuresWide(recs)
	}
	return printFailures(recs)
}

// printFailures fits failuresWidth: the minute of the failure, the whole
// upload id (which `thumbflow history` takes), the code, the attempts and
// as much of the message as is left.
func printFailures(recs []upload.FailureRecord) error {
	const timeLayout = "2006-01-02 15:04"
	codeW := len("CODE")
	for _, f := range recs {
		codeW = max(codeW, utf8.RuneCountInString(failureCode(f)))
	}
	msgW := max(failuresWidth-(len(timeLayout)+2+32+2+codeW+2+len("TRIES")+2), 20)
	w := table()
	fmt.Fprintln(w, "FAILED (UTC)\tUPLOAD\tCODE\tTRIES\tMESSAGE")
	for _, f := range recs {
		when := "-"
		if !f.UpdatedAt.IsZero() {
			when = f.UpdatedAt.UTC().Format(timeLayout)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", when, f.UploadID, failureCode(f), f.Attempt, oneLine(failureMessage(f), msgW))
	}
	return w.Flush()
}

func printFailuresWide(recs []upload.FailureRecord) error {
	w := table()
	fmt.Fprintln(w, "FAILED AT (UTC)\tUPLOAD\tCODE\tATTEMPTS\tMESSAGE\tSTEP FUNCTIONS ERROR")
	for _, f := range recs {
		sfnErr := f.StepFunctionsError
		if f.StepFunctionsCause != "" {
			sfnErr += ": " + oneLine(readable(f.StepFunctionsCause), 1000)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", clock(f.UpdatedAt), f.UploadID, failureCode(f), f.Attempt, oneLine(failureMessage(f), 1000), sfnErr)
	}
	return w.Flush()
}

func failureCode(f upload.FailureRecord) string {
	if f.Error == nil {
		return "-"
	}
	return f.Error.Code
}

func failureMessage(f upload.FailureRecord) string {
	if f.Error == nil {
		return ""
	}
	return f.Error.Message
}
