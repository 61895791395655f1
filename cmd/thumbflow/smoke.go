package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"time"

	"thumbflow/client"
	"thumbflow/upload"
)

func init() {
	commands["smoke"] = command{summary: "check a deployed stack (or thumbflow dev) end to end: an image converts, a text file fails as CorruptImage", run: runSmoke}
}

// runSmoke is the post-deploy check: through the same protocol client as
// `thumbflow upload` and the web page, it uploads a generated image and
// waits for succeeded, then a text file named as an image and waits for
// failed with CorruptImage. Each step prints its outcome and time; any miss
// makes the exit status 1, so a deploy script can stop on it.
func runSmoke(ctx context.Context, args []string) error {
	fs := newFlagSet("smoke", "(-stack NAME | -ws URL)", "Uploads a generated image and waits for succeeded, then a text file and waits for failed with CorruptImage, printing each step with its time. Exits 1 on any miss.")
	stack := fs.String("stack", "", "a deployed stack: its WebSocketURL output is read with the aws SDK's usual credentials")
	ws := fs.String("ws", "", "the WebSocket API URL (thumbflow dev prints it)")
	timeout := fs.Duration("timeout", 3*time.Minute, "how long each upload may take to reach its terminal state")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*stack == "") == (*ws == "") || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "thumbflow smoke: give exactly one of -stack NAME and -ws URL")
		return errUsage
	}
	s := &smoke{ctx: ctx, timeout: *timeout}
	url := *ws
	if *stack != "" {
		if !s.step("read stack "+*stack+"'s WebSocketURL output", func(ctx context.Context) (string, error) {
			var err error
			url, err = stackWebSocketURL(ctx, *stack)
			return url, err
		}) {
			return errReported
		}
	}
	var c *client.Client
	if !s.step("connect to "+url, func(ctx context.Context) (string, error) {
		var err error
		c, err = client.Dial(ctx, url)
		return "", err
	}) {
		return errReported
	}
	defer c.Close()
	s.step("upload a generated PNG, wait for succeeded", func(ctx context.Context) (string, error) {
		return s.expect(ctx, c, "smoke.png", "image/png", smokeImage(), upload.StateSucceeded, "")
	})
	s.step("upload a text file as image/png, wait for failed CorruptImage", func(ctx context.Context) (string, error) {
		return s.expect(ctx, c, "smoke-not-an-image.png", "image/png", []byte("thumbflow smoke: this is text, not an image\n"), upload.StateFailed, "CorruptImage")
	})
	if s.missed > 0 {
		fmt.Fprintf(stdout, "smoke: %d of %d steps FAILED\n", s.missed, s.steps)
		return errReported
	}
	fmt.Fprintf(stdout, "smoke: all %d steps passed (%s)\n", s.steps, s.total.Round(time.Millisecond))
	return nil
}

// smoke counts and prints the steps of one run.
type smoke struct {
	ctx           context.Context
	timeout       time.Duration
	steps, missed int
	total         time.Duration
}

// step runs fn under the timeout and prints "ok" or "FAIL" with its time,
// and what fn reports or why it failed. It reports whether fn succeeded.
func (s *smoke) step(what string, fn func(ctx context.Context) (string, error)) bool {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	start := time.Now()
	detail, err := fn(ctx)
	took := time.Since(start)
	s.steps++
	s.total += took
	mark := "ok  "
	if err != nil {
		s.missed++
		mark, detail = "FAIL", err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			detail += fmt.Sprintf(" (after %s; -timeout sets the wait)", s.timeout)
		}
	}
	line := fmt.Sprintf("%s %-62s %8s", mark, what, took.Round(time.Millisecond))
	if detail != "" {
		line += "  " + detail
	}
	fmt.Fprintln(stdout, line)
	return err == nil
}

// expect uploads data and checks the terminal record: its state and, for
// a failure, its code.
func (s *smoke) expect(ctx context.Context, c *client.Client, name, contentType string, data []byte, want upload.State, code string) (string, error) {
	g, rec, err := c.Upload(ctx, name, contentType, data)
	if err != nil {
		return "", err
	}
	got := string(rec.State)
	if rec.Error != nil {
		got += " " + rec.Error.Code + " (" + rec.Error.Message + ")"
	}
	if rec.State != want || (code != "" && (rec.Error == nil || rec.Error.Code != code)) {
		return "", fmt.Errorf("upload %s ended %s, want %s %s", g.UploadID, got, want, code)
	}
	detail := fmt.Sprintf("upload %s: %s, states %v", g.UploadID, got, client.States(c.Statuses(g.UploadID)))
	return detail, nil
}

// smokeImage is a 96×64 gradient, generated so the check needs no file.
func smokeImage() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			img.Set(x, y, color.RGBA{uint8(x * 2), uint8(y * 4), 128, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
