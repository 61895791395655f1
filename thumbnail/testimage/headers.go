package testimage

import (
	"bytes"
	"hash/crc32"
	"image"
	"image/color/palette"
	"image/gif"
	"image/png"
)

// PNGHeader is a valid PNG whose header claims w×h, followed by a 1×1
// image's data: a decompression bomb that a converter must refuse from the
// header alone.
func PNGHeader(w, h uint32) []byte {
	var small bytes.Buffer
	png.Encode(&small, image.NewNRGBA(image.Rect(0, 0, 1, 1)))
	img := small.Bytes()
	var b bytes.Buffer
	b.Write(img[:16]) // signature, IHDR length and type
	ihdr := []byte{byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w), byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h), 8, 6, 0, 0, 0}
	b.Write(ihdr)
	crc := crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...))
	b.Write([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	b.Write(img[33:]) // the tiny image's IDAT and IEND
	return b.Bytes()
}

// GIFHeader is a valid 2×2 GIF whose logical screen claims w×h: a
// converter must refuse it from the header alone.
func GIFHeader(w, h uint16) []byte {
	var buf bytes.Buffer
	gif.Encode(&buf, image.NewPaletted(image.Rect(0, 0, 2, 2), palette.Plan9[:4]), nil)
	b := buf.Bytes()
	b[6], b[7], b[8], b[9] = byte(w), byte(w>>8), byte(h), byte(h>>8)
	return b
}
