package jpegscale

import (
	"bytes"
	"image"
	"image/jpeg"
	"reflect"
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
