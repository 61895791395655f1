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
