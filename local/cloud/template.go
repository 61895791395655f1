package cloud

import (
	"fmt"
	"io/fs"
	"maps"

	"gopkg.in/yaml.v3"

	"thumbflow"
	"thumbflow/local/stack"
)

// webOriginParam is the template parameter the local cloud fills with its
// web client's origin when -param does not set it: the page the buckets'
// CORS rules must let upload is the one `thumbflow dev` serves.
const webOriginParam = "WebOrigin"

// loadStack reads the template through local/stack with the local stack
// name, account, region and parameters. Whatever the local cloud cannot
// honour is refused there, every problem with its line.
func (c *Cloud) loadStack() (*stack.Stack, error) {
	files := c.cfg.Files
	if files == nil {
		files = thumbflow.Files
	}
	params := maps.Clone(c.cfg.Parameters)
	if params == nil {
		params = map[string]string{}
	}
	st, err := stack.LoadFS(files, c.cfg.Template, stack.Options{
		StackName:  c.cfg.StackName,
		AccountID:  c.cfg.AccountID,
		Region:     c.cfg.Region,
		Parameters: withWebOrigin(files, c.cfg.Template, params, c.WebURL),
	})
	if err != nil {
		return nil, fmt.Errorf("the template cannot run locally:\n%w", err)
	}
	return st, nil
}

// withWebOrigin adds the web client's origin as WebOrigin unless the
// caller set it, or the template does not declare it (an override for an
// undeclared parameter is an error, as in CloudFormation).
func withWebOrigin(files fs.FS, template string, params map[string]string, origin string) map[string]string {
	if _, set := params[webOriginParam]; set {
		return params
	}
	if declaresParameter(files, template, webOriginParam) {
		params[webOriginParam] = origin
	}
	return params
}

// declaresParameter reports whether the template has a parameter of that
// name. It loads nothing else: a template that does not parse is reported
// by the real load that follows.
func declaresParameter(files fs.FS, template, name string) bool {
	b, err := fs.ReadFile(files, template)
	if err != nil {
		return false
	}
	var doc struct {
		Parameters map[string]yaml.Node `yaml:"Parameters"`
	}
	if yaml.Unmarshal(b, &doc) != nil {
		return false
	}
	_, ok := doc.Parameters[name]
	return ok
}

// refusal is a problem the local cloud itself finds in a resource the
// loader accepted, in the loader's "file:line: message" form.
func (c *Cloud) refusal(r *stack.Resource, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", c.cfg.Template, r.Line, fmt.Sprintf(format, args...))
}
