package s3

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// The local lifecycle sweep. S3 applies lifecycle rules in the background,
// about once a day; the local cloud calls Sweep on its own schedule (and
// tests call it with chosen times), so expiry never depends on a timer
// inside this package.

// Sweep applies the expiration actions of every bucket's enabled lifecycle
// rules as of now: it expires current versions (deleting them, or adding
// a delete marker where the bucket is versioned), removes noncurrent
// versions and lone delete markers, and aborts incomplete multipart
// uploads, as the rules say. It returns how many objects, versions and
// uploads it removed. As on S3, an action is due at the first midnight
// (UTC) at or after the object's time plus the rule's days.
func (s *Server) Sweep(now time.Time) (int, error) {
	all := s.store.allSettings()
	buckets := make([]string, 0, len(all))
	for b, st := range all {
		if len(st.Lifecycle) > 0 {
			buckets = append(buckets, b)
		}
	}
	sort.Strings(buckets)
	total := 0
	var errs []error
	for _, b := range buckets {
		var rules []LifecycleRule
		for _, r := range all[b].Lifecycle {
			if r.Enabled {
				rules = append(rules, r)
			}
		}
		n, err := s.store.sweepBucket(b, rules, now)
		total += n
		if err != nil {
			errs = append(errs, fmt.Errorf("lifecycle sweep of bucket %q: %w", b, err))
		}
		n, err = s.abortExpiredUploads(b, rules, now)
		total += n
		if err != nil {
			errs = append(errs, fmt.Errorf("lifecycle sweep of bucket %q: %w", b, err))
		}
	}
	if total > 0 {
		s.log.Info("lifecycle sweep", "removed", total)
	}
	return total, errors.Join(errs...)
}

// dueAt is when an action of days days on something of time t is due:
// t plus the days, rounded up to midnight UTC, as S3 computes it.
func dueAt(t time.Time, days int) time.Time {
	due := t.UTC().AddDate(0, 0, days)
	if midnight := due.Truncate(24 * time.Hour); midnight.Before(due) {
		return midnight.Add(24 * time.Hour)
	}
	return due
}

// selects reports whether r's filter selects an object of key, size and tags.
func (r LifecycleRule) selects(key string, size int64, tags []Tag) bool {
	if !strings.HasPrefix(key, r.Prefix) {
		return false
	}
	if r.ObjectSizeGreaterThan > 0 && size <= r.ObjectSizeGreaterThan ||
		r.ObjectSizeLessThan > 0 && size >= r.ObjectSizeLessThan {
		return false
	}
	for _, want := range r.Tags {
		found := false
		for _, t := range tags {
			found = found || t == want
		}
		if !found {
			return false
		}
	}
	return true
}

// expiresCurrent reports whether r expires a current version last
// modified at modified.
func (r LifecycleRule) expiresCurrent(modified, now time.Time) bool {
	if r.ExpirationDays > 0 && !now.Before(dueAt(modified, r.ExpirationDays)) {
		return true
	}
	return !r.ExpirationDate.IsZero() && !now.Before(r.ExpirationDate)
}

// sweepBucket applies rules to the objects of bucket. It holds mu, so no
// write interleaves with a decision and the removal it leads to.
func (s *store) sweepBucket(bucket string, rules []LifecycleRule, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if vb := s.tracked(bucket); vb != nil {
		return s.sweepVersioned(bucket, vb, rules, now)
	}
	list, err := s.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range list.Contents {
		tags := s.objectTags(bucket, c.Key, nullVersion)
		for _, r := range rules {
			if r.selects(c.Key, c.Size, tags) && r.expiresCurrent(c.LastModified.Time, now) {
				if _, err := s.deleteObject(bucket, c.Key); err != nil {
					return n, err
				}
				n++
				break
			}
		}
	}
	return n, nil
}

// sweepVersioned applies rules to the version history of bucket. Callers
// hold mu.
func (s *store) sweepVersioned(bucket string, vb *versionedBucket, rules []LifecycleRule, now time.Time) (int, error) {
	keys := make([]string, 0, len(vb.keys))
	for k := range vb.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := 0
	for _, key := range keys {
		// Noncurrent versions first: expiring the current version makes
		// another one noncurrent only from now on.
		vs := vb.keys[key]
		var doomed []string
		rank := -1 // of a noncurrent version among them, 0 the newest
		for i := len(vs) - 2; i >= 0; i-- {
			v := vs[i]
			if v.marker {
				continue // noncurrent expiration removes object versions, not markers
			}
			rank++
			tags := s.objectTags(bucket, key, v.id)
			for _, r := range rules {
				if r.NoncurrentDays > 0 && rank >= r.NewerNoncurrentVersions && r.selects(key, v.size, tags) &&
					!now.Before(dueAt(vs[i+1].modified, r.NoncurrentDays)) {
					doomed = append(doomed, v.id)
					break
				}
			}
		}
		for _, id := range doomed {
			if _, err := s.deleteObjectVersion(bucket, key, id); err != nil {
				return n, err
			}
			n++
		}
		vs = vb.keys[key]
		if len(vs) == 0 {
			continue
		}
		cur := vs[len(vs)-1]
		for _, r := range rules {
			if cur.marker {
				// A delete marker with no version left behind it is expired.
				if len(vs) == 1 && r.ExpiredObjectDeleteMarker && strings.HasPrefix(key, r.Prefix) {
					if _, err := s.deleteObjectVersion(bucket, key, cur.id); err != nil {
						return n, err
					}
					n++
					break
				}
				continue
			}
			if r.selects(key, cur.size, s.objectTags(bucket, key, cur.id)) && r.expiresCurrent(cur.modified, now) {
				if _, err := s.deleteObject(bucket, key); err != nil {
					return n, err
				}
				n++
				break
			}
		}
	}
	return n, nil
}
