package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/portal"
)

// TestSafeReturn (SECURITY D.28): return targets are same-origin relative
// paths only.
func TestSafeReturn(t *testing.T) {
	ok := []string{"/start/accounts", "/start/accounts?q=prod&after=x", "/start/accounts/111122223333/roles/Admin/credentials", "/device?code=ABCD-EFGH"}
	for _, s := range ok {
		if SafeReturn(s) != s {
			t.Errorf("SafeReturn(%q) refused a safe path", s)
		}
	}
	bad := []string{
		"", "start", "http://evil.example/", "https://evil.example", "//evil.example", "///evil.example", "/\\evil.example",
		"\\\\evil.example", "/%2fevil.example", "/%2Fevil.example", "/%5cevil.example", "/%252f%252fevil.example",
		"http://127.0.0.1@evil", "/a@b@evil", "/..;/admin", "/start/../../etc", "/%2e%2e/x", "/start/%2e%2e/x",
		"/start\taccounts", "/start\r\nLocation: http://evil", "/start\naccounts", "JaVaScRiPt:alert(1)", "javascript:alert(1)",
		"data:text/html,<script>", "/start#fragment", "/ evil", "/start/\u2028", "/%0d%0aSet-Cookie:x=y", "/%09/evil.example",
		"https:evil.example", "/start/./x",
	}
	for _, s := range bad {
		if got := SafeReturn(s); got != "" {
			t.Errorf("SafeReturn(%q) = %q, want refused", s, got)
		}
	}
}

// FuzzSafeReturn: whatever SafeReturn accepts resolves, against our origin,
// to our origin (the browser's view: net/url's reference resolution).
func FuzzSafeReturn(f *testing.F) {
	for _, s := range []string{"/start", "//evil", "/\\evil", "/%2f%2fevil", "/a/../b", "/?x=//evil", "/start@evil"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://sso.example.com/start/login")
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeReturn(s)
		if got == "" {
			return
		}
		ref, err := url.Parse(got)
		if err != nil {
			t.Fatalf("accepted %q that does not parse: %v", got, err)
		}
		res := base.ResolveReference(ref)
		if res.Scheme != "https" || res.Host != "sso.example.com" || res.User != nil {
			t.Fatalf("accepted %q resolves to %s", got, res)
		}
		if strings.ContainsAny(got, "\r\n\t\\") {
			t.Fatalf("accepted %q with a control character or backslash", got)
		}
	})
}

func TestSecurityHeadersAndSecureCookies(t *testing.T) {
	h := SecurityHeaders(true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Cookies{Secure: true}.Set(w, "session", "v", time.Now().Add(time.Hour))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/start/login", nil))
	hd := rec.Header()
	for k, want := range map[string]string{
		"Strict-Transport-Security":  "max-age=31536000",
		"Content-Security-Policy":    "frame-ancestors 'none'",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Cache-Control":              "no-store",
	} {
		if !strings.Contains(hd.Get(k), want) {
			t.Errorf("%s = %q, want %q", k, hd.Get(k), want)
		}
	}
	if strings.Contains(hd.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("CSP allows inline script or style")
	}
	c := rec.Result().Cookies()[0]
	if c.Name != "__Host-gh_session" || !c.Secure || !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode || c.Domain != "" {
		t.Fatalf("cookie %+v", c)
	}
	// Development mode (plain http): no HSTS, no Secure, no prefix.
	rec = httptest.NewRecorder()
	SecurityHeaders(false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Cookies{}.Set(w, "session", "v", time.Time{})
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/start/login", nil))
	if rec.Header().Get("Strict-Transport-Security") != "" || rec.Result().Cookies()[0].Name != "gh_session" {
		t.Fatalf("development mode: %v", rec.Header())
	}
}

func TestCSRF(t *testing.T) {
	c := CSRF{Key: []byte("0123456789abcdef0123456789abcdef"), Origin: "https://sso.example.com"}
	tok := c.Token("s:abc")
	req := func(origin, site string) *http.Request {
		r := httptest.NewRequest("POST", "/start/logout", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		return r
	}
	if !c.Check(req("https://sso.example.com", "same-origin"), "s:abc", tok) {
		t.Fatal("a same-origin post with its token was refused")
	}
	for name, ok := range map[string]bool{
		"foreign origin":   c.Check(req("https://evil.example", ""), "s:abc", tok),
		"null origin":      c.Check(req("null", ""), "s:abc", tok),
		"cross-site fetch": c.Check(req("", "cross-site"), "s:abc", tok),
		"same-site fetch":  c.Check(req("", "same-site"), "s:abc", tok),
		"other session":    c.Check(req("", ""), "s:other", tok),
		"no token":         c.Check(req("", ""), "s:abc", ""),
		"no binding":       c.Check(req("", ""), "", c.Token("")),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestAccountRowsEscaped: the hand-rendered account rows escape every
// value.
func TestAccountRowsEscaped(t *testing.T) {
	got := string(accountRows([]portal.Account{{ID: `1"><script>x</script>`, Name: `<b>&"'`, Email: `a@b"c`}}))
	for _, bad := range []string{"<script>", "<b>", `b"c`} {
		if strings.Contains(got, bad) {
			t.Fatalf("unescaped %q in %s", bad, got)
		}
	}
	if !strings.Contains(got, `href="/start/accounts/1%22%3E%3Cscript%3Ex%3C%2Fscript%3E"`) {
		t.Fatalf("href not path-escaped: %s", got)
	}
}
