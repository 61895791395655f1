// Command pipeline measures the whole product on one machine: it starts the
// local cloud in-process, uploads generated 1 MP and 12 MP JPEGs through the
// presigned POST exactly as a browser does, and times each upload from the
// moment S3 answered the POST to the moment the `succeeded` message arrives
// on the WebSocket. The conversion alone (thumbnail.Convert on the same
// bytes, in the same run) is the baseline; what is left is the local
// cloud's own overhead: S3 events, Step Functions, status writes, pushes.
//
//	go run ./bench/pipeline [-n 30] [-cpus 2] [-throughput 40] [-store disk|mem] [-cpuprofile f]
//
// With -server BIN it measures memory instead: BIN (a thumbflow binary)
// runs `thumbflow dev` as a process of its own, fresh for each run, and
// this process is only the load client. It reports the server's peak RSS
// for each -concurrent count of 12 MP uploads made at once, and with -drop
// N how N 12 MP uploads made at once end:
//
//	go run ./bench/pipeline -server bench/out/bin/thumbflow [-concurrent 40,200] [-drop 500]
//
// bench/pipeline.sh runs it with the defaults the closing notes quote.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"thumbflow/client"
	"thumbflow/local/cloud"
	"thumbflow/thumbnail"
	"thumbflow/thumbnail/testimage"
	"thumbflow/upload"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

type options struct {
	n, throughput, cpus int
	store, template     string
	cpuprofile          string
	server              string // a thumbflow binary: the server-process runs
	concurrent          string // comma-separated upload counts for -server
	drop                int    // with -server: one drop of this many uploads
}

func run() error {
	var o options
	flag.IntVar(&o.n, "n", 30, "sequential uploads per image size (latency)")
	flag.IntVar(&o.throughput, "throughput", 40, "uploads per image size in the throughput run")
	flag.IntVar(&o.cpus, "cpus", 2, "GOMAXPROCS: the cores the local cloud may use")
	flag.StringVar(&o.store, "store", "disk", "disk (a data directory, as thumbflow dev) or mem")
	flag.StringVar(&o.template, "template", "", "the SAM template to run (default: the embedded template.yaml)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the latency runs to this file")
	flag.StringVar(&o.server, "server", "", "a thumbflow binary: run `thumbflow dev` as its own process and report its peak RSS")
	flag.StringVar(&o.concurrent, "concurrent", "40,200", "with -server: 12 MP uploads made at once, one fresh server per count (\"\" for none, e.g. with -drop)")
	flag.IntVar(&o.drop, "drop", 0, "with -server: also drop this many 12 MP uploads at once and count how they end")
	flag.Parse()
	if o.server != "" {
		return runServer(o)
	}
	if o.n < 2 || o.throughput < 1 || o.cpus < 1 {
		return errors.New("-n must be at least 2, -throughput and -cpus at least 1")
	}
	runtime.GOMAXPROCS(o.cpus)

	cfg := cloud.Config{
		Addr: "127.0.0.1:0", WebAddr: "127.0.0.1:0",
		// Records are formatted as in thumbflow dev, then dropped, so
		// logging costs what it costs there without flooding the table.
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	if o.template != "" {
		cfg.Files, cfg.Template = os.DirFS(filepath.Dir(o.template)), filepath.Base(o.template)
	} else {
		// Every upload comes from 127.0.0.1, far past the per-address
		// grant limits: the benchmark measures the pipeline, not them.
		cfg.Parameters = map[string]string{"GrantsPerMinute": "0", "OpenGrants": "0"}
	}
	switch o.store {
	case "disk":
		dir, err := os.MkdirTemp("", "thumbflow-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	case "mem":
	default:
		return fmt.Errorf("-store %q: want disk or mem", o.store)
	}
	c, err := cloud.Start(cfg)
	if err != nil {
		return fmt.Errorf("start the local cloud: %w", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	sizes := []struct {
		name string
		w, h int
	}{{"1 MP JPEG", 1224, 816}, {"12 MP JPEG", 4000, 3000}}
	b := &bench{ctx: ctx, c: c}
	var lat []latency
	var thr []throughput
	for i, s := range sizes {
		data := testimage.JPEG(testimage.Photo(s.w, s.h, uint64(i+1)), 85)
		if o.cpuprofile != "" && i == 0 {
			f, err := os.Create(o.cpuprofile)
			if err != nil {
				return err
			}
			pprof.StartCPUProfile(f)
		}
		l, err := b.latency(s.name, data, o.n)
		if o.cpuprofile != "" && i == 0 {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return err
		}
		lat = append(lat, l)
		t, err := b.throughput(s.name, data, o.throughput, o.cpus)
		if err != nil {
			return err
		}
		thr = append(thr, t)
	}
	report(os.Stdout, o, lat, thr)
	return nil
}

// runServer is the -server mode: memory and the drop.
func runServer(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	data := testimage.JPEG(testimage.Photo(4000, 3000, 2), 85)
	fmt.Printf("thumbflow pipeline benchmark, server process: %s, 12 MP JPEG of %d bytes, NumCPU %d, %s\n",
		o.server, len(data), runtime.NumCPU(), runtime.Version())
	var runs []serverRun
	for f := range strings.SplitSeq(o.concurrent, ",") {
		if strings.TrimSpace(o.concurrent) == "" {
			break // -concurrent "": the drop alone
		}
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-concurrent %q: want counts like 40,200", o.concurrent)
		}
		r, err := serverLoad(ctx, o, fmt.Sprintf("concurrent %d", n), data, n, 10)
		if err != nil {
			return fmt.Errorf("%d concurrent uploads: %w", n, err)
		}
		fmt.Printf("  %s: %s, peak RSS %.0f MiB\n", r.name, r.wall.Round(time.Millisecond), float64(r.peakRSS)/(1<<20))
		runs = append(runs, r)
	}
	if o.drop > 0 {
		r, err := serverLoad(ctx, o, fmt.Sprintf("drop %d", o.drop), data, o.drop, 10)
		if err != nil {
			return fmt.Errorf("drop of %d: %w", o.drop, err)
		}
		runs = append(runs, r)
	}
	reportServer(os.Stdout, o, runs)
	return nil
}

type bench struct {
	ctx context.Context
	c   *cloud.Cloud
}

// latency is one image size's sequential run.
type latency struct {
	image      string
	bytes      int
	end2end    []time.Duration // POST answered → succeeded received
	convert    []time.Duration // thumbnail.Convert on the same bytes
	overhead   []time.Duration // end2end − convert, per upload
	postAnswer []time.Duration // the POST itself
}

// upload runs one upload on cl and returns when S3 answered the POST and
// when the succeeded message arrived.
func (b *bench) upload(cl *client.Client, data []byte) (posted, answered, done time.Time, err error) {
	g, err := cl.Grant(b.ctx, "bench.jpg", "image/jpeg", int64(len(data)))
	if err != nil {
		return
	}
	posted = time.Now()
	if err = client.Post(b.ctx, nil, g, "bench.jpg", data); err != nil {
		return
	}
	answered = time.Now()
	m, err := cl.WaitTerminal(b.ctx, g.UploadID)
	if err != nil {
		return
	}
	if m.Status.State != upload.StateSucceeded {
		err = fmt.Errorf("upload %s ended %s: %+v", g.UploadID, m.Status.State, m.Status.Error)
		return
	}
	return posted, answered, m.Received, nil
}

func (b *bench) latency(name string, data []byte, n int) (latency, error) {
	l := latency{image: name, bytes: len(data)}
	cl, err := client.Dial(b.ctx, b.c.WebSocketURL)
	if err != nil {
		return l, err
	}
	defer cl.Close()
	spec := thumbnail.DefaultSpec()
	for i := -3; i < n; i++ { // three warm-up rounds
		t := time.Now()
		if _, err := thumbnail.Convert(b.ctx, data, spec); err != nil {
			return l, fmt.Errorf("baseline conversion: %w", err)
		}
		conv := time.Since(t)
		posted, answered, done, err := b.upload(cl, data)
		if err != nil {
			return l, err
		}
		if i < 0 {
			continue
		}
		e := done.Sub(answered)
		l.end2end = append(l.end2end, e)
		l.convert = append(l.convert, conv)
		l.overhead = append(l.overhead, e-conv)
		l.postAnswer = append(l.postAnswer, answered.Sub(posted))
	}
	return l, nil
}

// throughput is one image size's concurrent run.
type throughput struct {
	image          string
	uploads        int
	wall           time.Duration
	convertOnly    time.Duration // the same conversions, cpus at a time
	peakHeap, peak uint64
}

func (b *bench) throughput(name string, data []byte, n, cpus int) (throughput, error) {
	t := throughput{image: name, uploads: n}
	// Baseline: the conversions alone, as many at once as there are cores.
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	for range cpus {
		wg.Go(func() {
			for range work {
				thumbnail.Convert(b.ctx, data, thumbnail.DefaultSpec())
			}
		})
	}
	wg.Wait()
	t.convertOnly = time.Since(start)

	// The pipeline: 8 browsers uploading at once.
	const clients = 8
	var cls []*client.Client
	for range clients {
		cl, err := client.Dial(b.ctx, b.c.WebSocketURL)
		if err != nil {
			return t, err
		}
		defer cl.Close()
		cls = append(cls, cl)
	}
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			t.peakHeap, t.peak = max(t.peakHeap, ms.HeapInuse), max(t.peak, ms.Sys)
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	errs := make(chan error, n)
	start = time.Now()
	for i := range n {
		wg.Go(func() {
			_, _, _, err := b.upload(cls[i%clients], data)
			errs <- err
		})
	}
	wg.Wait()
	t.wall = time.Since(start)
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

func pct(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func report(out io.Writer, o options, lat []latency, thr []throughput) {
	fmt.Fprintf(out, "thumbflow pipeline benchmark: GOMAXPROCS=%d (NumCPU %d), store=%s, %d sequential uploads per size, %s\n\n",
		o.cpus, runtime.NumCPU(), o.store, o.n, runtime.Version())
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "image\tbytes\tPOST\tupload→succeeded p50\tp99\tconvert alone p50\tp99\toverhead p50\tp99\tlatency/convert\t")
	for _, l := range lat {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f×\t\n", l.image, l.bytes, ms(pct(l.postAnswer, .5)),
			ms(pct(l.end2end, .5)), ms(pct(l.end2end, .99)), ms(pct(l.convert, .5)), ms(pct(l.convert, .99)),
			ms(pct(l.overhead, .5)), ms(pct(l.overhead, .99)), float64(pct(l.end2end, .5))/float64(pct(l.convert, .5)))
	}
	w.Flush()
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "image\tuploads\twall\tuploads/s\tconvert alone/s\tpipeline/convert\tpeak heap\tpeak sys\t")
	for _, t := range thr {
		ups := float64(t.uploads) / t.wall.Seconds()
		conv := float64(t.uploads) / t.convertOnly.Seconds()
		fmt.Fprintf(w, "%s\t%d\t%s\t%.1f\t%.1f\t%.2f×\t%.0f MiB\t%.0f MiB\t\n", t.image, t.uploads, t.wall.Round(time.Millisecond),
			ups, conv, ups/conv, float64(t.peakHeap)/(1<<20), float64(t.peak)/(1<<20))
	}
	w.Flush()
	fmt.Fprintln(out, "\nPOST: the presigned POST until S3 answered 204 (the event is recorded first).")
	fmt.Fprintln(out, "overhead: upload→succeeded minus thumbnail.Convert on the same bytes, per upload (local cloud's own cost).")
	fmt.Fprintln(out, "throughput: 8 WebSocket clients uploading at once; convert alone: the same conversions, GOMAXPROCS at a time.")
}
