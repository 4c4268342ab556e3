package s3gw

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/sigv4"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
)

// BenchmarkGatewayGet measures the gateway's own cost per small GET: the
// full path (verification, decision, durable audit, re-signing, proxying)
// in front of an in-process upstream that answers a canned 4 KiB object at
// once, so that what is left is the gateway. Run with -cpu 1,2 and
// -cpuprofile to see where the time goes.
func BenchmarkGatewayGet(b *testing.B) {
	ctx := context.Background()
	body := make([]byte, 4096)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer up.Close()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	keys := accesskey.New(db, keyring.NewForTest(), nil)
	var key accesskey.Key
	if err := db.Update(ctx, func(tx store.Tx) (err error) {
		key, err = keys.Create(ctx, tx, "arn:aws:iam::"+testAccount+":user/gatehouse-admin", testAccount)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	cat, err := loadCatalogue()
	if err != nil {
		b.Fatal(err)
	}
	p, _ := cat.Get(authz.AdministratorAccessARN)
	set, err := authz.AdminPolicySet(p.Document)
	if err != nil {
		b.Fatal(err)
	}
	az, err := authz.New(authz.Options{Roles: authz.NewRoles(db, access.New(db, cat, "ssoins-0123456789abcdef", access.Options{}), 0, nil), AdminPolicy: set})
	if err != nil {
		b.Fatal(err)
	}
	gw, err := New(Config{Upstream: up.URL, UpstreamCredentials: sigv4.Credentials{AccessKeyID: "up", SecretAccessKey: "up"},
		Region: testRegion, Resolver: authz.NewResolver(keys, nil, nil), Authz: az, Audit: audit.NewRecorder(db), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(reqinfo.Middleware{}.Wrap(gw))
	defer srv.Close()
	creds := sigv4.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret.Reveal()}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func() {
		r, _ := http.NewRequest(http.MethodGet, srv.URL+"/bucket/key", nil)
		r.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
		_ = sigv4.Signer{Path: sigv4.PathAsSent}.Sign(r, sigv4.EmptySHA256, creds, testRegion, "s3", time.Now())
		resp, err := hc.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	get()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get()
		}
	})
}
