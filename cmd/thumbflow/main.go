// Command thumbflow is the project's one binary: each subcommand lives in
// its own file and registers itself in commands from an init function, so
// adding one never means editing another's file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

// command is one subcommand. run gets the arguments after the command name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands is filled by the init functions of the subcommand files.
var commands = map[string]command{}

// Where subcommands write; tests replace them.
var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

// errReported tells main that the command already explained the failure
// (per-input error lines, say) and only the exit status is left to set.
var errReported = errors.New("failure already reported")

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and returns the exit status: 0 on
// success, 2 for a usage error, 1 for any other failure.
func run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "thumbflow: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errReported):
		return 1
	case errors.Is(err, errInterrupted):
		return 130
	}
	if status, ok := errors.AsType[exitStatus](err); ok {
		return int(status)
	}
	fmt.Fprintf(stderr, "thumbflow %s: %v\n", args[0], explain(err))
	return 1
}

// errInterrupted tells main that the user interrupted the command (Ctrl+C)
// after it cleaned up and said what it left undone: exit 130, as a shell
// reports a command killed by SIGINT.
var errInterrupted = errors.New("interrupted")

// errUsage marks a command-line mistake that the flag set has already
// printed.
var errUsage = errors.New("usage error")

// newFlagSet is a command's flag set with the usage format every command
// shares: a synopsis line, what the command does, then its flags.
func newFlagSet(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: thumbflow %s %s\n", name, synopsis)
		if about != "" {
			fmt.Fprintf(stderr, "\n%s\n", about)
		}
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(stderr, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args with fs, which must use flag.ContinueOnError,
// mapping a bad flag to errUsage. Flags may come after arguments
// ("history <id> -json"), as people type them; "--" ends the flags, for an
// argument that starts with a dash.
//
// A bad flag is one line naming it and pointing at -h, rather than the
// whole usage, which buries the one line that matters.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	if usage == nil {
		usage = fs.PrintDefaults
	}
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = usage; fs.SetOutput(stderr) }()
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stderr)
				usage()
				return err
			}
			fmt.Fprintf(stderr, "thumbflow %s: %v (thumbflow %s -h lists the flags)\n", fs.Name(), err, fs.Name())
			return errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Parsing "--" and the arguments leaves them as fs.Args.
	return fs.Parse(append([]string{"--"}, positional...))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: thumbflow <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-12s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'thumbflow <command> -h' for a command's flags.")
}
