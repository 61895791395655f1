package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"thumbflow"
	"thumbflow/local/cloud"
)

// definitionURI finds a template's state machine definitions, as
// stack_test.go does, until the template loader builds the whole cloud
// from the template.
var definitionURI = regexp.MustCompile(`(?m)^\s*DefinitionUri:\s*(\S+)`)

// chooseDefinitions sets where the state machines come from: the ones
// built into the binary (so dev works from any directory), or
// -statemachines DIR, or the directory that -template FILE's
// DefinitionUri names.
func chooseDefinitions(cfg *cloud.Config, template string) error {
	switch {
	case template != "" && cfg.StateMachines != "":
		return errors.New("give -template or -statemachines, not both")
	case template != "":
		b, err := os.ReadFile(template)
		if err != nil {
			return fmt.Errorf("-template: %w", err)
		}
		dirs := map[string]bool{}
		for _, m := range definitionURI.FindAllSubmatch(b, -1) {
			dirs[path.Dir(string(m[1]))] = true
		}
		if len(dirs) != 1 {
			return fmt.Errorf("-template %s: want the DefinitionUri of its state machines in one directory, found %d", template, len(dirs))
		}
		for d := range dirs {
			cfg.StateMachines = filepath.Join(filepath.Dir(template), filepath.FromSlash(d))
		}
	case cfg.StateMachines == "":
		sub, err := fs.Sub(thumbflow.Files, "statemachine")
		if err != nil {
			return fmt.Errorf("the built-in definitions: %w", err)
		}
		cfg.Definitions = sub
		return nil
	}
	if fi, err := os.Stat(cfg.StateMachines); err != nil || !fi.IsDir() {
		return fmt.Errorf("-statemachines %s is not a directory; leave it out to use the built-in definitions", cfg.StateMachines)
	}
	return nil
}

// startupError says what to do about a failed start, on one line.
func startupError(err error, cfg cloud.Config) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		addr, flagName := cfg.Addr, "-addr"
		if strings.Contains(msg, "listen on "+cfg.WebAddr+":") && cfg.WebAddr != cfg.Addr {
			addr, flagName = cfg.WebAddr, "-web"
		}
		return fmt.Sprintf("%s is already in use: is LocalStack or another thumbflow dev running? use %s to choose another address (%s)", addr, flagName, msg)
	case cfg.DataDir != "" && strings.Contains(msg, cfg.DataDir) && !strings.Contains(msg, "load state machines"):
		// Unreadable, not a directory, a damaged file in it.
		return fmt.Sprintf("the data directory %s cannot be used: %s; fix it (or delete it to start afresh), or use -data DIR", cfg.DataDir, msg)
	case strings.Contains(msg, "load state machines"):
		if cfg.Definitions != nil {
			return msg + "; the built-in definitions are broken: rebuild thumbflow"
		}
		return msg + "; fix the definition, or leave out -statemachines and -template to use the built-in ones"
	}
	return msg
}
