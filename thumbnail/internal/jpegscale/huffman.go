// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpegscale

// maxCodeLength is the maximum (inclusive) number of bits in a Huffman code.
const maxCodeLength = 16

// maxNCodes is the maximum (inclusive) number of codes in a Huffman tree.
const maxNCodes = 256

// lutSize is the log-2 size of the Huffman decoder's look-up tables: 9
// bits resolve nearly every code of a photo's tables in one step, and the
// tables of a scan still fit the L1 cache.
const lutSize = 9

// huffman is a Huffman decoder, specified in section C.
type huffman struct {
	// length is the number of codes in the tree.
	nCodes int32
	// lut is the look-up table for the next lutSize bits in the bit-stream.
	// The high 8 bits of the uint16 are the encoded value. The low 8 bits
	// are the code length, or 0 if the code is longer than lutSize bits.
	lut [1 << lutSize]uint16
	// acv resolves an AC code and its magnitude bits in one step when both
	// fit in the next lutSize bits: the coefficient's value in the high 16
	// bits, the zero run before it in bits 8–15 and the bits the pair takes
	// in the low 8; 0 if they do not fit or the code is EOB or ZRL.
	acv [1 << lutSize]int32
	// skip moves past an AC code and its magnitude bits without reading
	// them, when the code fits in lutSize bits: the bits the pair takes in
	// the low 8 bits, and in the high 8 how far it moves the zig-zag index
	// (run+1, 16 for ZRL, 64 for EOB, which ends any block); 0 for a
	// longer code.
	skip [1 << lutSize]uint16
	// vals are the decoded values, sorted by their encoding.
	vals [maxNCodes]uint8
	// minCodes[i] is the minimum code of length i, or -1 if there are no
	// codes of that length.
	minCodes [maxCodeLength]int32
	// maxCodes[i] is the maximum code of length i, or -1 if there are no
	// codes of that length.
	maxCodes [maxCodeLength]int32
	// valsIndices[i] is the index into vals of minCodes[i].
	valsIndices [maxCodeLength]int32
}

// errShortHuffmanData means that a scan's entropy-coded data ended before
// its last block did.
var errShortHuffmanData = FormatError("short Huffman data")

// processDHT processes a Define Huffman Table marker, and initializes a huffman
// struct from its contents. Specified in section B.2.4.2.
func (d *decoder) processDHT(n int) error {
	for n > 0 {
		if n < 17 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(d.tmp[:17]); err != nil {
			return err
		}
		tc := d.tmp[0] >> 4
		if tc > maxTc {
			return FormatError("bad Tc value")
		}
		th := d.tmp[0] & 0x0f
		// The baseline th <= 1 restriction is specified in table B.5.
		if th > maxTh || (d.baseline && th > 1) {
			return FormatError("bad Th value")
		}
		h := &d.huff[tc][th]

		// Read nCodes and h.vals (and derive h.nCodes).
		// nCodes[i] is the number of codes with code length i.
		// h.nCodes is the total number of codes.
		h.nCodes = 0
		var nCodes [maxCodeLength]int32
		for i := range nCodes {
			nCodes[i] = int32(d.tmp[i+1])
			h.nCodes += nCodes[i]
		}
		if h.nCodes == 0 {
			return FormatError("Huffman table has zero length")
		}
		if h.nCodes > maxNCodes {
			return FormatError("Huffman table has excessive length")
		}
		n -= int(h.nCodes) + 17
		if n < 0 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(h.vals[:h.nCodes]); err != nil {
			return err
		}

		if err := h.buildLUT(&nCodes); err != nil {
			return err
		}

		// Derive minCodes, maxCodes, and valsIndices.
		var c, index int32
		for i, n := range nCodes {
			if n == 0 {
				h.minCodes[i] = -1
				h.maxCodes[i] = -1
				h.valsIndices[i] = -1
			} else {
				h.minCodes[i] = c
				h.maxCodes[i] = c + n - 1
				h.valsIndices[i] = index
				c += n
				index += n
			}
			c <<= 1
		}
	}
	return nil
}

// buildLUT derives lut, acv and skip from the number of codes of each
// length. A table with more codes of some length than the bits allow is
// refused, as libjpeg refuses it: upstream's 8-bit index wrapped around
// silently instead.
func (h *huffman) buildLUT(nCodes *[maxCodeLength]int32) error {
	clear(h.lut[:])
	clear(h.acv[:])
	clear(h.skip[:])
	var x, code uint32
	for i := uint32(0); i < lutSize; i++ {
		code <<= 1
		for j := int32(0); j < nCodes[i]; j++ {
			if code >= 1<<(i+1) {
				return FormatError("bad Huffman table")
			}
			// The codeLength is 1+i, so shift code by lutSize-(1+i) to
			// get the high bits of every lutSize-bit sequence that
			// starts with code.
			l := 1 + i
			base := code << (lutSize - l)
			v := h.vals[x]
			for k := uint32(0); k < 1<<(lutSize-l); k++ {
				h.lut[base|k] = uint16(v)<<8 | uint16(l)
				run, size := uint32(v>>4), uint32(v&0x0f)
				advance := run + 1
				switch v {
				case 0x00:
					advance = blockSize
				case 0xf0:
					advance = 16
				}
				h.skip[base|k] = uint16(advance)<<8 | uint16(l+size)
				if size == 0 || l+size > lutSize {
					continue
				}
				// The magnitude bits follow the code within the index.
				m := int32((base | k) >> (lutSize - l - size) & (1<<size - 1))
				if m < 1<<(size-1) {
					m += -1<<size + 1
				}
				h.acv[base|k] = m<<16 | int32(run)<<8 | int32(l+size)
			}
			code++
			x++
		}
	}
	return nil
}
