package sigv4

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"encoding/hex"
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
func decodeChunked(r *http.Request, sig *signature, key []byte, mode string) error {
	signed := mode != StreamingUnsignedTrailer
	withTrailer := mode != StreamingPayload
	scope := sig.cred.Scope()
	prev := sig.sig

	declared := map[string]bool{}
	for _, t := range strings.Split(r.Header.Get("X-Amz-Trailer"), ",") {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			declared[t] = true
		}
	}

	var src io.Reader = http.NoBody
	if r.Body != nil {
		src = r.Body
	}
	br := bufio.NewReaderSize(src, 64<<10)
	incomplete := func(msg string) error {
		return newError(http.StatusBadRequest, "IncompleteBody", "aws-chunked body: %s", msg)
	}
	sigMismatch := func() error {
		return newError(http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}

	var payload bytes.Buffer
	if n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64); err == nil && n > 0 && n < 1<<30 {
		payload.Grow(int(n))
	}
	for {
		line, err := readLine(br)
		if err != nil {
			return incomplete("missing chunk header")
		}
		sizeStr, ext, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeStr), 16, 64)
		if err != nil || size < 0 {
			return incomplete("bad chunk size " + strconv.Quote(sizeStr))
		}
		start := payload.Len()
		if _, err := io.CopyN(&payload, br, size); err != nil {
			return incomplete("chunk shorter than its declared size")
		}
		if signed {
			got, ok := strings.CutPrefix(ext, "chunk-signature=")
			if !ok {
				return newError(http.StatusBadRequest, "InvalidRequest", "aws-chunked chunk is missing its chunk-signature")
			}
			sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + sig.amzDate + "\n" + scope + "\n" + prev + "\n" +
				emptySHA256 + "\n" + sha256Hex(payload.Bytes()[start:])
			want := hex.EncodeToString(hmacSHA256(key, sts))
			if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
				return sigMismatch()
			}
			prev = want
		}
		if size == 0 {
			break
		}
		if crlf, err := readLine(br); err != nil || crlf != "" {
			return incomplete("chunk data not followed by CRLF")
		}
	}

	var trailerLines strings.Builder
	trailerSig := ""
	if withTrailer {
		for {
			line, err := readLine(br)
			if err != nil {
				if err == io.EOF && line == "" {
					break
				}
				return incomplete("truncated trailer")
			}
			if line == "" {
				break
			}
			name, val, ok := strings.Cut(line, ":")
			if !ok {
				return incomplete("malformed trailer " + strconv.Quote(line))
			}
			name = strings.ToLower(strings.TrimSpace(name))
			val = strings.TrimSpace(val)
			if name == "x-amz-trailer-signature" {
				trailerSig = val
				continue
			}
			if !declared[name] {
				return newError(http.StatusBadRequest, "MalformedTrailerError",
					"The request contained trailing data that was not well-formed or did not conform to our published schema: undeclared trailer %q", name)
			}
			delete(declared, name)
			trailerLines.WriteString(name + ":" + val + "\n")
			r.Header.Set(name, val)
		}
		if len(declared) > 0 {
			return newError(http.StatusBadRequest, "MalformedTrailerError",
				"The request contained trailing data that was not well-formed or did not conform to our published schema: a declared trailer is missing")
		}
		if signed {
			sts := "AWS4-HMAC-SHA256-TRAILER\n" + sig.amzDate + "\n" + scope + "\n" + prev + "\n" +
				sha256Hex([]byte(trailerLines.String()))
			want := hex.EncodeToString(hmacSHA256(key, sts))
			if subtle.ConstantTimeCompare([]byte(want), []byte(trailerSig)) != 1 {
				return sigMismatch()
			}
		}
	}
	if r.Body != nil {
		r.Body.Close()
	}

	if d := r.Header.Get("X-Amz-Decoded-Content-Length"); d != "" {
		if n, err := strconv.ParseInt(d, 10, 64); err != nil || n != int64(payload.Len()) {
			return incomplete("x-amz-decoded-content-length does not match the decoded payload")
		}
	}

	data := payload.Bytes()
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
	return nil
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
