package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse/gatehouse/internal/s3gw/mototest"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// processRSS returns the resident memory of a process, in bytes.
func processRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestS3GatewayStreamsWithFlatMemory streams a 1 GiB object through the
// real gatehouse process: up as an aws-chunked upload whose every chunk
// signature the gateway checks, and back down. The process's resident
// memory is sampled throughout and must not grow with the object.
func TestS3GatewayStreamsWithFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 1 GiB; skipped with -short")
	}
	m := mototest.Start(t)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s3Addr := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf(`{"s3_gateway":{"listen":%q,"upstream":%q,"upstream_access_key_id":"moto","upstream_secret_access_key":"moto-secret"}}`, s3Addr, m.URL)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, "--config", filepath.Join(dir, "config.json"), "--data-dir", filepath.Join(dir, "data"))
	key, secret := readCredentials(t, filepath.Join(dir, "data"))
	gw := "http://" + s3Addr
	pid := p.cmd.Process.Pid
	// The gateway's listener opens just after the main one.
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", s3Addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 300 {
			t.Fatalf("the gateway does not listen: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	send := func(r *http.Request) *http.Response {
		t.Helper()
		resp, err := http.DefaultClient.Do(r.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	mb, _ := http.NewRequest(http.MethodPut, gw+"/big", nil)
	mb.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
	_ = v4.NewSigner().SignHTTP(ctx, creds, mb, sigv4.EmptySHA256, "s3", "us-east-1", time.Now())
	if resp := send(mb); resp.StatusCode != 200 {
		t.Fatalf("CreateBucket: %d", resp.StatusCode)
	}
	// Warm the process (connections, caches) before the baseline.
	if resp := send(mb); resp.StatusCode/100 == 5 {
		t.Fatalf("second CreateBucket: %d", resp.StatusCode)
	}
	base := processRSS(t, pid)

	var peak int64
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			if r := processRSS(t, pid); r > 0 {
				mu.Lock()
				peak = max(peak, r)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})

	const size = 1 << 30
	const chunk = 1 << 20
	pr, pw := io.Pipe()
	up, _ := http.NewRequest(http.MethodPut, gw+"/big/object", pr)
	up.Header.Set("Content-Encoding", "aws-chunked")
	up.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingPayload)
	up.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(size))
	frame := func(n int) int64 { return int64(len(strconv.FormatInt(int64(n), 16)) + 17 + 64 + 2 + n + 2) }
	up.ContentLength = frame(chunk)*(size/chunk) + frame(0)
	now := time.Now()
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(ctx, creds, up, sigv4.StreamingPayload, "s3", "us-east-1", now); err != nil {
		t.Fatal(err)
	}
	auth := up.Header.Get("Authorization")
	seed, _ := hex.DecodeString(auth[strings.LastIndex(auth, "=")+1:])
	go func() {
		ss := v4.NewStreamSigner(creds, "s3", "us-east-1", seed)
		buf := make([]byte, chunk)
		for i := range buf {
			buf[i] = byte(i * 13)
		}
		for i := 0; i <= size/chunk; i++ {
			b := buf
			if i == size/chunk {
				b = nil
			}
			sig, err := ss.GetSignature(ctx, nil, b, now)
			if err == nil {
				_, err = fmt.Fprintf(pw, "%x;chunk-signature=%x\r\n%s\r\n", len(b), sig, b)
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	start := time.Now()
	resp := send(up)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("1 GiB chunked upload: %d %s", resp.StatusCode, body)
	}
	t.Logf("uploaded 1 GiB in %v", time.Since(start).Round(time.Millisecond))

	get, _ := http.NewRequest(http.MethodGet, gw+"/big/object", nil)
	get.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
	_ = v4.NewSigner().SignHTTP(ctx, creds, get, sigv4.EmptySHA256, "s3", "us-east-1", time.Now())
	start = time.Now()
	resp = send(get)
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != size || resp.StatusCode != 200 {
		t.Fatalf("1 GiB download: %d bytes, %v, status %d", n, err, resp.StatusCode)
	}
	t.Logf("downloaded 1 GiB in %v", time.Since(start).Round(time.Millisecond))
	close(stop)
	wg.Wait()
	t.Logf("gatehouse RSS: %d MiB before, %d MiB at most while streaming", base>>20, peak>>20)
	// One chunk held for its signature check, the copy buffers and the
	// runtime's slack: far below the object's size.
	if grow := peak - base; grow > 64<<20 {
		t.Fatalf("resident memory grew by %d MiB while streaming 1 GiB", grow>>20)
	}
}
