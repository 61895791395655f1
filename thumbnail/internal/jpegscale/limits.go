package jpegscale

import (
	"fmt"
	"image"
	"image/color"
	"io"
)

// This file is not from upstream. It bounds what one decode may cost before
// the cost is spent. A progressive JPEG may hold any number of scans, and
// every scan walks the coefficient array of the components it covers, so a
// few hundred kilobytes of identical end-of-band scans can buy minutes of
// CPU without a single extra pixel. The decoder therefore counts scans and
// block visits, refuses a scan that would go over either limit before
// decoding it, refuses an image whose buffers would exceed a memory budget
// before allocating them, and calls back between MCUs so that a cancelled
// caller gets control back within a bounded number of blocks.

// CheckEvery is how many block visits may pass between two calls of
// Options.Check, give or take one MCU (at most 10 blocks) or one block row of
// the final inverse DCT.
const CheckEvery = 4096

// minWorkBlocks is the image size, in blocks, below which MaxPasses is
// counted as if the image had this many. Without it a tiny image would be
// refused for a handful of scans that cost nothing (2 M block visits take
// tens of milliseconds), and the scan limit is what bounds such images.
const minWorkBlocks = 1 << 16

// Options bound and observe one decode. A zero limit means no limit.
type Options struct {
	// Scale is the denominator of the scale to decode at: 1 (or 0) for
	// full size, 2 or 4 for a reduced inverse DCT of each block, 8 for the
	// DC coefficients alone (see DecodeEighth). The image is the original
	// size divided by Scale, rounded up.
	Scale int
	// MaxScans is the most scans (SOS segments) the decoder will read.
	MaxScans int
	// MaxPasses bounds entropy-decoding work: the blocks visited by all scans
	// together may be at most MaxPasses times the blocks in the image.
	MaxPasses int
	// MaxBytes bounds the memory the decoder allocates for the image (see
	// Info.Bytes). It is checked at the first scan, before any allocation,
	// and again before the final colour conversion.
	MaxBytes int64
	// Check is called about every CheckEvery block visits; a non-nil error
	// ends the decode and is returned as it is. Pass ctx.Err.
	Check func() error
	// Stats, when not nil, receives the decoder's counters, also when the
	// decode fails.
	Stats *Stats
}

// Stats are the work counters of one decode.
type Stats struct {
	Scans  int   // scans decoded, or started when a check or an error ended one
	Blocks int64 // block visits across all scans and the final inverse DCT
	Checks int   // calls of Options.Check
}

// A LimitError reports that decoding would exceed one of the Options'
// limits. It is returned before the work or the allocation it refuses.
type LimitError struct {
	Limit string // "scans", "passes" or "bytes"
	Max   int64  // the limit
	Need  int64  // what the image asked for (for scans and passes, at least)
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("jpeg: image needs %d %s, limit is %d", e.Need, e.Limit, e.Max)
}

// Info is what the frame header (SOF) says, as the decoder itself parses
// it: the decoder skips stray bytes between segments, so any other reading
// of the markers can disagree with it about whether a file is progressive.
type Info struct {
	Width, Height int
	Components    int
	Progressive   bool
	ColorModel    color.Model
	bytes         [4]int64 // Bytes at scales 1, 2, 4 and 8
}

// Bytes is the memory the decoder allocates for the image at the given
// scale (as Options.Scale): the sample planes as padded to whole MCUs, for
// a progressive image the coefficients of every block that are kept until
// the last scan, and for CMYK, YCCK or RGB the interleaved copy it converts
// to. It counts the RGB copy only if the segments before the first scan
// show it; an Adobe marker later is caught by Decode, which checks
// Options.MaxBytes again before converting.
func (i Info) Bytes(scale int) int64 {
	return i.bytes[scaleShift(scale)]
}

// scaleShift is log2 of a scale denominator, 0 for anything but 2, 4 or 8.
func scaleShift(scale int) uint {
	switch scale {
	case 2:
		return 1
	case 4:
		return 2
	case 8:
		return 3
	}
	return 0
}

// DecodeInfo reads the segments up to the first scan and reports the frame.
func DecodeInfo(r io.Reader) (Info, error) {
	var d decoder
	if _, err := d.decode(r, true); err != nil {
		return Info{}, err
	}
	if d.nComp == 0 {
		return Info{}, FormatError("missing SOF marker")
	}
	cfg := d.config()
	info := Info{Width: d.width, Height: d.height, Components: d.nComp, Progressive: d.progressive, ColorModel: cfg.ColorModel}
	for shift := range uint(4) {
		d.shift = shift
		info.bytes[shift] = d.imageBytes()
	}
	return info, nil
}

// Decode reads a JPEG image from r within the limits of o.
func Decode(r io.Reader, o Options) (image.Image, error) {
	d := decoder{shift: scaleShift(o.Scale), opts: o}
	img, err := d.decode(r, false)
	if o.Stats != nil {
		*o.Stats = d.stats
	}
	return img, err
}

// config is the image.Config of a decoded header.
func (d *decoder) config() image.Config {
	cfg := image.Config{Width: d.width, Height: d.height}
	switch d.nComp {
	case 1:
		cfg.ColorModel = color.GrayModel
	case 3:
		cfg.ColorModel = color.YCbCrModel
		if d.isRGB() {
			cfg.ColorModel = color.RGBAModel
		}
	case 4:
		cfg.ColorModel = color.CMYKModel
	}
	return cfg
}

// mcus returns the number of MCUs across and down the image.
func (d *decoder) mcus() (mxx, myy int) {
	h0, v0 := d.comp[0].h, d.comp[0].v
	return (d.width + 8*h0 - 1) / (8 * h0), (d.height + 8*v0 - 1) / (8 * v0)
}

// imageBytes is Info.Bytes for d's frame and scale; it follows makeImg,
// allocCoefs and applyBlack/convertToRGB.
func (d *decoder) imageBytes() int64 {
	mxx, myy := d.mcus()
	bs := int64(8 >> d.shift)
	var n int64
	for _, c := range d.comp[:d.nComp] {
		blocks := int64(mxx) * int64(myy) * int64(c.h) * int64(c.v)
		n += blocks * bs * bs
		if d.progressive {
			n += blocks * progressiveBytesPerBlock(d.shift)
		}
	}
	if d.nComp == 4 || d.nComp == 3 && d.isRGB() {
		w, h := scaledDims(d.width, d.height, d.shift)
		n += 4 * int64(w) * int64(h)
	}
	return n
}

// imageBlocks is the number of blocks in the image, all components.
func (d *decoder) imageBlocks() int64 {
	mxx, myy := d.mcus()
	var n int64
	for _, c := range d.comp[:d.nComp] {
		n += int64(mxx) * int64(myy) * int64(c.h) * int64(c.v)
	}
	return n
}

// startScan counts a scan that will visit blocks blocks and refuses it,
// before any of it is decoded, if it would go over a limit. The first scan
// also checks the memory budget, before makeImg allocates.
func (d *decoder) startScan(blocks int64) error {
	o := &d.opts
	if d.stats.Scans == 0 {
		if err := d.checkBytes(); err != nil {
			return err
		}
	}
	if o.MaxScans > 0 && d.stats.Scans >= o.MaxScans {
		return &LimitError{Limit: "scans", Max: int64(o.MaxScans), Need: int64(d.stats.Scans) + 1}
	}
	if o.MaxPasses > 0 {
		max := int64(o.MaxPasses) * maxInt64(d.imageBlocks(), minWorkBlocks)
		if d.scanWork+blocks > max {
			return &LimitError{Limit: "passes", Max: int64(o.MaxPasses), Need: (d.scanWork + blocks + d.imageBlocks() - 1) / d.imageBlocks()}
		}
	}
	d.stats.Scans++
	d.scanWork += blocks
	return d.check()
}

// checkBytes refuses the image if its buffers would exceed Options.MaxBytes.
// It runs at the first scan, before makeImg, and again before the final
// colour conversion, because an Adobe marker after the first scan can turn
// YCbCr into RGB and add the interleaved copy that DecodeInfo, which stops
// at the first scan, did not count.
func (d *decoder) checkBytes() error {
	if d.opts.MaxBytes <= 0 || d.nComp == 0 {
		return nil // without a frame nothing is allocated
	}
	if need := d.imageBytes(); need > d.opts.MaxBytes {
		return &LimitError{Limit: "bytes", Max: d.opts.MaxBytes, Need: need}
	}
	return nil
}

// check calls Options.Check if CheckEvery blocks have passed since the
// last call, or at the start of a scan.
func (d *decoder) check() error {
	if d.opts.Check == nil {
		return nil
	}
	d.nextCheck = d.stats.Blocks + CheckEvery
	d.stats.Checks++
	return d.opts.Check()
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
