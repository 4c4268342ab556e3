package main

import (
	"log/slog"
	"testing"
)

// TestPprofListenLoopbackOnly: the runtime profiles are served only when
// asked for, and only on a loopback address.
func TestPprofListenLoopbackOnly(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	t.Setenv(pprofEnv, "")
	if err := servePprof(log); err != nil {
		t.Fatalf("unset: %v", err)
	}
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "192.0.2.1:6060", "example.com:6060", "nonsense"} {
		t.Setenv(pprofEnv, addr)
		if err := servePprof(log); err == nil {
			t.Errorf("%q was accepted", addr)
		}
	}
}
