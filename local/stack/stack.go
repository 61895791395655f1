// Package stack reads the SAM template (template.yaml) and returns the
// resolved, typed model of the stack that the local cloud instantiates.
//
// The template is the only description of the stack: the local cloud must
// not restate a bucket's CORS rules, a function's environment or the state
// machine's substitutions in Go, because two copies drift. So this package
// resolves every intrinsic against local values (stack name, account,
// region, parameters), applies SAM's Globals and S3 events as SAM's
// translator does, and hands the local cloud plain values.
//
// What it cannot honour locally it refuses, with the template's line: an
// unknown resource type, an unknown property of a supported type, or an
// unsupported intrinsic. A template that loads here is one whose every
// declaration the local cloud acts on or records; nothing is silently
// ignored. All problems are gathered and reported together (see Error).
//
// The loader is built on yaml.v3 nodes rather than on goformation: the
// nodes keep line numbers for every value, the short-form tags (!Ref, !Sub,
// ...) are plain node tags, and intrinsics resolve against local values in
// one small evaluator, where goformation resolves them its own way and
// loses positions. docs/local-cloud.md documents the supported types.
package stack

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Options are the values only the local cloud knows. The zero value loads
// the stack as `thumbflow dev` runs it by default.
type Options struct {
	// StackName is AWS::StackName and the prefix of local names
	// ("thumbflow").
	StackName string
	// AccountID is AWS::AccountId ("000000000000").
	AccountID string
	// Region is AWS::Region ("us-east-1").
	Region string
	// Partition is AWS::Partition ("aws"); URLSuffix is AWS::URLSuffix
	// ("amazonaws.com").
	Partition, URLSuffix string
	// Parameters override the template's parameter defaults
	// (`-param Key=Value`). A key the template does not declare is an
	// error, as CloudFormation makes it.
	Parameters map[string]string
	// APIIDs gives the local id of each AWS::ApiGatewayV2::Api by logical
	// id; an API without one gets a deterministic id (see docs).
	APIIDs map[string]string
	// File names the template in messages ("template.yaml").
	File string
	// Files holds the files the template refers to (DefinitionUri),
	// rooted at the template's directory. LoadFS sets it.
	Files fs.FS
}

func (o *Options) defaults() {
	if o.StackName == "" {
		o.StackName = "thumbflow"
	}
	if o.AccountID == "" {
		o.AccountID = "000000000000"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if o.URLSuffix == "" {
		o.URLSuffix = "amazonaws.com"
	}
	if o.File == "" {
		o.File = "template.yaml"
	}
}

// LoadFS reads the template at name in fsys and loads it; files the
// template refers to (DefinitionUri) are read relative to the template, as
// `sam build` reads them. The binary passes its embedded files; tests pass
// os.DirFS.
func LoadFS(fsys fs.FS, name string, opts Options) (*Stack, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	if dir := path.Dir(name); dir != "." {
		if fsys, err = fs.Sub(fsys, dir); err != nil {
			return nil, fmt.Errorf("template directory %s: %w", dir, err)
		}
	}
	opts.Files = fsys
	if opts.File == "" {
		opts.File = name
	}
	return Load(b, opts)
}

// Load parses and resolves a SAM template. The error, if any, is an
// *Error listing every problem found, each with its line.
func Load(template []byte, opts Options) (*Stack, error) {
	opts.defaults()
	l := newLoader(opts)
	st := l.load(template)
	if err := l.err(); err != nil {
		return nil, err
	}
	return st, nil
}

// Problem is one thing in the template the local cloud cannot honour.
type Problem struct {
	Line int
	Msg  string
}

// Error lists every problem of a template, in line order.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = fmt.Sprintf("%s:%d: %s", e.File, p.Line, p.Msg)
	}
	return strings.Join(lines, "\n")
}

// ParamFlag collects repeated `-param Key=Value` flags; it implements
// flag.Value.
type ParamFlag map[string]string

func (p ParamFlag) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + p[k]
	}
	return strings.Join(keys, ",")
}

// Set adds one Key=Value; the value may be empty or contain '='.
func (p ParamFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("parameter %q: want Key=Value", s)
	}
	p[k] = v
	return nil
}
