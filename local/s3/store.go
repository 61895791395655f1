package s3

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"thumbflow/local/sigv4"
)

// store is the gofakes3 backend. Reads are served from gofakes3's in-memory
// backend; with a directory, every change is written through to disk and
// fsynced before it is acknowledged, and the directory is loaded back into
// memory at startup. Keeping the index in memory reuses s3mem's listing and
// paging logic, which is the hardest part of a backend to get right.
//
// Bucket versioning is in versions.go.
type store struct {
	mem *s3mem.Backend
	dir string // "" keeps everything in memory
	now func() time.Time
	// restoring, while loading, is the modification time of the object
	// being restored, so listings after a restart keep the original time.
	restoring time.Time

	mu sync.Mutex // orders disk writes with their in-memory counterparts
	// vmu guards versioned and the histories in it. Writers hold mu and
	// take vmu only to change memory, so readers never wait for a disk.
	vmu       sync.RWMutex
	versioned map[string]*versionedBucket // buckets whose versioning was ever set
	seq       int64                       // last version sequence number; mu
	// onDisk, with a data directory, holds the objects of unversioned
	// buckets whose bodies (bodyOnDisk bytes or more) are kept only in
	// their object files; s3mem holds them with an empty body, for
	// listings. Guarded by vmu, like versioned.
	onDisk map[string]map[string]*version

	// Bucket settings (settings.go) and object tags (tagging.go), each
	// with its own lock; writers hold mu as well.
	smu      sync.RWMutex
	settings map[string]*bucketSettings
	tmu      sync.RWMutex
	tags     map[string]map[string]keyTags // bucket → key → tags by version
	// forgotten, if set, is told of every deleted bucket, so state kept
	// outside the store (CORS rules) goes with the bucket too.
	forgotten func(bucket string)
	// prepare and commit, if set, record the event of a write whose
	// metadata carries an origin: prepare before the object is written,
	// commit once it is durable and visible (intents.go).
	prepare func(bucket, key, version, path, origin string, size int64, md5 []byte) (*intent, error)
	commit  func(*intent) error
}

var (
	_ gofakes3.Backend          = (*store)(nil)
	_ gofakes3.VersionedBackend = (*store)(nil)
)

// objectRecord is the header of an object file on disk.
type objectRecord struct {
	Key      string            `json:"key"`
	Metadata map[string]string `json:"metadata"`
	Size     int64             `json:"size"`
	// Versioned buckets only: the version id ("" for the null version),
	// the creation order and whether this version is a delete marker.
	VersionID    string `json:"versionId,omitempty"`
	Seq          int64  `json:"seq,omitempty"`
	DeleteMarker bool   `json:"deleteMarker,omitempty"`
	// Event is the sequencer of the event intent written before this
	// object, which start-up reconciliation matches (intents.go).
	Event string `json:"event,omitempty"`
	// MD5 is the body's MD5 in hex, so a restart need not read bodies
	// kept on disk to know their ETags; files written before it lack it.
	MD5 string `json:"md5,omitempty"`
}

// storeClock is the time source of the in-memory index.
type storeClock struct{ s *store }

func (c storeClock) Now() time.Time {
	if !c.s.restoring.IsZero() {
		return c.s.restoring
	}
	return c.s.now()
}

func (c storeClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func newStore(dir string, now func() time.Time) (*store, error) {
	s := &store{dir: dir, now: now, versioned: map[string]*versionedBucket{}, onDisk: map[string]map[string]*version{},
		settings: map[string]*bucketSettings{}, tags: map[string]map[string]keyTags{}}
	s.mem = s3mem.New(s3mem.WithTimeSource(storeClock{s}))
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "buckets"), 0o755); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("loading objects from %s: %w", dir, err)
	}
	return s, nil
}

func (s *store) bucketDir(bucket string) string {
	return filepath.Join(s.dir, "buckets", url.PathEscape(bucket))
}

func (s *store) objectPath(bucket, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(s.bucketDir(bucket), hex.EncodeToString(sum[:])+".obj")
}

func (s *store) load() error {
	buckets, err := os.ReadDir(filepath.Join(s.dir, "buckets"))
	if err != nil {
		return err
	}
	for _, b := range buckets {
		if !b.IsDir() {
			continue
		}
		name, err := url.PathUnescape(b.Name())
		if err != nil {
			return fmt.Errorf("bucket directory %q: %w", b.Name(), err)
		}
		if err := s.mem.CreateBucket(name); err != nil {
			return fmt.Errorf("bucket %q: %w", name, err)
		}
		files, err := os.ReadDir(s.bucketDir(name))
		if err != nil {
			return err
		}
		if err := s.loadSettings(name); err != nil {
			return err
		}
		if err := s.loadTags(name, files); err != nil {
			return err
		}
		status, err := readVersioningStatus(s.versioningPath(name))
		if err != nil {
			return err
		}
		if status != gofakes3.VersioningNone {
			var paths []string
			for _, f := range files {
				if strings.HasSuffix(f.Name(), ".obj") || strings.HasSuffix(f.Name(), ".ver") {
					paths = append(paths, filepath.Join(s.bucketDir(name), f.Name()))
				}
			}
			vb, err := s.loadVersioned(name, status, paths)
			if err != nil {
				return err
			}
			s.versioned[name] = vb
			continue
		}
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), ".obj") {
				continue // leftovers of an interrupted write
			}
			path := filepath.Join(s.bucketDir(name), f.Name())
			rec, offset, sum, err := readVersionFile(path)
			if err != nil {
				return err
			}
			s.seq = max(s.seq, rec.Seq)
			var data []byte
			if rec.Size >= bodyOnDisk {
				s.setDiskBody(name, rec.Key, &version{seq: rec.Seq, meta: rec.Metadata, file: path, offset: offset, size: rec.Size, hash: sum})
			} else if _, data, err = readObjectFile(path); err != nil {
				return err
			}
			s.restoring, _ = time.Parse(http.TimeFormat, rec.Metadata["Last-Modified"])
			_, err = s.mem.PutObject(name, rec.Key, rec.Metadata, bytes.NewReader(data), int64(len(data)), nil)
			s.restoring = time.Time{}
			if err != nil {
				return fmt.Errorf("restoring %s/%s: %w", name, rec.Key, err)
			}
		}
	}
	return nil
}

// readObjectFile reads [4-byte header length][JSON header][data].
func readObjectFile(path string) (objectRecord, []byte, error) {
	var rec objectRecord
	b, err := os.ReadFile(path)
	if err != nil {
		return rec, nil, err
	}
	if len(b) < 4 {
		return rec, nil, fmt.Errorf("%s: truncated object file", path)
	}
	n := int(binary.BigEndian.Uint32(b))
	if 4+n > len(b) {
		return rec, nil, fmt.Errorf("%s: truncated object header", path)
	}
	if err := json.Unmarshal(b[4:4+n], &rec); err != nil {
		return rec, nil, fmt.Errorf("%s: %w", path, err)
	}
	data := b[4+n:]
	if int64(len(data)) != rec.Size {
		return rec, nil, fmt.Errorf("%s: object is %d bytes, header says %d", path, len(data), rec.Size)
	}
	return rec, data, nil
}

// readObjectHeader reads an object file's header from f and returns it
// with the offset of the body.
func readObjectHeader(f io.Reader) (objectRecord, int64, error) {
	var rec objectRecord
	var n [4]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return rec, 0, fmt.Errorf("truncated object file: %w", err)
	}
	hdr := make([]byte, binary.BigEndian.Uint32(n[:]))
	if _, err := io.ReadFull(f, hdr); err != nil {
		return rec, 0, fmt.Errorf("truncated object header: %w", err)
	}
	if err := json.Unmarshal(hdr, &rec); err != nil {
		return rec, 0, err
	}
	return rec, 4 + int64(len(hdr)), nil
}

// readVersionFile reads an object file's header and checks its length,
// without keeping its body: it returns where the body starts and its MD5,
// from the header or, for a file written before the header had it, by
// streaming the body.
func readVersionFile(path string) (objectRecord, int64, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return objectRecord{}, 0, nil, err
	}
	defer f.Close()
	rec, offset, err := readObjectHeader(f)
	if err != nil {
		return rec, 0, nil, fmt.Errorf("%s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return rec, 0, nil, err
	}
	if st.Size()-offset != rec.Size {
		return rec, 0, nil, fmt.Errorf("%s: object is %d bytes, header says %d", path, st.Size()-offset, rec.Size)
	}
	if sum, err := hex.DecodeString(rec.MD5); err == nil && len(sum) == md5.Size {
		return rec, offset, sum, nil
	}
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return rec, 0, nil, fmt.Errorf("%s: %w", path, err)
	}
	return rec, offset, h.Sum(nil), nil
}

// writeObjectFile writes the format readObjectFile reads, durably.
func writeObjectFile(path string, rec objectRecord, data []byte) error {
	_, err := writeObjectFileFrom(path, rec, bytes.NewReader(data))
	return err
}

// writeObjectFileFrom writes the object file with its body read from body,
// which must hold rec.Size bytes, and returns where the body starts.
func writeObjectFileFrom(path string, rec objectRecord, body io.Reader) (int64, error) {
	hdr, err := json.Marshal(rec)
	if err != nil {
		return 0, err
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(hdr)))
	counted := &countingReader{r: body}
	if err := writeFileDurableFrom(path, io.MultiReader(bytes.NewReader(n[:]), bytes.NewReader(hdr), counted)); err != nil {
		return 0, err
	}
	if counted.n != rec.Size {
		return 0, fmt.Errorf("%s: wrote %d bytes of body, want %d", path, counted.n, rec.Size)
	}
	return 4 + int64(len(hdr)), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// writeFileDurable writes via a temporary file, fsyncs it, renames it into
// place and fsyncs the directory, so a crash leaves the old or the new file.
func writeFileDurable(path string, parts ...[]byte) error {
	rs := make([]io.Reader, len(parts))
	for i, p := range parts {
		rs[i] = bytes.NewReader(p)
	}
	return writeFileDurableFrom(path, io.MultiReader(rs...))
}

// writeFileDurableFrom is writeFileDurable with the content streamed
// from r.
func writeFileDurableFrom(path string, r io.Reader) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = copyPooled(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (s *store) ListBuckets() ([]gofakes3.BucketInfo, error) { return s.mem.ListBuckets() }

// ListBucket lists from s3mem. For a versioned bucket s3mem holds the
// current versions with empty bodies (showCurrent), so the size and ETag
// come from the versions.
func (s *store) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	list, err := s.mem.ListBucket(name, prefix, page)
	if err != nil {
		return list, err
	}
	s.vmu.RLock()
	defer s.vmu.RUnlock()
	vb := s.tracked(name)
	for _, c := range list.Contents {
		v := s.onDisk[name][c.Key]
		if vb != nil {
			v = vb.current(c.Key)
		}
		if v != nil && !v.marker {
			c.Size, c.ETag = v.size, gofakes3.FormatETag(v.hash)
		}
	}
	return list, nil
}

func (s *store) BucketExists(name string) (bool, error) { return s.mem.BucketExists(name) }

func (s *store) CreateBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.CreateBucket(name); err != nil {
		return err
	}
	if s.dir == "" {
		return nil
	}
	if err := os.MkdirAll(s.bucketDir(name), 0o755); err != nil {
		s.mem.DeleteBucket(name)
		return fmt.Errorf("creating bucket directory: %w", err)
	}
	return syncDir(filepath.Dir(s.bucketDir(name)))
}

func (s *store) DeleteBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if vb := s.tracked(name); vb != nil && len(vb.keys) > 0 {
		// Noncurrent versions and delete markers keep a bucket, as on S3.
		return gofakes3.ResourceError(gofakes3.ErrBucketNotEmpty, name)
	}
	if err := s.mem.DeleteBucket(name); err != nil {
		return err
	}
	s.forget(name)
	return s.removeBucketDir(name)
}

func (s *store) ForceDeleteBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.ForceDeleteBucket(name); err != nil {
		return err
	}
	s.forget(name)
	return s.removeBucketDir(name)
}

func (s *store) forget(bucket string) {
	s.vmu.Lock()
	delete(s.versioned, bucket)
	delete(s.onDisk, bucket)
	s.vmu.Unlock()
	s.smu.Lock()
	delete(s.settings, bucket)
	s.smu.Unlock()
	s.tmu.Lock()
	delete(s.tags, bucket)
	s.tmu.Unlock()
	if s.forgotten != nil {
		s.forgotten(bucket)
	}
}

func (s *store) removeBucketDir(name string) error {
	if s.dir == "" {
		return nil
	}
	if err := os.RemoveAll(s.bucketDir(name)); err != nil {
		return fmt.Errorf("removing bucket directory: %w", err)
	}
	return nil
}

func (s *store) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	return s.current(bucket, key, rng, true)
}

func (s *store) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	return s.current(bucket, key, nil, false)
}

// current reads the current version; a delete marker reads as no object.
func (s *store) current(bucket, key string, rng *gofakes3.ObjectRangeRequest, withBody bool) (*gofakes3.Object, error) {
	s.vmu.RLock()
	defer s.vmu.RUnlock()
	if vb := s.tracked(bucket); vb != nil {
		v := vb.current(key)
		if v == nil || v.marker {
			return nil, gofakes3.KeyNotFound(key)
		}
		return v.object(key, rng, withBody)
	}
	if v := s.onDisk[bucket][key]; v != nil {
		return v.object(key, rng, withBody)
	}
	if withBody {
		return s.mem.GetObject(bucket, key, rng)
	}
	obj, err := s.mem.HeadObject(bucket, key)
	if obj != nil {
		obj.VersionID = "" // s3mem's internal id; the bucket is not versioned
	}
	return obj, err
}

func (s *store) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	// A body bound for a versioned bucket on disk is spooled to a file
	// before the store's lock is taken, so writes waiting for the lock
	// hold no bodies in memory; it is read from disk from then on.
	var sp *spooled
	if s.dir != "" {
		s.vmu.RLock()
		versioned := s.tracked(bucket) != nil
		s.vmu.RUnlock()
		if versioned || size >= bodyOnDisk {
			var err error
			if sp, err = spool(s.bucketDir(bucket), input, size); err != nil {
				return gofakes3.PutObjectResult{}, err
			}
			defer sp.close()
		}
	}
	var data []byte
	if sp == nil {
		var err error
		if data, err = sigv4.ReadAllSized(input, size); err != nil {
			return gofakes3.PutObjectResult{}, fmt.Errorf("reading object body: %w", err)
		}
		if int64(len(data)) != size {
			return gofakes3.PutObjectResult{}, gofakes3.ErrIncompleteBody
		}
	}
	meta, origin := takeOrigin(meta)
	s.mu.Lock()
	defer s.mu.Unlock()
	if vb := s.tracked(bucket); vb != nil {
		return s.putVersion(vb, bucket, key, meta, data, sp, cond, origin)
	}
	if ok, _ := s.mem.BucketExists(bucket); !ok {
		return gofakes3.PutObjectResult{}, gofakes3.BucketNotFound(bucket)
	}
	if cond != nil {
		if err := s.checkPutConditions(bucket, key, cond); err != nil {
			return gofakes3.PutObjectResult{}, err
		}
	}
	var sum []byte
	if sp != nil {
		sum = sp.md5
	} else {
		h := md5.Sum(data)
		sum = h[:]
	}
	path := s.objectPath(bucket, key)
	in, err := s.prepareEvent(bucket, key, "", path, origin, size, sum)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	var disk *version // the body kept on disk only
	if s.dir != "" {
		rec := objectRecord{Key: key, Metadata: meta, Size: size}
		if in != nil {
			rec.Event = in.Seq
		}
		if sp == nil {
			err = writeObjectFile(path, rec, data)
		} else if err = sp.rewind(); err == nil {
			s.seq++
			rec.Seq, rec.MD5 = s.seq, hex.EncodeToString(sum)
			disk = &version{seq: rec.Seq, meta: meta, file: path, size: size, hash: sum}
			disk.offset, err = writeObjectFileFrom(path, rec, sp.f)
		}
		if err != nil {
			return gofakes3.PutObjectResult{}, fmt.Errorf("persisting %s/%s: %w", bucket, key, err)
		}
		crashPoint("object")
	}
	s.vmu.Lock() // readers see s3mem and onDisk change together
	res, err := s.mem.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil)
	if err == nil {
		s.setDiskBody(bucket, key, disk)
	}
	s.vmu.Unlock()
	if err == nil {
		err = s.dropTags(bucket, key, nullVersion) // a new object starts untagged
	}
	if err != nil {
		return res, err
	}
	res.VersionID = "" // s3mem's internal id; the bucket is not versioned
	return res, s.commitEvent(in)
}

// checkPutConditions applies a conditional PUT's If-Match/If-None-Match
// before anything is written, so a refused write leaves no intent.
func (s *store) checkPutConditions(bucket, key string, cond *gofakes3.PutConditions) error {
	info := &gofakes3.ConditionalObjectInfo{}
	if obj, err := s.HeadObject(bucket, key); err == nil {
		obj.Contents.Close()
		info.Exists, info.Hash = true, obj.Hash
	}
	return gofakes3.CheckPutConditions(cond, info)
}

// prepareEvent and commitEvent call the event hooks, when set.
func (s *store) prepareEvent(bucket, key, version, path, origin string, size int64, sum []byte) (*intent, error) {
	if s.prepare == nil || origin == "" {
		return nil, nil
	}
	in, err := s.prepare(bucket, key, version, path, origin, size, sum)
	if err != nil {
		return nil, fmt.Errorf("recording the event of %s/%s: %w", bucket, key, err)
	}
	return in, nil
}

func (s *store) commitEvent(in *intent) error {
	if s.commit == nil || in == nil {
		return nil
	}
	if err := s.commit(in); err != nil {
		return fmt.Errorf("recording the event of %s/%s: %w", in.Bucket, in.Key, err)
	}
	return nil
}

func (s *store) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteObject(bucket, key)
}

// deleteObject removes an object, or in a versioned bucket adds a delete
// marker. Callers hold mu.
func (s *store) deleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	if vb := s.tracked(bucket); vb != nil {
		return s.deleteVersioned(vb, bucket, key)
	}
	s.vmu.Lock()
	res, err := s.mem.DeleteObject(bucket, key)
	s.setDiskBody(bucket, key, nil)
	s.vmu.Unlock()
	if err != nil {
		return res, err
	}
	if err := s.dropTags(bucket, key, nullVersion); err != nil {
		return res, err
	}
	return res, s.removeObjectFile(bucket, key)
}

func (s *store) removeObjectFile(bucket, key string) error {
	if s.dir == "" {
		return nil
	}
	if err := os.Remove(s.objectPath(bucket, key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("deleting %s/%s: %w", bucket, key, err)
	}
	return nil
}

func (s *store) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	if s.isTracked(bucket) {
		ids := make([]gofakes3.ObjectID, len(keys))
		for i, k := range keys {
			ids[i].Key = k
		}
		return s.DeleteMultiVersions(bucket, ids...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.mem.DeleteMulti(bucket, keys...)
	if err != nil {
		return res, err
	}
	s.vmu.Lock()
	for _, d := range res.Deleted {
		s.setDiskBody(bucket, d.Key, nil)
	}
	s.vmu.Unlock()
	for _, d := range res.Deleted {
		if err := s.removeObjectFile(bucket, d.Key); err != nil {
			return res, err
		}
		if err := s.dropTags(bucket, d.Key, nullVersion); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (s *store) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	// Routed through s.PutObject so the copy is persisted too.
	return gofakes3.CopyObject(s, srcBucket, srcKey, dstBucket, dstKey, meta)
}

func (s *store) isTracked(bucket string) bool {
	s.vmu.RLock()
	defer s.vmu.RUnlock()
	return s.tracked(bucket) != nil
}

// spooled is a body being stored, in a temporary file of the bucket's
// directory (a name the loaders ignore), with its length and MD5.
type spooled struct {
	f    *os.File
	size int64
	md5  []byte
}

// spool copies exactly size bytes of r to a temporary file in dir.
func spool(dir string, r io.Reader, size int64) (*spooled, error) {
	sp, err := spoolUpTo(dir, r, size)
	if err == nil && sp.size != size {
		sp.close()
		return nil, gofakes3.ErrIncompleteBody
	}
	return sp, err
}

// spoolUpTo copies r to a temporary file in dir, reading at most one byte
// past limit, so the caller can refuse an oversized body without having
// held it in memory.
func spoolUpTo(dir string, r io.Reader, limit int64) (*spooled, error) {
	f, err := os.CreateTemp(dir, ".tmp-spool-*")
	if err != nil {
		return nil, fmt.Errorf("spooling object body: %w", err)
	}
	sp := &spooled{f: f}
	h := md5.New()
	if sp.size, err = copyPooled(io.MultiWriter(f, h), io.LimitReader(r, limit+1)); err != nil {
		sp.close()
		return nil, fmt.Errorf("reading object body: %w", err)
	}
	sp.md5 = h.Sum(nil)
	return sp, sp.rewind()
}

func (sp *spooled) rewind() error {
	_, err := sp.f.Seek(0, io.SeekStart)
	return err
}

func (sp *spooled) close() {
	sp.f.Close()
	os.Remove(sp.f.Name())
}

// bodyOnDisk is the size from which, with a data directory, an unversioned
// object's body is kept only in its object file: originals and renditions
// then cost no memory once stored, while status records and other small
// objects, read often, stay in memory.
const bodyOnDisk = 16 << 10

// setDiskBody records (v) or forgets (nil) the on-disk body of an
// unversioned object. Callers hold vmu for writing.
func (s *store) setDiskBody(bucket, key string, v *version) {
	if v == nil {
		delete(s.onDisk[bucket], key)
		return
	}
	if s.onDisk[bucket] == nil {
		s.onDisk[bucket] = map[string]*version{}
	}
	s.onDisk[bucket][key] = v
}

// copyBuffers are the buffers body copies share: io.Copy would allocate
// 32 KiB per copy (os.File's ReadFrom and MultiReader's WriteTo included),
// and a burst of uploads makes several copies each. 8 KiB, not 32: every
// POST of a burst spools at once, so the pool holds one buffer per upload
// arriving (16 MiB for 500 at 32 KiB), and a loopback or disk copy is no
// slower for it.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 8<<10); return &b }}

// copyPooled is io.Copy with a pooled buffer.
func copyPooled(dst io.Writer, src io.Reader) (int64, error) {
	b := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(b)
	// The wrappers hide ReaderFrom and WriterTo, which would not use b.
	return io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, *b)
}
