// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpegscale

import (
	"image"
)

// makeImg allocates and initializes the destination image.
func (d *decoder) makeImg(mxx, myy int) {
	// Block side in pixels, and the size of the image it fills.
	bs := 8 >> d.shift
	w, h := scaledDims(d.width, d.height, d.shift)
	if d.nComp == 1 {
		m := image.NewGray(image.Rect(0, 0, bs*mxx, bs*myy))
		d.img1 = m.SubImage(image.Rect(0, 0, w, h)).(*image.Gray)
		return
	}

	h0 := d.comp[0].h
	v0 := d.comp[0].v
	hRatio := h0 / d.comp[1].h
	vRatio := v0 / d.comp[1].v
	var subsampleRatio image.YCbCrSubsampleRatio
	switch hRatio<<4 | vRatio {
	case 0x11:
		subsampleRatio = image.YCbCrSubsampleRatio444
	case 0x12:
		subsampleRatio = image.YCbCrSubsampleRatio440
	case 0x21:
		subsampleRatio = image.YCbCrSubsampleRatio422
	case 0x22:
		subsampleRatio = image.YCbCrSubsampleRatio420
	case 0x41:
		subsampleRatio = image.YCbCrSubsampleRatio411
	case 0x42:
		subsampleRatio = image.YCbCrSubsampleRatio410
	default:
		panic("unreachable")
	}
	m := image.NewYCbCr(image.Rect(0, 0, bs*h0*mxx, bs*v0*myy), subsampleRatio)
	d.img3 = m.SubImage(image.Rect(0, 0, w, h)).(*image.YCbCr)

	if d.nComp == 4 {
		h3, v3 := d.comp[3].h, d.comp[3].v
		d.blackPix = make([]byte, bs*h3*mxx*bs*v3*myy)
		d.blackStride = bs * h3 * mxx
	}
}

// Specified in section B.2.3.
func (d *decoder) processSOS(n int) error {
	if d.nComp == 0 {
		return FormatError("missing SOF marker")
	}
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return FormatError("SOS has wrong length")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	nComp := int(d.tmp[0])
	if n != 4+2*nComp {
		return FormatError("SOS length inconsistent with number of components")
	}
	var scan [maxComponents]scanComponent
	totalHV := 0
	for i := 0; i < nComp; i++ {
		cs := d.tmp[1+2*i] // Component selector.
		compIndex := -1
		for j, comp := range d.comp[:d.nComp] {
			if cs == comp.c {
				compIndex = j
			}
		}
		if compIndex < 0 {
			return FormatError("unknown component selector")
		}
		scan[i].compIndex = uint8(compIndex)
		// Section B.2.3 states that "the value of Cs_j shall be different from
		// the values of Cs_1 through Cs_(j-1)". Since we have previously
		// verified that a frame's component identifiers (C_i values in section
		// B.2.2) are unique, it suffices to check that the implicit indexes
		// into d.comp are unique.
		for j := 0; j < i; j++ {
			if scan[i].compIndex == scan[j].compIndex {
				return FormatError("repeated component selector")
			}
		}
		totalHV += d.comp[compIndex].h * d.comp[compIndex].v

		// The baseline t <= 1 restriction is specified in table B.3.
		scan[i].td = d.tmp[2+2*i] >> 4
		if t := scan[i].td; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Td value")
		}
		scan[i].ta = d.tmp[2+2*i] & 0x0f
		if t := scan[i].ta; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Ta value")
		}
	}
	// Section B.2.3 states that if there is more than one component then the
	// total H*V values in a scan must be <= 10.
	if d.nComp > 1 && totalHV > 10 {
		return FormatError("total sampling factors too large")
	}

	// zigStart and zigEnd are the spectral selection bounds.
	// ah and al are the successive approximation high and low values.
	// The spec calls these values Ss, Se, Ah and Al.
	//
	// For progressive JPEGs, these are the two more-or-less independent
	// aspects of progression. Spectral selection progression is when not
	// all of a block's 64 DCT coefficients are transmitted in one pass.
	// For example, three passes could transmit coefficient 0 (the DC
	// component), coefficients 1-5, and coefficients 6-63, in zig-zag
	// order. Successive approximation is when not all of the bits of a
	// band of coefficients are transmitted in one pass. For example,
	// three passes could transmit the 6 most significant bits, followed
	// by the second-least significant bit, followed by the least
	// significant bit.
	//
	// For sequential JPEGs, these parameters are hard-coded to 0/63/0/0, as
	// per table B.3.
	zigStart, zigEnd, ah, al := int32(0), int32(blockSize-1), uint32(0), uint32(0)
	if d.progressive {
		zigStart = int32(d.tmp[1+2*nComp])
		zigEnd = int32(d.tmp[2+2*nComp])
		ah = uint32(d.tmp[3+2*nComp] >> 4)
		al = uint32(d.tmp[3+2*nComp] & 0x0f)
		if (zigStart == 0 && zigEnd != 0) || zigStart > zigEnd || blockSize <= zigEnd {
			return FormatError("bad spectral selection bounds")
		}
		if zigStart != 0 && nComp != 1 {
			return FormatError("progressive AC coefficients for more than one component")
		}
		if ah != 0 && ah != al+1 {
			return FormatError("bad successive approximation values")
		}
	}

	// mxx and myy are the number of MCUs (Minimum Coded Units) in the image.
	h0, v0 := d.comp[0].h, d.comp[0].v // The h and v values from the Y components.
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	var scanBlocks int64
	for i := 0; i < nComp; i++ {
		c := d.comp[scan[i].compIndex]
		scanBlocks += int64(mxx) * int64(myy) * int64(c.h) * int64(c.v)
	}
	if err := d.startScan(scanBlocks); err != nil {
		return err
	}
	if d.img1 == nil && d.img3 == nil {
		d.makeImg(mxx, myy)
	}
	if d.progressive {
		for i := 0; i < nComp; i++ {
			d.allocCoefs(int(scan[i].compIndex), mxx*myy*d.comp[scan[i].compIndex].h*d.comp[scan[i].compIndex].v)
		}
	}
	if d.progressive && zigStart > 0 && d.shift == 3 {
		// At 1/8 scale only the DC coefficients make pixels: an AC
		// scan is counted and limited above, and its data skipped.
		return d.skipEntropyData()
	}
	if err := d.checkTables(scan[:nComp], zigStart, ah); err != nil {
		return err
	}
	return d.decodeScan(&scan, nComp, mxx, myy, zigStart, zigEnd, ah, al)
}

// checkTables refuses a scan that uses a Huffman table no DHT defined;
// upstream checks this at every symbol.
func (d *decoder) checkTables(scan []scanComponent, zigStart int32, ah uint32) error {
	dcUsed := !d.progressive || zigStart == 0 && ah == 0
	acUsed := !d.progressive || zigStart > 0
	for _, sc := range scan {
		if dcUsed && d.huff[dcTable][sc.td].nCodes == 0 || acUsed && d.huff[acTable][sc.ta].nCodes == 0 {
			return FormatError("uninitialized Huffman table")
		}
	}
	return nil
}

// scanComponent is a component of a scan, as its SOS header gives it.
type scanComponent struct {
	compIndex uint8
	td        uint8 // DC table selector.
	ta        uint8 // AC table selector.
}

// decodeScan decodes the entropy-coded data of one scan of nComp
// components over mxx×myy MCUs, with processSOS's spectral selection and
// successive approximation parameters.
//
// The blocks are traversed one MCU at a time. For 4:2:0 chroma
// subsampling, there are four Y 8x8 blocks in every 16x16 MCU.
//
// For a sequential 32x16 pixel image, the Y blocks visiting order is:
//
//	0 1 4 5
//	2 3 6 7
//
// For progressive images, the interleaved scans (those with nComp > 1)
// are traversed as above, but non-interleaved scans are traversed left
// to right, top to bottom:
//
//	0 1 2 3
//	4 5 6 7
//
// Only DC scans (zigStart == 0) can be interleaved. AC scans must have
// only one component.
//
// To further complicate matters, for non-interleaved scans, there is no
// data for any blocks that are inside the image at the MCU level but
// outside the image at the pixel level. For example, a 24x16 pixel 4:2:0
// progressive image consists of two 16x16 MCUs. The interleaved scans
// will process 8 Y blocks:
//
//	0 1 4 5
//	2 3 6 7
//
// The non-interleaved scans will process only 6 Y blocks:
//
//	0 1 2
//	3 4 5
func (d *decoder) decodeScan(scan *[maxComponents]scanComponent, nComp, mxx, myy int, zigStart, zigEnd int32, ah, al uint32) error {
	d.br = bitReader{}
	// units counts the restart interval's units: MCUs, or for a scan of
	// one component its blocks inside the image (section A.2.2), which
	// upstream miscounts for a subsampled component's 2×2 blocks, so that
	// it could not read a progressive file with restart intervals.
	units, totalUnits, expectedRST := 0, mxx*myy, uint8(rst0Marker)
	if nComp == 1 {
		c := d.comp[scan[0].compIndex]
		totalUnits = min(mxx*c.h, (d.width+7)/8) * min(myy*c.v, (d.height+7)/8)
	}
	var (
		// b is the decoded coefficients, in natural (not zig-zag) order.
		b  block
		dc [maxComponents]int32
		// bx and by are the location of the current block, in units of 8x8
		// blocks: the third block in the first row has (bx, by) = (2, 0).
		bx, by     int
		blockCount int
	)
	for my := 0; my < myy; my++ {
		for mx := 0; mx < mxx; mx++ {
			for i := 0; i < nComp; i++ {
				compIndex := scan[i].compIndex
				hi := d.comp[compIndex].h
				vi := d.comp[compIndex].v
				for j := 0; j < hi*vi; j++ {
					d.stats.Blocks++
					// The traversal order is in the doc comment.
					if nComp != 1 {
						bx = hi*mx + j%hi
						by = vi*my + j/hi
					} else {
						q := mxx * hi
						bx = blockCount % q
						by = blockCount / q
						blockCount++
						if bx*8 >= d.width || by*8 >= d.height {
							continue
						}
						units++
					}

					// A progressive block is decoded into the previous partially
					// decoded coefficients, in place: upstream copies the 256-byte
					// block in and out, which made each block of an end-of-band run
					// cost 20 ns and a many-scan file seconds (see limits.go).
					if !d.progressive {
						d.baselineBlock(&b, &d.huff[dcTable][scan[i].td], &d.huff[acTable][scan[i].ta], &dc[compIndex])
					} else if err := d.progressiveBlock(int(compIndex), by*mxx*hi+bx, scan[i], &dc[compIndex], zigStart, zigEnd, ah, al); err != nil {
						return err
					}
					if nComp == 1 && d.ri > 0 && units%d.ri == 0 && units < totalUnits {
						if err := d.nextInterval(&expectedRST); err != nil {
							return err
						}
						dc = [maxComponents]int32{}
					}

					if d.progressive {
						// The coefficients are saved already.
						// At this point, we could call reconstructBlock to dequantize and perform the
						// inverse DCT, to save early stages of a progressive image to the *image.YCbCr
						// buffers (the whole point of progressive encoding), but in Go, the jpeg.Decode
						// function does not return until the entire image is decoded, so we "continue"
						// here to avoid wasted computation. Instead, reconstructBlock is called on each
						// accumulated block by the reconstructProgressiveImage method after all of the
						// SOS markers are processed.
						continue
					}
					if err := d.reconstructBlock(&b, bx, by, int(compIndex)); err != nil {
						return err
					}
				} // for j
			} // for i
			if nComp != 1 {
				units++
			}
			if err := d.checkBits(); err != nil {
				return err
			}
			if d.opts.Check != nil && d.stats.Blocks >= d.nextCheck {
				if err := d.check(); err != nil {
					return err
				}
			}
			if nComp != 1 && d.ri > 0 && units%d.ri == 0 && units < totalUnits {
				if err := d.nextInterval(&expectedRST); err != nil {
					return err
				}
				// Reset the DC components, as per section F.2.1.3.1.
				dc = [maxComponents]int32{}
			}
		} // for mx
	} // for my

	return nil
}

// nextInterval ends a restart interval: it reports the interval's errors,
// reads the marker and advances expectedRST.
func (d *decoder) nextInterval(expectedRST *uint8) error {
	if err := d.checkBits(); err != nil {
		return err
	}
	if err := d.restart(*expectedRST); err != nil {
		return err
	}
	*expectedRST++
	if *expectedRST == rst7Marker+1 {
		*expectedRST = rst0Marker
	}
	return nil
}

// restart reads the restart marker expected between two restart intervals
// and resets the entropy decoder.
func (d *decoder) restart(expectedRST uint8) error {
	// For well-formed input, the RST[0-7] restart marker follows
	// immediately. For corrupt input, call findRST to try to
	// resynchronize.
	if err := d.readFull(d.tmp[:2]); err != nil {
		return err
	} else if d.tmp[0] != 0xff || d.tmp[1] != expectedRST {
		if err := d.findRST(expectedRST); err != nil {
			return err
		}
	}
	// Reset the Huffman decoder.
	d.br = bitReader{}
	// Reset the progressive decoder state, as per section G.1.2.2.
	d.eobRun = 0
	return nil
}

// reconstructBlock dequantizes, performs the inverse DCT and stores the
// block to the image, at the decoder's scale: the full 8×8 IDCT, a reduced
// one over the coefficients the scale reads (scale.go), or the DC alone.
func (d *decoder) reconstructBlock(b *block, bx, by, compIndex int) error {
	qt := &d.quant[d.comp[compIndex].tq]
	if d.shift == 3 {
		return d.storeDC(b[0]*qt[0], bx, by, compIndex)
	}
	bs := 8 >> d.shift
	dst, stride := d.plane(compIndex)
	if dst == nil {
		return UnsupportedError("too many components")
	}
	dst = dst[bs*(by*stride+bx):]
	switch d.shift {
	case 1:
		for _, zig := range scaleZigs[1] {
			b[unzig[zig]] *= qt[zig]
		}
		idct4(b, dst, stride)
		return nil
	case 2:
		for _, zig := range scaleZigs[2] {
			b[unzig[zig]] *= qt[zig]
		}
		idct2(b, dst, stride)
		return nil
	}
	for zig := 0; zig < blockSize; zig++ {
		b[unzig[zig]] *= qt[zig]
	}
	idct(b)
	// Level shift by +128, clip to [0, 255], and write to dst.
	for y := 0; y < 8; y++ {
		y8 := y * 8
		yStride := y * stride
		for x := 0; x < 8; x++ {
			c := b[y8+x]
			if c < -128 {
				c = 0
			} else if c > 127 {
				c = 255
			} else {
				c += 128
			}
			dst[yStride+x] = uint8(c)
		}
	}
	return nil
}

// plane returns the samples and stride of component compIndex, or nil.
func (d *decoder) plane(compIndex int) ([]byte, int) {
	if d.nComp == 1 {
		return d.img1.Pix, d.img1.Stride
	}
	switch compIndex {
	case 0:
		return d.img3.Y, d.img3.YStride
	case 1:
		return d.img3.Cb, d.img3.CStride
	case 2:
		return d.img3.Cr, d.img3.CStride
	case 3:
		return d.blackPix, d.blackStride
	}
	return nil, 0
}

// findRST advances past the next RST restart marker that matches expectedRST.
// Other than I/O errors, it is also an error if we encounter an {0xFF, M}
// two-byte marker sequence where M is not 0x00, 0xFF or the expectedRST.
//
// This is similar to libjpeg's jdmarker.c's next_marker function.
// https://github.com/libjpeg-turbo/libjpeg-turbo/blob/2dfe6c0fe9e18671105e94f7cbf044d4a1d157e6/jdmarker.c#L892-L935
//
// Precondition: d.tmp[:2] holds the next two bytes of JPEG-encoded input
// (input in the d.readFull sense).
func (d *decoder) findRST(expectedRST uint8) error {
	for {
		// i is the index such that, at the bottom of the loop, we read 2-i
		// bytes into d.tmp[i:2], maintaining the invariant that d.tmp[:2]
		// holds the next two bytes of JPEG-encoded input. It is either 0 or 1,
		// so that each iteration advances by 1 or 2 bytes (or returns).
		i := 0

		if d.tmp[0] == 0xff {
			if d.tmp[1] == expectedRST {
				return nil
			} else if d.tmp[1] == 0xff {
				i = 1
			} else if d.tmp[1] != 0x00 {
				// libjpeg's jdmarker.c's jpeg_resync_to_restart does something
				// fancy here, treating RST markers within two (modulo 8) of
				// expectedRST differently from RST markers that are 'more
				// distant'. Until we see evidence that recovering from such
				// cases is frequent enough to be worth the complexity, we take
				// a simpler approach for now. Any marker that's not 0x00, 0xff
				// or expectedRST is a fatal FormatError.
				return FormatError("bad RST marker")
			}

		} else if d.tmp[1] == 0xff {
			d.tmp[0] = 0xff
			i = 1
		}

		if err := d.readFull(d.tmp[i:2]); err != nil {
			return err
		}
	}
}

// storeDC writes a block's average, its dequantised DC coefficient over 8,
// as one pixel.
func (d *decoder) storeDC(dc int32, bx, by, compIndex int) error {
	pix, stride := d.plane(compIndex)
	if pix == nil {
		return UnsupportedError("too many components")
	}
	c := (dc+4)>>3 + 128
	pix[by*stride+bx] = uint8(min(255, max(0, c)))
	return nil
}
