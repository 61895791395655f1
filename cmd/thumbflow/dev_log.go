package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lmittmann/tint"

	"thumbflow/local/sfn"
	"thumbflow/upload"
)

// devLogs are dev's two loggers: the cloud's (every function and service)
// and the one that writes a line per finished upload. On a terminal the
// cloud's default level is warn, so what scrolls by is one line per
// upload and whatever went wrong; -log-level info shows every step.
type devLogs struct {
	cloud, uploads *slog.Logger
}

// logOutput is where dev logs; tests replace it.
var logOutput io.Writer = os.Stderr

func newDevLogs(format, level string) (devLogs, error) {
	human := false
	switch format {
	case "auto":
		human = isTerminal(logOutput)
	case "text":
		human = true
	case "json":
	default:
		return devLogs{}, fmt.Errorf("-log-format %q: want text, json or auto", format)
	}
	lvl := slog.LevelInfo
	if human {
		lvl = slog.LevelWarn
	}
	if level != "" {
		if err := lvl.UnmarshalText([]byte(level)); err != nil {
			return devLogs{}, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
		}
	}
	handler := func(l slog.Leveler) slog.Handler {
		if human {
			return compactAlerts{tint.NewHandler(logOutput, &tint.Options{Level: l, TimeFormat: "15:04:05.000", NoColor: !isTerminal(logOutput)})}
		}
		return slog.NewJSONHandler(logOutput, &slog.HandlerOptions{Level: l})
	}
	// The summary lines are shown at any level but error, so that the
	// quiet default still tells what became of each upload.
	sumLevel := min(lvl, slog.LevelInfo)
	return devLogs{cloud: slog.New(handler(lvl)), uploads: slog.New(handler(sumLevel))}, nil
}

// summarize logs one line for a finished upload: its id, how it ended and
// how long the execution took. The file's name stays in the browser (the
// server is never told more than a display name in the grant request), so
// the id is what `thumbflow history` takes.
func (l devLogs) summarize(e sfn.ExecutionSummary) {
	id, _ := upload.IDFromExecutionName(e.Name)
	var in struct {
		Size        int64  `json:"size"`
		ContentType string `json:"contentType"`
	}
	json.Unmarshal(e.Input, &in)
	took := span(e.StopDate.Sub(e.StartDate).Round(time.Millisecond))
	attrs := []any{"uploadId", id, "took", took}
	if in.ContentType != "" {
		attrs = append(attrs, "type", in.ContentType, "size", upload.HumanBytes(in.Size))
	}
	switch {
	case e.Status == "SUCCEEDED":
		l.uploads.Info("upload succeeded", attrs...)
	case e.Status == "FAILED" && upload.KindOf(e.Error) == upload.KindUser:
		// The file's fault: the user was told; nothing to fix here.
		l.uploads.Info("upload failed (user)", append(attrs, "code", e.Error)...)
	case e.Status == "FAILED":
		l.uploads.Warn("upload failed (system)", append(attrs, "code", e.Error)...)
	default:
		l.uploads.Error("upload execution "+strings.ToLower(e.Status), append(attrs, "error", e.Error)...)
	}
}

// compactAlerts shortens the alerter's log line on a terminal: its record
// carries the whole EventBridge event (both ARNs, the cause, the dates),
// five wrapped lines per failed upload, where a person needs the status,
// the upload id and the error; the summary line that follows has the rest.
// JSON logs keep every attribute.
type compactAlerts struct{ slog.Handler }

// alertKeep are the attributes of an alert that a terminal shows.
var alertKeep = map[string]bool{"status": true, "uploadId": true, "error": true}

func (h compactAlerts) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != "execution alert" {
		return h.Handler.Handle(ctx, r)
	}
	short := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if alertKeep[a.Key] {
			short.AddAttrs(a)
		}
		return true
	})
	return h.Handler.Handle(ctx, short)
}

func (h compactAlerts) WithAttrs(attrs []slog.Attr) slog.Handler {
	return compactAlerts{h.Handler.WithAttrs(attrs)}
}

func (h compactAlerts) WithGroup(name string) slog.Handler {
	return compactAlerts{h.Handler.WithGroup(name)}
}
