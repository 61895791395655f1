package thumbnail

import (
	"errors"
	"fmt"
	"strings"
)

// The permanent errors below are one Go type per stable code, each named
// exactly as its code. aws-lambda-go reports a returned error's type name as
// errorType, so the state machine can name these types in an ErrorEquals list
// and know that retrying them is pointless: the same bytes always fail the
// same way. Convert returns them unwrapped for that reason.

// EmptyFile reports an upload with no bytes at all, which usually means the
// browser sent the request before the user picked a file.
type EmptyFile struct{}

func (*EmptyFile) Error() string {
	return "The file is empty. Choose an image file and upload it again."
}

func (*EmptyFile) code() string { return "EmptyFile" }

// FileTooLarge reports an upload over the byte limit. It is checked before
// anything is decoded, so a huge file costs nothing but its transfer.
type FileTooLarge struct {
	Size  int64 // bytes received
	Limit int64 // bytes allowed
}

func (e *FileTooLarge) Error() string {
	return fmt.Sprintf("The file is %s; the limit is %s. Choose a smaller image or export it at a lower quality.",
		formatBytes(e.Size), formatBytes(e.Limit))
}

func (*FileTooLarge) code() string { return "FileTooLarge" }

// UnsupportedFormat reports a file that was recognised as something other
// than a supported image, so the user learns what they uploaded (an iPhone
// JPEG XL photo, a PDF) and what to convert it to.
type UnsupportedFormat struct {
	Format string // what was found, e.g. "JPEG XL"
}

func (e *UnsupportedFormat) Error() string {
	return fmt.Sprintf("The file is a %s image, which is not supported. Convert it to JPEG, PNG, WebP, HEIC, AVIF, GIF, BMP or TIFF and upload it again.", e.Format)
}

func (*UnsupportedFormat) code() string { return "UnsupportedFormat" }

// CorruptImage reports bytes that are not a readable image: no known
// signature at all, or a known signature followed by data that does not
// decode (a truncated download, a renamed text file).
type CorruptImage struct {
	Format string // detected format, "" when no signature matched
	Err    error  // the decoder's complaint, for logs only (Unwrap); may be nil
}

func (e *CorruptImage) Error() string {
	if e.Format == "" {
		return "The file is not a valid image: it does not start like any image format. Check that you chose the right file."
	}
	// e.Err stays out of the message: users read it, and a decoder's
	// complaint (or a recovered panic) is for the logs, via Unwrap.
	return fmt.Sprintf("The file looks like a %s image but cannot be read; it may be truncated or damaged. Open it in an image editor, save it again and re-upload it.", formatName(e.Format))
}

func (e *CorruptImage) Unwrap() error { return e.Err }

func (*CorruptImage) code() string { return "CorruptImage" }

// ImageTooLarge reports an image whose dimensions, or the memory decoding it
// would take, exceed the limits. It is found from the header alone, before
// the pixels are allocated, which is what makes a decompression bomb
// harmless.
type ImageTooLarge struct {
	Width, Height int
	Reason        string // which limit, e.g. "the limit is 16384 pixels on a side"
}

func (e *ImageTooLarge) Error() string {
	return fmt.Sprintf("The image is %d×%d pixels; %s. Resize it and upload it again.", e.Width, e.Height, e.Reason)
}

func (*ImageTooLarge) code() string { return "ImageTooLarge" }

// ImageTooComplex reports a JPEG whose structure would cost far more to
// decode than its size in pixels: more scans, or more passes of its scans
// over the image, than any real encoder writes. It is refused as soon as the
// next scan would go over the limit, before that scan is decoded, so such a
// file costs a fraction of a second instead of the function's timeout on
// every retry; and it is permanent, because the same bytes cost the same.
type ImageTooComplex struct {
	Reason string // which limit, e.g. "it has more than 1000 scans"
	Err    error  // the decoder's figures, for logs only (Unwrap); may be nil
}

func (e *ImageTooComplex) Error() string {
	return fmt.Sprintf("This image is built in a way that is too costly to convert (%s). Save it again as a normal JPEG and upload it again.", e.Reason)
}

func (e *ImageTooComplex) Unwrap() error { return e.Err }

func (*ImageTooComplex) code() string { return "ImageTooComplex" }

// TransientError wraps a failure that says nothing about the image, such as
// a cancelled context or an I/O error, so the caller can retry it and only
// it.
type TransientError struct {
	Op  string // what was being done
	Err error
}

func (e *TransientError) Error() string { return "thumbnail: " + e.Op + ": " + e.Err.Error() }

func (e *TransientError) Unwrap() error { return e.Err }

// coded is implemented by the permanent error types.
type coded interface {
	error
	code() string
}

// Code returns the stable code of a permanent error anywhere in err's chain,
// or "" when there is none (including for a TransientError), so callers can
// report codes without a type switch.
func Code(err error) string {
	var c coded
	if errors.As(err, &c) {
		return c.code()
	}
	return ""
}

// permanent holds one value of each permanent error type, for Codes.
var permanent = []coded{
	&EmptyFile{}, &FileTooLarge{}, &UnsupportedFormat{}, &CorruptImage{}, &ImageTooLarge{}, &ImageTooComplex{},
}

// Codes lists the code of every permanent error Convert returns, in a fixed
// order. The pipeline derives from it which Step Functions errors are never
// retried and which failures are the user's, so a code added here is
// handled there without a second list to keep in step.
func Codes() []string {
	codes := make([]string, len(permanent))
	for i, e := range permanent {
		codes[i] = e.code()
	}
	return codes
}

// IsPermanent reports whether err will recur on every retry with the same
// input.
func IsPermanent(err error) bool { return Code(err) != "" }

func formatBytes(n int64) string {
	const mib = 1 << 20
	unit, v := "MB", float64(n)/mib
	switch {
	case n < mib:
		unit, v = "KB", float64(n)/1024
	case n >= 1<<30:
		unit, v = "GB", float64(n)/(1<<30)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + " " + unit
}
