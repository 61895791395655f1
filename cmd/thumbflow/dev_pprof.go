package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// servePprof serves net/http/pprof on addr, a debug aid for measuring
// thumbflow dev's memory and CPU under load (bench/pipeline.sh, see
// docs/reliability.md). It is an environment variable, not a flag, because
// it is not part of the product; it refuses any address that is not
// loopback, since a profile shows object keys and request contents.
func servePprof(addr string, log *slog.Logger) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Warn("THUMBFLOW_PPROF ignored: want a loopback host:port such as 127.0.0.1:6060", "addr", addr)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warn("THUMBFLOW_PPROF: listen", "addr", addr, "error", err)
		return
	}
	go func() { _ = http.Serve(ln, mux) }()
}
