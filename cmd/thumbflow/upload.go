package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"thumbflow/client"
	"thumbflow/upload"
)

func init() {
	commands["upload"] = command{summary: "upload images through the WebSocket API and watch them convert, as the web page does", run: runUpload}
}

// uploadOptions are upload's flags.
type uploadOptions struct {
	ws, stack, out, data string
	json                 bool
	parallel             int
	timeout              time.Duration
}

func runUpload(ctx context.Context, args []string) error {
	fs := newFlagSet("upload", "[-ws URL | -stack NAME] [-o DIR] [-json] FILE|DIR...",
		`Uploads each file as the web page does (a grant over the WebSocket, the presigned
POST, then the pushed status) and shows each one's progress and outcome. On a
terminal: a line per file; otherwise, or with -json, one JSON line per state
change and a summary line. Without -ws or -stack it uploads to the running
thumbflow dev: the one recorded in the data directory, else ws://127.0.0.1:4566/prod.
Exits 1 if any file failed, 130 when interrupted.`)
	var o uploadOptions
	fs.StringVar(&o.ws, "ws", envOr("THUMBFLOW_WS", ""), "the WebSocket API's URL (env THUMBFLOW_WS)")
	fs.StringVar(&o.stack, "stack", "", "a deployed stack's name: its WebSocketURL output is used (AWS credentials needed)")
	fs.StringVar(&o.out, "o", "", "download the renditions into this directory (NAME.RENDITION.jpg)")
	fs.BoolVar(&o.json, "json", false, "one JSON line per state change, even on a terminal")
	fs.StringVar(&o.data, "data", devDataDir(), "the data directory of the thumbflow dev to find (env THUMBFLOW_DATA)")
	fs.IntVar(&o.parallel, "parallel", 4, "files uploaded at once")
	timeout := fs.String("timeout", "15m", "give up on a file whose conversion has not ended after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	if o.ws != "" && o.stack != "" {
		fmt.Fprintln(stderr, "thumbflow upload: give -ws or -stack, not both")
		return errUsage
	}
	var err error
	if o.timeout, err = parseDuration(*timeout); err != nil || o.timeout <= 0 || o.parallel < 1 {
		fmt.Fprintln(stderr, "thumbflow upload: -timeout must be a duration such as 15m, and -parallel at least 1")
		return errUsage
	}
	files, err := expandInputs(fs.Args())
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no files to upload in %s", strings.Join(fs.Args(), ", "))
	}
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return fmt.Errorf("create output directory: %w", err)
		}
	}
	target, err := findTarget(ctx, o.ws, o.stack, o.data)
	if err != nil {
		return err
	}
	cl, err := dialTarget(ctx, target)
	if err != nil {
		return err
	}
	defer cl.CloseNow()

	view := newUploadView(stdout, o.json || !isTerminal(stdout), files)
	u := &uploader{cl: cl, view: view, opts: o, used: map[string]bool{}}
	// Files start in the order given, o.parallel at a time.
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range files {
			select {
			case next <- i:
			case <-ctx.Done():
				for ; i < len(files); i++ {
					view.update(i, func(f *fileState) { f.State = fileCancelled })
				}
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range min(o.parallel, len(files)) {
		wg.Go(func() {
			for i := range next {
				u.one(ctx, i, files[i])
			}
		})
	}
	wg.Wait()
	sum := view.finish()
	switch {
	case ctx.Err() != nil:
		return errInterrupted
	case sum.Failed > 0 || sum.Cancelled > 0:
		return errReported
	}
	return nil
}

// dialTarget connects to the target, or to its fallback, and says how to
// get a WebSocket API when neither answers.
func dialTarget(ctx context.Context, t uploadTarget) (*client.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl, err := client.Dial(dctx, t.url)
	if err != nil && t.fallback != "" {
		if cl, ferr := client.Dial(dctx, t.fallback); ferr == nil {
			return cl, nil
		}
	}
	if err != nil {
		return nil, advised{fmt.Errorf("no WebSocket API answers at %s (%s): start thumbflow dev, or pass -ws URL or -stack NAME: %w", t.url, t.source, err)}
	}
	return cl, nil
}

// uploader uploads files over one socket, as one browser tab does.
type uploader struct {
	cl   *client.Client
	view *uploadView
	opts uploadOptions

	mu   sync.Mutex
	used map[string]bool // output base names taken, as convert's
}

// one uploads file i and follows it to its end. Every way out leaves the
// file's state final: succeeded, failed (with a code and a message) or
// cancelled.
func (u *uploader) one(ctx context.Context, i int, path string) {
	fail := func(code, msg string) {
		if ctx.Err() != nil {
			u.view.update(i, func(f *fileState) { f.State = fileCancelled })
			return
		}
		u.view.update(i, func(f *fileState) {
			f.State, f.Error = string(upload.StateFailed), &upload.Failure{Code: code, Message: msg}
		})
	}
	u.view.update(i, func(f *fileState) { f.Began = time.Now() })
	file, err := os.Open(path)
	if err != nil {
		fail("ReadError", err.Error())
		return
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		fail("ReadError", fmt.Sprintf("%s is not a regular file", path))
		return
	}
	// Too many grants from this address: wait as told, then ask again, for
	// as long as the command runs (docs/cli.md).
	waiting := func(w client.GrantWait) {
		u.view.update(i, func(f *fileState) { f.State, f.Wait, f.Waits = fileWaiting, w.For, f.Waits+1 })
	}
	g, err := u.cl.GrantWhenAllowed(ctx, filepath.Base(path), contentTypeOf(path, file), fi.Size(), waiting)
	if perr, ok := errors.AsType[*client.ProtocolError](err); ok {
		fail(perr.Code, perr.Message)
		return
	} else if err != nil {
		fail("ConnectionLost", err.Error())
		return
	}
	u.view.update(i, func(f *fileState) { f.UploadID, f.State, f.Size = g.UploadID, fileUploading, fi.Size() })
	if err := u.post(ctx, i, g, file, fi.Size()); err != nil {
		if s3err, ok := errors.AsType[*client.S3Error](err); ok {
			fail(s3err.Code, "the upload was refused: "+s3err.Message)
		} else {
			fail("UploadFailed", err.Error())
		}
		return
	}
	u.view.update(i, func(f *fileState) { f.Sent, f.State = fi.Size(), string(upload.StateUploaded) })
	rec, err := u.watch(ctx, i, g.UploadID)
	if err != nil {
		fail("NoStatus", err.Error())
		return
	}
	if rec.State == upload.StateSucceeded && u.opts.out != "" {
		u.view.update(i, func(f *fileState) { f.State = fileDownloading })
		paths, err := u.download(ctx, path, g, rec.Renditions)
		if err != nil {
			fail("DownloadError", err.Error())
			return
		}
		u.view.update(i, func(f *fileState) { f.Paths = paths })
	}
	u.view.update(i, func(f *fileState) {
		f.State, f.Attempt, f.Renditions, f.Error = string(rec.State), rec.Attempt, rec.Renditions, rec.Error
	})
}

// post sends the file, three times at most: S3 may ask a client to slow
// down (503), and a client that retries is what makes `-faults s3:503`
// harmless for it, as it is for the SDK's clients.
func (u *uploader) post(ctx context.Context, i int, g upload.Grant, file *os.File, size int64) error {
	progress := func(sent int64) { u.view.update(i, func(f *fileState) { f.Sent = sent }) }
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if _, serr := file.Seek(0, io.SeekStart); serr != nil {
			return serr
		}
		err = client.PostFile(ctx, nil, g, filepath.Base(file.Name()), file, size, progress)
		if !client.Retryable(ctx, err) {
			return err
		}
		select {
		case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

// watch follows the upload's records, newest version first, until one is
// terminal, showing each change.
func (u *uploader) watch(ctx context.Context, i int, id string) (upload.Record, error) {
	wctx, cancel := context.WithTimeout(ctx, u.opts.timeout)
	defer cancel()
	version := 0
	for {
		recs, err := u.cl.Next(wctx, id, version)
		if err != nil {
			return upload.Record{}, err
		}
		last := recs[len(recs)-1]
		version = last.Version
		for _, rec := range recs[:len(recs)-1] {
			u.view.update(i, func(f *fileState) { f.State, f.Attempt = string(rec.State), rec.Attempt })
		}
		if last.State.Terminal() {
			return last, nil
		}
		u.view.update(i, func(f *fileState) { f.State, f.Attempt = string(last.State), last.Attempt })
	}
}

// download saves every rendition of a succeeded upload into -o.
func (u *uploader) download(ctx context.Context, path string, g upload.Grant, rs []upload.Rendition) (map[string]string, error) {
	links := g.Links
	if time.Until(links.ExpiresAt) < time.Minute {
		var err error
		if links, err = u.cl.Links(ctx, g.UploadID, g.Token); err != nil {
			return nil, fmt.Errorf("fresh download links: %w", err)
		}
	}
	u.mu.Lock()
	base := outputBase(path, u.used)
	u.mu.Unlock()
	paths := map[string]string{}
	for _, r := range rs {
		url, ok := links.Renditions[r.Name]
		if !ok {
			return nil, fmt.Errorf("no download link for rendition %s", r.Name)
		}
		ext := ".jpg"
		if r.ContentType == "image/png" {
			ext = ".png"
		}
		dst := filepath.Join(u.opts.out, base+"."+r.Name+ext)
		if err := fetchTo(ctx, url, dst); err != nil {
			return nil, fmt.Errorf("rendition %s: %w", r.Name, err)
		}
		paths[r.Name] = dst
	}
	return paths, nil
}

// fetchTo downloads url into the file dst.
func fetchTo(ctx context.Context, url, dst string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET answered %s", resp.Status)
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// contentTypeOf is the type a browser would declare for the file: from its
// extension, as a file input does, else from its first bytes. The server
// checks the declaration against the bytes, so a mislabelled file fails
// there, with the message a user of the web page would see.
func contentTypeOf(path string, f *os.File) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".gif":
		return "image/gif"
	case ".bmp":
		return "image/bmp"
	case ".tif", ".tiff":
		return "image/tiff"
	case ".webp":
		return "image/webp"
	}
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	return http.DetectContentType(head[:n])
}
