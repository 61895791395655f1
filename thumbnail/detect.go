package thumbnail

import (
	"bytes"
	"encoding/binary"
	"mime"
	"slices"
	"strings"
)

// formats are the decodable formats, by the name Detect returns, with the
// content type their output and uploads carry.
var formats = map[string]string{
	"jpeg": "image/jpeg",
	"png":  "image/png",
	"gif":  "image/gif",
	"bmp":  "image/bmp",
	"tiff": "image/tiff",
	"webp": "image/webp",
	"heic": "image/heic",
	"avif": "image/avif",
}

// aliases are further content types an upload may declare for a format:
// browsers and phones send image/heif as well as image/heic.
var aliases = map[string]string{"image/heif": "heic"}

// AcceptedContentTypes lists the content types an upload may declare. The
// upload route validates against the same list Convert decodes, so a type
// the browser is allowed to send is always one the converter reads; the
// declared type is still never trusted for decoding.
func AcceptedContentTypes() []string {
	types := make([]string, 0, len(formats)+len(aliases))
	for _, t := range formats {
		types = append(types, t)
	}
	for t := range aliases {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// IsAccepted reports whether a declared content type (parameters and case
// ignored) is one of AcceptedContentTypes.
func IsAccepted(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	for _, t := range formats {
		if t == mt {
			return true
		}
	}
	_, ok := aliases[mt]
	return ok
}

// ContentType returns the content type of a format name from Detect, or ""
// for a name it does not know.
func ContentType(format string) string { return formats[format] }

// DeclaredMatches reports whether a declared content type (parameters and
// case ignored) names the format Detect found, counting aliases: a HEIC
// file declared image/heif matches, as browsers and phones send either.
func DeclaredMatches(format, contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == formats[format] || aliases[mt] == format && format != ""
}

// Detect names the image format of a file from its first bytes (16 are
// enough). Only magic bytes count: names and declared content types lie,
// and a decoder picked by the name turns a renamed file into a confusing
// error. ok is false for anything Convert cannot decode.
func Detect(head []byte) (format string, ok bool) {
	f, supported := sniff(head)
	return f, supported && f != ""
}

// sniff identifies head. A recognised but unsupported format comes back
// with its display name and supported false; no match at all is ("", false).
func sniff(head []byte) (format string, supported bool) {
	has := func(off int, magic string) bool {
		return len(head) >= off+len(magic) && string(head[off:off+len(magic)]) == magic
	}
	switch {
	case has(0, "\xff\xd8\xff"):
		return "jpeg", true
	case has(0, "\x89PNG\r\n\x1a\n"):
		return "png", true
	case has(0, "GIF87a"), has(0, "GIF89a"):
		return "gif", true
	case has(0, "RIFF") && has(8, "WEBP"):
		return "webp", true
	case has(0, "II*\x00") && has(8, "CR"):
		return "Canon CR2 raw", false
	case has(0, "II*\x00"), has(0, "MM\x00*"):
		return "tiff", true
	case has(0, "BM") && isBMPHeader(head):
		return "bmp", true
	case has(4, "ftyp"):
		switch b := isoBrand(head); b {
		case "HEIC":
			return "heic", true
		case "AVIF":
			return "avif", true
		default:
			return b, false
		}
	case has(0, "\x00\x00\x00\x0cjP  \r\n\x87\n"), has(0, "\xff\x4f\xff\x51"):
		return "JPEG 2000", false
	case has(0, "\xff\x0a"), has(0, "\x00\x00\x00\x0cJXL \r\n\x87\n"):
		return "JPEG XL", false
	case has(0, "%PDF-"):
		return "PDF", false
	case has(0, "8BPS"):
		return "Photoshop (PSD)", false
	case has(0, "\x00\x00\x01\x00"), has(0, "\x00\x00\x02\x00"):
		return "Windows icon (ICO)", false
	case has(0, "qoif"):
		return "QOI", false
	case isSVG(head):
		return "SVG", false
	}
	return "", false
}

// isBMPHeader checks the DIB header size too, because "BM" alone is two
// letters that plenty of text files start with.
func isBMPHeader(head []byte) bool {
	if len(head) < 18 {
		return false
	}
	switch uint32(head[14]) | uint32(head[15])<<8 | uint32(head[16])<<16 | uint32(head[17])<<24 {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// isoBrand names an ISO base media file from its major brand and, for the
// generic HEIF brands (mif1, msf1), its compatible brands: phones save HEIC
// and AVIF, and an AVIF may well be labelled mif1 first.
func isoBrand(head []byte) string {
	if len(head) < 12 {
		return "ISO media (HEIF/MP4)"
	}
	name := func(brand string) string {
		switch brand {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs":
			return "HEIC"
		case "avif", "avis":
			return "AVIF"
		case "crx ":
			return "Canon CR3 raw"
		case "qt  ":
			return "QuickTime video"
		}
		return ""
	}
	major := string(head[8:12])
	if n := name(major); n != "" {
		return n
	}
	if major == "mif1" || major == "msf1" {
		end := min(len(head), int(binary.BigEndian.Uint32(head)))
		for p := 16; p+4 <= end; p += 4 {
			if n := name(string(head[p : p+4])); n == "HEIC" || n == "AVIF" {
				return n
			}
		}
		return "HEIC" // a HEIF image of a kind the decoders may still read
	}
	return "MP4 video"
}

// isSVG looks for an <svg element near the start of an XML-ish text.
func isSVG(head []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if !bytes.HasPrefix(t, []byte("<")) {
		return false
	}
	if len(t) > 1024 {
		t = t[:1024]
	}
	return bytes.Contains(bytes.ToLower(t), []byte("<svg"))
}

// formatName is the display name of a Detect format name.
func formatName(format string) string {
	if _, ok := formats[format]; ok {
		return strings.ToUpper(format)
	}
	return format
}
