package websocket

// PongMessage answers "ping". The page sends one every heartbeat interval
// (config.json's heartbeatSeconds) so it notices a dead server while it is
// idle, instead of saying "Connected" until the user acts.
type PongMessage struct {
	Type      string `json:"type"`
	RequestID string `json:"requestId,omitempty"`
}

func ping(requestID string) any { return PongMessage{Type: "pong", RequestID: requestID} }
