// Package resample scales 8-bit sample planes: a box average by an integer
// factor and a fixed-point, separable Lanczos-3 filter.
//
// It works on one channel at a time, so an opaque image is resampled in
// the colour space its decoder produced (a JPEG's Y, Cb and Cr planes,
// each at its own resolution) and converted to RGB only at the output
// size. The filter is linear and the YCbCr to RGB conversion affine, so
// this is the same as filtering RGB, except for clipping, for a third to a
// half of the work; there is no alpha, so no per-tap multiplication by it.
// Images with transparency are not for this package: averaging their
// colour needs premultiplied alpha.
//
// Weights are 14-bit integers that sum to exactly 1<<14 for every output
// sample, and the horizontal pass keeps 6 fractional bits, so a flat plane
// stays flat and the result is within a level of the same filter in
// floating point.
package resample

import "math"

// Plane is a W×H rectangle of 8-bit samples of one channel; sample (x, y)
// is Pix[y*Stride+x].
type Plane struct {
	Pix    []uint8
	Stride int
	W, H   int
}

// NewPlane allocates a w×h plane.
func NewPlane(w, h int) *Plane {
	return &Plane{Pix: make([]uint8, w*h), Stride: w, W: w, H: h}
}

// Row returns the samples of row y.
func (p *Plane) Row(y int) []uint8 {
	return p.Pix[y*p.Stride : y*p.Stride+p.W]
}

const (
	weightBits = 14 // a weight of 1 is 1<<weightBits
	midBits    = 6  // fractional bits kept between the two passes
	support    = 3.0
)

// lanczos3 is the Lanczos kernel with three lobes, sinc(x)·sinc(x/3).
func lanczos3(x float64) float64 {
	x = math.Abs(x)
	if x >= support {
		return 0
	}
	if x < 1e-9 {
		return 1
	}
	px := math.Pi * x
	return support * math.Sin(px) * math.Sin(px/support) / (px * px)
}

// kernel holds the weights of one pass: output sample j is the sum over
// t < n of src[start[j]+t] × w[j*n+t] >> weightBits. Every window has the
// same length n, so the inner loop has no edge cases: near an edge the
// window is moved inside the source and the weights of the missing taps,
// which the filter would have read beyond the edge, are zero.
type kernel struct {
	n     int
	start []int
	w     []int32
}

// makeKernel maps srcN samples, whose picture covers extent samples, onto
// dstN. Sample j of the output is centred at (j+½)·extent/dstN − ½ in the
// source, the convention of imaging and libvips. When shrinking, the filter
// is stretched by the scale, so that it averages what it drops.
func makeKernel(dstN, srcN int, extent float64) kernel {
	scale := extent / float64(dstN)
	stretch := max(scale, 1)
	radius := support * stretch
	n := min(int(math.Ceil(2*radius))+1, srcN)
	k := kernel{n: n, start: make([]int, dstN), w: make([]int32, dstN*n)}
	f := make([]float64, n)
	for j := range dstN {
		c := (float64(j)+0.5)*scale - 0.5
		lo := max(int(math.Ceil(c-radius)), 0)
		hi := min(int(math.Floor(c+radius)), srcN-1)
		start := min(lo, srcN-n)
		k.start[j] = start
		clear(f)
		var sum float64
		for i := lo; i <= hi; i++ {
			v := lanczos3((float64(i) - c) / stretch)
			f[i-start] = v
			sum += v
		}
		if sum == 0 { // cannot happen for a centre inside the source
			f[min(max(int(math.Round(c)), 0), srcN-1)-start], sum = 1, 1
		}
		w := k.w[j*n : j*n+n]
		var total int32
		big := 0
		for t, v := range f {
			w[t] = int32(math.Round(v / sum * (1 << weightBits)))
			total += w[t]
			if w[t] > w[big] {
				big = t
			}
		}
		// Rounding may leave the weights a unit or two off 1: give the
		// difference to the largest, so that flat stays flat.
		w[big] += 1<<weightBits - total
	}
	return k
}

// Lanczos resamples src into dst, to dst.W×dst.H, with a Lanczos-3 filter.
// srcW and srcH are the extent of the picture in src's samples: src.W and
// src.H for a full plane; for a subsampled chroma plane, the luma size
// divided by the subsampling, which may be half a sample less than the
// plane (a 4:2:0 plane of an odd-width image has a last column that covers
// one luma column).
//
// The vertical pass runs first: it adds whole rows, a loop over
// contiguous samples, while the horizontal pass gathers a window per output
// sample, so the gathering is done on dst.H rows instead of src.H.
func Lanczos(dst, src *Plane, srcW, srcH float64) {
	kh := makeKernel(dst.W, src.W, srcW)
	kv := makeKernel(dst.H, src.H, srcH)
	mid := make([]int16, src.W)
	acc := make([]int32, src.W)
	for y := range dst.H {
		clear(acc)
		w := kv.w[y*kv.n : y*kv.n+kv.n]
		t := 0
		for ; t+4 <= len(w); t += 4 {
			r := kv.start[y] + t
			addRows4(acc, src.Row(r), src.Row(r+1), src.Row(r+2), src.Row(r+3), w[t:t+4])
		}
		for ; t < len(w); t++ {
			if w[t] != 0 {
				addRow(acc, src.Row(kv.start[y]+t), w[t])
			}
		}
		const round = 1 << (weightBits - midBits - 1)
		mid = mid[:len(acc)]
		for x, a := range acc {
			mid[x] = int16((a + round) >> (weightBits - midBits))
		}
		horizontal(dst.Row(y), mid, &kh)
	}
}

// addRow adds row × w to acc.
func addRow(acc []int32, row []uint8, w int32) {
	row = row[:len(acc)]
	for x, v := range row {
		acc[x] += int32(v) * w
	}
}

// addRows4 adds four rows times their weights to acc: one load and store
// of acc for four taps.
func addRows4(acc []int32, r0, r1, r2, r3 []uint8, w []int32) {
	w = w[:4]
	w0, w1, w2, w3 := w[0], w[1], w[2], w[3]
	r0, r1, r2, r3 = r0[:len(acc)], r1[:len(acc)], r2[:len(acc)], r3[:len(acc)]
	for x := range acc {
		acc[x] += int32(r0[x])*w0 + int32(r1[x])*w1 + int32(r2[x])*w2 + int32(r3[x])*w3
	}
}

// horizontal filters one row of the vertical pass's output into out.
func horizontal(out []uint8, row []int16, k *kernel) {
	n := k.n
	const round = 1 << (weightBits + midBits - 1)
	for x := range out {
		s := row[k.start[x] : k.start[x]+n]
		w := k.w[x*n : x*n+n]
		w = w[:len(s)]
		var sum int32
		for i, v := range s {
			sum += int32(v) * w[i]
		}
		v := (sum + round) >> (weightBits + midBits)
		out[x] = uint8(min(max(v, 0), 255))
	}
}

// Box returns src averaged over k×k blocks, ⌈W/k⌉ × ⌈H/k⌉, with the
// partial blocks at the right and bottom edges averaged over the samples
// they have. It is the cheap first stage of a large reduction: additions
// only, one pass, leaving Lanczos a plane a few times the target.
func Box(src *Plane, k int) *Plane {
	ow, oh := (src.W+k-1)/k, (src.H+k-1)/k
	dst := NewPlane(ow, oh)
	acc := make([]uint32, ow)
	for oy := range oh {
		y0, y1 := oy*k, min(oy*k+k, src.H)
		clear(acc)
		for y := y0; y < y1; y++ {
			row := src.Row(y)
			for ox := range acc {
				var s uint32
				for _, v := range row[ox*k : min(ox*k+k, src.W)] {
					s += uint32(v)
				}
				acc[ox] += s
			}
		}
		out := dst.Row(oy)
		rows := uint32(y1 - y0)
		for ox, a := range acc {
			n := rows * uint32(min(k, src.W-ox*k))
			out[ox] = uint8((a + n/2) / n)
		}
	}
	return dst
}
