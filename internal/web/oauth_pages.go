package web

import (
	"crypto/hmac"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/signin"
)

// The browser side of sso-oidc: the device verification page (enter or
// confirm the user code, then consent) and the consent page of the
// authorization code flow that CLI 2.22+ opens at /authorize. Both need a
// signed-in session (sign-in with MFA as configured comes first, and
// returns here); both need an explicit click on "Allow"; both post forms
// whose hidden request fields are MAC-bound to the session, so a form from
// another session, or an edited one, is refused.

func (h *Handler) oauthRoutes() {
	m := h.mux
	m.HandleFunc("GET /start/device", h.authed(h.devicePage))
	m.HandleFunc("POST /start/device", h.post(h.deviceSubmit))
	m.HandleFunc("POST /start/device/decide", h.post(h.deviceDecide))
	m.HandleFunc("GET /authorize", h.authed(h.authorizePage))
	m.HandleFunc("POST /start/authorize/decide", h.post(h.authorizeDecide))
}

func person(s signin.Session) oauth.Person {
	return oauth.Person{UserID: s.User.ID, UserName: s.User.UserName, SessionID: s.ID}
}

// unavailable answers when the instance has no OAuth service wired.
func (h *Handler) oauthUnavailable(w http.ResponseWriter, r *http.Request) bool {
	if h.o.OAuth != nil {
		return false
	}
	h.info(w, r, http.StatusServiceUnavailable, "Not available", "Signing in applications is not available on this instance.")
	return true
}

type deviceData struct {
	UserCode string
	// Consent is set once a valid code was entered.
	Consent *oauth.PendingDevice
	Created string
	Expires string
	Binding string
}

// devicePage shows the code form; a code from verificationUriComplete is
// filled in, but nothing happens until the person confirms it.
func (h *Handler) devicePage(w http.ResponseWriter, r *http.Request, s signin.Session) {
	if h.oauthUnavailable(w, r) {
		return
	}
	code := r.URL.Query().Get("user_code")
	if len(code) > 16 {
		code = ""
	}
	p := h.authedPage(s, "Authorize a device")
	p.Data = deviceData{UserCode: code}
	h.render(w, http.StatusOK, "device-code", p)
}

func (h *Handler) deviceBinding(s signin.Session, handle string) string {
	return h.csrf.Token("device\x00" + handle + "\x00" + s.TokenHash)
}

// oauthSession returns the session a posted device or consent form acts
// for. Without a session (it ended since the page was shown), or without
// an OAuth service, it answers the request itself and ok is false;
// startAgain tells the person how to begin again.
func (h *Handler) oauthSession(w http.ResponseWriter, r *http.Request, startAgain string) (s signin.Session, ok bool) {
	s, ok = h.session(r)
	if !ok {
		h.info(w, r, http.StatusUnauthorized, "Sign in first", startAgain)
		return s, false
	}
	if h.oauthUnavailable(w, r) {
		return s, false
	}
	return s, true
}

// enterCodeAgain is what a device form posted without a session says.
const enterCodeAgain = "Your session has ended. Sign in and enter the code again."

func (h *Handler) deviceSubmit(w http.ResponseWriter, r *http.Request) {
	s, ok := h.oauthSession(w, r, enterCodeAgain)
	if !ok {
		return
	}
	code := r.PostFormValue("user_code")
	pend, err := h.o.OAuth.LookupUserCode(r.Context(), person(s), code)
	if err != nil {
		p := h.authedPage(s, "Authorize a device")
		p.Data = deviceData{UserCode: ""}
		status := http.StatusBadRequest
		if errors.Is(err, oauth.ErrTooManyCodes) {
			status = http.StatusTooManyRequests
		}
		if f, ok := fault.As(err); ok && f.Kind != fault.Internal {
			p.Message = f.Message
			h.render(w, status, "device-code", p)
			return
		}
		h.internal(w, r, err)
		return
	}
	p := h.authedPage(s, "Allow access?")
	p.Data = deviceData{Consent: &pend, Created: pend.CreatedAt.UTC().Format("2 Jan 2006 15:04:05 UTC"),
		Expires: pend.ExpiresAt.UTC().Format("15:04:05 UTC"), Binding: h.deviceBinding(s, pend.Handle)}
	h.render(w, http.StatusOK, "device-consent", p)
}

func (h *Handler) deviceDecide(w http.ResponseWriter, r *http.Request) {
	s, ok := h.oauthSession(w, r, enterCodeAgain)
	if !ok {
		return
	}
	handle := r.PostFormValue("request")
	if handle == "" || !hmac.Equal([]byte(r.PostFormValue("binding")), []byte(h.deviceBinding(s, handle))) {
		h.forbidden(w, r)
		return
	}
	approve := r.PostFormValue("decision") == "allow"
	if err := h.o.OAuth.Decide(r.Context(), person(s), handle, approve); err != nil {
		h.internal(w, r, err)
		return
	}
	p := h.authedPage(s, "Request denied")
	p.Notice = "You denied the request. The application gets no access."
	if approve {
		p.Title = "Request approved"
		p.Notice = "You allowed the application. You can close this window and return to your terminal."
	}
	h.render(w, http.StatusOK, "device-done", p)
}

type authorizeData struct {
	Req     oauth.AuthRequest
	Scopes  string
	Binding string
}

// authzBinding binds the consent form to the validated request and the
// session.
func (h *Handler) authzBinding(s signin.Session, q oauth.AuthRequest) string {
	return h.csrf.Token(strings.Join([]string{"authorize", q.ClientID, q.RedirectURI, q.State, q.CodeChallenge,
		strings.Join(q.Scopes, " "), s.TokenHash}, "\x00"))
}

// formActionCSP allows the consent form to post here and to follow the
// redirect to the application's loopback address, which browsers check
// against form-action.
func formActionCSP(w http.ResponseWriter, redirect string) {
	u, err := url.Parse(redirect)
	if err != nil {
		return
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self' "+u.Scheme+"://"+u.Host+"; frame-ancestors 'none'; base-uri 'none'")
}

// authorizePage validates an authorization request and asks for consent.
// A malformed request is answered on this page, never by redirecting to
// an address that may not be the application's.
func (h *Handler) authorizePage(w http.ResponseWriter, r *http.Request, s signin.Session) {
	if h.oauthUnavailable(w, r) {
		return
	}
	req, err := h.o.OAuth.CheckAuthorize(r.Context(), r.URL.Query())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	p := h.authedPage(s, "Allow access?")
	p.Data = authorizeData{Req: req, Scopes: strings.Join(req.Scopes, ", "), Binding: h.authzBinding(s, req)}
	formActionCSP(w, req.RedirectURI)
	h.render(w, http.StatusOK, "authorize-consent", p)
}

func (h *Handler) authorizeDecide(w http.ResponseWriter, r *http.Request) {
	s, ok := h.oauthSession(w, r, "Your session has ended. Start the sign-in from your application again.")
	if !ok {
		return
	}
	// The request is validated again from the posted fields, and the
	// binding proves they are the ones this session was shown.
	q := url.Values{}
	for _, k := range []string{"client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scopes", "response_type"} {
		q.Set(k, r.PostFormValue(k))
	}
	req, err := h.o.OAuth.CheckAuthorize(r.Context(), q)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if !hmac.Equal([]byte(r.PostFormValue("binding")), []byte(h.authzBinding(s, req))) {
		h.forbidden(w, r)
		return
	}
	var target string
	if r.PostFormValue("decision") == "allow" {
		target, err = h.o.OAuth.Approve(r.Context(), person(s), req)
	} else {
		target, err = h.o.OAuth.Deny(r.Context(), person(s), req)
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	// The code travels to the loopback address only (validated above).
	http.Redirect(w, r, target, http.StatusSeeOther)
}
