package websocket

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"thumbflow/upload/s3store"
)

// A grant buys a 25 MB upload and a conversion, and the stage's throttle
// is shared by everyone; so each source address gets a bounded share of
// grants. docs/security.md says why the state is an S3 object and what it
// costs.

// GrantCountPrefix is where the per-address grant counters live in the
// records bucket. A lifecycle rule (template.yaml) expires them a day
// after an address's last grant.
const GrantCountPrefix = "grant-limits/"

// GrantCounters is the part of the S3 client the limiter calls.
type GrantCounters interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// GrantLimiter caps the grants one source address gets: PerMinute in any
// minute, and Open at once, where a grant counts as open for its
// lifetime (the presigned POST's, after which it cannot be used). A used
// grant still counts until it expires: an upper bound on what is open,
// exact for the grants that matter (unused ones an abuser hoards), and
// free of the cross-function bookkeeping that subtracting uploads would
// need.
type GrantLimiter struct {
	Counters GrantCounters
	Bucket   string
	// Key keys the HMAC that names an address's counter, so the bucket
	// holds no address and no one who reads it can recover one (see
	// GrantLimiterKey).
	Key []byte
	// PerMinute and Open are the limits; 0 turns one off.
	PerMinute int
	Open      int
}

// GrantLimiterKey derives the limiter's HMAC key from the token key, so
// that no second secret is needed and the one secret that exists never
// keys two things directly.
func GrantLimiterKey(tokenKey []byte) []byte {
	m := hmac.New(sha256.New, tokenKey)
	m.Write([]byte("thumbflow grant limits v1"))
	return m.Sum(nil)
}

// GrantRefusal is a grant the limits refuse, and when one will be allowed.
type GrantRefusal struct {
	Limit      int           // the limit that was reached
	Window     time.Duration // over which it counts
	RetryAfter time.Duration
}

// counterRaceBudget bounds, in real time, how long Allow keeps losing the
// compare-and-swap on one counter. Only one address's concurrent requests
// race for it, and each round one of them wins, so the budget is spent
// only by an address with more requests in flight than S3 round trips fit
// in it (on AWS, some 60 to 150 at once); it is then refused. The budget
// stays well inside the function's 10 s timeout.
const counterRaceBudget = 3 * time.Second

// maxRaceBackoff caps the jittered pause after a lost race, which spreads
// the contenders out so that most rounds have a winner.
const maxRaceBackoff = 50 * time.Millisecond

// maxCounterBytes caps what a counter read takes: a counter holds at most
// Open times (the template allows 1000, about 35 KB of JSON).
const maxCounterBytes = 64 << 10

// counter is the stored object: the issue times of the address's grants
// that are still within their lifetime, oldest first.
type counter struct {
	Grants []time.Time `json:"grants"`
}

// Allow counts a grant for sourceIP issued at now that lives for
// lifetime, or says why it is refused. It writes nothing when it refuses.
func (l *GrantLimiter) Allow(ctx context.Context, sourceIP string, now time.Time, lifetime time.Duration) (*GrantRefusal, error) {
	key := GrantCountPrefix + l.subject(sourceIP) + ".json"
	deadline := time.Now().Add(counterRaceBudget)
	for try := 0; ; try++ {
		c, etag, denied, err := l.read(ctx, key)
		if err != nil {
			return nil, err
		}
		live := c.Grants[:0]
		for _, g := range c.Grants {
			if g.Add(lifetime).After(now) {
				live = append(live, g)
			}
		}
		slices.SortFunc(live, time.Time.Compare)
		if r := l.refusal(live, now, lifetime); r != nil {
			return r, nil
		}
		next := counter{Grants: append(live, now)}
		b, err := json.Marshal(next)
		if err != nil {
			return nil, fmt.Errorf("encode grant counter: %w", err)
		}
		in := &s3.PutObjectInput{
			Bucket:      aws.String(l.Bucket),
			Key:         aws.String(key),
			Body:        bytes.NewReader(b),
			ContentType: aws.String("application/json"),
		}
		s3store.OnlyIfUnchanged(in, etag)
		_, err = l.Counters.PutObject(ctx, in)
		if err == nil {
			return nil, nil
		}
		if !s3store.LostRace(err) {
			return nil, fmt.Errorf("put s3://%s/%s: %w", l.Bucket, key, err)
		}
		if denied {
			// The counter exists, so the 403 was a real denial.
			return nil, fmt.Errorf("get s3://%s/%s: access denied", l.Bucket, key)
		}
		if time.Now().After(deadline) {
			return &GrantRefusal{Limit: l.PerMinute, Window: time.Minute, RetryAfter: time.Second}, nil
		}
		pause := time.Duration(rand.Int64N(int64(min(time.Millisecond<<min(try, 10), maxRaceBackoff)) + 1))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return nil, fmt.Errorf("counting a grant in s3://%s/%s: %w", l.Bucket, key, ctx.Err())
		}
	}
}

// refusal applies both limits to the live grants, oldest first.
func (l *GrantLimiter) refusal(live []time.Time, now time.Time, lifetime time.Duration) *GrantRefusal {
	if l.Open > 0 && len(live) >= l.Open {
		// The oldest that must expire to get back under the cap.
		oldest := live[len(live)-l.Open]
		return &GrantRefusal{Limit: l.Open, Window: lifetime, RetryAfter: oldest.Add(lifetime).Sub(now)}
	}
	if l.PerMinute <= 0 {
		return nil
	}
	i := 0
	for i < len(live) && !live[i].After(now.Add(-time.Minute)) {
		i++
	}
	if inMinute := live[i:]; len(inMinute) >= l.PerMinute {
		oldest := inMinute[len(inMinute)-l.PerMinute]
		return &GrantRefusal{Limit: l.PerMinute, Window: time.Minute, RetryAfter: oldest.Add(time.Minute).Sub(now)}
	}
	return nil
}

// subject names an address's counter: the HMAC of the address, so the
// key reveals nothing (a plain hash of an IPv4 address is reversed by
// trying all 2^32). An IPv6 address counts by its /64, which one
// subscriber holds whole and could otherwise walk through.
func (l *GrantLimiter) subject(sourceIP string) string {
	id := sourceIP
	if a, err := netip.ParseAddr(sourceIP); err == nil {
		a = a.Unmap()
		if a.Is6() {
			p, _ := a.Prefix(64)
			id = p.String()
		} else {
			id = a.String()
		}
	}
	m := hmac.New(sha256.New, l.Key)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}

// read returns the counter at key and its ETag, or an empty counter and
// "" when there is none. Without s3:ListBucket on the prefix, S3 answers
// a missing key with 403, not 404; that too is read as "none" (denied),
// and the create that follows (If-None-Match: *) settles it: it succeeds,
// or fails with 412 because the object exists after all, which Allow
// reports as the denial it was.
func (l *GrantLimiter) read(ctx context.Context, key string) (c counter, etag string, denied bool, err error) {
	out, err := l.Counters.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(l.Bucket), Key: aws.String(key)})
	var missing *types.NoSuchKey
	var re *awshttp.ResponseError
	switch {
	case errors.As(err, &missing):
		return counter{}, "", false, nil
	case errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden:
		return counter{}, "", true, nil
	case err != nil:
		return counter{}, "", false, fmt.Errorf("get s3://%s/%s: %w", l.Bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxCounterBytes+1))
	if err != nil {
		return counter{}, "", false, fmt.Errorf("read s3://%s/%s: %w", l.Bucket, key, err)
	}
	if len(b) > maxCounterBytes || json.Unmarshal(b, &c) != nil {
		// A counter we cannot read is replaced, not obeyed: it holds
		// nothing but times, and losing them forgets at most a window.
		c = counter{}
	}
	return c, aws.ToString(out.ETag), false, nil
}

// limitGrant applies h.GrantLimits, when set, to a grant for sourceIP. It
// returns the error message to answer with, or nil to go on.
func (h *Handler) limitGrant(ctx context.Context, log *slog.Logger, requestID, sourceIP string) *ErrorMessage {
	if h.GrantLimits == nil {
		return nil
	}
	r, err := h.GrantLimits.Allow(ctx, sourceIP, h.now(), h.uploadTTL())
	if err != nil {
		log.Error("could not count the grant", "error", err)
		msg := errorMsg(requestID, "InternalError", "Could not prepare the upload; please try again.")
		return &msg
	}
	if r == nil {
		return nil
	}
	secs := max(1, int((r.RetryAfter+time.Second-1)/time.Second))
	log.Info("grant refused: source over its limit", "limit", r.Limit, "window", r.Window.String(), "retryAfterSeconds", secs)
	what := fmt.Sprintf("at most %d may start in a minute", r.Limit)
	if r.Window != time.Minute {
		what = fmt.Sprintf("at most %d may wait for their files at once", r.Limit)
	}
	msg := errorMsg(requestID, "TooManyGrants",
		"Too many uploads from your network: %s. Try again in %d seconds.", what, secs)
	msg.RetryAfter = secs
	return &msg
}

// uploadTTL is how long a grant's presigned POST lasts: its lifetime.
func (h *Handler) uploadTTL() time.Duration { return orDefault(h.UploadTTL, 5*time.Minute) }
