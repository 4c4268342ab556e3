// Command ssoadmin is a load generator for the sso-admin workload of an
// Identity Center administrator: CreatePermissionSet,
// AttachManagedPolicyToPermissionSet, CreateAccountAssignment, then
// DescribeAccountAssignmentCreationStatus until the assignment leaves
// IN_PROGRESS. It drives any endpoint that speaks the API (Gatehouse,
// moto_server) with aws-sdk-go-v2 over loopback, bounded by a count and a
// time, and prints the throughput and per-call latencies.
//
//	go run ./bench/ssoadmin -endpoint http://127.0.0.1:8080 -key AKIA… -secret … [-iterations 2000 -duration 60s -concurrency 8]
//
// The last lines are machine-readable: "CPU <label> <the load generator's
// CPU seconds per iteration>" and "RESULT <label> <iterations/s>".
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ids "github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/gatehouse/gatehouse/bench/internal/proccpu"
)

func main() {
	endpoint := flag.String("endpoint", "", "base URL of the server")
	key := flag.String("key", "bench", "access key id")
	secret := flag.String("secret", "bench", "secret access key")
	label := flag.String("label", "server", "name printed with the results")
	iterations := flag.Int("iterations", 3000, "workload iterations to run at most (each creates a permission set; an instance holds 3,500)")
	duration := flag.Duration("duration", 60*time.Second, "time to run at most")
	concurrency := flag.Int("concurrency", 32, "concurrent clients")
	pause := flag.Duration("poll-pause", 5*time.Millisecond, "pause before each status poll")
	pid := flag.Int("pid", 0, "pid of the server process: its CPU per iteration is printed beside the load generator's")
	flag.Parse()
	if *endpoint == "" {
		fmt.Fprintln(os.Stderr, "-endpoint is required")
		os.Exit(2)
	}
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(*key, *secret, ""),
		BaseEndpoint:     endpoint,
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
	}
	ctx := context.Background()
	sso := ssoadmin.NewFromConfig(cfg)
	insts, err := sso.ListInstances(ctx, &ssoadmin.ListInstancesInput{})
	check("ListInstances", err)
	if len(insts.Instances) == 0 {
		fail("the server has no instance")
	}
	in := insts.Instances[0]
	inst, account := aws.ToString(in.InstanceArn), aws.ToString(in.OwnerAccountId)
	g, err := ids.NewFromConfig(cfg).CreateGroup(ctx, &ids.CreateGroupInput{
		IdentityStoreId: in.IdentityStoreId, DisplayName: aws.String("bench-" + randomHex(4)),
	})
	check("CreateGroup", err)
	group := aws.ToString(g.GroupId)

	run := randomHex(3)
	var (
		next     atomic.Int64
		done     atomic.Int64
		requests atomic.Int64
		mu       sync.Mutex
		lat      = map[string][]time.Duration{}
		wg       sync.WaitGroup
	)
	record := func(op string, d time.Duration) {
		requests.Add(1)
		mu.Lock()
		lat[op] = append(lat[op], d)
		mu.Unlock()
	}
	timed := func(op string, fn func() error) {
		t0 := time.Now()
		err := fn()
		record(op, time.Since(t0))
		check(op, err)
	}
	deadline := time.Now().Add(*duration)
	start, serverCPU, clientCPU := time.Now(), proccpu.Of(*pid), proccpu.Self()
	for range *concurrency {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(*iterations) || time.Now().After(deadline) {
					return
				}
				var psArn string
				timed("CreatePermissionSet", func() error {
					out, err := sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{
						InstanceArn: &inst, Name: aws.String(fmt.Sprintf("b%s-%d", run, i)), SessionDuration: aws.String("PT2H"),
					})
					if err == nil {
						psArn = aws.ToString(out.PermissionSet.PermissionSetArn)
					}
					return err
				})
				timed("AttachManagedPolicyToPermissionSet", func() error {
					_, err := sso.AttachManagedPolicyToPermissionSet(ctx, &ssoadmin.AttachManagedPolicyToPermissionSetInput{
						InstanceArn: &inst, PermissionSetArn: &psArn, ManagedPolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3FullAccess"),
					})
					return err
				})
				var reqID string
				timed("CreateAccountAssignment", func() error {
					out, err := sso.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{
						InstanceArn: &inst, PermissionSetArn: &psArn, TargetId: &account, TargetType: types.TargetTypeAwsAccount,
						PrincipalType: types.PrincipalTypeGroup, PrincipalId: &group,
					})
					if err == nil {
						reqID = aws.ToString(out.AccountAssignmentCreationStatus.RequestId)
					}
					return err
				})
				// Poll as a client would, pausing briefly before each look.
				for polls := 0; ; polls++ {
					time.Sleep(*pause)
					var st types.StatusValues
					timed("DescribeAccountAssignmentCreationStatus", func() error {
						out, err := sso.DescribeAccountAssignmentCreationStatus(ctx, &ssoadmin.DescribeAccountAssignmentCreationStatusInput{
							InstanceArn: &inst, AccountAssignmentCreationRequestId: &reqID,
						})
						if err == nil {
							st = out.AccountAssignmentCreationStatus.Status
						}
						return err
					})
					if st == types.StatusValuesSucceeded {
						break
					}
					if st == types.StatusValuesFailed || polls > 10000 {
						fail(fmt.Sprintf("assignment %s ended %s after %d polls", reqID, st, polls))
					}
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	serverCPU, clientCPU = proccpu.Of(*pid)-serverCPU, proccpu.Self()-clientCPU
	n := done.Load()
	fmt.Printf("%s: %d iterations (%d requests) in %v with %d clients: %.1f iterations/s, %.0f requests/s\n",
		*label, n, requests.Load(), elapsed.Round(time.Millisecond), *concurrency,
		float64(n)/elapsed.Seconds(), float64(requests.Load())/elapsed.Seconds())
	ops := make([]string, 0, len(lat))
	for op := range lat {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		d := lat[op]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		fmt.Printf("  %-40s %7d calls  p50 %9v  p99 %9v\n", op, len(d), d[len(d)/2].Round(time.Microsecond), d[len(d)*99/100].Round(time.Microsecond))
	}
	if n > 0 {
		perIter := func(d time.Duration) time.Duration { return (d / time.Duration(n)).Round(time.Microsecond) }
		line := fmt.Sprintf("  CPU per iteration: load generator %v", perIter(clientCPU))
		if *pid > 0 {
			line += fmt.Sprintf(", %s %v", *label, perIter(serverCPU))
		}
		fmt.Println(line)
		fmt.Printf("CPU %s %.6f\n", *label, clientCPU.Seconds()/float64(n))
	}
	fmt.Printf("RESULT %s %.3f\n", *label, float64(n)/elapsed.Seconds())
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func check(what string, err error) {
	if err != nil {
		fail(what + ": " + err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "ssoadmin bench:", msg)
	os.Exit(1)
}
