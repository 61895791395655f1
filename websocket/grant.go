package websocket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/upload"
)

func (h *Handler) upload(ctx context.Context, log *slog.Logger, conn, sourceIP string, req request) any {
	r := upload.Request{Name: req.Name, Type: req.Type, Size: req.Size}
	if err := h.Limits.Check(r); err != nil {
		var re *upload.RequestError
		errors.As(err, &re)
		log.Info("upload refused", "code", re.Code, "type", r.Type, "size", r.Size)
		return errorMsg(req.RequestID, re.Code, "%s", re.Message)
	}
	if refused := h.limitGrant(ctx, log, req.RequestID, sourceIP); refused != nil {
		return *refused
	}
	id := upload.NewID()
	log = log.With("uploadId", id)
	now := h.now()
	g, err := h.grant(ctx, id, r, now)
	if err != nil {
		log.Error("could not build grant", "error", err)
		return errorMsg(req.RequestID, "InternalError", "Could not prepare the upload; please try again.")
	}
	// Marked before the grant is answered: an original can exist only for
	// a marked upload, so the sweeper sees every one.
	if err := h.mark(ctx, id); err != nil {
		log.Error("could not write the pending marker", "error", err)
		return errorMsg(req.RequestID, "InternalError", "Could not prepare the upload; please try again.")
	}
	if err := h.Store.Subscribe(ctx, id, conn); err != nil {
		log.Error("could not subscribe requester", "error", err)
		return errorMsg(req.RequestID, "InternalError", "Could not prepare the upload; please try again.")
	}
	log.Info("grant issued", "type", r.Type, "size", r.Size)
	return GrantMessage{Type: "grant", RequestID: req.RequestID, Grant: g}
}

func (h *Handler) grant(ctx context.Context, id string, r upload.Request, now time.Time) (upload.Grant, error) {
	uploadTTL := h.uploadTTL()
	watchUntil := now.Add(orDefault(h.WatchTTL, 24*time.Hour)).Truncate(time.Second)
	post, err := h.Presigner.PresignPostObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(h.UploadsBucket),
		Key:    aws.String(upload.OriginalKey(id)),
	}, func(o *s3.PresignPostOptions) {
		o.Expires = uploadTTL
		o.Conditions = []any{
			map[string]string{"Content-Type": r.Type},
			[]any{"content-length-range", r.Size, r.Size},
		}
	})
	if err != nil {
		return upload.Grant{}, fmt.Errorf("presign POST for upload %s: %w", id, err)
	}
	fields := make(map[string]string, len(post.Values)+1)
	for k, v := range post.Values {
		fields[k] = v
	}
	fields["Content-Type"] = r.Type
	links, err := h.links(ctx, id, now)
	if err != nil {
		return upload.Grant{}, err
	}
	return upload.Grant{
		UploadID:   id,
		Token:      h.Signer.Issue(id, watchUntil),
		WatchUntil: watchUntil,
		Upload:     upload.PostForm{URL: post.URL, Fields: fields, ExpiresAt: now.Add(uploadTTL).Truncate(time.Second)},
		Links:      links,
	}, nil
}

// links presigns GETs for the status record and every rendition. They are
// fresh on every subscribe, so a page reloaded hours later still downloads.
func (h *Handler) links(ctx context.Context, id string, now time.Time) (upload.Links, error) {
	ttl := orDefault(h.LinkTTL, time.Hour)
	get := func(bucket, key string) (string, error) {
		req, err := h.Presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)},
			func(o *s3.PresignOptions) { o.Expires = ttl })
		if err != nil {
			return "", fmt.Errorf("presign GET s3://%s/%s: %w", bucket, key, err)
		}
		return req.URL, nil
	}
	status, err := get(h.RecordsBucket, upload.StatusKey(id))
	if err != nil {
		return upload.Links{}, err
	}
	l := upload.Links{Status: status, Renditions: make(map[string]string, len(h.Renditions)), ExpiresAt: now.Add(ttl).Truncate(time.Second)}
	for _, name := range h.Renditions {
		if l.Renditions[name], err = get(h.OutputBucket, upload.RenditionKey(id, name)); err != nil {
			return upload.Links{}, err
		}
	}
	return l, nil
}

func (h *Handler) subscribe(ctx context.Context, log *slog.Logger, conn string, req request) any {
	if !upload.ValidID(req.UploadID) {
		return errorMsg(req.RequestID, "InvalidRequest", "uploadId must be the id from a grant.")
	}
	log = log.With("uploadId", req.UploadID)
	switch err := h.Signer.Verify(req.Token, req.UploadID, h.now()); {
	case errors.Is(err, upload.ErrTokenExpired):
		log.Info("subscribe refused: token expired")
		return errorMsg(req.RequestID, "TokenExpired", "This upload can no longer be watched: its token expired. Upload the file again.")
	case err != nil:
		log.Warn("subscribe refused: invalid token")
		return errorMsg(req.RequestID, "InvalidToken", "The token is not valid for this upload.")
	}
	// Subscribe before reading, so that a change between the two is pushed
	// rather than lost; the client keeps the highest version it sees.
	if err := h.Store.Subscribe(ctx, req.UploadID, conn); err != nil {
		log.Error("could not store subscription", "error", err)
		return errorMsg(req.RequestID, "InternalError", "Could not subscribe; please try again.")
	}
	rec, ok, err := h.Store.GetStatus(ctx, req.UploadID)
	if err != nil {
		log.Error("could not read status", "error", err)
		return errorMsg(req.RequestID, "InternalError", "Could not read the status; please try again.")
	}
	if !ok {
		rec = upload.Record{UploadID: req.UploadID, State: upload.StateWaiting}
	}
	links, err := h.links(ctx, req.UploadID, h.now())
	if err != nil {
		log.Error("could not presign links", "error", err)
		return errorMsg(req.RequestID, "InternalError", "Could not subscribe; please try again.")
	}
	log.Info("subscribed", "state", rec.State, "version", rec.Version)
	return SubscribedMessage{Type: "subscribed", RequestID: req.RequestID, UploadID: req.UploadID, Status: rec, Links: links}
}

// mark writes the sweeper's marker of upload id. A handler built without
// a marker store refuses every grant rather than issue ones the sweeper
// cannot see.
func (h *Handler) mark(ctx context.Context, id string) error {
	if h.Pending == nil {
		return errors.New("the handler has no pending-marker store (Handler.Pending)")
	}
	return h.Pending.Mark(ctx, id)
}
