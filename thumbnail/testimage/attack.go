package testimage

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// The files below are the attacks of the security review (issue 12), built
// in the test that uses them so that no hostile binary is kept in the
// repository.

// ManyScanJPEG returns a progressive grayscale w×h JPEG of flat grey with a
// DC scan followed by scans-1 identical AC scans. Each AC scan says "the
// whole band is zero" with end-of-band runs of up to 32767 blocks, so it
// takes a few dozen bytes but makes a decoder walk every block of the
// image: a 5000×5000 file with 6000 scans is about 250 KB. (A conforming
// encoder never repeats a band; decoders accept it, as libjpeg does.)
func ManyScanJPEG(w, h, scans int) []byte {
	// DC: category 0 is the one-bit code 0. AC: EOB14 is the one-bit code
	// 0, and EOB0…EOB13 have five-bit codes, so any run can be written.
	dcSpec := huffmanSpec{value: []byte{0}}
	dcSpec.count[0] = 1
	acSpec := huffmanSpec{value: []byte{0xe0}}
	acSpec.count[0], acSpec.count[4] = 1, 14
	for n := range 14 {
		acSpec.value = append(acSpec.value, byte(n<<4))
	}
	dcCodes, acCodes := build(dcSpec), build(acSpec)

	var buf bytes.Buffer
	buf.Write([]byte{0xff, 0xd8})
	dqt := make([]byte, 65)
	for i := 1; i < len(dqt); i++ {
		dqt[i] = 1
	}
	segment(&buf, 0xdb, dqt)
	writeSOF(&buf, w, h, 1, true)
	dht := append([]byte{0x00}, dcSpec.count[:]...)
	dht = append(dht, dcSpec.value...)
	dht = append(dht, 0x10)
	dht = append(dht, acSpec.count[:]...)
	dht = append(dht, acSpec.value...)
	segment(&buf, 0xc4, dht)

	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	e := &bitWriter{w: &buf}
	writeSOS(&buf, []int{0}, 0, 0)
	for range blocks {
		e.dc(&dcCodes, 0)
	}
	e.flush()
	for range scans - 1 {
		writeSOS(&buf, []int{0}, 1, 63)
		for left := blocks; left > 0; {
			run := min(left, 1<<15-1)
			n := bits.Len(uint(run)) - 1
			e.sym(&acCodes, byte(n<<4))
			e.bits(uint32(run-(1<<n)), uint(n))
			left -= run
		}
		e.flush()
	}
	buf.Write([]byte{0xff, 0xd9})
	return buf.Bytes()
}

// WithStrayByte returns a copy of a JPEG with one 0x00 byte inserted before
// its frame header (SOF). Decoders skip such extraneous bytes between
// segments, so the file still decodes; a marker walk that stops at the
// first non-marker byte never sees the frame, and with it the progressive
// flag.
func WithStrayByte(jpg []byte) []byte {
	for p := 2; p+4 <= len(jpg) && jpg[p] == 0xff; {
		if m := jpg[p+1]; m >= 0xc0 && m <= 0xc2 {
			out := append([]byte(nil), jpg[:p]...)
			out = append(out, 0x00)
			return append(out, jpg[p:]...)
		}
		p += 2 + int(binary.BigEndian.Uint16(jpg[p+2:]))
	}
	return jpg
}

// PNG16 returns a w×h RGBA PNG with 16 bits a channel, all zero: a 50 MP one
// is about 400 KB of deflate that decodes to 400 MB (800 MB while an
// interlaced one is put together).
func PNG16(w, h int, interlaced bool) []byte {
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+8*w) // filter byte 0 (none) and zero samples
	if !interlaced {
		for range h {
			z.Write(row)
		}
	} else {
		// Adam7: each pass is a small image of its own, rows and all.
		for _, p := range [7][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}} {
			pw, ph := (w-p[0]+p[2]-1)/p[2], (h-p[1]+p[3]-1)/p[3]
			if pw <= 0 || ph <= 0 {
				continue
			}
			for range ph {
				z.Write(row[:1+8*pw])
			}
		}
	}
	z.Close()

	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ilace := byte(0)
	if interlaced {
		ilace = 1
	}
	ihdr = append(ihdr, 16, 6, 0, 0, ilace) // depth 16, RGBA
	pngChunk(&buf, "IHDR", ihdr)
	pngChunk(&buf, "IDAT", idat.Bytes())
	pngChunk(&buf, "IEND", nil)
	return buf.Bytes()
}

func pngChunk(buf *bytes.Buffer, typ string, data []byte) {
	binary.Write(buf, binary.BigEndian, uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	buf.WriteString(typ)
	buf.Write(data)
	binary.Write(buf, binary.BigEndian, crc.Sum32())
}
