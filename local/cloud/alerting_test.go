package cloud

import (
	"strings"
	"testing"
)

// TestBadAlertWebhookIsRefusedAtStart: a -alert-webhook that SNS cannot
// subscribe fails the start with the URL named, instead of alerting no
// one (moved from local/alert, whose own check it was).
func TestBadAlertWebhookIsRefusedAtStart(t *testing.T) {
	for _, url := range []string{"ftp://example.com/hook", "example.com/hook"} {
		c, err := Start(Config{Addr: "127.0.0.1:0", WebAddr: "127.0.0.1:0", AlertWebhook: url})
		if err == nil {
			c.Close()
			t.Errorf("-alert-webhook %s was accepted", url)
			continue
		}
		if !strings.Contains(err.Error(), url) {
			t.Errorf("-alert-webhook %s: the error does not name it: %v", url, err)
		}
	}
}
