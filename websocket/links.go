package websocket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/upload"
)

// LinksMessage answers "links": fresh presigned GETs whose rendition links
// make the browser save the file under a name derived from the original's.
type LinksMessage struct {
	Type      string       `json:"type"`
	RequestID string       `json:"requestId,omitempty"`
	UploadID  string       `json:"uploadId"`
	Links     upload.Links `json:"links"`
}

// linksAction answers the "links" action. The grant's and subscribe's links
// stay inline (an <img src> needs that); these say "attachment", because a
// cross-origin <a download> is ignored by browsers and only the response's
// Content-Disposition makes a click save the file.
func (h *Handler) linksAction(ctx context.Context, log *slog.Logger, requestID, body string) any {
	req, bad := readTokenRequest(requestID, body)
	if bad != nil {
		return *bad
	}
	if msg := h.checkToken(log, req); msg != nil {
		return msg
	}
	log = log.With("uploadId", req.UploadID)
	if len(req.Name) > 255 || !utf8.ValidString(req.Name) {
		return errorMsg(req.RequestID, "InvalidRequest", "\"name\" must be the file's name: at most 255 bytes of text.")
	}
	rec, _, err := h.Store.GetStatus(ctx, req.UploadID)
	if err != nil {
		log.Error("could not read status", "error", err)
		return errorMsg(req.RequestID, "InternalError", "Could not prepare the links; please try again.")
	}
	types := map[string]string{}
	for _, r := range rec.Renditions {
		types[r.Name] = r.ContentType
	}
	links, err := h.presignLinks(ctx, req.UploadID, h.now(), func(rendition string) string {
		return Disposition(DownloadName(req.Name, rendition, types[rendition]))
	})
	if err != nil {
		log.Error("could not presign links", "error", err)
		return errorMsg(req.RequestID, "InternalError", "Could not prepare the links; please try again.")
	}
	log.Info("links issued")
	return LinksMessage{Type: "links", RequestID: req.RequestID, UploadID: req.UploadID, Links: links}
}

// tokenRequest is what "links" and "delete" send: the upload, its token
// and, for links, the file's name.
type tokenRequest struct {
	RequestID string `json:"-"`
	UploadID  string `json:"uploadId"`
	Token     string `json:"token"`
	Name      string `json:"name"`
}

// readTokenRequest reads the members "links" and "delete" need from the
// message itself, so these actions do not depend on how the other
// actions' requests are parsed.
func readTokenRequest(requestID, body string) (tokenRequest, *ErrorMessage) {
	req := tokenRequest{RequestID: requestID}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			msg := errorMsg(requestID, "InvalidRequest", "%q must be a string.", te.Field)
			return req, &msg
		}
		msg := errorMsg(requestID, "InvalidMessage", "The message is not a valid JSON object. Valid actions: %s.", validActions())
		return req, &msg
	}
	for _, m := range []struct{ name, value string }{{"uploadId", req.UploadID}, {"token", req.Token}} {
		if m.value == "" {
			msg := errorMsg(requestID, "InvalidRequest", "%q is missing: send the %s from the grant.", m.name, m.name)
			return req, &msg
		}
	}
	return req, nil
}

// checkToken returns the error answer for a request whose uploadId or
// token does not hold, or nil when its holder may act on the upload.
func (h *Handler) checkToken(log *slog.Logger, req tokenRequest) any {
	if !upload.ValidID(req.UploadID) {
		return errorMsg(req.RequestID, "InvalidRequest", "uploadId must be the id from a grant.")
	}
	switch err := h.Signer.Verify(req.Token, req.UploadID, h.now()); {
	case err == nil:
		return nil
	case errors.Is(err, upload.ErrTokenExpired):
		log.Info("refused: token expired", "uploadId", req.UploadID)
		return errorMsg(req.RequestID, "TokenExpired", "This upload can no longer be reached: its token expired. Upload the file again.")
	default:
		log.Warn("refused: invalid token", "uploadId", req.UploadID)
		return errorMsg(req.RequestID, "InvalidToken", "The token is not valid for this upload.")
	}
}

// presignLinks is links with a Content-Disposition per rendition (none
// when disposition is nil or returns "").
func (h *Handler) presignLinks(ctx context.Context, id string, now time.Time, disposition func(rendition string) string) (upload.Links, error) {
	ttl := orDefault(h.LinkTTL, time.Hour)
	l, err := h.links(ctx, id, now)
	if err != nil || disposition == nil {
		return l, err
	}
	for _, name := range h.Renditions {
		d := disposition(name)
		if d == "" {
			continue
		}
		in := &s3.GetObjectInput{Bucket: aws.String(h.OutputBucket), Key: aws.String(upload.RenditionKey(id, name)), ResponseContentDisposition: aws.String(d)}
		req, err := h.Presigner.PresignGetObject(ctx, in, func(o *s3.PresignOptions) { o.Expires = ttl })
		if err != nil {
			return upload.Links{}, fmt.Errorf("presign GET s3://%s/%s: %w", h.OutputBucket, *in.Key, err)
		}
		l.Renditions[name] = req.URL
	}
	return l, nil
}

// extensions are the renditions' file extensions by content type; the
// converter writes JPEG or PNG.
var extensions = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}

// DownloadName is "<original name without its extension>-<rendition><ext>":
// holiday.jpg's thumb in PNG is holiday-thumb.png. Without a name it is
// "image-<rendition>"; without a known content type it has no extension.
// Path separators and control characters become "_", so the name is only
// ever a file name.
func DownloadName(original, rendition, contentType string) string {
	stem := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == utf8.RuneError {
			return '_'
		}
		return r
	}, strings.TrimSpace(original))
	// Only a real extension goes: "x.jpeg" loses ".jpeg", ".._etc" keeps all.
	if i := strings.LastIndexByte(stem, '.'); i > 0 && len(stem)-i <= 6 && alnum(stem[i+1:]) {
		stem = stem[:i]
	}
	if stem == "" || strings.Trim(stem, ".") == "" {
		stem = "image"
	}
	return stem + "-" + rendition + extensions[contentType]
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// Disposition is an RFC 6266 attachment header for name: an ASCII
// filename for old clients (every byte outside printable ASCII, and the
// quote and backslash that would end or escape the quoted string, become
// "_") and, when the name is not plain ASCII, an RFC 5987 filename* with
// the UTF-8 name percent-encoded, which every current browser prefers.
func Disposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	d := `attachment; filename="` + ascii + `"`
	if ascii != name {
		d += "; filename*=UTF-8''" + encode5987(name)
	}
	return d
}

// encode5987 percent-encodes every byte that is not an RFC 5987 attr-char.
func encode5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
