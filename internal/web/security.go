package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// SecurityHeaders sets the headers every HTML page of Gatehouse carries:
// a strict CSP (no inline script, no framing), nosniff, no referrer, COOP,
// no caching of pages that may hold secrets, and HSTS when served over
// https. The admin console reuses it.
func SecurityHeaders(https bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: with no-referrer browsers send
		// "Origin: null" on form posts, which the CSRF origin check refuses.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// Cookies names and writes Gatehouse's cookies. With an https public URL
// every cookie is Secure with the __Host- prefix (bound to the exact host,
// Path=/, never set by a subdomain). Development mode, for a plain-http
// public URL on loopback only, drops Secure and the prefix, which browsers
// would otherwise refuse over http; it is never used for https.
type Cookies struct {
	Secure bool
}

// Name returns the cookie name for base ("session", "flow", …).
func (c Cookies) Name(base string) string {
	if c.Secure {
		return "__Host-gh_" + base
	}
	return "gh_" + base
}

// Set writes a cookie: HttpOnly, SameSite=Lax, Path=/.
func (c Cookies) Set(w http.ResponseWriter, base, value string, expires time.Time) {
	ck := &http.Cookie{
		Name: c.Name(base), Value: value, Path: "/", HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode,
	}
	if !expires.IsZero() {
		ck.Expires = expires
		ck.MaxAge = max(1, int(time.Until(expires).Seconds()))
	}
	http.SetCookie(w, ck)
}

// Clear removes a cookie.
func (c Cookies) Clear(w http.ResponseWriter, base string) {
	http.SetCookie(w, &http.Cookie{Name: c.Name(base), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: c.Secure, SameSite: http.SameSiteLaxMode})
}

// Get reads a cookie value ("" when absent).
func (c Cookies) Get(r *http.Request, base string) string {
	ck, err := r.Cookie(c.Name(base))
	if err != nil {
		return ""
	}
	return ck.Value
}

// CSRF makes and checks anti-forgery tokens. A token is a MAC of what the
// request is bound to (the session, the sign-in flow, or an anonymous
// browser cookie), so a token from another session or browser is useless.
// Every state-changing request must also come from our own origin
// (Origin / Sec-Fetch-Site), which stops cross-site posts even before the
// token is checked.
type CSRF struct {
	Key    []byte
	Origin string // scheme://host[:port] of the public URL
}

// Token returns the token for a binding.
func (c CSRF) Token(binding string) string {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte("csrf\x00" + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check verifies a state-changing request: its origin and its token.
func (c CSRF) Check(r *http.Request, binding, token string) bool {
	if !c.SameOrigin(r) || binding == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(token), []byte(c.Token(binding)))
}

// SameOrigin reports whether a request comes from a page of ours: the
// Origin header, when sent, must be ours, and Sec-Fetch-Site, when sent,
// must be same-origin (or none: typed by the user).
func (c CSRF) SameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != c.Origin {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

// randomValue returns a random cookie value.
func randomValue() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SafeReturn returns target when it is a same-origin relative path that is
// safe to redirect to, and "" otherwise. Only paths that start with a
// single "/" are accepted: no scheme, no host, no "//" or "/\" (which
// browsers read as another host), no backslashes, no control or space
// characters, no dot segments, in raw or percent-decoded form.
func SafeReturn(target string) string {
	if target == "" || len(target) > 2048 || target[0] != '/' {
		return ""
	}
	for _, s := range []string{target, unescape(target), unescape(unescape(target))} {
		if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
			return ""
		}
		if strings.ContainsAny(s, "\\") || strings.Contains(s, "/../") || strings.HasSuffix(s, "/..") ||
			strings.Contains(s, "/./") || strings.Contains(s, "..;") {
			return ""
		}
		for _, r := range s {
			if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
				return ""
			}
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	if u.Fragment != "" || strings.Contains(u.Path, "@") {
		// Fragments are never needed; "@" in a path is harmless here but
		// is how userinfo tricks start, so none is accepted.
		return ""
	}
	return target
}

func unescape(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return "\\" // undecodable: refuse
	}
	return u
}
