package tempcred_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/entitlement"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/managedpolicy"
	"github.com/gatehouse/gatehouse/internal/org"
	"github.com/gatehouse/gatehouse/internal/sigv4"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/tempcred"
)

// assignment is the one that entitles u1 to the role in the tests.
var assignment = store.AccountAssignment{AccountID: "111122223333", PermissionSetID: "ps-0123456789abcdef",
	PrincipalType: "USER", PrincipalID: "u1"}

type fixture struct {
	db    *sqlstore.DB
	path  string
	svc   *tempcred.Service
	ent   *entitlement.Service
	mu    sync.Mutex
	now   time.Time
	creds tempcred.Credentials
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

var ctx = context.Background()

func newFixture(t *testing.T, ttl time.Duration) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := sqlstore.Open(ctx, sqlstore.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, path: path, now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	catalogue, err := managedpolicy.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The real entitlement service on the same store.
	f.ent = entitlement.New(db, access.New(db, catalogue, "ssoins-0123456789abcdef", access.Options{Now: f.clock}),
		org.New(db, org.Options{Now: f.clock}))
	f.svc = tempcred.New(db, keyring.NewForTest(), f.ent, tempcred.Options{Now: f.clock, CacheTTL: ttl})
	err = db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, store.User{ID: "u1", UserName: "alice", UserNameKey: "alice", Status: "ENABLED",
			CreatedAt: f.now, UpdatedAt: f.now, Version: 1}); err != nil {
			return err
		}
		a := assignment
		a.CreatedAt = f.now
		if _, err := tx.CreateAccountAssignment(ctx, a); err != nil {
			return err
		}
		f.creds, err = f.svc.Mint(ctx, tx, tempcred.Request{UserID: "u1", UserName: "alice", SessionID: "ps-1",
			AccountID: "111122223333", PermissionSetID: "ps-0123456789abcdef", RoleName: "AWSReservedSSO_Dev_0123456789abcdef",
			RoleID: "AROAEXAMPLEROLEID0001", Duration: time.Hour, MFAPresent: true, AuthTime: f.now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// principals resolves through the service, as cmd/gatehouse does.
type principals struct{ s *tempcred.Service }

func (p principals) Resolve(ctx context.Context, id string) (awsapi.Principal, error) {
	s, err := p.s.Resolve(ctx, id)
	if err == tempcred.ErrUnknown {
		return awsapi.Principal{}, awsapi.ErrUnknownKey
	}
	if err != nil {
		return awsapi.Principal{}, err
	}
	return awsapi.Principal{Secret: s.Secret.Reveal(), TokenHash: s.TokenHash, Expires: s.ExpiresAt, Revoked: s.Revoked,
		Caller: awsapi.Caller{AccessKeyID: id, PrincipalARN: s.ARN(), PrincipalID: s.PrincipalID(), AccountID: s.AccountID}}, nil
}

const body = "Action=GetCallerIdentity&Version=2011-06-15"

func (f *fixture) request(t *testing.T, creds sigv4.Credentials, at time.Time, mutate func(*http.Request)) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://gatehouse.test/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := (sigv4.Signer{}).Sign(r, hex.EncodeToString(sum[:]), creds, "us-east-1", "sts", at); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(r)
	}
	return r
}

func (f *fixture) good() sigv4.Credentials {
	return sigv4.Credentials{AccessKeyID: f.creds.AccessKeyID, SecretAccessKey: f.creds.SecretAccessKey.Reveal(),
		SessionToken: f.creds.SessionToken.Reveal()}
}

// authCode authenticates a request as the STS router does and returns the
// Query error code ("" on success).
func (f *fixture) authCode(t *testing.T, r *http.Request, b string) string {
	t.Helper()
	auth := awsapi.NewSigV4Auth(principals{f.svc}, []string{"us-east-1"}, f.clock)
	c, werr := auth.AuthenticateQuery(r, []byte(b), "sts")
	if werr != nil {
		return werr.Code
	}
	if c.PrincipalARN != "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/alice" ||
		c.PrincipalID != "AROAEXAMPLEROLEID0001:alice" {
		t.Fatalf("caller %+v", c)
	}
	return ""
}

// SECURITY.md #48 for temporary credentials.
func TestSigV4Negatives(t *testing.T) {
	f := newFixture(t, -1)
	other := f.mintOther(t)
	cases := []struct {
		name   string
		creds  func() sigv4.Credentials
		at     time.Duration
		mutate func(*http.Request)
		body   string
		want   string
	}{
		{name: "valid", want: ""},
		{name: "body changed after signing", body: body + "&X=1", want: "SignatureDoesNotMatch"},
		{name: "signed header changed", mutate: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, want: "SignatureDoesNotMatch"},
		{name: "query added", mutate: func(r *http.Request) { r.URL.RawQuery, r.RequestURI = "a=b", "/?a=b" }, want: "SignatureDoesNotMatch"},
		{name: "path changed", mutate: func(r *http.Request) { r.URL.Path, r.RequestURI = "/x", "/x" }, want: "SignatureDoesNotMatch"},
		{name: "date 16 minutes behind", at: -16 * time.Minute, want: "SignatureDoesNotMatch"},
		{name: "date 16 minutes ahead", at: 16 * time.Minute, want: "SignatureDoesNotMatch"},
		{name: "no session token", creds: func() sigv4.Credentials { c := f.good(); c.SessionToken = ""; return c },
			want: "InvalidClientTokenId"},
		{name: "token removed after signing", mutate: func(r *http.Request) { r.Header.Del("X-Amz-Security-Token") }, want: "InvalidClientTokenId"},
		{name: "another session's token", creds: func() sigv4.Credentials {
			c := f.good()
			c.SessionToken = other.SessionToken.Reveal()
			return c
		}, want: "InvalidClientTokenId"},
		{name: "tampered token", creds: func() sigv4.Credentials { c := f.good(); c.SessionToken = otherFirst(c.SessionToken); return c },
			want: "InvalidClientTokenId"},
		{name: "unknown key", creds: func() sigv4.Credentials { c := f.good(); c.AccessKeyID = "ASIAAAAAAAAAAAAAAAAA"; return c },
			want: "InvalidClientTokenId"},
		{name: "wrong secret", creds: func() sigv4.Credentials { c := f.good(); c.SecretAccessKey = otherFirst(c.SecretAccessKey); return c },
			want: "SignatureDoesNotMatch"},
		{name: "duplicate host", mutate: func(r *http.Request) { r.Header.Add("Host", "evil.test") }, want: "IncompleteSignature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			creds := f.good()
			if tc.creds != nil {
				creds = tc.creds()
			}
			b := body
			if tc.body != "" {
				b = tc.body
			}
			r := f.request(t, creds, f.clock().Add(tc.at), tc.mutate)
			if got := f.authCode(t, r, b); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	// Wrong region and service in the scope.
	r := httptest.NewRequest(http.MethodPost, "http://gatehouse.test/", strings.NewReader(body))
	sum := sha256.Sum256([]byte(body))
	_ = (sigv4.Signer{}).Sign(r, hex.EncodeToString(sum[:]), f.good(), "eu-west-1", "sts", f.clock())
	if got := f.authCode(t, r, body); got != "SignatureDoesNotMatch" {
		t.Fatalf("wrong region: %q", got)
	}
	r = httptest.NewRequest(http.MethodPost, "http://gatehouse.test/", strings.NewReader(body))
	_ = (sigv4.Signer{}).Sign(r, hex.EncodeToString(sum[:]), f.good(), "us-east-1", "iam", f.clock())
	if got := f.authCode(t, r, body); got != "SignatureDoesNotMatch" {
		t.Fatalf("wrong service: %q", got)
	}
	// Expired session.
	f.advance(time.Hour)
	if got := f.authCode(t, f.request(t, f.good(), f.clock(), nil), body); got != "ExpiredToken" {
		t.Fatalf("expired session: %q", got)
	}
}

func (f *fixture) mintOther(t *testing.T) tempcred.Credentials {
	t.Helper()
	var c tempcred.Credentials
	err := f.db.Update(ctx, func(tx store.Tx) (err error) {
		c, err = f.svc.Mint(ctx, tx, tempcred.Request{UserID: "u1", UserName: "alice", SessionID: "ps-2", AccountID: "111122223333",
			PermissionSetID: "ps-0123456789abcdef", RoleName: "AWSReservedSSO_Dev_0123456789abcdef", RoleID: "AROAEXAMPLEROLEID0001",
			Duration: time.Hour})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// SECURITY.md #50 and #56: revocation forms, the cache bound, and nothing
// usable at rest.
func TestRevocationAndCache(t *testing.T) {
	f := newFixture(t, 2*time.Second)
	resolve := func(id string) tempcred.Session {
		t.Helper()
		s, err := f.svc.Resolve(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := resolve(f.creds.AccessKeyID)
	if s.Revoked || !s.MFAPresent || s.ExpiresAt != f.clock().Add(time.Hour) || s.Secret != f.creds.SecretAccessKey {
		t.Fatalf("session %+v", s)
	}
	// Another replica (another service on the same store) revokes: this
	// one sees it once its cache entry lapses, never later.
	other := tempcred.New(f.db, keyring.NewForTest(), f.ent, tempcred.Options{Now: f.clock})
	if err := f.db.Update(ctx, func(tx store.Tx) error { return other.RevokeUser(ctx, tx, "u1") }); err != nil {
		t.Fatal(err)
	}
	if resolve(f.creds.AccessKeyID).Revoked {
		t.Fatal("revoked before the cache bound: the test's premise is wrong")
	}
	f.advance(f.svc.CacheTTL())
	if !resolve(f.creds.AccessKeyID).Revoked {
		t.Fatal("still valid after the cache bound")
	}
	// Credentials issued after the revocation work.
	f.advance(time.Second)
	fresh := f.mintOther(t)
	if resolve(fresh.AccessKeyID).Revoked {
		t.Fatal("credentials issued after the revocation are revoked")
	}
	// Ending the portal session they came from revokes them (this replica
	// forgets its cache at once).
	if err := f.db.Update(ctx, func(tx store.Tx) error { return f.svc.Hook().SessionsEnded(ctx, tx, "u1", "ps-2") }); err != nil {
		t.Fatal(err)
	}
	if !resolve(fresh.AccessKeyID).Revoked {
		t.Fatal("credentials of an ended session still valid")
	}
	// Losing the assignment.
	fresh2 := f.mintOther(t)
	if err := f.db.Update(ctx, func(tx store.Tx) error { return tx.DeleteAccountAssignment(ctx, assignment.Key()) }); err != nil {
		t.Fatal(err)
	}
	f.advance(f.svc.CacheTTL())
	if !resolve(fresh2.AccessKeyID).Revoked {
		t.Fatal("credentials of a removed assignment still valid")
	}
	// Nothing usable at rest: neither the secret nor the session token is
	// in the database file.
	f.db.Close()
	var dump []byte
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(f.path + suffix)
		dump = append(dump, b...)
	}
	for _, secret := range []string{f.creds.SecretAccessKey.Reveal(), f.creds.SessionToken.Reveal()[:40]} {
		if bytes.Contains(dump, []byte(secret)) {
			t.Fatal("a secret is stored in plaintext")
		}
	}
}

// TestRevocationForgetsCacheAfterCommit: a resolution that runs while the
// revoking transaction is still open reads the state from before it; the
// revoking replica must not keep that answer once the revocation has
// committed.
func TestRevocationForgetsCacheAfterCommit(t *testing.T) {
	f := newFixture(t, time.Hour) // a cache entry would outlive the test
	if err := f.db.Update(ctx, func(tx store.Tx) error {
		if err := f.svc.RevokeUser(ctx, tx, "u1"); err != nil {
			return err
		}
		// Another request on this replica, outside the transaction.
		s, err := f.svc.Resolve(ctx, f.creds.AccessKeyID)
		if err != nil {
			return err
		}
		if s.Revoked {
			t.Error("a resolution outside the transaction saw its uncommitted revocation")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s, err := f.svc.Resolve(ctx, f.creds.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Revoked {
		t.Fatal("after the revocation committed, this replica still answers from what it cached before the commit")
	}
}

// otherFirst returns s with its first character replaced by a different
// one, so a "tampered" value always differs.
func otherFirst(s string) string {
	if s[0] == 'x' {
		return "y" + s[1:]
	}
	return "x" + s[1:]
}
