package thumbnail

import (
	"image"

	"thumbflow/thumbnail/internal/resample"
)

// resizePlanes makes the w×h rendition of an opaque YCbCr or gray image
// straight from its decoder's planes, with package resample: each plane is
// box-averaged (when it is several times the target) and Lanczos-filtered
// to the output size, at its own resolution, and only the w×h result is
// converted to RGB. It returns nil for an image of another kind, which
// takes the general path.
func resizePlanes(img image.Image, w, h int) *image.NRGBA {
	switch src := img.(type) {
	case *image.YCbCr:
		if src.Rect.Min != (image.Point{}) {
			return nil
		}
		sw, sh := src.Rect.Dx(), src.Rect.Dy()
		hs, vs := chromaShift(src.SubsampleRatio)
		cw, ch := (sw+(1<<hs)-1)>>hs, (sh+(1<<vs)-1)>>vs
		k := min(shrinkFactor(sw, w), shrinkFactor(sh, h))
		y := fitPlane(&resample.Plane{Pix: src.Y, Stride: src.YStride, W: sw, H: sh}, float64(sw), float64(sh), k, w, h)
		cex, cey := float64(sw)/float64(int(1)<<hs), float64(sh)/float64(int(1)<<vs)
		cb := fitPlane(&resample.Plane{Pix: src.Cb, Stride: src.CStride, W: cw, H: ch}, cex, cey, k, w, h)
		cr := fitPlane(&resample.Plane{Pix: src.Cr, Stride: src.CStride, W: cw, H: ch}, cex, cey, k, w, h)
		return ycbcrToNRGBA(y, cb, cr)
	case *image.Gray:
		if src.Rect.Min != (image.Point{}) {
			return nil
		}
		sw, sh := src.Rect.Dx(), src.Rect.Dy()
		k := min(shrinkFactor(sw, w), shrinkFactor(sh, h))
		g := fitPlane(&resample.Plane{Pix: src.Pix, Stride: src.Stride, W: sw, H: sh}, float64(sw), float64(sh), k, w, h)
		dst := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i, v := range g.Pix {
			p := dst.Pix[4*i : 4*i+4 : 4*i+4]
			p[0], p[1], p[2], p[3] = v, v, v, 0xff
		}
		return dst
	}
	return nil
}

// canResizePlanes reports whether resizePlanes takes img.
func canResizePlanes(img image.Image) bool {
	switch src := img.(type) {
	case *image.YCbCr:
		return src.Rect.Min == (image.Point{})
	case *image.Gray:
		return src.Rect.Min == (image.Point{})
	}
	return false
}

// fitPlane resamples p, whose picture covers ex×ey of its samples, to w×h:
// a k×k box first when k > 1 (the cheap stage that leaves Lanczos about
// twice the target, see shrinkFactor), then Lanczos.
func fitPlane(p *resample.Plane, ex, ey float64, k, w, h int) *resample.Plane {
	if k > 1 && (p.W > 2*w || p.H > 2*h) {
		p = resample.Box(p, k)
		ex, ey = ex/float64(k), ey/float64(k)
	}
	if p.W == w && p.H == h && ex == float64(w) && ey == float64(h) {
		return p
	}
	dst := resample.NewPlane(w, h)
	resample.Lanczos(dst, p, ex, ey)
	return dst
}

// ycbcrToNRGBA converts three planes of the same size to RGB, with the
// arithmetic of color.YCbCrToRGB (JFIF's full-range BT.601).
func ycbcrToNRGBA(y, cb, cr *resample.Plane) *image.NRGBA {
	dst := image.NewNRGBA(image.Rect(0, 0, y.W, y.H))
	for row := range y.H {
		ys, bs, rs := y.Row(row), cb.Row(row), cr.Row(row)
		bs, rs = bs[:len(ys)], rs[:len(ys)]
		out := dst.Pix[row*dst.Stride : row*dst.Stride+4*len(ys)]
		for x, yy := range ys {
			yy1 := int32(yy) * 0x10101
			b := int32(bs[x]) - 128
			r := int32(rs[x]) - 128
			p := out[4*x : 4*x+4 : 4*x+4]
			p[0] = clip16(yy1 + 91881*r)
			p[1] = clip16(yy1 - 22554*b - 46802*r)
			p[2] = clip16(yy1 + 116130*b)
			p[3] = 0xff
		}
	}
	return dst
}

// clip16 is color.YCbCrToRGB's final step: a 16.16 fixed-point value
// clipped to a byte.
func clip16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}
