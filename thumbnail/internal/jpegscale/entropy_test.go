package jpegscale

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os/exec"
	"reflect"
	"testing"

	"thumbflow/thumbnail/testimage"
)

// cjpeg encodes photo with libjpeg-turbo's cjpeg and the given flags: its
// progressive scripts use successive approximation (refinement scans),
// which testimage's encoder does not write.
func cjpeg(t *testing.T, photo image.Image, flags ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("cjpeg")
	if err != nil {
		t.Skip("cjpeg not installed (apt-get install libjpeg-turbo-progs)")
	}
	b := photo.Bounds()
	var ppm bytes.Buffer
	fmt.Fprintf(&ppm, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := photo.At(x, y).RGBA()
			ppm.Write([]byte{byte(r >> 8), byte(g >> 8), byte(bl >> 8)})
		}
	}
	cmd := exec.Command(path, flags...)
	cmd.Stdin = &ppm
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cjpeg %v: %v", flags, err)
	}
	return out
}

// The entropy decoder is bit-exact against image/jpeg on what libjpeg
// writes: progressive scripts with refinement scans, restart intervals,
// optimised tables, 4:2:0, 4:2:2, 4:4:4 and grayscale.
func TestEntropyDecoderMatchesImageJPEG(t *testing.T) {
	photo := testimage.Photo(403, 301, 11)
	for _, flags := range [][]string{
		{"-quality", "90"},
		{"-quality", "95", "-sample", "1x1"},
		{"-quality", "75", "-sample", "2x1", "-optimize"},
		{"-quality", "90", "-restart", "3"},
		{"-quality", "80", "-restart", "5B"},
		{"-quality", "100", "-restart", "1B", "-sample", "1x1"},
		{"-quality", "90", "-progressive"},
		{"-quality", "92", "-progressive", "-sample", "1x1"},
		{"-quality", "85", "-progressive", "-grayscale"},
		{"-quality", "50", "-progressive", "-optimize"},
	} {
		t.Run(fmt.Sprint(flags), func(t *testing.T) {
			data := cjpeg(t, photo, flags...)
			want, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(bytes.NewReader(data), Options{MaxScans: 100, MaxPasses: 32})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decodes to a different %T than image/jpeg's %T", got, want)
			}
		})
	}
}

// image/jpeg cannot read a progressive JPEG with restart intervals; the
// fork decodes it to the same pixels as the same coefficients without them.
func TestProgressiveWithRestarts(t *testing.T) {
	photo := testimage.Photo(403, 301, 12)
	plain := cjpeg(t, photo, "-quality", "90", "-progressive")
	for _, c := range []struct {
		scale   int
		restart string
	}{{1, "2"}, {1, "3B"}, {1, "1B"}, {2, "5B"}, {4, "1"}, {8, "7B"}} {
		scale := c.scale
		restarts := cjpeg(t, photo, "-quality", "90", "-progressive", "-restart", c.restart)
		want, err := Decode(bytes.NewReader(plain), Options{Scale: scale})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(bytes.NewReader(restarts), Options{Scale: scale})
		if err != nil {
			t.Fatalf("1/%d: %v", scale, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("1/%d: restart interval %s changes the pixels", scale, c.restart)
		}
	}
}

// Truncated and corrupted scans are errors, never a panic or a hang, at
// every scale.
func TestEntropyDecoderBadData(t *testing.T) {
	photo := testimage.Photo(120, 80, 13)
	for _, data := range [][]byte{
		testimage.JPEG(photo, 90),
		testimage.EncodeJPEG(photo, testimage.JPEGOptions{Progressive: true}),
	} {
		for _, scale := range []int{1, 2, 4, 8} {
			truncated := data[:len(data)/2]
			if _, err := Decode(bytes.NewReader(truncated), Options{Scale: scale}); err == nil {
				t.Errorf("1/%d: a file cut in half decodes", scale)
			}
			for i := len(data) / 3; i < len(data)-2; i += 97 {
				bad := bytes.Clone(data)
				bad[i] ^= 0x55
				Decode(bytes.NewReader(bad), Options{Scale: scale}) // must not panic
			}
		}
	}
}

// A progressive file holds the same coefficients as the baseline file
// cjpeg writes with the same settings, so at every scale, where a
// progressive decode keeps only some coefficients (and a mask of the
// others for the refinement scans), both decode to the same pixels.
func TestProgressiveMatchesBaselineAtEveryScale(t *testing.T) {
	photo := testimage.Photo(403, 301, 14)
	for _, flags := range [][]string{
		{"-quality", "90"},
		{"-quality", "95", "-sample", "1x1"},
		{"-quality", "80", "-grayscale"},
	} {
		base := cjpeg(t, photo, flags...)
		prog := cjpeg(t, photo, append(flags, "-progressive")...)
		for _, scale := range []int{1, 2, 4, 8} {
			want, err := Decode(bytes.NewReader(base), Options{Scale: scale})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(bytes.NewReader(prog), Options{Scale: scale})
			if err != nil {
				t.Fatal(err)
			}
			if x, y, ok := samePixels(got, want); !ok {
				t.Errorf("%v 1/%d: progressive and baseline differ at %d,%d", flags, scale, x, y)
			}
		}
	}
}

// samePixels compares the visible pixels only: the planes' padding to whole
// MCUs holds blocks a progressive file does not send.
func samePixels(a, b image.Image) (int, int, bool) {
	if a.Bounds() != b.Bounds() {
		return -1, -1, false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return x, y, false
			}
		}
	}
	return 0, 0, true
}

// FuzzDecode runs the decoder at every scale on mutated JPEGs of each kind
// the tests make: it must return an error or an image of the header's size
// divided by the scale, never panic.
func FuzzDecode(f *testing.F) {
	photo := testimage.Photo(40, 24, 16)
	for _, o := range []testimage.JPEGOptions{
		{}, {Progressive: true}, {RestartInterval: 2}, {Color: testimage.Gray, Progressive: true},
		{Color: testimage.CMYK}, {Color: testimage.YCCK, Progressive: true},
	} {
		f.Add(testimage.EncodeJPEG(photo, o))
	}
	f.Add(testimage.JPEG(photo, 75))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := DecodeInfo(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, scale := range []int{1, 2, 4, 8} {
			img, err := Decode(bytes.NewReader(data), Options{Scale: scale, MaxScans: 50, MaxPasses: 32, MaxBytes: 4 << 20})
			if err != nil {
				continue
			}
			w, h := scaledDims(info.Width, info.Height, scaleShift(scale))
			if img.Bounds() != image.Rect(0, 0, w, h) {
				t.Fatalf("1/%d: bounds %v, header %d×%d", scale, img.Bounds(), info.Width, info.Height)
			}
		}
	})
}
