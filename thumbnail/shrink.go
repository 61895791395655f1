package thumbnail

import (
	"image"
	"image/color"
	"sync"
)

// Box-averaging integer blocks is the cheap first stage of a resize: one
// pass over the decoded pixels with additions only, straight from the
// decoder's own planes (a JPEG's Y, Cb and Cr), without ever building a
// full-size RGBA copy. It brings the image down to about twice the target,
// where the expensive Lanczos filter then has a few hundred thousand pixels
// to work on instead of twelve million. Averaging before the final filter
// also keeps the result free of aliasing.

// maxFactor bounds the block side so that the sums fit in uint32.
const maxFactor = 1024

// pixPool recycles the intermediate images: they are a few MB each, made
// and dropped once per rendition.
var pixPool sync.Pool

func getPix(n int) []uint8 {
	if p, ok := pixPool.Get().(*[]uint8); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]uint8, n)
}

func putPix(b []uint8) { pixPool.Put(&b) }

// shrink returns img box-averaged by k in each direction, ceil(w/k) by
// ceil(h/k), with partial blocks at the right and bottom edges averaged over
// the pixels they have. Release the result with putPix(result.Pix).
func shrink(img image.Image, k int) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := (w+k-1)/k, (h+k-1)/k
	dst := &image.NRGBA{Pix: getPix(4 * ow * oh), Stride: 4 * ow, Rect: image.Rect(0, 0, ow, oh)}
	switch src := img.(type) {
	case *image.YCbCr:
		if src.Rect.Min == (image.Point{}) {
			shrinkYCbCr(dst, src, k)
			return dst
		}
	case *image.Gray:
		shrinkGray(dst, src, k)
		return dst
	}
	shrinkAny(dst, img, k)
	return dst
}

// chromaShift returns how many bits luma coordinates shift right to index
// the chroma planes.
func chromaShift(r image.YCbCrSubsampleRatio) (hs, vs uint) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 1, 0
	case image.YCbCrSubsampleRatio420:
		return 1, 1
	case image.YCbCrSubsampleRatio440:
		return 0, 1
	case image.YCbCrSubsampleRatio411:
		return 2, 0
	case image.YCbCrSubsampleRatio410:
		return 2, 1
	}
	return 0, 0
}

func shrinkYCbCr(dst *image.NRGBA, src *image.YCbCr, k int) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	ow := dst.Rect.Dx()
	hs, vs := chromaShift(src.SubsampleRatio)
	acc := make([]uint32, 3*ow)
	for oy, y0 := 0, 0; y0 < h; oy, y0 = oy+1, y0+k {
		y1 := min(y0+k, h)
		clear(acc)
		for y := y0; y < y1; y++ {
			yrow := src.Y[y*src.YStride : y*src.YStride+w]
			co := (y >> vs) * src.CStride
			cw := (w + (1 << hs) - 1) >> hs
			cb := src.Cb[co : co+cw]
			cr := src.Cr[co : co+cw]
			for ox, x0 := 0, 0; x0 < w; ox, x0 = ox+1, x0+k {
				x1 := min(x0+k, w)
				var sy, sb, sr uint32
				for x := x0; x < x1; x++ {
					sy += uint32(yrow[x])
					c := x >> hs
					sb += uint32(cb[c])
					sr += uint32(cr[c])
				}
				a := acc[3*ox : 3*ox+3 : 3*ox+3]
				a[0] += sy
				a[1] += sb
				a[2] += sr
			}
		}
		rows := uint32(y1 - y0)
		out := dst.Pix[oy*dst.Stride : oy*dst.Stride+4*ow]
		for ox := 0; ox < ow; ox++ {
			n := rows * uint32(min(k, w-ox*k))
			half := n / 2
			r, g, bl := color.YCbCrToRGB(
				uint8((acc[3*ox]+half)/n),
				uint8((acc[3*ox+1]+half)/n),
				uint8((acc[3*ox+2]+half)/n))
			out[4*ox], out[4*ox+1], out[4*ox+2], out[4*ox+3] = r, g, bl, 0xff
		}
	}
}

func shrinkGray(dst *image.NRGBA, src *image.Gray, k int) {
	b := src.Rect
	w, h := b.Dx(), b.Dy()
	ow := dst.Rect.Dx()
	acc := make([]uint32, ow)
	for oy, y0 := 0, 0; y0 < h; oy, y0 = oy+1, y0+k {
		y1 := min(y0+k, h)
		clear(acc)
		for y := y0; y < y1; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+w]
			for ox, x0 := 0, 0; x0 < w; ox, x0 = ox+1, x0+k {
				var s uint32
				for _, v := range row[x0:min(x0+k, w)] {
					s += uint32(v)
				}
				acc[ox] += s
			}
		}
		rows := uint32(y1 - y0)
		out := dst.Pix[oy*dst.Stride : oy*dst.Stride+4*ow]
		for ox := 0; ox < ow; ox++ {
			n := rows * uint32(min(k, w-ox*k))
			v := uint8((acc[ox] + n/2) / n)
			out[4*ox], out[4*ox+1], out[4*ox+2], out[4*ox+3] = v, v, v, 0xff
		}
	}
}

// shrinkAny averages premultiplied colour, so transparent pixels do not
// bleed their (invisible) colour into the edge of what stays visible. It
// reads pixels one row at a time through rowReader, which has fast paths
// for the decoders' usual types.
func shrinkAny(dst *image.NRGBA, img image.Image, k int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow := dst.Rect.Dx()
	acc := make([]uint64, 4*ow)
	row := make([]uint16, 4*w) // premultiplied RGBA, 16 bits per channel
	for oy, y0 := 0, 0; y0 < h; oy, y0 = oy+1, y0+k {
		y1 := min(y0+k, h)
		clear(acc)
		for y := y0; y < y1; y++ {
			readRow(row, img, b.Min.Y+y)
			for ox, x0 := 0, 0; x0 < w; ox, x0 = ox+1, x0+k {
				a := acc[4*ox : 4*ox+4 : 4*ox+4]
				for x := range min(k, w-x0) {
					p := row[4*(x0+x) : 4*(x0+x)+4 : 4*(x0+x)+4]
					a[0] += uint64(p[0])
					a[1] += uint64(p[1])
					a[2] += uint64(p[2])
					a[3] += uint64(p[3])
				}
			}
		}
		rows := uint64(y1 - y0)
		out := dst.Pix[oy*dst.Stride : oy*dst.Stride+4*ow]
		for ox := 0; ox < ow; ox++ {
			n := rows * uint64(min(k, w-ox*k))
			a := acc[4*ox : 4*ox+4]
			alpha := a[3]
			o := out[4*ox : 4*ox+4 : 4*ox+4]
			if alpha == 0 {
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
				continue
			}
			// Un-premultiply: colour sum / alpha sum is the average colour
			// of what is visible; alpha sum / n is the coverage.
			o[0] = uint8((a[0]*0xff + alpha/2) / alpha)
			o[1] = uint8((a[1]*0xff + alpha/2) / alpha)
			o[2] = uint8((a[2]*0xff + alpha/2) / alpha)
			o[3] = uint8((alpha + n*0x101/2) / (n * 0x101))
		}
	}
}

// readRow fills row with the premultiplied 16-bit RGBA of row y of img.
func readRow(row []uint16, img image.Image, y int) {
	b := img.Bounds()
	w := b.Dx()
	switch src := img.(type) {
	case *image.NRGBA:
		pix := src.Pix[src.PixOffset(b.Min.X, y):]
		for x := range w {
			s := pix[4*x : 4*x+4 : 4*x+4]
			a := uint32(s[3]) * 0x101
			d := row[4*x : 4*x+4 : 4*x+4]
			d[0] = uint16(uint32(s[0]) * 0x101 * a / 0xffff)
			d[1] = uint16(uint32(s[1]) * 0x101 * a / 0xffff)
			d[2] = uint16(uint32(s[2]) * 0x101 * a / 0xffff)
			d[3] = uint16(a)
		}
		return
	case *image.RGBA:
		pix := src.Pix[src.PixOffset(b.Min.X, y):]
		for x := range w {
			s := pix[4*x : 4*x+4 : 4*x+4]
			d := row[4*x : 4*x+4 : 4*x+4]
			d[0], d[1], d[2], d[3] = uint16(s[0])*0x101, uint16(s[1])*0x101, uint16(s[2])*0x101, uint16(s[3])*0x101
		}
		return
	case *image.NRGBA64:
		// 16-bit PNG and TIFF: without this path every pixel goes through
		// At and an interface conversion, several times slower.
		pix := src.Pix[src.PixOffset(b.Min.X, y):]
		for x := range w {
			s := pix[8*x : 8*x+8 : 8*x+8]
			a := uint32(s[6])<<8 | uint32(s[7])
			d := row[4*x : 4*x+4 : 4*x+4]
			d[0] = uint16((uint32(s[0])<<8 | uint32(s[1])) * a / 0xffff)
			d[1] = uint16((uint32(s[2])<<8 | uint32(s[3])) * a / 0xffff)
			d[2] = uint16((uint32(s[4])<<8 | uint32(s[5])) * a / 0xffff)
			d[3] = uint16(a)
		}
		return
	case *image.RGBA64:
		pix := src.Pix[src.PixOffset(b.Min.X, y):]
		for x := range w {
			s := pix[8*x : 8*x+8 : 8*x+8]
			d := row[4*x : 4*x+4 : 4*x+4]
			d[0], d[1] = uint16(s[0])<<8|uint16(s[1]), uint16(s[2])<<8|uint16(s[3])
			d[2], d[3] = uint16(s[4])<<8|uint16(s[5]), uint16(s[6])<<8|uint16(s[7])
		}
		return
	case *image.Paletted:
		var pal [256][4]uint16
		for i, c := range src.Palette {
			r, g, bl, a := c.RGBA()
			pal[i] = [4]uint16{uint16(r), uint16(g), uint16(bl), uint16(a)}
		}
		pix := src.Pix[src.PixOffset(b.Min.X, y):]
		for x := range w {
			copy(row[4*x:4*x+4], pal[pix[x]][:])
		}
		return
	}
	for x := range w {
		r, g, bl, a := img.At(b.Min.X+x, y).RGBA()
		d := row[4*x : 4*x+4 : 4*x+4]
		d[0], d[1], d[2], d[3] = uint16(r), uint16(g), uint16(bl), uint16(a)
	}
}
