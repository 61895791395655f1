package main

// The server-process runs: `thumbflow dev` as a child process of its own,
// fresh for each run (a new data directory, free ports), and this process
// as the load client. The figure is the server's peak resident set
// (VmHWM in /proc/<pid>/status) after the run, so the client's own
// buffers, sockets and copies of the image never count.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"thumbflow/client"
	"thumbflow/upload"
)

// serverRun is the result of one run against a fresh server process.
type serverRun struct {
	name     string
	uploads  int
	wall     time.Duration
	states   map[upload.State]int
	codes    map[string]int
	peakRSS  int64 // VmHWM, bytes
	retrying int   // uploads that were announced as retrying at least once
}

// devServer is one `thumbflow dev` child.
type devServer struct {
	cmd  *exec.Cmd
	ws   string
	data string
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startDev runs bin as `thumbflow dev` with GOMAXPROCS=cpus and waits for
// its banner.
func startDev(ctx context.Context, bin string, cpus int) (*devServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	web, err := freeAddr()
	if err != nil {
		return nil, err
	}
	data, err := os.MkdirTemp("", "thumbflow-bench-server-")
	if err != nil {
		return nil, err
	}
	// The per-source-IP grant limits would refuse the load client, whose
	// uploads all come from 127.0.0.1; main.go's in-process mode sets the same.
	cmd := exec.Command(bin, "dev", "-addr", addr, "-web", web, "-data", data, "-log-format", "json", "-log-level", "warn",
		"-param", "GrantsPerMinute=0", "-param", "OpenGrants=0")
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(cpus))
	var stderr tail
	cmd.Stderr = &stderr
	// The server's warnings outlive the run (next to its data directory,
	// which stop removes), for a run that ends badly.
	// The file stays open for the child's life: the copy into it runs
	// until the child exits.
	if f, err := os.Create(data + ".log"); err == nil {
		cmd.Stderr = io.MultiWriter(&stderr, f)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s dev: %w", bin, err)
	}
	d := &devServer{cmd: cmd, data: data}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "WebSocket API"); ok {
				ready <- strings.Fields(rest)[0]
			}
		}
		io.Copy(io.Discard, out) // keep the pipe drained
		close(ready)
	}()
	select {
	case ws, ok := <-ready:
		if !ok {
			d.stop()
			return nil, fmt.Errorf("thumbflow dev exited before it was ready: %s", stderr.String())
		}
		d.ws = ws
	case <-time.After(2 * time.Minute):
		d.stop()
		return nil, errors.New("thumbflow dev not ready within 2 minutes")
	case <-ctx.Done():
		d.stop()
		return nil, ctx.Err()
	}
	return d, nil
}

// peakRSS is the process's high-water resident set, from /proc.
func (d *devServer) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/<pid>/status")
}

func (d *devServer) stop() {
	d.cmd.Process.Kill()
	d.cmd.Wait()
	os.RemoveAll(d.data)
}

// tail keeps the last 4 KiB written to it, for an error message.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tail) String() string { t.mu.Lock(); defer t.mu.Unlock(); return string(t.b) }

// serverLoad starts a fresh server and makes n uploads of data at once
// from n/perSocket WebSocket clients, each upload in its own goroutine:
// grant, POST, wait for the terminal status. It reports how every upload
// ended and the server's peak RSS.
func serverLoad(ctx context.Context, o options, name string, data []byte, n, perSocket int) (serverRun, error) {
	run := serverRun{name: name, uploads: n, states: map[upload.State]int{}, codes: map[string]int{}}
	d, err := startDev(ctx, o.server, o.cpus)
	if err != nil {
		return run, err
	}
	defer d.stop()
	var cls []*client.Client
	for range (n + perSocket - 1) / perSocket {
		cl, err := client.Dial(ctx, d.ws)
		if err != nil {
			return run, err
		}
		defer cl.Close()
		cls = append(cls, cl)
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			cl := cls[i/perSocket]
			g, err := cl.Grant(ctx, "bench.jpg", "image/jpeg", int64(len(data)))
			if err == nil {
				err = client.Post(ctx, nil, g, "bench.jpg", data)
			}
			var m client.Message
			if err == nil {
				m, err = cl.WaitTerminal(ctx, g.UploadID)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			run.states[m.Status.State]++
			if m.Status.Error != nil {
				run.codes[m.Status.Error.Code]++
			}
			for _, s := range cl.Statuses(g.UploadID) {
				if s.Status.State == upload.StateRetrying {
					run.retrying++
					break
				}
			}
		})
	}
	wg.Wait()
	run.wall = time.Since(start)
	if run.peakRSS, err = d.peakRSS(); err != nil {
		return run, err
	}
	if len(errs) > 0 {
		return run, fmt.Errorf("%d of %d uploads did not end (first: %w)", len(errs), n, errs[0])
	}
	return run, nil
}

func reportServer(out io.Writer, o options, runs []serverRun) {
	fmt.Fprintf(out, "\nthumbflow dev as its own process (GOMAXPROCS=%d), this process the load client; a fresh server per run\n\n", o.cpus)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "run\tuploads\twall\tuploads/s\tsucceeded\tfailed\tretrying seen\tserver peak RSS\t")
	for _, r := range runs {
		fmt.Fprintf(w, "%s\t%d\t%s\t%.1f\t%d\t%d\t%d\t%.0f MiB\t\n", r.name, r.uploads, r.wall.Round(time.Millisecond),
			float64(r.uploads)/r.wall.Seconds(), r.states[upload.StateSucceeded], r.states[upload.StateFailed], r.retrying,
			float64(r.peakRSS)/(1<<20))
	}
	w.Flush()
	for _, r := range runs {
		if len(r.codes) > 0 {
			fmt.Fprintf(out, "%s: failure codes %v\n", r.name, r.codes)
		}
	}
	if len(runs) >= 2 && strings.HasPrefix(runs[0].name, "concurrent") && strings.HasPrefix(runs[1].name, "concurrent") {
		a, b := float64(runs[0].peakRSS), float64(runs[1].peakRSS)
		fmt.Fprintf(out, "peak RSS %s vs %s: %+.1f%%\n", runs[1].name, runs[0].name, 100*(b-a)/a)
	}
	fmt.Fprintln(out, "server peak RSS: VmHWM of the thumbflow dev process at the end of the run (/proc/<pid>/status).")
	fmt.Fprintln(out, "retrying seen: uploads whose client was pushed `retrying` at least once: only a conversion run that failed shows it, never a throttle (docs/reliability.md).")
}
