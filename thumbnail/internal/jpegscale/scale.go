package jpegscale

// This file is not from upstream. It decodes at 1/2, 1/4 and 1/8 scale as
// libjpeg does (jidctint.c's jpeg_idct_4x4 and jpeg_idct_2x2, and the DC
// alone for 1/8): an N×N inverse DCT over the top-left N×N coefficients of
// each block, which is the block's low-pass content sampled at N×N points.
// Compared with a full decode followed by a box average, it skips most of
// the dequantisation, three quarters (or more) of the IDCT work and of the
// pixel stores, and never writes the full-size planes at all.

// Fixed-point constants of the 4-point IDCT, scaled by 1<<idctBits
// (libjpeg's CONST_BITS).
const (
	idctBits  = 13
	pass1Bits = 2             // extra precision kept between the two passes
	fixS      = 5793          // cos(π/4) = 1/√2
	fixC1     = 7568          // cos(π/8)
	fixC3     = 3135          // cos(3π/8)
	oneHalf13 = 1 << (13 - 1) // rounding for a descale by 13 bits
)

// scaleZigs[shift] lists the zig-zag indexes of the coefficients a block
// decoded at 1/(1<<shift) scale reads: those in its top-left N×N corner,
// N = 8>>shift.
var scaleZigs = func() (z [4][]uint8) {
	for shift := range 4 {
		n := 8 >> shift
		for zig, nat := range unzig {
			if nat%8 < n && nat/8 < n {
				z[shift] = append(z[shift], uint8(zig))
			}
		}
	}
	return z
}()

// clampPix level-shifts are already applied; it clips v to a byte.
func clampPix(v int32) uint8 {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// idct4 writes the 4×4 pixels of a block from the top-left 4×4 of its
// dequantised coefficients b (natural order), level shifted, to dst with
// the given stride.
func idct4(b *block, dst []byte, stride int) {
	var ws [16]int32 // pass 1 output, column-major by input column
	for x := range 4 {
		f0, f1, f2, f3 := b[x], b[8+x], b[16+x], b[24+x]
		e0 := fixS * (f0 + f2)
		e1 := fixS * (f0 - f2)
		o0 := fixC1*f1 + fixC3*f3
		o1 := fixC3*f1 - fixC1*f3
		const sh = idctBits - pass1Bits
		const rnd = 1 << (sh - 1)
		ws[0*4+x] = (e0 + o0 + rnd) >> sh
		ws[1*4+x] = (e1 + o1 + rnd) >> sh
		ws[2*4+x] = (e1 - o1 + rnd) >> sh
		ws[3*4+x] = (e0 - o0 + rnd) >> sh
	}
	// Pass 2 descales by the constants, pass 1's extra bits and the two
	// factors of ½ of a 4-point IDCT, rounds, and adds the level shift.
	const sh = idctBits + pass1Bits + 2
	const bias = 1<<(sh-1) + 128<<sh
	for y := range 4 {
		r := ws[4*y : 4*y+4 : 4*y+4]
		e0 := fixS * (r[0] + r[2])
		e1 := fixS * (r[0] - r[2])
		o0 := fixC1*r[1] + fixC3*r[3]
		o1 := fixC3*r[1] - fixC1*r[3]
		d := dst[y*stride : y*stride+4 : y*stride+4]
		d[0] = clampPix((e0 + o0 + bias) >> sh)
		d[1] = clampPix((e1 + o1 + bias) >> sh)
		d[2] = clampPix((e1 - o1 + bias) >> sh)
		d[3] = clampPix((e0 - o0 + bias) >> sh)
	}
}

// idct2 writes the 2×2 pixels of a block from its top-left 2×2 dequantised
// coefficients: for two points the IDCT is a sum and a difference, and
// the constants multiply out to exactly 1/8.
func idct2(b *block, dst []byte, stride int) {
	f00, f01, f10, f11 := b[0], b[1], b[8], b[9]
	const bias = 4 + 128<<3
	a, s := f00+f10, f00-f10 // vertical sum and difference
	c, t := f01+f11, f01-f11
	dst[0] = clampPix((a + c + bias) >> 3)
	dst[1] = clampPix((a - c + bias) >> 3)
	dst[stride] = clampPix((s + t + bias) >> 3)
	dst[stride+1] = clampPix((s - t + bias) >> 3)
}

// scaledDims is the size of a w×h image decoded at 1/(1<<shift) scale,
// rounded up as libjpeg rounds it.
func scaledDims(w, h int, shift uint) (int, int) {
	n := 1 << shift
	return (w + n - 1) / n, (h + n - 1) / n
}
