package thumbnail

import (
	"bytes"
	"context"
	"errors"
	"image"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/tiff"

	"thumbflow/thumbnail/internal/jpegscale"
	"thumbflow/thumbnail/testimage"
)

// The tests below are the attacks of the security review (issue 12). They
// assert the decoder's work counters, never elapsed time; BenchmarkRefuse
// reports the times.

// withStats returns a context that makes Convert's JPEG decoder report its
// counters into st.
func withStats(ctx context.Context, st *jpegscale.Stats) context.Context {
	return context.WithValue(ctx, statsKey{}, st)
}

// manyScan5000 is the review's file: 5000×5000 grayscale, one DC scan and
// 5999 identical AC scans, about 250 KB. Built once: it takes a moment.
var manyScan5000 = sync.OnceValue(func() []byte { return testimage.ManyScanJPEG(5000, 5000, 6000) })

func checkTooComplex(t *testing.T, err error) {
	t.Helper()
	if Code(err) != "ImageTooComplex" {
		t.Fatalf("got %v, want ImageTooComplex", err)
	}
	if name := reflect.TypeOf(err).Elem().Name(); name != "ImageTooComplex" {
		t.Errorf("returned error is a %s, want an unwrapped ImageTooComplex", name)
	}
	if !IsPermanent(err) {
		t.Error("ImageTooComplex is not permanent, so the pipeline would retry it")
	}
	var le *jpegscale.LimitError
	if !errors.As(err, &le) {
		t.Errorf("%v does not carry the decoder's figures for the logs", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "too costly to convert") || !strings.Contains(msg, "Save it again as a normal JPEG") {
		t.Errorf("message %q does not tell the user what happened and what to do", msg)
	}
}

func TestManyScanJPEGRefusedByWork(t *testing.T) {
	data := manyScan5000()
	if len(data) > 400<<10 {
		t.Fatalf("attack file is %d bytes; the point is that it is small", len(data))
	}
	blocks := int64(625 * 625)
	for name, spec := range map[string]Spec{"default spec": DefaultSpec(), "thumb at 1/8": thumbSpec(320, 320)} {
		t.Run(name, func(t *testing.T) {
			var st jpegscale.Stats
			_, err := Convert(withStats(context.Background(), &st), data, spec)
			checkTooComplex(t, err)
			// One DC scan and 31 AC scans make 32 passes; the 33rd scan is
			// refused before it is decoded.
			if st.Scans > DefaultMaxScans || st.Blocks > DefaultMaxScanPasses*blocks {
				t.Errorf("decoded %d scans and %d block visits before refusing; limits are %d scans and %d visits",
					st.Scans, st.Blocks, DefaultMaxScans, DefaultMaxScanPasses*blocks)
			}
			if st.Scans != DefaultMaxScanPasses {
				t.Errorf("refused after %d scans, want %d (one pass each)", st.Scans, DefaultMaxScanPasses)
			}
		})
	}
}

// A small image's scans are cheap, so the scan count is what stops it.
func TestManyScanJPEGRefusedByScanCount(t *testing.T) {
	data := testimage.ManyScanJPEG(64, 64, 5000)
	var st jpegscale.Stats
	_, err := Convert(withStats(context.Background(), &st), data, DefaultSpec())
	checkTooComplex(t, err)
	if !strings.Contains(err.Error(), "more than 1000 scans") {
		t.Errorf("message %q does not say which limit", err)
	}
	if st.Scans > DefaultMaxScans {
		t.Errorf("decoded %d scans, limit is %d", st.Scans, DefaultMaxScans)
	}
	// Within the limits the same file decodes: the scans are legal.
	if _, err := Convert(context.Background(), testimage.ManyScanJPEG(64, 64, DefaultMaxScans), DefaultSpec()); err != nil {
		t.Errorf("%d scans: %v", DefaultMaxScans, err)
	}
}

// What real encoders write must stay well inside the limits: 10 scans and at
// most 6 passes (docs/converter.md has the measurements). The test
// encoder's progressive files have 1+components scans and 2 passes.
func TestRealProgressiveWithinLimits(t *testing.T) {
	img := testimage.Photo(640, 480, 8)
	for _, c := range []testimage.JPEGColor{testimage.YCbCr, testimage.Gray, testimage.CMYK} {
		var st jpegscale.Stats
		data := testimage.EncodeJPEG(img, testimage.JPEGOptions{Progressive: true, Color: c})
		if _, err := Convert(withStats(context.Background(), &st), data, DefaultSpec()); err != nil {
			t.Fatalf("colour %d: %v", c, err)
		}
		if st.Scans > 5 || st.Checks == 0 {
			t.Errorf("colour %d: %d scans, %d context checks", c, st.Scans, st.Checks)
		}
	}
}

func TestStrayByteBudgetedAsProgressive(t *testing.T) {
	p := testimage.Photo(300, 200, 1)
	data := testimage.WithStrayByte(testimage.EncodeJPEG(p, testimage.JPEGOptions{Progressive: true}))
	if f, ok := Detect(data); !ok || f != "jpeg" {
		t.Fatalf("Detect = %q, %v", f, ok)
	}
	info, err := jpegscale.DecodeInfo(bytes.NewReader(data))
	if err != nil || !info.Progressive || info.Components != 3 {
		t.Fatalf("DecodeInfo = %+v, %v; want progressive with 3 components", info, err)
	}
	// The decoder skips the byte, so the file converts...
	if _, err := Convert(context.Background(), data, DefaultSpec()); err != nil {
		t.Fatalf("stray-byte file does not convert: %v", err)
	}
	// ...and it is budgeted as what it is: 182 kB as baseline, 912 kB as
	// progressive.
	spec := Spec{Renditions: DefaultSpec().Renditions, Limits: Limits{MaxDecodeBytes: 500_000}}
	_, err = Convert(context.Background(), data, spec)
	if Code(err) != "ImageTooLarge" || !strings.Contains(err.Error(), "progressive") {
		t.Errorf("got %v, want ImageTooLarge for a progressive JPEG", err)
	}
}

// The review's 50 MP 16-bit PNG: 400 MB of pixels (800 MB while an
// interlaced one is assembled) from a file of under 400 KB. Both fit the
// default budget of 768 MiB, so the plain one is converted, allocating no
// more than its budget; the budget counts the interlaced one's second copy.
func TestPNG16Bit50MP(t *testing.T) {
	plain := testimage.PNG16(8000, 6250, false)
	if len(plain) > 400<<10 {
		t.Fatalf("attack file is %d bytes", len(plain))
	}
	hdr, err := decodeConfig("png", plain)
	if err != nil {
		t.Fatal(err)
	}
	need := decodeBytes("png", plain, hdr, 1)
	if need != 400_000_000 || need > DefaultSpec().Limits.MaxDecodeBytes {
		t.Fatalf("needs %d bytes, want 400000000 within the default budget", need)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := Convert(context.Background(), plain, DefaultSpec())
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("within the budget: %v", err)
	}
	// Beyond the decode, the renditions' scratch: the preview's box stage
	// alone is 2000×1563 NRGBA, 12.5 MB.
	const slack = 32 << 20
	if got := int64(after.TotalAlloc - before.TotalAlloc); got > need+slack {
		t.Errorf("allocated %d bytes converting it; the budget's estimate is %d (+%d for the renditions)", got, need, slack)
	}
	if o := res.Renditions[1]; o.Width != 1024 || o.Height != 800 {
		t.Errorf("preview is %d×%d", o.Width, o.Height)
	}
	spec := Spec{Renditions: DefaultSpec().Renditions, Limits: Limits{MaxDecodeBytes: need - 1}}
	if _, err := Convert(context.Background(), plain, spec); Code(err) != "ImageTooLarge" {
		t.Errorf("under a budget one byte short: got %v", err)
	}

	interlaced := testimage.PNG16(8000, 6250, true)
	spec.Limits.MaxDecodeBytes = 2*need - 1
	runtime.ReadMemStats(&before)
	_, err = Convert(context.Background(), interlaced, spec)
	runtime.ReadMemStats(&after)
	if Code(err) != "ImageTooLarge" || !strings.Contains(err.Error(), "16 bits") || !strings.Contains(err.Error(), "762.9 MB") {
		t.Fatalf("interlaced under a budget one byte short of 800 MB: got %v, want ImageTooLarge naming 16 bits and 762.9 MB", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("allocated %d bytes to refuse it", n)
	}
}

// The budget must cover what decoding really allocates: converting within
// it allocates no more than the budget's estimate and a little for the
// renditions, for each way of storing 16 bits.
func TestDecodeBytesCoversAllocation(t *testing.T) {
	const w, h = 1000, 800
	deep := image.NewNRGBA64(image.Rect(0, 0, w, h))
	for i := range deep.Pix {
		deep.Pix[i] = uint8(i * 13)
	}
	var tiffBuf bytes.Buffer
	if err := tiff.Encode(&tiffBuf, deep, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	prog444 := testimage.EncodeJPEG(testimage.Photo(w, h, 2), testimage.JPEGOptions{Progressive: true})
	for _, tc := range []struct {
		name, format string
		data         []byte
		thumb        int // a thumb-only spec of this size, or 0 for the default spec
	}{
		{"png 16-bit", "png", encodePNG(t, deep), 0},
		{"png 16-bit interlaced", "png", testimage.PNG16(w, h, true), 0},
		{"tiff 16-bit deflate", "tiff", tiffBuf.Bytes(), 0},
		{"jpeg progressive cmyk", "jpeg", testimage.EncodeJPEG(testimage.Photo(w, h, 2), testimage.JPEGOptions{Progressive: true, Color: testimage.CMYK}), 0},
		{"jpeg baseline 4:2:0", "jpeg", testimage.JPEG(testimage.Photo(w, h, 2), 90), 0},
		// The scaled decodes keep fewer coefficients, and their budget says so.
		{"jpeg progressive 4:4:4 at 1/2", "jpeg", prog444, 400},
		{"jpeg progressive 4:4:4 at 1/4", "jpeg", prog444, 200},
		{"jpeg progressive 4:4:4 at 1/8", "jpeg", prog444, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr, err := decodeConfig(tc.format, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			renditions := DefaultSpec().Renditions
			if tc.thumb > 0 {
				renditions = thumbSpec(tc.thumb, tc.thumb).Renditions
			}
			scale := 1
			if tc.format == "jpeg" {
				scale = jpegScale(hdr.cfg, renditions, 1)
			}
			if want := map[int]int{0: 1, 400: 2, 200: 4, 100: 8}[tc.thumb]; scale != want {
				t.Fatalf("decodes at 1/%d, want 1/%d", scale, want)
			}
			need := decodeBytes(tc.format, tc.data, hdr, scale)
			spec := Spec{Renditions: renditions, Limits: Limits{MaxDecodeBytes: need}}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			if _, err := Convert(context.Background(), tc.data, spec); err != nil {
				t.Fatalf("within its own estimate (%d bytes): %v", need, err)
			}
			runtime.ReadMemStats(&after)
			// The renditions: a 1000×800 image shrinks to 1000×800 and 320×256
			// NRGBA, plus encoder buffers.
			const slack = 12 << 20
			if got := int64(after.TotalAlloc - before.TotalAlloc); got > need+slack {
				t.Errorf("allocated %d bytes; the estimate is %d (+%d for the renditions)", got, need, slack)
			}
			spec.Limits.MaxDecodeBytes = need - 1
			if _, err := Convert(context.Background(), tc.data, spec); Code(err) != "ImageTooLarge" {
				t.Errorf("one byte under its estimate: got %v, want ImageTooLarge", err)
			}
		})
	}
}

// cancelAfter is a context whose Err reports nil n times and then
// context.Canceled, so a test cancels a conversion at a known context check
// instead of racing a timer.
type cancelAfter struct {
	context.Context
	n int
}

func (c *cancelAfter) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

func TestCancelledDecodeStopsWithinBlocks(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"baseline 4:2:0", testimage.JPEG(testimage.Photo(2000, 1500, 3), 85)},
		{"many-scan progressive", manyScan5000()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var full jpegscale.Stats
			_, err := Convert(withStats(context.Background(), &full), tc.data, DefaultSpec())
			if err != nil && Code(err) != "ImageTooComplex" {
				t.Fatal(err)
			}
			var st jpegscale.Stats
			// Convert's own check before decoding, then two in the decoder.
			ctx := withStats(&cancelAfter{Context: context.Background(), n: 3}, &st)
			_, err = Convert(ctx, tc.data, DefaultSpec())
			var tr *TransientError
			if !errors.As(err, &tr) || !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want a TransientError wrapping context.Canceled", err)
			}
			if st.Checks != 3 {
				t.Errorf("decoder checked its context %d times, want 3 (the third saw the cancellation)", st.Checks)
			}
			// Each check follows at most CheckEvery blocks and one MCU.
			if bound := int64(st.Checks) * (jpegscale.CheckEvery + 10); st.Blocks > bound || st.Blocks >= full.Blocks {
				t.Errorf("decoded %d blocks after cancelling (bound %d; the whole decode is %d)", st.Blocks, bound, full.Blocks)
			}
		})
	}
}

func TestCodes(t *testing.T) {
	want := []string{"EmptyFile", "FileTooLarge", "UnsupportedFormat", "CorruptImage", "ImageTooLarge", "ImageTooComplex"}
	if got := Codes(); !slices.Equal(got, want) {
		t.Errorf("Codes() = %v, want %v", got, want)
	}
	for _, e := range permanent {
		if name, code := reflect.TypeOf(e).Elem().Name(), Code(e); name != code || !IsPermanent(e) {
			t.Errorf("%s has code %q; the Go type must be named as its code and be permanent", name, code)
		}
	}
}

func TestLimitsForMemory(t *testing.T) {
	l := LimitsForMemory(1536 << 20)
	if l != DefaultSpec().Limits || l.MaxDecodeBytes != 768<<20 || l.MaxScans != 1000 || l.MaxScanPasses != DefaultMaxScanPasses {
		t.Errorf("LimitsForMemory(1536 MiB) = %+v, default spec has %+v", l, DefaultSpec().Limits)
	}
	if small := LimitsForMemory(512 << 20); small.MaxDecodeBytes != 256<<20 || small.MaxBytes != DefaultMaxBytes {
		t.Errorf("LimitsForMemory(512 MiB) = %+v", small)
	}
	if LimitsForMemory(0) != l {
		t.Error("LimitsForMemory(0) is not the default")
	}
}

// An Adobe marker after the first scan makes the decoder convert YCbCr to
// RGB, a second, interleaved copy that the header (read up to the first
// scan) did not show. The decoder checks the budget again before it.
func TestLateAdobeMarkerCounted(t *testing.T) {
	jpg := testimage.EncodeJPEG(testimage.Photo(640, 480, 5), testimage.JPEGOptions{})
	// Drop the JFIF APP0 (which would rule out RGB) and put an Adobe
	// APP14 with transform 0 (RGB) between the scan and EOI.
	n := int(jpg[4])<<8 | int(jpg[5])
	noJFIF := append(append([]byte(nil), jpg[:2]...), jpg[4+n:len(jpg)-2]...)
	adobe := []byte("\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x00\xff\xd9")
	data := append(noJFIF, adobe...)

	hdr, err := decodeConfig("jpeg", data)
	if err != nil {
		t.Fatal(err)
	}
	header := decodeBytes("jpeg", data, hdr, jpegScale(hdr.cfg, thumbSpec(100, 100).Renditions, 1))
	if res, err := Convert(context.Background(), data, thumbSpec(100, 100)); err != nil || res.Renditions[0].Width != 100 {
		t.Fatalf("within the default budget: %v", err)
	}
	spec := Spec{Renditions: thumbSpec(100, 100).Renditions, Limits: Limits{MaxDecodeBytes: header}}
	_, err = Convert(context.Background(), data, spec)
	if Code(err) != "ImageTooLarge" {
		t.Errorf("budget of the header's %d bytes, without the RGB copy: got %v, want ImageTooLarge", header, err)
	}
}
