package thumbnail

import (
	"encoding/binary"
	"image"

	"github.com/disintegration/imaging"
)

// The EXIF orientation is parsed by hand. All that is needed is one SHORT in
// IFD0 of a TIFF structure, found inside a JPEG APP1, a PNG eXIf chunk, a
// WebP EXIF chunk or a TIFF file itself: about a hundred lines with every
// offset bounds-checked. A general EXIF library would parse (and have to be
// trusted not to panic on) far more hostile input than this reads, for a
// single value.

// jpegOrientation walks a JPEG's marker segments up to the first scan for
// an EXIF orientation. Like the decoder, it skips stray bytes between
// segments. Nothing that bounds the cost of decoding is read here: that
// comes from the decoder's own parsing (jpegscale.DecodeInfo), so the two
// cannot disagree about it.
func jpegOrientation(b []byte) int {
	o := 1
	p := 2
	for p+4 <= len(b) {
		if b[p] != 0xff || b[p+1] == 0x00 { // extraneous data, as the decoder sees it
			p++
			continue
		}
		m := b[p+1]
		if m == 0xff { // fill byte
			p++
			continue
		}
		if m == 0x01 || (m >= 0xd0 && m <= 0xd8) {
			p += 2
			continue
		}
		if m == 0xda || m == 0xd9 {
			return o
		}
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if n < 2 || p+2+n > len(b) {
			return o
		}
		seg := b[p+4 : p+2+n]
		if m == 0xe1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			if t := tiffOrientation(seg[6:]); t != 0 {
				o = t
			}
		}
		p += 2 + n
	}
	return o
}

// orientation returns the EXIF orientation of an image in the given format,
// 1 (as stored) when there is none or it is malformed.
func orientation(format string, b []byte) int {
	var o int
	switch format {
	case "jpeg":
		o = jpegOrientation(b)
	case "tiff":
		o = tiffOrientation(b)
	case "png":
		o = pngOrientation(b)
	case "webp":
		o = webpOrientation(b)
	case "heic", "avif":
		if h, err := parseHEIF(b); err == nil {
			o = h.orientation
		}
	}
	if o < 1 || o > 8 {
		return 1
	}
	return o
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure, or 0.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 0
	}
	n := int64(bo.Uint16(t[ifd:]))
	for i := int64(0); i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 { // one SHORT
			return 0
		}
		return int(bo.Uint16(t[e+8:]))
	}
	return 0
}

// pngOrientation reads an eXIf chunk, or returns 0.
func pngOrientation(b []byte) int {
	for p := 8; p+8 <= len(b); {
		n := int64(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		end := int64(p) + 8 + n
		if end > int64(len(b)) {
			return 0
		}
		switch typ {
		case "eXIf":
			return tiffOrientation(b[p+8 : end])
		case "IDAT", "IEND": // eXIf after the image data is ignored, as browsers do
			return 0
		}
		p = int(end) + 4 // skip the CRC
	}
	return 0
}

// webpOrientation reads an EXIF chunk of an extended WebP, or returns 0.
func webpOrientation(b []byte) int {
	for p := 12; p+8 <= len(b); {
		n := int64(binary.LittleEndian.Uint32(b[p+4:]))
		end := int64(p) + 8 + n
		if end > int64(len(b)) {
			return 0
		}
		if string(b[p:p+4]) == "EXIF" {
			t := b[p+8 : end]
			if len(t) > 6 && string(t[:6]) == "Exif\x00\x00" {
				t = t[6:]
			}
			return tiffOrientation(t)
		}
		p = int(end + n&1)
	}
	return 0
}

// swapsAxes reports whether an orientation turns the stored width into the
// displayed height.
func swapsAxes(o int) bool { return o >= 5 }

// orient turns a stored-orientation image upright. It is applied to the
// small result, where it costs microseconds, rather than the full decode.
func orient(img *image.NRGBA, o int) *image.NRGBA {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}
