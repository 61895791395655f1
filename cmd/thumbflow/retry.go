package main

import (
	"context"
	"fmt"

	"thumbflow/ops"
	"thumbflow/upload"
)

func init() {
	commands["retry"] = command{summary: "retry failed uploads as a new execution (generation n+1) of the same original", run: runRetry}
}

func runRetry(ctx context.Context, args []string) error {
	fs := newFlagSet("retry", "<upload id | execution ARN>... | -kind system [-since 24h] [-dry-run] [-force] [-json]",
		"Starts the next generation of each failed upload named, or with -kind of every upload that failed\n"+
			"within -since: a new execution for the same object version, named from the original and the\n"+
			"generation, so running it twice starts nothing twice. User rejections are skipped unless -force.")
	var o opsFlags
	o.register(fs)
	kindFlag := fs.String("kind", "", "retry every failure of this kind within -since: system, user or all")
	sinceFlag := fs.String("since", "24h", "with -kind: only uploads that failed within this long (0: all)")
	dryRun := fs.Bool("dry-run", false, "say what would be retried, start nothing")
	force := fs.Bool("force", false, "retry user rejections too")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var kind upload.Kind
	switch *kindFlag {
	case "":
	case "system", "user":
		kind = upload.Kind(*kindFlag)
	case "all":
		kind = ""
	default:
		fmt.Fprintf(stderr, "thumbflow retry: -kind %q: want system, user or all\n", *kindFlag)
		return errUsage
	}
	if (*kindFlag == "") == (fs.NArg() == 0) {
		fmt.Fprintln(stderr, "thumbflow retry: name uploads or executions, or pass -kind for every failure of a kind (not both)")
		return errUsage
	}
	since, err := parseSince(*sinceFlag)
	if err != nil {
		fmt.Fprintf(stderr, "thumbflow retry: %v\n", err)
		return errUsage
	}
	c, err := newOpsClients(ctx, o)
	if err != nil {
		return err
	}
	opts := ops.RetryOptions{Force: *force, DryRun: *dryRun}
	var results []ops.RetryResult
	if *kindFlag != "" {
		results, err = c.RetryFailures(ctx, c.sfn, kind, since, opts)
	} else {
		for _, target := range fs.Args() {
			var res ops.RetryResult
			if res, err = c.Retry(ctx, c.sfn, target, opts); err != nil {
				break
			}
			results = append(results, res)
		}
	}
	if results == nil {
		results = []ops.RetryResult{}
	}
	if o.json {
		if werr := writeJSON(results); werr != nil {
			return werr
		}
		return err
	}
	printRetries(results)
	return err
}

// printRetries prints one line per upload: what happened and why.
func printRetries(results []ops.RetryResult) {
	if len(results) == 0 {
		fmt.Fprintln(stdout, "nothing to retry")
		return
	}
	w := table()
	fmt.Fprintln(w, "UPLOAD\tOUTCOME\tGEN\tCODE\tKIND\tEXECUTION")
	for _, r := range results {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", r.UploadID, r.Outcome, r.Generation, dash(r.Code), dash(string(r.Kind)), dash(r.ExecutionARN))
	}
	w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
