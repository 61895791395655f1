package main

import (
	"context"
	"flag"
	"fmt"
)

func init() {
	commands["failures"] = command{summary: "list failed uploads: error code, message, attempts and the Step Functions error", run: runFailures}
}

func runFailures(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("failures", flag.ContinueOnError)
	var o opsFlags
	o.register(fs)
	sinceFlag := fs.String("since", "24h", "only uploads that failed within this long (0: all)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: thumbflow failures [-since 24h] [-json]")
		fs.PrintDefaults()
	}
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
	if o.json {
		return writeJSON(recs)
	}
	if len(recs) == 0 {
		fmt.Fprintln(stdout, "no failures")
		return nil
	}
	w := table()
	fmt.Fprintln(w, "FAILED AT (UTC)\tUPLOAD\tCODE\tATTEMPTS\tMESSAGE\tSTEP FUNCTIONS ERROR")
	for _, f := range recs {
		code, msg := "-", ""
		if f.Error != nil {
			code, msg = f.Error.Code, f.Error.Message
		}
		sfnErr := f.StepFunctionsError
		if f.StepFunctionsCause != "" {
			sfnErr += ": " + oneLine(readable(f.StepFunctionsCause), 80)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", clock(f.UpdatedAt), f.UploadID, code, f.Attempt, oneLine(msg, 80), sfnErr)
	}
	return w.Flush()
}
