package thumbnail

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// Limits at the edge and one unit past it, through Convert. An 8-bit gray,
// non-interlaced PNG costs exactly width × height bytes to decode.

func grayPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func convertWith(data []byte, lim Limits) error {
	_, err := Convert(context.Background(), data, Spec{Renditions: []Rendition{{Name: "thumb", Width: 16, Height: 16}}, Limits: lim})
	return err
}

func TestMaxSideBoundary(t *testing.T) {
	lim := Limits{MaxSide: 64}
	for _, c := range []struct {
		w, h    int
		refused bool
	}{
		{64, 10, false}, {10, 64, false}, {64, 64, false},
		{65, 10, true}, {10, 65, true},
	} {
		err := convertWith(grayPNG(t, c.w, c.h), lim)
		var tl *ImageTooLarge
		if got := errors.As(err, &tl); got != c.refused {
			t.Errorf("%d×%d with MaxSide 64: %v, want refused=%v", c.w, c.h, err, c.refused)
		} else if got && (tl.Width != c.w || tl.Height != c.h) {
			t.Errorf("%d×%d refused as %d×%d", c.w, c.h, tl.Width, tl.Height)
		}
		if !c.refused && err != nil {
			t.Errorf("%d×%d with MaxSide 64: %v", c.w, c.h, err)
		}
	}
}

func TestMaxDecodeBytesBoundary(t *testing.T) {
	data := grayPNG(t, 40, 25) // 1000 bytes decoded
	if err := convertWith(data, Limits{MaxDecodeBytes: 1000}); err != nil {
		t.Fatalf("a 1000-byte decode with MaxDecodeBytes 1000: %v", err)
	}
	var tl *ImageTooLarge
	if err := convertWith(data, Limits{MaxDecodeBytes: 999}); !errors.As(err, &tl) {
		t.Fatalf("a 1000-byte decode with MaxDecodeBytes 999: %v, want ImageTooLarge", err)
	}
	// Four bytes a pixel for RGBA: the same pixels cost four times as much.
	rgba := image.NewNRGBA(image.Rect(0, 0, 40, 25))
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(i)
	}
	rgba.Set(0, 0, color.NRGBA{1, 2, 3, 100})
	var b bytes.Buffer
	if err := png.Encode(&b, rgba); err != nil {
		t.Fatal(err)
	}
	if err := convertWith(b.Bytes(), Limits{MaxDecodeBytes: 4000}); err != nil {
		t.Fatalf("RGBA 40×25 with MaxDecodeBytes 4000: %v", err)
	}
	if err := convertWith(b.Bytes(), Limits{MaxDecodeBytes: 3999}); !errors.As(err, &tl) {
		t.Fatalf("RGBA 40×25 with MaxDecodeBytes 3999: %v, want ImageTooLarge", err)
	}
}

func TestMaxBytesBoundary(t *testing.T) {
	data := grayPNG(t, 20, 20)
	n := int64(len(data))
	if err := convertWith(data, Limits{MaxBytes: n}); err != nil {
		t.Fatalf("a %d-byte file with MaxBytes %d: %v", n, n, err)
	}
	var ft *FileTooLarge
	if err := convertWith(data, Limits{MaxBytes: n - 1}); !errors.As(err, &ft) || ft.Size != n || ft.Limit != n-1 {
		t.Fatalf("a %d-byte file with MaxBytes %d: %v, want FileTooLarge{%d, %d}", n, n-1, err, n, n-1)
	}
}
