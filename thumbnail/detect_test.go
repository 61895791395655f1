package thumbnail

import "testing"

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		head   string
		format string
		ok     bool
	}{
		{"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg", true},
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png", true},
		{"GIF89a\x01\x00", "gif", true},
		{"GIF87a\x01\x00", "gif", true},
		{"RIFF\x10\x00\x00\x00WEBPVP8L", "webp", true},
		{"II*\x00\x08\x00\x00\x00\x00\x00", "tiff", true},
		{"MM\x00*\x00\x00\x00\x08", "tiff", true},
		{"BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00", "bmp", true},
		{"BMW notes: change the oil", "", false},
		{"\x00\x00\x00\x18ftypheic", "heic", true},
		{"\x00\x00\x00\x18ftypavif", "avif", true},
		{"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", "avif", true},
		{"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "heic", true},
		{"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isomiso2", "MP4 video", false},
		{"\xff\x0a\x00", "JPEG XL", false},
		{"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG", false},
		{"%PDF-1.4", "PDF", false},
		{"RIFF\x10\x00\x00\x00WAVEfmt ", "", false},
		{"", "", false},
		{"\xff\xd8", "", false},
	} {
		f, _ := sniff([]byte(tc.head))
		gotF, gotOK := Detect([]byte(tc.head))
		if f != tc.format || gotOK != tc.ok || (tc.ok && gotF != tc.format) {
			t.Errorf("%q: sniff = %q, Detect = %q, %v; want %q, %v", tc.head, f, gotF, gotOK, tc.format, tc.ok)
		}
	}
}

func TestAcceptedContentTypes(t *testing.T) {
	types := AcceptedContentTypes()
	if len(types) != 9 {
		t.Fatalf("got %v", types)
	}
	for _, ct := range types {
		if !IsAccepted(ct) {
			t.Errorf("%s listed but not accepted", ct)
		}
	}
	for ct, want := range map[string]bool{
		"IMAGE/JPEG":             true,
		"image/png; charset=foo": true,
		"image/heic":             true,
		"image/heif":             true,
		"image/avif":             true,
		"image/jxl":              false,
		"image/svg+xml":          false,
		"text/plain":             false,
		"":                       false,
	} {
		if IsAccepted(ct) != want {
			t.Errorf("IsAccepted(%q) = %v", ct, !want)
		}
	}
}

func TestDeclaredMatches(t *testing.T) {
	for _, tc := range []struct {
		format, declared string
		want             bool
	}{
		{"jpeg", "image/jpeg", true},
		{"jpeg", "IMAGE/JPEG; q=1", true},
		{"heic", "image/heic", true},
		{"heic", "image/heif", true},
		{"avif", "image/avif", true},
		{"avif", "image/heif", false},
		{"jpeg", "image/heic", false},
		{"png", "image/jpeg", false},
		{"", "image/heif", false},
		{"heic", "", false},
	} {
		if got := DeclaredMatches(tc.format, tc.declared); got != tc.want {
			t.Errorf("DeclaredMatches(%q, %q) = %v", tc.format, tc.declared, got)
		}
	}
}
