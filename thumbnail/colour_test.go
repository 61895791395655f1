package thumbnail

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"thumbflow/thumbnail/testimage"
)

// displayP3 builds a Display P3 ICC profile (v4, matrix/TRC) as Apple's
// is: the P3 primaries adapted to D50 and the sRGB tone curve as a
// parametric curve of type 3.
func displayP3() []byte {
	xyz := func(x, y, z float64) []byte {
		b := []byte("XYZ \x00\x00\x00\x00")
		for _, v := range []float64{x, y, z} {
			b = binary.BigEndian.AppendUint32(b, uint32(int32(math.Round(v*65536))))
		}
		return b
	}
	trc := []byte("para\x00\x00\x00\x00\x00\x03\x00\x00")
	for _, v := range []float64{2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045} {
		trc = binary.BigEndian.AppendUint32(trc, uint32(int32(math.Round(v*65536))))
	}
	tags := []struct {
		sig  string
		data []byte
	}{
		{"rXYZ", xyz(0.515102, 0.241182, -0.001050)},
		{"gXYZ", xyz(0.291965, 0.692236, 0.041881)},
		{"bXYZ", xyz(0.157153, 0.066582, 0.784378)},
		{"wtpt", xyz(0.964203, 1, 0.824905)},
		{"rTRC", trc}, {"gTRC", trc}, {"bTRC", trc},
	}
	hdr := make([]byte, 128)
	copy(hdr[8:], "\x04\x30\x00\x00mntrRGB XYZ ")
	copy(hdr[36:], "acsp")
	copy(hdr[68:], xyz(0.9642, 1, 0.8249)[8:])
	table := binary.BigEndian.AppendUint32(nil, uint32(len(tags)))
	var body []byte
	off := 128 + 4 + 12*len(tags)
	for _, t := range tags {
		table = append(table, t.sig...)
		table = binary.BigEndian.AppendUint32(table, uint32(off+len(body)))
		table = binary.BigEndian.AppendUint32(table, uint32(len(t.data)))
		body = append(body, t.data...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	p := append(append(hdr, table...), body...)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	return p
}

// p3Patches are saturated Display P3 colours inside sRGB's gamut (so the
// right answer is not a clipped one), and a gray that must not move.
var p3Patches = []color.NRGBA{{200, 60, 40, 255}, {40, 180, 90, 255}, {60, 80, 200, 255}, {128, 128, 128, 255}}

func patchImage() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 80*len(p3Patches), 80))
	for y := range 80 {
		for x := range img.Rect.Dx() {
			img.SetNRGBA(x, y, p3Patches[x/80])
		}
	}
	return img
}

// p3ToSRGB converts independently of the converter's code: the P3 and
// sRGB curves and the published linear P3-D65 to sRGB matrix (both D65, so
// no adaptation).
func p3ToSRGB(c color.NRGBA) [3]float64 {
	dec := func(v uint8) float64 {
		x := float64(v) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	enc := func(l float64) float64 {
		l = min(max(l, 0), 1)
		if l <= 0.0031308 {
			return 255 * 12.92 * l
		}
		return 255 * (1.055*math.Pow(l, 1/2.4) - 0.055)
	}
	r, g, b := dec(c.R), dec(c.G), dec(c.B)
	return [3]float64{
		enc(1.2249401*r - 0.2249404*g),
		enc(-0.0420569*r + 1.0420571*g),
		enc(-0.0196376*r - 0.0786361*g + 1.0982735*b),
	}
}

func withJPEGICC(jpg, icc []byte, chunk int) []byte {
	var segs []byte
	n := (len(icc) + chunk - 1) / chunk
	for i := range n {
		part := icc[i*chunk : min(len(icc), (i+1)*chunk)]
		seg := append([]byte("ICC_PROFILE\x00"), byte(i+1), byte(n))
		seg = append(seg, part...)
		segs = append(segs, 0xff, 0xe2, byte((len(seg)+2)>>8), byte(len(seg)+2))
		segs = append(segs, seg...)
	}
	return append(append(append([]byte{}, jpg[:2]...), segs...), jpg[2:]...)
}

func iccpChunk(icc []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(icc)
	zw.Close()
	return append([]byte("Display P3\x00\x00"), z.Bytes()...)
}

// A Display P3 image comes out as the sRGB colours it means, whichever
// container carries the profile.
func TestDisplayP3ToSRGB(t *testing.T) {
	icc := displayP3()
	src := patchImage()
	taggedPNG := testimage.PNGWithChunk(encodePNG(t, src), "iCCP", iccpChunk(icc))
	cases := map[string]func() []byte{
		"png iCCP": func() []byte { return taggedPNG },
		"jpeg APP2 in 3 chunks": func() []byte {
			return withJPEGICC(testimage.EncodeJPEG(src, testimage.JPEGOptions{Quality: 98}), icc, len(icc)/3+1)
		},
		// Both encoders carry the PNG's profile into a colr 'prof' box.
		"heic colr prof": func() []byte { return heifEncPNG(t, taggedPNG, "heic") },
		"avif colr prof": func() []byte { return heifEncPNG(t, taggedPNG, "avif") },
		// nclx 12/13/6: P3 primaries, sRGB transfer, BT.601 matrix.
		"avif colr nclx": func() []byte { return avifEnc(t, src, "-y", "444", "--cicp", "12/13/6") },
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := Convert(context.Background(), data(), thumbSpec(320, 320))
			if err != nil {
				t.Fatal(err)
			}
			img := decodeOutput(t, res.Renditions[0])
			for i, p := range p3Patches {
				got := color.NRGBAModel.Convert(img.At(80*i+40, 40)).(color.NRGBA)
				want := p3ToSRGB(p)
				for ch, g := range []uint8{got.R, got.G, got.B} {
					if math.Abs(float64(g)-want[ch]) > 4 {
						t.Errorf("patch %v: got %v, want %.0f (channel %d)", p, got, want, ch)
						break
					}
				}
			}
		})
	}
	// The test means something only if P3 and sRGB differ on these colours.
	if w := p3ToSRGB(p3Patches[0]); math.Abs(w[0]-200) < 10 {
		t.Fatalf("P3 %v is %v in sRGB: too close to tell", p3Patches[0], w)
	}
}

// heifEncPNG encodes a PNG file (keeping its iCCP) with heif-enc or
// avifenc.
func heifEncPNG(t *testing.T, pngData []byte, ext string) []byte {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.png"), filepath.Join(dir, "out."+ext)
	if err := os.WriteFile(in, pngData, 0o644); err != nil {
		t.Fatal(err)
	}
	tool, pkg, args := "heif-enc", "libheif-examples", []string{"-q", "95", "-p", "chroma=444", "-o", out, in}
	if ext == "avif" {
		tool, pkg, args = "avifenc", "libavif-bin", []string{"-s", "8", "--min", "0", "--max", "8", "-y", "444", in, out}
	}
	runTool(t, needTool(t, tool, pkg), args...)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// An sRGB profile, an untagged file and a gray or CMYK profile convert
// nothing; a broken profile is ignored rather than failing the file.
func TestColourTransformNotNeeded(t *testing.T) {
	srgb := displayP3()
	// Overwrite the colorants with sRGB's.
	for i, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		j := bytes.Index(srgb, []byte(sig))
		off := binary.BigEndian.Uint32(srgb[j+4:])
		for row := range 3 {
			binary.BigEndian.PutUint32(srgb[off+8+4*uint32(row):], uint32(int32(math.Round(srgbD50[3*row+i]*65536))))
		}
	}
	p, err := parseICC(srgb)
	if err != nil {
		t.Fatal(err)
	}
	if newColourTransform(p) != nil {
		t.Error("an sRGB profile gets a transform")
	}
	gray := bytes.Clone(srgb)
	copy(gray[16:], "GRAY")
	cmyk := bytes.Clone(srgb)
	copy(cmyk[16:], "CMYK")
	for name, icc := range map[string][]byte{"gray": gray, "cmyk": cmyk, "truncated": srgb[:200], "empty": nil} {
		if _, err := parseICC(icc); err == nil {
			t.Errorf("%s profile parsed", name)
		}
		jpg := withJPEGICC(testimage.JPEG(patchImage(), 90), append(icc, 0), 100)
		if colourTransformFor("jpeg", jpg) != nil {
			t.Errorf("%s profile gives a transform", name)
		}
	}
	// A JPEG whose chunk 2 of 3 is missing has no usable profile.
	jpg := withJPEGICC(testimage.JPEG(patchImage(), 90), displayP3(), 200)
	if colourTransformFor("jpeg", jpg) == nil {
		t.Fatal("P3 JPEG gets no transform")
	}
	i := bytes.Index(jpg, []byte("ICC_PROFILE\x00\x02"))
	jpg[i] = 'X'
	if colourTransformFor("jpeg", jpg) != nil {
		t.Error("a profile with a missing chunk gives a transform")
	}
}
