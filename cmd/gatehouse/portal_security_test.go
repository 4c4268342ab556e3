package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	isdocument "github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	istypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"

	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/store"
)

// browserClient is a cookie-keeping HTTP client that behaves like a
// browser posting our forms: it reads the CSRF token from the last page and
// sends same-origin fetch metadata.
type browserClient struct {
	t    testing.TB
	c    *http.Client
	base string
	csrf string
	ua   string
}

func newBrowserClient(t testing.TB, base string) *browserClient {
	jar, _ := cookiejar.New(nil)
	return &browserClient{t: t, base: base, ua: "portal-test/1.0",
		c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

type page2 struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browserClient) do(req *http.Request) page2 {
	b.t.Helper()
	p, err := b.send(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return p
}

func (b *browserClient) send(req *http.Request) (page2, error) {
	req.Header.Set("User-Agent", b.ua)
	res, err := b.c.Do(req)
	if err != nil {
		return page2{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return page2{}, err
	}
	if m := csrfMeta.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return page2{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body), header: res.Header}, nil
}

// try is get or post without a test to fail, for benchmarks' goroutines.
func (b *browserClient) try(method, path string, form url.Values) (page2, error) {
	var req *http.Request
	if method == http.MethodPost {
		if form == nil {
			form = url.Values{}
		}
		form.Set("csrf", b.csrf)
		req, _ = http.NewRequest(method, b.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	} else {
		req, _ = http.NewRequest(method, b.base+path, nil)
	}
	p, err := b.send(req)
	if err == nil && p.status >= 500 {
		err = fmt.Errorf("%s %s: %d", method, path, p.status)
	}
	return p, err
}

func (b *browserClient) get(path string) page2 {
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// follow GETs redirects until a page.
func (b *browserClient) follow(p page2) page2 {
	for i := 0; i < 5 && p.status == http.StatusSeeOther; i++ {
		p = b.get(p.location)
	}
	return p
}

// post sends a form as our own page would.
func (b *browserClient) post(path string, form url.Values, headers ...string) page2 {
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	return b.do(req)
}

func (b *browserClient) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browserClient) setCookie(name, value string) {
	u, _ := url.Parse(b.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// signIn goes through user name and password and returns the last answer.
func (b *browserClient) signIn(user, pw string) page2 {
	b.follow(b.get("/start/login"))
	b.follow(b.post("/start/login", url.Values{"username": {user}}))
	return b.post("/start/password", url.Values{"password": {pw}})
}

// portalUser creates a user with a password (through a one-time password
// and the forced change) and, when totp, an authenticator app; it returns
// the user id and the TOTP secret.
func portalUser(t *testing.T, app *portalApp, name, pw string, totp bool) (string, []byte) {
	t.Helper()
	id := app.createUser(t, name, name+"@example.com")
	code, out := app.adminCall(t, "ResetUserPassword", map[string]any{"UserId": id, "Mode": "ONE_TIME_PASSWORD"})
	if code != 200 {
		t.Fatalf("ResetUserPassword: %d %v", code, out)
	}
	b := newBrowserClient(t, app.URL)
	p := b.signIn(name, out["OneTimePassword"].(string))
	if p.location != "/start/change-password" {
		t.Fatalf("after the one-time password: %d %s", p.status, p.location)
	}
	b.get("/start/change-password")
	p = b.post("/start/change-password", url.Values{"password": {pw}, "confirm": {pw}})
	if !totp && p.location == "/start/accounts" { // users without devices may sign in (ALLOW)
		return id, nil
	}
	if p.location != "/start/mfa/register" {
		t.Fatalf("after the change: %d %s %s", p.status, p.location, p.body)
	}
	if !totp {
		return id, nil
	}
	reg := b.get("/start/mfa/register")
	m := regexp.MustCompile(`id="totp-secret" class="secret">([A-Z2-7]+)<`).FindStringSubmatch(reg.body)
	if m == nil {
		t.Fatalf("no secret on the registration page")
	}
	secret, _ := mfa.DecodeSecret(m[1])
	p = b.post("/start/mfa/register/totp", url.Values{"code": {mfa.Code(secret, mfa.Step(time.Now()))}, "name": {"phone"}})
	if p.location != "/start/accounts" {
		t.Fatalf("after registration: %d %s %s", p.status, p.location, p.body)
	}
	return id, secret
}

// TestPortalHeaders (SECURITY D.22): every HTML page, signed in or not,
// carries the security headers.
func TestPortalHeaders(t *testing.T) {
	app := startPortalApp(t)
	b := newBrowserClient(t, app.URL)
	for _, path := range []string{"/start/login", "/start/forgot", "/start/link?token=nope", "/start/password"} {
		p := b.get(path)
		h := p.header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Referrer-Policy") == "" || h.Get("Cross-Origin-Opener-Policy") != "same-origin" || h.Get("Cache-Control") != "no-store" ||
			h.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

// TestPortalCSRF (SECURITY D.19): a cross-site form post, a post without a
// token, with another session's token or from a foreign origin changes
// nothing and gets 403; GET never changes state.
func TestPortalCSRF(t *testing.T) {
	app := startPortalApp(t)
	_, _ = portalUser(t, app, "carol", "quiet lantern harbour", false)
	app.adminCall(t, "UpdateSignInSettings", map[string]any{"Settings": map[string]any{"NoMfaDeviceBehavior": "ALLOW"}})
	victim := newBrowserClient(t, app.URL)
	if p := victim.signIn("carol", "quiet lantern harbour"); p.location != "/start/accounts" {
		t.Fatalf("sign-in: %d %s", p.status, p.location)
	}
	victim.get("/start/sessions")
	good := victim.csrf
	other := newBrowserClient(t, app.URL)
	other.signIn("carol", "quiet lantern harbour")
	other.get("/start/sessions")
	sessions := func() int {
		code, out := app.adminCall(t, "ListUserSessions", map[string]any{"UserId": mustUserID(t, app, "carol")})
		if code != 200 {
			t.Fatal(out)
		}
		return len(out["Sessions"].([]any))
	}
	if n := sessions(); n != 2 {
		t.Fatalf("%d sessions", n)
	}
	for name, p := range map[string]page2{
		"no token":            victim.post("/start/logout", url.Values{"csrf": {"-"}}),
		"other session token": victim.post("/start/logout", url.Values{"csrf": {other.csrf}}),
		"foreign origin":      victim.post("/start/logout", url.Values{"csrf": {good}}, "Origin", "https://evil.example"),
		"cross-site fetch":    victim.post("/start/logout", url.Values{"csrf": {good}}, "Origin", "", "Sec-Fetch-Site", "cross-site"),
		"cross-site add key":  victim.post("/start/devices/add", url.Values{"csrf": {good}}, "Origin", "https://evil.example"),
	} {
		if p.status != http.StatusForbidden {
			t.Errorf("%s: status %d", name, p.status)
		}
	}
	if n := sessions(); n != 2 {
		t.Fatalf("a forged post ended a session: %d left", n)
	}
	if p := victim.get("/start/logout"); p.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET /start/logout: %d", p.status)
	}
	if p := victim.post("/start/logout", url.Values{"csrf": {good}}); p.status != http.StatusSeeOther || sessions() != 1 {
		t.Fatalf("a real sign-out: %d, %d sessions", p.status, sessions())
	}
}

func mustUserID(t *testing.T, app *portalApp, name string) string {
	t.Helper()
	u, err := app.app.store.GetUserByKey(context.Background(), "user_name", name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestPortalSessionFixation (SECURITY D.17, D.18, D.20): a planted cookie
// is never adopted; every step issues a new flow cookie and the old one is
// dead; a half-authenticated flow reaches only the MFA page; after sign-out
// or an administrator's termination the cookie is worthless.
func TestPortalSessionFixation(t *testing.T) {
	app := startPortalApp(t)
	_, secret := portalUser(t, app, "dave", "velvet compass morning", true)
	b := newBrowserClient(t, app.URL)
	b.setCookie("gh_session", "attacker-chosen-session")
	b.setCookie("gh_flow", "attacker-chosen-flow")
	b.follow(b.get("/start/login"))
	b.post("/start/login", url.Values{"username": {"dave"}})
	flow1 := b.cookie("gh_flow")
	if flow1 == "attacker-chosen-flow" || flow1 == "" {
		t.Fatalf("flow cookie %q", flow1)
	}
	b.get("/start/password")
	p := b.post("/start/password", url.Values{"password": {"velvet compass morning"}})
	flow2 := b.cookie("gh_flow")
	if p.location != "/start/mfa" || flow2 == flow1 {
		t.Fatalf("after the password: %s, flow rotated: %v", p.location, flow2 != flow1)
	}
	// Half-authenticated: the portal is out of reach.
	if p := b.get("/start/accounts"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/start/login") {
		t.Fatalf("portal with a half-done sign-in: %d %s", p.status, p.location)
	}
	// The old flow cookie is dead.
	stale := newBrowserClient(t, app.URL)
	stale.setCookie("gh_flow", flow1)
	if p := stale.get("/start/mfa"); !strings.Contains(p.body, "expired") {
		t.Fatalf("the pre-password flow cookie still works: %d", p.status)
	}
	time.Sleep(time.Until(time.Unix((mfa.Step(time.Now())+1)*30, 0)))
	b.get("/start/mfa")
	p = b.post("/start/mfa", url.Values{"code": {mfa.Code(secret, mfa.Step(time.Now()))}})
	sess := b.cookie("gh_session")
	if p.location != "/start/accounts" || sess == "" || sess == "attacker-chosen-session" {
		t.Fatalf("after MFA: %d %s, session %q", p.status, p.location, sess)
	}
	if b.cookie("gh_flow") != "" {
		t.Fatal("the flow cookie outlives the sign-in")
	}
	if p := b.get("/start/accounts"); p.status != http.StatusOK {
		t.Fatalf("portal: %d", p.status)
	}
	// Administrator ends the sessions: the cookie dies at once.
	code, out := app.adminCall(t, "DeleteUserSessions", map[string]any{"UserId": mustUserID(t, app, "dave")})
	if code != 200 || out["SessionsEnded"].(float64) != 2 { // this one and the registration's
		t.Fatalf("DeleteUserSessions: %d %v", code, out)
	}
	if p := b.get("/start/accounts"); p.status != http.StatusSeeOther {
		t.Fatalf("portal after termination: %d", p.status)
	}
}

// TestPortalRedirects (SECURITY D.28): a hostile return_to never leaves
// the origin.
func TestPortalRedirects(t *testing.T) {
	app := startPortalApp(t)
	portalUser(t, app, "erin", "amber meadow railway", false)
	app.adminCall(t, "UpdateSignInSettings", map[string]any{"Settings": map[string]any{"NoMfaDeviceBehavior": "ALLOW"}})
	for _, target := range []string{"//evil.example/", "/\\evil.example", "https://evil.example/", "/%2f%2fevil.example", "javascript:alert(1)", "/start/accounts"} {
		b := newBrowserClient(t, app.URL)
		b.get("/start/login?return_to=" + url.QueryEscape(target))
		b.post("/start/login", url.Values{"username": {"erin"}, "return_to": {target}})
		b.get("/start/password")
		p := b.post("/start/password", url.Values{"password": {"amber meadow railway"}})
		if p.location != "/start/accounts" {
			t.Errorf("return_to %q: redirected to %q", target, p.location)
		}
	}
}

// TestPortalNoEnumeration (SECURITY A.4): an existing, a missing and a
// disabled user get the same status, body and header names from the login
// steps and from "forgot password".
func TestPortalNoEnumeration(t *testing.T) {
	app := startPortalApp(t)
	portalUser(t, app, "frank", "copper kettle sunrise", false)
	gid, _ := portalUser(t, app, "gina", "copper kettle sunrise", false)
	app.adminCall(t, "UpdateSignInSettings", map[string]any{"Settings": map[string]any{"NoMfaDeviceBehavior": "ALLOW"}})
	c := newIdentityClient(app)
	if err := disableUser(c, app, gid); err != nil {
		t.Fatal(err)
	}
	token := regexp.MustCompile(`value="[A-Za-z0-9_-]{43}"|content="[A-Za-z0-9_-]{43}"`)
	normal := func(p page2) string {
		var names []string
		for k := range p.header {
			if k != "Date" && k != "X-Amzn-Requestid" && k != "Set-Cookie" && k != "Content-Length" {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		return p.location + "|" + strings.Join(names, ",") + "|" + token.ReplaceAllString(p.body, "TOKEN")
	}
	typed := regexp.MustCompile(`frank|nobody-here|gina`)
	var answers, forgot []string
	for _, name := range []string{"frank", "nobody-here", "gina"} {
		b := newBrowserClient(t, app.URL)
		b.follow(b.get("/start/login"))
		p1 := b.post("/start/login", url.Values{"username": {name}})
		b.get("/start/password")
		p2 := b.post("/start/password", url.Values{"password": {"not the password"}})
		// The page echoes the name the user typed; nothing else may differ.
		answers = append(answers, typed.ReplaceAllString(normal(p1)+"#"+normal(p2)+"#"+http.StatusText(p2.status), "NAME"))
		b.get("/start/forgot")
		p3 := b.post("/start/forgot", url.Values{"username": {name}})
		forgot = append(forgot, normal(p3))
	}
	for i := 1; i < 3; i++ {
		if answers[i] != answers[0] {
			t.Errorf("login answers differ:\n%s\n%s", answers[0], answers[i])
		}
		if forgot[i] != forgot[0] {
			t.Errorf("forgot answers differ:\n%s\n%s", forgot[0], forgot[i])
		}
	}
}

// TestPortalOverlongInput (SECURITY A.5): a 1 MB form is refused with 400
// before anything runs; a 2 KB password is refused before hashing.
func TestPortalOverlongInput(t *testing.T) {
	app := startPortalApp(t)
	b := newBrowserClient(t, app.URL)
	b.follow(b.get("/start/login"))
	b.post("/start/login", url.Values{"username": {"someone"}})
	b.get("/start/password")
	if p := b.post("/start/password", url.Values{"password": {strings.Repeat("x", 1<<20)}}); p.status != http.StatusBadRequest {
		t.Fatalf("1 MB password: %d", p.status)
	}
	p := b.post("/start/password", url.Values{"password": {strings.Repeat("x", 2048)}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "longer than 256") {
		t.Fatalf("2 KB password: %d", p.status)
	}
	if resp, err := http.Get(app.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
}

// TestResetLinkIgnoresHost (SECURITY B.8): the emailed link uses the
// configured public URL whatever Host or X-Forwarded-Host the request had.
func TestResetLinkIgnoresHost(t *testing.T) {
	app := startPortalApp(t)
	portalUser(t, app, "hana", "silver orchard evening", false)
	// Drain the notices sent so far.
	drain(app)
	b := newBrowserClient(t, app.URL)
	b.get("/start/forgot")
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/start/forgot",
		strings.NewReader(url.Values{"username": {"hana"}, "csrf": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "evil.example"
	// The client's jar would not send the cookie to another Host; a
	// browser behind a misconfigured proxy would.
	req.Header.Set("Cookie", "gh_anon="+b.cookie("gh_anon"))
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("X-Forwarded-Proto", "https")
	if p := b.do(req); p.status != http.StatusOK {
		t.Fatalf("forgot: %d %s", p.status, p.body)
	}
	link := linkFrom(t, app.smtp.Next(t, 30*time.Second))
	if !strings.HasPrefix(link, app.URL+"/start/link?token=") || strings.Contains(link, "evil") {
		t.Fatalf("reset link %q", link)
	}
}

func drain(app *portalApp) {
	for {
		select {
		case <-app.smtp.Messages:
		case <-time.After(2500 * time.Millisecond):
			return
		}
	}
}

// TestAdminAPI checks the GatehouseAdmin operations' validation, errors and
// audit records; the one-time password never reaches the audit log.
func TestAdminAPI(t *testing.T) {
	app := startPortalApp(t)
	id := app.createUser(t, "ivan", "ivan@example.com")
	for _, c := range []struct {
		op   string
		in   map[string]any
		code int
		typ  string
	}{
		{"InviteUser", map[string]any{}, 400, "ValidationException"},
		{"InviteUser", map[string]any{"UserId": "not-an-id"}, 400, "ValidationException"},
		{"InviteUser", map[string]any{"UserId": id, "Extra": 1}, 400, "SerializationException"},
		{"InviteUser", map[string]any{"UserId": "0123456789-11111111-2222-3333-4444-555555555555"}, 400, "ResourceNotFoundException"},
		{"InviteUser", map[string]any{"UserId": id, "IdentityStoreId": "d-0000000000"}, 400, "ResourceNotFoundException"},
		{"ResetUserPassword", map[string]any{"UserId": id, "Mode": "SMS"}, 400, "ValidationException"},
		{"RevokeInvitation", map[string]any{"UserId": id}, 400, "ResourceNotFoundException"},
		{"UpdateSignInSettings", map[string]any{"Settings": map[string]any{"SessionDurationMinutes": 5}}, 400, "ValidationException"},
		{"UpdateSignInSettings", map[string]any{"Settings": map[string]any{"SessionDurationMinutes": 90*24*60 + 1}}, 400, "ValidationException"},
		{"NoSuchOperation", nil, 400, "UnknownOperationException"},
	} {
		code, out := app.adminCall(t, c.op, c.in)
		if code != c.code || out["__type"] != c.typ {
			t.Errorf("%s %v: %d %v, want %d %s", c.op, c.in, code, out, c.code, c.typ)
		}
	}
	if code, out := app.adminCall(t, "InviteUser", map[string]any{"UserId": id}); code != 200 || out["ExpiresAt"] == nil {
		t.Fatalf("InviteUser: %d %v", code, out)
	}
	if code, _ := app.adminCall(t, "RevokeInvitation", map[string]any{"UserId": id}); code != 200 {
		t.Fatalf("RevokeInvitation: %d", code)
	}
	code, out := app.adminCall(t, "ResetUserPassword", map[string]any{"UserId": id, "Mode": "ONE_TIME_PASSWORD"})
	otp, _ := out["OneTimePassword"].(string)
	if code != 200 || otp == "" {
		t.Fatalf("ResetUserPassword: %d %v", code, out)
	}
	code, out = app.adminCall(t, "DescribeSignInSettings", nil)
	if st, _ := out["Settings"].(map[string]any); code != 200 || st["SessionDurationMinutes"].(float64) != 480 || st["MfaMode"] != "CONTEXT_AWARE" {
		t.Fatalf("DescribeSignInSettings: %d %v", code, out)
	}
	app.flushAudit(t)
	events, err := app.app.store.ListAuditEvents(context.Background(), store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		if strings.Contains(string(e.Document), otp) {
			t.Fatalf("the one-time password is in audit event %s", e.Name)
		}
		found = found || (e.Name == "ResetUserPassword" && e.Source == "gatehouse.amazonaws.com")
	}
	if !found {
		t.Fatal("no ResetUserPassword audit event")
	}
}

// TestLockoutAcrossReplicas (SECURITY A.1b): three replicas on one
// PostgreSQL database; with the counter at N−1, 30 wrong guesses arrive at
// once, spread over the replicas: exactly one more password is evaluated.
func TestLockoutAcrossReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	dir := t.TempDir()
	first := startPortalApp(t, func(c *Config) { c.Database = DatabaseConfig{Driver: "postgres", DSN: dsn}; c.DataDir = dir })
	apps := []*portalApp{first}
	for range 2 {
		apps = append(apps, startPortalApp(t, func(c *Config) { c.Database = DatabaseConfig{Driver: "postgres", DSN: dsn}; c.DataDir = dir }))
	}
	// Replicas after the first find the instance and no bootstrap key;
	// give them the first one's.
	for _, a := range apps[1:] {
		a.KeyID, a.Secret = first.KeyID, first.Secret
	}
	_, _ = portalUser(t, first, "judy", "granite willow beacon", false)
	for range 9 {
		b := newBrowserClient(t, first.URL)
		if p := b.signIn("judy", "wrong"); p.status != http.StatusOK {
			t.Fatalf("wrong guess: %d", p.status)
		}
	}
	clients := make([]*browserClient, 30)
	for i := range clients {
		clients[i] = newBrowserClient(t, apps[i%3].URL)
		clients[i].follow(clients[i].get("/start/login"))
		clients[i].post("/start/login", url.Values{"username": {"judy"}})
		clients[i].get("/start/password")
	}
	var wg sync.WaitGroup
	for _, b := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p := b.post("/start/password", url.Values{"password": {"still wrong"}}); p.status != http.StatusOK {
				t.Errorf("concurrent guess: %d %s", p.status, p.body)
			}
		}()
	}
	wg.Wait()
	first.flushAudit(t)
	events, _ := first.app.store.ListAuditEvents(context.Background(), store.AuditQuery{EventName: "CredentialVerification", Limit: 1000})
	wrong, locked := 0, 0
	for _, e := range events {
		switch {
		case strings.Contains(string(e.Document), `"FailureReason":"WRONG_PASSWORD"`):
			wrong++
		case strings.Contains(string(e.Document), `"FailureReason":"LOCKED_OUT"`):
			locked++
		}
	}
	if wrong != 10 || locked != 29 {
		t.Fatalf("%d wrong passwords evaluated (want 10 = the threshold), %d refused as locked (want 29)", wrong, locked)
	}
	// The right password is refused while locked, like a wrong one.
	if p := newBrowserClient(t, apps[2].URL).signIn("judy", "granite willow beacon"); p.status != http.StatusOK || !strings.Contains(p.body, "incorrect") {
		t.Fatalf("right password while locked: %d %s", p.status, p.location)
	}
	if code, _ := first.adminCall(t, "UnlockUser", map[string]any{"UserId": mustUserID(t, first, "judy")}); code != 200 {
		t.Fatal("UnlockUser failed")
	}
	if p := newBrowserClient(t, apps[1].URL).signIn("judy", "granite willow beacon"); p.location != "/start/mfa/register" {
		t.Fatalf("after unlock: %d %s", p.status, p.location)
	}
}

func newIdentityClient(app *portalApp) *identitystore.Client {
	return identitystore.NewFromConfig(app.awsConfig())
}

// disableUser sets a user's status to DISABLED through the identitystore
// API (Gatehouse's userStatus attribute).
func disableUser(c *identitystore.Client, app *portalApp, id string) error {
	_, err := c.UpdateUser(context.Background(), &identitystore.UpdateUserInput{
		IdentityStoreId: aws.String(app.Instance.IdentityStoreID), UserId: aws.String(id),
		Operations: []istypes.AttributeOperation{{AttributePath: aws.String("userStatus"), AttributeValue: isdocument.NewLazyDocument("DISABLED")}},
	})
	return err
}

// TestPortalDevicesAndSessions: a signed-in user adds an authenticator app,
// renames and removes it, and ends another of their sessions, all through
// the portal's forms.
func TestPortalDevicesAndSessions(t *testing.T) {
	app := startPortalApp(t)
	portalUser(t, app, "kate", "harvest lantern dune", false)
	app.adminCall(t, "UpdateSignInSettings", map[string]any{"Settings": map[string]any{"NoMfaDeviceBehavior": "ALLOW"}})
	b := newBrowserClient(t, app.URL)
	if p := b.signIn("kate", "harvest lantern dune"); p.location != "/start/accounts" {
		t.Fatalf("sign-in: %d %s", p.status, p.location)
	}
	other := newBrowserClient(t, app.URL)
	other.signIn("kate", "harvest lantern dune")
	b.get("/start/devices")
	if p := b.post("/start/devices/add", nil); p.location != "/start/mfa/register" {
		t.Fatalf("add: %d %s", p.status, p.location)
	}
	reg := b.get("/start/mfa/register")
	m := regexp.MustCompile(`id="totp-secret" class="secret">([A-Z2-7]+)<`).FindStringSubmatch(reg.body)
	if m == nil {
		t.Fatalf("registration page: %d", reg.status)
	}
	secret, _ := mfa.DecodeSecret(m[1])
	if p := b.post("/start/mfa/register/totp", url.Values{"code": {mfa.Code(secret, mfa.Step(time.Now()))}, "name": {"old phone"}}); p.location != "/start/devices?added=1" {
		t.Fatalf("register: %d %s %s", p.status, p.location, p.body)
	}
	code, out := app.adminCall(t, "ListMfaDevices", map[string]any{"UserId": mustUserID(t, app, "kate")})
	devs := out["MfaDevices"].([]any)
	if code != 200 || len(devs) != 1 {
		t.Fatalf("devices: %v", out)
	}
	dev := devs[0].(map[string]any)["DeviceId"].(string)
	page := b.get("/start/devices")
	if !strings.Contains(page.body, "old phone") {
		t.Fatal("the device is not listed")
	}
	if p := b.post("/start/devices/"+dev+"/rename", url.Values{"name": {"work phone"}}); p.location != "/start/devices?renamed=1" {
		t.Fatalf("rename: %d %s", p.status, p.location)
	}
	if !strings.Contains(b.get("/start/devices").body, "work phone") {
		t.Fatal("the new name is not shown")
	}
	// Another user cannot touch it, even with a valid session and token.
	portalUser(t, app, "liam", "harvest lantern dune", false)
	intruder := newBrowserClient(t, app.URL)
	intruder.signIn("liam", "harvest lantern dune")
	intruder.get("/start/devices")
	if p := intruder.post("/start/devices/"+dev+"/remove", nil); p.status != http.StatusNotFound {
		t.Fatalf("another user's removal: %d", p.status)
	}
	if p := b.post("/start/devices/"+dev+"/remove", nil); p.location != "/start/devices?removed=1" {
		t.Fatalf("remove: %d %s", p.status, p.location)
	}
	if _, out := app.adminCall(t, "ListMfaDevices", map[string]any{"UserId": mustUserID(t, app, "kate")}); len(out["MfaDevices"].([]any)) != 0 {
		t.Fatal("the device survived its removal")
	}
	// End the other session from this one.
	sessions := b.get("/start/sessions")
	ids := regexp.MustCompile(`/start/sessions/(ps-[0-9a-f]+)/end`).FindAllStringSubmatch(sessions.body, -1)
	if len(ids) != 2 {
		t.Fatalf("%d sessions listed", len(ids))
	}
	if !strings.Contains(sessions.body, "This browser") {
		t.Fatal("the current session is not marked")
	}
	if p := other.get("/start/accounts"); p.status != http.StatusOK {
		t.Fatalf("other session before: %d", p.status)
	}
	otherID := ids[0][1] // the newest session is listed first: the other browser's
	if p := b.post("/start/sessions/"+otherID+"/end", nil); p.location != "/start/sessions?ended=1" {
		t.Fatalf("end session: %d %s", p.status, p.location)
	}
	if p := other.get("/start/accounts"); p.status != http.StatusSeeOther {
		t.Fatalf("the ended session still works: %d", p.status)
	}
	if p := b.get("/start/accounts"); p.status != http.StatusOK {
		t.Fatalf("this session ended too: %d", p.status)
	}
}

// TestMailFilesByDefault: with no SMTP server configured, messages are
// written as .eml files under the data directory.
func TestMailFilesByDefault(t *testing.T) {
	base := startApp(t)
	app := &portalApp{testApp: base}
	id := app.createUser(t, "mona", "mona@example.com")
	if code, out := app.adminCall(t, "InviteUser", map[string]any{"UserId": id}); code != 200 {
		t.Fatalf("InviteUser: %d %v", code, out)
	}
	dir := filepath.Join(base.Config.DataDir, "mail")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		if len(files) == 1 {
			data, _ := os.ReadFile(files[0])
			if !strings.Contains(string(data), "To: <mona@example.com>") || !strings.Contains(string(data), base.Config.PublicURL+"/start/link?token=") {
				t.Fatalf("message:\n%s", data)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no .eml file appeared in %s", dir)
}

// TestInviteOnCreate: with InviteUsersCreatedByApi on, identitystore
// CreateUser sends the invitation in the same transaction.
func TestInviteOnCreate(t *testing.T) {
	app := startPortalApp(t)
	if code, out := app.adminCall(t, "UpdateSignInSettings", map[string]any{"Settings": map[string]any{"InviteUsersCreatedByApi": true}}); code != 200 {
		t.Fatalf("UpdateSignInSettings: %d %v", code, out)
	}
	app.createUser(t, "nina", "nina@example.com")
	m := app.smtp.Next(t, 30*time.Second)
	if m.To[0] != "nina@example.com" || !strings.HasPrefix(linkFrom(t, m), app.URL+"/start/link?token=") {
		t.Fatalf("invitation: %+v", m)
	}
}
