package cloud

import "testing"

// The AWS endpoint closes idle keep-alive connections, and sets no
// ReadTimeout, which would cut off large uploads and WebSocket connections
// (the upgrade hijacks the connection with its read deadline still set).
func TestEndpointServerTimeouts(t *testing.T) {
	c := startCloud(t)
	if c.awsSrv.IdleTimeout <= 0 {
		t.Error("the AWS endpoint keeps idle connections open forever")
	}
	if c.awsSrv.ReadTimeout != 0 {
		t.Errorf("the AWS endpoint has a ReadTimeout of %v", c.awsSrv.ReadTimeout)
	}
	if c.awsSrv.ReadHeaderTimeout <= 0 {
		t.Error("the AWS endpoint has no ReadHeaderTimeout")
	}
}
