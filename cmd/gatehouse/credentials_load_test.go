package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// loadResult is one phase of the load generator.
type loadResult struct {
	name     string
	ops      int64
	errs     int64
	elapsed  time.Duration
	p50, p99 time.Duration
	// cpu is the CPU time (user and system) of the whole test process,
	// load generator and server together, during the phase.
	cpu time.Duration
	// allocs is the number of heap allocations of the process during the
	// phase: a measure of work that other load on the machine does not
	// change.
	allocs uint64
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// cpuPerOp is the process's CPU time per call: unlike ops/s it does not
// depend on what else runs on the machine.
func (r loadResult) cpuPerOp() time.Duration {
	if r.ops == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.ops)
}

// processCPU returns the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (r loadResult) rate() float64 { return float64(r.ops) / r.elapsed.Seconds() }

// drive runs fn from conc goroutines until maxOps calls or maxTime, and
// reports throughput and latency percentiles. With
// GATEHOUSE_LOAD_CPUPROFILE=prefix it writes a CPU profile of the phase
// (client and in-process server together) to prefix-<phase>.pprof.
func drive(name string, conc int, maxOps int64, maxTime time.Duration, fn func(c *http.Client) error) loadResult {
	if prefix := os.Getenv("GATEHOUSE_LOAD_CPUPROFILE"); prefix != "" {
		slug := strings.ToLower(strings.Fields(strings.ReplaceAll(name, "/", ""))[0])
		if f, err := os.Create(prefix + "-" + slug + ".pprof"); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			} else {
				f.Close()
			}
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2, MaxConnsPerHost: conc * 2}}
	var (
		n, errs atomic.Int64
		mu      sync.Mutex
		lats    []time.Duration
		wg      sync.WaitGroup
	)
	deadline := time.Now().Add(maxTime)
	cpu0, allocs0 := processCPU(), mallocs()
	start := time.Now()
	for range conc {
		wg.Go(func() {
			local := make([]time.Duration, 0, 4096)
			for n.Add(1) <= maxOps && time.Now().Before(deadline) {
				t0 := time.Now()
				if err := fn(client); err != nil {
					errs.Add(1)
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu, allocs := processCPU()-cpu0, mallocs()-allocs0
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	r := loadResult{name: name, ops: int64(len(lats)), errs: errs.Load(), elapsed: elapsed, cpu: cpu, allocs: allocs}
	if len(lats) > 0 {
		r.p50, r.p99 = lats[len(lats)/2], lats[len(lats)*99/100]
	}
	return r
}

// floorServer returns the bare server of the floor phases: it answers
// /federation/credentials with canned credentials when the bearer token
// header is present, and anything else by verifying the request's SigV4
// signature against creds (the real verifier, its signing-key cache on)
// and answering a canned GetCallerIdentity result.
func floorServer(t *testing.T, creds sigv4.Credentials) *httptest.Server {
	v, err := sigv4.NewVerifier(sigv4.Config{Service: "sts", Regions: []string{"us-east-1"},
		Secrets: sigv4.SecretLookupFunc(func(_ context.Context, id string) (string, error) {
			if id != creds.AccessKeyID {
				return "", sigv4.ErrUnknownAccessKey
			}
			return creds.SecretAccessKey, nil
		})})
	if err != nil {
		t.Fatal(err)
	}
	const identity = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<Arn>arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_bench_0123456789abcdef/bench</Arn>` +
		`<UserId>AROAEXAMPLEEXAMPLE:bench</UserId><Account>123456789012</Account></GetCallerIdentityResult>` +
		`<ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	answer := fmt.Sprintf(`{"roleCredentials":{"accessKeyId":%q,"secretAccessKey":%q,"sessionToken":%q,"expiration":%d}}`,
		creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken, time.Now().Add(time.Hour).UnixMilli())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/federation/credentials" {
			if r.Header.Get("x-amz-sso_bearer_token") == "" {
				http.Error(w, "no token", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(answer))
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err == nil {
			_, err = v.Verify(r.Context(), r, sigv4.FullBody(b))
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(identity))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestLoadCredentials is the speed measurement of issue 6 (run by
// bench/run-credentials.sh; skipped unless GATEHOUSE_LOAD is set, and never
// asserting a time): on loopback, in one run, the plain net/http ceiling
// (a handler returning a fixed small body), then GetRoleCredentials and
// SigV4-verified GetCallerIdentity with temporary credentials, against the
// real wired app on SQLite.
func TestLoadCredentials(t *testing.T) {
	if os.Getenv("GATEHOUSE_LOAD") == "" {
		t.Skip("a load measurement, not a test: bench/run-credentials.sh runs it (GATEHOUSE_LOAD=1)")
	}
	conc := 16
	maxTime := 5 * time.Second
	if v := os.Getenv("GATEHOUSE_LOAD_TIME"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			maxTime = d
		}
	}
	const maxOps = 200_000
	app := startPortalApp(t)
	e := newEntitledUser(t, app, "bench")
	_, tok := deviceLogin(t, app, e, []string{"sso:account:access"})
	rc, err := app.portalClient().GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
		AccessToken: tok.AccessToken, AccountId: &e.accountID, RoleName: &e.permissionSet})
	if err != nil {
		t.Fatal(err)
	}
	creds := sigv4.Credentials{AccessKeyID: aws.ToString(rc.RoleCredentials.AccessKeyId),
		SecretAccessKey: aws.ToString(rc.RoleCredentials.SecretAccessKey), SessionToken: aws.ToString(rc.RoleCredentials.SessionToken)}

	ceilingSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok\n"))
	}))
	defer ceilingSrv.Close()
	get := func(c *http.Client, req *http.Request) error {
		res, err := c.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}
	ceiling := drive("net/http ceiling (fixed small body)", conc, maxOps, maxTime, func(c *http.Client) error {
		req, _ := http.NewRequest(http.MethodGet, ceilingSrv.URL+"/", nil)
		return get(c, req)
	})
	q := url.Values{"account_id": {e.accountID}, "role_name": {e.permissionSet}}
	grc := drive("GetRoleCredentials", conc, maxOps, maxTime, func(c *http.Client) error {
		req, _ := http.NewRequest(http.MethodGet, app.URL+"/federation/credentials?"+q.Encode(), nil)
		req.Header.Set("x-amz-sso_bearer_token", aws.ToString(tok.AccessToken))
		return get(c, req)
	})
	const body = "Action=GetCallerIdentity&Version=2011-06-15"
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	gci := drive("GetCallerIdentity (SigV4, ASIA + session token)", conc, maxOps, maxTime, func(c *http.Client) error {
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if err := (sigv4.Signer{}).Sign(req, hash, creds, "us-east-1", "sts", time.Now()); err != nil {
			return err
		}
		return get(c, req)
	})
	// The protocol's floor: the same requests against bare handlers that do
	// only what the wire requires (compare a bearer token and answer canned
	// credentials; verify the SigV4 signature and answer a canned identity),
	// with no store, no policy and no audit. What separates a phase from its
	// floor is Gatehouse's work; what separates the floor from the ceiling
	// is the protocol's.
	floor := floorServer(t, creds)
	grcFloor := drive("GetRoleCredentials floor (bare handler)", conc, maxOps, maxTime, func(c *http.Client) error {
		req, _ := http.NewRequest(http.MethodGet, floor.URL+"/federation/credentials?"+q.Encode(), nil)
		req.Header.Set("x-amz-sso_bearer_token", aws.ToString(tok.AccessToken))
		return get(c, req)
	})
	gciFloor := drive("GetCallerIdentity floor (SigV4 verify only)", conc, maxOps, maxTime, func(c *http.Client) error {
		req, _ := http.NewRequest(http.MethodPost, floor.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if err := (sigv4.Signer{}).Sign(req, hash, creds, "us-east-1", "sts", time.Now()); err != nil {
			return err
		}
		return get(c, req)
	})
	fmt.Printf("\nmachine: %d CPUs, %s; %d concurrent clients, each phase at most %v or %d calls; SQLite\n",
		runtime.NumCPU(), runtime.Version(), conc, maxTime, maxOps)
	fmt.Printf("%-50s %10s %8s %10s %10s %8s %10s %9s %9s\n", "phase", "ops/s", "errors", "p50", "p99", "ceiling", "CPU/op", "CPU ratio", "allocs/op")
	for _, r := range []loadResult{ceiling, grcFloor, grc, gciFloor, gci} {
		fmt.Printf("%-50s %10.0f %8d %10v %10v %7.1f%% %10v %8.1f%% %9d\n", r.name, r.rate(), r.errs, r.p50.Round(time.Microsecond),
			r.p99.Round(time.Microsecond), 100*r.rate()/ceiling.rate(), r.cpuPerOp().Round(time.Microsecond),
			100*float64(ceiling.cpuPerOp())/float64(max(r.cpuPerOp(), 1)), r.allocs/uint64(max(r.ops, 1)))
	}
	fmt.Printf("CPU/op: CPU time of the test process (load generator and server) per call; CPU ratio: the ceiling's CPU/op over the phase's;\n" +
		"allocs/op: heap allocations of the process per call (both unaffected by other load on the machine, unlike ops/s)\n")
	fmt.Printf("floor: the same requests against a bare handler (bearer token compared, or SigV4 verified; a canned answer; no store, policy or audit)\n")
	fmt.Printf("targets: GetRoleCredentials >= 25%% of the ceiling, GetCallerIdentity >= 50%%\n\n")
	if grc.errs > 0 || gci.errs > 0 {
		t.Errorf("errors under load: GetRoleCredentials %d, GetCallerIdentity %d", grc.errs, gci.errs)
	}
}
