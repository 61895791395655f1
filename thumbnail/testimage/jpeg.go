// Package testimage generates the images the converter's tests and
// benchmarks run on, and the local cloud's end-to-end tests upload,
// including the JPEG variants the standard library cannot write
// (progressive, CMYK, YCCK), EXIF orientations and headers that claim
// huge sizes, so that no binary fixture has to be trusted or kept in the
// repository.
package testimage

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"math"
)

// JPEGColor selects the colour model a JPEG is written in.
type JPEGColor int

const (
	YCbCr JPEGColor = iota // three components, JFIF
	Gray                   // one component
	CMYK                   // four components, Adobe APP14 transform 0, inverted as Photoshop writes them
	YCCK                   // four components, Adobe APP14 transform 2
)

// JPEGOptions configure EncodeJPEG. Sampling is always 4:4:4.
type JPEGOptions struct {
	Quality     int // 1–100; 0 means 90
	Progressive bool
	Color       JPEGColor
	// RestartInterval, for a baseline JPEG, puts a restart marker after
	// every so many MCUs (blocks, at 4:4:4).
	RestartInterval int
}

// EncodeJPEG writes img as a JPEG. It exists because image/jpeg writes only
// baseline 4:2:0 YCbCr, and decoders must be tested on what cameras and
// Photoshop produce.
func EncodeJPEG(img image.Image, o JPEGOptions) []byte {
	if o.Quality == 0 {
		o.Quality = 90
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	planes := toPlanes(img, o.Color)
	quant := quantTables(o.Quality)
	coef := quantise(planes, w, h, &quant)

	var buf bytes.Buffer
	buf.Write([]byte{0xff, 0xd8})
	switch o.Color {
	case YCbCr, Gray:
		segment(&buf, 0xe0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	case CMYK:
		segment(&buf, 0xee, []byte("Adobe\x00\x64\x00\x00\x00\x00\x00"))
	case YCCK:
		segment(&buf, 0xee, []byte("Adobe\x00\x64\x00\x00\x00\x00\x02"))
	}
	dqt := []byte{0}
	for _, v := range quant[0] {
		dqt = append(dqt, byte(v))
	}
	dqt = append(dqt, 1)
	for _, v := range quant[1] {
		dqt = append(dqt, byte(v))
	}
	segment(&buf, 0xdb, dqt)
	writeSOF(&buf, w, h, len(planes), o.Progressive)
	var dht []byte
	for i, s := range theHuffmanSpec {
		class := byte(i % 2) // 0 DC, 1 AC
		id := byte(i / 2)    // 0 luma, 1 chroma
		dht = append(dht, class<<4|id)
		dht = append(dht, s.count[:]...)
		dht = append(dht, s.value...)
	}
	segment(&buf, 0xc4, dht)
	if o.RestartInterval > 0 && !o.Progressive {
		segment(&buf, 0xdd, []byte{byte(o.RestartInterval >> 8), byte(o.RestartInterval)})
	}
	writeScans(&buf, coef, o.Progressive, o.RestartInterval)
	buf.Write([]byte{0xff, 0xd9})
	return buf.Bytes()
}

// quantTables returns the spec's luma and chroma tables scaled to quality
// as libjpeg scales them, in zig-zag order.
func quantTables(quality int) [2][64]int32 {
	scale := 200 - 2*quality
	if quality < 50 {
		scale = 5000 / quality
	}
	var quant [2][64]int32
	for i := range quant {
		for j := range 64 {
			quant[i][j] = min(255, max(1, (int32(unscaledQuant[i][j])*int32(scale)+50)/100))
		}
	}
	return quant
}

// quantise returns the quantised coefficients in zig-zag order, per
// component per block, of w×h sample planes; component 0 takes the luma
// table and the others the chroma one.
func quantise(planes [][]uint8, w, h int, quant *[2][64]int32) [][][64]int32 {
	bw, bh := (w+7)/8, (h+7)/8
	coef := make([][][64]int32, len(planes))
	for c, p := range planes {
		q := &quant[min(c, 1)]
		coef[c] = make([][64]int32, bw*bh)
		for by := range bh {
			for bx := range bw {
				var blk [64]float64
				for y := range 8 {
					for x := range 8 {
						sx, sy := min(bx*8+x, w-1), min(by*8+y, h-1)
						blk[y*8+x] = float64(p[sy*w+sx]) - 128
					}
				}
				fdct(&blk)
				out := &coef[c][by*bw+bx]
				for z := range 64 {
					out[z] = int32(math.Round(blk[unzig[z]] / float64(q[z])))
				}
			}
		}
	}
	return coef
}

// writeSOF writes a 4:4:4 frame header; component c uses quantisation
// table min(c, 1).
func writeSOF(buf *bytes.Buffer, w, h, comps int, progressive bool) {
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(comps)}
	for c := range comps {
		sof = append(sof, byte(c+1), 0x11, byte(min(c, 1)))
	}
	marker := byte(0xc0)
	if progressive {
		marker = 0xc2
	}
	segment(buf, marker, sof)
}

// writeSOS writes a scan header for components comps (0-based), each with
// Huffman tables min(c, 1), spectral selection ss…se and no successive
// approximation.
func writeSOS(buf *bytes.Buffer, comps []int, ss, se byte) {
	p := []byte{byte(len(comps))}
	for _, c := range comps {
		p = append(p, byte(c+1), byte(min(c, 1))<<4|byte(min(c, 1)))
	}
	p = append(p, ss, se, 0)
	segment(buf, 0xda, p)
}

// writeScans writes the entropy-coded scans of coef with the spec's Huffman
// tables: one interleaved scan for a baseline image; for a progressive one
// an interleaved DC scan and then one AC scan per component. A baseline
// scan has a restart marker every ri MCUs when ri > 0.
func writeScans(buf *bytes.Buffer, coef [][][64]int32, progressive bool, ri int) {
	codes := [4]huffCodes{build(theHuffmanSpec[0]), build(theHuffmanSpec[1]), build(theHuffmanSpec[2]), build(theHuffmanSpec[3])}
	dc := func(c int) *huffCodes { return &codes[2*min(c, 1)] }
	ac := func(c int) *huffCodes { return &codes[2*min(c, 1)+1] }
	e := &bitWriter{w: buf}
	all := make([]int, len(coef))
	for c := range all {
		all[c] = c
	}
	blocks := len(coef[0])
	prev := make([]int32, len(coef))
	if !progressive {
		writeSOS(buf, all, 0, 63)
		for i := range blocks {
			if ri > 0 && i > 0 && i%ri == 0 {
				e.flush()
				buf.Write([]byte{0xff, 0xd0 + byte((i/ri-1)%8)})
				clear(prev)
			}
			for c := range coef {
				blk := &coef[c][i]
				e.dc(dc(c), blk[0]-prev[c])
				prev[c] = blk[0]
				e.ac(ac(c), blk)
			}
		}
		e.flush()
		return
	}
	writeSOS(buf, all, 0, 0)
	for i := range blocks {
		for c := range coef {
			blk := &coef[c][i]
			e.dc(dc(c), blk[0]-prev[c])
			prev[c] = blk[0]
		}
	}
	e.flush()
	for c := range coef {
		writeSOS(buf, []int{c}, 1, 63)
		for i := range blocks {
			e.ac(ac(c), &coef[c][i]) // EOB0 is an end-of-band run of one
		}
		e.flush()
	}
}

// toPlanes splits img into the 8-bit sample planes of the colour model.
func toPlanes(img image.Image, cm JPEGColor) [][]uint8 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	n := map[JPEGColor]int{YCbCr: 3, Gray: 1, CMYK: 4, YCCK: 4}[cm]
	planes := make([][]uint8, n)
	for i := range planes {
		planes[i] = make([]uint8, w*h)
	}
	for y := range h {
		for x := range w {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			i := y*w + x
			switch cm {
			case Gray:
				planes[0][i] = color.GrayModel.Convert(c).(color.Gray).Y
			case YCbCr:
				v := color.YCbCrModel.Convert(c).(color.YCbCr)
				planes[0][i], planes[1][i], planes[2][i] = v.Y, v.Cb, v.Cr
			case CMYK:
				v := color.CMYKModel.Convert(c).(color.CMYK)
				planes[0][i], planes[1][i], planes[2][i], planes[3][i] = 255-v.C, 255-v.M, 255-v.Y, 255-v.K
			case YCCK:
				// The YCC part carries CMY as if it were RGB: the RGB-to-CMY
				// inversion and Adobe's inversion cancel out, as libjpeg
				// and image/jpeg read it; only K is stored inverted.
				v := color.CMYKModel.Convert(c).(color.CMYK)
				yy, cb, cr := color.RGBToYCbCr(v.C, v.M, v.Y)
				planes[0][i], planes[1][i], planes[2][i], planes[3][i] = yy, cb, cr, 255-v.K
			}
		}
	}
	return planes
}

var cosTable = func() (t [8][8]float64) {
	for x := range 8 {
		for u := range 8 {
			c := 1.0
			if u == 0 {
				c = 1 / math.Sqrt2
			}
			t[u][x] = c / 2 * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16)
		}
	}
	return t
}()

// fdct is the separable 2-D forward DCT of the JPEG spec, in floating point.
func fdct(b *[64]float64) {
	var tmp [64]float64
	for y := range 8 {
		for u := range 8 {
			var s float64
			for x := range 8 {
				s += cosTable[u][x] * b[y*8+x]
			}
			tmp[y*8+u] = s
		}
	}
	for u := range 8 {
		for v := range 8 {
			var s float64
			for y := range 8 {
				s += cosTable[v][y] * tmp[y*8+u]
			}
			b[v*8+u] = s
		}
	}
}

func segment(buf *bytes.Buffer, marker byte, payload []byte) {
	buf.Write([]byte{0xff, marker})
	binary.Write(buf, binary.BigEndian, uint16(len(payload)+2))
	buf.Write(payload)
}

type huffCodes struct {
	code [256]uint32
	size [256]uint8
}

func build(s huffmanSpec) huffCodes {
	var h huffCodes
	code, k := uint32(0), 0
	for l := range 16 {
		for range s.count[l] {
			v := s.value[k]
			h.code[v], h.size[v] = code, uint8(l+1)
			code++
			k++
		}
		code <<= 1
	}
	return h
}

// bitWriter writes entropy-coded data with 0xFF byte stuffing.
type bitWriter struct {
	w    *bytes.Buffer
	acc  uint32
	nacc uint
}

func (e *bitWriter) bits(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		e.acc = e.acc<<1 | (v>>uint(i))&1
		e.nacc++
		if e.nacc == 8 {
			e.w.WriteByte(byte(e.acc))
			if byte(e.acc) == 0xff {
				e.w.WriteByte(0)
			}
			e.acc, e.nacc = 0, 0
		}
	}
}

// flush pads the last byte with ones, as the spec asks.
func (e *bitWriter) flush() {
	for e.nacc != 0 {
		e.bits(1, 1)
	}
}

func category(v int32) (uint8, uint32) {
	a := v
	if a < 0 {
		a = -a
	}
	s := uint8(0)
	for a > 0 {
		s++
		a >>= 1
	}
	if v < 0 {
		v--
	}
	return s, uint32(v) & (1<<s - 1)
}

func (e *bitWriter) sym(h *huffCodes, s byte) { e.bits(h.code[s], uint(h.size[s])) }

func (e *bitWriter) dc(h *huffCodes, diff int32) {
	s, v := category(diff)
	e.sym(h, s)
	e.bits(v, uint(s))
}

func (e *bitWriter) ac(h *huffCodes, blk *[64]int32) {
	run := 0
	for z := 1; z < 64; z++ {
		if blk[z] == 0 {
			run++
			continue
		}
		for run > 15 {
			e.sym(h, 0xf0)
			run -= 16
		}
		s, v := category(blk[z])
		e.sym(h, byte(run<<4)|s)
		e.bits(v, uint(s))
		run = 0
	}
	if run > 0 {
		e.sym(h, 0x00)
	}
}

// WithOrientation returns a copy of a JPEG with an EXIF APP1 segment giving
// orientation o, written in big- or little-endian TIFF order (cameras use
// both).
func WithOrientation(jpg []byte, o int, bigEndian bool) []byte {
	var bo binary.AppendByteOrder = binary.LittleEndian
	hdr := "II*\x00"
	if bigEndian {
		bo, hdr = binary.BigEndian, "MM\x00*"
	}
	t := []byte(hdr)
	t = bo.AppendUint32(t, 8)
	t = bo.AppendUint16(t, 2)
	// An unrelated tag first, so the parser has to walk the IFD.
	t = bo.AppendUint16(t, 0x010f) // Make
	t = bo.AppendUint16(t, 2)      // ASCII
	t = bo.AppendUint32(t, 4)
	t = append(t, "Go\x00\x00"...)
	t = bo.AppendUint16(t, 0x0112)
	t = bo.AppendUint16(t, 3) // SHORT
	t = bo.AppendUint32(t, 1)
	t = bo.AppendUint16(t, uint16(o))
	t = append(t, 0, 0)
	t = bo.AppendUint32(t, 0) // no next IFD
	var buf bytes.Buffer
	buf.Write(jpg[:2])
	segment(&buf, 0xe1, append([]byte("Exif\x00\x00"), t...))
	buf.Write(jpg[2:])
	return buf.Bytes()
}

// ExifTIFF returns a bare TIFF structure with orientation o, for containers
// (PNG eXIf, WebP EXIF) that embed it directly.
func ExifTIFF(o int) []byte {
	j := WithOrientation([]byte{0xff, 0xd8}, o, true)
	return j[2+4+6:]
}
