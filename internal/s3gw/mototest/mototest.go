// Package mototest runs moto_server, an independent implementation of the
// S3 API, as the upstream of the S3 gateway in tests. With CI set a missing
// moto_server fails the test; elsewhere the test is skipped with the
// reason.
package mototest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Server is a running moto_server.
type Server struct {
	// URL is http://127.0.0.1:<port>.
	URL string
	cmd *exec.Cmd
}

// Start runs a fresh moto_server on a free loopback port until the test
// ends. moto accepts any credentials; it keeps everything in memory.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		msg := "moto_server is not installed: " + err.Error()
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start moto_server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s
		}
		select {
		case err := <-done:
			tb.Fatalf("moto_server exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatal("moto_server did not answer within 30s")
		}
	}
}

// Pid is the process id of the server.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
