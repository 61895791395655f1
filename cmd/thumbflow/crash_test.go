package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"thumbflow/client"
	"thumbflow/upload"
)

// TestCrashKill runs the real binary and SIGKILLs it at random moments
// while uploads go on, once during a POST and once right after a restart,
// restarts it on the same data directory, and then checks that every upload
// whose POST was answered 204 ends in exactly one terminal status with one
// execution. THUMBFLOW_CRASH_KILLS sets the number of kills (default 3).
func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	kills := 3
	if v := os.Getenv("THUMBFLOW_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3 {
			t.Fatalf("THUMBFLOW_CRASH_KILLS=%q: want a number of at least 3", v)
		}
		kills = n
	}
	bin := filepath.Join(t.TempDir(), "thumbflow")
	if out, err := exec.Command("go", "build", "-tags", "nodynamic", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	d := &devProcess{t: t, bin: bin, data: t.TempDir(), addr: freeAddr(t), web: freeAddr(t)}
	img := smallJPEG(t)

	var mu sync.Mutex
	var accepted []upload.Grant // POST answered 204
	var granted []upload.Grant  // every grant, answered or not
	for k := 0; k < kills; k++ {
		d.start()
		ctx, cancel := context.WithCancel(context.Background())
		posting, stored := make(chan struct{}, 64), make(chan struct{}, 64)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					g, err := grantAndPost(ctx, d.ws, img, posting)
					if g.UploadID != "" {
						mu.Lock()
						granted = append(granted, g)
						mu.Unlock()
					}
					if err == nil {
						mu.Lock()
						accepted = append(accepted, g)
						mu.Unlock()
						select {
						case stored <- struct{}{}:
						default:
						}
					}
				}
			}()
		}
		switch k {
		case 0: // right after the restart
		case 1: // during a POST
			select {
			case <-posting:
			case <-time.After(time.Minute):
				t.Fatal("no POST began within a minute")
			}
			time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
		default: // at random, once this run has stored an upload, so every run has some to check
			select {
			case <-stored:
			case <-time.After(time.Minute):
				t.Fatal("no POST was accepted within a minute")
			}
			time.Sleep(time.Duration(rand.IntN(1500)) * time.Millisecond)
		}
		d.kill()
		cancel()
		wg.Wait()
	}
	d.start()
	defer d.kill()
	if len(accepted) == 0 {
		t.Fatal("no POST was accepted before any kill")
	}
	// A kill between storing an original and answering its POST leaves an
	// original the client never saw accepted; it must be converted too.
	stored := d.storedWithout204(granted, accepted)
	t.Logf("%d kills, %d uploads accepted, %d more stored without a 204", kills, len(accepted), len(stored))
	accepted = append(accepted, stored...)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := client.Dial(ctx, d.ws)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, g := range accepted {
		rec, err := c.Subscribe(ctx, g.UploadID, g.Token)
		if err != nil {
			t.Fatalf("subscribe %s: %v", g.UploadID, err)
		}
		if !rec.State.Terminal() {
			m, err := c.WaitTerminal(ctx, g.UploadID)
			if err != nil {
				t.Fatalf("upload %s never ended (states %v): %v", g.UploadID, client.States(c.Statuses(g.UploadID)), err)
			}
			rec = *m.Status
		}
		if rec.State != upload.StateSucceeded {
			t.Errorf("upload %s ended %s (%s)", g.UploadID, rec.State, rec.Error)
		}
		if terms := client.Terminals(client.Distinct(c.Statuses(g.UploadID))); len(terms) > 1 {
			t.Errorf("upload %s: %d terminal records: %+v", g.UploadID, len(terms), terms)
		}
	}
	runs := d.executions()
	for _, g := range accepted {
		if runs[g.UploadID] != 1 {
			t.Errorf("upload %s: %d executions, want 1", g.UploadID, runs[g.UploadID])
		}
	}
}

// storedWithout204 returns the grants outside accepted whose original is
// in the uploads bucket, as an operator would see it with the SDK.
func (d *devProcess) storedWithout204(granted, accepted []upload.Grant) []upload.Grant {
	d.t.Helper()
	env := map[string]string{}
	for _, kv := range d.env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	c := s3.New(s3.Options{Region: env["AWS_REGION"], BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], "")})
	seen := map[string]bool{}
	for _, g := range accepted {
		seen[g.UploadID] = true
	}
	var out []upload.Grant
	for _, g := range granted {
		if seen[g.UploadID] {
			continue
		}
		u, err := url.Parse(g.Upload.URL)
		if err != nil {
			d.t.Fatal(err)
		}
		bucket, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
		_, err = c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(upload.OriginalKey(g.UploadID))})
		if nf := (*types.NotFound)(nil); errors.As(err, &nf) {
			continue
		}
		if err != nil {
			d.t.Fatalf("head the original of %s: %v", g.UploadID, err)
		}
		out = append(out, g)
	}
	return out
}

// grantAndPost asks for a grant and posts img with it, signalling posting
// just before the POST begins.
func grantAndPost(ctx context.Context, ws string, img []byte, posting chan<- struct{}) (upload.Grant, error) {
	c, err := client.Dial(ctx, ws)
	if err != nil {
		return upload.Grant{}, err
	}
	defer c.CloseNow()
	g, err := c.Grant(ctx, "crash.jpg", "image/jpeg", int64(len(img)))
	if err != nil {
		return g, err
	}
	select {
	case posting <- struct{}{}:
	default:
	}
	return g, client.Post(ctx, nil, g, "crash.jpg", img)
}

// devProcess is one `thumbflow dev` child on fixed ports and a data
// directory that outlive it.
type devProcess struct {
	t                    *testing.T
	bin, data, addr, web string
	cmd                  *exec.Cmd
	ws                   string
	env                  []string // the banner's export line
}

func (d *devProcess) start() {
	d.t.Helper()
	cmd := exec.Command(d.bin, "dev", "-addr", d.addr, "-web", d.web, "-data", d.data, "-log-format", "json", "-log-level", "warn")
	cmd.Stdin = nil
	cmd.Stderr = &tailWriter{}
	out, err := cmd.StdoutPipe()
	if err != nil {
		d.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.cmd = cmd
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if rest, ok := strings.CutPrefix(line, "WebSocket API"); ok {
				d.ws = strings.Fields(rest)[0]
			}
			if rest, ok := strings.CutPrefix(line, "export "); ok {
				d.env = strings.Fields(rest)
				ready <- nil
			}
		}
		ready <- sc.Err()
	}()
	select {
	case err := <-ready:
		if err != nil || d.ws == "" {
			d.t.Fatalf("thumbflow dev did not start (%v): %s", err, cmd.Stderr.(*tailWriter).String())
		}
	case <-time.After(2 * time.Minute):
		d.kill()
		d.t.Fatalf("thumbflow dev not ready within 2 minutes: %s", cmd.Stderr.(*tailWriter).String())
	}
}

func (d *devProcess) kill() {
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGKILL)
	d.cmd.Wait()
	d.cmd = nil
}

// executions counts executions per upload id, as an operator lists them.
func (d *devProcess) executions() map[string]int {
	d.t.Helper()
	cmd := exec.Command(d.bin, "executions", "-json", "-since", "0", "-limit", "0")
	cmd.Env = append(os.Environ(), d.env...)
	out, err := cmd.Output()
	if err != nil {
		d.t.Fatalf("thumbflow executions: %v", err)
	}
	var rows []struct {
		UploadID string `json:"uploadId"`
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		d.t.Fatalf("thumbflow executions: %v: %s", err, out)
	}
	runs := map[string]int{}
	for _, r := range rows {
		runs[r.UploadID]++
	}
	return runs
}

// tailWriter keeps the end of a child's log for a failure message.
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > 8<<10 {
		w.buf = w.buf[len(w.buf)-8<<10:]
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func smallJPEG(t *testing.T) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := 0; y < 240; y++ {
		for x := 0; x < 320; x++ {
			m.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
