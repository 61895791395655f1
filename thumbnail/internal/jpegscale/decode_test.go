package jpegscale

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"reflect"
	"runtime"
	"testing"

	"thumbflow/thumbnail/testimage"
)

// The fork must decode exactly as the standard library does, limits and
// all, for every variant the converter meets.
func TestDecodeMatchesImageJPEG(t *testing.T) {
	photo := testimage.Photo(333, 251, 4) // not a multiple of 8 or 16
	for name, data := range map[string][]byte{
		"baseline 4:2:0":      testimage.JPEG(photo, 85),
		"baseline 4:4:4":      testimage.EncodeJPEG(photo, testimage.JPEGOptions{}),
		"restart interval 7":  testimage.EncodeJPEG(photo, testimage.JPEGOptions{RestartInterval: 7}),
		"progressive":         testimage.EncodeJPEG(photo, testimage.JPEGOptions{Progressive: true}),
		"gray progressive":    testimage.EncodeJPEG(photo, testimage.JPEGOptions{Progressive: true, Color: testimage.Gray}),
		"cmyk":                testimage.EncodeJPEG(photo, testimage.JPEGOptions{Color: testimage.CMYK}),
		"ycck progressive":    testimage.EncodeJPEG(photo, testimage.JPEGOptions{Color: testimage.YCCK, Progressive: true}),
		"stray byte progress": testimage.WithStrayByte(testimage.EncodeJPEG(photo, testimage.JPEGOptions{Progressive: true})),
	} {
		t.Run(name, func(t *testing.T) {
			want, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			var st Stats
			got, err := Decode(bytes.NewReader(data), Options{MaxScans: 10, MaxPasses: 4, MaxBytes: 10 << 20, Check: func() error { return nil }, Stats: &st})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decodes to a different %T than image/jpeg's %T", got, want)
			}
			info, err := DecodeInfo(bytes.NewReader(data))
			if err != nil || info.Width != 333 || info.Height != 251 {
				t.Fatalf("DecodeInfo = %+v, %v", info, err)
			}
			if st.Scans == 0 || st.Blocks == 0 || st.Checks == 0 {
				t.Errorf("stats %+v", st)
			}
			cfg, err := DecodeConfig(bytes.NewReader(data))
			if err != nil || cfg.ColorModel != info.ColorModel {
				t.Errorf("DecodeConfig = %+v, %v; DecodeInfo says %v", cfg, err, info.ColorModel)
			}
		})
	}
}

// At 1/8 scale every pixel is its block's DC: the mean of the full decode's
// block, give or take rounding and clipping.
func TestDecodeEighthIsBlockMean(t *testing.T) {
	data := testimage.EncodeJPEG(testimage.Photo(160, 96, 2), testimage.JPEGOptions{Color: testimage.Gray})
	full, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	small, err := DecodeEighth(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	f, s := full.(*image.Gray), small.(*image.Gray)
	if s.Rect.Dx() != 20 || s.Rect.Dy() != 12 {
		t.Fatalf("1/8 of 160×96 is %v", s.Rect)
	}
	for by := range 12 {
		for bx := range 20 {
			sum := 0
			for y := range 8 {
				for x := range 8 {
					sum += int(f.GrayAt(8*bx+x, 8*by+y).Y)
				}
			}
			if d := sum/64 - int(s.GrayAt(bx, by).Y); d > 3 || d < -3 {
				t.Errorf("block %d,%d: mean %d, 1/8 pixel %d", bx, by, sum/64, s.GrayAt(bx, by).Y)
			}
		}
	}
}

func TestLimitErrors(t *testing.T) {
	data := testimage.EncodeJPEG(testimage.Photo(64, 64, 1), testimage.JPEGOptions{Progressive: true}) // 4 scans
	for _, c := range []struct {
		opts  Options
		limit string
	}{
		{Options{MaxScans: 3}, "scans"},
		{Options{MaxBytes: 1000}, "bytes"},
	} {
		var st Stats
		c.opts.Stats = &st
		_, err := Decode(bytes.NewReader(data), c.opts)
		le, ok := err.(*LimitError)
		if !ok || le.Limit != c.limit {
			t.Errorf("%+v: got %v, want a %s LimitError", c.opts, err, c.limit)
			continue
		}
		if c.limit == "scans" && st.Scans != 3 {
			t.Errorf("decoded %d scans under a limit of 3", st.Scans)
		}
		if c.limit == "bytes" && st.Blocks != 0 {
			t.Errorf("decoded %d blocks before refusing the allocation", st.Blocks)
		}
	}
}

// At 1/2 and 1/4 scale the reduced inverse DCT gives what a full decode
// box-averaged over 2×2 or 4×4 pixels gives, within the rounding of the
// two methods and the high frequencies the reduced IDCT leaves out.
func TestScaledIDCTMatchesBoxAverage(t *testing.T) {
	photo := testimage.Photo(333, 251, 7)
	for name, data := range map[string][]byte{
		"baseline 4:2:0": testimage.JPEG(photo, 90),
		"gray":           testimage.EncodeJPEG(photo, testimage.JPEGOptions{Color: testimage.Gray}),
		"progressive":    testimage.EncodeJPEG(photo, testimage.JPEGOptions{Progressive: true}),
	} {
		full, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, scale := range []int{2, 4, 8} {
			got, err := Decode(bytes.NewReader(data), Options{Scale: scale})
			if err != nil {
				t.Fatal(err)
			}
			w, h := (333+scale-1)/scale, (251+scale-1)/scale
			if got.Bounds() != image.Rect(0, 0, w, h) {
				t.Fatalf("%s 1/%d: bounds %v, want %d×%d", name, scale, got.Bounds(), w, h)
			}
			mean, worst := compareBoxAverage(full, got, scale)
			if mean > 2 || worst > 16 {
				t.Errorf("%s 1/%d: mean difference %.2f, worst %d from the box-averaged full decode", name, scale, mean, worst)
			}
		}
	}
}

// compareBoxAverage returns the mean and largest difference of small's
// luma from full's averaged over scale×scale blocks.
func compareBoxAverage(full, small image.Image, scale int) (float64, int) {
	luma := func(img image.Image, x, y int) int {
		return int(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y)
	}
	b := full.Bounds()
	var sum float64
	var n, worst int
	for y := 0; y < b.Dy()/scale; y++ {
		for x := 0; x < b.Dx()/scale; x++ {
			s := 0
			for dy := range scale {
				for dx := range scale {
					s += luma(full, scale*x+dx, scale*y+dy)
				}
			}
			d := (s+scale*scale/2)/(scale*scale) - luma(small, x, y)
			d = max(d, -d)
			sum += float64(d)
			worst = max(worst, d)
			n++
		}
	}
	return sum / float64(n), worst
}

// Info.Bytes is an upper bound of what Decode allocates, at every scale,
// give or take the decoder's own tables (decoderSlack), and Decode
// refuses a budget one byte under it before allocating.
func TestBytesCoversAllocation(t *testing.T) {
	// The decoder struct (Huffman tables, byte buffer: about 35 KB) and the
	// rounding of each buffer to the allocator's size classes; measured at
	// 50–96 KB for these files.
	const decoderSlack = 128 << 10
	photo := testimage.Photo(1200, 900, 15)
	for name, data := range map[string][]byte{
		"baseline 4:2:0":    testimage.JPEG(photo, 90),
		"progressive 4:4:4": testimage.EncodeJPEG(photo, testimage.JPEGOptions{Progressive: true}),
		"progressive cmyk":  testimage.EncodeJPEG(photo, testimage.JPEGOptions{Progressive: true, Color: testimage.CMYK}),
	} {
		info, err := DecodeInfo(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, scale := range []int{1, 2, 4, 8} {
			need := info.Bytes(scale)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			if _, err := Decode(bytes.NewReader(data), Options{Scale: scale, MaxBytes: need}); err != nil {
				t.Fatalf("%s 1/%d within its own estimate of %d bytes: %v", name, scale, need, err)
			}
			runtime.ReadMemStats(&after)
			if got := int64(after.TotalAlloc - before.TotalAlloc); got > need+decoderSlack {
				t.Errorf("%s 1/%d: allocated %d bytes, estimate %d", name, scale, got, need)
			}
			if _, err := Decode(bytes.NewReader(data), Options{Scale: scale, MaxBytes: need - 1}); err == nil {
				t.Errorf("%s 1/%d: decodes one byte under its estimate", name, scale)
			}
		}
	}
}
