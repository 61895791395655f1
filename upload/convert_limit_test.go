package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"thumbflow/thumbnail"
)

// sizedOriginals serves body and says the stored object is size bytes,
// counting how much of the body is read.
type sizedOriginals struct {
	body []byte
	size int64
	read int
}

func (o *sizedOriginals) OpenOriginal(context.Context, Object) (io.ReadCloser, int64, error) {
	return io.NopCloser(&countingReader{r: bytes.NewReader(o.body), n: &o.read}), o.size, nil
}

type countingReader struct {
	r io.Reader
	n *int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += n
	return n, err
}

// TestConverterSizeLimitBoundary: the converter reads an original of
// exactly the limit and refuses one byte more with FileTooLarge, by its
// stored size before reading anything, and by its bytes when the stored
// size understates them.
func TestConverterSizeLimitBoundary(t *testing.T) {
	const limit = 1000
	spec := thumbnail.DefaultSpec()
	spec.Limits.MaxBytes = limit
	cases := []struct {
		name       string
		body       int
		size       int64
		tooLarge   bool
		readAtMost int
	}{
		{"exactly the limit", limit, limit, false, limit},
		{"one byte past, by its size", limit + 1, limit + 1, true, 0},
		{"one byte past, size understated", limit + 1, limit, true, limit + 1},
	}
	for _, c := range cases {
		o := &sizedOriginals{body: bytes.Repeat([]byte{0xff}, c.body), size: c.size}
		conv := &Converter{Originals: o, Spec: spec}
		data, err := conv.read(context.Background(), Object{Bucket: "b", Key: "k"})
		var big *thumbnail.FileTooLarge
		switch {
		case c.tooLarge && !errors.As(err, &big):
			t.Errorf("%s: %v, want FileTooLarge", c.name, err)
		case c.tooLarge && (big.Limit != limit || big.Size != limit+1):
			t.Errorf("%s: FileTooLarge %+v, want size %d limit %d", c.name, big, limit+1, limit)
		case !c.tooLarge && (err != nil || len(data) != c.body):
			t.Errorf("%s: read %d bytes, %v; want all %d", c.name, len(data), err, c.body)
		}
		if o.read > c.readAtMost {
			t.Errorf("%s: read %d bytes of the original, want at most %d", c.name, o.read, c.readAtMost)
		}
	}
}
