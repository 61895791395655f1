package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"thumbflow/thumbnail/testimage"
)

// runCLI runs thumbflow with args and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	stdout, stderr = &out, &errOut
	t.Cleanup(func() { stdout, stderr = os.Stdout, os.Stderr })
	code := run(context.Background(), args)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func decodeLines(t *testing.T, out string) []convertLine {
	t.Helper()
	var lines []convertLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var cl convertLine
		if err := json.Unmarshal([]byte(l), &cl); err != nil {
			t.Fatalf("output line %q is not JSON: %v", l, err)
		}
		lines = append(lines, cl)
	}
	return lines
}

func TestConvertWritesRenditions(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	photo := filepath.Join(in, "photo.jpg")
	writeFile(t, photo, testimage.JPEG(testimage.Photo(1600, 1200, 1), 90))
	var alpha bytes.Buffer
	png.Encode(&alpha, testimage.Alpha(400, 200, true))
	logo := filepath.Join(in, "logo.png")
	writeFile(t, logo, alpha.Bytes())

	code, stdout, stderr := runCLI(t, "convert", "-o", out, "-renditions", "thumb=320,wide=640x100", photo, logo)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, `{"file":`) || !strings.Contains(stdout, `"ms":{"decode":`) {
		t.Errorf("output does not have the documented shape: %s", stdout)
	}
	lines := decodeLines(t, stdout)
	if len(lines) != 2 {
		t.Fatalf("%d lines for 2 inputs", len(lines))
	}
	want := []struct {
		name, ct, path string
		w, h           int
	}{
		{"thumb", "image/jpeg", filepath.Join(out, "photo.thumb.jpg"), 320, 240},
		{"wide", "image/jpeg", filepath.Join(out, "photo.wide.jpg"), 133, 100},
	}
	for i, w := range want {
		got := lines[0].Renditions[i]
		if got.Name != w.name || got.ContentType != w.ct || got.Path != w.path || got.Width != w.w || got.Height != w.h {
			t.Errorf("rendition %d = %+v, want %+v", i, got, w)
		}
		data, err := os.ReadFile(got.Path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width != w.w || cfg.Height != w.h || len(data) != got.Bytes {
			t.Errorf("%s on disk: %v %dx%d, %d bytes; line says %d bytes", got.Path, err, cfg.Width, cfg.Height, len(data), got.Bytes)
		}
	}
	if r := lines[1].Renditions[0]; r.ContentType != "image/png" || filepath.Ext(r.Path) != ".png" {
		t.Errorf("transparent logo became %s at %s", r.ContentType, r.Path)
	}
	if f, err := os.Open(lines[1].Renditions[0].Path); err == nil {
		_, format, err := image.DecodeConfig(f)
		f.Close()
		if err != nil || format != "png" {
			t.Errorf("logo rendition is not a PNG: %v %q", err, format)
		}
	}
}

// A directory of bad files must produce an error line for each and a
// failing exit status, never a crash.
func TestConvertDirectoryOfBadFiles(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	good := testimage.JPEG(testimage.Photo(300, 200, 2), 85)
	writeFile(t, filepath.Join(in, "a-empty.jpg"), nil)
	writeFile(t, filepath.Join(in, "b-notes.jpg"), []byte("shopping list: milk, eggs\n"))
	writeFile(t, filepath.Join(in, "c-truncated.jpg"), good[:len(good)/3])
	writeFile(t, filepath.Join(in, "d-photo.jxl"), []byte("\x00\x00\x00\x0cJXL \r\n\x87\n\x00\x00\x00\x14ftypjxl "))
	writeFile(t, filepath.Join(in, "e-good.jpg"), good)
	if err := os.Mkdir(filepath.Join(in, "f-subdir"), 0o755); err != nil {
		t.Fatal(err)
	}

	code, stdout, _ := runCLI(t, "convert", "-o", out, in, filepath.Join(in, "missing.jpg"))
	if code != 1 {
		t.Errorf("exit %d, want 1 when inputs failed", code)
	}
	lines := decodeLines(t, stdout)
	wantCodes := []string{"EmptyFile", "CorruptImage", "CorruptImage", "UnsupportedFormat", "", "ReadError"}
	if len(lines) != len(wantCodes) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(wantCodes), stdout)
	}
	for i, want := range wantCodes {
		l := lines[i]
		switch {
		case want == "" && (l.Error != nil || len(l.Renditions) != 2):
			t.Errorf("%s: want two renditions, got %+v", l.File, l)
		case want != "" && (l.Error == nil || l.Error.Code != want || l.Error.Message == ""):
			t.Errorf("%s: want error %s, got %+v", l.File, want, l.Error)
		}
	}
}

func TestConvertUsage(t *testing.T) {
	for _, args := range [][]string{
		{"convert"},
		{"convert", "-renditions", "thumb", "x.jpg"},
		{"convert", "-renditions", "thumb=0", "x.jpg"},
		{"convert", "-quality", "0", "x.jpg"},
		{"convert", "-nope", "x.jpg"},
		{"no-such-command"},
	} {
		if code, _, stderr := runCLI(t, args...); code != 2 || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 with a message", args, code, stderr)
		}
	}
}

func TestConvertSameNameInTwoDirectories(t *testing.T) {
	a, b, out := t.TempDir(), t.TempDir(), t.TempDir()
	img := testimage.JPEG(testimage.Photo(100, 80, 3), 85)
	writeFile(t, filepath.Join(a, "x.jpg"), img)
	writeFile(t, filepath.Join(b, "x.jpg"), img)
	code, stdout, _ := runCLI(t, "convert", "-o", out, "-renditions", "t=50", filepath.Join(a, "x.jpg"), filepath.Join(b, "x.jpg"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := decodeLines(t, stdout)
	if p1, p2 := lines[0].Renditions[0].Path, lines[1].Renditions[0].Path; p1 == p2 {
		t.Errorf("both inputs written to %s", p1)
	}
}

// The limits follow -memory as they follow the function's memory, and the
// converter's newer codes reach the JSON line.
func TestConvertMemoryAndComplexity(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	deep := filepath.Join(in, "deep.png")
	writeFile(t, deep, testimage.PNG16(3000, 3000, false)) // 72 MB decoded
	scans := filepath.Join(in, "scans.jpg")
	writeFile(t, scans, testimage.ManyScanJPEG(64, 64, 1500))

	code, stdout, stderr := runCLI(t, "convert", "-o", out, "-memory", "128", deep, scans)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	lines := decodeLines(t, stdout)
	if len(lines) != 2 || lines[0].Error == nil || lines[0].Error.Code != "ImageTooLarge" || lines[1].Error == nil || lines[1].Error.Code != "ImageTooComplex" {
		t.Fatalf("lines %s, want ImageTooLarge (64 MiB budget) and ImageTooComplex", stdout)
	}
	if code, stdout, _ := runCLI(t, "convert", "-o", out, deep); code != 0 {
		t.Errorf("default memory: exit %d, %s", code, stdout)
	}
	if code, _, _ := runCLI(t, "convert", "-memory", "64", deep); code != 2 {
		t.Errorf("-memory 64: exit %d, want a usage error", code)
	}
}
