package thumbnail

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"image"
	"io"
	"math"
	"sort"
)

// Colour: a rendition is always sRGB, and carries no profile.
//
// A photo with an embedded ICC profile (Display P3 from every recent
// iPhone and many Android phones, Adobe RGB from cameras) is converted to
// sRGB rather than keeping its profile. Thumbnails are small, and a
// profile is 0.5–3 KB on an image of 10–30 KB; sRGB is what an untagged
// image means to every browser, e-mail client and image viewer, whereas an
// embedded profile is honoured by some and dropped by others (and by
// anything downstream that strips metadata); and converting once here is
// cheaper than every viewer doing it on each display. The cost is that a
// wide-gamut colour outside sRGB is clipped to its edge, which on a
// thumbnail is not visible next to the original being shown desaturated.
//
// Matrix/TRC RGB profiles are converted (that covers Display P3, Adobe RGB,
// ProPhoto and the sRGB profiles cameras write); LUT-based profiles (A2B0
// only), CMYK and gray profiles are ignored, as before. The conversion
// runs on each rendition after resizing, so it costs microseconds and no
// full-size memory.

// maxICC bounds a profile's size (phones write 0.5–4 KB); a larger one is
// ignored, and a compressed one is never inflated past it.
const maxICC = 1 << 20

// colourTransform converts 8-bit RGB in a source space to sRGB.
type colourTransform struct {
	lin [3][256]float32 // each channel through its tone curve, to linear light
	m   [9]float32      // linear source RGB to linear sRGB
	enc [4097]uint8     // linear light in 1/4096 steps to sRGB
}

// apply converts img's colours in place.
func (c *colourTransform) apply(img *image.NRGBA) {
	if c == nil {
		return
	}
	b := img.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):img.PixOffset(b.Max.X, y)]
		for i := 0; i+3 < len(row); i += 4 {
			r, g, bl := c.lin[0][row[i]], c.lin[1][row[i+1]], c.lin[2][row[i+2]]
			row[i] = c.encode(c.m[0]*r + c.m[1]*g + c.m[2]*bl)
			row[i+1] = c.encode(c.m[3]*r + c.m[4]*g + c.m[5]*bl)
			row[i+2] = c.encode(c.m[6]*r + c.m[7]*g + c.m[8]*bl)
		}
	}
}

func (c *colourTransform) encode(v float32) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return c.enc[int(v*4096+0.5)]
}

// colourTransformFor returns the conversion to sRGB that an image's
// embedded colour description asks for, or nil when it is sRGB, absent, or
// of a kind not converted.
func colourTransformFor(format string, data []byte) *colourTransform {
	var icc []byte
	switch format {
	case "jpeg":
		icc = jpegICC(data)
	case "png":
		icc = pngICC(data)
	case "webp":
		icc = webpICC(data)
	case "heic", "avif":
		h, err := parseHEIF(data)
		if err != nil {
			return nil
		}
		if h.icc == nil {
			return nclxTransform(h.nclx)
		}
		icc = h.icc
	}
	if icc == nil {
		return nil
	}
	p, err := parseICC(icc)
	if err != nil {
		return nil
	}
	return newColourTransform(p)
}

// rgbProfile is a matrix/TRC description of an RGB space: its primaries
// as XYZ relative to D50 (the ICC profile connection space), and a tone
// curve per channel.
type rgbProfile struct {
	toXYZ [9]float64 // columns are the red, green and blue colorants
	trc   [3]func(float64) float64
}

// newColourTransform builds the conversion from p to sRGB, or nil when p
// is sRGB already (within a level), so sRGB-tagged files cost nothing and
// come out exactly as untagged ones.
func newColourTransform(p *rgbProfile) *colourTransform {
	inv, ok := invert3(srgbD50)
	if !ok {
		return nil
	}
	m := mul3(inv, p.toXYZ)
	c := &colourTransform{}
	same := true
	for i := range m {
		c.m[i] = float32(m[i])
		want := 0.0
		if i%4 == 0 {
			want = 1
		}
		same = same && math.Abs(m[i]-want) < 0.002
	}
	for ch := range 3 {
		for v := range 256 {
			l := p.trc[ch](float64(v) / 255)
			c.lin[ch][v] = float32(l)
			same = same && math.Abs(srgbEncode(l)*255-float64(v)) < 0.5
		}
	}
	if same {
		return nil
	}
	for i := range c.enc {
		c.enc[i] = uint8(math.Round(255 * srgbEncode(float64(i)/4096)))
	}
	return c
}

// srgbD50 is sRGB's colorant matrix adapted to D50 (Bradford), as the ICC's
// own sRGB profile gives it.
var srgbD50 = [9]float64{
	0.4360747, 0.3850649, 0.1430804,
	0.2225045, 0.7168786, 0.0606169,
	0.0139322, 0.0971045, 0.7141733,
}

func srgbDecode(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

func srgbEncode(l float64) float64 {
	if l <= 0.0031308 {
		return 12.92 * max(l, 0)
	}
	return 1.055*math.Pow(min(l, 1), 1/2.4) - 0.055
}

func mul3(a, b [9]float64) (c [9]float64) {
	for i := range 3 {
		for j := range 3 {
			c[3*i+j] = a[3*i]*b[j] + a[3*i+1]*b[3+j] + a[3*i+2]*b[6+j]
		}
	}
	return c
}

func invert3(m [9]float64) ([9]float64, bool) {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	det := a*(e*i-f*h) - b*(d*i-f*g) + c*(d*h-e*g)
	if math.Abs(det) < 1e-9 {
		return [9]float64{}, false
	}
	return [9]float64{
		(e*i - f*h) / det, (c*h - b*i) / det, (b*f - c*e) / det,
		(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det,
		(d*h - e*g) / det, (b*g - a*h) / det, (a*e - b*d) / det,
	}, true
}

// parseICC reads a matrix/TRC RGB profile: the colorant tags rXYZ, gXYZ,
// bXYZ and the curves rTRC, gTRC, bTRC. Anything else is an error.
func parseICC(p []byte) (*rgbProfile, error) {
	if len(p) < 132 || len(p) > maxICC || string(p[36:40]) != "acsp" {
		return nil, errors.New("icc: not a profile")
	}
	if string(p[16:20]) != "RGB " || string(p[20:24]) != "XYZ " {
		return nil, errors.New("icc: not an RGB profile with an XYZ connection space")
	}
	n := int(binary.BigEndian.Uint32(p[128:]))
	if n > (len(p)-132)/12 {
		return nil, errors.New("icc: tag table truncated")
	}
	tags := make(map[string][]byte, n)
	for i := range n {
		e := p[132+12*i:]
		off, size := uint64(binary.BigEndian.Uint32(e[4:])), uint64(binary.BigEndian.Uint32(e[8:]))
		if off+size > uint64(len(p)) || size < 8 {
			continue
		}
		tags[string(e[:4])] = p[off : off+size]
	}
	prof := &rgbProfile{}
	for col, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		t := tags[sig]
		if len(t) < 20 || string(t[:4]) != "XYZ " {
			return nil, errors.New("icc: no " + sig + " (not a matrix/TRC profile)")
		}
		for row := range 3 {
			prof.toXYZ[3*row+col] = s15f16(t[8+4*row:])
		}
	}
	for ch, sig := range []string{"rTRC", "gTRC", "bTRC"} {
		f, err := parseCurve(tags[sig])
		if err != nil {
			return nil, err
		}
		prof.trc[ch] = f
	}
	return prof, nil
}

func s15f16(b []byte) float64 { return float64(int32(binary.BigEndian.Uint32(b))) / 65536 }

// parseCurve reads a 'curv' (identity, gamma or sampled table) or a 'para'
// (ICC parametric function types 0–4) tone curve.
func parseCurve(t []byte) (func(float64) float64, error) {
	if len(t) < 12 {
		return nil, errors.New("icc: missing tone curve")
	}
	switch string(t[:4]) {
	case "curv":
		n := int(binary.BigEndian.Uint32(t[8:]))
		switch {
		case n == 0:
			return func(v float64) float64 { return v }, nil
		case n == 1 && len(t) >= 14:
			g := float64(binary.BigEndian.Uint16(t[12:])) / 256
			return func(v float64) float64 { return math.Pow(v, g) }, nil
		case n >= 2 && len(t) >= 12+2*n:
			tab := make([]float64, n)
			for i := range tab {
				tab[i] = float64(binary.BigEndian.Uint16(t[12+2*i:])) / 65535
			}
			return func(v float64) float64 {
				x := v * float64(n-1)
				i := min(int(x), n-2)
				return tab[i] + (tab[i+1]-tab[i])*(x-float64(i))
			}, nil
		}
	case "para":
		kind := binary.BigEndian.Uint16(t[8:])
		counts := []int{1, 3, 4, 5, 7}
		if int(kind) >= len(counts) || len(t) < 12+4*counts[kind] {
			break
		}
		var q [7]float64
		for i := range counts[kind] {
			q[i] = s15f16(t[12+4*i:])
		}
		g, a, b, c, d, e, f := q[0], q[1], q[2], q[3], q[4], q[5], q[6]
		pow := func(x float64) float64 { return math.Pow(max(x, 0), g) }
		switch kind {
		case 0:
			return pow, nil
		case 1:
			return func(v float64) float64 { return pow(a*v + b) }, nil
		case 2:
			return func(v float64) float64 { return pow(a*v+b) + c }, nil
		case 3:
			return func(v float64) float64 {
				if v >= d {
					return pow(a*v + b)
				}
				return c * v
			}, nil
		case 4:
			return func(v float64) float64 {
				if v >= d {
					return pow(a*v+b) + e
				}
				return c*v + f
			}, nil
		}
	}
	return nil, errors.New("icc: tone curve of an unknown kind")
}

// nclxTransform converts the colour primaries an nclx box names (ITU-T
// H.273) to sRGB: Display P3 (12) and BT.2020 (9). BT.709 (1) is sRGB's
// own, and unspecified means the same. The transfer is taken as sRGB's
// (13, what phones write with these primaries); HDR transfers (PQ, HLG)
// are not mapped.
func nclxTransform(n *nclx) *colourTransform {
	if n == nil {
		return nil
	}
	var xy [3][2]float64
	switch n.primaries {
	case 12:
		xy = [3][2]float64{{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}}
	case 9:
		xy = [3][2]float64{{0.708, 0.292}, {0.170, 0.797}, {0.131, 0.046}}
	default:
		return nil
	}
	p := &rgbProfile{toXYZ: primariesD50(xy, [2]float64{0.3127, 0.3290})}
	for i := range p.trc {
		p.trc[i] = srgbDecode
	}
	return newColourTransform(p)
}

// primariesD50 is the RGB-to-XYZ matrix of primaries xy and white point w,
// adapted to D50 with the Bradford transform as ICC profiles are.
func primariesD50(xy [3][2]float64, w [2]float64) [9]float64 {
	xyz := func(x, y float64) [3]float64 { return [3]float64{x / y, 1, (1 - x - y) / y} }
	var p [9]float64
	for c := range 3 {
		v := xyz(xy[c][0], xy[c][1])
		p[c], p[3+c], p[6+c] = v[0], v[1], v[2]
	}
	inv, _ := invert3(p)
	wv := xyz(w[0], w[1])
	for c := range 3 { // scale each primary so that white is R = G = B = 1
		s := inv[3*c]*wv[0] + inv[3*c+1]*wv[1] + inv[3*c+2]*wv[2]
		p[c], p[3+c], p[6+c] = p[c]*s, p[3+c]*s, p[6+c]*s
	}
	brad := [9]float64{0.8951, 0.2664, -0.1614, -0.7502, 1.7135, 0.0367, 0.0389, -0.0685, 1.0296}
	bi, _ := invert3(brad)
	src := [3]float64{}
	dst := [3]float64{}
	d50 := [3]float64{0.9642, 1, 0.8249}
	for i := range 3 {
		src[i] = brad[3*i]*wv[0] + brad[3*i+1]*wv[1] + brad[3*i+2]*wv[2]
		dst[i] = brad[3*i]*d50[0] + brad[3*i+1]*d50[1] + brad[3*i+2]*d50[2]
	}
	scale := [9]float64{dst[0] / src[0], 0, 0, 0, dst[1] / src[1], 0, 0, 0, dst[2] / src[2]}
	return mul3(mul3(bi, mul3(scale, brad)), p)
}

// jpegICC reassembles the ICC profile of a JPEG's APP2 ICC_PROFILE
// segments, which carry one profile in numbered chunks of up to 64 KB.
// Every chunk from 1 to the count must be there exactly once.
func jpegICC(b []byte) []byte {
	chunks := map[int][]byte{}
	count := 0
	walkJPEGSegments(b, func(marker byte, seg []byte) {
		if marker != 0xe2 || len(seg) < 14 || string(seg[:12]) != "ICC_PROFILE\x00" {
			return
		}
		seq, n := int(seg[12]), int(seg[13])
		if seq < 1 || n < 1 || (count != 0 && n != count) {
			return
		}
		count = n
		if _, dup := chunks[seq]; !dup {
			chunks[seq] = seg[14:]
		}
	})
	if count == 0 || len(chunks) != count {
		return nil
	}
	seqs := make([]int, 0, count)
	for s := range chunks {
		seqs = append(seqs, s)
	}
	sort.Ints(seqs)
	var p []byte
	for i, s := range seqs {
		if s != i+1 || len(p)+len(chunks[s]) > maxICC {
			return nil
		}
		p = append(p, chunks[s]...)
	}
	return p
}

// walkJPEGSegments calls f with each marker segment up to the first scan,
// skipping stray bytes as the decoder does (see jpegOrientation).
func walkJPEGSegments(b []byte, f func(marker byte, seg []byte)) {
	for p := 2; p+4 <= len(b); {
		if b[p] != 0xff || b[p+1] == 0x00 {
			p++
			continue
		}
		m := b[p+1]
		switch {
		case m == 0xff:
			p++
			continue
		case m == 0x01 || (m >= 0xd0 && m <= 0xd8):
			p += 2
			continue
		case m == 0xda || m == 0xd9:
			return
		}
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if n < 2 || p+2+n > len(b) {
			return
		}
		f(m, b[p+4:p+2+n])
		p += 2 + n
	}
}

// pngICC inflates a PNG's iCCP chunk (before IDAT, as the format requires).
func pngICC(b []byte) []byte {
	for p := 8; p+8 <= len(b); {
		n := int64(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		end := int64(p) + 8 + n
		if end > int64(len(b)) {
			return nil
		}
		switch typ {
		case "iCCP":
			d := b[p+8 : end]
			i := bytes.IndexByte(d, 0)
			if i < 1 || i+2 > len(d) || d[i+1] != 0 { // name, then compression method 0
				return nil
			}
			zr, err := zlib.NewReader(bytes.NewReader(d[i+2:]))
			if err != nil {
				return nil
			}
			prof, err := io.ReadAll(io.LimitReader(zr, maxICC+1))
			if err != nil || len(prof) > maxICC {
				return nil
			}
			return prof
		case "IDAT", "IEND":
			return nil
		}
		p = int(end) + 4
	}
	return nil
}

// webpICC returns an extended WebP's ICCP chunk.
func webpICC(b []byte) []byte {
	for p := 12; p+8 <= len(b); {
		n := int64(binary.LittleEndian.Uint32(b[p+4:]))
		end := int64(p) + 8 + n
		if end > int64(len(b)) {
			return nil
		}
		if string(b[p:p+4]) == "ICCP" {
			return b[p+8 : end]
		}
		p = int(end + n&1)
	}
	return nil
}
