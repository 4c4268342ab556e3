// Command identitystore is a load generator for the identitystore API. It
// runs one workload (CreateUser, GetUserId, a ListUsers page,
// CreateGroupMembership) against each target given, with the real
// aws-sdk-go-v2 client on loopback, and prints the throughput of each and
// the ratio to the first target.
//
// Every phase is bounded both in operations and in time.
//
//	go run ./bench/identitystore -target gatehouse=http://127.0.0.1:18080,AKIA…,SECRET,d-0123456789 \
//	                             -target moto=http://127.0.0.1:15000,test,test,d-0123456789
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ids "github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"

	"github.com/gatehouse/gatehouse/bench/internal/proccpu"
)

type target struct {
	name, url, key, secret, store string
	pid                           int // of the server process, when known: its CPU per operation is reported
	client                        *ids.Client
	users                         []string
	groups                        []string
}

type targets []*target

func (t *targets) String() string { return fmt.Sprint(len(*t), " targets") }

func (t *targets) Set(v string) error {
	name, rest, ok := strings.Cut(v, "=")
	parts := strings.Split(rest, ",")
	if !ok || len(parts) < 4 || len(parts) > 5 {
		return fmt.Errorf("want name=url,key,secret,storeid[,pid]")
	}
	tg := &target{name: name, url: parts[0], key: parts[1], secret: parts[2], store: parts[3]}
	if len(parts) == 5 {
		pid, err := strconv.Atoi(parts[4])
		if err != nil || pid <= 0 {
			return fmt.Errorf("pid %q: want a process id", parts[4])
		}
		tg.pid = pid
	}
	*t = append(*t, tg)
	return nil
}

type result struct {
	ops     int
	elapsed time.Duration
	errors  int
	// closed counts the errors that are the SDK's own: it closes a
	// request's body as soon as the answer's headers arrive, which can
	// make net/http close the connection while the answer is still read
	// ("use of closed network connection", aws/aws-sdk-go-v2#2737; its
	// default retryer retries them, this load generator retries nothing).
	closed int
	lat    []time.Duration
}

func (r result) rate() float64 { return float64(r.ops) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	return r.lat[int(p*float64(len(r.lat)-1))]
}

func main() {
	var ts targets
	flag.Var(&ts, "target", "name=url,accessKey,secret,identityStoreId[,serverPid] (repeatable; the first is the reference; with the pid, the server's CPU per operation is printed)")
	maxOps := flag.Int("ops", 20000, "maximum operations per phase")
	maxTime := flag.Duration("time", 5*time.Second, "maximum time per phase")
	conc := flag.Int("c", 16, "concurrent clients")
	seedUsers := flag.Int("users", 200, "users created before the measured phases")
	goal := flag.Float64("goal", 20, "throughput ratio to the second target that is aimed for: for each phase the load generator's own CPU at that rate is printed, and what it leaves the server on this machine")
	only := flag.String("phases", "", "comma-separated names of the phases to run (e.g. ListUsers,GetUserId, for a profile of one); all when empty")
	ceiling := flag.Bool("ceiling", false, "also run against a trivial in-process server with canned answers: the client's and HTTP's own cost")
	flag.Parse()
	if *ceiling {
		ts = append(ts, &target{name: "ceiling", url: cannedServer(), key: "AKIAEXAMPLE", secret: "secret", store: "d-0123456789"})
	}
	if len(ts) == 0 {
		fmt.Fprintln(os.Stderr, "give at least one -target")
		os.Exit(2)
	}
	ctx := context.Background()
	transport := &http.Transport{MaxIdleConnsPerHost: *conc * 2, MaxConnsPerHost: *conc * 2}
	for _, t := range ts {
		t.client = ids.New(ids.Options{
			Region:           "us-east-1",
			Credentials:      credentials.NewStaticCredentialsProvider(t.key, t.secret, ""),
			BaseEndpoint:     aws.String(t.url),
			RetryMaxAttempts: 1,
			HTTPClient:       &http.Client{Transport: transport},
		})
		if err := t.seed(ctx, *seedUsers, (*maxOps / *seedUsers)+1); err != nil {
			fmt.Fprintf(os.Stderr, "%s: seed: %v\n", t.name, err)
			os.Exit(1)
		}
	}
	phases := []struct {
		name string
		op   func(ctx context.Context, t *target, i int) error
	}{
		{"CreateUser", func(ctx context.Context, t *target, i int) error {
			_, err := t.client.CreateUser(ctx, user(t.store, fmt.Sprintf("load-%d", i)))
			return err
		}},
		{"GetUserId", func(ctx context.Context, t *target, i int) error {
			_, err := t.client.GetUserId(ctx, &ids.GetUserIdInput{IdentityStoreId: &t.store,
				AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{
					AttributePath: aws.String("userName"), AttributeValue: document.NewLazyDocument(fmt.Sprintf("seed-%d", i%len(t.users)))}}})
			return err
		}},
		{"ListUsers(page of 50)", func(ctx context.Context, t *target, i int) error {
			_, err := t.client.ListUsers(ctx, &ids.ListUsersInput{IdentityStoreId: &t.store, MaxResults: aws.Int32(50)})
			return err
		}},
		{"CreateGroupMembership", func(ctx context.Context, t *target, i int) error {
			_, err := t.client.CreateGroupMembership(ctx, &ids.CreateGroupMembershipInput{IdentityStoreId: &t.store,
				GroupId: &t.groups[i/len(t.users)], MemberId: &types.MemberIdMemberUserId{Value: t.users[i%len(t.users)]}})
			return err
		}},
	}
	fmt.Printf("identitystore workload: %d concurrent clients, each phase at most %d ops or %v\n\n", *conc, *maxOps, *maxTime)
	fmt.Printf("%-24s", "operation")
	for _, t := range ts {
		fmt.Printf(" %22s", t.name+" ops/s (p50/p99)")
	}
	if len(ts) > 1 {
		fmt.Printf("  ratio %s/%s", ts[0].name, ts[1].name)
	}
	fmt.Println()
	var cpuNotes, budgetNotes []string
	anyClosed := false
	for _, ph := range phases {
		if *only != "" && !slices.ContainsFunc(strings.Split(*only, ","), func(n string) bool { return strings.HasPrefix(ph.name, n) }) {
			continue
		}
		fmt.Printf("%-24s", ph.name)
		var (
			rates     []float64
			clientPer time.Duration // the load generator's CPU per operation against the first target
		)
		for _, t := range ts {
			server, client := proccpu.Of(t.pid), proccpu.Self()
			r := run(ctx, *conc, *maxOps, *maxTime, func(ctx context.Context, i int) error { return ph.op(ctx, t, i) })
			server, client = proccpu.Of(t.pid)-server, proccpu.Self()-client
			if r.ops > 0 && len(rates) == 0 {
				clientPer = client / time.Duration(r.ops)
			}
			if r.ops > 0 {
				note := fmt.Sprintf("%-24s %-10s client %v", ph.name, t.name, (client / time.Duration(r.ops)).Round(time.Microsecond))
				if t.pid > 0 {
					note += fmt.Sprintf(", server %v", (server / time.Duration(r.ops)).Round(time.Microsecond))
				}
				cpuNotes = append(cpuNotes, note)
			}
			rates = append(rates, r.rate())
			cell := fmt.Sprintf("%.0f (%s/%s)", r.rate(), round(r.pct(0.5)), round(r.pct(0.99)))
			if r.errors > 0 {
				cell += fmt.Sprintf(" %d errors", r.errors)
			}
			if r.closed > 0 {
				cell += fmt.Sprintf(" %d closed*", r.closed)
				anyClosed = true
			}
			fmt.Printf(" %22s", cell)
		}
		if len(rates) > 1 {
			fmt.Printf("  %.1fx", rates[0]/rates[1])
			if *goal > 0 && rates[1] > 0 && clientPer > 0 {
				budgetNotes = append(budgetNotes, budget(ph.name, *goal, rates[1], clientPer))
			}
		}
		fmt.Println()
	}
	if anyClosed {
		fmt.Println("\n* closed: calls that failed with \"use of closed network connection\" after a 200 answer, the SDK's own race" +
			" (aws/aws-sdk-go-v2#2737: it closes the request body when the headers arrive; its default retryer retries these, this load generator retries nothing)")
	}
	fmt.Println("\nCPU per operation (the load generator's, and the server's where its pid was given):")
	for _, n := range cpuNotes {
		fmt.Println("  " + n)
	}
	if len(budgetNotes) > 0 {
		fmt.Printf("\nWhat %gx %s would take on this machine (%d cores shared by the load generator and the server):\n", *goal, ts[1].name, runtime.NumCPU())
		for _, n := range budgetNotes {
			fmt.Println("  " + n)
		}
	}
}

// budget says what a throughput of goal times the peer's rate would take:
// the load generator's own CPU at that rate (from what it spent per
// operation against the first target), and the CPU per operation that
// leaves the server if nothing else ran on the machine.
func budget(phase string, goal, peerRate float64, clientPer time.Duration) string {
	rate := goal * peerRate
	clientCores := rate * clientPer.Seconds()
	left := float64(runtime.NumCPU()) - clientCores
	s := fmt.Sprintf("%-24s %.0f ops/s; the load generator alone would use %.2f cores", phase, rate, clientCores)
	if left <= 0 {
		return s + ", more than the machine has"
	}
	return s + fmt.Sprintf(", leaving the server %v of CPU per operation", time.Duration(left/rate*float64(time.Second)).Round(time.Microsecond))
}

func round(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.Round(100 * time.Microsecond).String()
	}
}

func user(store, name string) *ids.CreateUserInput {
	return &ids.CreateUserInput{
		IdentityStoreId: aws.String(store), UserName: aws.String(name), DisplayName: aws.String(name),
		Name:   &types.Name{GivenName: aws.String("Load"), FamilyName: aws.String("Test")},
		Emails: []types.Email{{Value: aws.String(name + "@example.com"), Type: aws.String("work"), Primary: true}},
	}
}

// seed creates the users the read phases look up and the groups the
// membership phase fills.
func (t *target) seed(ctx context.Context, users, groups int) error {
	for i := range users {
		out, err := t.client.CreateUser(ctx, user(t.store, fmt.Sprintf("seed-%d", i)))
		if err != nil {
			return err
		}
		t.users = append(t.users, aws.ToString(out.UserId))
	}
	for i := range groups {
		out, err := t.client.CreateGroup(ctx, &ids.CreateGroupInput{IdentityStoreId: &t.store, DisplayName: aws.String(fmt.Sprintf("group-%d", i))})
		if err != nil {
			return err
		}
		t.groups = append(t.groups, aws.ToString(out.GroupId))
	}
	return nil
}

// run performs op with conc workers until maxOps operations or maxTime.
func run(ctx context.Context, conc, maxOps int, maxTime time.Duration, op func(ctx context.Context, i int) error) result {
	var (
		next   atomic.Int64
		errs   atomic.Int64
		closed atomic.Int64
		mu     sync.Mutex
		lat    []time.Duration
		wg     sync.WaitGroup
		start  = time.Now()
		cutoff = start.Add(maxTime)
	)
	for range conc {
		wg.Go(func() {
			var mine []time.Duration
			for {
				i := int(next.Add(1) - 1)
				if i >= maxOps || time.Now().After(cutoff) {
					break
				}
				t0 := time.Now()
				if err := op(ctx, i); err != nil {
					if errors.Is(err, net.ErrClosed) {
						closed.Add(1)
					} else if errs.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "first error:", err)
					}
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return result{ops: len(lat), elapsed: time.Since(start), errors: int(errs.Load()), closed: int(closed.Load()), lat: lat}
}

// cannedServer answers every identitystore call with a fixed body, without
// doing anything. Its throughput is what the client and net/http alone allow
// on this machine: the ceiling for any server.
func cannedServer() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	const id = "0123456789-8b0ce7a2-3f5b-4b7e-9d8e-2a1b3c4d5e6f"
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch t := r.Header.Get("X-Amz-Target"); {
		case strings.HasSuffix(t, ".CreateGroup"):
			w.Write([]byte(`{"IdentityStoreId":"d-0123456789","GroupId":"` + id + `"}`))
		case strings.HasSuffix(t, ".ListUsers"):
			w.Write([]byte(`{"Users":[]}`))
		case strings.HasSuffix(t, ".CreateGroupMembership"):
			w.Write([]byte(`{"IdentityStoreId":"d-0123456789","MembershipId":"` + id + `"}`))
		default:
			w.Write([]byte(`{"IdentityStoreId":"d-0123456789","UserId":"` + id + `"}`))
		}
	}))
	return "http://" + ln.Addr().String()
}
