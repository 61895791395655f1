// Package thumbnail turns an uploaded image into the small renditions a web
// page shows. It is plain Go with no AWS types, so the Lambda handler, the
// local cloud and the command line all convert the same way.
//
// Convert is built for the untrusted bytes of a public upload: the format
// comes from magic bytes, limits are checked against the header before any
// pixel is allocated, decoder panics are contained, and every failure is
// either one of five permanent, typed errors with a message for the user or
// a TransientError worth a retry.
package thumbnail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"sync"
	"time"

	"github.com/disintegration/imaging"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"thumbflow/thumbnail/internal/jpegscale"
)

// Rendition is one output size: the image is scaled to fit inside Width ×
// Height, keeping its aspect ratio.
type Rendition struct {
	Name          string
	Width, Height int
}

// Limits bound what Convert agrees to decode. A zero field takes the
// default, so callers only set what they mean to change.
type Limits struct {
	MaxBytes  int64 // size of the file
	MaxPixels int64 // width × height; a progressive JPEG may have half
	MaxSide   int   // width or height
}

// Spec describes a conversion. A zero JPEGQuality takes the default.
type Spec struct {
	Renditions  []Rendition
	JPEGQuality int
	Limits      Limits
}

// Default limits and quality. 50 megapixels covers every phone and most
// cameras; 25 MiB covers their JPEGs; quality 82 is where a JPEG stops
// looking better to the eye but keeps getting bigger.
const (
	DefaultMaxBytes    = 25 << 20
	DefaultMaxPixels   = 50_000_000
	DefaultMaxSide     = 16384
	DefaultJPEGQuality = 82
)

// DefaultSpec is the pipeline's conversion: a grid thumbnail and a larger
// preview.
func DefaultSpec() Spec {
	return Spec{
		Renditions: []Rendition{
			{Name: "thumb", Width: 320, Height: 320},
			{Name: "preview", Width: 1024, Height: 1024},
		},
		JPEGQuality: DefaultJPEGQuality,
		Limits:      Limits{MaxBytes: DefaultMaxBytes, MaxPixels: DefaultMaxPixels, MaxSide: DefaultMaxSide},
	}
}

// Output is one encoded rendition. ContentType travels with it because the
// storage keys have no extension.
type Output struct {
	Name          string
	Width, Height int
	ContentType   string
	Data          []byte
}

// Timings splits a conversion's time by phase, to show where it goes.
type Timings struct {
	Decode, Resize, Encode time.Duration
}

// Result is a successful conversion.
type Result struct {
	Format      string // detected, e.g. "jpeg"
	ContentType string // of the original, e.g. "image/jpeg"
	// Width and Height are of the original as displayed, after orientation.
	Width, Height int
	Orientation   int // EXIF orientation applied, 1–8
	Renditions    []Output
	Timings       Timings
}

func (s Spec) withDefaults() (Spec, error) {
	if s.JPEGQuality == 0 {
		s.JPEGQuality = DefaultJPEGQuality
	}
	if s.Limits.MaxBytes == 0 {
		s.Limits.MaxBytes = DefaultMaxBytes
	}
	if s.Limits.MaxPixels == 0 {
		s.Limits.MaxPixels = DefaultMaxPixels
	}
	if s.Limits.MaxSide == 0 {
		s.Limits.MaxSide = DefaultMaxSide
	}
	if s.JPEGQuality < 1 || s.JPEGQuality > 100 {
		return s, fmt.Errorf("thumbnail: JPEG quality %d is outside 1–100", s.JPEGQuality)
	}
	if len(s.Renditions) == 0 {
		return s, errors.New("thumbnail: spec has no renditions")
	}
	seen := make(map[string]bool)
	for _, r := range s.Renditions {
		if r.Name == "" || r.Width < 1 || r.Height < 1 {
			return s, fmt.Errorf("thumbnail: rendition %q needs a name and a positive size, has %d×%d", r.Name, r.Width, r.Height)
		}
		if seen[r.Name] {
			return s, fmt.Errorf("thumbnail: rendition %q appears twice", r.Name)
		}
		seen[r.Name] = true
	}
	return s, nil
}

// Convert decodes data once and encodes every rendition of spec from it.
// Opaque images become JPEG and images with real transparency PNG; the
// output is the same bytes for the same input and spec, and never larger
// than the original.
//
// Errors are returned unwrapped: one of *EmptyFile, *FileTooLarge,
// *UnsupportedFormat, *CorruptImage, *ImageTooLarge (permanent), a
// *TransientError when ctx ends, or a plain error for an invalid spec.
func Convert(ctx context.Context, data []byte, spec Spec) (res *Result, err error) {
	spec, err = spec.withDefaults()
	if err != nil {
		return nil, err
	}
	lim := spec.Limits
	if len(data) == 0 {
		return nil, &EmptyFile{}
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, &FileTooLarge{Size: int64(len(data)), Limit: lim.MaxBytes}
	}
	if err := ctx.Err(); err != nil {
		return nil, &TransientError{Op: "convert", Err: err}
	}
	format, supported := sniff(data[:min(len(data), 1024)])
	if format == "" {
		return nil, &CorruptImage{}
	}
	if !supported {
		return nil, &UnsupportedFormat{Format: format}
	}

	res = &Result{Format: format, ContentType: formats[format], Orientation: orientation(format, data)}
	start := time.Now()
	cfg, err := decodeConfig(format, data)
	if err != nil {
		return nil, &CorruptImage{Format: format, Err: err}
	}
	if err := checkLimits(format, data, cfg, lim); err != nil {
		return nil, err
	}
	eighth := format == "jpeg" && eighthIsEnough(cfg, spec.Renditions, res.Orientation)
	img, err := decode(format, data, cfg, eighth)
	if err != nil {
		return nil, &CorruptImage{Format: format, Err: err}
	}
	res.Timings.Decode = time.Since(start)

	res.Width, res.Height = cfg.Width, cfg.Height
	if swapsAxes(res.Orientation) {
		res.Width, res.Height = res.Height, res.Width
	}
	opaque := isOpaque(img)
	for _, r := range spec.Renditions {
		if err := ctx.Err(); err != nil {
			return nil, &TransientError{Op: "convert", Err: err}
		}
		out, err := render(img, cfg, r, res.Orientation, opaque, spec.JPEGQuality, &res.Timings)
		if err != nil {
			return nil, err
		}
		res.Renditions = append(res.Renditions, out)
	}
	return res, nil
}

// checkLimits refuses an image by its header alone.
func checkLimits(format string, data []byte, cfg image.Config, lim Limits) error {
	w, h := cfg.Width, cfg.Height
	if w <= 0 || h <= 0 {
		return &CorruptImage{Format: format, Err: fmt.Errorf("header gives a size of %d×%d", w, h)}
	}
	if w > lim.MaxSide || h > lim.MaxSide {
		return &ImageTooLarge{Width: w, Height: h, Reason: fmt.Sprintf("the limit is %d pixels on a side", lim.MaxSide)}
	}
	maxPixels := lim.MaxPixels
	kind := ""
	// A progressive JPEG is decoded by keeping every DCT coefficient of the
	// whole image (4 bytes a sample) until the last scan, on top of the
	// pixels themselves: about five times the memory of a baseline one.
	if format == "jpeg" && scanJPEG(data).progressive {
		maxPixels /= 2
		kind = " for a progressive JPEG"
	}
	if int64(w)*int64(h) > maxPixels {
		return &ImageTooLarge{Width: w, Height: h, Reason: fmt.Sprintf("the limit%s is %s megapixels", kind, megapixels(maxPixels))}
	}
	return nil
}

func megapixels(n int64) string {
	return fmt.Sprintf("%g", math.Round(float64(n)/1e5)/10)
}

// decodeConfig and decode turn a decoder panic (x/image has had them on
// hostile input) into an error, so no panic reaches a user.
func decodeConfig(format string, data []byte) (cfg image.Config, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder failed: %v", p)
		}
	}()
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		return jpeg.DecodeConfig(r)
	case "png":
		return png.DecodeConfig(r)
	case "gif":
		return gif.DecodeConfig(r)
	case "bmp":
		return bmp.DecodeConfig(r)
	case "tiff":
		return tiff.DecodeConfig(r)
	case "webp":
		return webp.DecodeConfig(r)
	}
	return cfg, fmt.Errorf("no decoder for %s", format)
}

// eighthIsEnough reports whether a JPEG decoded at 1/8 scale still has
// at least 1.25× the pixels every rendition needs. The 1/8 image is the
// average of each 8×8 block, exactly what the box stage would make, so
// nothing is lost but the decoding time.
func eighthIsEnough(cfg image.Config, rs []Rendition, o int) bool {
	w8, h8 := (cfg.Width+7)/8, (cfg.Height+7)/8
	for _, r := range rs {
		w, h := fitStored(cfg.Width, cfg.Height, r, o)
		if float64(w8) < 1.25*float64(w) || float64(h8) < 1.25*float64(h) {
			return false
		}
	}
	return true
}

// fitStored is the size of rendition r in the stored (not yet oriented)
// frame of a w×h image.
func fitStored(w, h int, r Rendition, o int) (int, int) {
	bw, bh := r.Width, r.Height
	if swapsAxes(o) {
		bw, bh = bh, bw // fit the stored image into the box turned the same way
	}
	return fit(w, h, bw, bh)
}

func decode(format string, data []byte, cfg image.Config, eighth bool) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decoder failed: %v", p)
		}
	}()
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		if eighth {
			img, err = jpegscale.DecodeEighth(r)
			cfg.Width, cfg.Height = (cfg.Width+7)/8, (cfg.Height+7)/8
		} else {
			img, err = jpeg.Decode(r)
		}
	case "png":
		img, err = png.Decode(r)
	case "gif":
		// The first frame may cover only part of the logical screen; lay
		// it on a transparent canvas of the size the header promised (and
		// the limits checked).
		img, err = gif.Decode(r)
		if err == nil && img.Bounds() != image.Rect(0, 0, cfg.Width, cfg.Height) {
			canvas := image.NewNRGBA(image.Rect(0, 0, cfg.Width, cfg.Height))
			draw.Draw(canvas, img.Bounds(), img, img.Bounds().Min, draw.Src)
			img = canvas
		}
	case "bmp":
		img, err = bmp.Decode(r)
	case "tiff":
		img, err = tiff.Decode(r)
	case "webp":
		img, err = webp.Decode(r)
	default:
		err = fmt.Errorf("no decoder for %s", format)
	}
	if err == nil && (img.Bounds().Dx() != cfg.Width || img.Bounds().Dy() != cfg.Height) {
		// The limits were checked against the header; pixels of any other
		// size mean the file contradicts itself.
		return nil, fmt.Errorf("decoded %v, header said %d×%d", img.Bounds().Size(), cfg.Width, cfg.Height)
	}
	return img, err
}

func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// fit returns the size of a w×h image scaled to fit a bw×bh box, never
// larger than the original.
func fit(w, h, bw, bh int) (int, int) {
	if w <= bw && h <= bh {
		return w, h
	}
	s := min(float64(bw)/float64(w), float64(bh)/float64(h))
	return max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s)))
}

// shrinkFactor is the largest block side that leaves the cheap box stage at
// least about twice the target (1.8×, so that a 4000 px photo still halves
// for a 1024 px preview).
func shrinkFactor(src, dst int) int {
	return min(max(1, int(float64(src)/(1.8*float64(dst)))), maxFactor)
}

// render makes one rendition from img, which may be a scaled decode of the
// cfg-sized original.
func render(img image.Image, cfg image.Config, r Rendition, o int, opaque bool, quality int, t *Timings) (Output, error) {
	start := time.Now()
	b := img.Bounds()
	w, h := fitStored(cfg.Width, cfg.Height, r, o)
	var small *image.NRGBA
	switch k := min(shrinkFactor(b.Dx(), w), shrinkFactor(b.Dy(), h)); {
	case w == b.Dx() && h == b.Dy():
		small = imaging.Clone(img)
	case k > 1:
		mid := shrink(img, k)
		small = imaging.Resize(mid, w, h, imaging.Lanczos)
		putPix(mid.Pix)
	default:
		small = imaging.Resize(img, w, h, imaging.Lanczos)
	}
	small = orient(small, o)
	t.Resize += time.Since(start)

	start = time.Now()
	out := Output{Name: r.Name, Width: small.Rect.Dx(), Height: small.Rect.Dy()}
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	var err error
	if opaque {
		out.ContentType = "image/jpeg"
		// Opaque NRGBA and RGBA have the same bytes; the JPEG encoder has
		// a fast path only for the latter.
		rgba := &image.RGBA{Pix: small.Pix, Stride: small.Stride, Rect: small.Rect}
		err = jpeg.Encode(buf, rgba, &jpeg.Options{Quality: quality})
	} else {
		out.ContentType = "image/png"
		err = pngEncoder.Encode(buf, small)
	}
	if err != nil {
		return Output{}, fmt.Errorf("thumbnail: encode %s: %w", r.Name, err)
	}
	out.Data = bytes.Clone(buf.Bytes())
	t.Encode += time.Since(start)
	return out, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var pngEncoder = png.Encoder{CompressionLevel: png.DefaultCompression, BufferPool: new(pngPool)}

type pngPool sync.Pool

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := (*sync.Pool)(p).Get().(*png.EncoderBuffer)
	return b
}

func (p *pngPool) Put(b *png.EncoderBuffer) { (*sync.Pool)(p).Put(b) }
