package thumbnail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"thumbflow/thumbnail/internal/jpegscale"
	"thumbflow/thumbnail/testimage"
)

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func thumbSpec(w, h int) Spec {
	return Spec{Renditions: []Rendition{{Name: "thumb", Width: w, Height: h}}}
}

// decodeOutput decodes a rendition by its declared content type, so a
// mislabelled rendition fails.
func decodeOutput(t *testing.T, o Output) image.Image {
	t.Helper()
	var img image.Image
	var err error
	switch o.ContentType {
	case "image/jpeg":
		img, err = jpeg.Decode(bytes.NewReader(o.Data))
	case "image/png":
		img, err = png.Decode(bytes.NewReader(o.Data))
	default:
		t.Fatalf("rendition %s has content type %q", o.Name, o.ContentType)
	}
	if err != nil {
		t.Fatalf("rendition %s does not decode as %s: %v", o.Name, o.ContentType, err)
	}
	if got := img.Bounds().Size(); got != image.Pt(o.Width, o.Height) {
		t.Fatalf("rendition %s is %v, claims %d×%d", o.Name, got, o.Width, o.Height)
	}
	return img
}

func near(a color.Color, b color.NRGBA, tol int) bool {
	n := color.NRGBAModel.Convert(a).(color.NRGBA)
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	return d(n.R, b.R) && d(n.G, b.G) && d(n.B, b.B) && d(n.A, b.A)
}

// checkQuadrants samples the middle of each quadrant of an upright
// Quadrants image.
func checkQuadrants(t *testing.T, img image.Image, tol int) {
	t.Helper()
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	for _, s := range []struct {
		name string
		x, y int
		want color.NRGBA
	}{
		{"top left", w / 4, h / 4, testimage.TopLeft},
		{"top right", 3 * w / 4, h / 4, testimage.TopRight},
		{"bottom left", w / 4, 3 * h / 4, testimage.BottomLeft},
		{"bottom right", 3 * w / 4, 3 * h / 4, testimage.BottomRight},
	} {
		if got := img.At(b.Min.X+s.x, b.Min.Y+s.y); !near(got, s.want, tol) {
			t.Errorf("%s pixel is %v, want about %v", s.name, color.NRGBAModel.Convert(got), s.want)
		}
	}
}

func TestFormats(t *testing.T) {
	q := testimage.Quadrants(800, 480)
	paletted := image.NewPaletted(q.Rect, palette.Plan9)
	for y := range 480 {
		for x := range 800 {
			paletted.Set(x, y, q.At(x, y))
		}
	}
	deep := image.NewNRGBA64(q.Rect)
	for y := range 480 {
		for x := range 800 {
			deep.Set(x, y, q.At(x, y))
		}
	}
	enc := func(f func(*bytes.Buffer) error) []byte {
		var buf bytes.Buffer
		if err := f(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	webp, err := testimage.WebP(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, format string
		data         []byte
		tol          int
	}{
		{"jpeg baseline 4:2:0", "jpeg", testimage.JPEG(q, 90), 40},
		{"jpeg baseline 4:4:4", "jpeg", testimage.EncodeJPEG(q, testimage.JPEGOptions{}), 30},
		{"jpeg progressive", "jpeg", testimage.EncodeJPEG(q, testimage.JPEGOptions{Progressive: true}), 30},
		{"jpeg cmyk", "jpeg", testimage.EncodeJPEG(q, testimage.JPEGOptions{Color: testimage.CMYK}), 30},
		{"jpeg ycck", "jpeg", testimage.EncodeJPEG(q, testimage.JPEGOptions{Color: testimage.YCCK}), 30},
		{"jpeg ycck progressive", "jpeg", testimage.EncodeJPEG(q, testimage.JPEGOptions{Color: testimage.YCCK, Progressive: true}), 30},
		{"png 8-bit", "png", encodePNG(t, q), 2},
		{"png 16-bit", "png", encodePNG(t, deep), 2},
		{"png paletted", "png", encodePNG(t, paletted), 2},
		{"gif", "gif", enc(func(b *bytes.Buffer) error { return gif.Encode(b, paletted, nil) }), 2},
		{"bmp", "bmp", enc(func(b *bytes.Buffer) error { return bmp.Encode(b, q) }), 2},
		{"tiff", "tiff", enc(func(b *bytes.Buffer) error { return tiff.Encode(b, q, &tiff.Options{Compression: tiff.Deflate}) }), 2},
		{"webp lossless", "webp", webp, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if f, ok := Detect(tc.data); !ok || f != tc.format {
				t.Fatalf("Detect = %q, %v; want %q", f, ok, tc.format)
			}
			res, err := Convert(context.Background(), tc.data, thumbSpec(100, 100))
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != tc.format || res.ContentType != "image/"+tc.format || res.Width != 800 || res.Height != 480 {
				t.Errorf("result says %s %s %d×%d, want %s 800×480", res.Format, res.ContentType, res.Width, res.Height, tc.format)
			}
			out := res.Renditions[0]
			if out.Width != 100 || out.Height != 60 || out.ContentType != "image/jpeg" {
				t.Errorf("thumb is %d×%d %s, want 100×60 image/jpeg", out.Width, out.Height, out.ContentType)
			}
			checkQuadrants(t, decodeOutput(t, out), tc.tol)
		})
	}
}

func TestGrayJPEG(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			g.Pix[y*640+x] = uint8(x * 255 / 639) // left black, right white
		}
	}
	for _, prog := range []bool{false, true} {
		data := testimage.EncodeJPEG(g, testimage.JPEGOptions{Color: testimage.Gray, Progressive: prog})
		res, err := Convert(context.Background(), data, thumbSpec(64, 64))
		if err != nil {
			t.Fatal(err)
		}
		img := decodeOutput(t, res.Renditions[0])
		left := color.GrayModel.Convert(img.At(2, 24)).(color.Gray).Y
		right := color.GrayModel.Convert(img.At(61, 24)).(color.Gray).Y
		if left > 20 || right < 235 {
			t.Errorf("progressive=%v: gradient came out %d…%d, want about 0…255", prog, left, right)
		}
	}
}

func TestOrientation(t *testing.T) {
	u := testimage.Quadrants(300, 160)
	for o := 1; o <= 8; o++ {
		stored := testimage.Stored(u, o)
		data := testimage.WithOrientation(testimage.EncodeJPEG(stored, testimage.JPEGOptions{Quality: 95}), o, o%2 == 0)
		res, err := Convert(context.Background(), data, thumbSpec(150, 150))
		if err != nil {
			t.Fatalf("orientation %d: %v", o, err)
		}
		if res.Orientation != o || res.Width != 300 || res.Height != 160 {
			t.Errorf("orientation %d: result says orientation %d, %d×%d; want 300×160", o, res.Orientation, res.Width, res.Height)
		}
		out := res.Renditions[0]
		if out.Width != 150 || out.Height != 80 {
			t.Errorf("orientation %d: thumb is %d×%d, want 150×80", o, out.Width, out.Height)
		}
		t.Run(string(rune('0'+o)), func(t *testing.T) { checkQuadrants(t, decodeOutput(t, out), 30) })
	}
}

func TestOrientationOtherContainers(t *testing.T) {
	u := testimage.Quadrants(300, 160)
	webp, err := testimage.WebP(testimage.Stored(u, 8), testimage.ExifTIFF(8))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"png eXIf": testimage.PNGWithChunk(encodePNG(t, testimage.Stored(u, 6)), "eXIf", testimage.ExifTIFF(6)),
		"webp":     webp,
	} {
		res, err := Convert(context.Background(), data, thumbSpec(150, 150))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if out := res.Renditions[0]; out.Width != 150 || out.Height != 80 {
			t.Errorf("%s: thumb is %d×%d, want 150×80", name, out.Width, out.Height)
		}
		t.Run(name, func(t *testing.T) { checkQuadrants(t, decodeOutput(t, res.Renditions[0]), 2) })
	}
}

func TestAlpha(t *testing.T) {
	t.Run("kept", func(t *testing.T) {
		res, err := Convert(context.Background(), encodePNG(t, testimage.Alpha(800, 400, true)), thumbSpec(100, 100))
		if err != nil {
			t.Fatal(err)
		}
		out := res.Renditions[0]
		if out.ContentType != "image/png" {
			t.Fatalf("transparent image became %s, want image/png", out.ContentType)
		}
		img := decodeOutput(t, out)
		if !near(img.At(10, 25), color.NRGBA{255, 0, 0, 255}, 1) {
			t.Errorf("opaque half is %v", img.At(10, 25))
		}
		if _, _, _, a := img.At(90, 25).RGBA(); a != 0 {
			t.Errorf("transparent half has alpha %d", a>>8)
		}
		// The visible pixel next to the transparent half must not pick up
		// the hidden blue.
		edge := color.NRGBAModel.Convert(img.At(49, 25)).(color.NRGBA)
		if edge.A > 0 && edge.B > 8 {
			t.Errorf("edge pixel %v has blue bleeding from transparent pixels", edge)
		}
	})
	t.Run("dropped", func(t *testing.T) {
		res, err := Convert(context.Background(), encodePNG(t, testimage.Alpha(800, 400, false)), thumbSpec(100, 100))
		if err != nil {
			t.Fatal(err)
		}
		if ct := res.Renditions[0].ContentType; ct != "image/jpeg" {
			t.Fatalf("PNG whose alpha is all opaque became %s, want image/jpeg", ct)
		}
		checkQuadrants(t, image.NewUniform(color.Black), 255) // keeps helper honest about bounds
		img := decodeOutput(t, res.Renditions[0])
		if !near(img.At(90, 25), color.NRGBA{0, 0, 255, 255}, 30) {
			t.Errorf("right half is %v, want blue", img.At(90, 25))
		}
	})
}

func TestNoUpscale(t *testing.T) {
	res, err := Convert(context.Background(), testimage.JPEG(testimage.Photo(200, 100, 1), 90), DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Renditions {
		if o.Width != 200 || o.Height != 100 {
			t.Errorf("%s is %d×%d; a 200×100 original must not grow", o.Name, o.Width, o.Height)
		}
	}
}

func TestDeterministic(t *testing.T) {
	data := testimage.JPEG(testimage.Photo(1600, 1200, 7), 90)
	a, err := Convert(context.Background(), data, DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Convert(context.Background(), data, DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Renditions {
		if !bytes.Equal(a.Renditions[i].Data, b.Renditions[i].Data) {
			t.Errorf("%s differs between two runs", a.Renditions[i].Name)
		}
	}
	if w, h := a.Renditions[0].Width, a.Renditions[0].Height; w != 320 || h != 240 {
		t.Errorf("thumb is %d×%d, want 320×240", w, h)
	}
	if w, h := a.Renditions[1].Width, a.Renditions[1].Height; w != 1024 || h != 768 {
		t.Errorf("preview is %d×%d, want 1024×768", w, h)
	}
}

// The cheap box stage must not cost visible quality: the result stays
// within a few levels of resizing the whole image with Lanczos.
func TestQualityMatchesPlainLanczos(t *testing.T) {
	photo := testimage.Photo(2400, 1800, 3)
	png := encodePNG(t, photo) // lossless, so only resizing differs
	res, err := Convert(context.Background(), png, Spec{Renditions: []Rendition{{Name: "t", Width: 320, Height: 320}}, JPEGQuality: 100})
	if err != nil {
		t.Fatal(err)
	}
	checkCloseToLanczos(t, res.Renditions[0], photo)
}

func TestShrinkYCbCrMatchesGeneric(t *testing.T) {
	src, err := jpeg.Decode(bytes.NewReader(testimage.JPEG(testimage.Photo(333, 251, 5), 90)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*image.YCbCr); !ok {
		t.Fatalf("decoded %T, want *image.YCbCr", src)
	}
	for _, k := range []int{2, 3, 7} {
		fast := shrink(src, k)
		slow := image.NewNRGBA(fast.Rect)
		shrinkAny(slow, src, k)
		if fast.Rect.Dx() != (333+k-1)/k {
			t.Fatalf("k=%d: width %d", k, fast.Rect.Dx())
		}
		// Averaging YCbCr before converting to RGB differs from the
		// reverse only where RGB clips, by a few levels.
		var sum int
		for i := range fast.Pix {
			d := int(fast.Pix[i]) - int(slow.Pix[i])
			if d > 8 || d < -8 {
				t.Fatalf("k=%d: byte %d is %d, generic path gives %d", k, i, fast.Pix[i], slow.Pix[i])
			}
			sum += max(d, -d)
		}
		if mean := float64(sum) / float64(len(fast.Pix)); mean > 0.5 {
			t.Errorf("k=%d: mean difference from the generic path is %.2f levels", k, mean)
		}
	}
}

// pngHeader and gifHeader are images whose headers claim w×h.
var (
	pngHeader = testimage.PNGHeader
	gifHeader = testimage.GIFHeader
)

// corpus is the bad (and awkward) input the converter must survive; it is
// also the fuzz seed corpus.
func corpus(t testing.TB) []struct {
	name, code string
	data       []byte
} {
	photo := testimage.JPEG(testimage.Photo(400, 300, 2), 85)
	deep := image.NewNRGBA64(image.Rect(0, 0, 300, 200))
	for i := range deep.Pix {
		deep.Pix[i] = uint8(i * 7)
	}
	var deepPNG bytes.Buffer
	png.Encode(&deepPNG, deep)
	return []struct {
		name, code string
		data       []byte
	}{
		{"zero bytes", "EmptyFile", nil},
		{"text named photo.jpg", "CorruptImage", []byte("Hello, this is not a photo.\n")},
		{"truncated jpeg", "CorruptImage", photo[:len(photo)/2]},
		{"jpeg header only", "CorruptImage", photo[:200]},
		{"png bomb header 60000x60000", "ImageTooLarge", pngHeader(60000, 60000)},
		{"png bomb header 20000x2", "ImageTooLarge", pngHeader(20000, 2)},
		{"gif huge logical screen", "ImageTooLarge", gifHeader(65535, 65535)},
		{"jpeg with 1200 scans", "ImageTooComplex", testimage.ManyScanJPEG(64, 64, 1200)},
		{"heic without a meta box", "CorruptImage", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")},
		{"avif without a meta box", "CorruptImage", []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf")},
		{"jpeg xl", "UnsupportedFormat", []byte("\x00\x00\x00\x0cJXL \r\n\x87\n\x00\x00\x00\x14ftypjxl ")},
		{"mp4", "UnsupportedFormat", []byte("\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isomiso2")},
		{"svg", "UnsupportedFormat", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`)},
		{"pdf", "UnsupportedFormat", []byte("%PDF-1.7\n%âãÏÓ\n")},
		{"jpeg", "", photo},
		{"16-bit png", "", deepPNG.Bytes()},
		{"cmyk jpeg", "", testimage.EncodeJPEG(testimage.Photo(120, 90, 4), testimage.JPEGOptions{Color: testimage.CMYK})},
		{"progressive jpeg", "", testimage.EncodeJPEG(testimage.Photo(120, 90, 4), testimage.JPEGOptions{Progressive: true})},
		{"heic", "", readTestdata(t, "tiny.heic")},
		{"avif", "", readTestdata(t, "tiny.avif")},
	}
}

func TestBadInputCorpus(t *testing.T) {
	for _, c := range corpus(t) {
		t.Run(c.name, func(t *testing.T) {
			res, err := Convert(context.Background(), c.data, DefaultSpec())
			if c.code == "" {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				for _, o := range res.Renditions {
					decodeOutput(t, o)
				}
				return
			}
			if err == nil {
				t.Fatalf("want %s, got success", c.code)
			}
			if got := Code(err); got != c.code {
				t.Fatalf("Code = %q, want %q (%v)", got, c.code, err)
			}
			// aws-lambda-go reports the error's type name as errorType,
			// and the state machine matches it; so the returned error
			// itself must be of the type named as the code.
			if name := reflect.TypeOf(err).Elem().Name(); name != c.code {
				t.Errorf("returned error is a %s, want a %s (unwrapped)", name, c.code)
			}
			if !IsPermanent(err) {
				t.Error("IsPermanent = false")
			}
			if msg := err.Error(); len(msg) < 30 || !strings.HasSuffix(strings.TrimRight(msg, ")"), ".") && !strings.Contains(msg, ". ") {
				t.Errorf("message %q does not read as advice to a user", msg)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	ctx := context.Background()
	_, err := Convert(ctx, make([]byte, 2000), Spec{Renditions: DefaultSpec().Renditions, Limits: Limits{MaxBytes: 1000}})
	var big *FileTooLarge
	if !errors.As(err, &big) || big.Size != 2000 || big.Limit != 1000 {
		t.Fatalf("got %v, want FileTooLarge 2000/1000", err)
	}
	if got := (&FileTooLarge{Size: 32715571, Limit: 25 << 20}).Error(); !strings.HasPrefix(got, "The file is 31.2 MB; the limit is 25 MB.") {
		t.Errorf("message %q", got)
	}
	_, err = Convert(ctx, []byte("\x00\x00\x00\x0cJXL \r\n\x87\n\x00\x00\x00\x14ftypjxl "), DefaultSpec())
	if !strings.Contains(err.Error(), "JPEG XL") || !strings.Contains(err.Error(), "HEIC") {
		t.Errorf("JPEG XL message %q should name what was found and what to use", err)
	}
	_, err = Convert(ctx, testimage.JPEG(testimage.Photo(300, 200, 1), 80), Spec{Renditions: DefaultSpec().Renditions, Limits: Limits{MaxSide: 250}})
	if Code(err) != "ImageTooLarge" || !strings.Contains(err.Error(), "300×200") || !strings.Contains(err.Error(), "250") {
		t.Errorf("MaxSide: got %v", err)
	}
	// A progressive JPEG keeps its coefficients (4 bytes a sample) until the
	// last scan, so the same pixels need five times the memory: this one
	// fits the budget as baseline (182 kB) but not as progressive (912 kB).
	p := testimage.Photo(300, 200, 1)
	lim := Limits{MaxDecodeBytes: 500_000}
	if _, err := Convert(ctx, testimage.EncodeJPEG(p, testimage.JPEGOptions{}), Spec{Renditions: DefaultSpec().Renditions, Limits: lim}); err != nil {
		t.Errorf("baseline 300×200 under a 500 kB budget: %v", err)
	}
	_, err = Convert(ctx, testimage.EncodeJPEG(p, testimage.JPEGOptions{Progressive: true}), Spec{Renditions: DefaultSpec().Renditions, Limits: lim})
	if Code(err) != "ImageTooLarge" || !strings.Contains(err.Error(), "progressive") || !strings.Contains(err.Error(), "the limit is 488.3 KB") {
		t.Errorf("progressive 300×200 under a 500 kB budget: got %v, want ImageTooLarge naming progressive and the limit", err)
	}
}

func TestTransient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Convert(ctx, testimage.JPEG(testimage.Photo(64, 64, 1), 80), DefaultSpec())
	var tr *TransientError
	if !errors.As(err, &tr) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want a TransientError wrapping context.Canceled", err)
	}
	if IsPermanent(err) || Code(err) != "" {
		t.Errorf("a cancelled conversion is reported permanent (code %q)", Code(err))
	}
}

func TestInvalidSpec(t *testing.T) {
	data := testimage.JPEG(testimage.Photo(64, 64, 1), 80)
	for name, s := range map[string]Spec{
		"no renditions":  {},
		"zero width":     thumbSpec(0, 10),
		"duplicate name": {Renditions: []Rendition{{"a", 1, 1}, {"a", 2, 2}}},
		"quality 101":    {Renditions: []Rendition{{"a", 1, 1}}, JPEGQuality: 101},
	} {
		if _, err := Convert(context.Background(), data, s); err == nil || IsPermanent(err) {
			t.Errorf("%s: got %v, want a spec error", name, err)
		}
	}
}

// The header check must refuse a decompression bomb before allocating for
// it: a few MB at most, where decoding would take 14 GB.
func TestBombRejectedWithoutAllocating(t *testing.T) {
	bomb := pngHeader(60000, 60000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Convert(context.Background(), bomb, DefaultSpec())
	runtime.ReadMemStats(&after)
	if Code(err) != "ImageTooLarge" {
		t.Fatalf("got %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("allocated %d bytes to refuse a bomb", n)
	}
}

func FuzzConvert(f *testing.F) {
	for _, c := range corpus(f) {
		f.Add(c.data)
	}
	spec := Spec{
		Renditions: []Rendition{{Name: "t", Width: 32, Height: 32}},
		Limits:     Limits{MaxDecodeBytes: 8 << 20, MaxSide: 4096},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.HasPrefix(data, []byte{0xff, 0xd8}) {
			// Every scale of the JPEG decoder, whichever Convert picks.
			for _, scale := range []int{1, 2, 4, 8} {
				jpegscale.Decode(bytes.NewReader(data), jpegscale.Options{Scale: scale, MaxScans: 100, MaxPasses: 32, MaxBytes: 8 << 20})
			}
		}
		res, err := Convert(context.Background(), data, spec)
		if err != nil {
			if !IsPermanent(err) {
				t.Fatalf("input error is not one of the permanent codes: %T %v", err, err)
			}
			return
		}
		o := res.Renditions[0]
		if o.Width < 1 || o.Height < 1 || o.Width > 32 || o.Height > 32 || len(o.Data) == 0 {
			t.Fatalf("rendition %d×%d with %d bytes", o.Width, o.Height, len(o.Data))
		}
	})
}

// Large JPEGs with small renditions are decoded at 1/8, 1/4 or 1/2 scale;
// every JPEG variant must come out the same way there too.
func TestScaledJPEG(t *testing.T) {
	u := testimage.Quadrants(1280, 768)
	for _, tc := range []struct {
		name string
		data []byte
		o    int
	}{
		{"baseline 4:2:0", testimage.JPEG(u, 90), 1},
		{"progressive", testimage.EncodeJPEG(u, testimage.JPEGOptions{Progressive: true}), 1},
		{"cmyk", testimage.EncodeJPEG(u, testimage.JPEGOptions{Color: testimage.CMYK}), 1},
		{"ycck", testimage.EncodeJPEG(u, testimage.JPEGOptions{Color: testimage.YCCK}), 1},
		{"orientation 6", testimage.WithOrientation(testimage.JPEG(testimage.Stored(u, 6), 90), 6, false), 6},
		{"orientation 7", testimage.WithOrientation(testimage.JPEG(testimage.Stored(u, 7), 90), 7, true), 7},
	} {
		for _, sc := range []struct{ size, scale int }{{100, 8}, {200, 4}, {400, 2}} {
			t.Run(fmt.Sprintf("%s/1:%d", tc.name, sc.scale), func(t *testing.T) {
				cfg, _ := jpeg.DecodeConfig(bytes.NewReader(tc.data))
				spec := thumbSpec(sc.size, sc.size)
				if got := jpegScale(cfg, spec.Renditions, tc.o); got != sc.scale {
					t.Fatalf("%d px renditions decode at 1/%d, want 1/%d", sc.size, got, sc.scale)
				}
				res, err := Convert(context.Background(), tc.data, spec)
				if err != nil {
					t.Fatal(err)
				}
				out := res.Renditions[0]
				if out.Width != sc.size || out.Height != sc.size*3/5 || res.Width != 1280 || res.Height != 768 {
					t.Errorf("thumb %d×%d of %d×%d, want %d×%d of 1280×768", out.Width, out.Height, res.Width, res.Height, sc.size, sc.size*3/5)
				}
				checkQuadrants(t, decodeOutput(t, out), 40)
			})
		}
	}
	g := image.NewGray(image.Rect(0, 0, 1280, 768))
	for i := range g.Pix {
		g.Pix[i] = uint8(i % 1280 * 255 / 1279)
	}
	res, err := Convert(context.Background(), testimage.EncodeJPEG(g, testimage.JPEGOptions{Color: testimage.Gray}), thumbSpec(100, 100))
	if err != nil {
		t.Fatal(err)
	}
	img := decodeOutput(t, res.Renditions[0])
	if l, r := color.GrayModel.Convert(img.At(1, 30)).(color.Gray).Y, color.GrayModel.Convert(img.At(98, 30)).(color.Gray).Y; l > 20 || r < 235 {
		t.Errorf("gray gradient came out %d…%d", l, r)
	}
}

// The 1/8 decode must not cost visible quality either.
func TestEighthScaleQuality(t *testing.T) {
	data := testimage.JPEG(testimage.Photo(3200, 2400, 9), 92)
	full, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Convert(context.Background(), data, Spec{Renditions: []Rendition{{Name: "t", Width: 320, Height: 320}}, JPEGQuality: 100})
	if err != nil {
		t.Fatal(err)
	}
	checkCloseToLanczos(t, res.Renditions[0], full)
}

// checkCloseToLanczos fails t unless out is within a mean of 4 levels (8-bit)
// of fitting src into 320×320 with plain Lanczos, the quality bar both
// shrink paths must meet.
func checkCloseToLanczos(t *testing.T, out Output, src image.Image) {
	t.Helper()
	got := decodeOutput(t, out)
	want := imaging.Fit(src, 320, 320, imaging.Lanczos)
	if got.Bounds() != want.Bounds() {
		t.Fatalf("size %v, plain Lanczos gives %v", got.Bounds(), want.Bounds())
	}
	var sum, n float64
	for y := range want.Rect.Dy() {
		for x := range want.Rect.Dx() {
			g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
			w := want.NRGBAAt(x, y)
			for _, d := range []int{int(g.R) - int(w.R), int(g.G) - int(w.G), int(g.B) - int(w.B)} {
				sum += float64(max(d, -d))
				n++
			}
		}
	}
	if mean := sum / n; mean > 4 {
		t.Errorf("mean difference from plain Lanczos is %.2f levels, want ≤ 4", mean)
	}
}

// The 16-bit fast paths of readRow must read what At reads.
func TestReadRow16(t *testing.T) {
	n := image.NewNRGBA64(image.Rect(0, 0, 7, 3))
	r := image.NewRGBA64(n.Rect)
	for i := range n.Pix {
		n.Pix[i] = uint8(i*37 + 11)
	}
	for y := range 3 {
		for x := range 7 {
			c := n.NRGBA64At(x, y)
			r.SetRGBA64(x, y, color.RGBA64Model.Convert(c).(color.RGBA64))
		}
	}
	for _, img := range []image.Image{n, r} {
		row := make([]uint16, 4*7)
		for y := range 3 {
			readRow(row, img, y)
			for x := range 7 {
				cr, cg, cb, ca := img.At(x, y).RGBA()
				if got, want := [4]uint16(row[4*x:4*x+4]), [4]uint16{uint16(cr), uint16(cg), uint16(cb), uint16(ca)}; got != want {
					t.Fatalf("%T at %d,%d: readRow gives %v, At gives %v", img, x, y, got, want)
				}
			}
		}
	}
}
