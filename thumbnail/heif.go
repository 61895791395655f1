package thumbnail

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HEIC and AVIF are both HEIF: an ISO base media file whose meta box names
// a primary item and gives it properties (size, rotation, mirror, colour).
// The header is read here, in Go, rather than by the WebAssembly decoders,
// for three reasons: the limits are checked before a decoder is compiled or
// instantiated (a header bomb costs microseconds, not the module's 1–2 s
// compile and its memory); the transforms and colour profile are needed and
// the decoders' C glue does not return them; and a bounds-checked walk of a
// few boxes is far less code to trust than a C parser fed hostile input.

// heifHeader is what Convert needs from a HEIF file before decoding it.
type heifHeader struct {
	width, height int    // of the primary item after its clean aperture, before irot/imir
	orientation   int    // irot and imir as an EXIF orientation, 1–8
	depth         int    // bits a channel from pixi, 8 when absent
	channels      int    // channels from pixi, 3 when absent
	itemType      string // "hvc1", "av01", "grid", ...
	icc           []byte // the colr 'prof'/'rICC' payload, if any
	nclx          *nclx  // the colr 'nclx' values, if any
}

// nclx is a colr box's coding-independent code points (ITU-T H.273).
type nclx struct {
	primaries, transfer, matrix uint16
	fullRange                   bool
}

// errNoPrimary is a HEIF file whose meta box lacks what a decoder needs.
var errNoPrimary = errors.New("heif: no primary item with a size")

// box is one ISO BMFF box: its type and its payload.
type box struct {
	typ  string
	data []byte
}

// boxes splits b into its boxes. It stops with an error at the first box
// whose size does not fit, rather than guessing.
func boxes(b []byte) ([]box, error) {
	var out []box
	for len(b) > 0 {
		if len(b) < 8 {
			return out, fmt.Errorf("heif: %d stray bytes after the last box", len(b))
		}
		size, hdr := uint64(binary.BigEndian.Uint32(b)), uint64(8)
		typ := string(b[4:8])
		switch size {
		case 0: // to the end of the enclosing box or file
			size = uint64(len(b))
		case 1: // 64-bit size
			if len(b) < 16 {
				return out, fmt.Errorf("heif: %q box truncated", typ)
			}
			size, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hdr || size > uint64(len(b)) {
			return out, fmt.Errorf("heif: %q box of %d bytes in %d", typ, size, len(b))
		}
		out = append(out, box{typ: typ, data: b[hdr:size]})
		b = b[size:]
	}
	return out, nil
}

// find returns the first box of type typ in bs.
func find(bs []box, typ string) (box, bool) {
	for _, b := range bs {
		if b.typ == typ {
			return b, true
		}
	}
	return box{}, false
}

// parseHEIF reads the primary item's properties from a HEIF file.
func parseHEIF(data []byte) (*heifHeader, error) {
	top, err := boxes(data)
	if err != nil && len(top) == 0 {
		return nil, err
	}
	// A truncated mdat at the end is the decoder's problem; the meta box
	// must be whole.
	meta, ok := find(top, "meta")
	if !ok || len(meta.data) < 4 {
		return nil, errors.New("heif: no meta box")
	}
	children, err := boxes(meta.data[4:]) // a full box: version and flags first
	if err != nil {
		return nil, err
	}
	primary, err := primaryItem(children)
	if err != nil {
		return nil, err
	}
	props, err := itemProperties(children, primary)
	if err != nil {
		return nil, err
	}
	h := &heifHeader{depth: 8, channels: 3, itemType: itemType(children, primary)}
	var rot, mirror = 0, -1
	for _, p := range props {
		switch p.typ {
		case "ispe":
			if len(p.data) >= 12 {
				h.width = int(binary.BigEndian.Uint32(p.data[4:]))
				h.height = int(binary.BigEndian.Uint32(p.data[8:]))
			}
		case "clap":
			h.width, h.height = clapSize(p.data, h.width, h.height)
		case "irot":
			if len(p.data) >= 1 {
				rot = int(p.data[0] & 3)
			}
		case "imir":
			if len(p.data) >= 1 {
				mirror = int(p.data[0] & 1)
			}
		case "pixi":
			if len(p.data) >= 6 && p.data[4] > 0 && int(p.data[4]) <= len(p.data)-5 {
				h.channels, h.depth = int(p.data[4]), int(p.data[5])
			}
		case "colr":
			h.colr(p.data)
		}
	}
	if h.width <= 0 || h.height <= 0 {
		return nil, errNoPrimary
	}
	h.orientation = heifOrientation(rot, mirror)
	return h, nil
}

// colr records a colour box. A file may have two (ICC and nclx); each kind
// is kept once.
func (h *heifHeader) colr(d []byte) {
	if len(d) < 4 {
		return
	}
	switch string(d[:4]) {
	case "prof", "rICC":
		if h.icc == nil {
			h.icc = d[4:]
		}
	case "nclx":
		if len(d) >= 11 && h.nclx == nil {
			h.nclx = &nclx{
				primaries: binary.BigEndian.Uint16(d[4:]),
				transfer:  binary.BigEndian.Uint16(d[6:]),
				matrix:    binary.BigEndian.Uint16(d[8:]),
				fullRange: d[10]&0x80 != 0,
			}
		}
	}
}

// primaryItem reads the pitm box.
func primaryItem(meta []box) (uint32, error) {
	b, ok := find(meta, "pitm")
	if !ok || len(b.data) < 6 {
		return 0, errors.New("heif: no primary item")
	}
	if b.data[0] == 0 {
		return uint32(binary.BigEndian.Uint16(b.data[4:])), nil
	}
	if len(b.data) < 8 {
		return 0, errors.New("heif: pitm truncated")
	}
	return binary.BigEndian.Uint32(b.data[4:]), nil
}

// itemType finds the item's type in iinf, or "" when it is not there.
func itemType(meta []box, item uint32) string {
	b, ok := find(meta, "iinf")
	if !ok || len(b.data) < 6 {
		return ""
	}
	skip := 6 // version, flags, 16-bit entry count
	if b.data[0] != 0 {
		skip = 8
	}
	if len(b.data) < skip {
		return ""
	}
	entries, _ := boxes(b.data[skip:])
	for _, e := range entries {
		d := e.data
		if e.typ != "infe" || len(d) < 4 {
			continue
		}
		var id uint32
		var p int
		switch d[0] {
		case 2:
			if len(d) < 12 {
				continue
			}
			id, p = uint32(binary.BigEndian.Uint16(d[4:])), 8
		case 3:
			if len(d) < 14 {
				continue
			}
			id, p = binary.BigEndian.Uint32(d[4:]), 10
		default:
			continue
		}
		if id == item {
			return string(d[p : p+4])
		}
	}
	return ""
}

// itemProperties returns the properties ipma associates with item, in the
// order listed, which is the order the transforms apply in.
func itemProperties(meta []box, item uint32) ([]box, error) {
	iprp, ok := find(meta, "iprp")
	if !ok {
		return nil, errors.New("heif: no item properties")
	}
	kids, err := boxes(iprp.data)
	if err != nil {
		return nil, err
	}
	ipco, ok1 := find(kids, "ipco")
	ipma, ok2 := find(kids, "ipma")
	if !ok1 || !ok2 {
		return nil, errors.New("heif: no ipco or ipma")
	}
	props, err := boxes(ipco.data)
	if err != nil {
		return nil, err
	}
	d := ipma.data
	if len(d) < 8 {
		return nil, errors.New("heif: ipma truncated")
	}
	version, flags := d[0], d[3]
	n := binary.BigEndian.Uint32(d[4:])
	p := 8
	for range n {
		var id uint32
		if version < 1 {
			if p+2 > len(d) {
				break
			}
			id, p = uint32(binary.BigEndian.Uint16(d[p:])), p+2
		} else {
			if p+4 > len(d) {
				break
			}
			id, p = binary.BigEndian.Uint32(d[p:]), p+4
		}
		if p >= len(d) {
			break
		}
		count := int(d[p])
		p++
		var out []box
		for range count {
			var idx int
			if flags&1 != 0 {
				if p+2 > len(d) {
					return nil, errors.New("heif: ipma truncated")
				}
				idx, p = int(binary.BigEndian.Uint16(d[p:])&0x7fff), p+2
			} else {
				if p+1 > len(d) {
					return nil, errors.New("heif: ipma truncated")
				}
				idx, p = int(d[p]&0x7f), p+1
			}
			if idx > 0 && idx <= len(props) { // 0 means no property
				out = append(out, props[idx-1])
			}
		}
		if id == item {
			return out, nil
		}
	}
	return nil, errNoPrimary
}

// clapSize is the clean aperture's size, rounded as libheif rounds it, or
// the size unchanged when the box is malformed.
func clapSize(d []byte, w, h int) (int, int) {
	if len(d) < 32 {
		return w, h
	}
	frac := func(i int) (int64, int64) {
		return int64(int32(binary.BigEndian.Uint32(d[i:]))), int64(binary.BigEndian.Uint32(d[i+4:]))
	}
	wn, wd := frac(0)
	hn, hd := frac(8)
	if wd == 0 || hd == 0 || wn <= 0 || hn <= 0 {
		return w, h
	}
	cw, ch := int((wn+wd/2)/wd), int((hn+hd/2)/hd)
	if cw < 1 || ch < 1 || cw > w || ch > h {
		return w, h
	}
	return cw, ch
}

// heifOrientation turns irot (quarter turns anticlockwise) and imir (0:
// top-to-bottom, 1: left-to-right; -1: none), applied in that order as
// HEIF requires, into the EXIF orientation that does the same.
func heifOrientation(rot, mirror int) int {
	// Each orientation as the 2×2 matrix that maps a stored pixel's offset
	// from the centre (x right, y down) to its displayed offset.
	type m [4]int
	exif := map[m]int{
		{1, 0, 0, 1}: 1, {-1, 0, 0, 1}: 2, {-1, 0, 0, -1}: 3, {1, 0, 0, -1}: 4,
		{0, 1, 1, 0}: 5, {0, -1, 1, 0}: 6, {0, -1, -1, 0}: 7, {0, 1, -1, 0}: 8,
	}
	mul := func(a, b m) m { // a after b
		return m{a[0]*b[0] + a[1]*b[2], a[0]*b[1] + a[1]*b[3], a[2]*b[0] + a[3]*b[2], a[2]*b[1] + a[3]*b[3]}
	}
	t := m{1, 0, 0, 1}
	for range rot {
		t = mul(m{0, 1, -1, 0}, t) // a quarter turn anticlockwise: (x, y) → (y, −x)
	}
	switch mirror {
	case 0:
		t = mul(m{1, 0, 0, -1}, t)
	case 1:
		t = mul(m{-1, 0, 0, 1}, t)
	}
	return exif[t]
}
