package s3

import "net/http"

// recorder adapts gofakes3's responses: it drops gofakes3's blanket CORS
// headers in favour of the bucket's rules and turns internal metadata back
// into S3 headers.
type recorder struct {
	w            http.ResponseWriter
	cors         http.Header
	checksumMode bool
	noBody       bool // a HEAD served as a GET

	wrote bool
}

func (rec *recorder) Header() http.Header {
	return rec.w.Header()
}

func (rec *recorder) WriteHeader(status int) {
	if rec.wrote {
		return
	}
	rec.wrote = true
	h := rec.Header()
	fixResponseHeaders(h, rec.cors, rec.checksumMode && status == http.StatusOK)
	rec.w.WriteHeader(status)
}

func (rec *recorder) Write(p []byte) (int, error) {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	if rec.noBody {
		return len(p), nil
	}
	return rec.w.Write(p)
}

// finish settles the status of a response that wrote nothing.
func (rec *recorder) finish() {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
}
