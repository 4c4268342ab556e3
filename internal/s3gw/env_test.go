package s3gw

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/managedpolicy"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/s3gw/mototest"
	"github.com/gatehouse/gatehouse/internal/sigv4"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
)

const (
	testAccount = "111122223333"
	testRegion  = "us-east-1"
	testDomain  = "s3.gatehouse.test"
)

var loadCatalogue = sync.OnceValues(managedpolicy.Load)

// testEnv is a gateway in front of a fresh moto_server, with an
// administrator key whose permission set is adminPolicy.
type testEnv struct {
	t           *testing.T
	moto        *mototest.Server
	db          store.Store
	gw          *Gateway
	URL         string
	adminID     string
	adminSecret string
	clock       *clock
}

// clock is a settable clock for the signature-time tests; it follows real
// time from the offset it is given.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// newEnv starts the gateway. adminPolicy "" means AWS's
// AdministratorAccess, which Gatehouse's administrator keys act with.
func newEnv(t *testing.T, adminPolicy string) *testEnv {
	t.Helper()
	m := mototest.Start(t)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{}
	keys := accesskey.New(db, keyring.NewForTest(), clk.now)
	var key accesskey.Key
	err = db.Update(ctx, func(tx store.Tx) error {
		key, err = keys.Create(ctx, tx, "arn:aws:iam::"+testAccount+":user/gatehouse-admin", testAccount)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if adminPolicy == "" {
		p, _ := cat.Get(authz.AdministratorAccessARN)
		adminPolicy = p.Document
	}
	doc, err := policy.Parse([]byte(adminPolicy), policy.IdentityBased)
	if err != nil {
		t.Fatal(err)
	}
	set, err := authz.CompileSet(policy.Set{Identity: []policy.Policy{{Name: "test-admin-policy", Document: doc}}})
	if err != nil {
		t.Fatal(err)
	}
	az, err := authz.New(authz.Options{
		Roles:       authz.NewRoles(db, access.New(db, cat, "ssoins-0123456789abcdef", access.Options{Now: clk.now}), 0, clk.now),
		AdminPolicy: set,
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("GATEHOUSE_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	gw, err := New(Config{
		Upstream: m.URL, UpstreamCredentials: sigv4.Credentials{AccessKeyID: "moto", SecretAccessKey: "moto-secret"},
		Region: testRegion, Domains: []string{testDomain},
		Resolver: authz.NewResolver(keys, nil, clk.now), Authz: az, Audit: audit.NewRecorder(db),
		Log: log, Now: clk.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reqinfo.Middleware{Now: clk.now}.Wrap(gw))
	t.Cleanup(srv.Close)
	return &testEnv{t: t, moto: m, db: db, gw: gw, URL: srv.URL, adminID: key.ID, adminSecret: key.Secret.Reveal(), clock: clk}
}

// client is an aws-sdk-go-v2 S3 client of the gateway, path-style.
func (e *testEnv) client() *s3.Client {
	return s3.New(s3.Options{
		Region: testRegion, BaseEndpoint: aws.String(e.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(e.adminID, e.adminSecret, ""),
	})
}

// motoClient talks to the upstream directly, to see what reached it.
func (e *testEnv) motoClient() *s3.Client {
	return s3.New(s3.Options{
		Region: testRegion, BaseEndpoint: aws.String(e.moto.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("moto", "moto-secret", ""),
	})
}

// events returns the stored audit events, newest first, decoded.
func (e *testEnv) events() []map[string]any {
	e.t.Helper()
	recs, err := e.db.(*sqlstore.DB).ListAuditEvents(context.Background(), store.AuditQuery{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		if err := json.Unmarshal(r.Document, &out[i]); err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// lastEvent returns the newest audit event named name.
func (e *testEnv) lastEvent(name string) map[string]any {
	e.t.Helper()
	for _, ev := range e.events() {
		if ev["eventName"] == name {
			return ev
		}
	}
	e.t.Fatalf("no audit event %s", name)
	return nil
}

// sign signs r for the gateway with the administrator key.
func (e *testEnv) sign(r *http.Request, payloadHash string) {
	e.t.Helper()
	r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	creds := sigv4.Credentials{AccessKeyID: e.adminID, SecretAccessKey: e.adminSecret}
	if err := (sigv4.Signer{Path: sigv4.PathAsSent}).Sign(r, payloadHash, creds, testRegion, "s3", e.clock.now()); err != nil {
		e.t.Fatal(err)
	}
}

// do sends r and returns the status and body.
func do(t *testing.T, r *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
