package sigv4

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxChunkHeader bounds a chunk header line so a malformed body cannot make
// the decoder buffer without limit before it finds a line end.
const maxChunkHeader = 4096

// decodeChunked replaces an aws-chunked body with its payload, verifying the
// chunk signature chain (signed modes) and moving the trailers into r.Header.
// The SDK has no server-side decoder, so the chain is checked by hand from
// the S3 streaming-signature specification.
//
// The decoded payload is held to the limit of a plain body (MaxS3Payload,
// or the caller's http.MaxBytesReader over the encoded body), so framing a
// body as aws-chunked cannot make the server buffer more than sending it
// plainly could. A declared length or chunk over the limit is refused
// before its bytes are read.
func decodeChunked(r *http.Request, sig *signature, key []byte, mode string) error {
	var declared map[string]bool
	if mode != StreamingPayload {
		var err error
		if declared, err = declaredTrailers(r.Header.Get("X-Amz-Trailer")); err != nil {
			return err
		}
	}
	limit := payloadLimit("s3")
	if n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64); err == nil && n > limit {
		return tooLarge("s3", limit)
	}
	var src io.Reader = http.NoBody
	if r.Body != nil {
		src = r.Body
	}
	d := &chunkDecoder{
		br:     bufio.NewReaderSize(src, 64<<10),
		signed: mode != StreamingUnsignedTrailer,
		sig:    sig,
		key:    key,
		scope:  sig.cred.Scope(),
		prev:   sig.sig,
		limit:  limit,
	}
	payload, err := d.readChunks(decodedLength(r))
	if err != nil {
		return err
	}
	if mode == StreamingPayload {
		err = d.readEnd()
	} else {
		err = d.readTrailers(r, declared)
	}
	if err != nil {
		return err
	}
	if r.Body != nil {
		r.Body.Close()
	}
	if claimed := r.Header.Get("X-Amz-Decoded-Content-Length"); claimed != "" {
		if n, err := strconv.ParseInt(claimed, 10, 64); err != nil || n != int64(len(payload)) {
			return incompleteChunked("x-amz-decoded-content-length does not match the decoded payload")
		}
	}
	replaceChunkedBody(r, payload)
	return nil
}

// chunkDecoder reads one aws-chunked body, carrying the signature chain:
// each chunk's signature signs the one before it, starting from the
// request's own signature, and the trailer signature ends the chain.
type chunkDecoder struct {
	br     *bufio.Reader
	signed bool
	sig    *signature
	key    []byte
	scope  string
	prev   string
	limit  int64 // the most payload bytes to accept
}

// checksumTrailers are the trailers S3 accepts: the checksum headers, the
// only trailers the aws-chunked encoding defines.
var checksumTrailers = map[string]bool{
	"x-amz-checksum-crc32":     true,
	"x-amz-checksum-crc32c":    true,
	"x-amz-checksum-crc64nvme": true,
	"x-amz-checksum-sha1":      true,
	"x-amz-checksum-sha256":    true,
}

// declaredTrailers reads X-Amz-Trailer. A name that is not a checksum
// header is refused before the body is read, as S3 refuses it: 400
// InvalidRequest "The value specified in the x-amz-trailer header is not
// supported" (reported from S3 itself in
// github.com/versity/versitygw/issues/1161). Copying any other trailer
// into the request headers would let a body set headers the signature
// never covered.
func declaredTrailers(header string) (map[string]bool, error) {
	declared := map[string]bool{}
	for _, t := range strings.Split(header, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if !checksumTrailers[t] {
			return nil, newError(http.StatusBadRequest, "InvalidRequest",
				"The value specified in the x-amz-trailer header is not supported")
		}
		declared[t] = true
	}
	return declared, nil
}

// malformedTrailer is S3's answer to trailing data it did not expect
// (github.com/versity/versitygw/issues/1691 quotes S3's body).
func malformedTrailer(detail string) error {
	return newError(http.StatusBadRequest, "MalformedTrailerError",
		"The request contained trailing data that was not well-formed or did not conform to our published schema: %s", detail)
}

// readFailed reports a failed read of the encoded body: over the caller's
// limit, as a plain body over it would be; otherwise as a truncated body.
func readFailed(err error, msg string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge("s3", mbe.Limit)
	}
	return incompleteChunked(msg)
}

// decodedLength is the payload size the client declared, as a hint for
// the buffer; 0 when it is missing or implausible. Like a plain body's
// Content-Length, it never makes the buffer start above maxPrealloc: the
// buffer grows only as chunks actually arrive.
func decodedLength(r *http.Request) int {
	n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return int(min(n, maxPrealloc))
}

func incompleteChunked(msg string) error {
	return newError(http.StatusBadRequest, "IncompleteBody", "aws-chunked body: %s", msg)
}

func chunkSignatureMismatch() error {
	return newError(http.StatusForbidden, "SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
}

// readChunks reads chunks up to and including the final empty one and
// returns their concatenated data.
func (d *chunkDecoder) readChunks(sizeHint int) ([]byte, error) {
	var payload bytes.Buffer
	payload.Grow(sizeHint)
	for {
		line, err := readLine(d.br)
		if err != nil {
			return nil, readFailed(err, "missing chunk header")
		}
		sizeStr, ext, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeStr), 16, 64)
		if err != nil || size < 0 {
			return nil, incompleteChunked("bad chunk size " + strconv.Quote(sizeStr))
		}
		if size > d.limit-int64(payload.Len()) {
			return nil, tooLarge("s3", d.limit)
		}
		start := payload.Len()
		if _, err := io.CopyN(&payload, d.br, size); err != nil {
			return nil, readFailed(err, "chunk shorter than its declared size")
		}
		if d.signed {
			if err := d.verifyChunk(ext, payload.Bytes()[start:]); err != nil {
				return nil, err
			}
		}
		if size == 0 {
			return payload.Bytes(), nil
		}
		if crlf, err := readLine(d.br); err != nil || crlf != "" {
			return nil, readFailed(err, "chunk data not followed by CRLF")
		}
	}
}

// verifyChunk checks the chunk-signature extension of a chunk holding data
// and advances the chain.
func (d *chunkDecoder) verifyChunk(ext string, data []byte) error {
	got, ok := strings.CutPrefix(ext, "chunk-signature=")
	if !ok {
		return newError(http.StatusBadRequest, "InvalidRequest", "aws-chunked chunk is missing its chunk-signature")
	}
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + d.sig.amzDate + "\n" + d.scope + "\n" + d.prev + "\n" +
		emptySHA256 + "\n" + sha256Hex(data)
	want := hex.EncodeToString(hmacSHA256(d.key, sts))
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return chunkSignatureMismatch()
	}
	d.prev = want
	return nil
}

// readEnd reads what follows the final chunk of a body without trailers:
// its CRLF, and nothing else. A trailer there was declared by no one.
func (d *chunkDecoder) readEnd() error {
	line, err := readLine(d.br)
	switch {
	case err == io.EOF && line == "":
		return nil
	case err != nil:
		return readFailed(err, "truncated end of body")
	case line != "":
		return malformedTrailer("trailing data after the final chunk of a body that declares no trailer")
	}
	if extra, err := d.br.Peek(1); len(extra) > 0 {
		return malformedTrailer("trailing data after the final chunk")
	} else if err != nil && err != io.EOF {
		return readFailed(err, "truncated end of body")
	}
	return nil
}

// readTrailers moves the trailers after the last chunk into r.Header,
// accepting exactly the checksum trailers X-Amz-Trailer declared, and in
// signed modes verifies the trailer signature that ends the chain.
func (d *chunkDecoder) readTrailers(r *http.Request, declared map[string]bool) error {
	var trailerLines strings.Builder
	trailerSig := ""
	for {
		line, err := readLine(d.br)
		if err != nil {
			if err == io.EOF && line == "" {
				break
			}
			return readFailed(err, "truncated trailer")
		}
		if line == "" {
			break
		}
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			return incompleteChunked("malformed trailer " + strconv.Quote(line))
		}
		name = strings.ToLower(strings.TrimSpace(name))
		val = strings.TrimSpace(val)
		if name == "x-amz-trailer-signature" {
			if trailerSig != "" {
				return malformedTrailer("a second trailer signature")
			}
			trailerSig = val
			continue
		}
		if !declared[name] {
			return malformedTrailer("undeclared trailer " + strconv.Quote(name))
		}
		delete(declared, name)
		trailerLines.WriteString(name + ":" + val + "\n")
		r.Header.Set(name, val)
	}
	if len(declared) > 0 {
		return malformedTrailer("a declared trailer is missing")
	}
	if !d.signed {
		return nil
	}
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + d.sig.amzDate + "\n" + d.scope + "\n" + d.prev + "\n" +
		sha256Hex([]byte(trailerLines.String()))
	want := hex.EncodeToString(hmacSHA256(d.key, sts))
	if subtle.ConstantTimeCompare([]byte(want), []byte(trailerSig)) != 1 {
		return chunkSignatureMismatch()
	}
	return nil
}

// replaceChunkedBody makes r look as if the payload had been sent plainly,
// so the handler behind never sees the aws-chunked framing.
func replaceChunkedBody(r *http.Request, data []byte) {
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.ContentLength = int64(len(data))
	r.Header.Set("Content-Length", strconv.Itoa(len(data)))
	r.Header.Set("X-Amz-Content-Sha256", sha256Hex(data))
	r.Header.Del("X-Amz-Decoded-Content-Length")
	r.Header.Del("X-Amz-Trailer")
	var enc []string
	for _, e := range strings.Split(r.Header.Get("Content-Encoding"), ",") {
		if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "aws-chunked") {
			enc = append(enc, e)
		}
	}
	if len(enc) == 0 {
		r.Header.Del("Content-Encoding")
	} else {
		r.Header.Set("Content-Encoding", strings.Join(enc, ","))
	}
}

// readLine reads one CRLF- or LF-terminated line without its terminator.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		frag, isPrefix, err := br.ReadLine()
		b = append(b, frag...)
		if err != nil {
			return string(b), err
		}
		if len(b) > maxChunkHeader {
			return "", io.ErrUnexpectedEOF
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}
