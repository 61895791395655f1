package upload

import "fmt"

// Object is an original as the storage announced it: where it is and which
// version of it was written.
type Object struct {
	Bucket string
	Key    string
	Size   int64
	// ETag and VersionID identify the object the event announced; the
	// version id is empty where the bucket is not versioned.
	ETag      string
	VersionID string
}

// Job is the execution input: everything the workflow needs about the
// original, so no step has to guess a key.
type Job struct {
	UploadID    string `json:"uploadId"`
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	ContentType string `json:"contentType"`
	ETag        string `json:"eTag"`
	VersionID   string `json:"versionId"`
}

// Object returns the original the job converts.
func (j Job) Object() Object {
	return Object{Bucket: j.Bucket, Key: j.Key, Size: j.Size, ETag: j.ETag, VersionID: j.VersionID}
}

// check refuses a job that the start function would never have built. It
// names the upload's original key, derived from the id, so a hand-made
// execution cannot point the converter at any other object.
func (j Job) check() error {
	if !ValidID(j.UploadID) {
		return &InvalidTaskInput{Reason: fmt.Sprintf("upload id %q is not valid", j.UploadID)}
	}
	if j.Key != OriginalKey(j.UploadID) {
		return &InvalidTaskInput{Reason: fmt.Sprintf("key %q is not the original of upload %s", j.Key, j.UploadID)}
	}
	return nil
}
