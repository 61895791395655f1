package sigv4

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// Access says which Host and Origin values the local cloud answers. It
// lives here because every endpoint of the local cloud shares this package
// to decide which requests to accept, and the endpoints listen on the
// developer's own machine, where any web page the developer visits can
// send them requests:
//
//   - The Host check stops DNS rebinding: a hostile name that resolves to
//     127.0.0.1 makes the browser treat the local cloud as that site's
//     own origin. A name the attacker controls is never a loopback Host.
//   - The Origin check stops a page on another origin from submitting a
//     form or opening a WebSocket, which browsers send without asking
//     CORS first. Requests without an Origin come from the CLI and SDKs,
//     not from a page, and pass.
//
// A nil *Access allows every request, for tests of a single service.
type Access struct {
	// Public also serves Hosts that are not loopback, and the web client's
	// port on any host as an origin, so a phone on the LAN can use the
	// local cloud (thumbflow dev -public).
	Public bool
	// Origins are the web client's own origins, such as
	// "http://127.0.0.1:8080".
	Origins []string
}

// HostAllowed reports whether a request naming host (its Host header) may
// be served.
func (a *Access) HostAllowed(host string) bool {
	return a == nil || a.Public || LoopbackHost(host)
}

// OriginAllowed reports whether a browser request from origin (its Origin
// header, "" when it has none) may be served.
func (a *Access) OriginAllowed(origin string) bool {
	if a == nil || origin == "" {
		return true
	}
	for _, o := range a.Origins {
		if o == origin {
			return true
		}
	}
	return a.Public && a.webClientPort(origin)
}

// webClientPort reports whether origin has the scheme and port of one of
// a.Origins, whatever its host: the web client as another device reaches it.
func (a *Access) webClientPort(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Port() == "" {
		return false
	}
	for _, o := range a.Origins {
		if w, err := url.Parse(o); err == nil && w.Scheme == u.Scheme && w.Port() == u.Port() {
			return true
		}
	}
	return false
}

// LoopbackHost reports whether a Host header value names this machine's
// loopback interface: localhost, 127.0.0.0/8 or ::1, with any port or none.
func LoopbackHost(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	} else {
		name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	}
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(name)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}
