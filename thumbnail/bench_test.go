package thumbnail

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"sync"
	"testing"

	"github.com/disintegration/imaging"

	"thumbflow/thumbnail/testimage"
)

// benchInputs are generated once per process: the 12 MP images take a
// second or two to make.
var benchInputs = sync.OnceValue(func() map[string][]byte {
	photo := testimage.Photo(4000, 3000, 42)
	alpha := testimage.Photo(1732, 1155, 43)
	for i := 3; i < len(alpha.Pix); i += 4 {
		x := (i / 4) % 1732
		alpha.Pix[i] = uint8(x * 255 / 1731) // premultiplied RGBA: scale colour too
		for c := 1; c <= 3; c++ {
			alpha.Pix[i-c] = uint8(int(alpha.Pix[i-c]) * int(alpha.Pix[i]) / 255)
		}
	}
	var png bytes.Buffer
	if err := pngEncoderForBench.Encode(&png, alpha); err != nil {
		panic(err)
	}
	base := testimage.JPEG(photo, 90)
	return map[string][]byte{
		"jpeg12mp":        base,
		"progressive12mp": testimage.EncodeJPEG(photo, testimage.JPEGOptions{Quality: 90, Progressive: true}),
		"png2mp-alpha":    png.Bytes(),
		"exif6-jpeg12mp":  testimage.WithOrientation(base, 6, true),
	}
})

func BenchmarkConvert(b *testing.B) {
	in := benchInputs()
	thumb := Spec{Renditions: []Rendition{{Name: "thumb", Width: 320, Height: 320}}}
	for _, c := range []struct {
		name, input string
		spec        Spec
	}{
		{"jpeg12mp/thumb", "jpeg12mp", thumb},
		{"jpeg12mp/default", "jpeg12mp", DefaultSpec()},
		{"progressive12mp/thumb", "progressive12mp", thumb},
		{"progressive12mp/default", "progressive12mp", DefaultSpec()},
		{"png2mp-alpha/thumb", "png2mp-alpha", thumb},
		{"exif6-jpeg12mp/thumb", "exif6-jpeg12mp", thumb},
	} {
		b.Run(c.name, func(b *testing.B) {
			data := in[c.input]
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Convert(context.Background(), data, c.spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlainImaging is the baseline the converter is measured against:
// what the imaging documentation suggests, decode with auto-orientation and
// Fit with Lanczos on the full image.
func BenchmarkPlainImaging(b *testing.B) {
	in := benchInputs()
	for _, name := range []string{"jpeg12mp", "progressive12mp", "exif6-jpeg12mp"} {
		b.Run(name+"/thumb", func(b *testing.B) {
			data := in[name]
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
				if err != nil {
					b.Fatal(err)
				}
				small := imaging.Fit(img, 320, 320, imaging.Lanczos)
				var out bytes.Buffer
				if err := jpeg.Encode(&out, small, &jpeg.Options{Quality: DefaultJPEGQuality}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeOnly shows the floor: the standard decoder alone.
func BenchmarkDecodeOnly(b *testing.B) {
	data := benchInputs()["jpeg12mp"]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

var pngEncoderForBench = struct {
	Encode func(*bytes.Buffer, image.Image) error
}{
	Encode: func(w *bytes.Buffer, m image.Image) error { return pngEncoder.Encode(w, m) },
}

// attackInputs are the files of the security review (issue 12), built once.
var attackInputs = sync.OnceValue(func() map[string][]byte {
	// The stray-byte file is refused from its frame header, so the header
	// of a 49 MP progressive CMYK JPEG in front of a small image's scans
	// is all it takes.
	cmyk := testimage.WithStrayByte(testimage.EncodeJPEG(testimage.Photo(64, 64, 1), testimage.JPEGOptions{Progressive: true, Color: testimage.CMYK}))
	sof := bytes.Index(cmyk, []byte{0xff, 0xc2})
	cmyk[sof+5], cmyk[sof+6], cmyk[sof+7], cmyk[sof+8] = 7000>>8, 7000&0xff, 7000>>8, 7000&0xff
	return map[string][]byte{
		"manyscan-5000px-6000scans": manyScan5000(),
		"manyscan-64px-5000scans":   testimage.ManyScanJPEG(64, 64, 5000),
		"straybyte-cmyk-49mp":       cmyk,
		"png16-50mp":                testimage.PNG16(8000, 6250, false),
		"png16-50mp-interlaced":     testimage.PNG16(8000, 6250, true),
	}
})

// BenchmarkRefuse reports what the attack files cost now: the many-scan
// JPEGs and the stray-byte one are refused, the 16-bit PNGs fit the default
// budget and are converted (the interlaced one is also refused under a
// budget of 700 MB, from its header).
func BenchmarkRefuse(b *testing.B) {
	in := attackInputs()
	for _, c := range []struct {
		name, code string
		spec       Spec
	}{
		{"manyscan-5000px-6000scans", "ImageTooComplex", DefaultSpec()},
		{"manyscan-64px-5000scans", "ImageTooComplex", DefaultSpec()},
		{"straybyte-cmyk-49mp", "ImageTooLarge", DefaultSpec()},
		{"png16-50mp", "", DefaultSpec()},
		{"png16-50mp-interlaced", "", DefaultSpec()},
		{"png16-50mp-interlaced", "ImageTooLarge", Spec{Renditions: DefaultSpec().Renditions, Limits: Limits{MaxDecodeBytes: 700_000_000}}},
	} {
		name := c.name + "/" + map[string]string{"": "converted"}[c.code]
		if c.code != "" {
			name = c.name + "/" + c.code
		}
		b.Run(name, func(b *testing.B) {
			data := in[c.name]
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Convert(context.Background(), data, c.spec); Code(err) != c.code {
					b.Fatalf("got %v, want code %q", err, c.code)
				}
			}
		})
	}
}
