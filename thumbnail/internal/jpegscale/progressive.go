package jpegscale

// This file is not from upstream. A progressive JPEG sends each block's
// coefficients over several scans, so they are kept until the last one.
// Upstream keeps all 64 of every block as int32, 256 bytes a block: 389 MB
// for a 24 MP 4:4:4 photo. Here a block keeps only the coefficients that
// the decode's scale reads (1, 4, 16, or 64 at full size, see scaleZigs),
// as int16, which is what a baseline JPEG's coefficients fit in; at 1/2
// and 1/4 scale a 64-bit mask besides records which of the others are
// non-zero, because a refinement scan sends a correction bit for every
// non-zero coefficient of its band, kept or not. At 1/8 the AC scans are
// skipped (see processSOS), so the DC is all that is kept.

// coefsPerBlock is the coefficients a block keeps at 1/(1<<shift) scale.
func coefsPerBlock(shift uint) int {
	n := 8 >> shift
	return n * n
}

// keepsMask reports whether blocks at this scale keep a non-zero mask.
func keepsMask(shift uint) bool { return shift == 1 || shift == 2 }

// progressiveBytesPerBlock is what allocCoefs allocates per block.
func progressiveBytesPerBlock(shift uint) int64 {
	n := int64(2 * coefsPerBlock(shift))
	if keepsMask(shift) {
		n += 8
	}
	return n
}

// slotOf[shift][zig] is where a block at that scale keeps the coefficient
// of zig-zag index zig (row-major within the kept corner), or -1.
var slotOf = func() (s [4][blockSize]int8) {
	for shift := range uint(4) {
		n := 8 >> shift
		for zig, nat := range unzig {
			s[shift][zig] = -1
			if u, v := nat%8, nat/8; u < n && v < n {
				s[shift][zig] = int8(v*n + u)
			}
		}
	}
	return s
}()

// allocCoefs allocates component c's coefficients, blocks blocks, once.
func (d *decoder) allocCoefs(c, blocks int) {
	if d.coefs[c] != nil {
		return
	}
	d.coefs[c] = make([]int16, blocks*coefsPerBlock(d.shift))
	if keepsMask(d.shift) {
		d.nonZero[c] = make([]uint64, blocks)
	}
}

// pblock is one block of a progressive image as kept: its coefficients
// and, at 1/2 and 1/4 scale, the mask of its non-zero ones by zig-zag
// index.
type pblock struct {
	c    []int16
	nz   *uint64
	slot *[blockSize]int8
}

// isNonZero reports whether the coefficient of zig-zag index zig is not 0.
func (b *pblock) isNonZero(zig int32) bool {
	if b.nz != nil {
		return *b.nz>>zig&1 != 0
	}
	return b.c[b.slot[zig]] != 0
}

// set stores v, non-zero, as the coefficient of zig-zag index zig.
func (b *pblock) set(zig int32, v int32) {
	if s := b.slot[zig]; s >= 0 {
		b.c[s] = int16(v)
	}
	if b.nz != nil {
		*b.nz |= 1 << zig
	}
}

// progressiveBlock decodes block i of component c's part of a progressive
// scan: a refinement, or the DC coefficient (whose predictor is dc) and
// the AC band. It is processSOS's inner loop body upstream.
func (d *decoder) progressiveBlock(c, i int, sc scanComponent, dc *int32, zigStart, zigEnd int32, ah, al uint32) error {
	kk := coefsPerBlock(d.shift)
	b := pblock{c: d.coefs[c][i*kk : i*kk+kk], slot: &slotOf[d.shift]}
	if d.nonZero[c] != nil {
		b.nz = &d.nonZero[c][i]
	}
	if ah != 0 {
		d.refine(&b, &d.huff[acTable][sc.ta], zigStart, zigEnd, 1<<al)
		return nil
	}
	zig := zigStart
	if zig == 0 {
		zig++
		// Decode the DC coefficient, as specified in section F.2.2.1.
		if d.br.n < minBits {
			d.refill()
		}
		value := d.huffSym(&d.huff[dcTable][sc.td])
		if value > 16 {
			return UnsupportedError("excessive DC component")
		}
		*dc += d.receiveExtend(value)
		b.c[0] = int16(*dc << al)
	}

	if zig <= zigEnd && d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	// Decode the AC coefficients, as specified in section F.2.2.2.
	huff := &d.huff[acTable][sc.ta]
	for ; zig <= zigEnd; zig++ {
		if d.br.n < minBits {
			d.refill()
		}
		value := d.huffSym(huff)
		val0 := value >> 4
		val1 := value & 0x0f
		if val1 != 0 {
			zig += int32(val0)
			if zig > zigEnd {
				break
			}
			b.set(zig, d.receiveExtend(val1)<<al)
			continue
		}
		if val0 != 0x0f {
			d.eobRun = uint16(1<<val0) | uint16(d.getBits(val0))
			d.eobRun--
			break
		}
		zig += 0x0f
	}
	return nil
}

// refine decodes a successive approximation refinement block, as specified in
// section G.1.2.
func (d *decoder) refine(b *pblock, h *huffman, zigStart, zigEnd, delta int32) {
	if d.br.n < minBits {
		d.refill()
	}
	// Refining a DC component is trivial.
	if zigStart == 0 {
		if d.getBits(1) != 0 {
			b.c[0] |= int16(delta)
		}
		return
	}

	// Refining AC components is more complicated; see sections G.1.2.2 and G.1.2.3.
	zig := zigStart
	if d.eobRun == 0 {
	loop:
		for ; zig <= zigEnd; zig++ {
			if d.br.n < minBits {
				d.refill()
			}
			z := int32(0)
			value := d.huffSym(h)
			val0 := value >> 4
			val1 := value & 0x0f

			switch val1 {
			case 0:
				if val0 != 0x0f {
					d.eobRun = uint16(1<<val0) | uint16(d.getBits(val0))
					break loop
				}
			case 1:
				z = delta
				if d.getBits(1) == 0 {
					z = -z
				}
			default:
				d.br.bad = true
				return
			}

			zig = d.refineNonZeroes(b, zig, zigEnd, int32(val0), delta)
			if zig > zigEnd {
				d.br.bad = true
				return
			}
			if z != 0 {
				b.set(zig, z)
			}
		}
	}
	if d.eobRun > 0 {
		d.eobRun--
		d.refineNonZeroes(b, zig, zigEnd, -1, delta)
	}
}

// refineNonZeroes refines non-zero entries of b in zig-zag order. If nz >= 0,
// the first nz zero entries are skipped over. A coefficient the scale does
// not keep still takes its correction bit.
func (d *decoder) refineNonZeroes(b *pblock, zig, zigEnd, nz, delta int32) int32 {
	for ; zig <= zigEnd; zig++ {
		if !b.isNonZero(zig) {
			if nz == 0 {
				break
			}
			nz--
			continue
		}
		if d.br.n < 1 {
			d.refill()
		}
		if d.getBits(1) == 0 {
			continue
		}
		s := b.slot[zig]
		if s < 0 {
			continue
		}
		if b.c[s] >= 0 {
			b.c[s] += int16(delta)
		} else {
			b.c[s] -= int16(delta)
		}
	}
	return zig
}

// reconstructProgressiveImage runs the inverse DCT of every block in the
// image once the last scan is in.
func (d *decoder) reconstructProgressiveImage() error {
	// The h0, mxx, by and bx variables have the same meaning as in the
	// processSOS method.
	h0 := d.comp[0].h
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	kk, n := coefsPerBlock(d.shift), 8>>d.shift
	var b block
	for i := 0; i < d.nComp; i++ {
		coefs := d.coefs[i]
		if coefs == nil {
			continue
		}
		v := 8 * d.comp[0].v / d.comp[i].v
		h := 8 * d.comp[0].h / d.comp[i].h
		stride := mxx * d.comp[i].h
		for by := 0; by*v < d.height; by++ {
			if d.opts.Check != nil && d.stats.Blocks >= d.nextCheck {
				if err := d.check(); err != nil {
					return err
				}
			}
			for bx := 0; bx*h < d.width; bx++ {
				d.stats.Blocks++
				c := coefs[(by*stride+bx)*kk : (by*stride+bx)*kk+kk]
				for y := range n {
					for x, cv := range c[y*n : y*n+n] {
						b[8*y+x] = int32(cv)
					}
				}
				if err := d.reconstructBlock(&b, bx, by, i); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
