// Command s3gw measures the S3 gateway against its upstream in one run:
// requests per second of small GETs and MiB/s of a large PUT and GET,
// straight to the upstream and through the gateway, with the overhead of
// the gateway; then it streams a huge object through the gateway while
// sampling the gateway process's resident memory.
//
// Every request is signed with SigV4 (the gateway's administrator key for
// the gateway, the upstream's credentials for the upstream) and large
// bodies are sent UNSIGNED-PAYLOAD, as the SDKs do over HTTPS, so that the
// client's hashing is not what is measured. Phases alternate between the
// two targets, which goes first alternating from round to round, and the
// best and the median of the rounds are reported. Beside each round is the
// CPU time the gatehouse process, the upstream and this client spent per
// request or per MiB (from /proc and getrusage): on a small machine they
// share, the gateway's overhead is mostly its CPU. The large transfers
// also go through a bare relay (this program with -relay-serve, in a
// process of its own, copying bytes and nothing else): what an extra hop
// costs on this machine whatever it does, the floor of the gateway's
// overhead. With -pprof and
// -profile-dir, CPU profiles of the gateway's small-GET phase and of large
// GETs and PUTs (in phases of their own, after the measured ones) are
// written for `go tool pprof`.
//
//	go run ./bench/s3gw -direct http://127.0.0.1:15000 -gateway http://127.0.0.1:18282 -key AKIA… -secret … -pid 1234
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/bench/internal/proccpu"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

type target struct {
	name  string
	url   string
	creds sigv4.Credentials
}

type client struct {
	hc *http.Client
	// bufs hold the buffers responses are read with; nil reads them with
	// io.Discard's own (8 KiB).
	bufs *sync.Pool
}

func (c *client) do(ctx context.Context, t target, method, path string, body io.Reader, size int64) (int64, error) {
	r, err := http.NewRequestWithContext(ctx, method, t.url+path, body)
	if err != nil {
		return 0, err
	}
	r.ContentLength = size
	if body == nil {
		r.Body = http.NoBody
	}
	ph := sigv4.EmptySHA256
	if size > 0 {
		ph = sigv4.UnsignedPayload
	}
	r.Header.Set("X-Amz-Content-Sha256", ph)
	if err := (sigv4.Signer{Path: sigv4.PathAsSent}).Sign(r, ph, t.creds, "us-east-1", "s3", time.Now()); err != nil {
		return 0, err
	}
	resp, err := c.hc.Do(r)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var n int64
	if c.bufs != nil {
		bp := c.bufs.Get().(*[]byte)
		n, err = io.CopyBuffer(struct{ io.Writer }{io.Discard}, resp.Body, *bp)
		c.bufs.Put(bp)
	} else {
		n, err = io.Copy(io.Discard, resp.Body)
	}
	if err != nil {
		return n, err
	}
	if resp.StatusCode/100 != 2 {
		return n, fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	return n, nil
}

// pattern is an endless, cheap stream of bytes for large bodies: a
// precomputed block copied over and over, so that producing the body costs
// the client little (a byte-by-byte generator cost it about 1 ms of CPU per
// MiB, on a machine the client shares with the gateway and the upstream).
type pattern struct{ off int }

var patternBlock = func() []byte {
	b := make([]byte, 64<<10+251) // not a power of two: chunks do not repeat in step
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}()

func (p *pattern) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		c := copy(b[n:], patternBlock[p.off:])
		n += c
		p.off = (p.off + c) % len(patternBlock)
	}
	return n, nil
}

type smallResult struct {
	ops     int64
	errs    int64
	elapsed time.Duration
	lat     []time.Duration
}

func (r smallResult) rate() float64 { return float64(r.ops) / r.elapsed.Seconds() }

func (r smallResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	return r.lat[int(p*float64(len(r.lat)-1))]
}

func smallGets(c *client, t target, path string, conc int, d time.Duration) smallResult {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ops, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			var mine []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				_, err := c.do(context.Background(), t, http.MethodGet, path, nil, 0)
				if err != nil {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
				ops.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return smallResult{ops: ops.Load(), errs: errs.Load(), elapsed: time.Since(start), lat: lat}
}

// transfer PUTs (or GETs) size bytes n times, one after the other, and
// returns MiB/s.
func transfer(c *client, t target, method, path string, size int64, n int) (float64, error) {
	start := time.Now()
	var total int64
	for range n {
		var body io.Reader
		var sz int64
		if method == http.MethodPut {
			body, sz = io.LimitReader(&pattern{}, size), size
		}
		got, err := c.do(context.Background(), t, method, path, body, sz)
		if err != nil {
			return 0, err
		}
		if method == http.MethodPut {
			got = size
		}
		total += got
	}
	return float64(total) / (1 << 20) / time.Since(start).Seconds(), nil
}

// rss returns a process's resident set (VmRSS) and its peak (VmHWM), in
// KiB.
func rss(pid int) (cur, peak int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1, -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			cur = v
		case "VmHWM:":
			peak = v
		}
	}
	return cur, peak
}

// sampled runs fn while sampling the resident memory of pid every 50 ms,
// and returns the highest sample.
func sampled(pid int, fn func() error) (maxKiB int64, err error) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if cur, _ := rss(pid); cur > maxKiB {
				maxKiB = cur
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	err = fn()
	close(done)
	wg.Wait()
	return maxKiB, err
}

// profiler takes CPU profiles of the gatehouse process through its
// runtime profile endpoint (net/http/pprof).
type profiler struct {
	url, dir string
}

// start begins a CPU profile of the given length and returns a function
// that waits for it and writes it to dir/name.pprof.
func (p profiler) start(name string, d time.Duration) (wait func()) {
	if p.url == "" || p.dir == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := max(int(d/time.Second), 1)
		resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimSuffix(p.url, "/"), secs))
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: profile:", err)
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			fmt.Fprintln(os.Stderr, "bench: profile:", resp.Status, err)
			return
		}
		path := p.dir + "/" + name + ".pprof"
		if err := os.WriteFile(path, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench: profile:", err)
			return
		}
		fmt.Printf("  (CPU profile of %v written to %s)\n", time.Duration(secs)*time.Second, path)
	}()
	return func() { <-done }
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func overhead(direct, gateway float64) string {
	return fmt.Sprintf("%+.1f%%", (direct-gateway)/direct*100)
}

func main() {
	directURL := flag.String("direct", "", "the upstream's URL")
	gatewayURL := flag.String("gateway", "", "the gateway's URL")
	key := flag.String("key", "", "the gateway's access key id (an administrator key)")
	secret := flag.String("secret", "", "its secret")
	conc := flag.Int("c", 16, "concurrent clients for small GETs")
	phase := flag.Duration("time", 5*time.Second, "duration of each small-GET phase")
	rounds := flag.Int("rounds", 4, "rounds of the small-GET phases (alternating which target goes first); the best and the median are kept")
	small := flag.Int("small", 4096, "size of the small object")
	large := flag.Int64("large", 256<<20, "size of the large object")
	largeN := flag.Int("large-n", 4, "rounds of large transfers per direction, each one transfer per target (alternating which goes first); the best and the median are kept")
	largeGetN := flag.Int("large-get-n", 8, "rounds of large GETs (quicker than PUTs, and noisier)")
	huge := flag.Int64("huge", 1<<30, "size of the object streamed for the memory phase (0 skips it)")
	pid := flag.Int("pid", 0, "pid of the gatehouse process, for its memory and CPU")
	motoPid := flag.Int("moto-pid", 0, "pid of the upstream process, for its CPU")
	pprofURL := flag.String("pprof", "", "base URL of the gatehouse process's runtime profiles (GATEHOUSE_PPROF_LISTEN); with -profile-dir, CPU profiles of the gateway's phases are written there")
	profileDir := flag.String("profile-dir", "", "directory for the CPU profiles taken with -pprof")
	relayServe := flag.String("relay-serve", "", "run as the bare relay instead (host:port of the upstream): print the address listened on, forward TCP both ways until killed")
	relayOn := flag.Bool("relay", true, "also measure the large transfers through a bare TCP relay in a process of its own (this program with -relay-serve): an extra hop that does nothing else, the floor of any gateway's overhead on this machine")
	readBuf := flag.Int("read-buf", 0, "buffer the client reads responses with, the same for both targets; 0 reads with io.Discard's own 8 KiB buffer")
	flag.Parse()
	if *relayServe != "" {
		serveRelay(*relayServe)
		return
	}
	if *directURL == "" || *gatewayURL == "" || *key == "" || *secret == "" {
		flag.Usage()
		os.Exit(2)
	}
	direct := target{"direct", *directURL, sigv4.Credentials{AccessKeyID: "moto", SecretAccessKey: "moto-secret"}}
	gateway := target{"gateway", *gatewayURL, sigv4.Credentials{AccessKeyID: *key, SecretAccessKey: *secret}}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		DisableCompression:  true,
	}
	c := &client{hc: &http.Client{Transport: tr}}
	if *readBuf > 0 {
		c.bufs = &sync.Pool{New: func() any { b := make([]byte, *readBuf); return &b }}
	}
	prof := profiler{url: *pprofURL, dir: *profileDir}
	bucket := fmt.Sprintf("/bench-%d", time.Now().UnixNano())
	must := func(err error) {
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	_, err := c.do(context.Background(), direct, http.MethodPut, bucket, nil, 0)
	must(err)
	_, err = c.do(context.Background(), direct, http.MethodPut, bucket+"/small", bytes.NewReader(make([]byte, *small)), int64(*small))
	must(err)
	// Warm both paths (connections, caches of keys and policies).
	for _, t := range []target{direct, gateway} {
		_ = smallGets(c, t, bucket+"/small", *conc, 500*time.Millisecond)
	}

	fmt.Printf("small GETs of %d bytes, %d concurrent clients, %d rounds of %v per target\n", *small, *conc, *rounds, *phase)
	best := map[string]smallResult{}
	rates := map[string][]float64{}
	for round := range *rounds {
		order := []target{direct, gateway}
		if round%2 == 1 {
			order = []target{gateway, direct}
		}
		for _, t := range order {
			wait := func() {}
			if round == 0 && t.name == "gateway" {
				wait = prof.start("small-get", *phase-time.Second)
			}
			ghCPU, motoCPU, clientCPU := proccpu.Of(*pid), proccpu.Of(*motoPid), proccpu.Self()
			r := smallGets(c, t, bucket+"/small", *conc, *phase)
			wait()
			ghCPU, motoCPU, clientCPU = proccpu.Of(*pid)-ghCPU, proccpu.Of(*motoPid)-motoCPU, proccpu.Self()-clientCPU
			fmt.Printf("  round %d %-8s %8.0f req/s  p50 %-9v p99 %-9v errors %d  CPU per request: gatehouse %v, moto %v, client %v\n", round+1, t.name, r.rate(),
				r.pct(0.5).Round(10*time.Microsecond), r.pct(0.99).Round(10*time.Microsecond), r.errs,
				(ghCPU / time.Duration(max(r.ops, 1))).Round(time.Microsecond), (motoCPU / time.Duration(max(r.ops, 1))).Round(time.Microsecond), (clientCPU / time.Duration(max(r.ops, 1))).Round(time.Microsecond))
			if b, ok := best[t.name]; !ok || r.rate() > b.rate() {
				best[t.name] = r
			}
			rates[t.name] = append(rates[t.name], r.rate())
		}
	}
	d, g := best["direct"], best["gateway"]
	md, mg := median(rates["direct"]), median(rates["gateway"])
	fmt.Printf("small GET: best direct %.0f req/s, gateway %.0f req/s, overhead %s; median direct %.0f, gateway %.0f, overhead %s (target ≤ 15%%)\n\n",
		d.rate(), g.rate(), overhead(d.rate(), g.rate()), md, mg, overhead(md, mg))

	largeTargets := []target{direct, gateway}
	hopPid := map[string]int{"gateway": *pid}
	if *relayOn {
		u, err := url.Parse(*directURL)
		must(err)
		relayURL, relayPid, stop, err := startRelay(u.Host)
		must(err)
		defer stop()
		largeTargets = append(largeTargets, target{"relay", relayURL, direct.creds})
		hopPid["relay"] = relayPid
	}
	fmt.Printf("large transfers of %d MiB, one at a time, %d rounds of PUTs and %d of GETs (rotating which target goes first)\n", *large>>20, *largeN, *largeGetN)
	if *relayOn {
		fmt.Printf("  relay: a bare TCP relay in front of the upstream (a process of its own copying bytes, no HTTP, no authorization): the floor of any gateway's overhead here\n")
	}
	lbest, lmedian := map[string]float64{}, map[string]float64{}
	for _, dir := range []string{http.MethodPut, http.MethodGet} {
		runs := map[string][]float64{}
		n := *largeN
		if dir == http.MethodGet {
			n = *largeGetN
		}
		for round := range n {
			k := round % len(largeTargets)
			order := append(slices.Clone(largeTargets[k:]), largeTargets[:k]...)
			for _, t := range order {
				hopCPU, motoCPU, clientCPU := proccpu.Of(hopPid[t.name]), proccpu.Of(*motoPid), proccpu.Self()
				mibs, err := transfer(c, t, dir, bucket+"/large", *large, 1)
				must(err)
				hopCPU, motoCPU, clientCPU = proccpu.Of(hopPid[t.name])-hopCPU, proccpu.Of(*motoPid)-motoCPU, proccpu.Self()-clientCPU
				perMiB := func(d time.Duration) string {
					return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000/float64(*large>>20))
				}
				hop := "gatehouse"
				if t.name == "relay" {
					hop = "relay"
				}
				fmt.Printf("  round %d %-4s %-8s %7.1f MiB/s  CPU per MiB: %s %s, moto %s, client %s\n", round+1, dir, t.name, mibs, hop, perMiB(hopCPU), perMiB(motoCPU), perMiB(clientCPU))
				runs[t.name] = append(runs[t.name], mibs)
			}
		}
		for name, rs := range runs {
			lbest[dir+name], lmedian[dir+name] = slices.Max(rs), median(rs)
		}
	}
	for _, dir := range []string{http.MethodPut, http.MethodGet} {
		fmt.Printf("large %s: best direct %.1f MiB/s, gateway %.1f MiB/s, overhead %s; median direct %.1f, gateway %.1f, overhead %s (target ≤ 5%%)\n", dir,
			lbest[dir+"direct"], lbest[dir+"gateway"], overhead(lbest[dir+"direct"], lbest[dir+"gateway"]),
			lmedian[dir+"direct"], lmedian[dir+"gateway"], overhead(lmedian[dir+"direct"], lmedian[dir+"gateway"]))
		if *relayOn {
			fmt.Printf("large %s through the bare relay: best %.1f MiB/s, overhead %s; median %.1f, overhead %s\n", dir,
				lbest[dir+"relay"], overhead(lbest[dir+"direct"], lbest[dir+"relay"]), lmedian[dir+"relay"], overhead(lmedian[dir+"direct"], lmedian[dir+"relay"]))
		}
	}
	fmt.Println()

	if prof.url != "" && prof.dir != "" {
		// Profiles of the large transfers through the gateway, taken in
		// phases of their own so that the figures above are unaffected.
		for _, dir := range []string{http.MethodGet, http.MethodPut} {
			wait := prof.start("large-"+strings.ToLower(dir), 8*time.Second)
			deadline := time.Now().Add(8 * time.Second)
			for time.Now().Before(deadline) {
				_, err := transfer(c, gateway, dir, bucket+"/large", *large, 1)
				must(err)
			}
			wait()
		}
		fmt.Println()
	}

	if *huge > 0 && *pid > 0 {
		before, _ := rss(*pid)
		var mibs float64
		peakPut, err := sampled(*pid, func() (err error) {
			mibs, err = transfer(c, gateway, http.MethodPut, bucket+"/huge", *huge, 1)
			return err
		})
		must(err)
		fmt.Printf("memory while streaming %d MiB through the gateway (gatehouse RSS)\n", *huge>>20)
		fmt.Printf("  before %d MiB; PUT at %.1f MiB/s, peak %d MiB\n", before>>10, mibs, peakPut>>10)
		peakGet, err := sampled(*pid, func() (err error) {
			mibs, err = transfer(c, gateway, http.MethodGet, bucket+"/huge", *huge, 1)
			return err
		})
		must(err)
		after, hwm := rss(*pid)
		fmt.Printf("  GET at %.1f MiB/s, peak %d MiB; after %d MiB (process high-water mark %d MiB)\n", mibs, peakGet>>10, after>>10, hwm>>10)
		if grow := max(peakPut, peakGet) - before; grow > 64<<10 {
			must(errors.New("memory grew by more than 64 MiB while streaming"))
		}
	}
}

// serveRelay forwards every TCP connection made to it to upstream, both
// ways, until the process is killed: no HTTP, no authorization, just the
// bytes. It copies through 1 MiB buffers in user space; io.Copy between
// two TCP sockets would splice(2) them instead, which on this loopback
// measured slower (large GETs 40–45% behind direct, against 26–36%).
func serveRelay(upstream string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	for {
		in, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "relay:", err)
			os.Exit(1)
		}
		go func() {
			defer in.Close()
			out, err := net.Dial("tcp", upstream)
			if err != nil {
				return
			}
			defer out.Close()
			done := make(chan struct{})
			go func() {
				io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in}, make([]byte, 1<<20))
				out.(*net.TCPConn).CloseWrite()
				close(done)
			}()
			io.CopyBuffer(struct{ io.Writer }{in}, struct{ io.Reader }{out}, make([]byte, 1<<20))
			in.(*net.TCPConn).CloseWrite()
			<-done
		}()
	}
}

// startRelay runs this program again as a bare relay in front of upstream
// and returns its URL, its pid, and the function that stops it.
func startRelay(upstream string) (string, int, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.Command(self, "-relay-serve", upstream)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	cmd.Stderr = os.Stderr
	// The relay dies with the benchmark, even when it exits early.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", 0, nil, fmt.Errorf("relay: %w", err)
	}
	return "http://" + strings.TrimSpace(line), cmd.Process.Pid, stop, nil
}
