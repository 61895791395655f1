// Command baseline is the benchmark harness's helper. "baseline gen DIR"
// writes the generated benchmark inputs; "baseline thumb" is the plain
// imaging pipeline that thumbflow convert is measured against: what the
// imaging documentation suggests, with no shortcuts.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/disintegration/imaging"

	"thumbflow/thumbnail/testimage"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: baseline gen DIR | baseline thumb [-size N] [-o DIR] FILE...")
	}
	switch args[0] {
	case "gen":
		if len(args) != 2 {
			return errors.New("usage: baseline gen DIR")
		}
		return gen(args[1])
	case "thumb":
		fs := flag.NewFlagSet("thumb", flag.ContinueOnError)
		size := fs.Int("size", 320, "fit box side")
		out := fs.String("o", ".", "output directory")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		for _, f := range fs.Args() {
			if err := thumb(f, *out, *size); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown mode %q", args[0])
}

// thumb is imaging.Open with auto-orientation, Fit with Lanczos, save.
func thumb(file, outDir string, size int) error {
	img, err := imaging.Open(file, imaging.AutoOrientation(true))
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	small := imaging.Fit(img, size, size, imaging.Lanczos)
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	if err := imaging.Save(small, filepath.Join(outDir, base+".plain.jpg"), imaging.JPEGQuality(82)); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// gen writes the inputs the converter's Go benchmarks use.
func gen(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	photo := testimage.Photo(4000, 3000, 42)
	base := testimage.JPEG(photo, 90)
	alpha := testimage.Photo(1732, 1155, 43)
	nrgba := image.NewNRGBA(alpha.Rect)
	copy(nrgba.Pix, alpha.Pix)
	for i := 3; i < len(nrgba.Pix); i += 4 {
		nrgba.Pix[i] = uint8((i / 4) % 1732 * 255 / 1731)
	}
	var p bytes.Buffer
	if err := png.Encode(&p, nrgba); err != nil {
		return err
	}
	files := map[string][]byte{
		"photo12mp.jpg":       base,
		"progressive12mp.jpg": testimage.EncodeJPEG(photo, testimage.JPEGOptions{Quality: 90, Progressive: true}),
		"alpha2mp.png":        p.Bytes(),
		"exif6-12mp.jpg":      testimage.WithOrientation(testimage.JPEG(testimage.Stored(toNRGBA(photo), 6), 90), 6, true),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func toNRGBA(m *image.RGBA) *image.NRGBA {
	return &image.NRGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect} // opaque: same bytes
}
