package signin_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

type env struct {
	t     *testing.T
	db    store.Store
	dir   *directory.Service
	svc   *signin.Service
	clock *clock
	keys  *keyring.Keyring
}

var browser = signin.Browser{}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "g.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{}
	c.ns.Store(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	keys := keyring.NewForTest()
	wa, err := mfa.NewWebAuthn("http://localhost:8080", "Gatehouse")
	if err != nil {
		t.Fatal(err)
	}
	dir := directory.New(db, "d-0123456789", c.Now)
	svc := signin.New(signin.Config{
		Store: db, Directory: dir, Keys: keys,
		Hasher:    password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1}, 2, 0),
		Outbox:    mail.NewOutbox(keys, "Gatehouse <no-reply@gatehouse.test>", c.Now),
		WebAuthn:  wa,
		PublicURL: "https://sso.example.com",
		Now:       c.Now,
	})
	dir.AddHook(svc.Hook())
	return &env{t: t, db: db, dir: dir, svc: svc, clock: c, keys: keys}
}

// ctx is a request context from one browser.
func reqCtx(ip, ua string) context.Context {
	return reqinfo.NewContext(context.Background(), reqinfo.Info{RequestID: "r", SourceIP: ip, UserAgent: ua})
}

var ctx = reqCtx("192.0.2.10", "test-browser/1.0")

// adminCtx carries an API call's audit event, as the admin API does.
func adminCtx() context.Context {
	return audit.NewContext(ctx, audit.NewEvent(time.Now(), "gatehouse.amazonaws.com", "AdminCall"))
}

func (e *env) user(name string) store.User {
	e.t.Helper()
	tr := true
	u, err := e.dir.CreateUser(adminCtx(), directory.NewUser{UserName: name, DisplayName: strings.ToUpper(name[:1]) + name[1:],
		Profile: store.UserProfile{Name: &store.Name{GivenName: name, FamilyName: "Test"},
			Emails: []store.Email{{Value: name + "@example.com", Primary: &tr}}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// withPassword gives u a password through a one-time password and the
// forced change, and returns the flow token where MFA starts.
func (e *env) setPassword(u store.User, pw string) {
	e.t.Helper()
	r, err := e.svc.AdminResetPassword(adminCtx(), u.ID, signin.ResetOneTimePassword)
	if err != nil {
		e.t.Fatal(err)
	}
	n := e.must(e.svc.SubmitUsername(ctx, u.UserName, ""))
	n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, r.OneTimePassword, browser))
	if n.Step != signin.StepChangePassword {
		e.t.Fatalf("after the one-time password: step %q (%s)", n.Step, n.Message)
	}
	n = e.must(e.svc.ChangePassword(ctx, n.FlowToken, pw, browser))
	if n.Message != "" {
		e.t.Fatalf("ChangePassword: %s", n.Message)
	}
}

func (e *env) must(n signin.Next, err error) signin.Next {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// enrollTOTP signs u in with pw and registers an authenticator app,
// returning its secret.
func (e *env) enrollTOTP(u store.User, pw string) []byte {
	e.t.Helper()
	n := e.must(e.svc.SubmitUsername(ctx, u.UserName, ""))
	n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, pw, browser))
	if n.Step != signin.StepRegisterMFA {
		e.t.Fatalf("step %q, want register_mfa (%s)", n.Step, n.Message)
	}
	enr, err := e.svc.BeginTOTPRegistration(ctx, n.FlowToken)
	if err != nil {
		e.t.Fatal(err)
	}
	secret, err := mfa.DecodeSecret(enr.Secret)
	if err != nil || !strings.HasPrefix(enr.URI, "otpauth://totp/Gatehouse:") || !strings.HasPrefix(enr.QR, "data:image/png;base64,") {
		e.t.Fatalf("enrolment = %+v, %v", enr, err)
	}
	n = e.must(e.svc.FinishTOTPRegistration(ctx, n.FlowToken, mfa.Code(secret, mfa.Step(e.clock.Now())), "Phone", browser))
	if n.Step != signin.StepDone || n.Session == nil {
		e.t.Fatalf("after registration: %+v", n)
	}
	e.clock.Advance(mfa.Period) // the registration code's step is used up
	// The seed is sealed at rest.
	devs, _ := e.db.ListMFADevices(context.Background(), u.ID)
	for _, d := range devs {
		if d.Kind == signin.KindTOTP && (strings.Contains(string(d.SecretSealed), string(secret)) || strings.Contains(string(d.SecretSealed), enr.Secret)) {
			e.t.Fatal("the TOTP seed is stored in the clear")
		}
	}
	return secret
}

// events returns the stored audit events named name, oldest first.
func (e *env) events(name string) []map[string]any {
	e.t.Helper()
	list, err := e.db.ListAuditEvents(context.Background(), store.AuditQuery{EventName: name, Limit: 10000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []map[string]any
	for i := len(list) - 1; i >= 0; i-- {
		var m map[string]any
		json.Unmarshal(list[i].Document, &m)
		out = append(out, m)
	}
	return out
}

func reason(ev map[string]any) string {
	d, _ := ev["serviceEventDetails"].(map[string]any)
	r, _ := d["FailureReason"].(string)
	return r
}

func TestPasswordAndTOTPSignIn(t *testing.T) {
	e := newEnv(t)
	u := e.user("alice")
	e.setPassword(u, "a long and unusual passphrase")
	secret := e.enrollTOTP(u, "a long and unusual passphrase")

	n := e.must(e.svc.SubmitUsername(ctx, "ALICE", "/start/accounts"))
	n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "a long and unusual passphrase", browser))
	if n.Step != signin.StepMFA {
		t.Fatalf("step %q, want mfa", n.Step)
	}
	code := mfa.Code(secret, mfa.Step(e.clock.Now()))
	n = e.must(e.svc.SubmitTOTP(ctx, n.FlowToken, code, browser))
	if n.Step != signin.StepDone || n.Session == nil || n.ReturnTo != "/start/accounts" {
		t.Fatalf("after TOTP: %+v", n)
	}
	sess, err := e.svc.Session(ctx, n.Session.Token)
	if err != nil || sess.User.ID != u.ID || !sess.MFAPresent() {
		t.Fatalf("Session = %+v, %v", sess, err)
	}
	// One workflow id correlates the challenge, verifications and the
	// authentication.
	auth := e.events("UserAuthentication")
	wf := auth[len(auth)-1]["additionalEventData"].(map[string]any)["AuthWorkflowID"]
	var steps []string
	for _, name := range []string{"CredentialChallenge", "CredentialVerification"} {
		for _, ev := range e.events(name) {
			if ev["additionalEventData"].(map[string]any)["AuthWorkflowID"] == wf {
				steps = append(steps, name+":"+ev["additionalEventData"].(map[string]any)["CredentialType"].(string))
			}
		}
	}
	if strings.Join(steps, ",") != "CredentialChallenge:PASSWORD,CredentialVerification:PASSWORD,CredentialVerification:TOTP" {
		t.Fatalf("events of workflow %v: %v", wf, steps)
	}
	if err := e.svc.SignOut(ctx, n.Session.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Session(ctx, n.Session.Token); err == nil {
		t.Fatal("the session works after sign-out")
	}
}

// TestLockout (SECURITY A.1): failures from many addresses lock the account
// at the threshold; a locked account answers like a wrong password, even to
// the right one; it unlocks with time or by an administrator.
func TestLockout(t *testing.T) {
	e := newEnv(t)
	u := e.user("bob")
	e.setPassword(u, "tangerine submarine orbit")
	try := func(ip, pw string) signin.Next {
		c := reqCtx(ip, "ua")
		n := e.must(e.svc.SubmitUsername(c, "bob", ""))
		return e.must(e.svc.SubmitPassword(c, n.FlowToken, pw, browser))
	}
	for i := range 10 {
		n := try("198.51.100."+string(rune('1'+i%9)), "wrong guess number")
		if n.Message != signin.MsgBadCredentials {
			t.Fatalf("attempt %d: %+v", i, n)
		}
	}
	locked := try("192.0.2.99", "tangerine submarine orbit")
	if locked.Message != signin.MsgBadCredentials || locked.Step != signin.StepPassword {
		t.Fatalf("correct password while locked: %+v", locked)
	}
	if got := e.events("UserLockedOut"); len(got) != 1 {
		t.Fatalf("%d lockout events, want 1", len(got))
	}
	fails := e.events("CredentialVerification")
	if r := reason(fails[len(fails)-1]); r != "LOCKED_OUT" {
		t.Fatalf("last failure reason %q", r)
	}
	e.clock.Advance(16 * time.Minute)
	if n := try("192.0.2.99", "tangerine submarine orbit"); n.Step != signin.StepRegisterMFA {
		t.Fatalf("after the lock lapsed: %+v", n)
	}
	for range 10 {
		try("192.0.2.1", "wrong")
	}
	if err := e.svc.Unlock(adminCtx(), u.ID); err != nil {
		t.Fatal(err)
	}
	if n := try("192.0.2.99", "tangerine submarine orbit"); n.Step != signin.StepRegisterMFA {
		t.Fatalf("after an admin unlock: %+v", n)
	}
	// Self-service unlock: a password reset.
	for range 10 {
		try("192.0.2.1", "wrong")
	}
	e.clock.Advance(time.Second)
	if err := e.svc.RequestReset(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	f := e.must(e.svc.OpenLink(ctx, e.linkFromMail("bob@example.com")))
	if n := e.must(e.svc.SetPassword(ctx, f.FlowToken, "a fresh start for everyone", browser)); n.Step != signin.StepRegisterMFA {
		t.Fatalf("reset while locked: %+v", n)
	}
	if n := try("192.0.2.99", "a fresh start for everyone"); n.Step != signin.StepRegisterMFA {
		t.Fatalf("after the reset: %+v", n)
	}
}

// TestConcurrentGuessesBounded (SECURITY A.1b): 50 wrong guesses fired at
// once when the counter is at N−1: at most one more password is evaluated.
func TestConcurrentGuessesBounded(t *testing.T) {
	e := newEnv(t)
	u := e.user("carol")
	e.setPassword(u, "tangerine submarine orbit")
	for range 9 {
		n := e.must(e.svc.SubmitUsername(ctx, "carol", ""))
		e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "wrong", browser))
	}
	flows := make([]string, 50)
	for i := range flows {
		flows[i] = e.must(e.svc.SubmitUsername(ctx, "carol", "")).FlowToken
	}
	var wg sync.WaitGroup
	for i := range flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.svc.SubmitPassword(ctx, flows[i], "still wrong", browser); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	evaluated := 0
	for _, ev := range e.events("CredentialVerification") {
		if reason(ev) == "WRONG_PASSWORD" {
			evaluated++
		}
	}
	if evaluated != 10 {
		t.Fatalf("%d wrong passwords were evaluated, want exactly 10 (the threshold)", evaluated)
	}
}

// TestNoEnumeration (SECURITY A.4): an unknown, a disabled and an existing
// user get the same answer at every step.
func TestNoEnumeration(t *testing.T) {
	e := newEnv(t)
	e.setPassword(e.user("dave"), "tangerine submarine orbit")
	dis := e.user("ezra")
	e.setPassword(dis, "tangerine submarine orbit")
	if err := e.dir.SetUserStatus(adminCtx(), dis.ID, directory.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	var answers []string
	for _, c := range []struct{ name, pw string }{
		{"dave", "wrong password"}, {"nobody", "wrong password"}, {"ezra", "tangerine submarine orbit"}, {"nobody@example.com", "x"},
	} {
		n := e.must(e.svc.SubmitUsername(ctx, c.name, ""))
		if n.Step != signin.StepPassword {
			t.Fatalf("%s: username step answered %+v", c.name, n)
		}
		n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, c.pw, browser))
		answers = append(answers, n.Step+"|"+n.Message)
	}
	for _, a := range answers[1:] {
		if a != answers[0] {
			t.Fatalf("answers differ: %q", answers)
		}
	}
	// Forgot password: the same (nil) for all, mail only for the real one.
	for _, name := range []string{"dave", "nobody", "ezra"} {
		if err := e.svc.RequestReset(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := e.db.ListMail(context.Background(), 100)
	resets := 0
	for _, m := range list {
		if strings.Contains(m.Subject, "Reset") {
			resets++
			if m.Recipient != "dave@example.com" {
				t.Fatalf("reset mail to %s", m.Recipient)
			}
		}
	}
	if resets != 1 {
		t.Fatalf("%d reset messages, want 1", resets)
	}
}

// TestTOTPReplay (SECURITY C.11): a code works once; a code of an earlier
// step after a later one succeeded is refused; concurrent uses of one code
// yield one session.
func TestTOTPReplay(t *testing.T) {
	e := newEnv(t)
	u := e.user("frank")
	e.setPassword(u, "tangerine submarine orbit")
	secret := e.enrollTOTP(u, "tangerine submarine orbit")
	toMFA := func() string {
		n := e.must(e.svc.SubmitUsername(ctx, "frank", ""))
		return e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "tangerine submarine orbit", browser)).FlowToken
	}
	now := mfa.Step(e.clock.Now())
	if n := e.must(e.svc.SubmitTOTP(ctx, toMFA(), mfa.Code(secret, now), browser)); n.Session == nil {
		t.Fatalf("first use: %+v", n)
	}
	if n := e.must(e.svc.SubmitTOTP(ctx, toMFA(), mfa.Code(secret, now), browser)); n.Session != nil || n.Message != signin.MsgCodeUsed {
		t.Fatalf("replay: %+v", n)
	}
	if n := e.must(e.svc.SubmitTOTP(ctx, toMFA(), mfa.Code(secret, now-1), browser)); n.Session != nil {
		t.Fatalf("the previous step after the current one: %+v", n)
	}
	notices := 0
	list, _ := e.db.ListMail(context.Background(), 100)
	for _, m := range list {
		if strings.Contains(m.Subject, "used twice") {
			notices++
		}
	}
	if notices == 0 {
		t.Fatal("the user was not told about the replayed code")
	}
	// Concurrent: one code, 8 flows.
	e.clock.Advance(mfa.Period)
	code := mfa.Code(secret, mfa.Step(e.clock.Now()))
	flows := make([]string, 8)
	for i := range flows {
		flows[i] = toMFA()
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for _, f := range flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := e.svc.SubmitTOTP(ctx, f, code, browser)
			if err != nil {
				t.Error(err)
			}
			if n.Session != nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent uses of one code succeeded, want 1", wins.Load())
	}
	replays := 0
	for _, ev := range e.events("CredentialVerification") {
		if reason(ev) == "CODE_ALREADY_USED" {
			replays++
		}
	}
	if replays < 2 {
		t.Fatalf("replays not recorded: %d", replays)
	}
}

// TestTOTPGuessingLocks (SECURITY C.12): five wrong codes lock MFA for a
// while; the password counter is not touched.
func TestTOTPGuessingLocks(t *testing.T) {
	e := newEnv(t)
	u := e.user("gina")
	e.setPassword(u, "tangerine submarine orbit")
	secret := e.enrollTOTP(u, "tangerine submarine orbit")
	n := e.must(e.svc.SubmitUsername(ctx, "gina", ""))
	n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "tangerine submarine orbit", browser))
	flow := n.FlowToken
	for range 5 {
		if n := e.must(e.svc.SubmitTOTP(ctx, flow, "000000", browser)); n.Message != signin.MsgBadCode {
			t.Fatalf("wrong code: %+v", n)
		}
	}
	good := mfa.Code(secret, mfa.Step(e.clock.Now()))
	if n := e.must(e.svc.SubmitTOTP(ctx, flow, good, browser)); n.Session != nil || n.Message != signin.MsgMFALocked {
		t.Fatalf("right code while locked: %+v", n)
	}
	if _, err := e.db.GetCounter(context.Background(), "pw:"+u.ID); err == nil {
		t.Fatal("the password counter was touched by MFA failures")
	}
	e.clock.Advance(6 * time.Minute)
	n = e.must(e.svc.SubmitUsername(ctx, "gina", ""))
	n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "tangerine submarine orbit", browser))
	if n = e.must(e.svc.SubmitTOTP(ctx, n.FlowToken, mfa.Code(secret, mfa.Step(e.clock.Now())), browser)); n.Session == nil {
		t.Fatalf("after the MFA lock lapsed: %+v", n)
	}
}

// linkFromMail returns the token of the newest link mailed to addr.
func (e *env) linkFromMail(addr string) string {
	e.t.Helper()
	list, _ := e.db.ListMail(context.Background(), 100)
	for _, m := range list {
		if m.Recipient != addr {
			continue
		}
		raw, err := e.keys.Open("mail:"+m.ID, m.SealedBody)
		if err != nil {
			e.t.Fatal(err)
		}
		body := strings.ReplaceAll(strings.ReplaceAll(string(raw), "=\r\n", ""), "=3D", "=")
		if i := strings.Index(body, "/start/link?token="); i >= 0 {
			tok := body[i+len("/start/link?token="):]
			if j := strings.IndexAny(tok, "\r\n "); j >= 0 {
				tok = tok[:j]
			}
			if !strings.Contains(body, "https://sso.example.com/start/link?token=") {
				e.t.Fatal("the link does not use the public URL")
			}
			return tok
		}
	}
	e.t.Fatalf("no link mailed to %s", addr)
	return ""
}

// TestInvitationLinks (SECURITY B.9): single use, superseded by a newer
// link, expired, refused for a disabled user; of two concurrent
// submissions exactly one wins; MFA follows.
func TestInvitationLinks(t *testing.T) {
	e := newEnv(t)
	u := e.user("hana")
	if _, err := e.svc.Invite(adminCtx(), u.ID); err != nil {
		t.Fatal(err)
	}
	first := e.linkFromMail("hana@example.com")
	e.clock.Advance(time.Second)
	if _, err := e.svc.Invite(adminCtx(), u.ID); err != nil { // resend
		t.Fatal(err)
	}
	second := e.linkFromMail("hana@example.com")
	if first == second {
		t.Fatal("resend reused the token")
	}
	if _, err := e.svc.OpenLink(ctx, first); err != signin.ErrBadLink {
		t.Fatalf("superseded link: %v", err)
	}
	// Two browsers open the link and submit at once.
	a := e.must(e.svc.OpenLink(ctx, second))
	b := e.must(e.svc.OpenLink(ctx, second))
	var wg sync.WaitGroup
	results := make([]error, 2)
	steps := make([]string, 2)
	for i, f := range []string{a.FlowToken, b.FlowToken} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := e.svc.SetPassword(ctx, f, "a completely fresh passphrase", browser)
			results[i], steps[i] = err, n.Step
		}()
	}
	wg.Wait()
	wins := 0
	for i, err := range results {
		if err == nil && steps[i] == signin.StepRegisterMFA {
			wins++
		} else if err != signin.ErrBadLink {
			t.Fatalf("loser got %v, step %q", err, steps[i])
		}
	}
	if wins != 1 {
		t.Fatalf("%d submissions won, want 1", wins)
	}
	if _, err := e.svc.OpenLink(ctx, second); err != signin.ErrBadLink {
		t.Fatalf("used link: %v", err)
	}
	// Expiry and disabled users.
	if _, err := e.svc.AdminResetPassword(adminCtx(), u.ID, signin.ResetEmail); err != nil {
		t.Fatal(err)
	}
	reset := e.linkFromMail("hana@example.com")
	e.clock.Advance(61 * time.Minute)
	if _, err := e.svc.OpenLink(ctx, reset); err != signin.ErrBadLink {
		t.Fatalf("expired link: %v", err)
	}
	e.clock.Advance(time.Second)
	if _, err := e.svc.AdminResetPassword(adminCtx(), u.ID, signin.ResetEmail); err != nil {
		t.Fatal(err)
	}
	reset = e.linkFromMail("hana@example.com")
	f := e.must(e.svc.OpenLink(ctx, reset))
	if err := e.dir.SetUserStatus(adminCtx(), u.ID, directory.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPassword(ctx, f.FlowToken, "another new passphrase", browser); err == nil {
		t.Fatal("a disabled user redeemed a link")
	}
}

// TestDisableAndDeleteEndSessions (SECURITY D.20).
func TestDisableAndDeleteEndSessions(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{NoDeviceBehavior: ptr(signin.NoDeviceAllow)}); err != nil {
		t.Fatal(err)
	}
	u := e.user("ivan")
	e.setPassword(u, "tangerine submarine orbit")
	signIn := func() string {
		n := e.must(e.svc.SubmitUsername(ctx, "ivan", ""))
		n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "tangerine submarine orbit", browser))
		if n.Session == nil {
			t.Fatalf("no session: %+v", n)
		}
		if n.Session.Expires.Sub(e.clock.Now()) != 8*time.Hour {
			t.Fatalf("session length %v, want 8h", n.Session.Expires.Sub(e.clock.Now()))
		}
		return n.Session.Token
	}
	tok := signIn()
	if err := e.dir.SetUserStatus(adminCtx(), u.ID, directory.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Session(ctx, tok); err == nil {
		t.Fatal("session alive after disable")
	}
	e.dir.SetUserStatus(adminCtx(), u.ID, directory.StatusEnabled)
	tok = signIn()
	if list, _ := e.svc.ListSessions(ctx, u.ID); len(list) != 1 {
		t.Fatalf("sessions: %+v", list)
	}
	if err := e.dir.DeleteUser(adminCtx(), u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Session(ctx, tok); err == nil {
		t.Fatal("session alive after delete")
	}
	if list, _ := e.db.ListMFADevices(context.Background(), u.ID); len(list) != 0 {
		t.Fatal("devices survive the user")
	}
}

func ptr[T any](v T) *T { return &v }

func TestSettingsValidation(t *testing.T) {
	e := newEnv(t)
	for _, p := range []signin.SettingsPatch{
		{SessionDurationMinutes: ptr(14)},
		{SessionDurationMinutes: ptr(90*24*60 + 1)},
		{MFAMode: ptr("SOMETIMES")},
		{LockoutThreshold: ptr(0)},
		{LockoutThreshold: ptr(101)},
		{AllowedMFATypes: ptr([]string{})},
		{PasswordPolicy: ptr("nist")},
	} {
		if _, err := e.svc.UpdateSettings(adminCtx(), p); err == nil {
			t.Errorf("UpdateSettings(%+v) accepted", p)
		}
	}
	st, err := e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{SessionDurationMinutes: ptr(15)})
	if err != nil || st.SessionDurationMinutes != 15 || st.MFAMode != signin.MFAContextAware {
		t.Fatalf("UpdateSettings = %+v, %v", st, err)
	}
}

// TestNoDeviceBehaviours (SECURITY C.13): block gives no session; email OTP
// is single use, bound to its flow and never counts as MFA.
func TestNoDeviceBehaviours(t *testing.T) {
	e := newEnv(t)
	u := e.user("judy")
	e.setPassword(u, "tangerine submarine orbit")
	toSecond := func() signin.Next {
		n := e.must(e.svc.SubmitUsername(ctx, "judy", ""))
		return e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "tangerine submarine orbit", browser))
	}
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{NoDeviceBehavior: ptr(signin.NoDeviceBlock)})
	if n := toSecond(); n.Step != signin.StepBlocked || n.Session != nil || n.FlowToken != "" {
		t.Fatalf("block: %+v", n)
	}
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{NoDeviceBehavior: ptr(signin.NoDeviceEmailOTP)})
	a := toSecond()
	codeA := e.otpFromMail("judy@example.com")
	e.clock.Advance(time.Second)
	b := toSecond()
	codeB := e.otpFromMail("judy@example.com")
	if n := e.must(e.svc.SubmitEmailOTP(ctx, b.FlowToken, codeA, browser)); n.Session != nil {
		t.Fatal("a code from another sign-in worked")
	}
	n := e.must(e.svc.SubmitEmailOTP(ctx, b.FlowToken, codeB, browser))
	if n.Session == nil {
		t.Fatalf("email OTP: %+v", n)
	}
	sess, _ := e.svc.Session(ctx, n.Session.Token)
	if sess.MFAPresent() {
		t.Fatal("an email OTP session counts as MFA")
	}
	if n := e.must(e.svc.SubmitEmailOTP(ctx, a.FlowToken, codeA, browser)); n.Session == nil {
		t.Fatalf("flow A with its own code: %+v", n)
	}
	e.clock.Advance(time.Second)
	c := toSecond()
	e.clock.Advance(11 * time.Minute)
	if n, _ := e.svc.SubmitEmailOTP(ctx, c.FlowToken, e.otpFromMail("judy@example.com"), browser); n.Session != nil {
		t.Fatal("an expired code worked")
	}
}

func (e *env) otpFromMail(addr string) string {
	e.t.Helper()
	list, _ := e.db.ListMail(context.Background(), 100)
	for _, m := range list {
		if m.Recipient == addr && strings.Contains(m.Subject, "verification code") {
			raw, _ := e.keys.Open("mail:"+m.ID, m.SealedBody)
			s := string(raw)
			i := strings.Index(s, "code is ")
			return s[i+8 : i+14]
		}
	}
	e.t.Fatal("no code mailed")
	return ""
}

// TestContextAwareMFA (SECURITY C.13): a trusted browser skips MFA; another
// user agent or network, or the cookie copied elsewhere, asks again.
func TestContextAwareMFA(t *testing.T) {
	e := newEnv(t)
	u := e.user("kim")
	e.setPassword(u, "tangerine submarine orbit")
	secret := e.enrollTOTP(u, "tangerine submarine orbit")
	signIn := func(c context.Context, b signin.Browser) signin.Next {
		n := e.must(e.svc.SubmitUsername(c, "kim", ""))
		return e.must(e.svc.SubmitPassword(c, n.FlowToken, "tangerine submarine orbit", b))
	}
	n := signIn(ctx, browser)
	n = e.must(e.svc.SubmitTOTP(ctx, n.FlowToken, mfa.Code(secret, mfa.Step(e.clock.Now())), browser))
	if n.TrustedDevice == "" {
		t.Fatal("no trusted-device cookie in context-aware mode")
	}
	trusted := signin.Browser{DeviceToken: n.TrustedDevice}
	if n := signIn(ctx, trusted); n.Step != signin.StepDone {
		t.Fatalf("trusted browser: %+v", n)
	}
	if n := signIn(reqCtx("192.0.2.10", "other-browser/2.0"), trusted); n.Step != signin.StepMFA {
		t.Fatalf("copied cookie in another browser: %+v", n)
	}
	if n := signIn(reqCtx("203.0.113.5", "test-browser/1.0"), trusted); n.Step != signin.StepMFA {
		t.Fatalf("another network: %+v", n)
	}
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{MFAMode: ptr(signin.MFAAlwaysOn)})
	if n := signIn(ctx, trusted); n.Step != signin.StepMFA {
		t.Fatalf("always-on mode: %+v", n)
	}
}

// TestLegacyHashRehashed (SECURITY A.7).
func TestLegacyHashRehashed(t *testing.T) {
	e := newEnv(t)
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{NoDeviceBehavior: ptr(signin.NoDeviceAllow)})
	u := e.user("lee")
	legacy := password.HashWith(password.Params{Memory: 32, Time: 1, Threads: 1}, "legacy tangerine orbit")
	e.db.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutPassword(context.Background(), store.Password{UserID: u.ID, Hash: legacy, UpdatedAt: e.clock.Now()})
	})
	n := e.must(e.svc.SubmitUsername(ctx, "lee", ""))
	if n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "legacy tangerine orbit", browser)); n.Session == nil {
		t.Fatalf("legacy sign-in: %+v", n)
	}
	p, _ := e.db.GetPassword(context.Background(), u.ID)
	if p.Hash == legacy || !strings.HasPrefix(p.Hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash not upgraded: %s", p.Hash)
	}
}

// TestDeviceQuota (SECURITY C.14).
func TestDeviceQuota(t *testing.T) {
	e := newEnv(t)
	u := e.user("mia")
	e.setPassword(u, "tangerine submarine orbit")
	secret := e.enrollTOTP(u, "tangerine submarine orbit")
	signIn := func() signin.Next {
		n := e.must(e.svc.SubmitUsername(ctx, "mia", ""))
		n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "tangerine submarine orbit", browser))
		n = e.must(e.svc.SubmitTOTP(ctx, n.FlowToken, mfa.Code(secret, mfa.Step(e.clock.Now())), browser))
		e.clock.Advance(mfa.Period)
		return n
	}
	add := func() error {
		sess, err := e.svc.Session(ctx, signIn().Session.Token)
		if err != nil {
			return err
		}
		n, err := e.svc.StartEnrollment(ctx, sess)
		if err != nil {
			return err
		}
		enr, err := e.svc.BeginTOTPRegistration(ctx, n.FlowToken)
		if err != nil {
			return err
		}
		s2, _ := mfa.DecodeSecret(enr.Secret)
		_, err = e.svc.FinishTOTPRegistration(ctx, n.FlowToken, mfa.Code(s2, mfa.Step(e.clock.Now())), "second", browser)
		return err
	}
	if err := add(); err != nil {
		t.Fatal(err)
	}
	if err := add(); err == nil || !strings.Contains(err.Error(), "most allowed") {
		t.Fatalf("third authenticator app: %v", err)
	}
	// Device changes need a recent sign-in.
	sess, _ := e.svc.Session(ctx, signIn().Session.Token)
	e.clock.Advance(20 * time.Minute)
	devs, _ := e.svc.Devices(ctx, u.ID)
	if err := e.svc.RemoveDevice(ctx, sess, devs[0].ID); err != signin.ErrReauth {
		t.Fatalf("removal with an old sign-in: %v", err)
	}
}

// TestNoWebAuthnRelyingParty: without a relying party (a public URL with an
// IP address) security keys are not offered and cannot be registered.
func TestNoWebAuthnRelyingParty(t *testing.T) {
	e := newEnv(t)
	e.svc = signin.New(signin.Config{
		Store: e.db, Directory: e.dir, Keys: e.keys,
		Hasher:    password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1}, 1, 0),
		Outbox:    mail.NewOutbox(e.keys, "Gatehouse <no-reply@gatehouse.test>", e.clock.Now),
		PublicURL: "http://127.0.0.1:8080", Now: e.clock.Now,
	})
	u := e.user("rita")
	e.setPassword(u, "tangerine submarine orbit")
	flow := e.toRegister(u)
	info, err := e.svc.Describe(ctx, flow)
	if err != nil || len(info.Methods) != 1 || info.Methods[0] != signin.TypeTOTP {
		t.Fatalf("methods %v, %v", info.Methods, err)
	}
	if _, err := e.svc.BeginWebAuthnRegistration(ctx, flow); err == nil {
		t.Fatal("a security key registration started without a relying party")
	}
}

// TestEmailOTPTries (SECURITY B.10): after five wrong codes the emailed
// code stops working and a new one must be requested.
func TestEmailOTPTries(t *testing.T) {
	e := newEnv(t)
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{NoDeviceBehavior: ptr(signin.NoDeviceEmailOTP)})
	u := e.user("sara")
	e.setPassword(u, "tangerine submarine orbit")
	e.clock.Advance(time.Second)
	n := e.must(e.svc.SubmitUsername(ctx, "sara", ""))
	n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "tangerine submarine orbit", browser))
	code := e.otpFromMail("sara@example.com")
	for range 5 {
		e.must(e.svc.SubmitEmailOTP(ctx, n.FlowToken, "000000", browser))
	}
	if got := e.must(e.svc.SubmitEmailOTP(ctx, n.FlowToken, code, browser)); got.Session != nil {
		t.Fatal("the code worked after five wrong tries")
	}
	e.clock.Advance(time.Second)
	e.must(e.svc.ResendEmailOTP(ctx, n.FlowToken))
	if got := e.must(e.svc.SubmitEmailOTP(ctx, n.FlowToken, e.otpFromMail("sara@example.com"), browser)); got.Session == nil {
		t.Fatalf("the new code: %+v", got)
	}
}

// TestSessionDurationChange (SECURITY D.21): a new duration applies to new
// sessions; existing ones keep theirs, enforced on the server.
func TestSessionDurationChange(t *testing.T) {
	e := newEnv(t)
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{NoDeviceBehavior: ptr(signin.NoDeviceAllow)})
	u := e.user("tina")
	e.setPassword(u, "tangerine submarine orbit")
	signIn := func() *signin.NewSession {
		n := e.must(e.svc.SubmitUsername(ctx, "tina", ""))
		return e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "tangerine submarine orbit", browser)).Session
	}
	old := signIn()
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{SessionDurationMinutes: ptr(15)})
	short := signIn()
	if d := short.Expires.Sub(e.clock.Now()); d != 15*time.Minute {
		t.Fatalf("new session lasts %v", d)
	}
	e.clock.Advance(16 * time.Minute)
	if _, err := e.svc.Session(ctx, short.Token); err == nil {
		t.Fatal("a 15-minute session works after 16 minutes")
	}
	if _, err := e.svc.Session(ctx, old.Token); err != nil {
		t.Fatalf("the older 8-hour session was cut short: %v", err)
	}
}

// TestRegistrationWindow (SECURITY C.14): registering a device long after
// the password step needs a new sign-in.
func TestRegistrationWindow(t *testing.T) {
	e := newEnv(t)
	u := e.user("uma")
	e.setPassword(u, "tangerine submarine orbit")
	flow := e.toRegister(u)
	e.clock.Advance(signin.FlowTTL + time.Second)
	if _, err := e.svc.BeginTOTPRegistration(ctx, flow); err != signin.ErrFlow {
		t.Fatalf("registration after %v: %v", signin.FlowTTL, err)
	}
}

// TestSetPasswordSurvivesTransactionRetry: redeeming a reset link when the
// transaction is run again (PostgreSQL's retry) still sets the password and
// goes on, instead of finding the link already spent by its own first run.
func TestSetPasswordSurvivesTransactionRetry(t *testing.T) {
	e := newEnv(t)
	rs := &storetest.RetryingStore{Store: e.db}
	e.svc = signin.New(signin.Config{
		Store: rs, Directory: e.dir, Keys: e.keys,
		Hasher:    password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1}, 1, 0),
		Outbox:    mail.NewOutbox(e.keys, "Gatehouse <no-reply@gatehouse.test>", e.clock.Now),
		PublicURL: "https://sso.example.com", Now: e.clock.Now,
	})
	u := e.user("uma")
	e.setPassword(u, "tangerine submarine orbit")
	if err := e.svc.RequestReset(ctx, "uma"); err != nil {
		t.Fatal(err)
	}
	f := e.must(e.svc.OpenLink(ctx, e.linkFromMail("uma@example.com")))
	rs.Retry.Store(true)
	n, err := e.svc.SetPassword(ctx, f.FlowToken, "a fresh start for everyone", browser)
	rs.Retry.Store(false)
	if err != nil || n.Step != signin.StepRegisterMFA {
		t.Fatalf("SetPassword with its transaction run twice: %+v, %v", n, err)
	}
	n = e.must(e.svc.SubmitUsername(ctx, "uma", ""))
	if n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "a fresh start for everyone", browser)); n.Step != signin.StepRegisterMFA {
		t.Fatalf("the new password does not sign in: %+v", n)
	}
}

// retrying returns a service whose store runs every write transaction
// twice while rs.Retry is set (storetest.RetryingStore), and the count of
// its MailSent calls. e.svc stays on the plain store, for the set-up and
// for the writer that wins the race in rs.Between.
func (e *env) retrying() (*storetest.RetryingStore, *signin.Service, *atomic.Int32) {
	e.t.Helper()
	rs := &storetest.RetryingStore{Store: e.db}
	wa, err := mfa.NewWebAuthn("http://localhost:8080", "Gatehouse")
	if err != nil {
		e.t.Fatal(err)
	}
	var mailed atomic.Int32
	svc := signin.New(signin.Config{
		Store: rs, Directory: e.dir, Keys: e.keys,
		Hasher:    password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1}, 1, 0),
		Outbox:    mail.NewOutbox(e.keys, "Gatehouse <no-reply@gatehouse.test>", e.clock.Now),
		WebAuthn:  wa,
		PublicURL: "https://sso.example.com", Now: e.clock.Now,
		MailSent: func() { mailed.Add(1) },
	})
	return rs, svc, &mailed
}

// TestFinishTOTPRegistrationSurvivesTransactionRetry: when the code has
// gone stale by the run of the transaction that commits, the answer is the
// mismatch, and the device announced by the rolled-back first run is not
// reported as added (no MailSent for a mail that was never queued).
func TestFinishTOTPRegistrationSurvivesTransactionRetry(t *testing.T) {
	e := newEnv(t)
	u := e.user("uma")
	e.setPassword(u, "tangerine submarine orbit")
	rs, svc, mailed := e.retrying()
	flow := e.toRegister(u)
	enr, err := svc.BeginTOTPRegistration(ctx, flow)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := mfa.DecodeSecret(enr.Secret)
	if err != nil {
		t.Fatal(err)
	}
	code := mfa.Code(secret, mfa.Step(e.clock.Now()))
	rs.Between = func() { e.clock.Advance(5 * time.Minute) } // the code expires between the runs
	rs.Retry.Store(true)
	n, err := svc.FinishTOTPRegistration(ctx, flow, code, "Phone", browser)
	rs.Retry.Store(false)
	if err != nil || n.Step != signin.StepRegisterMFA || n.Message == "" || n.Session != nil {
		t.Fatalf("FinishTOTPRegistration with a code gone stale in the second run: %+v, %v", n, err)
	}
	if devices, err := e.db.ListMFADevices(ctx, u.ID); err != nil || len(devices) != 0 {
		t.Fatalf("devices = %+v, %v", devices, err)
	}
	if got := mailed.Load(); got != 0 {
		t.Fatalf("MailSent called %d times, though the run that committed queued no mail", got)
	}
}

// TestFinishWebAuthnRegistrationSurvivesTransactionRetry: another user
// registers the same credential while the transaction runs, so the run
// that commits refuses it; the device of the rolled-back first run is not
// reported as added.
func TestFinishWebAuthnRegistrationSurvivesTransactionRetry(t *testing.T) {
	e := newEnv(t)
	nora, olga := e.user("nora"), e.user("olga")
	e.setPassword(nora, "tangerine submarine orbit")
	e.setPassword(olga, "tangerine submarine orbit")
	rs, svc, mailed := e.retrying()
	key := newSoftKey()
	fn, fo := e.toRegister(nora), e.toRegister(olga)
	optsN, err := svc.BeginWebAuthnRegistration(ctx, fn)
	if err != nil {
		t.Fatal(err)
	}
	optsO, err := e.svc.BeginWebAuthnRegistration(ctx, fo)
	if err != nil {
		t.Fatal(err)
	}
	rs.Between = func() {
		if n, err := e.svc.FinishWebAuthnRegistration(ctx, fo, key.register(optsO, ceremony{}, t), "key", browser); err != nil || n.Session == nil {
			t.Errorf("the concurrent registration: %+v, %v", n, err)
		}
	}
	rs.Retry.Store(true)
	n, err := svc.FinishWebAuthnRegistration(ctx, fn, key.register(optsN, ceremony{}, t), "key", browser)
	rs.Retry.Store(false)
	if err != nil || n.Session != nil || n.Message == "" {
		t.Fatalf("FinishWebAuthnRegistration of a credential taken before the second run: %+v, %v", n, err)
	}
	if r := e.lastFailure("CredentialVerification"); r != "CREDENTIAL_ALREADY_REGISTERED" {
		t.Fatalf("reason %q", r)
	}
	if devices, err := e.db.ListMFADevices(ctx, nora.ID); err != nil || len(devices) != 0 {
		t.Fatalf("devices = %+v, %v", devices, err)
	}
	if got := mailed.Load(); got != 0 {
		t.Fatalf("MailSent called %d times, though the run that committed queued no mail", got)
	}
}
