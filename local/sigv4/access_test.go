package sigv4

import "testing"

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1":                  true,
		"127.0.0.1:4566":             true,
		"127.9.8.7:80":               true,
		"localhost":                  true,
		"LocalHost:4566":             true,
		"[::1]:4566":                 true,
		"[::1]":                      true,
		"::1":                        true,
		"[::ffff:127.0.0.1]:4566":    true,
		"":                           false,
		"rebind.attacker.example":    false,
		"rebind.attacker.example:80": false,
		"localhost.attacker.example": false,
		"127.0.0.1.nip.io:4566":      false,
		"192.168.1.20:4566":          false,
		"0.0.0.0:4566":               false,
		"[fe80::1%25lo]:4566":        false,
		"[::2]:4566":                 false,
	} {
		if got := LoopbackHost(host); got != want {
			t.Errorf("LoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestAccessServesOnlyLoopbackHostsUnlessPublic(t *testing.T) {
	local := &Access{Origins: []string{"http://127.0.0.1:8080"}}
	if !local.HostAllowed("127.0.0.1:4566") || !local.HostAllowed("localhost:4566") {
		t.Error("a loopback Host is refused")
	}
	if local.HostAllowed("rebind.attacker.example:4566") || local.HostAllowed("192.168.1.20:4566") {
		t.Error("a Host that is not loopback is served: DNS rebinding would reach the local cloud")
	}
	public := &Access{Public: true}
	if !public.HostAllowed("192.168.1.20:4566") {
		t.Error("Public refuses a LAN address")
	}
	var none *Access
	if !none.HostAllowed("anything.example") || !none.OriginAllowed("http://anything.example") {
		t.Error("a nil Access restricts requests")
	}
}

func TestAccessAdmitsOnlyTheWebClientsOrigins(t *testing.T) {
	a := &Access{Origins: []string{"http://127.0.0.1:8080", "http://localhost:8080"}}
	for origin, want := range map[string]bool{
		"":                                       true, // the CLI and SDKs send no Origin
		"http://127.0.0.1:8080":                  true,
		"http://localhost:8080":                  true,
		"http://127.0.0.1:9999":                  false, // another local server's page
		"https://attacker.example":               false,
		"null":                                   false, // sandboxed frames and file:// pages
		"http://127.0.0.1:8080.attacker.example": false,
	} {
		if got := a.OriginAllowed(origin); got != want {
			t.Errorf("OriginAllowed(%q) = %v, want %v", origin, got, want)
		}
	}
	// -public serves the web client at whatever address the LAN reaches
	// it by: its port on any host, and nothing else.
	p := &Access{Public: true, Origins: a.Origins}
	for origin, want := range map[string]bool{
		"http://192.168.1.20:8080": true,
		"http://laptop.local:8080": true,
		"http://127.0.0.1:8080":    true,
		"http://192.168.1.20:9999": false,
		"https://attacker.example": false,
		"null":                     false,
	} {
		if got := p.OriginAllowed(origin); got != want {
			t.Errorf("public: OriginAllowed(%q) = %v, want %v", origin, got, want)
		}
	}
}
