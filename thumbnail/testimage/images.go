package testimage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// Photo returns a w×h image that compresses like a photograph: smooth
// gradients, some edges and per-pixel noise. Flat colour would flatter
// every decoder and encoder.
func Photo(w, h int, seed uint64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for y := range h {
		fy := float64(y) / float64(h)
		for x := range w {
			fx := float64(x) / float64(w)
			wave := 40 * math.Sin(fx*23+fy*7) * math.Cos(fy*17)
			edge := 0.0
			if (x/(w/7+1)+y/(h/5+1))%2 == 0 {
				edge = 30
			}
			n := rng.IntN(25) - 12
			p := img.Pix[y*img.Stride+4*x : y*img.Stride+4*x+4 : y*img.Stride+4*x+4]
			p[0] = clamp(200*fx + wave + edge + float64(n))
			p[1] = clamp(180*fy + 40 - wave + float64(n))
			p[2] = clamp(120*(1-fx) + 60*fy + edge + float64(rng.IntN(25)-12))
			p[3] = 0xff
		}
	}
	return img
}

func clamp(v float64) uint8 { return uint8(min(255, max(0, math.Round(v)))) }

// Quadrant colours of Quadrants, as displayed.
var (
	TopLeft     = color.NRGBA{255, 0, 0, 255}     // red
	TopRight    = color.NRGBA{0, 255, 0, 255}     // green
	BottomLeft  = color.NRGBA{0, 0, 255, 255}     // blue
	BottomRight = color.NRGBA{255, 255, 255, 255} // white
)

// Quadrants returns a w×h image with a different colour in each quadrant:
// asymmetric under every flip and rotation, so a sampled pixel tells which
// way up an image came out.
func Quadrants(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := TopLeft
			switch {
			case x >= w/2 && y < h/2:
				c = TopRight
			case x < w/2 && y >= h/2:
				c = BottomLeft
			case x >= w/2 && y >= h/2:
				c = BottomRight
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// Stored returns the pixels a camera stores for upright image u when it
// tags them with EXIF orientation o. It follows the EXIF definition (which
// visual side row 0 and column 0 of the stored image show), independently
// of how the converter undoes it.
func Stored(u *image.NRGBA, o int) *image.NRGBA {
	w, h := u.Rect.Dx(), u.Rect.Dy()
	// row0 and col0: the visual side of stored row 0 and stored column 0.
	sides := map[int][2]string{
		1: {"top", "left"}, 2: {"top", "right"}, 3: {"bottom", "right"}, 4: {"bottom", "left"},
		5: {"left", "top"}, 6: {"right", "top"}, 7: {"right", "bottom"}, 8: {"left", "bottom"},
	}[o]
	row0, col0 := sides[0], sides[1]
	transposed := row0 == "left" || row0 == "right"
	sw, sh := w, h
	if transposed {
		sw, sh = h, w
	}
	s := image.NewNRGBA(image.Rect(0, 0, sw, sh))
	for sy := range sh {
		for sx := range sw {
			var x, y int
			if !transposed {
				y, x = sy, sx
				if row0 == "bottom" {
					y = h - 1 - sy
				}
				if col0 == "right" {
					x = w - 1 - sx
				}
			} else {
				x, y = sy, sx
				if row0 == "right" {
					x = w - 1 - sy
				}
				if col0 == "bottom" {
					y = h - 1 - sx
				}
			}
			s.SetNRGBA(sx, sy, u.NRGBAAt(x, y))
		}
	}
	return s
}

// Alpha returns a w×h image, opaque red on the left half and fully
// transparent on the right, or entirely opaque when transparent is false
// (but still an NRGBA with an alpha channel).
func Alpha(w, h int, transparent bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{255, 0, 0, 255}
			if x >= w/2 {
				c = color.NRGBA{0, 0, 255, 255}
				if transparent {
					c.A = 0
				}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// JPEG encodes img with the standard library (baseline 4:2:0).
func JPEG(img image.Image, quality int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// PNGWithChunk inserts a chunk right after IHDR of a PNG.
func PNGWithChunk(p []byte, typ string, data []byte) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	var c bytes.Buffer
	binary.Write(&c, binary.BigEndian, uint32(len(data)))
	c.WriteString(typ)
	c.Write(data)
	binary.Write(&c, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, c.Bytes()...)
	return append(out, p[ihdrEnd:]...)
}

// WebP encodes img as a lossless WebP. It handles only images whose every
// channel takes the values 0 and 255 (like Quadrants and Alpha), which lets
// each channel use a one-bit "simple" prefix code: enough to exercise the
// decoder without a real VP8L encoder. If exif is not nil the file is an
// extended WebP carrying it.
func WebP(img *image.NRGBA, exif []byte) ([]byte, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w > 1<<14 || h > 1<<14 {
		return nil, fmt.Errorf("testimage: %d×%d is too large for VP8L", w, h)
	}
	var used [4][2]bool // per channel ARGB order below: which of 0/255 appear
	for i := 0; i < len(img.Pix); i += 4 {
		for c, v := range img.Pix[i : i+4] {
			switch v {
			case 0:
				used[c][0] = true
			case 255:
				used[c][1] = true
			default:
				return nil, fmt.Errorf("testimage: channel value %d is neither 0 nor 255", v)
			}
		}
	}
	var bw lsbWriter
	bw.bits(0x2f, 8)
	bw.bits(uint32(w-1), 14)
	bw.bits(uint32(h-1), 14)
	bw.bits(1, 1) // alpha is used
	bw.bits(0, 3) // version
	bw.bits(0, 1) // no transform
	bw.bits(0, 1) // no colour cache
	bw.bits(0, 1) // no meta prefix codes
	// Prefix codes for green, red, blue, alpha (NRGBA indexes 1, 0, 2, 3).
	order := [4]int{1, 0, 2, 3}
	var twoValued [4]bool
	for _, c := range order {
		bw.bits(1, 1) // simple code
		switch {
		case used[c][0] && used[c][1]:
			twoValued[c] = true
			bw.bits(1, 1) // two symbols
			bw.bits(1, 1) // 8-bit first symbol
			bw.bits(0, 8)
			bw.bits(255, 8)
		case used[c][1]:
			bw.bits(0, 1)
			bw.bits(1, 1)
			bw.bits(255, 8)
		default:
			bw.bits(0, 1)
			bw.bits(0, 1)
			bw.bits(0, 1)
		}
	}
	bw.bits(1, 1) // distance: simple code, one 1-bit symbol 0
	bw.bits(0, 1)
	bw.bits(0, 1)
	bw.bits(0, 1)
	for i := 0; i < len(img.Pix); i += 4 {
		for _, c := range order {
			if twoValued[c] {
				bw.bits(uint32(img.Pix[i+c]&1), 1)
			}
		}
	}
	vp8l := bw.bytes()

	var body bytes.Buffer
	body.WriteString("WEBP")
	if exif != nil {
		x := make([]byte, 10)
		x[0] = 0x10 | 0x08 // alpha, EXIF
		put24 := func(b []byte, v int) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
		put24(x[4:], w-1)
		put24(x[7:], h-1)
		riffChunk(&body, "VP8X", x)
	}
	riffChunk(&body, "VP8L", vp8l)
	if exif != nil {
		riffChunk(&body, "EXIF", exif)
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

func riffChunk(b *bytes.Buffer, fourcc string, data []byte) {
	b.WriteString(fourcc)
	binary.Write(b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	if len(data)%2 == 1 {
		b.WriteByte(0)
	}
}

type lsbWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

func (w *lsbWriter) bits(v uint32, n uint) {
	w.acc |= uint64(v) << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

func (w *lsbWriter) bytes() []byte {
	if w.nacc > 0 {
		w.out = append(w.out, byte(w.acc))
	}
	return w.out
}
