package thumbnail

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/disintegration/imaging"

	"thumbflow/thumbnail/testimage"
)

// needTool returns the path of an encoder the test needs. Without it the
// test is skipped with a message saying what to install, except under
// CI=true, where a skip would hide the coverage and fails instead.
func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := "*** " + name + " is not installed (apt-get install " + pkg + "): this HEIC/AVIF test does not run ***"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// encodeWith writes img as a PNG, runs tool on it with args (the PNG's path
// replaces "IN", the output's "OUT") and returns the output file.
func encodeWith(t testing.TB, img image.Image, tool, pkg, ext string, args ...string) []byte {
	t.Helper()
	bin := needTool(t, tool, pkg)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.png"), filepath.Join(dir, "out."+ext)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		switch a {
		case "IN":
			args[i] = in
		case "OUT":
			args[i] = out
		}
	}
	runTool(t, bin, args...)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func heifEnc(t testing.TB, img image.Image) []byte {
	return encodeWith(t, img, "heif-enc", "libheif-examples", "heic", "-q", "90", "-o", "OUT", "IN")
}

func avifEnc(t testing.TB, img image.Image, extra ...string) []byte {
	args := append([]string{"-s", "8", "--min", "0", "--max", "16"}, extra...)
	return encodeWith(t, img, "avifenc", "libavif-bin", "avif", append(args, "IN", "OUT")...)
}

func TestWasmModulesEmbedded(t *testing.T) {
	for name, b := range map[string][]byte{"heic": heifWasmGz, "avif": avifWasmGz} {
		if len(b) < 1000 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: embedded module is %d bytes, not gzip data: the go:linkname no longer matches the module", name, len(b))
		}
	}
}

// The modules' own test files: 8-bit, 12-bit and grayscale HEIC, 8- and
// 10-bit AVIF.
func TestHEIFModuleTestdata(t *testing.T) {
	for _, name := range []string{"test8.heic", "test12.heic", "gray.heic", "test8.avif", "test10.avif"} {
		t.Run(name, func(t *testing.T) {
			before := wasmInstances.Load()
			res, err := Convert(context.Background(), readTestdata(t, name), DefaultSpec())
			if err != nil {
				t.Fatal(err)
			}
			// With or without -tags nodynamic, the decode runs in our
			// WebAssembly runtime, never a system library.
			if wasmInstances.Load() == before {
				t.Error("decoded without a WebAssembly instance")
			}
			if res.Width != 512 || res.Height != 512 || res.Orientation != 1 {
				t.Errorf("result %d×%d orientation %d, want 512×512, 1", res.Width, res.Height, res.Orientation)
			}
			thumb := decodeOutput(t, res.Renditions[0])
			if res.Renditions[0].ContentType != "image/jpeg" || thumb.Bounds().Dx() != 320 {
				t.Fatalf("thumb %s %v", res.Renditions[0].ContentType, thumb.Bounds())
			}
			// Lenna is mostly warm: red above blue, unless the file is gray.
			var sr, sg, sb int
			for y := 0; y < 320; y += 8 {
				for x := 0; x < 320; x += 8 {
					r, g, b, _ := thumb.At(x, y).RGBA()
					sr, sg, sb = sr+int(r>>8), sg+int(g>>8), sb+int(b>>8)
				}
			}
			gray := name == "gray.heic"
			if gray && (abs(sr-sg) > 400*2 || abs(sg-sb) > 400*2) {
				t.Errorf("gray image has colour: sums %d %d %d", sr, sg, sb)
			}
			if !gray && sr < sb+400*40 {
				t.Errorf("colours look wrong: sums r %d g %d b %d", sr, sg, sb)
			}
		})
	}
}

func abs(v int) int { return max(v, -v) }

// Files made by the reference encoders come out as the picture they were
// made from.
func TestHEIFEncodedByTools(t *testing.T) {
	src := testimage.Photo(640, 480, 7)
	for name, data := range map[string]func() []byte{
		"heic":        func() []byte { return heifEnc(t, src) },
		"avif":        func() []byte { return avifEnc(t, src) },
		"avif 10-bit": func() []byte { return avifEnc(t, src, "-d", "10") },
		"avif 4:4:4":  func() []byte { return avifEnc(t, src, "-y", "444") },
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Convert(context.Background(), data(), thumbSpec(320, 320))
			if err != nil {
				t.Fatal(err)
			}
			if res.Width != 640 || res.Height != 480 {
				t.Errorf("result %d×%d", res.Width, res.Height)
			}
			got := decodeOutput(t, res.Renditions[0])
			want := referenceResize(src, 320, 240)
			if d := meanDiff(got, want); d > 6 {
				t.Errorf("mean difference %.1f levels from the source", d)
			}
		})
	}
}

// heifTransforms are irot/imir combinations and the EXIF orientation each
// means, written out from ISO/IEC 23008-12 (irot turns anticlockwise,
// imir 0 mirrors top to bottom, 1 left to right, irot applies first), not
// from the converter's code.
var heifTransforms = []struct {
	irot, imir int // -1: no box
	o          int
}{
	{0, -1, 1}, {1, -1, 8}, {2, -1, 3}, {3, -1, 6},
	{-1, 1, 2}, {-1, 0, 4}, {1, 0, 5}, {1, 1, 7},
}

func TestAVIFOrientation(t *testing.T) {
	u := testimage.Quadrants(300, 160)
	for _, tc := range heifTransforms {
		var args []string
		if tc.irot >= 0 {
			args = append(args, "--irot", strconv.Itoa(tc.irot))
		}
		if tc.imir >= 0 {
			args = append(args, "--imir", strconv.Itoa(tc.imir))
		}
		data := avifEnc(t, testimage.Stored(u, tc.o), append(args, "-y", "444")...)
		checkOriented(t, "avif "+strconv.Itoa(tc.o), data, tc.o)
	}
}

// heif-enc cannot write irot or imir, so the test puts them in: the
// primary item's pixi property (16 bytes, not needed to decode) is
// overwritten by an irot or imir box of the same size, which keeps every
// offset in the file valid.
func TestHEICOrientation(t *testing.T) {
	u := testimage.Quadrants(300, 160)
	for _, tc := range heifTransforms {
		if tc.irot >= 0 && tc.imir >= 0 {
			continue // one box only fits where pixi was
		}
		data := heifEnc(t, testimage.Stored(u, tc.o))
		i := bytes.Index(data, []byte("\x00\x00\x00\x10pixi"))
		if i < 0 {
			t.Fatal("heif-enc wrote no 16-byte pixi box")
		}
		typ, v := "irot", tc.irot
		if tc.imir >= 0 {
			typ, v = "imir", tc.imir
		}
		copy(data[i+4:], typ)
		copy(data[i+8:i+16], []byte{byte(v), 0, 0, 0, 0, 0, 0, 0})
		checkOriented(t, "heic "+strconv.Itoa(tc.o), data, tc.o)
	}
}

func checkOriented(t *testing.T, name string, data []byte, o int) {
	t.Helper()
	res, err := Convert(context.Background(), data, thumbSpec(150, 150))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.Orientation != o || res.Width != 300 || res.Height != 160 {
		t.Errorf("%s: orientation %d, %d×%d; want %d, 300×160", name, res.Orientation, res.Width, res.Height, o)
	}
	out := res.Renditions[0]
	if out.Width != 150 || out.Height != 80 {
		t.Errorf("%s: thumb is %d×%d, want 150×80", name, out.Width, out.Height)
	}
	t.Run(name, func(t *testing.T) { checkQuadrants(t, decodeOutput(t, out), 30) })
}

// A header that promises a huge image is refused from the header: no
// module is compiled or instantiated.
func TestHEIFHeaderBomb(t *testing.T) {
	for _, name := range []string{"test8.heic", "test8.avif"} {
		data := readTestdata(t, name)
		for _, side := range []uint32{16000, 20000} {
			bomb := bytes.Clone(data)
			n := 0
			for i := 0; ; {
				j := bytes.Index(bomb[i:], []byte("ispe"))
				if j < 0 {
					break
				}
				i += j
				binary.BigEndian.PutUint32(bomb[i+8:], side)
				binary.BigEndian.PutUint32(bomb[i+12:], side)
				i, n = i+16, n+1
			}
			if n == 0 {
				t.Fatalf("%s: no ispe box", name)
			}
			before := wasmInstances.Load()
			_, err := Convert(context.Background(), bomb, DefaultSpec())
			var tl *ImageTooLarge
			if !errors.As(err, &tl) || tl.Width != int(side) {
				t.Errorf("%s %d px: got %v, want ImageTooLarge", name, side, err)
			}
			if got := wasmInstances.Load() - before; got != 0 {
				t.Errorf("%s %d px: %d decoder instances before the refusal", name, side, got)
			}
			t.Logf("%s %d px: %v", name, side, err)
		}
	}
}

// The instance's memory is capped at the budget, so a file that needs
// more than its header suggests fails cleanly as ImageTooLarge.
func TestHEIFMemoryCap(t *testing.T) {
	for _, name := range []string{"test8.heic", "test8.avif"} {
		data := readTestdata(t, name)
		format, _ := Detect(data)
		_, err := decodeHEIF(context.Background(), format, data, 600<<10)
		if !errors.Is(err, errWasmMemory) {
			t.Errorf("%s with a 600 KB cap: got %v, want errWasmMemory", name, err)
		}
		cfg := image.Config{Width: 512, Height: 512}
		if got := decodeError(context.Background(), format, cfg, Limits{MaxDecodeBytes: 600 << 10}, err); Code(got) != "ImageTooLarge" {
			t.Errorf("%s: reported as %v", name, got)
		}
	}
}

// A cancelled context stops the decoder at its next call into the module
// and is reported as transient.
func TestHEIFCancelled(t *testing.T) {
	data := readTestdata(t, "test8.avif")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := decodeHEIF(ctx, "avif", data, 64<<20)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	var te *TransientError
	if got := decodeError(ctx, "avif", image.Config{}, Limits{}, err); !errors.As(got, &te) {
		t.Errorf("reported as %v, want TransientError", got)
	}
}

// Truncated and damaged files are CorruptImage, never a panic.
func TestHEIFDamaged(t *testing.T) {
	for _, name := range []string{"test8.heic", "test8.avif"} {
		data := readTestdata(t, name)
		flipped := bytes.Clone(data)
		for i := len(flipped) / 2; i < len(flipped); i += 97 {
			flipped[i] ^= 0x5a
		}
		for what, b := range map[string][]byte{
			"meta only": data[:bytes.Index(data, []byte("mdat"))+4],
			"half":      data[:len(data)/2],
			"flipped":   flipped,
		} {
			_, err := Convert(context.Background(), b, DefaultSpec())
			if what != "flipped" && Code(err) != "CorruptImage" {
				t.Errorf("%s %s: got %v, want CorruptImage", name, what, err)
			}
			if err != nil && !IsPermanent(err) {
				t.Errorf("%s %s: %T %v is not permanent", name, what, err, err)
			}
		}
	}
}

func referenceResize(src image.Image, w, h int) *image.NRGBA {
	return imaging.Resize(src, w, h, imaging.Lanczos)
}

// meanDiff is the mean absolute difference of the colour channels, in
// 8-bit levels.
func meanDiff(got image.Image, want *image.NRGBA) float64 {
	if got.Bounds().Size() != want.Rect.Size() {
		return 255
	}
	var sum, n float64
	for y := range want.Rect.Dy() {
		for x := range want.Rect.Dx() {
			g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
			w := want.NRGBAAt(x, y)
			for _, d := range []int{int(g.R) - int(w.R), int(g.G) - int(w.G), int(g.B) - int(w.B)} {
				sum += float64(abs(d))
				n++
			}
		}
	}
	return sum / n
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func runTool(t testing.TB, bin string, args ...string) {
	t.Helper()
	if b, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, b)
	}
}

// The budget of each test file covers what its decoder instance took (the
// linear memory's high-water mark, which the mmap makes the resident
// cost) plus the Go image it is copied into. The measured whole-process
// figures are in docs/converter.md.
func TestHEIFDecodeBytesCoversMemory(t *testing.T) {
	for _, name := range []string{"test8.heic", "test12.heic", "gray.heic", "test8.avif", "test10.avif", "tiny.heic", "tiny.avif"} {
		data := readTestdata(t, name)
		format, _ := Detect(data)
		hdr, err := decodeConfig(format, data)
		if err != nil {
			t.Fatal(err)
		}
		need := decodeBytes(format, data, hdr, 1)
		px := int64(hdr.cfg.Width) * int64(hdr.cfg.Height)
		st := &wasmStats{}
		ctx := context.WithValue(context.Background(), wasmStatsKey{}, st)
		if _, err := decodeHEIF(ctx, format, data, need); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		used := int64(st.Peak) + 4*px
		t.Logf("%s: instance %.1f MB + 4 B/px Go image; budget %.1f MB", name, float64(st.Peak)/1e6, float64(need)/1e6)
		if used > need {
			t.Errorf("%s: used %d bytes, budget %d", name, used, need)
		}
	}
}

// go test -tags nodynamic -run X -bench ConvertHEIF -benchmem ./thumbnail
// (the first iteration pays the module's compile unless the cache is warm).
func BenchmarkConvertHEIF(b *testing.B) {
	for _, name := range []string{"test8.heic", "test12.heic", "test8.avif", "test10.avif"} {
		data := readTestdata(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := Convert(context.Background(), data, DefaultSpec()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
