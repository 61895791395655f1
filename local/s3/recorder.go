package s3

import (
	"bytes"
	"net/http"
)

// recorder adapts gofakes3's responses: it drops gofakes3's blanket CORS
// headers in favour of the bucket's rules, turns internal metadata back into
// S3 headers, and can hold the response until an event is recorded.
type recorder struct {
	w            http.ResponseWriter
	cors         http.Header
	checksumMode bool
	buffer       bool
	noBody       bool // a HEAD served as a GET

	hdr    http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header {
	if rec.buffer {
		if rec.hdr == nil {
			rec.hdr = rec.w.Header().Clone()
		}
		return rec.hdr
	}
	return rec.w.Header()
}

func (rec *recorder) WriteHeader(status int) {
	if rec.wrote {
		return
	}
	rec.wrote = true
	rec.status = status
	h := rec.Header()
	fixResponseHeaders(h, rec.cors, rec.checksumMode && status == http.StatusOK)
	if !rec.buffer {
		rec.w.WriteHeader(status)
	}
}

func (rec *recorder) Write(p []byte) (int, error) {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	if rec.noBody {
		return len(p), nil
	}
	if rec.buffer {
		return rec.body.Write(p)
	}
	return rec.w.Write(p)
}

// finish settles the status of a response that wrote nothing.
func (rec *recorder) finish() {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
}

// flush sends a buffered response.
func (rec *recorder) flush() {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	dst := rec.w.Header()
	for k := range dst {
		delete(dst, k)
	}
	for k, v := range rec.hdr {
		dst[k] = v
	}
	rec.w.WriteHeader(rec.status)
	rec.w.Write(rec.body.Bytes())
}
