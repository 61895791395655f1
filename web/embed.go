// Package web is the browser client's files and their embedding: the
// upload page (index.html, style.css, js/), written only from
// docs/protocol.md, that uploads images and watches their conversion live,
// and the operator page (ops.html, js/ops*.js), which reads the JSON that
// package ops serves. It holds no AWS code: Handler serves the files and
// the page's config.json, nothing else.
//
// The pages are plain HTML, CSS and ES modules embedded in the binary, so
// `thumbflow dev` serves them without a build step and a deployed stack can
// copy the same files next to a config.json of its own.
package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Static holds the page's files (index.html, style.css, js/…) at its root.
// A deployment copies them verbatim and writes config.json next to them.
var Static fs.FS = mustSub(static, "static")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(fmt.Sprintf("web: embedded %s missing: %v", dir, err))
	}
	return sub
}

// Config is what the page needs from the server before it can do anything:
// where the WebSocket is and the limits the server enforces, so that a file
// the server would refuse is refused at once, without a round trip.
// It is served as GET /config.json with the field names of docs/protocol.md.
type Config struct {
	WebsocketURL string      `json:"websocketUrl"`
	MaxBytes     int64       `json:"maxBytes"`
	Types        []string    `json:"types"`
	Renditions   []Rendition `json:"renditions"`
	// HeartbeatSeconds is how often the page pings the server while it is
	// idle, so a dead server shows as "Reconnecting…" without the user
	// acting. Zero leaves the page's default (25 s).
	HeartbeatSeconds int `json:"heartbeatSeconds,omitempty"`
	// S3Origins are the S3 endpoints the grants presign (the POST, the
	// status and rendition links), which the page's Content-Security-Policy
	// lets it connect to and show images from. Not sent to the page.
	S3Origins []string `json:"-"`
}

// Rendition names one output size the pipeline produces, so the page can
// list the downloads it will offer.
type Rendition struct {
	Name   string `json:"name"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Handler serves the page and GET /config.json built from cfg.
//
// config.json is sent with Cache-Control: no-store because it changes with
// every `thumbflow dev -addr` and every deployment; the static files are
// sent with no-cache so an edited page is picked up on reload while still
// allowing conditional requests.
func Handler(cfg Config) http.Handler {
	if cfg.Types == nil {
		cfg.Types = []string{}
	}
	if cfg.Renditions == nil {
		cfg.Renditions = []Rendition{}
	}
	body, err := json.Marshal(cfg)
	if err != nil {
		// Config holds only strings, numbers and slices of them.
		panic(fmt.Sprintf("web: encoding config: %v", err))
	}
	files := http.FileServerFS(Static)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.Write(body)
	})
	csp := cfg.policy()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		SetSecurityHeaders(h, csp)
		files.ServeHTTP(w, r)
	})
	return mux
}
