package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse/gatehouse/internal/store"
)

// tokenTests hold the OIDC and temporary-credential tables to the same
// rules on every backend: round trips, and single-use transitions that
// exactly one of many concurrent callers (on several replicas) wins.
var tokenTests = []struct {
	name string
	fn   func(t *testing.T, open Connect)
}{
	{"OAuthClients", testOAuthClients},
	{"DeviceAuthorizationDecidedOnce", testDeviceAuthorizationDecidedOnce},
	{"AuthCodeRedeemedOnce", testAuthCodeRedeemedOnce},
	{"RefreshTokenRotatedOnce", testRefreshTokenRotatedOnce},
	{"TempCredentials", testTempCredentials},
	{"RateLimitWindow", testRateLimitWindow},
	{"PurgeExpiredTokens", testPurgeExpiredTokens},
	{"TokenGrant", testTokenGrant},
}

func testOAuthClients(t *testing.T, open Connect) {
	s := open()
	c := store.OAuthClient{ID: "cl-1", SecretHash: "h", Name: "botocore-client-dev", Type: "public",
		Scopes: []string{"sso:account:access"}, GrantTypes: []string{"authorization_code", "refresh_token"},
		RedirectURIs: []string{"http://127.0.0.1/oauth/callback"}, IssuerURL: "https://gh.example/start",
		SourceIP: "192.0.2.7", CreatedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour)}
	update(t, s, func(tx store.Tx) error { return tx.CreateOAuthClient(ctx, c) })
	got, err := s.GetOAuthClient(ctx, "cl-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, got); d != "" {
		t.Fatalf("client round trip (-want +got):\n%s", d)
	}
	bare := store.OAuthClient{ID: "cl-2", SecretHash: "h2", Name: "x", Type: "public", CreatedAt: t0, ExpiresAt: t0}
	update(t, s, func(tx store.Tx) error { return tx.CreateOAuthClient(ctx, bare) })
	got, _ = s.GetOAuthClient(ctx, "cl-2")
	if got.Scopes == nil || len(got.Scopes) != 0 || len(got.RedirectURIs) != 0 {
		t.Fatalf("empty lists: %+v", got)
	}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.CreateOAuthClient(ctx, bare) })
	wantConflict(t, err, "oauth_clients_pkey")
	_, err = s.GetOAuthClient(ctx, "cl-3")
	wantNotFound(t, err)
}

func newDevice(hash, mac string) store.DeviceAuthorization {
	return store.DeviceAuthorization{CodeHash: hash, UserCodeMAC: mac, ClientID: "cl-1", StartURL: "https://gh.example/start",
		Scopes: []string{}, Status: store.DevicePending, SourceIP: "192.0.2.7", UserAgent: "aws-cli/2.9", Interval: 1,
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
}

func testDeviceAuthorizationDecidedOnce(t *testing.T, open Connect) {
	stores := replicas(open, 3)
	s := stores[0]
	d := newDevice("dc-1", "uc-1")
	update(t, s, func(tx store.Tx) error { return tx.CreateDeviceAuthorization(ctx, d) })
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateDeviceAuthorization(ctx, newDevice("dc-2", "uc-1")) })
	wantConflict(t, err, "oauth_device_codes_user_code")
	byUser, err := s.GetDeviceAuthorizationByUserCode(ctx, "uc-1")
	if err != nil || byUser.CodeHash != "dc-1" {
		t.Fatalf("by user code = %+v, %v", byUser, err)
	}
	if dd := cmp.Diff(d, byUser); dd != "" {
		t.Fatalf("device round trip (-want +got):\n%s", dd)
	}
	// Twenty approvals race over three replicas: one wins.
	wins := race(t, stores, 20, func(s store.Store) (won bool, err error) {
		err = s.Update(ctx, func(tx store.Tx) error {
			cur, err := tx.GetDeviceAuthorization(ctx, "dc-1")
			if err != nil {
				return err
			}
			cur.Status, cur.UserID, cur.SessionID, cur.DecidedAt = store.DeviceApproved, "u1", "ps-1", t0.Add(time.Minute)
			won, err = tx.UpdateDeviceAuthorization(ctx, cur, store.DevicePending)
			return err
		})
		return won, err
	})
	if wins != 1 {
		t.Fatalf("%d approvals won, want 1", wins)
	}
	got, _ := s.GetDeviceAuthorization(ctx, "dc-1")
	if got.Status != store.DeviceApproved || got.UserID != "u1" || !got.DecidedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after approval: %+v", got)
	}
	// Polling state is written under the current status.
	got.LastPollAt, got.FastPolls, got.Interval = t0.Add(2*time.Minute), 1, 6
	var ok bool
	update(t, s, func(tx store.Tx) (err error) {
		ok, err = tx.UpdateDeviceAuthorization(ctx, got, store.DevicePending)
		return
	})
	if ok {
		t.Fatal("an update from a status the row no longer has succeeded")
	}
	update(t, s, func(tx store.Tx) (err error) {
		ok, err = tx.UpdateDeviceAuthorization(ctx, got, store.DeviceApproved)
		return
	})
	got2, _ := s.GetDeviceAuthorization(ctx, "dc-1")
	if !ok || got2.Interval != 6 || got2.FastPolls != 1 || !got2.LastPollAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("poll update: ok=%v %+v", ok, got2)
	}
}

func testAuthCodeRedeemedOnce(t *testing.T, open Connect) {
	stores := replicas(open, 3)
	c := store.AuthCode{CodeHash: "ac-1", ClientID: "cl-1", RedirectURI: "http://127.0.0.1:5000/oauth/callback",
		CodeChallenge: "abc", Scopes: []string{"sso:account:access"}, UserID: "u1", SessionID: "ps-1", CreatedAt: t0,
		ExpiresAt: t0.Add(10 * time.Minute)}
	update(t, stores[0], func(tx store.Tx) error { return tx.CreateAuthCode(ctx, c) })
	got, err := stores[1].GetAuthCode(ctx, "ac-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, got); d != "" {
		t.Fatalf("code round trip (-want +got):\n%s", d)
	}
	wins := race(t, stores, 20, func(s store.Store) (won bool, err error) {
		err = s.Update(ctx, func(tx store.Tx) (err error) {
			won, err = tx.RedeemAuthCode(ctx, "ac-1", "fam-x", t0.Add(time.Minute))
			return err
		})
		return won, err
	})
	if wins != 1 {
		t.Fatalf("%d redemptions won, want 1", wins)
	}
	got, _ = stores[2].GetAuthCode(ctx, "ac-1")
	if got.FamilyID != "fam-x" || !got.RedeemedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("redeemed code: %+v", got)
	}
}

func testRefreshTokenRotatedOnce(t *testing.T, open Connect) {
	stores := replicas(open, 3)
	s := stores[0]
	mk := func(hash, kind, family string) store.OAuthToken {
		return store.OAuthToken{TokenHash: hash, Kind: kind, FamilyID: family, ClientID: "cl-1", UserID: "u1", SessionID: "ps-1",
			Scopes: []string{"sso:account:access"}, Status: store.TokenActive, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	}
	update(t, s, func(tx store.Tx) error {
		for _, tok := range []store.OAuthToken{mk("at-1", store.TokenAccess, "f1"), mk("rt-1", store.TokenRefresh, "f1"),
			mk("at-2", store.TokenAccess, "f2"), mk("rt-9", store.TokenRefresh, "f9")} {
			if err := tx.CreateOAuthToken(ctx, tok); err != nil {
				return err
			}
		}
		other := mk("rt-u2", store.TokenRefresh, "f3")
		other.UserID = "u2"
		return tx.CreateOAuthToken(ctx, other)
	})
	got, err := stores[1].GetOAuthToken(ctx, "rt-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(mk("rt-1", store.TokenRefresh, "f1"), got); d != "" {
		t.Fatalf("token round trip (-want +got):\n%s", d)
	}
	wins := race(t, stores, 20, func(s store.Store) (won bool, err error) {
		err = s.Update(ctx, func(tx store.Tx) (err error) {
			won, err = tx.RotateOAuthToken(ctx, "rt-1", t0.Add(time.Minute))
			return err
		})
		return won, err
	})
	if wins != 1 {
		t.Fatalf("%d rotations won, want 1", wins)
	}
	got, _ = s.GetOAuthToken(ctx, "rt-1")
	if got.Status != store.TokenRotated || !got.RotatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("rotated: %+v", got)
	}
	var n int
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.DeleteOAuthFamily(ctx, "f1"); return })
	if n != 2 {
		t.Fatalf("family deleted %d tokens, want 2", n)
	}
	_, err = s.GetOAuthToken(ctx, "at-1")
	wantNotFound(t, err)
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.DeleteOAuthTokensOfUser(ctx, "u1"); return })
	if n != 2 {
		t.Fatalf("user's tokens deleted: %d, want 2", n)
	}
	if _, err := s.GetOAuthToken(ctx, "rt-u2"); err != nil {
		t.Fatalf("another user's token went too: %v", err)
	}
}

func testTempCredentials(t *testing.T, open Connect) {
	s := open()
	c := store.TempCredential{AccessKeyID: "ASIAAAAAAAAAAAAAAAA1", SecretSealed: []byte{1, 2, 3}, TokenHash: "th",
		UserID: "u1", UserName: "alice", SessionID: "ps-1", AccountID: "111122223333", PermissionSetID: "ps-0123",
		RoleName: "AWSReservedSSO_Admin_0123456789abcdef", RoleID: "AROAEXAMPLE", MFAPresent: true, AuthTime: t0,
		Tags: map[string]string{"CostCenter": "42"}, SourceIP: "192.0.2.7", IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateTempCredential(ctx, c); err != nil {
			return err
		}
		c2 := c
		c2.AccessKeyID, c2.SessionID, c2.Tags = "ASIAAAAAAAAAAAAAAAA2", "ps-2", nil
		return tx.CreateTempCredential(ctx, c2)
	})
	got, err := s.GetTempCredential(ctx, c.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, got); d != "" {
		t.Fatalf("credential round trip (-want +got):\n%s", d)
	}
	var n int
	update(t, s, func(tx store.Tx) (err error) {
		n, err = tx.RevokeTempCredentialsOfSession(ctx, "ps-1", t0.Add(time.Minute))
		return
	})
	got, _ = s.GetTempCredential(ctx, c.AccessKeyID)
	if n != 1 || !got.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("revoke by session: n=%d %v", n, got.RevokedAt)
	}
	if other, _ := s.GetTempCredential(ctx, "ASIAAAAAAAAAAAAAAAA2"); !other.RevokedAt.IsZero() {
		t.Fatal("another session's credentials were revoked")
	}
	_, err = s.GetCredentialRevocation(ctx, "u1")
	wantNotFound(t, err)
	update(t, s, func(tx store.Tx) error { return tx.PutCredentialRevocation(ctx, "u1", t0.Add(time.Hour)) })
	// An earlier time never moves the revocation back.
	update(t, s, func(tx store.Tx) error { return tx.PutCredentialRevocation(ctx, "u1", t0) })
	nb, err := s.GetCredentialRevocation(ctx, "u1")
	if err != nil || !nb.Equal(t0.Add(time.Hour)) {
		t.Fatalf("revocation = %v, %v", nb, err)
	}
	update(t, s, func(tx store.Tx) error { return tx.PutCredentialRevocation(ctx, "u1", t0.Add(2*time.Hour)) })
	if nb, _ = s.GetCredentialRevocation(ctx, "u1"); !nb.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("later revocation = %v", nb)
	}
}

func testRateLimitWindow(t *testing.T, open Connect) {
	stores := replicas(open, 3)
	// Hits from many goroutines on several replicas are all counted.
	race(t, stores, 30, func(s store.Store) (bool, error) {
		return false, s.Update(ctx, func(tx store.Tx) error {
			_, err := tx.HitRateLimit(ctx, "ip:192.0.2.7", t0, time.Minute)
			return err
		})
	})
	var hits []int
	for _, at := range []time.Time{t0.Add(30 * time.Second), t0.Add(time.Minute), t0.Add(61 * time.Second)} {
		update(t, stores[0], func(tx store.Tx) error {
			n, err := tx.HitRateLimit(ctx, "ip:192.0.2.7", at, time.Minute)
			hits = append(hits, n)
			return err
		})
	}
	if !slices.Equal(hits, []int{31, 1, 2}) {
		t.Fatalf("hits = %v, want [31 1 2] (a new window at the end of the old one)", hits)
	}
}

func testPurgeExpiredTokens(t *testing.T, open Connect) {
	s := open()
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateOAuthClient(ctx, store.OAuthClient{ID: "old", Type: "public", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}); err != nil {
			return err
		}
		if err := tx.CreateOAuthClient(ctx, store.OAuthClient{ID: "new", Type: "public", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			return err
		}
		if err := tx.CreateDeviceAuthorization(ctx, newDevice("dc-old", "uc-old")); err != nil {
			return err
		}
		if err := tx.CreateOAuthToken(ctx, store.OAuthToken{TokenHash: "t-old", Kind: store.TokenAccess, Status: store.TokenActive,
			CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}); err != nil {
			return err
		}
		_, err := tx.HitRateLimit(ctx, "k", t0, time.Minute)
		return err
	})
	var n int
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.PurgeExpiredTokens(ctx, t0.Add(30*time.Minute)); return })
	if n != 4 {
		t.Fatalf("purged %d rows, want 4", n)
	}
	if _, err := s.GetOAuthClient(ctx, "new"); err != nil {
		t.Fatalf("a live client was purged: %v", err)
	}
	_, err := s.GetDeviceAuthorization(ctx, "dc-old")
	wantNotFound(t, err)
}

// testTokenGrant checks GetTokenGrant against reading the token, the user
// and the user's live sessions one by one.
func testTokenGrant(t *testing.T, open Connect) {
	stores := replicas(open, 2)
	s := stores[0]
	u := newUser(0)
	mkTok := func(hash, user, session string) store.OAuthToken {
		return store.OAuthToken{TokenHash: hash, Kind: store.TokenAccess, FamilyID: "f-" + hash, ClientID: "cl-1", UserID: user,
			SessionID: session, Scopes: []string{"sso:account:access"}, Status: store.TokenActive, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	}
	mkSess := func(id, user string, expires time.Time) store.PortalSession {
		return store.PortalSession{ID: id, TokenHash: "tok-" + id, UserID: user, MFAMethod: "TOTP", SourceIP: "192.0.2.1",
			UserAgent: "ua", CreatedAt: t0, AuthTime: t0.Add(time.Second), ExpiresAt: expires, LastSeenAt: t0}
	}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		for _, ps := range []store.PortalSession{mkSess("s-live", u.ID, t0.Add(8*time.Hour)), mkSess("s-old", u.ID, t0.Add(time.Minute)),
			mkSess("s-other", "u-someone-else", t0.Add(8*time.Hour))} {
			if err := tx.CreatePortalSession(ctx, ps); err != nil {
				return err
			}
		}
		for _, tok := range []store.OAuthToken{mkTok("t-ok", u.ID, "s-live"), mkTok("t-expired-session", u.ID, "s-old"),
			mkTok("t-other-session", u.ID, "s-other"), mkTok("t-no-session", u.ID, "s-gone"), mkTok("t-no-user", "u-gone", "s-live")} {
			if err := tx.CreateOAuthToken(ctx, tok); err != nil {
				return err
			}
		}
		return nil
	})
	now := t0.Add(10 * time.Minute)
	g, err := stores[1].GetTokenGrant(ctx, "t-ok", now)
	if err != nil || !g.UserFound || !g.SessionLive {
		t.Fatalf("GetTokenGrant(t-ok) = %+v, %v", g, err)
	}
	wantTok, _ := s.GetOAuthToken(ctx, "t-ok")
	wantUser, _ := s.GetUser(ctx, u.ID)
	wantSess, _ := s.GetPortalSession(ctx, "tok-s-live")
	if diff := cmp.Diff(store.TokenGrant{Token: wantTok, User: wantUser, UserFound: true, Session: wantSess, SessionLive: true}, g); diff != "" {
		t.Errorf("GetTokenGrant(t-ok) differs from the separate reads (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		hash              string
		userFound, isLive bool
	}{
		{"t-expired-session", true, false},
		{"t-other-session", true, false},
		{"t-no-session", true, false},
		{"t-no-user", false, false}, // the session is not that user's
	} {
		g, err := stores[1].GetTokenGrant(ctx, tc.hash, now)
		if err != nil || g.Token.TokenHash != tc.hash || g.UserFound != tc.userFound || g.SessionLive != tc.isLive {
			t.Errorf("GetTokenGrant(%s) = %+v, %v; want user found %v, session live %v", tc.hash, g, err, tc.userFound, tc.isLive)
		}
		if !g.UserFound && g.User.ID != "" || !g.SessionLive && g.Session.ID != "" {
			t.Errorf("GetTokenGrant(%s) fills a missing record: %+v", tc.hash, g)
		}
	}
	_, err = stores[1].GetTokenGrant(ctx, "t-nothing", now)
	wantNotFound(t, err)
}
