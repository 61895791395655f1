package main

import (
	"strings"
	"testing"
)

// The secret key is what signs as the local administrator. The export line
// has to carry it (that is its purpose), but nothing else that dev prints,
// on any stream, may: terminals are shared in screenshots and logs are
// pasted into issues.
func TestDevPrintsTheSecretOnlyInTheExportLine(t *testing.T) {
	const secret = "SentinelSecretKey0123456789abcdefghijKLMN"
	out, errOut, logs := quietDev(t)
	d := startDev(t, out, "-addr", "127.0.0.1:0", "-web", "127.0.0.1:0", "-data", t.TempDir(),
		"-access-key", "AKIASENTINELKEY00001", "-secret-key", secret, "-log-format", "json", "-log-level", "debug")
	d.stop(t)
	exports := 0
	for name, s := range map[string]string{"stdout": out.String(), "stderr": errOut.String(), "logs": logs.String()} {
		for _, line := range strings.Split(s, "\n") {
			if !strings.Contains(line, secret) {
				continue
			}
			if strings.HasPrefix(strings.TrimSpace(line), "export ") && name == "stdout" {
				exports++
				continue
			}
			t.Errorf("%s prints the secret key outside the export line: %q", name, line)
		}
	}
	if exports != 1 {
		t.Errorf("the secret key is in %d export lines, want 1 (the banner printed once):\n%s", exports, out.String())
	}
}
