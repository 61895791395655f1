package cloud

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"thumbflow/client"
)

// The AWS endpoint and the web server cut off a client that never finishes
// its request header (ReadHeaderTimeout, 10 s), and the AWS endpoint sets
// no ReadTimeout, which would cut off a slow upload. Both are shown by
// behaviour, not by the http.Server's field values. Each case takes 10 to
// 12 s of wall time; they run in parallel, and are skipped under -short.

// TestHalfSentHeaderIsCutOff: a connection that sends half a request line
// and then nothing is closed by the server.
func TestHalfSentHeaderIsCutOff(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the 10 s ReadHeaderTimeout")
	}
	t.Parallel()
	c := startCloud(t)
	for name, addr := range map[string]string{"AWS endpoint": c.awsLn.Addr().String(), "web server": c.webLn.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")); err != nil {
				t.Fatal(err)
			}
			// Generous bound: only a server that never cuts it off fails.
			conn.SetReadDeadline(time.Now().Add(60 * time.Second))
			_, err = bufio.NewReader(conn).ReadByte()
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				t.Fatalf("the %s kept a half-sent request open for 60 s", name)
			}
		})
	}
}

// slowReader holds its data back for a pause before the first byte, as a
// slow uplink does.
type slowReader struct {
	pause time.Duration
	r     io.Reader
	began bool
}

func (s *slowReader) Read(p []byte) (int, error) {
	if !s.began {
		s.began = true
		time.Sleep(s.pause)
	}
	return s.r.Read(p)
}

// TestSlowUploadIsNotCutOff: a presigned POST whose file arrives 12 s
// after its form fields (longer than the header timeout) is stored; a
// ReadTimeout on the endpoint would cut it off.
func TestSlowUploadIsNotCutOff(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads over 12 s")
	}
	t.Parallel()
	c := startCloud(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl := dial(t, ctx, c.WebSocketURL)
	data := photo(64, 48)
	g, err := cl.Grant(ctx, "slow.jpg", "image/jpeg", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.PostFile(ctx, nil, g, "slow.jpg", &slowReader{pause: 12 * time.Second, r: bytes.NewReader(data)}, int64(len(data)), nil); err != nil {
		t.Fatalf("a POST whose file took 12 s to start: %v", err)
	}
}
