package s3

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// Bucket versioning.
//
// s3mem has versioning, but its version ids cannot be given back to it, so
// versions could not survive a restart, and it gets S3's suspended-versioning
// rules wrong (an overwrite drops the previous version). So the store keeps
// the version history of a bucket whose versioning was ever configured
// itself, and s3mem keeps only the current objects of such a bucket, to serve
// listings. A bucket whose versioning was never configured is served by
// s3mem alone, as before.

// nullVersion is the version id S3 gives an object stored while the bucket
// was not versioned or its versioning was suspended.
const nullVersion = "null"

// nullVersionQuery replaces ?versionId=null on the way to gofakes3, which
// would otherwise read "null" as "the current version".
const nullVersionQuery = "null.local"

// version is one version of an object, or a delete marker. It is never
// changed once created.
type version struct {
	id       string
	seq      int64 // creation order across the store; names the file
	marker   bool
	modified time.Time
	meta     map[string]string
	// The body: in data without a data directory; with one, only in the
	// object file, from offset, so a bucket of originals costs no memory
	// per object (the pipeline's uploads bucket is versioned).
	data   []byte
	file   string
	offset int64
	size   int64
	hash   []byte
	event  string // sequencer of the event intent written before it
}

// versionedBucket is the history of a bucket whose versioning was ever set.
type versionedBucket struct {
	status gofakes3.VersioningStatus
	keys   map[string][]*version // oldest first; the last is the current version
}

func (vb *versionedBucket) current(key string) *version {
	vs := vb.keys[key]
	if len(vs) == 0 {
		return nil
	}
	return vs[len(vs)-1]
}

func (vb *versionedBucket) find(key, id string) (int, *version) {
	for i, v := range vb.keys[key] {
		if v.id == id {
			return i, v
		}
	}
	return -1, nil
}

// add makes v the current version of key; a null version replaces the
// previous null version, as on S3.
func (vb *versionedBucket) add(key string, v *version) {
	old := vb.keys[key]
	vs := make([]*version, 0, len(old)+1)
	for _, o := range old {
		if !(v.id == nullVersion && o.id == nullVersion) {
			vs = append(vs, o)
		}
	}
	vb.keys[key] = append(vs, v)
}

func normalizeVersionID(id gofakes3.VersionID) string {
	if id == nullVersionQuery {
		return nullVersion
	}
	return string(id)
}

func newVersionID() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b) // 32 characters, like S3's
}

func (v *version) object(key string, rng *gofakes3.ObjectRangeRequest, withBody bool) (*gofakes3.Object, error) {
	obj := &gofakes3.Object{
		Name:           key,
		Metadata:       v.meta,
		Size:           v.size,
		Hash:           v.hash,
		VersionID:      gofakes3.VersionID(v.id),
		IsDeleteMarker: v.marker,
		Contents:       io.NopCloser(bytes.NewReader(nil)),
	}
	if withBody && !v.marker {
		r, err := rng.Range(obj.Size)
		if err != nil {
			return nil, err
		}
		start, n := int64(0), v.size
		if r != nil {
			start, n = r.Start, r.Length
		}
		obj.Range = r
		if v.file == "" {
			obj.Contents = io.NopCloser(bytes.NewReader(v.data[start : start+n]))
		} else if obj.Contents, err = v.open(start, n); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// open reads n bytes of v's body from start, streamed from its object
// file. The file is checked to still hold v: a null version's file is
// replaced by the next null version.
func (v *version) open(start, n int64) (io.ReadCloser, error) {
	f, err := os.Open(v.file)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", v.file, err)
	}
	rec, offset, err := readObjectHeader(f)
	if err == nil && (rec.Seq != v.seq || offset != v.offset) {
		err = fmt.Errorf("%s holds another version now", v.file)
	}
	if err == nil {
		_, err = f.Seek(offset+start, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, n), f}, nil
}

// tracked returns the version history of bucket, nil if its versioning was
// never configured. Callers hold vmu or mu.
func (s *store) tracked(bucket string) *versionedBucket { return s.versioned[bucket] }

func (s *store) versioningPath(bucket string) string {
	return filepath.Join(s.bucketDir(bucket), "versioning")
}

// versionPath is where v of key lives: the null version in the file an
// unversioned object uses, any other version next to it.
func (s *store) versionPath(bucket, key string, v *version) string {
	p := s.objectPath(bucket, key)
	if v.id == nullVersion {
		return p
	}
	return strings.TrimSuffix(p, ".obj") + fmt.Sprintf(".%016x.ver", v.seq)
}

// writeVersion writes v's object file, its body from spool (a file being
// stored) or else from v.data; with a data directory, v then forgets its
// data and reads it from the file.
func (s *store) writeVersion(bucket, key string, v *version, spool io.Reader) error {
	if s.dir == "" {
		if spool != nil {
			return errors.New("a spooled body needs a data directory")
		}
		return nil
	}
	rec := objectRecord{Key: key, Metadata: v.meta, Size: v.size, Seq: v.seq, DeleteMarker: v.marker, Event: v.event}
	if v.id != nullVersion {
		rec.VersionID = v.id
	}
	if !v.marker {
		rec.MD5 = hex.EncodeToString(v.hash)
	}
	body := spool
	if body == nil {
		body = bytes.NewReader(v.data)
	}
	path := s.versionPath(bucket, key, v)
	offset, err := writeObjectFileFrom(path, rec, body)
	if err != nil {
		return fmt.Errorf("persisting %s/%s version %s: %w", bucket, key, v.id, err)
	}
	v.file, v.offset, v.data = path, offset, nil
	return nil
}

// newVersion builds the next version of an object in vb. Callers hold mu.
func (s *store) newVersion(vb *versionedBucket, meta map[string]string, data []byte, marker bool) *version {
	m := make(map[string]string, len(meta)+1)
	for k, val := range meta {
		m[k] = val
	}
	modified, err := time.Parse(http.TimeFormat, m["Last-Modified"])
	if err != nil {
		modified = s.now().UTC().Truncate(time.Second)
		m["Last-Modified"] = modified.Format(http.TimeFormat)
	}
	s.seq++
	v := &version{id: nullVersion, seq: s.seq, marker: marker, modified: modified, meta: m, data: data, size: int64(len(data))}
	if !marker {
		sum := md5.Sum(data)
		v.hash = sum[:]
	}
	if vb.status == gofakes3.VersioningEnabled {
		v.id = newVersionID()
	}
	return v
}

// showCurrent makes s3mem, which serves listings, hold the current version
// of key. Callers hold mu.
func (s *store) showCurrent(bucket, key string, v *version) error {
	if v == nil || v.marker {
		_, err := s.mem.DeleteObject(bucket, key)
		return err
	}
	meta := make(map[string]string, len(v.meta))
	for k, val := range v.meta {
		meta[k] = val
	}
	s.restoring = v.modified
	defer func() { s.restoring = time.Time{} }()
	if _, err := s.mem.DeleteObject(bucket, key); err != nil { // so s3mem merges no old metadata in
		return err
	}
	// s3mem keeps an empty body: listings take the size and ETag from
	// the version (ListBucket), and reads never reach s3mem.
	_, err := s.mem.PutObject(bucket, key, meta, bytes.NewReader(nil), 0, nil)
	return err
}

// putVersion stores a new version of key: its body is data, or, when
// spool is set, the spooled body of size bytes with MD5 sum.
func (s *store) putVersion(vb *versionedBucket, bucket, key string, meta map[string]string, data []byte, spool *spooled, cond *gofakes3.PutConditions, origin string) (gofakes3.PutObjectResult, error) {
	var res gofakes3.PutObjectResult
	if cond != nil {
		info := &gofakes3.ConditionalObjectInfo{}
		if cur := vb.current(key); cur != nil && !cur.marker {
			info.Exists, info.Hash = true, cur.hash
		}
		if err := gofakes3.CheckPutConditions(cond, info); err != nil {
			return res, err
		}
	}
	v := s.newVersion(vb, meta, data, false)
	var body io.Reader
	if spool != nil {
		v.size, v.hash = spool.size, spool.md5
		if err := spool.rewind(); err != nil {
			return res, err
		}
		body = spool.f
	}
	in, err := s.prepareEvent(bucket, key, v.id, s.versionPath(bucket, key, v), origin, v.size, v.hash)
	if err != nil {
		return res, err
	}
	if in != nil {
		v.event = in.Seq
	}
	if err := s.writeVersion(bucket, key, v, body); err != nil {
		return res, err
	}
	if s.dir != "" {
		crashPoint("object")
	}
	s.vmu.Lock()
	vb.add(key, v)
	s.vmu.Unlock()
	if v.id != nullVersion {
		res.VersionID = gofakes3.VersionID(v.id)
	} else if err := s.dropTags(bucket, key, nullVersion); err != nil { // the null version was replaced
		return res, err
	}
	if err := s.showCurrent(bucket, key, v); err != nil {
		return res, err
	}
	return res, s.commitEvent(in)
}

func (s *store) deleteVersioned(vb *versionedBucket, bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	v := s.newVersion(vb, nil, nil, true)
	if err := s.writeVersion(bucket, key, v, nil); err != nil {
		return gofakes3.ObjectDeleteResult{}, err
	}
	s.vmu.Lock()
	vb.add(key, v)
	s.vmu.Unlock()
	if v.id == nullVersion { // a null marker replaces the null version
		if err := s.dropTags(bucket, key, nullVersion); err != nil {
			return gofakes3.ObjectDeleteResult{}, err
		}
	}
	return gofakes3.ObjectDeleteResult{IsDeleteMarker: true, VersionID: gofakes3.VersionID(v.id)}, s.showCurrent(bucket, key, v)
}

// importCurrent starts the history of a bucket whose versioning is set for
// the first time: its objects become null versions, as on S3.
func (s *store) importCurrent(bucket string) (*versionedBucket, error) {
	vb := &versionedBucket{keys: map[string][]*version{}}
	list, err := s.mem.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		return nil, err
	}
	for _, c := range list.Contents {
		s.vmu.RLock()
		disk := s.onDisk[bucket][c.Key]
		s.vmu.RUnlock()
		if disk != nil { // its body stays in its file, the null version's
			v := *disk
			v.id = nullVersion
			v.modified, _ = time.Parse(http.TimeFormat, v.meta["Last-Modified"])
			vb.keys[c.Key] = []*version{&v}
			continue
		}
		obj, err := s.mem.GetObject(bucket, c.Key, nil)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(obj.Contents)
		obj.Contents.Close()
		if err != nil {
			return nil, err
		}
		modified, _ := time.Parse(http.TimeFormat, obj.Metadata["Last-Modified"])
		vb.keys[c.Key] = []*version{{id: nullVersion, meta: obj.Metadata, data: data, size: int64(len(data)), hash: obj.Hash, modified: modified}}
	}
	return vb, nil
}

// loadVersioned restores the history of bucket from its files.
func (s *store) loadVersioned(bucket string, status gofakes3.VersioningStatus, files []string) (*versionedBucket, error) {
	vb := &versionedBucket{status: status, keys: map[string][]*version{}}
	for _, f := range files {
		rec, offset, hash, err := readVersionFile(f)
		if err != nil {
			return nil, err
		}
		v := &version{id: rec.VersionID, seq: rec.Seq, marker: rec.DeleteMarker, meta: rec.Metadata, file: f, offset: offset, size: rec.Size}
		if v.id == "" {
			v.id = nullVersion
		}
		if v.meta == nil {
			v.meta = map[string]string{}
		}
		v.modified, _ = time.Parse(http.TimeFormat, v.meta["Last-Modified"])
		if !v.marker {
			v.hash = hash
		}
		vb.keys[rec.Key] = append(vb.keys[rec.Key], v)
		s.seq = max(s.seq, v.seq)
	}
	for key, vs := range vb.keys {
		sort.Slice(vs, func(i, j int) bool { return vs[i].seq < vs[j].seq })
		if err := s.showCurrent(bucket, key, vs[len(vs)-1]); err != nil {
			return nil, fmt.Errorf("restoring %s/%s: %w", bucket, key, err)
		}
	}
	return vb, nil
}

func readVersioningStatus(path string) (gofakes3.VersioningStatus, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return gofakes3.VersioningNone, nil
	}
	if err != nil {
		return "", err
	}
	switch st := gofakes3.VersioningStatus(strings.TrimSpace(string(b))); st {
	case gofakes3.VersioningEnabled, gofakes3.VersioningSuspended:
		return st, nil
	default:
		return "", fmt.Errorf("%s: unknown versioning status %q", path, st)
	}
}

// VersioningConfiguration implements gofakes3.VersionedBackend.
func (s *store) VersioningConfiguration(bucket string) (gofakes3.VersioningConfiguration, error) {
	var cfg gofakes3.VersioningConfiguration
	if ok, _ := s.mem.BucketExists(bucket); !ok {
		return cfg, gofakes3.BucketNotFound(bucket)
	}
	s.vmu.RLock()
	defer s.vmu.RUnlock()
	if vb := s.tracked(bucket); vb != nil {
		cfg.Status = vb.status
	}
	return cfg, nil
}

// SetVersioningConfiguration implements gofakes3.VersionedBackend. As on
// S3, versioning once set can be suspended but not removed.
func (s *store) SetVersioningConfiguration(bucket string, cfg gofakes3.VersioningConfiguration) error {
	if cfg.MFADelete.Enabled() {
		return gofakes3.ErrNotImplemented
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok, _ := s.mem.BucketExists(bucket); !ok {
		return gofakes3.BucketNotFound(bucket)
	}
	if cfg.Status == gofakes3.VersioningNone {
		return nil // nothing to change
	}
	vb := s.tracked(bucket)
	if vb == nil {
		var err error
		if vb, err = s.importCurrent(bucket); err != nil {
			return err
		}
	}
	if s.dir != "" {
		if err := writeFileDurable(s.versioningPath(bucket), []byte(cfg.Status+"\n")); err != nil {
			return fmt.Errorf("persisting versioning of %s: %w", bucket, err)
		}
	}
	s.vmu.Lock()
	vb.status = cfg.Status
	s.versioned[bucket] = vb
	delete(s.onDisk, bucket) // the versions hold those bodies now
	s.vmu.Unlock()
	return nil
}

// GetObjectVersion implements gofakes3.VersionedBackend.
func (s *store) GetObjectVersion(bucket, key string, id gofakes3.VersionID, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	return s.objectVersion(bucket, key, id, rng, true)
}

// HeadObjectVersion implements gofakes3.VersionedBackend.
func (s *store) HeadObjectVersion(bucket, key string, id gofakes3.VersionID) (*gofakes3.Object, error) {
	return s.objectVersion(bucket, key, id, nil, false)
}

func (s *store) objectVersion(bucket, key string, id gofakes3.VersionID, rng *gofakes3.ObjectRangeRequest, withBody bool) (*gofakes3.Object, error) {
	if id == "" {
		if withBody {
			return s.GetObject(bucket, key, rng)
		}
		return s.HeadObject(bucket, key)
	}
	s.vmu.RLock()
	vb := s.tracked(bucket)
	if vb == nil {
		s.vmu.RUnlock()
		if ok, _ := s.mem.BucketExists(bucket); !ok {
			return nil, gofakes3.BucketNotFound(bucket)
		}
		if normalizeVersionID(id) != nullVersion {
			return nil, gofakes3.ErrNoSuchVersion
		}
		if withBody { // every object of an unversioned bucket is its null version
			return s.GetObject(bucket, key, rng)
		}
		return s.HeadObject(bucket, key)
	}
	defer s.vmu.RUnlock()
	_, v := vb.find(key, normalizeVersionID(id))
	if v == nil {
		return nil, gofakes3.ErrNoSuchVersion
	}
	return v.object(key, rng, withBody)
}

// DeleteObjectVersion implements gofakes3.VersionedBackend: it removes one
// version for good, and the previous one, if any, becomes current.
func (s *store) DeleteObjectVersion(bucket, key string, id gofakes3.VersionID) (gofakes3.ObjectDeleteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteObjectVersion(bucket, key, normalizeVersionID(id))
}

func (s *store) deleteObjectVersion(bucket, key, id string) (gofakes3.ObjectDeleteResult, error) {
	var res gofakes3.ObjectDeleteResult
	if ok, _ := s.mem.BucketExists(bucket); !ok {
		return res, gofakes3.BucketNotFound(bucket)
	}
	vb := s.tracked(bucket)
	if vb == nil {
		if id == nullVersion {
			return s.deleteObject(bucket, key)
		}
		return res, nil
	}
	i, v := vb.find(key, id)
	if v == nil {
		return res, nil // S3 does not report a missing version
	}
	if s.dir != "" {
		if err := os.Remove(s.versionPath(bucket, key, v)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("deleting %s/%s version %s: %w", bucket, key, id, err)
		}
	}
	if err := s.dropTags(bucket, key, id); err != nil {
		return res, err
	}
	old := vb.keys[key]
	vs := append(append([]*version(nil), old[:i]...), old[i+1:]...)
	s.vmu.Lock()
	if len(vs) == 0 {
		delete(vb.keys, key)
	} else {
		vb.keys[key] = vs
	}
	s.vmu.Unlock()
	res.VersionID, res.IsDeleteMarker = gofakes3.VersionID(v.id), v.marker
	if i == len(old)-1 {
		return res, s.showCurrent(bucket, key, vb.current(key))
	}
	return res, nil
}

// DeleteMultiVersions implements gofakes3.VersionedBackend.
func (s *store) DeleteMultiVersions(bucket string, objects ...gofakes3.ObjectID) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok, _ := s.mem.BucketExists(bucket); !ok {
		return res, gofakes3.BucketNotFound(bucket)
	}
	for _, o := range objects {
		var err error
		if o.VersionID == "" {
			_, err = s.deleteObject(bucket, o.Key)
		} else {
			_, err = s.deleteObjectVersion(bucket, o.Key, normalizeVersionID(gofakes3.VersionID(o.VersionID)))
		}
		if err != nil {
			res.Error = append(res.Error, gofakes3.ErrorResultFromError(err))
			continue
		}
		res.Deleted = append(res.Deleted, o)
	}
	return res, nil
}

// listed is one row of ListObjectVersions.
type listed struct {
	id       string
	marker   bool
	latest   bool
	modified time.Time
	size     int64
	etag     string
}

// ListBucketVersions implements gofakes3.VersionedBackend. Versions of a key
// are listed newest first, as on S3; in a bucket never versioned every
// object is its null version.
func (s *store) ListBucketVersions(bucket string, prefix *gofakes3.Prefix, page *gofakes3.ListBucketVersionsPage) (*gofakes3.ListBucketVersionsResult, error) {
	if prefix == nil {
		prefix = &gofakes3.Prefix{}
	}
	if page == nil {
		page = &gofakes3.ListBucketVersionsPage{}
	}
	rows := map[string][]listed{}
	s.vmu.RLock()
	vb := s.tracked(bucket)
	if vb != nil {
		for key, vs := range vb.keys {
			for i := len(vs) - 1; i >= 0; i-- {
				v := vs[i]
				l := listed{id: v.id, marker: v.marker, latest: i == len(vs)-1, modified: v.modified, size: v.size}
				if !v.marker {
					l.etag = gofakes3.FormatETag(v.hash)
				}
				rows[key] = append(rows[key], l)
			}
		}
	}
	s.vmu.RUnlock()
	if vb == nil {
		list, err := s.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
		if err != nil {
			return nil, err
		}
		for _, c := range list.Contents {
			rows[c.Key] = []listed{{id: nullVersion, latest: true, modified: c.LastModified.Time, size: c.Size, etag: c.ETag}}
		}
	}

	res := gofakes3.NewListBucketVersionsResult(bucket, prefix, page)
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var match gofakes3.PrefixMatch
	var n int64
	full := func() bool { return page.MaxKeys > 0 && n >= page.MaxKeys }
	for _, key := range keys {
		if page.KeyMarker != "" && (key < page.KeyMarker || key == page.KeyMarker && page.VersionIDMarker == "") {
			continue
		}
		if !prefix.Match(key, &match) {
			continue
		}
		if match.CommonPrefix {
			if match.MatchedPart == page.KeyMarker || len(res.CommonPrefixes) > 0 && res.CommonPrefixes[len(res.CommonPrefixes)-1].Prefix == match.MatchedPart {
				continue // listed already, on this page or the last
			}
			if full() {
				res.IsTruncated = true
				return res, nil
			}
			res.AddPrefix(match.MatchedPart)
			n++
			res.NextKeyMarker, res.NextVersionIDMarker = match.MatchedPart, ""
			continue
		}
		skipping := key == page.KeyMarker // resume after the version-id marker
		for _, l := range rows[key] {
			if skipping {
				skipping = l.id != string(page.VersionIDMarker)
				continue
			}
			if full() {
				res.IsTruncated = true
				return res, nil
			}
			if l.marker {
				res.Versions = append(res.Versions, &gofakes3.DeleteMarker{Key: key, VersionID: gofakes3.VersionID(l.id), IsLatest: l.latest, LastModified: gofakes3.NewContentTime(l.modified)})
			} else {
				res.Versions = append(res.Versions, &gofakes3.Version{Key: key, VersionID: gofakes3.VersionID(l.id), IsLatest: l.latest, LastModified: gofakes3.NewContentTime(l.modified), Size: l.size, ETag: l.etag})
			}
			n++
			res.NextKeyMarker, res.NextVersionIDMarker = key, gofakes3.VersionID(l.id)
		}
	}
	res.NextKeyMarker, res.NextVersionIDMarker = "", ""
	return res, nil
}
