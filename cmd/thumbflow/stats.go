package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"thumbflow/ops"
)

func init() {
	commands["stats"] = command{summary: "totals of a window of executions: uploads, outcomes by kind, conversion time", run: runStats}
}

func runStats(ctx context.Context, args []string) error {
	fs := newFlagSet("stats", "[-since 24h] [-json]",
		"Counts the executions started within -since: uploads, succeeded, user rejections, system\n"+
			"failures (with their codes) and the p50/p95 duration of the successes; the /ops page shows the same.")
	var o opsFlags
	o.register(fs)
	sinceFlag := fs.String("since", "24h", "only executions started within this long, e.g. 90m, 24h, 7d (0: all)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "thumbflow stats: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	since, err := parseSince(*sinceFlag)
	if err != nil {
		fmt.Fprintf(stderr, "thumbflow stats: %v\n", err)
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
	t, _, err := c.Stats(ctx, machine, since)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(t)
	}
	printTotals(t)
	return nil
}

func printTotals(t ops.Totals) {
	w := table()
	window := "all time"
	if t.Since != "" {
		window = "last " + t.Since
	}
	fmt.Fprintf(w, "window\t%s\n", window)
	fmt.Fprintf(w, "executions\t%d (%d uploads, %d running)\n", t.Executions, t.Uploads, t.Running)
	fmt.Fprintf(w, "succeeded\t%d\n", t.Succeeded)
	fmt.Fprintf(w, "user rejections\t%d\n", t.UserRejections)
	fmt.Fprintf(w, "system failures\t%d\n", t.SystemFailures)
	fmt.Fprintf(w, "conversion p50 / p95\t%v / %v\n", time.Duration(t.P50Ms)*time.Millisecond, time.Duration(t.P95Ms)*time.Millisecond)
	codes := make([]string, 0, len(t.ByCode))
	for code, n := range t.ByCode {
		codes = append(codes, fmt.Sprintf("%s %d", code, n))
	}
	slices.Sort(codes)
	if len(codes) > 0 {
		fmt.Fprintf(w, "failures by code\t%s\n", strings.Join(codes, ", "))
	}
	w.Flush()
}
