package thumbnail

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// The C entry points of the two modules (lib/heif.c and lib/decode.c in
// the gen2brain repositories) are called as their Go hosts call them: a
// first call with config_only=1 reports the size and layout the decoder
// will produce, the output buffer is allocated in the instance's memory to
// that size, and a second call decodes into it. The result is copied into
// a Go image before the instance, and its memory, are freed.

// libheif colour spaces and chroma formats, from heif.h.
const (
	heifYCbCr      = 0
	heifRGB        = 1
	heifMonochrome = 2

	heifChroma420 = 1
	heifChroma422 = 2
	heifChroma444 = 3
)

// withData runs f, under safeWasm, on a new instance of mod (closed after)
// whose memory holds a copy of data at inPtr.
func withData(ctx context.Context, mod *wasmModule, data []byte, budget int64, f func(in *instance, inPtr uint32) error) error {
	return safeWasm(func() error {
		in, err := mod.instantiate(ctx, budget)
		if err != nil {
			return err
		}
		defer in.close()
		inPtr, err := in.malloc(len(data))
		if err != nil {
			return err
		}
		if err := in.write(inPtr, data); err != nil {
			return err
		}
		return f(in, inPtr)
	})
}

// decodeHEIC decodes a HEIC file's primary image, in its stored
// orientation (h.width × h.height, before irot/imir) like every other
// decoder here, so that Convert turns only the small renditions upright.
// libheif applies the transforms itself, so they are undone in the copy
// out of the instance, which costs no extra pass.
func decodeHEIC(ctx context.Context, data []byte, h *heifHeader, budget int64) (image.Image, error) {
	var img image.Image
	err := withData(ctx, heifModule, data, budget, func(in *instance, inPtr uint32) error {
		vars, err := in.malloc(4 * 5)
		if err != nil {
			return err
		}
		args := func(configOnly, out uint64) []uint64 {
			v := uint64(vars)
			return []uint64{uint64(inPtr), uint64(len(data)), configOnly, v, v + 4, v + 8, v + 12, v + 16, out}
		}
		if ok, err := in.call("decode", args(1, 0)...); err != nil || ok == 0 {
			return errors.Join(errors.New("libheif refused the header"), err)
		}
		v, err := in.u32s(vars, 5)
		if err != nil {
			return err
		}
		l, err := heifLayout(int(v[0]), int(v[1]), int(v[2]), int(v[3]))
		if err != nil {
			return err
		}
		l.premultiplied = v[4] == 1
		dw, dh := h.width, h.height
		if swapsAxes(h.orientation) {
			dw, dh = dh, dw
		}
		if l.w != dw || l.h != dh {
			return fmt.Errorf("libheif decodes %d×%d, header said %d×%d", l.w, l.h, dw, dh)
		}
		outPtr, err := in.malloc(l.size)
		if err != nil {
			return err
		}
		if ok, err := in.call("decode", args(0, uint64(outPtr))...); err != nil || ok == 0 {
			return errors.Join(errors.New("libheif could not decode the image"), err)
		}
		out, err := in.read(outPtr, l.size)
		if err != nil {
			return err
		}
		img = l.image(out, h)
		return nil
	})
	if errors.Is(err, errWasmMemory) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("heic: %w", err)
	}
	return img, nil
}

// heifOut is how lib/heif.c lays the decoded planes out: each plane's
// rows padded to 16 bytes, as libheif stores them, one after the other.
type heifOut struct {
	w, h, colorspace int
	premultiplied    bool // interleaved RGBA with premultiplied alpha
	hs, vs           uint // chroma subsampling shifts
	stride, cstride  int
	size             int
}

func heifLayout(w, h, colorspace, chroma int) (heifOut, error) {
	align := func(n int) int { return (n + 15) &^ 15 }
	l := heifOut{w: w, h: h, colorspace: colorspace}
	if w <= 0 || h <= 0 || w > 1<<16 || h > 1<<16 {
		return l, fmt.Errorf("libheif reports a size of %d×%d", w, h)
	}
	switch colorspace {
	case heifYCbCr:
		switch chroma {
		case heifChroma420:
			l.hs, l.vs = 1, 1
		case heifChroma422:
			l.hs = 1
		case heifChroma444:
		default:
			return l, fmt.Errorf("libheif chroma format %d", chroma)
		}
		cw, ch := (w+int(l.hs))>>l.hs, (h+int(l.vs))>>l.vs
		l.stride, l.cstride = align(w), align(cw)
		l.size = l.stride*h + 2*l.cstride*ch
	case heifMonochrome:
		l.stride = align(w)
		l.size = l.stride * h
	case heifRGB: // interleaved RGBA
		l.stride = align(4 * w)
		l.size = l.stride * h
	default:
		return l, fmt.Errorf("libheif colour space %d", colorspace)
	}
	return l, nil
}

// image copies the decoder's output into a Go image of the stored
// orientation: *image.Gray for monochrome, otherwise *image.RGBA with the
// YCbCr matrix and range of the file's nclx box (BT.601 full range, the
// HEIF default, without one).
func (l heifOut) image(out []byte, h *heifHeader) image.Image {
	sw, sh := h.width, h.height
	walk := newOrientWalk(h.orientation, sw, sh)
	if l.colorspace == heifMonochrome {
		img := image.NewGray(image.Rect(0, 0, sw, sh))
		for y := range sh {
			row := img.Pix[y*img.Stride : y*img.Stride+sw]
			for x := range row {
				dx, dy := walk.at(x, y)
				row[x] = out[dy*l.stride+dx]
			}
		}
		return img
	}
	img := image.NewRGBA(image.Rect(0, 0, sw, sh))
	if l.colorspace == heifRGB {
		for y := range sh {
			row := img.Pix[y*img.Stride : y*img.Stride+4*sw]
			for x := 0; x < sw; x++ {
				dx, dy := walk.at(x, y)
				copy(row[4*x:4*x+4], out[dy*l.stride+4*dx:])
			}
		}
		if !l.premultiplied {
			return &image.NRGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
		}
		return img
	}
	m := yccMatrixFor(h.nclx)
	yp := out[:l.stride*l.h]
	cbp := out[len(yp) : len(yp)+l.cstride*((l.h+int(l.vs))>>l.vs)]
	crp := out[len(yp)+len(cbp):]
	for y := range sh {
		row := img.Pix[y*img.Stride : y*img.Stride+4*sw]
		for x := 0; x < sw; x++ {
			dx, dy := walk.at(x, y)
			ci := (dy>>l.vs)*l.cstride + dx>>l.hs
			r, g, b := m.rgb(yp[dy*l.stride+dx], cbp[ci], crp[ci])
			p := row[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = r, g, b, 255
		}
	}
	return img
}

// orientWalk maps a pixel of the stored image to the displayed image that
// orientation o makes of it: both coordinates are affine in the stored
// ones.
type orientWalk struct{ ax, bx, cx, ay, by, cy int }

func newOrientWalk(o, w, h int) orientWalk {
	switch o {
	case 2:
		return orientWalk{-1, 0, w - 1, 0, 1, 0}
	case 3:
		return orientWalk{-1, 0, w - 1, 0, -1, h - 1}
	case 4:
		return orientWalk{1, 0, 0, 0, -1, h - 1}
	case 5:
		return orientWalk{0, 1, 0, 1, 0, 0}
	case 6:
		return orientWalk{0, -1, h - 1, 1, 0, 0}
	case 7:
		return orientWalk{0, -1, h - 1, -1, 0, w - 1}
	case 8:
		return orientWalk{0, 1, 0, -1, 0, w - 1}
	}
	return orientWalk{1, 0, 0, 0, 1, 0}
}

func (t orientWalk) at(x, y int) (int, int) {
	return t.ax*x + t.bx*y + t.cx, t.ay*x + t.by*y + t.cy
}

// yccMatrix converts one YCbCr sample to RGB in 16.16 fixed point.
type yccMatrix struct {
	gbr                bool // matrix 0: the planes are G, B and R
	y0, ys             int32
	crR, cbG, crG, cbB int32
}

// yccMatrixFor builds the conversion an nclx box asks for: BT.709 (1),
// BT.601 (5, 6), BT.2020 (9, 10) or identity (0), in full or limited
// range. Anything else is treated as BT.601, libheif's default.
func yccMatrixFor(n *nclx) yccMatrix {
	kr, kb, full := 0.299, 0.114, true
	if n != nil {
		full = n.fullRange
		switch n.matrix {
		case 0:
			return yccMatrix{gbr: true}
		case 1:
			kr, kb = 0.2126, 0.0722
		case 9, 10:
			kr, kb = 0.2627, 0.0593
		}
	}
	ys, cs := 1.0, 1.0
	m := yccMatrix{}
	if !full {
		ys, cs = 255.0/219, 255.0/224
		m.y0 = 16
	}
	kg := 1 - kr - kb
	fix := func(f float64) int32 { return int32(f*65536 + 0.5) }
	m.ys = fix(ys)
	m.crR = fix(2 * (1 - kr) * cs)
	m.cbB = fix(2 * (1 - kb) * cs)
	m.cbG = fix(2 * (1 - kb) * kb / kg * cs)
	m.crG = fix(2 * (1 - kr) * kr / kg * cs)
	return m
}

func (m yccMatrix) rgb(y, cb, cr uint8) (uint8, uint8, uint8) {
	if m.gbr {
		return cr, y, cb
	}
	yy := (int32(y)-m.y0)*m.ys + 1<<15
	b1, r1 := int32(cb)-128, int32(cr)-128
	return clamp16(yy + m.crR*r1), clamp16(yy - m.cbG*b1 - m.crG*r1), clamp16(yy + m.cbB*b1)
}

func clamp16(v int32) uint8 {
	v >>= 16
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// decodeAVIF decodes an AVIF file's first image, in its stored orientation
// (libavif leaves irot/imir to the caller), as *image.RGBA: libavif gives
// premultiplied RGBA, 16 bits a channel above 8-bit depth, which is
// narrowed here because every rendition is 8-bit.
func decodeAVIF(ctx context.Context, data []byte, h *heifHeader, budget int64) (image.Image, error) {
	var img *image.RGBA
	err := withData(ctx, avifModule, data, budget, func(in *instance, inPtr uint32) error {
		vars, err := in.malloc(4*4 + 8)
		if err != nil {
			return err
		}
		args := func(configOnly, out uint64) []uint64 {
			v := uint64(vars)
			return []uint64{uint64(inPtr), uint64(len(data)), configOnly, 0, v, v + 4, v + 8, v + 12, v + 16, out}
		}
		if ok, err := in.call("decode", args(1, 0)...); err != nil || ok == 0 {
			return errors.Join(errors.New("libavif refused the header"), err)
		}
		v, err := in.u32s(vars, 3)
		if err != nil {
			return err
		}
		w, ht, depth := int(v[0]), int(v[1]), int(v[2])
		if w != h.width || ht != h.height {
			return fmt.Errorf("libavif decodes %d×%d, header said %d×%d", w, ht, h.width, h.height)
		}
		bpp := 4
		if depth > 8 {
			bpp = 8
		}
		outPtr, err := in.malloc(w * ht * bpp)
		if err != nil {
			return err
		}
		if ok, err := in.call("decode", args(0, uint64(outPtr))...); err != nil || ok == 0 {
			return errors.Join(errors.New("libavif could not decode the image"), err)
		}
		out, err := in.read(outPtr, w*ht*bpp)
		if err != nil {
			return err
		}
		img = image.NewRGBA(image.Rect(0, 0, w, ht))
		if bpp == 4 {
			copy(img.Pix, out)
			return nil
		}
		for i := range img.Pix {
			img.Pix[i] = uint8((uint32(binary.LittleEndian.Uint16(out[2*i:]))*255 + 32767) / 65535)
		}
		return nil
	})
	if errors.Is(err, errWasmMemory) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("avif: %w", err)
	}
	return img, nil
}

// decodeHEIF dispatches to the format's decoder with the header read
// again (microseconds), budget being the most memory its instance may take.
func decodeHEIF(ctx context.Context, format string, data []byte, budget int64) (image.Image, error) {
	h, err := parseHEIF(data)
	if err != nil {
		return nil, err
	}
	if format == "avif" {
		return decodeAVIF(ctx, data, h, budget)
	}
	return decodeHEIC(ctx, data, h, budget)
}

// Bytes a pixel that decoding costs, from the whole process's peak RSS
// (/usr/bin/time -v, GOMEMLIMIT as on Lambda) at 4, 12 and 24 MP: the
// instance's linear memory (the file, the decoder's planes and reference
// pictures, libavif's RGB image and the copy lib/*.c makes of the output)
// and the Go image it is copied into. Measured slopes: HEIC 10.5 B/px at 8
// bits, 16.5 above (libde265 keeps 16-bit planes, libheif converts them);
// AVIF 23 B/px at 8 bits (4:2:0), 35 B/px at 12 bits (4:4:4: dav1d's
// 16-bit planes and libavif's 16-bit RGBA, twice). The figures below add
// the process's fixed part spread over 12 MP and a margin, so the peak of
// the largest file the budget admits stays under 60% of the function's
// memory (docs/converter.md, "HEIC and AVIF").
const (
	heicBytesPerPixel     = 14
	heicDeepBytesPerPixel = 20 // more than 8 bits a channel
	avifBytesPerPixel     = 30
	avifDeepBytesPerPixel = 40

	// The fixed part: the module's initial memory and the decoder's
	// tables and working buffers, from the largest instance the 512×512
	// test files take beyond their per-pixel share.
	heicFixedBytes     = 2 << 20
	avifFixedBytes     = 4 << 20
	avifDeepFixedBytes = 10 << 20
)

// heifDecodeBytes is the memory budget a HEIC or AVIF of that header
// takes; the bit depth comes from its pixi property.
func heifDecodeBytes(format string, h *heifHeader) int64 {
	px := int64(h.width) * int64(h.height)
	deep := h.depth > 8
	switch {
	case format == "avif" && deep:
		return avifDeepFixedBytes + avifDeepBytesPerPixel*px
	case format == "avif":
		return avifFixedBytes + avifBytesPerPixel*px
	case deep:
		return heicFixedBytes + heicDeepBytesPerPixel*px
	}
	return heicFixedBytes + heicBytesPerPixel*px
}
