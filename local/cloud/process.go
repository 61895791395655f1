package cloud

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"thumbflow/local/lambda"
	"thumbflow/local/stack"
)

// Runtimes: how the local cloud runs a function.
const (
	// RuntimeInProcess calls the handler in this process (the default:
	// it starts in milliseconds and needs no build).
	RuntimeInProcess = "inprocess"
	// RuntimeProcess builds the function's bootstrap with the Makefile's
	// target, for the host's architecture, and runs it under the Lambda
	// Runtime API (lambda.Process): the binary that would be deployed.
	RuntimeProcess = "process"
)

// processes are the running bootstraps, stopped by Shutdown.
type processes struct {
	mu   sync.Mutex
	list []*lambda.Process
}

func (p *processes) add(pr *lambda.Process) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, pr)
}

func (p *processes) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.list {
		pr.Close()
	}
	p.list = nil
}

// processHandler builds f's bootstrap (make build-<LogicalId> with GOARCH
// the host's) into the build directory and returns the handler that runs
// it under the Runtime API. Its environment is the one Lambda gives the
// function, plus the local endpoint and its role's local credentials.
func (c *Cloud) processHandler(ctx context.Context, f *stack.Function) (any, error) {
	if c.cfg.SourceDir == "" {
		c.cfg.SourceDir = "."
	}
	if c.cfg.BuildDir == "" && c.cfg.DataDir != "" {
		c.cfg.BuildDir = filepath.Join(c.cfg.DataDir, "bootstraps")
	}
	if c.cfg.BuildDir == "" {
		tmp, err := os.MkdirTemp("", "thumbflow-bootstraps-")
		if err != nil {
			return nil, fmt.Errorf("build directory: %w", err)
		}
		c.cfg.BuildDir = tmp
	}
	dir := filepath.Join(c.cfg.BuildDir, f.LogicalID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("function %s: build directory: %w", f.LogicalID, err)
	}
	make := exec.CommandContext(ctx, "make", "-s", "-C", c.cfg.SourceDir, "build-"+f.LogicalID, "GOARCH="+runtime.GOARCH, "ARTIFACTS_DIR="+dir)
	if out, err := make.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("function %s: make build-%s: %v\n%s", f.LogicalID, f.LogicalID, err, out)
	}
	vars, err := c.functionEnvironment(f)
	if err != nil {
		return nil, err
	}
	// The process signs as its role, as the in-process handler does.
	key, err := c.roleKey(f)
	if err != nil {
		return nil, err
	}
	env := []string{
		"AWS_ENDPOINT_URL=" + c.Endpoint,
		"AWS_ACCESS_KEY_ID=" + key.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + key.SecretAccessKey,
		"LAMBDA_TASK_ROOT=" + dir,
		"PATH=" + os.Getenv("PATH"),
	}
	for _, k := range sortedVars(vars) {
		env = append(env, k+"="+c.localURL(vars[k]))
	}
	p := &lambda.Process{Path: filepath.Join(dir, "bootstrap"), Env: env, Stdout: os.Stderr, Stderr: os.Stderr}
	if c.cfg.ProcessOutput != nil {
		p.Stdout, p.Stderr = c.cfg.ProcessOutput, c.cfg.ProcessOutput
	}
	c.procs.add(p)
	return p.Invoke, nil
}

// localURL applies the endpoint rule (endpoints.go) to a URL a template
// built into a variable, such as CONNECTIONS_ENDPOINT: a process cannot
// take the SDK middleware that applies it in-process, so its environment
// names the local endpoint instead. Anything else is kept as it is.
func (c *Cloud) localURL(v string) string {
	if !strings.HasPrefix(v, "https://") {
		return v
	}
	u, err := url.Parse(v)
	if err != nil || c.hosts.rewrite(u) != nil {
		return v
	}
	return u.String()
}

func sortedVars(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
