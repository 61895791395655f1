package s3

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strings"

	"thumbflow/local/sigv4"
)

// crc64NVME is the polynomial of S3's CRC64NVME checksum, in the reversed
// form hash/crc64 expects.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

var checksumAlgorithms = map[string]func() hash.Hash{
	"Crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"Crc32c":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"Crc64nvme": func() hash.Hash { return crc64.New(crc64NVME) },
	"Sha1":      sha1.New,
	"Sha256":    sha256.New,
}

// verifyChecksums checks the x-amz-checksum-* values the SDK sends by
// default (as headers, or as aws-chunked trailers that sigv4 moved into the
// headers) against the body, as S3 does. It returns the verified values,
// keyed "Checksum-<Alg>", so they can be stored and returned on GET.
func verifyChecksums(r *http.Request) (map[string]string, *s3Error) {
	var found map[string]string
	for alg := range checksumAlgorithms {
		if v := r.Header.Get("X-Amz-Checksum-" + alg); v != "" {
			if found == nil {
				found = map[string]string{}
			}
			found[alg] = v
		}
	}
	if found == nil || r.Header.Get("X-Amz-Copy-Source") != "" {
		return nil, nil
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = sigv4.ReadAllSized(r.Body, r.ContentLength)
		r.Body.Close()
		if err != nil {
			if e, ok := fromSigV4(err).(*s3Error); ok {
				return nil, e
			}
			return nil, &s3Error{http.StatusBadRequest, "IncompleteBody", "reading body: " + err.Error()}
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	out := map[string]string{}
	for alg, claimed := range found {
		want, err := base64.StdEncoding.DecodeString(claimed)
		h := checksumAlgorithms[alg]()
		if err != nil || len(want) != h.Size() {
			return nil, &s3Error{http.StatusBadRequest, "InvalidRequest",
				fmt.Sprintf("Value for x-amz-checksum-%s header is invalid.", strings.ToLower(alg))}
		}
		h.Write(body)
		if !bytes.Equal(h.Sum(nil), want) {
			return nil, &s3Error{http.StatusBadRequest, "BadDigest",
				fmt.Sprintf("The %s you specified did not match the calculated checksum.", strings.ToUpper(alg))}
		}
		out["Checksum-"+alg] = claimed
	}
	return out, nil
}
