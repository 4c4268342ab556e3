package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ids "github.com/aws/aws-sdk-go-v2/service/identitystore"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// gatehouseBinary builds the real binary once per test run.
func gatehouseBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gatehouse")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running gatehouse process.
type proc struct {
	cmd    *exec.Cmd
	URL    string
	stdout *strings.Builder
	done   chan error
	// storeID is the identity store id from the listening line.
	storeID string
}

var listenLine = regexp.MustCompile(`gatehouse listening"? addr=(\S+)`)

// storeIDField is the identity store id in the listening line: the same
// id the first start prints on stdout, but read from stderr in the same
// line as the address, so a test needs no second pipe to have caught up.
var storeIDField = regexp.MustCompile(`identity_store_id=(d-[0-9a-f]{10})`)

// startProcess runs `gatehouse serve` with args and waits until it listens.
func startProcess(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(gatehouseBinary(t), append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	p := &proc{cmd: cmd, stdout: &strings.Builder{}, done: make(chan error, 1)}
	cmd.Stdout = p.stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				if id := storeIDField.FindStringSubmatch(sc.Text()); id != nil {
					p.storeID = id[1]
				}
				addr <- m[1]
			}
			if testing.Verbose() {
				fmt.Fprintln(os.Stderr, "gatehouse:", sc.Text())
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case err := <-p.done:
		t.Fatalf("gatehouse exited before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("gatehouse did not start listening within 30s")
	}
	return p
}

func readCredentials(t *testing.T, dir string) (key, secret string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "admin-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " = ")
		switch k {
		case "aws_access_key_id":
			key = v
		case "aws_secret_access_key":
			secret = v
		}
	}
	return key, secret
}

func sdkClient(url, key, secret string) *ids.Client {
	return ids.New(ids.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
}

// TestTwoProcessesOnePostgres runs two gatehouse processes on one
// PostgreSQL database and checks that they behave as one service.
func TestTwoProcessesOnePostgres(t *testing.T) {
	dsn := postgresDSN(t)
	shared := t.TempDir()
	keyring := filepath.Join(shared, "keyring.json")
	dirA, dirB := t.TempDir(), t.TempDir()
	a := startProcess(t, "--db-driver", "postgres", "--db-dsn", dsn, "--keyring", keyring, "--data-dir", dirA)
	b := startProcess(t, "--db-driver", "postgres", "--db-dsn", dsn, "--keyring", keyring, "--data-dir", dirB)
	// Exactly one of them created the instance and wrote the credentials.
	var credDir string
	for _, d := range []string{dirA, dirB} {
		if _, err := os.Stat(filepath.Join(d, "admin-credentials")); err == nil {
			if credDir != "" {
				t.Fatal("both processes bootstrapped an instance")
			}
			credDir = d
		}
	}
	if credDir == "" {
		t.Fatal("neither process wrote admin-credentials")
	}
	key, secret := readCredentials(t, credDir)
	ca, cb := sdkClient(a.URL, key, secret), sdkClient(b.URL, key, secret)
	ctx := context.Background()
	sid := a.storeID
	if sid == "" || b.storeID != sid {
		t.Fatalf("identity store ids in the listening lines: %q and %q, want one and the same", a.storeID, b.storeID)
	}

	// A user made on one is visible on the other at once.
	u, err := ca.CreateUser(ctx, newUserInput(sid, "shared"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cb.DescribeUser(ctx, &ids.DescribeUserInput{IdentityStoreId: &sid, UserId: u.UserId}); err != nil {
		t.Fatalf("replica B does not see replica A's user: %v", err)
	}

	// Uniqueness holds across processes: 20 racing creates of one name.
	var wg sync.WaitGroup
	results := make([]error, 20)
	for i := range 20 {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		wg.Go(func() {
			_, results[i] = c.CreateUser(ctx, newUserInput(sid, "racer"))
		})
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		if err == nil {
			won++
		} else if apiCode(err) != "ConflictException" {
			t.Fatalf("racing create failed with %v, want ConflictException", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d racing creates of one user name succeeded, want 1", won)
	}

	// No lost updates: concurrent updates of different attributes of one
	// user, through both processes, all survive.
	attrs := []string{"nickName", "title", "userType", "locale", "timezone", "preferredLanguage", "profileUrl", "website"}
	for i, attr := range attrs {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		wg.Go(func() {
			_, err := c.UpdateUser(ctx, &ids.UpdateUserInput{IdentityStoreId: &sid, UserId: u.UserId,
				Operations: []idsAttributeOperation{attrOp(attr, "value-"+attr)}})
			if err != nil {
				t.Errorf("update %s: %v", attr, err)
			}
		})
	}
	wg.Wait()
	got, err := cb.DescribeUser(ctx, &ids.DescribeUserInput{IdentityStoreId: &sid, UserId: u.UserId})
	if err != nil {
		t.Fatal(err)
	}
	for attr, v := range map[string]*string{"nickName": got.NickName, "title": got.Title, "userType": got.UserType, "locale": got.Locale,
		"timezone": got.Timezone, "preferredLanguage": got.PreferredLanguage, "profileUrl": got.ProfileUrl, "website": got.Website} {
		if aws.ToString(v) != "value-"+attr {
			t.Errorf("%s = %q after concurrent updates: an update was lost", attr, aws.ToString(v))
		}
	}
}

// TestGracefulShutdown sends SIGTERM while writes are in flight: the process
// exits cleanly, and every write it acknowledged is there after a restart.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	p := startProcess(t, "--data-dir", dir)
	key, secret := readCredentials(t, dir)
	sid := p.storeID
	if sid == "" {
		t.Fatal("no identity store id in the listening line")
	}
	c := sdkClient(p.URL, key, secret)
	ctx := context.Background()

	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				out, err := c.CreateUser(ctx, newUserInput(sid, fmt.Sprintf("w%d-%d", w, i)))
				if err != nil {
					continue // refused once shutdown began; not acknowledged
				}
				mu.Lock()
				acked = append(acked, *out.UserId)
				mu.Unlock()
			}
		})
	}
	// Let writes flow, then ask the process to stop while they continue.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 50 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("gatehouse exited with %v after SIGTERM, want a clean exit", err)
		}
		p.done <- nil // for the cleanup
	case <-time.After(40 * time.Second):
		t.Fatal("gatehouse did not exit within 40s of SIGTERM")
	}
	close(stop)
	wg.Wait()

	// Restart on the same data and check every acknowledged user.
	p2 := startProcess(t, "--data-dir", dir)
	c2 := sdkClient(p2.URL, key, secret)
	for _, id := range acked {
		if _, err := c2.DescribeUser(ctx, &ids.DescribeUserInput{IdentityStoreId: &sid, UserId: aws.String(id)}); err != nil {
			t.Fatalf("acknowledged user %s is missing after restart: %v", id, err)
		}
	}
	t.Logf("%d acknowledged writes, all present after restart", len(acked))
	if resp, err := http.Get(p2.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("restarted process unhealthy: %v", err)
	}
}
