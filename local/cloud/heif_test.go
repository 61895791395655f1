package cloud

import (
	"context"
	"image"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestPhoneFormatsConvertInThePipeline: a HEIC (the iPhone's default) and
// an AVIF upload, declared as the browser declares them, end succeeded
// with renditions a browser can show.
func TestPhoneFormatsConvertInThePipeline(t *testing.T) {
	c := startCloud(t)
	cl := dial(t, context.Background(), c.WebSocketURL)
	for _, f := range []struct{ file, typ string }{
		{"test8.heic", "image/heic"},
		{"test8.avif", "image/avif"},
	} {
		data, err := os.ReadFile("../../thumbnail/testdata/" + f.file)
		if err != nil {
			t.Fatal(err)
		}
		g, seen, rec := uploadStatesTyped(t, cl, f.file, f.typ, data)
		if strings.Join(seen, ",") != "uploaded,converting,succeeded" || len(rec.Renditions) != 2 {
			t.Fatalf("%s: states %v, record %+v", f.file, seen, rec)
		}
		resp, err := http.Get(g.Links.Renditions["thumb"])
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := image.DecodeConfig(resp.Body)
		resp.Body.Close()
		if err != nil || format != "jpeg" || max(cfg.Width, cfg.Height) != 320 {
			t.Errorf("%s: thumbnail %s %dx%d %v, want a 320 px JPEG", f.file, format, cfg.Width, cfg.Height, err)
		}
	}
}
