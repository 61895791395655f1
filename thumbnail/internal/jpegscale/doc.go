// Package jpegscale is the standard library's image/jpeg decoder (Go 1.26,
// BSD licence, see LICENSE-go) with two additions. DecodeEighth decodes an
// image at 1/8 scale from the DC coefficients alone: the standard decoder
// has no scaled decoding, and a thumbnail of a 12 MP photo needs only a
// 500×375 image, while decoding the full one is most of the time and memory
// of a conversion. Decode takes Options that bound the scans, the
// entropy-decoding work and the memory of one decode and let a caller
// cancel it (limits.go), because an uploaded JPEG is hostile input.
//
// Keep the diff from upstream small (makeImg, reconstructBlock, storeDC,
// DecodeEighth, and the calls into limits.go in processSOS and
// reconstructProgressiveImage) so updates are easy to merge.
package jpegscale
