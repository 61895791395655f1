package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func init() {
	commands["version"] = command{summary: "print the module version and the VCS revision the binary was built from", run: runVersion}
}

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

func runVersion(ctx context.Context, args []string) error {
	fs := newFlagSet("version", "", "Prints the module version and the VCS revision the binary was built from.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "thumbflow version: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	info, ok := readBuildInfo()
	if !ok {
		fmt.Fprintln(stdout, "thumbflow (no build information: not built with module support)")
		return nil
	}
	fmt.Fprintln(stdout, versionLine(info))
	return nil
}

// versionLine is "thumbflow v1.2.0 (revision 8ad3e05c1b2a, 2026-12-01T10:00:00Z, modified) go1.26.0".
// `go build` in a clone records "(devel)" as the version and the
// revision from git; `go install thumbflow/cmd/thumbflow@v1.2.0` the
// reverse. GOFLAGS=-buildvcs=false leaves the revision out, and the line
// says so.
func versionLine(info *debug.BuildInfo) string {
	var rev, when, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	vcs := "no VCS revision: built outside git, or with -buildvcs=false"
	if rev != "" {
		vcs = "revision " + rev
		if when != "" {
			vcs += ", " + when
		}
		vcs += modified
	}
	return fmt.Sprintf("thumbflow %s (%s) %s", version, vcs, info.GoVersion)
}
