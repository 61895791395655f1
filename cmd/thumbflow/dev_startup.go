package main

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"thumbflow/local/cloud"
)

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
	case cfg.DataDir != "" && strings.Contains(msg, cfg.DataDir) && !strings.Contains(msg, "template"):
		// Unreadable, not a directory, a damaged file in it.
		return fmt.Sprintf("the data directory %s cannot be used: %s; fix it (or delete it to start afresh), or use -data DIR", cfg.DataDir, msg)
	case strings.Contains(msg, "the template cannot run locally"):
		if cfg.Files == nil {
			return msg + "; the built-in template is broken: rebuild thumbflow"
		}
		return msg + "; fix the template, or leave out -template to use the built-in one"
	}
	return msg
}
