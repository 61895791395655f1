package s3

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/johannesboyne/gofakes3"
)

// Put/Get/DeleteObjectTagging. Tags belong to one version of an object
// ("null" in a bucket never versioned): a new version starts untagged,
// and tags go with the version they belong to. The store drops them
// wherever it replaces or removes a version (store.go, versions.go).
// On disk the tags of a key are <sha256(key)>.tags next to its object
// file, so they survive a restart.

// S3's limits on object tags.
const (
	maxObjectTags   = 10
	maxTagKeyLen    = 128
	maxTagValueLen  = 256
	reservedTagsPfx = "aws:"
)

// keyTags are the tags of the versions of one key, by version id.
type keyTags map[string][]Tag

type tagsFile struct {
	Key      string  `json:"key"`
	Versions keyTags `json:"versions"`
}

type taggingXML struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  *struct {
		Tags []Tag `xml:"Tag"`
	} `xml:"TagSet"`
}

func invalidTag(msg string) *s3Error {
	return &s3Error{http.StatusBadRequest, "InvalidTag", msg}
}

// validTagChars reports whether s holds only what S3 allows in tags:
// letters, digits, white space and + - = . _ : / @.
func validTagChars(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) && !strings.ContainsRune("+-=._:/@", r) {
			return false
		}
	}
	return true
}

// validateTags applies S3's limits to a tag set.
func validateTags(tags []Tag) *s3Error {
	if len(tags) > maxObjectTags {
		return invalidTag(fmt.Sprintf("Object tags cannot be greater than %d", maxObjectTags))
	}
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case utf8.RuneCountInString(t.Key) > maxTagKeyLen:
			return invalidTag(fmt.Sprintf("The TagKey you have provided is too long, max %d", maxTagKeyLen))
		case utf8.RuneCountInString(t.Value) > maxTagValueLen:
			return invalidTag(fmt.Sprintf("The TagValue you have provided is too long, max %d", maxTagValueLen))
		case t.Key == "" || !validTagChars(t.Key):
			return invalidTag("The TagKey you have provided is invalid")
		case !validTagChars(t.Value):
			return invalidTag("The TagValue you have provided is invalid")
		case strings.HasPrefix(strings.ToLower(t.Key), reservedTagsPfx):
			return invalidTag("Your TagKey cannot be prefixed with aws:")
		case seen[t.Key]:
			return invalidTag("Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
	}
	return nil
}

func (s *store) tagsPath(bucket, key string) string {
	return strings.TrimSuffix(s.objectPath(bucket, key), ".obj") + ".tags"
}

// loadTags reads the tag files among a bucket's files.
func (s *store) loadTags(bucket string, files []os.DirEntry) error {
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".tags") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.bucketDir(bucket), f.Name()))
		if err != nil {
			return fmt.Errorf("reading tags in bucket %q: %w", bucket, err)
		}
		var tf tagsFile
		if err := json.Unmarshal(b, &tf); err != nil {
			return fmt.Errorf("reading tags file %s in bucket %q: %w", f.Name(), bucket, err)
		}
		if s.tags[bucket] == nil {
			s.tags[bucket] = map[string]keyTags{}
		}
		s.tags[bucket][tf.Key] = tf.Versions
	}
	return nil
}

// objectTags returns the tags of one version of key.
func (s *store) objectTags(bucket, key, version string) []Tag {
	s.tmu.RLock()
	defer s.tmu.RUnlock()
	return s.tags[bucket][key][version]
}

// writeTags makes kt the tags of key, on disk first. Callers hold mu.
func (s *store) writeTags(bucket, key string, kt keyTags) error {
	if s.dir != "" {
		var err error
		if len(kt) == 0 {
			err = os.Remove(s.tagsPath(bucket, key))
			if errors.Is(err, os.ErrNotExist) {
				err = nil
			}
		} else {
			var b []byte
			if b, err = json.Marshal(tagsFile{Key: key, Versions: kt}); err == nil {
				err = writeFileDurable(s.tagsPath(bucket, key), b)
			}
		}
		if err != nil {
			return fmt.Errorf("persisting tags of %s/%s: %w", bucket, key, err)
		}
	}
	s.tmu.Lock()
	defer s.tmu.Unlock()
	if len(kt) == 0 {
		delete(s.tags[bucket], key)
		return nil
	}
	if s.tags[bucket] == nil {
		s.tags[bucket] = map[string]keyTags{}
	}
	s.tags[bucket][key] = kt
	return nil
}

// setTags replaces the tags of one version of key; nil removes them.
// Callers hold mu.
func (s *store) setTags(bucket, key, version string, tags []Tag) error {
	s.tmu.RLock()
	old := s.tags[bucket][key]
	s.tmu.RUnlock()
	if len(tags) == 0 && len(old[version]) == 0 {
		return nil // the common case of every PUT: nothing to drop
	}
	kt := make(keyTags, len(old)+1)
	for v, t := range old {
		kt[v] = t
	}
	if len(tags) == 0 {
		delete(kt, version)
	} else {
		kt[version] = tags
	}
	return s.writeTags(bucket, key, kt)
}

// dropTags removes the tags of a version that was replaced or removed.
// Callers hold mu.
func (s *store) dropTags(bucket, key, version string) error {
	return s.setTags(bucket, key, version, nil)
}

// taggedVersion resolves the version a tagging request addresses: id, or
// the current version when id is empty. It returns the version id the
// tags are kept under and whether the bucket is versioned. Callers hold mu.
func (s *store) taggedVersion(bucket, key, id string) (string, bool, error) {
	if ok, _ := s.mem.BucketExists(bucket); !ok {
		return "", false, gofakes3.BucketNotFound(bucket)
	}
	if id == nullVersionQuery {
		id = nullVersion
	}
	vb := s.tracked(bucket)
	if vb == nil {
		if id != "" && id != nullVersion {
			return "", false, gofakes3.ErrNoSuchVersion
		}
		if _, err := s.mem.HeadObject(bucket, key); err != nil {
			return "", false, err
		}
		return nullVersion, false, nil
	}
	var v *version
	if id == "" {
		if v = vb.current(key); v == nil || v.marker {
			return "", true, gofakes3.KeyNotFound(key)
		}
	} else if _, v = vb.find(key, id); v == nil {
		return "", true, gofakes3.ErrNoSuchVersion
	}
	if v.marker {
		return "", true, &s3Error{http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."}
	}
	return v.id, true, nil
}

// tagObject sets (or with nil removes) the tags of the addressed version
// and returns the version id to report, "" in a bucket never versioned.
func (s *store) tagObject(bucket, key, id string, tags []Tag) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, versioned, err := s.taggedVersion(bucket, key, id)
	if err != nil {
		return "", err
	}
	if err := s.setTags(bucket, key, v, tags); err != nil {
		return "", err
	}
	if !versioned {
		v = ""
	}
	return v, nil
}

func (s *Server) putObjectTagging(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	var doc taggingXML
	if err := readXML(r, &doc); err != nil {
		return err
	}
	if doc.TagSet == nil {
		return errMalformedXML
	}
	if e := validateTags(doc.TagSet.Tags); e != nil {
		return e
	}
	v, err := s.store.tagObject(bucket, key, r.URL.Query().Get("versionId"), doc.TagSet.Tags)
	if err != nil {
		return err
	}
	if v != "" {
		w.Header().Set("X-Amz-Version-Id", v)
	}
	writeOK(w)
	return nil
}

func (s *Server) getObjectTagging(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	s.store.mu.Lock() // so the version cannot go between resolving it and reading its tags
	v, versioned, err := s.store.taggedVersion(bucket, key, r.URL.Query().Get("versionId"))
	var tags []Tag
	if err == nil {
		tags = s.store.objectTags(bucket, key, v)
	}
	s.store.mu.Unlock()
	if err != nil {
		return err
	}
	if versioned {
		w.Header().Set("X-Amz-Version-Id", v)
	}
	doc := taggingXML{Xmlns: s3XMLNS}
	doc.TagSet = &struct {
		Tags []Tag `xml:"Tag"`
	}{tags}
	writeXML(w, doc)
	return nil
}

func (s *Server) deleteObjectTagging(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	v, err := s.store.tagObject(bucket, key, r.URL.Query().Get("versionId"), nil)
	if err != nil {
		return err
	}
	if v != "" {
		w.Header().Set("X-Amz-Version-Id", v)
	}
	writeNoContent(w)
	return nil
}
