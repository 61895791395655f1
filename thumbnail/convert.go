// Package thumbnail turns an uploaded image into the small renditions a web
// page shows. It is plain Go with no AWS types, so the Lambda handler, the
// local cloud and the command line all convert the same way.
//
// Convert is built for the untrusted bytes of a public upload: the format
// comes from magic bytes, the memory budget is checked against the header
// before any pixel is allocated, a JPEG's decoding work is bounded before it
// is spent, decoder panics are contained, and every failure is either one of
// the permanent, typed errors Codes lists, with a message for the user, or
// a TransientError worth a retry.
package thumbnail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
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

// Limits bound what Convert agrees to decode, and all of them are checked
// before the cost they bound is spent. A zero field takes the default, so
// callers only set what they mean to change.
type Limits struct {
	MaxBytes int64 // size of the file
	MaxSide  int   // width or height
	// MaxDecodeBytes is the memory the decoded image may take: width ×
	// height × components × bytes per sample as the decoder stores them,
	// plus the coefficients a progressive JPEG keeps until its last scan and
	// any second copy a decoder makes (see decodeBytes). It replaces a
	// pixel count, which let a 16-bit PNG take four times the memory of an
	// 8-bit one of the same size.
	MaxDecodeBytes int64
	// MaxScans is the most scans one JPEG may have.
	MaxScans int
	// MaxScanPasses bounds a JPEG's entropy-decoding work: all its scans
	// together may visit each 8×8 block at most this many times on average.
	MaxScanPasses int
}

// Spec describes a conversion. A zero JPEGQuality takes the default.
type Spec struct {
	Renditions  []Rendition
	JPEGQuality int
	Limits      Limits
}

// Default limits and quality; docs/converter.md has the measurements
// behind them.
//
//   - 25 MiB covers the JPEGs of every phone and most cameras.
//   - 16384 pixels on a side is what browsers and WebP allow.
//   - DefaultMemory is the convert function's MemorySize in template.yaml;
//     the Lambda main passes the real figure to LimitsForMemory.
//   - 1000 scans is libjpeg-turbo's -maxscans advice; real encoders write 10.
//   - 32 passes: cjpeg, jpegtran, ImageMagick and libvips progressive files
//     visit each block at most 6 times (grayscale), 5.3 on average for
//     colour; 32 leaves room for custom scan scripts and still bounds the
//     entropy decoding of the largest image the memory allows to about 2 s.
//   - Quality 82 is where a JPEG stops looking better to the eye but keeps
//     getting bigger.
const (
	DefaultMaxBytes      = 25 << 20
	DefaultMaxSide       = 16384
	DefaultMemory        = 1536 << 20
	DefaultMaxScans      = 1000
	DefaultMaxScanPasses = 32
	DefaultJPEGQuality   = 82
)

// LimitsForMemory returns the limits for a converter that runs with memory
// bytes in all (a Lambda function's MemorySize), or the defaults when memory
// is not positive. Half of it is the decoded image's budget: the other half
// holds the original (up to MaxBytes), the renditions and their scratch
// images, the Go runtime and the headroom that GOMEMLIMIT keeps for the
// garbage collector (see lambdas/wiring.SetMemoryLimitFromLambda).
func LimitsForMemory(memory int64) Limits {
	if memory <= 0 {
		memory = DefaultMemory
	}
	return Limits{
		MaxBytes:       DefaultMaxBytes,
		MaxSide:        DefaultMaxSide,
		MaxDecodeBytes: memory / 2,
		MaxScans:       DefaultMaxScans,
		MaxScanPasses:  DefaultMaxScanPasses,
	}
}

// DefaultSpec is the pipeline's conversion: a grid thumbnail and a larger
// preview.
func DefaultSpec() Spec {
	return Spec{
		Renditions: []Rendition{
			{Name: "thumb", Width: 320, Height: 320},
			{Name: "preview", Width: 1024, Height: 1024},
		},
		JPEGQuality: DefaultJPEGQuality,
		Limits:      LimitsForMemory(DefaultMemory),
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
	def, l := LimitsForMemory(DefaultMemory), &s.Limits
	if l.MaxBytes == 0 {
		l.MaxBytes = def.MaxBytes
	}
	if l.MaxSide == 0 {
		l.MaxSide = def.MaxSide
	}
	if l.MaxDecodeBytes == 0 {
		l.MaxDecodeBytes = def.MaxDecodeBytes
	}
	if l.MaxScans == 0 {
		l.MaxScans = def.MaxScans
	}
	if l.MaxScanPasses == 0 {
		l.MaxScanPasses = def.MaxScanPasses
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
// Errors are returned unwrapped: one of the types Codes names (permanent),
// a *TransientError when ctx ends, or a plain error for an invalid spec.
// A JPEG's decoder checks ctx between MCUs, so a cancelled conversion
// returns within a few thousand blocks; the other decoders are bounded by
// MaxDecodeBytes and MaxBytes, and ctx is checked before and after them.
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
	hdr, err := decodeConfig(format, data)
	if err != nil {
		return nil, &CorruptImage{Format: format, Err: err}
	}
	cfg := hdr.cfg
	scale := 1
	if format == "jpeg" && cfg.Width > 0 {
		scale = jpegScale(cfg, spec.Renditions, res.Orientation)
	}
	if err := checkLimits(format, data, hdr, scale, lim); err != nil {
		return nil, err
	}
	img, err := decode(ctx, format, data, cfg, scale, lim)
	if err != nil {
		return nil, decodeError(ctx, format, cfg, lim, err)
	}
	res.Timings.Decode = time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, &TransientError{Op: "convert", Err: err}
	}

	res.Width, res.Height = cfg.Width, cfg.Height
	if swapsAxes(res.Orientation) {
		res.Width, res.Height = res.Height, res.Width
	}
	opaque := isOpaque(img)
	cs := colourTransformFor(format, data) // nil for sRGB and untagged images
	for _, r := range spec.Renditions {
		if err := ctx.Err(); err != nil {
			return nil, &TransientError{Op: "convert", Err: err}
		}
		out, err := render(img, cfg, r, res.Orientation, opaque, spec.JPEGQuality, cs, &res.Timings)
		if err != nil {
			return nil, err
		}
		res.Renditions = append(res.Renditions, out)
	}
	return res, nil
}

// checkLimits refuses an image by its header alone.
func checkLimits(format string, data []byte, hdr header, scale int, lim Limits) error {
	w, h := hdr.cfg.Width, hdr.cfg.Height
	if w <= 0 || h <= 0 {
		return &CorruptImage{Format: format, Err: fmt.Errorf("header gives a size of %d×%d", w, h)}
	}
	if w > lim.MaxSide || h > lim.MaxSide {
		return &ImageTooLarge{Width: w, Height: h, Reason: fmt.Sprintf("the limit is %d pixels on a side", lim.MaxSide)}
	}
	if need := decodeBytes(format, data, hdr, scale); need > lim.MaxDecodeBytes {
		kind := ""
		switch {
		case format == "jpeg" && hdr.jpeg.Progressive:
			// The message says why a smaller-looking file is refused.
			kind = "as a progressive JPEG, "
		case format == "heic" || format == "avif":
			kind = "as " + formatName(format) + ", "
		case bytesPerPixel(hdr.cfg.ColorModel) == 8:
			kind = "with 16 bits a channel, "
		}
		return &ImageTooLarge{Width: w, Height: h, Reason: fmt.Sprintf("%sit needs %s of memory to convert, and the limit is %s",
			kind, formatBytes(need), formatBytes(lim.MaxDecodeBytes))}
	}
	return nil
}

// decodeBytes is what decoding the image allocates, from its header: what
// the decoder stores per pixel times the pixels, and any second copy it
// makes on the way. Each case names the allocation it follows, so a
// decoder update that changes one shows where to look. scale is the JPEG
// decode's (see jpegScale); the other formats decode at full size.
func decodeBytes(format string, data []byte, hdr header, scale int) int64 {
	if format == "jpeg" {
		// Planes, coefficients and colour conversion, as jpegscale
		// allocates them at that scale.
		return hdr.jpeg.Bytes(scale)
	}
	px := int64(hdr.cfg.Width) * int64(hdr.cfg.Height)
	bpp := bytesPerPixel(hdr.cfg.ColorModel)
	switch format {
	case "png":
		if pngInterlaced(data) {
			// image/png decodes each of the seven Adam7 passes into an
			// image of its own and then copies them into the full one.
			return 2 * bpp * px
		}
		return bpp * px
	case "tiff":
		// x/image/tiff inflates a whole strip or tile into a bytes.Buffer
		// before converting it, and one strip may be the whole image: the
		// buffer doubles as it grows, so while the last growth copies, the
		// old and new buffers hold up to three times the strip.
		return 4 * bpp * px
	case "gif":
		// The paletted logical screen, and the NRGBA canvas decode lays a
		// smaller first frame on.
		return 5 * px
	case "heic", "avif":
		return heifDecodeBytes(format, hdr.heif)
	case "webp":
		if hdr.cfg.ColorModel == color.NRGBAModel {
			// Lossless: ARGB words, then the NRGBA image.
			return 8 * px
		}
		return 3 * px // YCbCr 4:2:0 and, with alpha, an alpha plane
	}
	return bpp * px
}

// bytesPerPixel is what an image of colour model m stores per pixel, as the
// standard decoders allocate it.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// pngInterlaced reads the interlace method of a PNG's IHDR.
func pngInterlaced(b []byte) bool {
	return len(b) > 28 && string(b[12:16]) == "IHDR" && b[28] == 1
}

// header is what Convert learns about an image before decoding it.
type header struct {
	cfg  image.Config
	jpeg jpegscale.Info // for a JPEG, as its own decoder reads the frame
	heif *heifHeader    // for HEIC and AVIF, read by parseHEIF
}

// decodeConfig and decode turn a decoder panic (x/image has had them on
// hostile input) into an error, so no panic reaches a user.
func decodeConfig(format string, data []byte) (hdr header, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder failed: %v", p)
		}
	}()
	r := bytes.NewReader(data)
	switch format {
	case "heic", "avif":
		hdr.heif, err = parseHEIF(data)
		if err == nil {
			hdr.cfg = image.Config{ColorModel: color.RGBAModel, Width: hdr.heif.width, Height: hdr.heif.height}
		}
	case "jpeg":
		// The progressive flag and the component count must come from
		// the parser that decodes the file: image/jpeg or a hand-written
		// marker walk could disagree with it about a stray byte.
		hdr.jpeg, err = jpegscale.DecodeInfo(r)
		hdr.cfg = image.Config{ColorModel: hdr.jpeg.ColorModel, Width: hdr.jpeg.Width, Height: hdr.jpeg.Height}
	case "png":
		hdr.cfg, err = png.DecodeConfig(r)
	case "gif":
		hdr.cfg, err = gif.DecodeConfig(r)
	case "bmp":
		hdr.cfg, err = bmp.DecodeConfig(r)
	case "tiff":
		hdr.cfg, err = tiff.DecodeConfig(r)
	case "webp":
		hdr.cfg, err = webp.DecodeConfig(r)
	default:
		err = fmt.Errorf("no decoder for %s", format)
	}
	return hdr, err
}

// decodeError turns a decoder's error into what Convert returns: a JPEG
// that went over a work limit is too complex, one cancelled through ctx is
// transient, anything else is corrupt.
func decodeError(ctx context.Context, format string, cfg image.Config, lim Limits, err error) error {
	if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
		return &TransientError{Op: "decode", Err: err}
	}
	if errors.Is(err, errWasmMemory) {
		return &ImageTooLarge{Width: cfg.Width, Height: cfg.Height, Reason: fmt.Sprintf("decoding it needs more than the %s of memory allowed",
			formatBytes(lim.MaxDecodeBytes))}
	}
	var le *jpegscale.LimitError
	if errors.As(err, &le) {
		switch le.Limit {
		case "scans":
			return &ImageTooComplex{Reason: fmt.Sprintf("it has more than %d scans", le.Max), Err: err}
		case "passes":
			return &ImageTooComplex{Reason: fmt.Sprintf("its scans read the image more than %d times over", le.Max), Err: err}
		case "bytes":
			return &ImageTooLarge{Width: cfg.Width, Height: cfg.Height, Reason: fmt.Sprintf("it needs %s of memory to convert, and the limit is %s",
				formatBytes(le.Need), formatBytes(le.Max))}
		}
	}
	return &CorruptImage{Format: format, Err: err}
}

// statsKey is the context key under which a test passes a *jpegscale.Stats
// to read the decoder's work counters.
type statsKey struct{}

func jpegStats(ctx context.Context) *jpegscale.Stats {
	s, _ := ctx.Value(statsKey{}).(*jpegscale.Stats)
	return s
}

// jpegScale is the smallest JPEG decode, 1/8, 1/4, 1/2 or full size
// (returned as 8, 4, 2 or 1), that still has at least 1.25× the pixels
// every rendition needs, so the largest rendition picks it. At 1/8 each
// pixel is its block's average, exactly what the box stage would make; at
// 1/2 and 1/4 the reduced inverse DCT samples each block's low frequencies,
// as libjpeg does, and the 1.25 margin leaves the final filter enough
// pixels to work from.
func jpegScale(cfg image.Config, rs []Rendition, o int) int {
	for scale := 8; scale > 1; scale /= 2 {
		ws, hs := (cfg.Width+scale-1)/scale, (cfg.Height+scale-1)/scale
		enough := true
		for _, r := range rs {
			w, h := fitStored(cfg.Width, cfg.Height, r, o)
			if float64(ws) < 1.25*float64(w) || float64(hs) < 1.25*float64(h) {
				enough = false
				break
			}
		}
		if enough {
			return scale
		}
	}
	return 1
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

func decode(ctx context.Context, format string, data []byte, cfg image.Config, scale int, lim Limits) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decoder failed: %v", p)
		}
	}()
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		img, err = jpegscale.Decode(r, jpegscale.Options{
			Scale:     scale,
			MaxScans:  lim.MaxScans,
			MaxPasses: lim.MaxScanPasses,
			MaxBytes:  lim.MaxDecodeBytes,
			Check:     ctx.Err,
			Stats:     jpegStats(ctx),
		})
		cfg.Width, cfg.Height = (cfg.Width+scale-1)/scale, (cfg.Height+scale-1)/scale
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
	case "heic", "avif":
		img, err = decodeHEIF(ctx, format, data, lim.MaxDecodeBytes)
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
// cfg-sized original, converting its colours to sRGB with cs (if not nil)
// once it is small.
func render(img image.Image, cfg image.Config, r Rendition, o int, opaque bool, quality int, cs *colourTransform, t *Timings) (Output, error) {
	start := time.Now()
	b := img.Bounds()
	w, h := fitStored(cfg.Width, cfg.Height, r, o)
	var small *image.NRGBA
	switch k := min(shrinkFactor(b.Dx(), w), shrinkFactor(b.Dy(), h)); {
	case opaque && (w != b.Dx() || h != b.Dy()) && canResizePlanes(img):
		small = resizePlanes(img, w, h)
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
	cs.apply(small)
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
