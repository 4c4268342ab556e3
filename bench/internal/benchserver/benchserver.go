// Package benchserver starts and stops the real gatehouse binary for the
// benchmark programs under bench/, so that they measure the server users
// run rather than an in-process copy of it.
package benchserver

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
)

// Server is a running gatehouse process.
type Server struct {
	// URL is the base URL of its listener, e.g. http://127.0.0.1:40123.
	URL string
	// StoreID is the identity store id it logged when it started.
	StoreID string

	cmd  *exec.Cmd
	done chan struct{}
}

var (
	listenRE = regexp.MustCompile(`gatehouse listening"? addr=(\S+)`)
	storeRE  = regexp.MustCompile(`identity_store_id=(d-[0-9a-f]{10})`)
)

// Start runs `bin serve` on a free loopback port with the data directory
// dir and the extra flags, and returns once it listens. The server's log
// (after the listening line) is copied to logTo, or discarded when logTo is
// nil; the caller must not close logTo before Stop returns.
func Start(bin, dir string, logTo io.Writer, extra ...string) (*Server, error) {
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir}, extra...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("benchserver: %w", err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("benchserver: start %s: %w", bin, err)
	}
	s := &Server{cmd: cmd, done: make(chan struct{})}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		if m := listenRE.FindStringSubmatch(line); m != nil {
			s.URL = "http://" + m[1]
			if id := storeRE.FindStringSubmatch(line); id != nil {
				s.StoreID = id[1]
			}
			break
		}
	}
	if logTo == nil {
		logTo = io.Discard
	}
	// Keep draining the log so that the server never blocks on a full pipe.
	go func() { io.Copy(logTo, stderr); close(s.done) }()
	if s.URL == "" {
		s.Stop()
		return nil, fmt.Errorf("benchserver: gatehouse on %s did not start", dir)
	}
	return s, nil
}

// Pid is the process id of the server.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop asks the server to shut down gracefully (SIGINT) and waits for it.
func (s *Server) Stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
	<-s.done
}
