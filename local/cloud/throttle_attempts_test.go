package cloud

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"thumbflow/client"
	"thumbflow/lambdas/pipeline"
	"thumbflow/local/lambda"
	"thumbflow/thumbnail/testimage"
	"thumbflow/upload"
)

// throttleRig is a rig whose ConvertFunction reserves one slot, with the
// first conversion held at the handler's door until release is called:
// every upload after it is throttled while the slot is held. each runs
// in the handler's place, for every real run after the held one.
type throttleRig struct {
	*rig
	cl      *client.Client
	entered chan struct{}
	gate    chan struct{}
}

func newThrottleRig(t *testing.T, each func(ctx context.Context, in pipeline.ConvertInput, convert convertFunc) (pipeline.ConvertOutput, error)) *throttleRig {
	r := &throttleRig{
		rig:     newRig(t, func(cfg *Config) { cfg.Parameters = map[string]string{"ConvertReservedConcurrency": "1"} }),
		entered: make(chan struct{}),
		gate:    make(chan struct{}),
	}
	var first sync.Once
	wrapConvert(t, r.c, func(ctx context.Context, in pipeline.ConvertInput, convert convertFunc) (pipeline.ConvertOutput, error) {
		held := false
		first.Do(func() { held = true })
		if held {
			close(r.entered)
			<-r.gate
			return convert(ctx, in)
		}
		return each(ctx, in, convert)
	})
	r.cl = r.dial()
	return r
}

// hold uploads the conversion that takes the one slot and waits until
// its handler has it.
func (r *throttleRig) hold(data []byte) upload.Grant {
	g := r.upload(r.cl, "held.jpg", "image/jpeg", data)
	select {
	case <-r.entered:
	case <-r.ctx.Done():
		r.t.Fatal("the first conversion never reached its handler")
	}
	return g
}

// throttled waits for the sentinel that g's Convert was refused for want
// of a slot: a throttle in its execution's history, while the slot is held.
func (r *throttleRig) throttled(g upload.Grant) {
	for {
		if execs := r.executions(g.UploadID); len(execs) == 1 && slices.Contains(r.convertHistory(aws.ToString(execs[0].ExecutionArn)).errors, lambda.TooManyRequests) {
			return
		}
		select {
		case <-r.ctx.Done():
			r.t.Fatalf("upload %s: Convert was never throttled", g.UploadID)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// retrying is every retrying state g's subscriber was pushed, as
// "retrying(n)".
func (r *throttleRig) retrying(g upload.Grant) []string {
	return slices.DeleteFunc(client.States(client.Distinct(r.cl.Statuses(g.UploadID))), func(s string) bool {
		return !strings.HasPrefix(s, string(upload.StateRetrying))
	})
}

// TestReliabilityThrottledConvertAttempts: the attempt a user is told
// counts the converter's real runs. Throttled tries of Convert (its
// reserved concurrency in use) never reach the handler, so an upload that
// only waited for a slot is never shown retrying, however many times Step
// Functions retried the task; one real failure under throttling shows
// exactly "retrying (attempt 2)".
func TestReliabilityThrottledConvertAttempts(t *testing.T) {
	data := testimage.JPEG(testimage.Photo(320, 240, 7), 80)

	t.Run("throttles alone show no retrying", func(t *testing.T) {
		r := newThrottleRig(t, func(ctx context.Context, in pipeline.ConvertInput, convert convertFunc) (pipeline.ConvertOutput, error) {
			return convert(ctx, in)
		})
		grants := []upload.Grant{r.hold(data)}
		for range 3 {
			g := r.upload(r.cl, "waiting.jpg", "image/jpeg", data)
			r.throttled(g)
			grants = append(grants, g)
		}
		close(r.gate)
		for _, g := range grants {
			r.expect(r.cl, g, len(data), outcome{state: upload.StateSucceeded, attempt: 1, runs: 1,
				states: "uploaded,converting,succeeded", throttled: true})
			if s := r.retrying(g); len(s) > 0 {
				t.Errorf("upload %s: pushed %v although no conversion failed (it only waited for a slot)", g.UploadID, s)
			}
		}
	})

	t.Run("a real failure under throttles shows attempt 2", func(t *testing.T) {
		var flaky struct {
			sync.Mutex
			id    string
			tried bool
		}
		r := newThrottleRig(t, func(ctx context.Context, in pipeline.ConvertInput, convert convertFunc) (pipeline.ConvertOutput, error) {
			flaky.Lock()
			fail := in.UploadID == flaky.id && !flaky.tried
			flaky.tried = flaky.tried || fail
			flaky.Unlock()
			if !fail {
				return convert(ctx, in)
			}
			// The first real run asks S3 for a version of the original that
			// is not there, which fails its read transiently; the next run
			// reads the version the event announced.
			in.VersionID = "no-such-version"
			return convert(ctx, in)
		})
		held := r.hold(data)
		g := r.upload(r.cl, "flaky.jpg", "image/jpeg", data)
		flaky.Lock()
		flaky.id = g.UploadID
		flaky.Unlock()
		r.throttled(g)
		close(r.gate)
		r.expect(r.cl, held, len(data), outcome{state: upload.StateSucceeded, attempt: 1, runs: 1, states: "uploaded,converting,succeeded"})
		r.expect(r.cl, g, len(data), outcome{state: upload.StateSucceeded, attempt: 2, runs: 2, errors: []string{"TransientError"},
			states: "uploaded,converting,retrying(2),succeeded", throttled: true})
		if s := r.retrying(g); !slices.Equal(s, []string{"retrying(2)"}) {
			t.Errorf("upload %s: pushed %v, want exactly retrying(2): one failed run, then a second", g.UploadID, s)
		}
	})
}
