package resample

import (
	"math"
	"math/rand/v2"
	"testing"
)

// noise is a plane of smooth gradients plus noise, like a photo's detail.
func noise(w, h int, seed uint64) *Plane {
	r := rand.New(rand.NewPCG(seed, 1))
	p := NewPlane(w, h)
	for y := range h {
		for x := range w {
			v := 128 + 90*math.Sin(float64(x)/17)*math.Cos(float64(y)/23) + r.NormFloat64()*20
			p.Pix[y*w+x] = uint8(min(max(math.Round(v), 0), 255))
		}
	}
	return p
}

// reference is the same filter in floating point, computed directly from
// its definition over the whole source, with weights normalised over the
// taps inside the image.
func reference(src *Plane, dw, dh int, srcW, srcH float64) [][]float64 {
	weights := func(dstN, srcN int, extent float64) [][]float64 {
		scale := extent / float64(dstN)
		stretch := max(scale, 1)
		out := make([][]float64, dstN)
		for j := range dstN {
			c := (float64(j)+0.5)*scale - 0.5
			out[j] = make([]float64, srcN)
			var sum float64
			for i := range srcN {
				out[j][i] = lanczos3((float64(i) - c) / stretch)
				sum += out[j][i]
			}
			for i := range out[j] {
				out[j][i] /= sum
			}
		}
		return out
	}
	wx, wy := weights(dw, src.W, srcW), weights(dh, src.H, srcH)
	mid := make([][]float64, src.H)
	for y := range src.H {
		mid[y] = make([]float64, dw)
		for x := range dw {
			for i, w := range wx[x] {
				mid[y][x] += w * float64(src.Pix[y*src.Stride+i])
			}
		}
	}
	out := make([][]float64, dh)
	for y := range dh {
		out[y] = make([]float64, dw)
		for x := range dw {
			for i, w := range wy[y] {
				out[y][x] += w * mid[i][x]
			}
			out[y][x] = min(max(out[y][x], 0), 255)
		}
	}
	return out
}

func TestLanczosMatchesFloatReference(t *testing.T) {
	src := noise(211, 157, 1)
	for _, c := range []struct {
		w, h       int
		srcW, srcH float64
	}{
		{100, 75, 211, 157},    // about ½
		{40, 30, 211, 157},     // about ⅕
		{211, 157, 211, 157},   // same size
		{300, 200, 211, 157},   // enlarging, as a chroma plane may be
		{97, 80, 210.5, 156.5}, // a subsampled plane's extent
		{1, 1, 211, 157},
	} {
		dst := NewPlane(c.w, c.h)
		Lanczos(dst, src, c.srcW, c.srcH)
		want := reference(src, c.w, c.h, c.srcW, c.srcH)
		worst := 0.0
		for y := range c.h {
			for x := range c.w {
				worst = max(worst, math.Abs(float64(dst.Pix[y*dst.Stride+x])-want[y][x]))
			}
		}
		if worst > 1 {
			t.Errorf("%d×%d: differs from floating point by up to %.2f levels", c.w, c.h, worst)
		}
	}
}

func TestLanczosKeepsFlat(t *testing.T) {
	for _, v := range []uint8{0, 1, 127, 254, 255} {
		src := NewPlane(123, 77)
		for i := range src.Pix {
			src.Pix[i] = v
		}
		dst := NewPlane(50, 31)
		Lanczos(dst, src, 123, 77)
		for i, got := range dst.Pix {
			if got != v {
				t.Fatalf("flat %d: sample %d is %d", v, i, got)
			}
		}
	}
}

func TestLanczosStride(t *testing.T) {
	src := noise(64, 48, 2)
	wide := &Plane{Pix: make([]uint8, 100*48), Stride: 100, W: 64, H: 48}
	for y := range 48 {
		copy(wide.Pix[y*100:], src.Row(y))
	}
	a, b := NewPlane(30, 20), &Plane{Pix: make([]uint8, 40*20), Stride: 40, W: 30, H: 20}
	Lanczos(a, src, 64, 48)
	Lanczos(b, wide, 64, 48)
	for y := range 20 {
		if string(a.Row(y)) != string(b.Row(y)) {
			t.Fatalf("row %d depends on the stride", y)
		}
	}
}

func TestBox(t *testing.T) {
	src := noise(10, 7, 3)
	got := Box(src, 3)
	if got.W != 4 || got.H != 3 {
		t.Fatalf("3×3 boxes of 10×7 make %d×%d", got.W, got.H)
	}
	for oy := range 3 {
		for ox := range 4 {
			sum, n := 0, 0
			for y := 3 * oy; y < min(3*oy+3, 7); y++ {
				for x := 3 * ox; x < min(3*ox+3, 10); x++ {
					sum += int(src.Pix[y*10+x])
					n++
				}
			}
			if want := uint8((sum + n/2) / n); got.Pix[oy*got.Stride+ox] != want {
				t.Errorf("box %d,%d = %d, want %d", ox, oy, got.Pix[oy*got.Stride+ox], want)
			}
		}
	}
}

// The sizes of the default preview from a 12 MP photo decoded at 1/2,
// and of the thumbnail from the same decode after a 3× box.
func BenchmarkLanczos(b *testing.B) {
	for _, c := range []struct {
		name           string
		sw, sh, dw, dh int
	}{
		{"2000x1500-to-1024x768", 2000, 1500, 1024, 768},
		{"667x500-to-320x240", 667, 500, 320, 240},
		{"1000x750-to-1024x768", 1000, 750, 1024, 768},
	} {
		b.Run(c.name, func(b *testing.B) {
			src, dst := noise(c.sw, c.sh, 4), NewPlane(c.dw, c.dh)
			b.SetBytes(int64(c.sw * c.sh))
			b.ReportAllocs()
			for b.Loop() {
				Lanczos(dst, src, float64(c.sw), float64(c.sh))
			}
		})
	}
}

func BenchmarkBox(b *testing.B) {
	src := noise(2000, 1500, 5)
	b.SetBytes(int64(len(src.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		Box(src, 3)
	}
}
