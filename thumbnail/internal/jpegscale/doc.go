// Package jpegscale is the standard library's image/jpeg decoder (Go 1.26,
// BSD licence, see LICENSE-go) with one addition, DecodeEighth, which
// decodes an image at 1/8 scale from the DC coefficients alone. The
// standard decoder has no scaled decoding, and a thumbnail of a 12 MP photo
// needs only a 500×375 image: decoding the full one is most of the time and
// memory of a conversion. Keep the diff from upstream small (makeImg,
// reconstructBlock, storeDC, DecodeEighth) so updates are easy to merge.
package jpegscale
