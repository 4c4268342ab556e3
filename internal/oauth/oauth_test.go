package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// fixture is the OAuth service on a real SQLite store with a settable
// clock, a user "u1" and a live portal session "ps-1".
type fixture struct {
	svc   *oauth.Service
	db    store.Store
	now   time.Time
	mu    sync.Mutex
	locks map[string]bool
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *fixture) Locked(_ context.Context, id string) (bool, error) { return f.locks[id], nil }

var ctx = reqinfo.NewContext(context.Background(), reqinfo.Info{SourceIP: "192.0.2.10", UserAgent: "aws-cli/2.9", RequestID: "r1"})

func newFixture(t *testing.T, mod ...func(*oauth.Config)) *fixture {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Path: filepath.Join(t.TempDir(), "o.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), locks: map[string]bool{}}
	cfg := oauth.Config{Store: db, Keys: keyring.NewForTest(), Locks: f, PublicURL: "https://gh.example", Now: f.clock}
	for _, m := range mod {
		m(&cfg)
	}
	f.svc = oauth.New(cfg)
	err = db.Update(context.Background(), func(tx store.Tx) error {
		for _, id := range []string{"u1", "u2"} {
			if err := tx.CreateUser(ctx, store.User{ID: id, UserName: id, UserNameKey: id, Status: "ENABLED",
				CreatedAt: f.now, UpdatedAt: f.now, Version: 1}); err != nil {
				return err
			}
		}
		return tx.CreatePortalSession(ctx, store.PortalSession{ID: "ps-1", TokenHash: "th-1", UserID: "u1", MFAMethod: "TOTP",
			CreatedAt: f.now, AuthTime: f.now, ExpiresAt: f.now.Add(8 * time.Hour), LastSeenAt: f.now})
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var alice = oauth.Person{UserID: "u1", UserName: "u1", SessionID: "ps-1"}

func nostage(store.Tx) error { return nil }

func (f *fixture) register(t *testing.T, r oauth.Registration) oauth.Client {
	t.Helper()
	if r.Type == "" {
		r.Type = "public"
	}
	if r.Name == "" {
		r.Name = "botocore-client-test"
	}
	c, err := f.svc.RegisterClient(ctx, r, func(store.Tx, oauth.Client) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func code(err error) string {
	if err == nil {
		return ""
	}
	if c := oauth.ErrorCode(err); c != "" {
		return c
	}
	return "?" + err.Error()
}

func want(t *testing.T, what string, err error, exc string) {
	t.Helper()
	if got := code(err); got != exc {
		t.Fatalf("%s: %q (%v), want %s", what, got, err, exc)
	}
}

func (f *fixture) start(t *testing.T, c oauth.Client) oauth.DeviceStart {
	t.Helper()
	d, err := f.svc.StartDeviceAuthorization(ctx, c.ID, c.Secret.Reveal(), "https://gh.example/start", nostage)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *fixture) poll(c oauth.Client, d oauth.DeviceStart) (oauth.TokenSet, error) {
	return f.svc.CreateToken(ctx, oauth.TokenRequest{ClientID: c.ID, ClientSecret: c.Secret.Reveal(), GrantType: oauth.GrantDeviceCode,
		DeviceCode: d.DeviceCode.Reveal()}, func(store.Tx, oauth.TokenSet) error { return nil })
}

func (f *fixture) approve(t *testing.T, d oauth.DeviceStart, allow bool) {
	t.Helper()
	p, err := f.svc.LookupUserCode(ctx, alice, strings.ToLower(d.UserCode))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Decide(ctx, alice, p.Handle, allow); err != nil {
		t.Fatal(err)
	}
}

// SECURITY.md #25: polling discipline and outcomes.
func TestDevicePolling(t *testing.T) {
	f := newFixture(t)
	c := f.register(t, oauth.Registration{})
	d := f.start(t, c)
	_, err := f.poll(c, d)
	want(t, "first poll", err, oauth.ExcAuthorizationPending)
	// The CLI polls twice at once; the second early poll is tolerated.
	_, err = f.poll(c, d)
	want(t, "second poll at once", err, oauth.ExcAuthorizationPending)
	_, err = f.poll(c, d)
	want(t, "third poll at once", err, oauth.ExcSlowDown)
	// The interval is now 1+5 s: a poll after 2 s is still too fast.
	f.advance(2 * time.Second)
	_, err = f.poll(c, d)
	want(t, "poll after 2 s", err, oauth.ExcAuthorizationPending)
	f.advance(2 * time.Second)
	_, err = f.poll(c, d)
	want(t, "poll 2 s later again", err, oauth.ExcSlowDown)
	f.advance(12 * time.Second)
	_, err = f.poll(c, d)
	want(t, "poll after the longer interval", err, oauth.ExcAuthorizationPending)

	// Another client's credentials.
	other := f.register(t, oauth.Registration{})
	_, err = f.svc.CreateToken(ctx, oauth.TokenRequest{ClientID: other.ID, ClientSecret: c.Secret.Reveal(),
		GrantType: oauth.GrantDeviceCode, DeviceCode: d.DeviceCode.Reveal()}, func(store.Tx, oauth.TokenSet) error { return nil })
	want(t, "wrong secret", err, oauth.ExcInvalidClient)
	_, err = f.svc.CreateToken(ctx, oauth.TokenRequest{ClientID: other.ID, ClientSecret: other.Secret.Reveal(),
		GrantType: oauth.GrantDeviceCode, DeviceCode: d.DeviceCode.Reveal()}, func(store.Tx, oauth.TokenSet) error { return nil })
	want(t, "another client's device code", err, oauth.ExcInvalidGrant)

	f.advance(10 * time.Second)
	f.approve(t, d, true)
	set, err := f.poll(c, d)
	if err != nil || set.AccessToken == "" {
		t.Fatalf("after approval: %+v, %v", set, err)
	}
	f.advance(10 * time.Second)
	_, err = f.poll(c, d)
	want(t, "after success", err, oauth.ExcInvalidGrant)

	// Denied.
	d2 := f.start(t, c)
	f.approve(t, d2, false)
	_, err = f.poll(c, d2)
	want(t, "after denial", err, oauth.ExcAccessDenied)

	// Expired.
	d3 := f.start(t, c)
	f.advance(oauth.DeviceCodeTTL + time.Second)
	_, err = f.poll(c, d3)
	want(t, "after expiry", err, oauth.ExcExpiredToken)
	if _, err := f.svc.LookupUserCode(ctx, alice, d3.UserCode); !errors.Is(err, oauth.ErrBadUserCode) {
		t.Fatalf("expired code at the verification page: %v", err)
	}
}

// SECURITY.md #24: user codes are long, unambiguous, single use, and
// guessing is rate limited with an alert.
func TestUserCodeGuessing(t *testing.T) {
	f := newFixture(t)
	c := f.register(t, oauth.Registration{})
	d := f.start(t, c)
	if len(oauth.NormalizeUserCode(d.UserCode)) != 8 || strings.ContainsAny(d.UserCode, "AEIOU01") {
		t.Fatalf("user code %q", d.UserCode)
	}
	// Case and dashes do not matter.
	p, err := f.svc.LookupUserCode(ctx, alice, " "+strings.ToLower(strings.ReplaceAll(d.UserCode, "-", ""))+" ")
	if err != nil || p.ClientName != "botocore-client-test" || p.SourceIP != "192.0.2.10" {
		t.Fatalf("lookup = %+v, %v", p, err)
	}
	if err := f.svc.Decide(ctx, alice, p.Handle, true); err != nil {
		t.Fatal(err)
	}
	// Single use: approved codes are not found again, and a second
	// decision loses.
	if _, err := f.svc.LookupUserCode(ctx, alice, d.UserCode); !errors.Is(err, oauth.ErrBadUserCode) {
		t.Fatalf("used code: %v", err)
	}
	if err := f.svc.Decide(ctx, alice, p.Handle, false); !errors.Is(err, oauth.ErrBadUserCode) {
		t.Fatalf("second decision: %v", err)
	}
	// Guessing from one session: the session limit (10) stops it, and
	// no guess ever reaches a consent page.
	limited := 0
	for i := range 40 {
		guess := strings.Repeat(string("BCDFGHJKLM"[i%10]), 8)
		_, err := f.svc.LookupUserCode(ctx, alice, guess)
		switch {
		case errors.Is(err, oauth.ErrTooManyCodes):
			limited++
		case errors.Is(err, oauth.ErrBadUserCode):
		default:
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if limited < 40-10 {
		t.Fatalf("only %d of 40 guesses were throttled", limited)
	}
	evs, err := f.db.ListAuditEvents(ctx, store.AuditQuery{EventName: "UserCodeAttemptsLimited", Limit: 10})
	if err != nil || len(evs) == 0 {
		t.Fatalf("no alert event: %v %v", evs, err)
	}
	// Even the right code is refused while throttled.
	d2 := f.start(t, c)
	if _, err := f.svc.LookupUserCode(ctx, alice, d2.UserCode); !errors.Is(err, oauth.ErrTooManyCodes) {
		t.Fatalf("throttled session with a right code: %v", err)
	}
	// After the window, it works again.
	f.advance(11 * time.Minute)
	d3 := f.start(t, c)
	if _, err := f.svc.LookupUserCode(ctx, alice, d3.UserCode); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestLookupUserCodeSurvivesTransactionRetry: a code decided elsewhere
// while the lookup's transaction runs is refused by the run that commits,
// and the pending request that the rolled-back first run found is not
// returned along with the refusal.
func TestLookupUserCodeSurvivesTransactionRetry(t *testing.T) {
	var rs *storetest.RetryingStore
	f := newFixture(t, func(c *oauth.Config) { rs = &storetest.RetryingStore{Store: c.Store}; c.Store = rs })
	c := f.register(t, oauth.Registration{})
	d := f.start(t, c)
	first, err := f.svc.LookupUserCode(ctx, alice, d.UserCode)
	if err != nil {
		t.Fatal(err)
	}
	rs.Between = func() {
		if err := f.svc.Decide(ctx, alice, first.Handle, true); err != nil {
			t.Errorf("the concurrent decision: %v", err)
		}
	}
	rs.Retry.Store(true)
	p, err := f.svc.LookupUserCode(ctx, alice, d.UserCode)
	rs.Retry.Store(false)
	if !errors.Is(err, oauth.ErrBadUserCode) || p.Handle != "" || p.ClientName != "" {
		t.Fatalf("lookup of a code decided before the second run: %+v, %v", p, err)
	}
}

// SECURITY.md #32: registration abuse.
func TestRegisterClientAbuse(t *testing.T) {
	f := newFixture(t)
	reg := func(r oauth.Registration) error {
		r.Name = "x"
		if r.Type == "" {
			r.Type = "public"
		}
		_, err := f.svc.RegisterClient(ctx, r, func(store.Tx, oauth.Client) error { return nil })
		return err
	}
	want(t, "confidential", reg(oauth.Registration{Type: "confidential"}), oauth.ExcInvalidClientMetadata)
	want(t, "client_credentials", reg(oauth.Registration{GrantTypes: []string{"client_credentials"}}), oauth.ExcUnsupportedGrantType)
	want(t, "implicit", reg(oauth.Registration{GrantTypes: []string{"implicit"}}), oauth.ExcUnsupportedGrantType)
	want(t, "unknown scope", reg(oauth.Registration{Scopes: []string{"admin:everything"}}), oauth.ExcInvalidScope)
	for _, u := range []string{"https://evil.example/cb", "http://evil.example/cb", "http://127.0.0.1@evil/cb", "http://127.0.0.1.evil/cb",
		"http://localhost.evil:80/cb", "http://127.0.0.1:99999/cb", "javascript:alert(1)", "http://127.0.0.1"} {
		want(t, "redirect "+u, reg(oauth.Registration{GrantTypes: []string{oauth.GrantAuthCode}, RedirectURIs: []string{u}}), oauth.ExcInvalidRedirectURI)
	}
	want(t, "code grant without redirect", reg(oauth.Registration{GrantTypes: []string{oauth.GrantAuthCode}}), oauth.ExcInvalidRedirectURI)
	// Mass registration from one address.
	var last error
	n := 0
	for range 40 {
		if last = reg(oauth.Registration{}); last != nil {
			break
		}
		n++
	}
	want(t, "registration flood", last, oauth.ExcSlowDown)
	if n != oauth.DefaultLimits.RegistrationsPerIP {
		t.Fatalf("%d registrations before the limit, want %d", n, oauth.DefaultLimits.RegistrationsPerIP)
	}
	// An expired client secret.
	f.advance(11 * time.Minute)
	c := f.register(t, oauth.Registration{})
	f.advance(oauth.ClientSecretTTL + time.Second)
	_, err := f.svc.StartDeviceAuthorization(ctx, c.ID, c.Secret.Reveal(), "https://gh.example/start", nostage)
	want(t, "expired client", err, oauth.ExcInvalidClient)
}

func pkcePair(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 64)[:64]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func authQuery(c oauth.Client, redirect, challenge string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {redirect}, "state": {"st-1"},
		"code_challenge_method": {"S256"}, "scopes": {"sso:account:access"}, "code_challenge": {challenge}}
}

func (f *fixture) codeClient(t *testing.T) oauth.Client {
	return f.register(t, oauth.Registration{Scopes: []string{oauth.ScopeAccountAccess},
		GrantTypes: []string{oauth.GrantAuthCode, oauth.GrantRefreshToken}, RedirectURIs: []string{"http://127.0.0.1/oauth/callback"}})
}

func codeFrom(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Query().Get("code") == "" || u.Query().Get("state") != "st-1" {
		t.Fatalf("redirect %q", target)
	}
	return u.Query().Get("code")
}

func (f *fixture) redeem(c oauth.Client, code, redirect, verifier string) (oauth.TokenSet, error) {
	return f.svc.CreateToken(ctx, oauth.TokenRequest{ClientID: c.ID, ClientSecret: c.Secret.Reveal(), GrantType: oauth.GrantAuthCode,
		Code: code, RedirectURI: redirect, CodeVerifier: verifier}, func(store.Tx, oauth.TokenSet) error { return nil })
}

// SECURITY.md #27 and #28: the authorization code grant with PKCE and
// loopback redirect URIs.
func TestAuthorizationCodePKCE(t *testing.T) {
	f := newFixture(t)
	c := f.codeClient(t)
	verifier, challenge := pkcePair("a1-._~")
	redirect := "http://127.0.0.1:53127/oauth/callback"

	// Bad requests at /authorize: never a redirect.
	bad := map[string]url.Values{}
	for name, mod := range map[string]func(url.Values){
		"no challenge":       func(q url.Values) { q.Del("code_challenge") },
		"plain method":       func(q url.Values) { q.Set("code_challenge_method", "plain") },
		"no method":          func(q url.Values) { q.Del("code_challenge_method") },
		"short challenge":    func(q url.Values) { q.Set("code_challenge", challenge[:42]) },
		"token response":     func(q url.Values) { q.Set("response_type", "token") },
		"unknown client":     func(q url.Values) { q.Set("client_id", "nope") },
		"unregistered scope": func(q url.Values) { q.Set("scopes", "sso:account:access admin") },
		"repeated parameter": func(q url.Values) { q.Add("redirect_uri", redirect) },
	} {
		q := authQuery(c, redirect, challenge)
		mod(q)
		bad[name] = q
	}
	for _, r := range []string{"http://127.0.0.1@evil/oauth/callback", "http://a@b@evil/oauth/callback", "//evil/oauth/callback",
		"/\\evil", "http://127.0.0.1:53127/oauth/..;/callback", "http://127.0.0.1:53127/oauth/%2e%2e/callback",
		"http://127.0.0.1:53127/oauth/callback\t", "http://127.0.0.1:53127/oauth/callback\r\nX: y", "JaVaScRiPt:alert(1)",
		"data:text/html,x", "http://127.0.0.1:53127/oauth/callback#frag", "http://127.0.0.1:53127/oauth/other",
		"http://evil.example:53127/oauth/callback", "http://127.0.0.1.nip.io/oauth/callback", "http://xn--12700-1-9ya/oauth/callback",
		"https://127.0.0.1:53127/oauth/callback", "http://[::1]:53127/oauth/callback", "http://localhost:53127/oauth/callback"} {
		bad["redirect "+r] = authQuery(c, r, challenge)
	}
	for name, q := range bad {
		if _, err := f.svc.CheckAuthorize(ctx, q); err == nil {
			t.Errorf("%s: accepted", name)
		} else if fe, ok := fault.As(err); !ok || fe.Kind != fault.Invalid {
			t.Errorf("%s: %v", name, err)
		}
	}

	// The port may vary; everything else must match.
	req, err := f.svc.CheckAuthorize(ctx, authQuery(c, redirect, challenge))
	if err != nil {
		t.Fatal(err)
	}
	target, err := f.svc.Approve(ctx, alice, req)
	if err != nil {
		t.Fatal(err)
	}
	code := codeFrom(t, target)
	if !strings.HasPrefix(target, redirect+"?") {
		t.Fatalf("redirect %q", target)
	}
	_, err = f.redeem(c, code, redirect, "")
	want(t, "no verifier", err, oauth.ExcInvalidGrant)
	_, err = f.redeem(c, code, redirect, strings.Repeat("b", 64))
	want(t, "wrong verifier", err, oauth.ExcInvalidGrant)
	_, err = f.redeem(c, code, redirect, verifier[:42])
	want(t, "verifier of 42", err, oauth.ExcInvalidGrant)
	_, err = f.redeem(c, code, "http://127.0.0.1:1/oauth/callback", verifier)
	want(t, "another redirect", err, oauth.ExcInvalidGrant)
	other := f.codeClient(t)
	_, err = f.redeem(other, code, redirect, verifier)
	want(t, "another client", err, oauth.ExcInvalidGrant)
	set, err := f.redeem(c, code, redirect, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, set.AccessToken.Reveal()); err != nil {
		t.Fatalf("token of the code: %v", err)
	}
	// A second redemption fails and revokes the tokens of the first.
	_, err = f.redeem(c, code, redirect, verifier)
	want(t, "second redemption", err, oauth.ExcInvalidGrant)
	if _, err := f.svc.Authenticate(ctx, set.AccessToken.Reveal()); err == nil {
		t.Fatal("the first redemption's token survived a second redemption")
	}

	// Codes expire after the configured TTL.
	req, _ = f.svc.CheckAuthorize(ctx, authQuery(c, redirect, challenge))
	target, _ = f.svc.Approve(ctx, alice, req)
	f.advance(oauth.DefaultAuthCodeTTL + time.Second)
	_, err = f.redeem(c, codeFrom(t, target), redirect, verifier)
	want(t, "expired code", err, oauth.ExcInvalidGrant)

	// Deny sends the error to the application.
	denied, err := f.svc.Deny(ctx, alice, req)
	if err != nil || !strings.Contains(denied, "error=access_denied") || !strings.Contains(denied, "state=st-1") {
		t.Fatalf("deny = %q, %v", denied, err)
	}
}

// SECURITY.md #29: rotation, reuse detection, concurrency, absolute
// expiry; #30: token confusion.
func TestRefreshRotation(t *testing.T) {
	f := newFixture(t)
	c := f.register(t, oauth.Registration{Scopes: []string{oauth.ScopeAccountAccess}})
	d := f.start(t, c)
	f.approve(t, d, true)
	set, err := f.poll(c, d)
	if err != nil || set.RefreshToken == "" {
		t.Fatalf("%+v %v", set, err)
	}
	refresh := func(rt string) (oauth.TokenSet, error) {
		return f.svc.CreateToken(ctx, oauth.TokenRequest{ClientID: c.ID, ClientSecret: c.Secret.Reveal(), GrantType: oauth.GrantRefreshToken,
			RefreshToken: rt}, func(store.Tx, oauth.TokenSet) error { return nil })
	}
	// Token confusion.
	_, err = refresh(set.AccessToken.Reveal())
	want(t, "access token as refresh token", err, oauth.ExcInvalidGrant)
	if _, err := f.svc.Authenticate(ctx, set.RefreshToken.Reveal()); err == nil {
		t.Fatal("a refresh token worked as a bearer token")
	}
	// Twenty concurrent refreshes with RT1: one successor.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []oauth.TokenSet
	)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := refresh(set.RefreshToken.Reveal())
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins = append(wins, s)
			} else if code(err) != oauth.ExcInvalidGrant {
				t.Errorf("concurrent refresh: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d successors, want 1", len(wins))
	}
	rt2 := wins[0]
	// Reuse within the grace: refused, family kept.
	_, err = refresh(set.RefreshToken.Reveal())
	want(t, "reuse within grace", err, oauth.ExcInvalidGrant)
	if _, err := f.svc.Authenticate(ctx, rt2.AccessToken.Reveal()); err != nil {
		t.Fatalf("successor after a reuse within grace: %v", err)
	}
	// Reuse after the grace: the whole family dies.
	f.advance(oauth.ReuseGrace + time.Second)
	_, err = refresh(set.RefreshToken.Reveal())
	want(t, "reuse after grace", err, oauth.ExcInvalidGrant)
	if _, err := f.svc.Authenticate(ctx, rt2.AccessToken.Reveal()); err == nil {
		t.Fatal("RT2's access token survived reuse detection")
	}
	_, err = refresh(rt2.RefreshToken.Reveal())
	want(t, "RT2 after reuse detection", err, oauth.ExcInvalidGrant)
	evs, _ := f.db.ListAuditEvents(ctx, store.AuditQuery{EventName: "RefreshTokenReuseDetected", Limit: 5})
	if len(evs) != 1 {
		t.Fatalf("%d reuse events", len(evs))
	}

	// Absolute expiry: the portal session's end, whatever the rotations.
	d2 := f.start(t, c)
	f.approve(t, d2, true)
	set2, _ := f.poll(c, d2)
	rt := set2.RefreshToken.Reveal()
	for range 5 {
		f.advance(time.Hour)
		s, err := refresh(rt)
		if err != nil {
			t.Fatal(err)
		}
		rt = s.RefreshToken.Reveal()
	}
	f.advance(3 * time.Hour)
	_, err = refresh(rt)
	want(t, "after the session's end", err, oauth.ExcInvalidGrant)
}

// SECURITY.md #3: a locked or disabled user gets nothing from any path.
func TestLockedUserGetsNoTokens(t *testing.T) {
	f := newFixture(t)
	c := f.register(t, oauth.Registration{Scopes: []string{oauth.ScopeAccountAccess}})
	d := f.start(t, c)
	f.approve(t, d, true)
	set, err := f.poll(c, d)
	if err != nil {
		t.Fatal(err)
	}
	d2 := f.start(t, c)
	f.approve(t, d2, true)
	f.locks["u1"] = true
	_, err = f.poll(c, d2)
	want(t, "approved device code of a locked user", err, oauth.ExcInvalidGrant)
	_, err = f.svc.CreateToken(ctx, oauth.TokenRequest{ClientID: c.ID, ClientSecret: c.Secret.Reveal(), GrantType: oauth.GrantRefreshToken,
		RefreshToken: set.RefreshToken.Reveal()}, func(store.Tx, oauth.TokenSet) error { return nil })
	want(t, "refresh of a locked user", err, oauth.ExcInvalidGrant)
	if _, err := f.svc.Authenticate(ctx, set.AccessToken.Reveal()); err == nil {
		t.Fatal("a locked user's access token still works")
	}
	f.locks["u1"] = false
	// Disabling (the directory hook) deletes the tokens.
	err = f.db.Update(ctx, func(tx store.Tx) error { return f.svc.Hook().UserDisabled(ctx, tx, "u1") })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, set.AccessToken.Reveal()); err == nil {
		t.Fatal("a disabled user's access token still works")
	}
}

// Tokens end with the portal session.
func TestTokensEndWithSession(t *testing.T) {
	f := newFixture(t)
	c := f.register(t, oauth.Registration{})
	d := f.start(t, c)
	f.approve(t, d, true)
	set, err := f.poll(c, d)
	if err != nil {
		t.Fatal(err)
	}
	if set.RefreshToken != "" || set.ExpiresIn != int((8*time.Hour).Seconds()) {
		t.Fatalf("legacy client tokens: %+v", set)
	}
	if err := f.db.Update(ctx, func(tx store.Tx) error { return tx.DeletePortalSession(ctx, "ps-1") }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, set.AccessToken.Reveal()); err == nil {
		t.Fatal("a token outlived its portal session")
	}
}
