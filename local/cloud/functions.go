package cloud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"

	"thumbflow/lambdas/wiring"
	"thumbflow/local/lambda"
	"thumbflow/local/stack"
)

// reservedVariables are the variables Lambda sets itself and refuses in a
// function's configuration ("contains reserved keys"); a template that sets
// one would fail to deploy.
var reservedVariables = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

// buildFunctions registers a handler for every function of the stack: the
// handler its logical id names in wiring.Handlers, built by the same
// constructor its main calls, from the environment the template gives it
// plus the variables Lambda adds, with the template's timeout and
// concurrency. A function without a known handler is refused: running the
// stack without it would hide the mistake until the first event.
func (c *Cloud) buildFunctions(ctx context.Context) error {
	if r := c.cfg.Runtime; r != "" && r != RuntimeInProcess && r != RuntimeProcess {
		return fmt.Errorf("runtime %q: want %s or %s", r, RuntimeInProcess, RuntimeProcess)
	}
	var errs []error
	for _, f := range c.Stack.Functions {
		if err := c.buildFunction(ctx, f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Cloud) buildFunction(ctx context.Context, f *stack.Function) error {
	handler, opts, err := c.functionHandler(ctx, f)
	if err != nil {
		return err
	}
	runtime := RuntimeInProcess
	if c.cfg.Runtime == RuntimeProcess {
		if handler, err = c.processHandler(ctx, f); err != nil {
			return c.refusal(f.Resource, "%v", err)
		}
		// One process is one execution environment: it takes one
		// invocation at a time, and the others wait for it.
		opts.Concurrency, opts.Queue, runtime = 1, true, RuntimeProcess
	}
	if err := c.Lambdas.Register(f.ARN, handler, opts); err != nil {
		return fmt.Errorf("register function %s: %w", f.Name, err)
	}
	// In-process functions are not memory-capped: the memory is recorded
	// here and reaches the code as Lambda reports it, in
	// AWS_LAMBDA_FUNCTION_MEMORY_SIZE.
	c.log.Info("function ready", "function", f.Name, "logicalId", f.LogicalID, "runtime", runtime, "timeout", f.Timeout.String(),
		"memoryMB", f.MemoryMB, "concurrency", opts.Concurrency, "queued", opts.Queue)
	return nil
}

// functionHandler builds f's handler and the options it runs with.
func (c *Cloud) functionHandler(ctx context.Context, f *stack.Function) (any, lambda.FunctionOptions, error) {
	h, ok := wiring.Handlers[f.LogicalID]
	if !ok {
		known := slices.Sorted(maps.Keys(wiring.Handlers))
		return nil, lambda.FunctionOptions{}, c.refusal(f.Resource, "function %s (%s) has no handler: lambdas/wiring.Handlers knows %v", f.LogicalID, f.Name, known)
	}
	vars, err := c.functionEnvironment(f)
	if err != nil {
		return nil, lambda.FunctionOptions{}, err
	}
	env := &wiring.Env{Lookup: func(k string) string { return vars[k] }}
	creds, err := c.roleCredentials(f)
	if err != nil {
		return nil, lambda.FunctionOptions{}, err
	}
	cfg := c.functionAWSConfig()
	cfg.Credentials = creds // the function's role, not the developer
	handler, err := h.Build(ctx, wiring.Deps{Env: env, AWS: cfg, Log: c.log.With("function", f.Name), Metrics: c.cfg.Metrics})
	if envErr := env.Err(); envErr != nil {
		err = envErr
	}
	if err != nil {
		return nil, lambda.FunctionOptions{}, c.refusal(f.Resource, "function %s (%s): %v", f.LogicalID, f.Name, err)
	}
	opts, err := c.functionOptions(f, h)
	return handler, opts, err
}

// functionEnvironment is what the function's process environment holds on
// Lambda: the template's variables and the ones Lambda sets.
func (c *Cloud) functionEnvironment(f *stack.Function) (map[string]string, error) {
	for _, k := range reservedVariables {
		if _, set := f.Environment[k]; set {
			return nil, c.refusal(f.Resource, "function %s sets %s, which Lambda reserves for itself", f.LogicalID, k)
		}
	}
	vars := maps.Clone(f.Environment)
	lambdaVars := map[string]string{
		"AWS_REGION":                      c.Stack.Region,
		"AWS_DEFAULT_REGION":              c.Stack.Region,
		"AWS_LAMBDA_FUNCTION_NAME":        f.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.Name,
		"_HANDLER":                        f.Props.Handler,
	}
	if lc := f.Props.LoggingConfig; lc != nil {
		if lc.LogGroup != "" {
			lambdaVars["AWS_LAMBDA_LOG_GROUP_NAME"] = lc.LogGroup
		}
		if lc.LogFormat != "" {
			lambdaVars["AWS_LAMBDA_LOG_FORMAT"] = lc.LogFormat
		}
	}
	maps.Copy(vars, lambdaVars)
	return vars, nil
}

// accountConcurrency is Lambda's default concurrency limit per account and
// region. The local functions without a reserved concurrency share what the
// others leave of it and are throttled above it, as on AWS.
const accountConcurrency = 1000

// functionOptions are the template's timeout and reserved concurrency. An
// invocation above the reservation is throttled with TooManyRequests, as
// Lambda throttles it, before its handler runs: the workflow's throttling
// Retry waits for a slot, and the wait never counts against the task's
// timeout. A function without a reservation shares the account's pool, as
// on AWS. A CPU-bound one (the converter) is also capped at the CPU count
// and throttled above it in the same way: Lambda gives every invocation its
// own machine, one laptop cannot, and conversions beyond its cores would
// only hold more decoded images at once without converting any faster.
func (c *Cloud) functionOptions(f *stack.Function, h wiring.Handler) (lambda.FunctionOptions, error) {
	opts := lambda.FunctionOptions{Timeout: f.Timeout}
	r := f.Props.ReservedConcurrentExecutions
	if r != nil && *r <= 0 {
		return opts, c.refusal(f.Resource, "function %s reserves a concurrency of %d: the local Lambda cannot run a function that may never run", f.LogicalID, *r)
	}
	if r != nil {
		opts.Concurrency = *r
	}
	slots := c.cfg.CPUSlots
	if slots <= 0 {
		slots = runtime.NumCPU()
	}
	if h.CPUBound && (opts.Concurrency == 0 || opts.Concurrency > slots) {
		opts.Concurrency = slots
	}
	return opts, nil
}
