package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"thumbflow/local/cloud"
)

// banner is what `thumbflow dev` prints once it is ready: where everything
// is and the export line. It is printed after the start-up logs, and again
// on request, because it is what a developer needs while the logs scroll.
type banner struct {
	took   time.Duration
	c      *cloud.Cloud
	cfg    cloud.Config
	faults []fault
	// definitions says which definition edits the cloud follows.
	definitions string
}

func (b banner) print(w io.Writer) {
	c := b.c
	fmt.Fprintf(w, `
thumbflow dev is ready (%s)

  Web client     %s
  Operations     %s/ops   (this machine only; see also thumbflow executions, history, failures)
  WebSocket API  %s   (thumbflow upload FILE... sends files here)
  AWS endpoint   %s   (S3, Step Functions, API Gateway @connections)

  Point the aws CLI or any SDK at it (aws CLI v1, v2.13 or later, the SDKs):
    %s
  or, for any aws CLI version: thumbflow aws s3 ls

  State machines %s
  Data directory %s (delete it to start afresh)
`, b.took.Round(time.Millisecond), c.WebURL, opsURL(c.WebURL), c.WebSocketURL, c.Endpoint,
		exportLine(c.Endpoint, c.AccessKeyID, c.SecretAccessKey, b.cfg.Region), b.definitions, b.cfg.DataDir)
	if len(b.faults) > 0 {
		fmt.Fprintf(w, "  Faults         %s\n", describeFaults(b.faults))
	}
	fmt.Fprintln(w, "  Press Enter to show this again, Ctrl+C to stop.")
}

// exportLine sets what every AWS tool reads: AWS_ENDPOINT_URL for the
// SDKs and aws CLI v2.13 or later, AWS_DEFAULT_REGION for aws CLI v1,
// AWS_REGION for the rest.
func exportLine(endpoint, key, secret, region string) string {
	return fmt.Sprintf("export AWS_ENDPOINT_URL=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=%s AWS_DEFAULT_REGION=%s",
		endpoint, key, secret, region, region)
}

// stdin is where dev reads Enter from; tests replace it.
var stdin io.Reader = os.Stdin

// reprintOnRequest calls again when the user presses Enter or sends
// SIGUSR1 (for a dev whose terminal is elsewhere), until ctx ends or the
// returned stop is called. Reading stops at the end of stdin, so a dev
// started with </dev/null or under a supervisor reacts to SIGUSR1 only.
func reprintOnRequest(ctx context.Context, again func()) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	// Run in the background of a shell (thumbflow dev &), a read of the
	// terminal would stop the whole process with SIGTTIN; ignored, the
	// read fails instead and only SIGUSR1 is left.
	signal.Ignore(syscall.SIGTTIN)
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	lines := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			select {
			case lines <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		for {
			select {
			case <-usr1:
				again()
			case <-lines:
				again()
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		signal.Stop(usr1)
		cancel()
	}
}
