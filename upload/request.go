package upload

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// RequestError refuses an upload request before anything is stored. Its
// codes are the converter's where they mean the same thing, so a user sees
// one vocabulary whether the browser, the grant or the pipeline says no.
type RequestError struct {
	Code    string
	Message string
}

func (e *RequestError) Error() string { return e.Code + ": " + e.Message }

// Limits are what the server accepts; the browser checks the same values
// (from config.json) before asking.
type Limits struct {
	MaxBytes int64
	Types    []string
}

// Request is what a client asks to upload.
type Request struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
}

// maxNameBytes matches common file system limits; the name is only shown.
const maxNameBytes = 255

// Check refuses requests the pipeline would refuse anyway, so the user
// hears about them before uploading a byte.
func (l Limits) Check(r Request) error {
	switch {
	case r.Name == "" || len(r.Name) > maxNameBytes || !utf8.ValidString(r.Name) || strings.ContainsRune(r.Name, 0):
		return &RequestError{"InvalidRequest", fmt.Sprintf("name must be 1 to %d bytes of text.", maxNameBytes)}
	case r.Size < 0:
		return &RequestError{"InvalidRequest", "size must be the file's size in bytes."}
	case r.Size == 0:
		return &RequestError{"EmptyFile", fmt.Sprintf("%q is empty. Choose an image file.", r.Name)}
	case r.Size > l.MaxBytes:
		return &RequestError{"FileTooLarge", fmt.Sprintf("%q is %s; the limit is %s. Choose a smaller image.", r.Name, HumanBytes(r.Size), HumanBytes(l.MaxBytes))}
	case !slices.Contains(l.Types, r.Type):
		return &RequestError{"UnsupportedFormat", fmt.Sprintf("%q has type %q, which is not supported. Choose one of: %s.", r.Name, r.Type, strings.Join(l.Types, ", "))}
	}
	return nil
}

// HumanBytes renders n for people: "25 MB", "31.2 MB", "512 bytes".
func HumanBytes(n int64) string {
	const mb = 1 << 20
	switch {
	case n >= mb:
		s := fmt.Sprintf("%.1f", float64(n)/mb)
		return strings.TrimSuffix(s, ".0") + " MB"
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Grant is everything a client may do with one upload: post the original,
// watch its status, download its renditions. It is the client's session;
// the server keeps no session of its own.
type Grant struct {
	UploadID   string    `json:"uploadId"`
	Token      string    `json:"token"`
	WatchUntil time.Time `json:"watchUntil"`
	Upload     PostForm  `json:"upload"`
	Links      Links     `json:"links"`
}

// PostForm is a presigned browser POST.
type PostForm struct {
	URL       string            `json:"url"`
	Fields    map[string]string `json:"fields"`
	ExpiresAt time.Time         `json:"expiresAt"`
}

// Links are presigned GETs for the status record and each rendition.
type Links struct {
	Status     string            `json:"status"`
	Renditions map[string]string `json:"renditions"`
	ExpiresAt  time.Time         `json:"expiresAt"`
}
