package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// The BenchmarkHandler* benchmarks call the wired app's handler in process
// with requests signed as aws-sdk-go-v2 signs them: no client library and
// no network, so that ns/op and allocs/op are the server's own cost per
// call (request parsing, SigV4, model validation, authorization, the
// operation, the audit event and its share of the group commits). The
// requests are signed before the timer starts.
//
//	go test -run - -bench Handler -benchmem ./cmd/gatehouse/

// signedCall is a request prepared for replay: headers signed, body kept.
type signedCall struct {
	header http.Header
	body   []byte
}

// signIdentityStore signs an identitystore call with the app's admin key.
func (a *testApp) signCall(tb testing.TB, prefix, service, op string, body []byte) signedCall {
	tb.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://gatehouse.test/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", prefix+"."+op)
	r.Header.Set("Amz-Sdk-Invocation-Id", "5bc4b8d3-1b6c-4f1e-9d3a-3e9f2d1c0b7a")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=1")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/identitystore#1.28.1")
	r.Header.Set("Content-Length", fmt.Sprint(len(body)))
	sum := sha256.Sum256(body)
	if err := (sigv4.Signer{}).Sign(r, hex.EncodeToString(sum[:]), sigv4.Credentials{AccessKeyID: a.KeyID, SecretAccessKey: a.Secret},
		"us-east-1", service, time.Now()); err != nil {
		tb.Fatal(err)
	}
	return signedCall{header: r.Header, body: body}
}

// serve runs one prepared call through the handler and fails on an error
// answer.
func (a *testApp) serve(tb testing.TB, c signedCall) []byte {
	r := &http.Request{
		Method: http.MethodPost, URL: &url0, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: c.header.Clone(), Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)),
		Host: "gatehouse.test", RemoteAddr: "127.0.0.1:40000", RequestURI: "/",
	}
	w := httptest.NewRecorder()
	a.app.handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		tb.Fatalf("%s: %d %s", c.header.Get("X-Amz-Target"), w.Code, w.Body)
	}
	return w.Body.Bytes()
}

var url0 = *httptest.NewRequest(http.MethodPost, "http://gatehouse.test/", nil).URL

func jsonBody(tb testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func (a *testApp) identityStoreCall(tb testing.TB, op string, in map[string]any) signedCall {
	in["IdentityStoreId"] = a.Instance.IdentityStoreID
	return a.signCall(tb, "AWSIdentityStore", "identitystore", op, jsonBody(tb, in))
}

func userBody(name string) map[string]any {
	return map[string]any{"UserName": name, "DisplayName": name,
		"Name":   map[string]any{"GivenName": "Load", "FamilyName": "Test"},
		"Emails": []any{map[string]any{"Value": name + "@example.com", "Type": "work", "Primary": true}}}
}

// seedUsers creates n users through the handler and returns their ids.
func (a *testApp) seedUsers(tb testing.TB, prefix string, n int) []string {
	ids := make([]string, n)
	for i := range n {
		var out struct{ UserId string }
		if err := json.Unmarshal(a.serve(tb, a.identityStoreCall(tb, "CreateUser", userBody(fmt.Sprint(prefix, i)))), &out); err != nil {
			tb.Fatal(err)
		}
		ids[i] = out.UserId
	}
	return ids
}

// runCalls replays calls[i] for i in 0..b.N-1 with 16 concurrent callers
// (the load generators' concurrency). Besides the wall time it reports
// the process's CPU time per call (cpu-µs/op), which is what a two-core
// machine shared with the client runs out of, and which the disk's fsync
// latency and other processes on the machine disturb far less. The audit
// events of reads are flushed inside the measurement, so their writing is
// counted.
func runCalls(b *testing.B, app *testApp, calls func(i int) signedCall) {
	var n atomic.Int64
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			app.serve(b, calls(int(n.Add(1)-1)))
		}
	})
	if err := app.app.audit.Flush(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkHandlerCreateUser(b *testing.B) {
	app := startApp(b)
	calls := make([]signedCall, b.N)
	for i := range calls {
		calls[i] = app.identityStoreCall(b, "CreateUser", userBody(fmt.Sprint("load-", i)))
	}
	runCalls(b, app, func(i int) signedCall { return calls[i] })
}

func BenchmarkHandlerGetUserId(b *testing.B) {
	app := startApp(b)
	app.seedUsers(b, "seed-", 100)
	calls := make([]signedCall, 100)
	for i := range calls {
		calls[i] = app.identityStoreCall(b, "GetUserId", map[string]any{"AlternateIdentifier": map[string]any{
			"UniqueAttribute": map[string]any{"AttributePath": "userName", "AttributeValue": fmt.Sprint("seed-", i)}}})
	}
	runCalls(b, app, func(i int) signedCall { return calls[i%len(calls)] })
}

func BenchmarkHandlerListUsers(b *testing.B) {
	app := startApp(b)
	app.seedUsers(b, "seed-", 100)
	call := app.identityStoreCall(b, "ListUsers", map[string]any{"MaxResults": 50})
	runCalls(b, app, func(int) signedCall { return call })
}

func BenchmarkHandlerCreateGroupMembership(b *testing.B) {
	app := startApp(b)
	users := app.seedUsers(b, "seed-", 200)
	groups := make([]string, b.N/len(users)+1)
	for i := range groups {
		var out struct{ GroupId string }
		body := app.serve(b, app.identityStoreCall(b, "CreateGroup", map[string]any{"DisplayName": fmt.Sprint("group-", i)}))
		if err := json.Unmarshal(body, &out); err != nil {
			b.Fatal(err)
		}
		groups[i] = out.GroupId
	}
	calls := make([]signedCall, b.N)
	for i := range calls {
		calls[i] = app.identityStoreCall(b, "CreateGroupMembership", map[string]any{"GroupId": groups[i/len(users)],
			"MemberId": map[string]any{"UserId": users[i%len(users)]}})
	}
	runCalls(b, app, func(i int) signedCall { return calls[i] })
}
