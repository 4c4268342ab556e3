package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// signinTests are the conformance tests of the sign-in tables (migrations
// 0200–0299). The concurrent ones run on several handles ("replicas") so
// that the compare-and-set writes are checked where they matter.
var signinTests = []struct {
	name string
	fn   func(t *testing.T, open Connect)
}{
	{"Passwords", testPasswords},
	{"Counters", testCounters},
	{"SigninFlowTakenOnce", testSigninFlowTakenOnce},
	{"PortalSessions", testPortalSessions},
	{"UserTokenTakenOnce", testUserTokenTakenOnce},
	{"MFADevices", testMFADevices},
	{"TOTPStepCompareAndSet", testTOTPStepCAS},
	{"SignCountCompareAndSet", testSignCountCAS},
	{"TrustedDevicesAndSettings", testTrustedDevicesAndSettings},
	{"MailClaimedOnce", testMailClaimedOnce},
	{"PurgeExpiredSignin", testPurgeExpiredSignin},
	{"PortalReader", testPortalReader},
}

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 8000, time.UTC)

// replicas opens n handles and returns them.
func replicas(open Connect, n int) []store.Store {
	out := make([]store.Store, n)
	for i := range out {
		out[i] = open()
	}
	return out
}

// race runs fn on n goroutines spread over the replicas and returns how many
// reported a win.
func race(t *testing.T, stores []store.Store, n int, fn func(s store.Store) (bool, error)) int {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
		errs []error
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			won, err := fn(stores[i%len(stores)])
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if won {
				wins++
			}
		}()
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return wins
}

func testPasswords(t *testing.T, open Connect) {
	s := open()
	_, err := s.GetPassword(ctx, "u1")
	wantNotFound(t, err)
	p := store.Password{UserID: "u1", Hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", MustChange: true, UpdatedAt: t0}
	update(t, s, func(tx store.Tx) error { return tx.PutPassword(ctx, p) })
	got, err := s.GetPassword(ctx, "u1")
	if err != nil || got.Hash != p.Hash || !got.MustChange || len(got.History) != 0 || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("GetPassword = %+v, %v", got, err)
	}
	p.Hash, p.MustChange, p.History = "new", false, []string{"h2", "h1"}
	update(t, s, func(tx store.Tx) error { return tx.PutPassword(ctx, p) })
	got, _ = s.GetPassword(ctx, "u1")
	if got.Hash != "new" || got.MustChange || fmt.Sprint(got.History) != "[h2 h1]" {
		t.Fatalf("after replace: %+v", got)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeletePassword(ctx, "u1") })
	_, err = s.GetPassword(ctx, "u1")
	wantNotFound(t, err)
}

// testCounters checks that a read-modify-write of a counter inside Update is
// atomic across replicas: N concurrent increments give N.
func testCounters(t *testing.T, open Connect) {
	stores := replicas(open, 3)
	const n = 24
	race(t, stores, n, func(s store.Store) (bool, error) {
		return true, s.Update(ctx, func(tx store.Tx) error {
			c, err := tx.GetCounter(ctx, "pw:u1")
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			c.Key, c.WindowStart = "pw:u1", t0
			c.Failures++
			return tx.PutCounter(ctx, c)
		})
	})
	c, err := stores[0].GetCounter(ctx, "pw:u1")
	if err != nil || c.Failures != n || !c.WindowStart.Equal(t0) {
		t.Fatalf("counter = %+v, %v; want %d failures", c, err, n)
	}
	if until, err := stores[0].LockedUntil(ctx, "pw:u1", "otp:u1"); err != nil || !until.IsZero() {
		t.Fatalf("LockedUntil with no lock = %v, %v", until, err)
	}
	update(t, stores[0], func(tx store.Tx) error {
		if err := tx.PutCounter(ctx, store.Counter{Key: "otp:u1", WindowStart: t0, LockedUntil: t0.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.PutCounter(ctx, store.Counter{Key: "otp:u2", WindowStart: t0, LockedUntil: t0.Add(2 * time.Hour)})
	})
	if until, err := stores[1].LockedUntil(ctx, "pw:u1", "otp:u1", "pw:nobody"); err != nil || !until.Equal(t0.Add(time.Hour)) {
		t.Fatalf("LockedUntil = %v, %v; want %v", until, err, t0.Add(time.Hour))
	}
	if until, err := stores[1].LockedUntil(ctx, "pw:nobody"); err != nil || !until.IsZero() {
		t.Fatalf("LockedUntil of a missing counter = %v, %v", until, err)
	}
	update(t, stores[0], func(tx store.Tx) error { return tx.DeleteCounter(ctx, "pw:u1") })
	_, err = stores[0].GetCounter(ctx, "pw:u1")
	wantNotFound(t, err)
}

func testSigninFlowTakenOnce(t *testing.T, open Connect) {
	stores := replicas(open, 3)
	f := store.SigninFlow{TokenHash: "th1", WorkflowID: "wf", UserID: "u1", Step: "password", State: []byte{1, 2, 3},
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	update(t, stores[0], func(tx store.Tx) error { return tx.CreateSigninFlow(ctx, f) })
	got, err := stores[1].GetSigninFlow(ctx, "th1")
	if err != nil || got.Step != "password" || string(got.State) != string(f.State) || !got.ExpiresAt.Equal(f.ExpiresAt) {
		t.Fatalf("GetSigninFlow = %+v, %v", got, err)
	}
	wins := race(t, stores, 12, func(s store.Store) (bool, error) {
		err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.TakeSigninFlow(ctx, "th1"); return err })
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	})
	if wins != 1 {
		t.Fatalf("%d takers got the flow, want exactly 1", wins)
	}
	update(t, stores[0], func(tx store.Tx) error {
		f.TokenHash = "th2"
		if err := tx.CreateSigninFlow(ctx, f); err != nil {
			return err
		}
		return tx.DeleteSigninFlowsOfUser(ctx, "u1")
	})
	_, err = stores[0].GetSigninFlow(ctx, "th2")
	wantNotFound(t, err)
}

func testPortalSessions(t *testing.T, open Connect) {
	s := open()
	mk := func(id string, created time.Time) store.PortalSession {
		return store.PortalSession{ID: id, TokenHash: "tok-" + id, UserID: "u1", MFAMethod: "TOTP", SourceIP: "192.0.2.1",
			UserAgent: "ua", CreatedAt: created, AuthTime: created, ExpiresAt: created.Add(8 * time.Hour), LastSeenAt: created}
	}
	update(t, s, func(tx store.Tx) error {
		for i, id := range []string{"s1", "s2", "s3"} {
			if err := tx.CreatePortalSession(ctx, mk(id, t0.Add(time.Duration(i)*time.Minute))); err != nil {
				return err
			}
		}
		other := mk("s4", t0)
		other.UserID = "u2"
		return tx.CreatePortalSession(ctx, other)
	})
	err := s.Update(ctx, func(tx store.Tx) error {
		dup := mk("s5", t0)
		dup.TokenHash = "tok-s1"
		return tx.CreatePortalSession(ctx, dup)
	})
	wantConflict(t, err, "portal_sessions_token_hash")
	got, err := s.GetPortalSession(ctx, "tok-s2")
	if err != nil || got.ID != "s2" || got.MFAMethod != "TOTP" || !got.ExpiresAt.Equal(t0.Add(time.Minute+8*time.Hour)) {
		t.Fatalf("GetPortalSession = %+v, %v", got, err)
	}
	list, err := s.ListPortalSessions(ctx, "u1", t0)
	if err != nil || len(list) != 3 || list[0].ID != "s3" {
		t.Fatalf("ListPortalSessions = %+v, %v", list, err)
	}
	// Expired sessions are not listed.
	list, _ = s.ListPortalSessions(ctx, "u1", t0.Add(8*time.Hour+30*time.Second))
	if len(list) != 2 {
		t.Fatalf("after the first expiry: %d sessions, want 2", len(list))
	}
	update(t, s, func(tx store.Tx) error { return tx.TouchPortalSession(ctx, "s1", t0.Add(time.Hour)) })
	got, _ = s.GetPortalSession(ctx, "tok-s1")
	if !got.LastSeenAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("touch: last seen %v", got.LastSeenAt)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeletePortalSession(ctx, "s1") })
	_, err = s.GetPortalSession(ctx, "tok-s1")
	wantNotFound(t, err)
	var n int
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.DeletePortalSessionsOfUser(ctx, "u1"); return })
	if n != 2 {
		t.Fatalf("DeletePortalSessionsOfUser = %d, want 2", n)
	}
	if _, err := s.GetPortalSession(ctx, "tok-s4"); err != nil {
		t.Fatalf("another user's session went too: %v", err)
	}
}

func testUserTokenTakenOnce(t *testing.T, open Connect) {
	stores := replicas(open, 3)
	s := stores[0]
	update(t, s, func(tx store.Tx) error {
		for _, tok := range []store.UserToken{
			{TokenHash: "inv1", UserID: "u1", Purpose: "invite", CreatedAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour)},
			{TokenHash: "rst1", UserID: "u1", Purpose: "reset", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
			{TokenHash: "old1", UserID: "u1", Purpose: "reset", CreatedAt: t0.Add(-2 * time.Hour), ExpiresAt: t0.Add(-time.Hour)},
		} {
			if err := tx.CreateUserToken(ctx, tok); err != nil {
				return err
			}
		}
		return nil
	})
	list, err := s.ListUserTokens(ctx, "u1", "reset", t0)
	if err != nil || len(list) != 1 || list[0].TokenHash != "rst1" {
		t.Fatalf("ListUserTokens = %+v, %v", list, err)
	}
	// An expired token cannot be taken.
	err = s.Update(ctx, func(tx store.Tx) error { _, err := tx.TakeUserToken(ctx, "old1", t0); return err })
	wantNotFound(t, err)
	wins := race(t, stores, 12, func(s store.Store) (bool, error) {
		err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.TakeUserToken(ctx, "inv1", t0); return err })
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	})
	if wins != 1 {
		t.Fatalf("%d takers got the token, want exactly 1", wins)
	}
	var n int
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.DeleteUserTokens(ctx, "u1", ""); return })
	if n != 2 {
		t.Fatalf("DeleteUserTokens = %d, want 2 (rst1 and the expired old1)", n)
	}
}

func testMFADevices(t *testing.T, open Connect) {
	s := open()
	totp := store.MFADevice{ID: "d1", UserID: "u1", Kind: "totp", Name: "Phone", SecretSealed: []byte{9, 9}, Credential: []byte{},
		CreatedAt: t0, LastUsedAt: t0}
	key := store.MFADevice{ID: "d2", UserID: "u1", Kind: "webauthn", Name: "Key", CredentialID: "cred-1",
		Credential: []byte(`{"k":1}`), SignCount: 5, CreatedAt: t0.Add(time.Second), LastUsedAt: t0}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateMFADevice(ctx, totp); err != nil {
			return err
		}
		return tx.CreateMFADevice(ctx, key)
	})
	err := s.Update(ctx, func(tx store.Tx) error {
		dup := key
		dup.ID, dup.UserID = "d3", "u2"
		return tx.CreateMFADevice(ctx, dup)
	})
	wantConflict(t, err, "mfa_devices_credential_id")
	list, err := s.ListMFADevices(ctx, "u1")
	if err != nil || len(list) != 2 || list[0].ID != "d1" || list[1].CredentialID != "cred-1" || string(list[0].SecretSealed) != "\x09\x09" {
		t.Fatalf("ListMFADevices = %+v, %v", list, err)
	}
	got, err := s.GetMFADeviceByCredentialID(ctx, "cred-1")
	if err != nil || got.ID != "d2" || string(got.Credential) != `{"k":1}` || got.SignCount != 5 {
		t.Fatalf("GetMFADeviceByCredentialID = %+v, %v", got, err)
	}
	update(t, s, func(tx store.Tx) error { return tx.RenameMFADevice(ctx, "d1", "Old phone") })
	got, _ = s.GetMFADevice(ctx, "d1")
	if got.Name != "Old phone" || got.CredentialID != "" {
		t.Fatalf("after rename: %+v", got)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteMFADevice(ctx, "d1") })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteMFADevice(ctx, "d1") })
	wantNotFound(t, err)
	update(t, s, func(tx store.Tx) error { return tx.DeleteMFADevicesOfUser(ctx, "u1") })
	list, _ = s.ListMFADevices(ctx, "u1")
	if len(list) != 0 {
		t.Fatalf("devices left: %+v", list)
	}
}

// testTOTPStepCAS: of concurrent uses of one step on several replicas only
// one is accepted, and an earlier step is never accepted after a later one.
func testTOTPStepCAS(t *testing.T, open Connect) {
	stores := replicas(open, 3)
	update(t, stores[0], func(tx store.Tx) error {
		return tx.CreateMFADevice(ctx, store.MFADevice{ID: "d1", UserID: "u1", Kind: "totp", Name: "x", Credential: []byte{}, CreatedAt: t0, LastUsedAt: t0})
	})
	advance := func(s store.Store, step int64) (bool, error) {
		var ok bool
		err := s.Update(ctx, func(tx store.Tx) (err error) { ok, err = tx.AdvanceTOTPStep(ctx, "d1", step, t0); return })
		return ok, err
	}
	wins := race(t, stores, 12, func(s store.Store) (bool, error) { return advance(s, 1000) })
	if wins != 1 {
		t.Fatalf("step 1000 accepted %d times, want once", wins)
	}
	if ok, err := advance(stores[1], 999); ok || err != nil {
		t.Fatalf("earlier step 999 after 1000: ok=%v err=%v", ok, err)
	}
	if ok, err := advance(stores[2], 1001); !ok || err != nil {
		t.Fatalf("later step 1001: ok=%v err=%v", ok, err)
	}
	d, _ := stores[0].GetMFADevice(ctx, "d1")
	if d.LastStep != 1001 {
		t.Fatalf("last step %d, want 1001", d.LastStep)
	}
}

func testSignCountCAS(t *testing.T, open Connect) {
	stores := replicas(open, 3)
	update(t, stores[0], func(tx store.Tx) error {
		return tx.CreateMFADevice(ctx, store.MFADevice{ID: "d1", UserID: "u1", Kind: "webauthn", Name: "k", CredentialID: "c",
			Credential: []byte("{}"), SignCount: 10, CreatedAt: t0, LastUsedAt: t0})
	})
	wins := race(t, stores, 12, func(s store.Store) (bool, error) {
		var ok bool
		err := s.Update(ctx, func(tx store.Tx) (err error) { ok, err = tx.SetSignCount(ctx, "d1", 10, 11, t0); return })
		return ok, err
	})
	if wins != 1 {
		t.Fatalf("counter 10→11 applied %d times, want once", wins)
	}
	d, _ := stores[0].GetMFADevice(ctx, "d1")
	if d.SignCount != 11 {
		t.Fatalf("sign count %d, want 11", d.SignCount)
	}
}

func testTrustedDevicesAndSettings(t *testing.T, open Connect) {
	s := open()
	td := store.TrustedDevice{TokenHash: "t1", UserID: "u1", UserAgent: "ua", Network: "192.0.2.0/24", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	update(t, s, func(tx store.Tx) error { return tx.CreateTrustedDevice(ctx, td) })
	got, err := s.GetTrustedDevice(ctx, "t1")
	if err != nil || got != td {
		t.Fatalf("GetTrustedDevice = %+v, %v; want %+v", got, err, td)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteTrustedDevicesOfUser(ctx, "u1") })
	_, err = s.GetTrustedDevice(ctx, "t1")
	wantNotFound(t, err)

	_, err = s.GetSigninSettings(ctx)
	wantNotFound(t, err)
	update(t, s, func(tx store.Tx) error { return tx.PutSigninSettings(ctx, []byte(`{"a":1}`), t0) })
	update(t, s, func(tx store.Tx) error { return tx.PutSigninSettings(ctx, []byte(`{"a":2}`), t0) })
	doc, err := s.GetSigninSettings(ctx)
	if err != nil || string(doc) != `{"a":2}` {
		t.Fatalf("GetSigninSettings = %s, %v", doc, err)
	}
}

// testMailClaimedOnce: replicas claiming due mail concurrently never claim
// the same message twice, and a lapsed claim makes it due again.
func testMailClaimedOnce(t *testing.T, open Connect) {
	stores := replicas(open, 3)
	const n = 20
	update(t, stores[0], func(tx store.Tx) error {
		for i := range n {
			m := store.MailMessage{ID: id("m", i), Recipient: "a@example.com", Subject: "s", SealedBody: []byte("body"),
				Status: "pending", CreatedAt: t0, NextAttemptAt: t0}
			if err := tx.EnqueueMail(ctx, m); err != nil {
				return err
			}
		}
		// Not yet due.
		return tx.EnqueueMail(ctx, store.MailMessage{ID: "later", Recipient: "b@example.com", Status: "pending",
			CreatedAt: t0, NextAttemptAt: t0.Add(time.Hour)})
	})
	var mu sync.Mutex
	seen := map[string]int{}
	race(t, stores, 6, func(s store.Store) (bool, error) {
		var got []store.MailMessage
		err := s.Update(ctx, func(tx store.Tx) (err error) {
			got, err = tx.ClaimMail(ctx, t0, t0.Add(time.Minute), 5)
			return
		})
		mu.Lock()
		defer mu.Unlock()
		for _, m := range got {
			seen[m.ID]++
		}
		return true, err
	})
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s claimed %d times", id, c)
		}
	}
	if seen["later"] != 0 {
		t.Error("a message not yet due was claimed")
	}
	// Finish one as sent; after the claims lapse the others are due again.
	m, err := stores[0].GetMailMessage(ctx, id("m", 0))
	if err != nil {
		t.Fatal(err)
	}
	m.Status, m.SentAt, m.SealedBody, m.Attempts = "sent", t0, nil, 1
	update(t, stores[0], func(tx store.Tx) error { return tx.FinishMail(ctx, m) })
	var again []store.MailMessage
	update(t, stores[1], func(tx store.Tx) (err error) {
		again, err = tx.ClaimMail(ctx, t0.Add(2*time.Minute), t0.Add(3*time.Minute), 100)
		return
	})
	if len(again) != n-1 {
		t.Fatalf("after the claims lapsed %d messages are due, want %d", len(again), n-1)
	}
	got, _ := stores[2].GetMailMessage(ctx, id("m", 0))
	if got.Status != "sent" || got.SealedBody != nil || !got.SentAt.Equal(t0) {
		t.Fatalf("sent message = %+v", got)
	}
	list, err := stores[0].ListMail(ctx, 100)
	if err != nil || len(list) != n+1 {
		t.Fatalf("ListMail = %d messages, %v", len(list), err)
	}
}

func testPurgeExpiredSignin(t *testing.T, open Connect) {
	s := open()
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateSigninFlow(ctx, store.SigninFlow{TokenHash: "f", WorkflowID: "w", Step: "x", State: []byte{}, CreatedAt: t0, ExpiresAt: t0}); err != nil {
			return err
		}
		if err := tx.CreatePortalSession(ctx, store.PortalSession{ID: "s", TokenHash: "s", UserID: "u", CreatedAt: t0, AuthTime: t0, ExpiresAt: t0, LastSeenAt: t0}); err != nil {
			return err
		}
		if err := tx.CreatePortalSession(ctx, store.PortalSession{ID: "live", TokenHash: "live", UserID: "u", CreatedAt: t0, AuthTime: t0, ExpiresAt: t0.Add(time.Hour), LastSeenAt: t0}); err != nil {
			return err
		}
		return tx.CreateUserToken(ctx, store.UserToken{TokenHash: "t", UserID: "u", Purpose: "reset", CreatedAt: t0, ExpiresAt: t0})
	})
	var n int
	update(t, s, func(tx store.Tx) (err error) { n, err = tx.PurgeExpiredSignin(ctx, t0); return })
	if n != 3 {
		t.Fatalf("purged %d rows, want 3", n)
	}
	if _, err := s.GetPortalSession(ctx, "live"); err != nil {
		t.Fatalf("live session purged: %v", err)
	}
}
