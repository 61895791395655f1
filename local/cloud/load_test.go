package cloud

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"thumbflow/client"
	"thumbflow/thumbnail/testimage"
	"thumbflow/upload"
)

// memPeak samples the heap while the load runs. Memory is reported by
// the benchmark, never asserted: the bound that matters is structural (the
// converter pool is NumCPU wide), and the figures go into
// docs/reliability.md.
type memPeak struct {
	stop             chan struct{}
	done             chan struct{}
	heapInuse, sys   uint64
	goroutines, base int
}

func watchMemory() *memPeak {
	m := &memPeak{stop: make(chan struct{}), done: make(chan struct{}), base: runtime.NumGoroutine()}
	go func() {
		defer close(m.done)
		var ms runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			m.heapInuse = max(m.heapInuse, ms.HeapInuse)
			m.sys = max(m.sys, ms.Sys)
			m.goroutines = max(m.goroutines, runtime.NumGoroutine())
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

func (m *memPeak) end() { close(m.stop); <-m.done }

// TestLoad300UploadsFrom50Clients: 50 browsers upload 6 images each, all
// at once. Every client sees exactly one terminal status for each of its
// uploads, nothing is lost or duplicated, and no execution is left behind.
// How fast and in how much memory is BenchmarkLoad300UploadsFrom50Clients's
// to say, not this test's.
func TestLoad300UploadsFrom50Clients(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	st := load300(t)
	t.Logf("%d uploads from 50 clients (figures: go test -run '^$' -bench Load300 ./local/cloud)", st.uploads)
}

// BenchmarkLoad300UploadsFrom50Clients measures the load test's run:
// uploads/s end to end and the peak heap in use, the figures
// docs/reliability.md quotes. Run it once per figure:
//
//	go test -run '^$' -bench Load300 -benchtime 1x ./local/cloud
func BenchmarkLoad300UploadsFrom50Clients(b *testing.B) {
	for b.Loop() {
		st := load300(b)
		b.ReportMetric(float64(st.uploads)/st.elapsed.Seconds(), "uploads/s")
		b.ReportMetric(float64(st.mem.heapInuse)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(st.mem.sys)/(1<<20), "peak-sys-MiB")
		b.ReportMetric(float64(st.mem.goroutines), "peak-goroutines")
	}
}

type loadStats struct {
	uploads int
	elapsed time.Duration
	mem     *memPeak
}

// load300 runs the load and checks what must hold whatever the speed.
func load300(t testing.TB) loadStats {
	t.Helper()
	const clients, perClient = 50, 6
	// Real time: queueing for the converter pool counts against the
	// Convert task's 25 s timeout, which a fast clock would shrink.
	// 300 grants at once are past the stage's throttling (a burst of
	// 100 per route), as they would be on AWS: this test measures the
	// pipeline, so its copy of the template lifts the limits; and all 300
	// come from 127.0.0.1 at once, so the per-address grant limits are off.
	r := newRig(t, func(cfg *Config) {
		cfg.Clock = nil
		cfg.Parameters = map[string]string{"GrantsPerMinute": "0", "OpenGrants": "0"}
	}, withTemplate(t,
		"        ThrottlingBurstLimit: 100\n        ThrottlingRateLimit: 50\n",
		"        ThrottlingBurstLimit: 5000\n        ThrottlingRateLimit: 5000\n"))
	// Eight distinct photo-like JPEGs, about 20 KB each.
	var images [][]byte
	for i := range 8 {
		images = append(images, testimage.JPEG(testimage.Photo(320, 240, uint64(200+i)), 85))
	}
	mem := watchMemory()
	start := time.Now()
	type result struct {
		cl     *client.Client
		grants []upload.Grant
	}
	results := make([]result, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := client.Dial(r.ctx, r.c.WebSocketURL)
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(func() { cl.CloseNow() })
			results[c].cl = cl
			var inner sync.WaitGroup
			var mu sync.Mutex
			for u := range perClient {
				inner.Add(1)
				go func() {
					defer inner.Done()
					data := images[(c+u)%len(images)]
					g, err := cl.Grant(r.ctx, "load.jpg", "image/jpeg", int64(len(data)))
					if err == nil {
						err = client.Post(r.ctx, nil, g, "load.jpg", data)
					}
					if err != nil {
						t.Errorf("client %d upload %d: %v", c, u, err)
						return
					}
					mu.Lock()
					results[c].grants = append(results[c].grants, g)
					mu.Unlock()
				}()
			}
			inner.Wait()
			for _, g := range results[c].grants {
				if _, err := cl.WaitTerminal(r.ctx, g.UploadID); err != nil {
					t.Errorf("client %d: %v", c, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	mem.end()
	if t.Failed() {
		t.FailNow()
	}

	total := 0
	for c, res := range results {
		for _, g := range res.grants {
			total++
			msgs := res.cl.Statuses(g.UploadID)
			ts := client.Terminals(msgs)
			// Speed is the benchmark's to measure: on a loaded machine a
			// conversion may time out and succeed on a retry, and a client
			// that subscribes late starts from the state the record has
			// reached. What must hold is one success, seen in order.
			if len(ts) != 1 || ts[0].State != upload.StateSucceeded {
				t.Errorf("client %d upload %s: terminal records %+v, want exactly one succeeded", c, g.UploadID, ts)
			}
			if s := strings.Join(client.States(client.Distinct(msgs)), ","); !inOrder(s, "uploaded,converting,retrying,succeeded") {
				t.Errorf("client %d upload %s: states %s, want a forward run ending in succeeded", c, g.UploadID, s)
			}
			if cf := client.Conflicts(msgs); len(cf) > 0 {
				t.Errorf("client %d upload %s: %v", c, g.UploadID, cf)
			}
			// A client hears only about its own uploads.
			for _, other := range results[(c+1)%clients].grants {
				if n := len(res.cl.Statuses(other.UploadID)); n > 0 {
					t.Errorf("client %d received %d statuses of another client's upload", c, n)
				}
			}
		}
	}
	if total != clients*perClient {
		t.Fatalf("%d uploads granted and posted, want %d", total, clients*perClient)
	}

	// One execution per upload, none running once they all ended (a
	// generous bound: an execution ends just after its last push).
	byUpload := map[string]int{}
	deadline := time.Now().Add(time.Minute)
	for {
		clear(byUpload)
		running := 0
		p := sfn.NewListExecutionsPaginator(r.sfn, &sfn.ListExecutionsInput{StateMachineArn: aws.String(r.c.StateMachineARN)})
		for p.HasMorePages() {
			page, err := p.NextPage(r.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Executions {
				byUpload[aws.ToString(e.Name)[:32]]++
				if e.Status == sfntypes.ExecutionStatusRunning {
					running++
				}
			}
		}
		if running == 0 || time.Now().After(deadline) {
			if running > 0 {
				t.Errorf("%d executions still running", running)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(byUpload) != total {
		t.Errorf("%d uploads have executions, want %d", len(byUpload), total)
	}
	for id, n := range byUpload {
		if n != 1 {
			t.Errorf("upload %s has %d executions", id, n)
		}
	}
	return loadStats{uploads: total, elapsed: elapsed, mem: mem}
}

// inOrder reports whether the comma-separated states got are a
// subsequence of want that ends with want's last state.
func inOrder(got, want string) bool {
	g, w := strings.Split(got, ","), strings.Split(want, ",")
	if len(g) == 0 || g[len(g)-1] != w[len(w)-1] {
		return false
	}
	i := 0
	for _, s := range g {
		s, _, _ = strings.Cut(s, "(") // retrying(2)
		for i < len(w) && w[i] != s {
			i++
		}
		if i == len(w) {
			return false
		}
	}
	return true
}
