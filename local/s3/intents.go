package s3

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// The crash model of object-created events.
//
// Every write path (POST, PUT, CopyObject, CompleteMultipartUpload) ends in
// store.PutObject, and the request layer marks such a write with an event
// origin in its metadata (originKey). The store then, holding its write lock:
//
//  1. writes an intent: every outbox entry the object will need, in one
//     file under outbox/intents, fsynced, naming the object file and the
//     event's sequencer;
//  2. writes the object file, which carries the same sequencer, and only
//     then shows the object in memory;
//  3. writes each outbox entry, fsynced, and removes the intent;
//  4. starts delivery.
//
// So the event is durable before the object is visible. At start-up
// (reconcileIntents) an intent whose object file holds its sequencer becomes
// its outbox entries, and any other intent is dropped: its object never
// appeared. Entries are named by sequencer and subscription, so rewriting
// one already on disk changes nothing, and delivery only starts once the
// intent is gone, so a delivered entry is never recreated.

// originKey carries a write's event origin through gofakes3 to the store.
// sanitizeHeaders removes every client-sent X-Amz-Tf-* header, so a client
// cannot forge one, and the store strips it before keeping the metadata.
const originKey = internalPrefix + "Event-Origin"

// origin is what the request layer knows of an event and the store does not.
type origin struct {
	Name string `json:"name"`
	IP   string `json:"ip"`
	// Multipart marks an upload's completion, whose ETag (of the parts,
	// not of the bytes) the request layer computes (multipartETags).
	Multipart bool `json:"multipart,omitempty"`
}

func encodeOrigin(name string, r *http.Request) string {
	b, _ := json.Marshal(origin{Name: name, IP: sourceIP(r), Multipart: name == "ObjectCreated:CompleteMultipartUpload"})
	return string(b)
}

// withOrigin returns a copy of meta that carries the event origin.
func withOrigin(meta map[string]string, name string, r *http.Request) map[string]string {
	m := make(map[string]string, len(meta)+1)
	for k, v := range meta {
		m[k] = v
	}
	m[originKey] = encodeOrigin(name, r)
	return m
}

// takeOrigin returns meta without the event origin, and the origin.
func takeOrigin(meta map[string]string) (map[string]string, string) {
	o, ok := meta[originKey]
	if !ok {
		return meta, ""
	}
	m := make(map[string]string, len(meta))
	for k, v := range meta {
		if k != originKey {
			m[k] = v
		}
	}
	return m, o
}

func multipartKey(bucket, key string) string { return bucket + "\x00" + key }

// intent is the durable promise of an object's event, written before the
// object.
type intent struct {
	Seq     string   `json:"sequencer"`
	Bucket  string   `json:"bucket"`
	Key     string   `json:"key"`
	Object  string   `json:"object"` // the object file, relative to the data directory
	Entries []*entry `json:"entries"`

	subs []*subscription // the subscriptions the entries are for, in order
}

// prepareEvent builds the event of a write carrying originJSON and writes
// its intent durably. path is the object file it will be in. It returns nil
// when the write has no origin or nobody subscribes.
func (s *Server) prepareEvent(bucket, key, version, path, originJSON string, size int64, sum []byte) (*intent, error) {
	if originJSON == "" {
		return nil, nil
	}
	var o origin
	if err := json.Unmarshal([]byte(originJSON), &o); err != nil {
		return nil, fmt.Errorf("reading event origin: %w", err)
	}
	etag := gofakes3.FormatETag(sum)
	if o.Multipart {
		if e, ok := s.multipartETags.Load(multipartKey(bucket, key)); ok {
			etag = e.(string)
		}
	}
	if version == nullVersion {
		version = ""
	}
	ev := s.newEvent(bucket, key, o.Name, o.IP, size, etag, version)
	subs := append(s.events.matching(bucket, key), s.notificationDestinations(bucket, key, o.Name)...)
	if len(subs) == 0 {
		return nil, nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	seq := ev.Records[0].S3.Object.Sequencer
	in := &intent{Seq: seq, Bucket: bucket, Key: key, subs: subs}
	if s.store.dir != "" {
		if in.Object, err = filepath.Rel(s.store.dir, path); err != nil {
			return nil, fmt.Errorf("naming object file: %w", err)
		}
	}
	for _, sub := range subs {
		id := sha256.Sum256([]byte(sub.id))
		e := &entry{ID: seq + "-" + hex.EncodeToString(id[:8]), Sub: sub.id, Event: body, Function: sub.function}
		if sub.configID != "" {
			if e.Event, err = withConfigurationID(ev, sub.configID); err != nil {
				return nil, err
			}
		}
		in.Entries = append(in.Entries, e)
	}
	if err := s.events.writeIntent(in); err != nil {
		return nil, err
	}
	crashPoint("intent")
	return in, nil
}

// commitEvent turns a written intent into outbox entries, once the object
// is durable and visible, and starts delivering them.
func (s *Server) commitEvent(in *intent) error {
	if in == nil {
		return nil
	}
	o := s.events
	if err := o.writeEntries(in.Entries); err != nil {
		return err
	}
	if err := o.removeIntent(in); err != nil {
		return err
	}
	crashPoint("committed")
	for i, e := range in.Entries {
		if sub := in.subs[i]; sub.function != "" {
			o.deliverToFunction(sub, e)
		} else {
			o.deliver(sub, e)
		}
	}
	return nil
}

// crashPoint is a test hook called after each durable step of a write.
var crashPoint = func(step string) {}

func (o *outbox) intentsDir() string { return filepath.Join(o.dir, "intents") }

func (o *outbox) intentPath(seq string) string {
	return filepath.Join(o.intentsDir(), seq+".json")
}

func (o *outbox) writeIntent(in *intent) error {
	if o.dir == "" {
		return nil
	}
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encoding intent: %w", err)
	}
	if err := writeFileDurable(o.intentPath(in.Seq), b); err != nil {
		return fmt.Errorf("writing event intent: %w", err)
	}
	return nil
}

func (o *outbox) writeEntries(entries []*entry) error {
	if o.dir == "" {
		return nil
	}
	for i, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encoding outbox entry: %w", err)
		}
		if err := writeFileDurable(o.path(e), b); err != nil {
			return fmt.Errorf("writing outbox entry: %w", err)
		}
		crashPoint(fmt.Sprintf("entry %d", i))
	}
	return nil
}

func (o *outbox) removeIntent(in *intent) error {
	if o.dir == "" {
		return nil
	}
	if err := os.Remove(o.intentPath(in.Seq)); err != nil {
		return fmt.Errorf("removing event intent: %w", err)
	}
	if err := syncDir(o.intentsDir()); err != nil {
		return fmt.Errorf("removing event intent: %w", err)
	}
	return nil
}

// reconcileIntents settles the intents a crash left: an intent whose object
// file holds its sequencer becomes outbox entries, pending until their
// subscriber registers; any other is dropped, since its object never
// appeared. dataDir is the store's directory.
func (o *outbox) reconcileIntents(dataDir string) error {
	if o.dir == "" {
		return nil
	}
	if err := os.MkdirAll(o.intentsDir(), 0o755); err != nil {
		return fmt.Errorf("creating intents directory: %w", err)
	}
	files, err := os.ReadDir(o.intentsDir())
	if err != nil {
		return fmt.Errorf("reading intents: %w", err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".json") {
			continue // a temporary file of an interrupted write
		}
		path := filepath.Join(o.intentsDir(), f.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading intent: %w", err)
		}
		var in intent
		if err := json.Unmarshal(b, &in); err != nil {
			o.log.Warn("dropping unreadable event intent", "file", f.Name(), "error", err)
		} else if appeared(dataDir, &in) {
			if err := o.writeEntries(in.Entries); err != nil {
				return err
			}
			o.mu.Lock()
			for _, e := range in.Entries {
				o.pending[e.ID] = e
			}
			o.mu.Unlock()
			o.log.Info("recovered the event of an object stored before a crash", "bucket", in.Bucket, "key", in.Key, "sequencer", in.Seq)
		} else {
			o.log.Info("dropping the event of an object that never appeared", "bucket", in.Bucket, "key", in.Key, "sequencer", in.Seq)
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("removing intent: %w", err)
		}
	}
	return syncDir(o.intentsDir())
}

// appeared reports whether the object file of in holds in's write.
func appeared(dataDir string, in *intent) bool {
	rec, _, err := readObjectFile(filepath.Join(dataDir, in.Object))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false
	}
	return err == nil && rec.Event == in.Seq && rec.Key == in.Key
}

// matching is the subscriptions registered for key in bucket.
func (o *outbox) matching(bucket, key string) []*subscription {
	o.mu.Lock()
	defer o.mu.Unlock()
	var subs []*subscription
	for _, s := range o.subs {
		if s.bucket == bucket && strings.HasPrefix(key, s.prefix) {
			subs = append(subs, s)
		}
	}
	return subs
}
