package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// pprofEnv names the environment variable that, when set to a loopback
// host:port, serves Go's runtime profiles (/debug/pprof/) there. It is for
// benchmarks and diagnosis (bench/run-s3gw.sh PPROF=dir); nothing is
// served unless it is set, and only on a loopback address: profiles show
// the process's internals and cost CPU while they are taken.
const pprofEnv = "GATEHOUSE_PPROF_LISTEN"

// servePprof starts the profiling listener if pprofEnv asks for one.
func servePprof(log *slog.Logger) error {
	addr := os.Getenv(pprofEnv)
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q: %v", pprofEnv, addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s %q: profiles are served on a loopback address only", pprofEnv, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", pprofEnv, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Warn("serving runtime profiles", "addr", ln.Addr().String(), "env", pprofEnv)
	go func() { _ = srv.Serve(ln) }()
	return nil
}
