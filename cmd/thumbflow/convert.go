package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"thumbflow/thumbnail"
)

func init() {
	commands["convert"] = command{
		summary: "convert image files to thumbnails, one JSON line per file",
		run:     runConvert,
	}
}

// convertLine is the JSON line printed per input; field order is the
// documented shape.
type convertLine struct {
	File       string           `json:"file"`
	Renditions []renditionLine  `json:"renditions,omitempty"`
	MS         *phaseMS         `json:"ms,omitempty"`
	Error      *convertErrorOut `json:"error,omitempty"`
}

type renditionLine struct {
	Name        string `json:"name"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	ContentType string `json:"contentType"`
	Bytes       int    `json:"bytes"`
	Path        string `json:"path"`
}

type phaseMS struct {
	Decode float64 `json:"decode"`
	Resize float64 `json:"resize"`
	Encode float64 `json:"encode"`
}

type convertErrorOut struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func runConvert(ctx context.Context, args []string) error {
	fs := newFlagSet("convert", "[-o DIR] [-renditions thumb=320,preview=1024] [-quality N] [-memory MB] FILE|DIR...",
		`Converts files on this machine, without the pipeline: writes NAME.RENDITION.jpg (or .png
for transparent images) into DIR and prints one JSON line per input. A directory
argument converts the regular files directly inside it. Exits 1 if any input failed.`)
	outDir := fs.String("o", ".", "directory to write the renditions to")
	spec := thumbnail.DefaultSpec()
	renditions := fs.String("renditions", formatRenditions(spec.Renditions), "comma-separated NAME=SIZE or NAME=WIDTHxHEIGHT fit boxes")
	fs.IntVar(&spec.JPEGQuality, "quality", spec.JPEGQuality, "JPEG quality, 1–100")
	memory := fs.Int64("memory", thumbnail.DefaultMemory>>20, "memory in MB of the function to convert as; the limits derive from it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *memory < 128 || *memory > 10240 {
		fmt.Fprintf(stderr, "thumbflow convert: -memory %d is outside Lambda's 128–10240 MB\n", *memory)
		return errUsage
	}
	spec.Limits = thumbnail.LimitsForMemory(*memory << 20)
	if spec.JPEGQuality < 1 || spec.JPEGQuality > 100 {
		fmt.Fprintf(stderr, "thumbflow convert: -quality %d is outside 1–100\n", spec.JPEGQuality)
		return errUsage
	}
	var err error
	if spec.Renditions, err = parseRenditions(*renditions); err != nil {
		fmt.Fprintf(stderr, "thumbflow convert: -renditions: %v\n", err)
		return errUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	files, err := expandInputs(fs.Args())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}

	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	used := map[string]bool{} // output base names taken in this run
	failed := 0
	for _, file := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		line := convertFile(ctx, file, *outDir, spec, used)
		if line.Error != nil {
			failed++
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
	}
	if failed > 0 {
		return errReported
	}
	return nil
}

func convertFile(ctx context.Context, file, outDir string, spec thumbnail.Spec, used map[string]bool) convertLine {
	line := convertLine{File: file}
	fail := func(code string, err error) convertLine {
		line.Error = &convertErrorOut{Code: code, Message: err.Error()}
		return line
	}
	// Refuse an oversized file from its size, before reading it.
	if fi, err := os.Stat(file); err != nil {
		return fail("ReadError", err)
	} else if fi.Size() > spec.Limits.MaxBytes {
		err := &thumbnail.FileTooLarge{Size: fi.Size(), Limit: spec.Limits.MaxBytes}
		return fail(thumbnail.Code(err), err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fail("ReadError", err)
	}
	res, err := thumbnail.Convert(ctx, data, spec)
	if err != nil {
		return fail(errorCode(err), err)
	}
	base := outputBase(file, used)
	for _, r := range res.Renditions {
		ext := ".jpg"
		if r.ContentType == "image/png" {
			ext = ".png"
		}
		path := filepath.Join(outDir, base+"."+r.Name+ext)
		if err := os.WriteFile(path, r.Data, 0o644); err != nil {
			line.Renditions = nil
			return fail("WriteError", err)
		}
		line.Renditions = append(line.Renditions, renditionLine{
			Name: r.Name, Width: r.Width, Height: r.Height,
			ContentType: r.ContentType, Bytes: len(r.Data), Path: path,
		})
	}
	line.MS = &phaseMS{Decode: ms(res.Timings.Decode), Resize: ms(res.Timings.Resize), Encode: ms(res.Timings.Encode)}
	return line
}

// errorCode names any conversion error for the JSON line: the stable code
// of a permanent one, otherwise its kind.
func errorCode(err error) string {
	if c := thumbnail.Code(err); c != "" {
		return c
	}
	var t *thumbnail.TransientError
	if errors.As(err, &t) {
		return "TransientError"
	}
	return "InternalError"
}

// outputBase is the input's name without extension, made unique within the
// run so two inputs named alike in different directories do not overwrite
// each other.
func outputBase(file string, used map[string]bool) string {
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	name := base
	for i := 2; used[name]; i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	used[name] = true
	return name
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*100) / 100
}

// expandInputs replaces each directory with the regular files directly in
// it, sorted, so "convert photos/" works and subdirectories are not
// descended into.
func expandInputs(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil || !fi.IsDir() {
			files = append(files, a) // a missing file gets its own error line
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("read directory: %w", err)
		}
		var names []string
		for _, e := range entries {
			if e.Type().IsRegular() {
				names = append(names, filepath.Join(a, e.Name()))
			}
		}
		slices.Sort(names)
		files = append(files, names...)
	}
	return files, nil
}

// parseRenditions reads "thumb=320,preview=1024x768".
func parseRenditions(s string) ([]thumbnail.Rendition, error) {
	var rs []thumbnail.Rendition
	for _, part := range strings.Split(s, ",") {
		name, size, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("%q is not NAME=SIZE", part)
		}
		ws, hs, box := strings.Cut(size, "x")
		if !box {
			hs = ws
		}
		w, err1 := strconv.Atoi(ws)
		h, err2 := strconv.Atoi(hs)
		if err1 != nil || err2 != nil || w < 1 || h < 1 || w > 16384 || h > 16384 {
			return nil, fmt.Errorf("%q: size must be N or WxH, 1–16384", part)
		}
		for _, r := range rs {
			if r.Name == name {
				return nil, fmt.Errorf("rendition %q given twice", name)
			}
		}
		rs = append(rs, thumbnail.Rendition{Name: name, Width: w, Height: h})
	}
	return rs, nil
}

func formatRenditions(rs []thumbnail.Rendition) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		if r.Width == r.Height {
			parts[i] = fmt.Sprintf("%s=%d", r.Name, r.Width)
		} else {
			parts[i] = fmt.Sprintf("%s=%dx%d", r.Name, r.Width, r.Height)
		}
	}
	return strings.Join(parts, ",")
}
