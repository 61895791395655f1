// Command convertattack writes the attack files of the security review
// (issue 12) into a directory, for bench/convert-attacks.sh to run through
// thumbflow convert under /usr/bin/time.
//
//	convertattack DIR
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"thumbflow/thumbnail/testimage"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: convertattack DIR")
		os.Exit(2)
	}
	if err := gen(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "convertattack:", err)
		os.Exit(1)
	}
}

func gen(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// A 49 MP progressive CMYK frame header with one stray byte before it,
	// in front of a small image's scans: refused from the header.
	cmyk := testimage.WithStrayByte(testimage.EncodeJPEG(testimage.Photo(64, 64, 1), testimage.JPEGOptions{Progressive: true, Color: testimage.CMYK}))
	sof := bytes.Index(cmyk, []byte{0xff, 0xc2})
	cmyk[sof+5], cmyk[sof+6], cmyk[sof+7], cmyk[sof+8] = 7000>>8, 7000&0xff, 7000>>8, 7000&0xff
	files := []struct {
		name string
		make func() []byte
	}{
		// The review's files: 3,000 and 6,000 scans over 5000×5000.
		{"manyscan-5000px-3000scans.jpg", func() []byte { return testimage.ManyScanJPEG(5000, 5000, 3000) }},
		{"manyscan-5000px-6000scans.jpg", func() []byte { return testimage.ManyScanJPEG(5000, 5000, 6000) }},
		// The largest grayscale progressive frame the default budget
		// allows (794 MB with its coefficients): the most block visits
		// the pass limit lets through.
		{"manyscan-12600px-6000scans.jpg", func() []byte { return testimage.ManyScanJPEG(12600, 12600, 6000) }},
		// The same frame with a DC and one AC scan is legal and converts:
		// the peak of a decode at the edge of the budget.
		{"progressive-12600px-2scans.jpg", func() []byte { return testimage.ManyScanJPEG(12600, 12600, 2) }},
		{"straybyte-cmyk-49mp.jpg", func() []byte { return cmyk }},
		{"png16-50mp.png", func() []byte { return testimage.PNG16(8000, 6250, false) }},
		{"png16-50mp-interlaced.png", func() []byte { return testimage.PNG16(8000, 6250, true) }},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.make(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
