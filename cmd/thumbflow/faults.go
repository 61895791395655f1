package main

import (
	"fmt"
	"strconv"
	"strings"

	"thumbflow/local/cloud"
	"thumbflow/local/lambda"
)

// faultsHelp is -faults' syntax, for the flag's usage and its errors.
const faultsHelp = `comma-separated TARGET:KIND[:N] rules, e.g. convert:transient:1,s3:503:0.1
  TARGET convert, start, status or websocket (a function), or s3
  KIND   for a function: transient (fails with TransientError, which the workflow retries),
         timeout (runs past its timeout) or panic; for s3: 503 (SlowDown) or 500 (InternalError)
  N      a whole number: the next N calls fail (default 1); a fraction such as 0.1: each call fails with that probability`

// fault is one -faults rule.
type fault struct {
	target string // a function name of the local cloud, or "s3"
	kind   string
	count  int     // the next count calls; 0 with a rate
	rate   float64 // each call with this probability
}

// functionTargets map -faults' short names to the template's functions.
var functionTargets = map[string]string{
	"convert":   "ConvertFunction",
	"start":     "StartFunction",
	"status":    "StatusFunction",
	"websocket": "WebSocketFunction",
}

var functionFaults = map[string]lambda.Fault{
	"transient": lambda.FaultTransient,
	"timeout":   lambda.FaultTimeout,
	"panic":     lambda.FaultPanic,
}

// parseFaults reads -faults. A number with a decimal point is a rate, so
// "1" is once and "1.0" is every time.
func parseFaults(spec string) ([]fault, error) {
	var out []fault
	for _, rule := range strings.Split(spec, ",") {
		rule = strings.TrimSpace(rule)
		if rule == "" {
			continue
		}
		parts := strings.Split(rule, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("fault %q: want TARGET:KIND[:N]", rule)
		}
		f := fault{target: parts[0], kind: parts[1], count: 1}
		switch {
		case f.target == "s3":
			if f.kind != "503" && f.kind != "500" {
				return nil, fmt.Errorf("fault %q: s3 faults are 503 or 500", rule)
			}
		case functionTargets[f.target] != "":
			if _, ok := functionFaults[f.kind]; !ok {
				return nil, fmt.Errorf("fault %q: function faults are transient, timeout or panic", rule)
			}
		default:
			return nil, fmt.Errorf("fault %q: unknown target %q (convert, start, status, websocket or s3)", rule, f.target)
		}
		if len(parts) == 3 {
			n := parts[2]
			if strings.Contains(n, ".") {
				p, err := strconv.ParseFloat(n, 64)
				if err != nil || p <= 0 || p > 1 {
					return nil, fmt.Errorf("fault %q: a rate is a fraction in (0, 1]", rule)
				}
				f.count, f.rate = 0, p
			} else if c, err := strconv.Atoi(n); err != nil || c < 1 {
				return nil, fmt.Errorf("fault %q: a count is a whole number from 1", rule)
			} else {
				f.count = c
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// applyFaults arms the faults in the local cloud's Lambda runtime and S3,
// never in handler code, so what the pipeline sees is what AWS would show.
func applyFaults(c *cloud.Cloud, faults []fault) error {
	for _, f := range faults {
		if f.target == "s3" {
			status, _ := strconv.Atoi(f.kind)
			if f.rate > 0 {
				if err := c.S3.InjectFaultRate(f.rate, status); err != nil {
					return err
				}
			} else {
				c.S3.InjectFaults(f.count, status)
			}
			continue
		}
		fn, kind := functionName(c, functionTargets[f.target]), functionFaults[f.kind]
		if f.rate > 0 {
			if err := c.Lambdas.InjectFaultRate(fn, kind, f.rate); err != nil {
				return err
			}
			continue
		}
		for range f.count {
			if err := c.Lambdas.InjectFault(fn, kind); err != nil {
				return err
			}
		}
	}
	return nil
}

// describeFaults is the banner's line about armed faults.
func describeFaults(faults []fault) string {
	parts := make([]string, len(faults))
	for i, f := range faults {
		switch {
		case f.rate > 0:
			parts[i] = fmt.Sprintf("%s %s on %.0f%% of calls", f.target, f.kind, f.rate*100)
		case f.count == 1:
			parts[i] = fmt.Sprintf("%s %s on the next call", f.target, f.kind)
		default:
			parts[i] = fmt.Sprintf("%s %s on the next %d calls", f.target, f.kind, f.count)
		}
	}
	return strings.Join(parts, "; ")
}
