package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"

	_ "image/jpeg"
)

// The fake cloud's S3 side: the presigned POST, checked as S3 checks it
// against the grant, the conversion it then plays, and the renditions.

func (f *fakeCloud) servePost(w http.ResponseWriter, r *http.Request) {
	// The page is on another origin and XHR upload progress makes the POST
	// preflighted: S3 answers CORS for it, so the fake must too.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "*")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		s3Refuse(w, "InvalidArgument", err.Error())
		return
	}
	var post fakePost
	fields := map[string]string{}
	var file []byte
	seenFile := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			s3Refuse(w, "InvalidArgument", err.Error())
			return
		}
		data, _ := io.ReadAll(part)
		name := part.FormName()
		switch {
		case name == "file":
			seenFile = true
			file = data
			post.fileBytes = len(data)
		case seenFile:
			post.fieldsAfterFile = append(post.fieldsAfterFile, name)
		default:
			post.fieldsBeforeFile = append(post.fieldsBeforeFile, name)
			fields[name] = string(data)
		}
	}
	post.contentType = fields["Content-Type"]
	f.mu.Lock()
	f.posts = append(f.posts, post)
	u := f.uploads[strings.TrimPrefix(fields["key"], "uploads/")]
	refuse := f.refuse
	f.mu.Unlock()
	switch {
	case refuse != "":
		s3Refuse(w, refuse, "refused by the test")
		return
	case u == nil:
		s3Refuse(w, "AccessDenied", "no such grant")
		return
	case post.contentType != u.typ:
		s3Refuse(w, "AccessDenied", "Content-Type does not match the policy")
		return
	case int64(len(file)) > u.size:
		s3Refuse(w, "EntityTooLarge", "too large")
		return
	case int64(len(file)) < u.size:
		s3Refuse(w, "EntityTooSmall", "too small")
		return
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(file)); err == nil {
		u.width, u.height = cfg.Width, cfg.Height
	}
	w.WriteHeader(http.StatusNoContent)
	go f.convert(u)
}

func s3Refuse(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, "<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}

// convert plays the pipeline's status sequence for u.
func (f *fakeCloud) convert(u *fakeUpload) {
	f.push(u, "uploaded", nil)
	f.push(u, "converting", nil)
	f.mu.Lock()
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if u.width == 0 {
		f.push(u, "failed", map[string]any{"error": map[string]any{
			"code":    "CorruptImage",
			"message": "The file is not a valid image (it looks like text). Choose a JPEG, PNG, GIF, BMP, TIFF or WebP image.",
		}})
		return
	}
	var rends []any
	for _, r := range []struct {
		name string
		box  int
	}{{"thumb", 320}, {"preview", 1024}} {
		w, h := fit(u.width, u.height, r.box)
		rends = append(rends, map[string]any{"name": r.name, "width": w, "height": h,
			"contentType": "image/png", "bytes": 1234, "key": "renditions/" + u.id + "/" + r.name})
	}
	f.push(u, "succeeded", map[string]any{"renditions": rends})
}

func fit(w, h, box int) (int, int) {
	if w <= box && h <= box {
		return w, h
	}
	if w >= h {
		return box, max(1, h*box/w)
	}
	return max(1, w*box/h), box
}

func (f *fakeCloud) serveRendition(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	u := f.uploads[r.PathValue("id")]
	var rec map[string]any
	if u != nil {
		rec = u.record
	}
	f.mu.Unlock()
	if rec == nil || rec["state"] != "succeeded" {
		http.NotFound(w, r)
		return
	}
	for _, x := range rec["renditions"].([]any) {
		rd := x.(map[string]any)
		if rd["name"] != r.PathValue("name") {
			continue
		}
		img := image.NewRGBA(image.Rect(0, 0, rd["width"].(int), rd["height"].(int)))
		for y := range img.Bounds().Dy() {
			for x := range img.Bounds().Dx() {
				img.Set(x, y, color.RGBA{uint8(x), uint8(y), 160, 255})
			}
		}
		w.Header().Set("Content-Type", "image/png")
		png.Encode(w, img)
		return
	}
	http.NotFound(w, r)
}

func (f *fakeCloud) postsSeen() []fakePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakePost(nil), f.posts...)
}
