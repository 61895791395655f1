package jpegscale

import "encoding/binary"

// This file is not from upstream. It is the entropy decoder: upstream
// refills a 32-bit buffer a byte at a time through two function calls,
// looks up 8 bits of a Huffman code and then reads the magnitude bits in
// a second step, and returns an error from every symbol. Here the buffer is
// 64 bits, refilled eight bytes at once when none of them is 0xff; one
// look-up of 9 bits gives an AC coefficient's run, size and value
// together; and errors are sticky flags that the scan loop checks once per
// MCU, so the hot path has no error returns.

// bitReader holds the entropy-coded bits taken from d.bytes.
//
// The n valid bits are the most significant bits of acc, read from the top.
// At a marker (or the end of the data) the reader stops taking bytes and
// feeds zero bits instead, counting them in pad: a well-formed scan never
// consumes them, so consuming any (n < pad) means the data ended early.
type bitReader struct {
	acc    uint64
	n      int
	pad    int
	marker bool // a marker or the end of the data was reached
	bad    bool // an invalid Huffman code or coefficient was seen
}

// minBits is what the decoder makes sure of before each symbol: a Huffman
// code and its magnitude bits take at most 16 + 16 bits.
const minBits = 32

// refill tops the buffer up to at least 57 bits.
func (d *decoder) refill() {
	br := &d.br
	if br.marker {
		for br.n <= 56 {
			br.n += 8
			br.pad += 8
		}
		return
	}
	if i := d.bytes.i; d.bytes.j-i >= 8 {
		v := binary.BigEndian.Uint64(d.bytes.buf[i:])
		if x := ^v; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			// No 0xff among the eight bytes: take as many whole bytes as
			// fit, and clear the bits of the bytes left for the next time.
			m := (64 - br.n) >> 3
			n := br.n + 8*m
			br.acc |= v >> br.n &^ (1<<(64-n) - 1)
			br.n = n
			d.bytes.i += m
			return
		}
	}
	for br.n <= 56 && !br.marker {
		c, ok := d.stuffedByte()
		if !ok {
			br.marker = true
			break
		}
		br.acc |= uint64(c) << (56 - br.n)
		br.n += 8
	}
	for br.n <= 56 {
		br.n += 8
		br.pad += 8
	}
}

// stuffedByte returns the next byte of entropy-coded data, undoing the
// byte stuffing of section F.1.2.3 (0xff is sent as 0xff 0x00). At a
// marker it leaves the marker unread and returns false, as it does at the
// end of the data.
func (d *decoder) stuffedByte() (byte, bool) {
	if d.bytes.i == d.bytes.j {
		if d.fill() != nil {
			return 0, false
		}
	}
	c := d.bytes.buf[d.bytes.i]
	d.bytes.i++
	if c != 0xff {
		return c, true
	}
	// fill keeps the last two bytes of the buffer, so stepping back over
	// the 0xff (and the byte after it) is always possible.
	next, err := d.readByte()
	if err != nil {
		d.bytes.i--
		return 0, false
	}
	if next != 0x00 {
		d.bytes.i -= 2
		return 0, false
	}
	return 0xff, true
}

// skipEntropyData moves past a scan's entropy-coded data (restart markers
// included) to the next other marker, without decoding it: at 1/8 scale
// the AC scans of a progressive image change no output pixel.
func (d *decoder) skipEntropyData() error {
	for {
		c, err := d.readByte()
		if err != nil {
			return err
		}
		if c != 0xff {
			continue
		}
		next, err := d.readByte()
		if err != nil {
			return err
		}
		switch {
		case next == 0x00, rst0Marker <= next && next <= rst7Marker:
		case next == 0xff:
			d.bytes.i-- // fill byte: look at the last 0xff again
		default:
			d.bytes.i -= 2
			d.br = bitReader{}
			return nil
		}
	}
}

// checkBits reports a scan's sticky errors: an invalid code, or data that
// ended before the blocks did.
func (d *decoder) checkBits() error {
	if d.br.bad {
		return FormatError("bad Huffman code")
	}
	if d.br.n < d.br.pad {
		return errShortHuffmanData
	}
	return nil
}

// huffSym decodes one Huffman-coded symbol. The caller has made sure of
// minBits bits.
func (d *decoder) huffSym(h *huffman) uint8 {
	if e := h.lut[d.br.acc>>(64-lutSize)]; e != 0 {
		l := e & 0xff
		d.br.acc <<= l
		d.br.n -= int(l)
		return uint8(e >> 8)
	}
	return d.huffSlow(h)
}

// huffSlow decodes a code longer than lutSize bits, as section F.2.2.3
// does, one length at a time. An invalid code sets br.bad and decodes as 0
// (an end of block).
func (d *decoder) huffSlow(h *huffman) uint8 {
	code := int32(d.br.acc >> 48)
	for l := lutSize + 1; l <= maxCodeLength; l++ {
		c := code >> (maxCodeLength - l)
		if c <= h.maxCodes[l-1] {
			d.br.acc <<= l
			d.br.n -= l
			return h.vals[h.valsIndices[l-1]+c-h.minCodes[l-1]]
		}
	}
	d.br.bad = true
	return 0
}

// receiveExtend reads a coefficient of s magnitude bits (RECEIVE and
// EXTEND of section F.2.2.1); s is at most 16 and the bits are there.
func (d *decoder) receiveExtend(s uint8) int32 {
	if s == 0 {
		return 0
	}
	x := int32(d.br.acc >> (64 - s))
	d.br.acc <<= s
	d.br.n -= int(s)
	if x < 1<<(s-1) {
		x += -1<<s + 1
	}
	return x
}

// getBits reads n ≤ 16 raw bits that are there.
func (d *decoder) getBits(n uint8) uint32 {
	if n == 0 {
		return 0
	}
	x := uint32(d.br.acc >> (64 - n))
	d.br.acc <<= n
	d.br.n -= int(n)
	return x
}

// regionMask[shift] has bit zig set for each coefficient, in zig-zag
// order, that a decode at 1/(1<<shift) scale reads (see scaleZigs).
var regionMask = func() (m [4]uint64) {
	for shift, zigs := range scaleZigs {
		for _, z := range zigs {
			m[shift] |= 1 << z
		}
	}
	return m
}()

// lastZig[shift] is the highest zig-zag index a decode at 1/(1<<shift)
// scale reads: past it a block's coefficients are only skipped.
var lastZig = func() (l [4]int) {
	for shift, zigs := range scaleZigs {
		l[shift] = int(zigs[len(zigs)-1])
	}
	return l
}()

// baselineBlock decodes one block of a sequential scan into b, whose
// coefficients at the decoder's scale it first zeroes and then sets; the
// others are only skipped, their magnitude bits never extended (at 1/8,
// all the AC coefficients).
func (d *decoder) baselineBlock(b *block, dcH, acH *huffman, dc *int32) {
	if d.br.n < minBits {
		d.refill()
	}
	s := d.huffSym(dcH)
	if s > 16 {
		d.br.bad = true
		return
	}
	*dc += d.receiveExtend(s)
	b[0] = *dc
	switch d.shift {
	case 3:
		d.skipAC(acH, 1)
		return
	case 2:
		b[1], b[8], b[9] = 0, 0, 0
	case 1:
		clear(b[1:4])
		clear(b[8:12])
		clear(b[16:20])
		clear(b[24:28])
	default:
		clear(b[1:])
	}
	if k := d.decodeAC(b, acH, regionMask[d.shift], lastZig[d.shift]); k <= lastZig[0] {
		d.skipAC(acH, k)
	}
}

// decodeAC decodes a block's AC coefficients up to zig-zag index last into
// b, storing those in mask. It returns the index to go on from, or 64 at
// the end of the block. Like skipAC it keeps the bit buffer in locals.
func (d *decoder) decodeAC(b *block, acH *huffman, mask uint64, last int) int {
	acc, n := d.br.acc, d.br.n
	k := 1
	for k <= last {
		if n < minBits {
			d.br.acc, d.br.n = acc, n
			d.refill()
			acc, n = d.br.acc, d.br.n
		}
		var v int32
		if e := acH.acv[acc>>(64-lutSize)]; e != 0 {
			l := e & 0xff
			acc <<= l
			n -= int(l)
			k += int(e >> 8 & 0xff)
			v = e >> 16
		} else {
			d.br.acc, d.br.n = acc, n
			rs := d.huffSym(acH)
			acc, n = d.br.acc, d.br.n
			r, s := int(rs>>4), rs&0x0f
			if s == 0 {
				if r != 0x0f {
					k = blockSize // end of block
					break
				}
				k += 16
				continue
			}
			k += r
			// RECEIVE and EXTEND, as receiveExtend.
			v = int32(acc >> (64 - s))
			acc <<= s
			n -= int(s)
			if v < 1<<(s-1) {
				v += -1<<s + 1
			}
		}
		if k >= blockSize {
			k = blockSize
			break
		}
		if mask>>k&1 != 0 {
			b[unzig[k]] = v
		}
		k++
	}
	d.br.acc, d.br.n = acc, n
	return k
}

// skipAC moves past a block's AC coefficients from zig-zag index k on
// without computing them. The bit buffer is kept in local variables, so
// that the loop runs in registers.
func (d *decoder) skipAC(acH *huffman, k int) {
	acc, n := d.br.acc, d.br.n
	for k < blockSize {
		if n < minBits {
			d.br.acc, d.br.n = acc, n
			d.refill()
			acc, n = d.br.acc, d.br.n
		}
		if e := acH.skip[acc>>(64-lutSize)]; e != 0 {
			l := e & 0xff
			acc <<= l
			n -= int(l)
			k += int(e >> 8)
			continue
		}
		d.br.acc, d.br.n = acc, n
		rs := d.huffSym(acH)
		acc, n = d.br.acc, d.br.n
		r, s := int(rs>>4), rs&0x0f
		if s == 0 {
			if r != 0x0f {
				break
			}
			k += 16
			continue
		}
		acc <<= s
		n -= int(s)
		k += r + 1
	}
	d.br.acc, d.br.n = acc, n
}
