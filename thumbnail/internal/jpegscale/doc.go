// Package jpegscale is the project's JPEG decoder. It began as a copy of
// the standard library's image/jpeg (Go 1.26, BSD licence, see LICENSE-go)
// and is now maintained here: every JPEG the converter reads, at any
// scale, is decoded by it, never by image/jpeg.
//
// What it adds, and why:
//
//   - Scaled decoding (Options.Scale, scale.go). A 320 px thumbnail of a
//     12 MP photo needs a 500×375 image and its 1024 px preview a 2000×1500
//     one, so decoding the full frame is wasted work and memory. At 1/2 and
//     1/4 each block goes through a reduced 4×4 or 2×2 inverse DCT of its
//     top-left coefficients, as libjpeg does; at 1/8 each pixel is the
//     block's DC. The planes are allocated at the reduced size.
//   - A faster entropy decoder (entropy.go): a 64-bit bit buffer refilled
//     eight bytes at a time, tables that give an AC coefficient's run, size
//     and value in one look-up, errors as sticky flags checked once per MCU,
//     and at 1/8 the AC magnitudes skipped rather than decoded.
//   - Compact progressive coefficients (progressive.go): only those the
//     scale reads are kept, as int16, so a 24 MP 4:4:4 progressive photo
//     keeps 18 MB at 1/4 instead of 288 MB; at 1/8 the AC scans are
//     counted, limited and skipped.
//   - Limits (limits.go): an uploaded JPEG is hostile input, so Decode
//     bounds the scans, the entropy-decoding work and the memory of one
//     decode before spending them, and lets the caller cancel it.
//   - Restart intervals in progressive files, which upstream miscounts.
//
// Changes are tested against image/jpeg, which stays the reference for a
// full-size decode: the output must be identical on every variant the
// tests encode (decode_test.go, entropy_test.go). Follow upstream's bug
// fixes by hand; there is no longer a small diff to merge.
package jpegscale
