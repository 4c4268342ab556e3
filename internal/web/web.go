// Package web serves the access portal: the sign-in pages (user name,
// password, MFA and MFA registration, invitation and reset links, forgotten
// passwords) and, once signed in, the user's accounts and roles, temporary
// credentials, sessions and MFA devices.
//
// Pages are rendered on the server with html/template from embedded files;
// the only JavaScript is two small embedded files (WebAuthn ceremonies and
// copy buttons), allowed by a CSP without 'unsafe-inline'. Every
// state-changing request is a POST checked for its origin and a CSRF token
// bound to the session or sign-in flow; GET never changes anything that
// matters. The package holds no rule of its own: it calls signin.Service
// and the portal interfaces.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/signin"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Options configure the portal.
type Options struct {
	Signin      *signin.Service
	Access      portal.Access
	Credentials portal.Credentials
	// PublicURL is the configured base URL; its scheme decides secure
	// cookies and HSTS.
	PublicURL string
	// CSRFKey is a 32-byte key (from the keyring).
	CSRFKey []byte
	Region  string
	// OAuth serves the device verification and consent pages and
	// /authorize (oauth_pages.go); nil answers "not available".
	OAuth *oauth.Service
	Log   *slog.Logger
	Now   func() time.Time
}

// Handler serves /start and /static.
type Handler struct {
	o       Options
	tmpl    *template.Template
	cookies Cookies
	csrf    CSRF
	mux     *http.ServeMux
}

// New builds the portal handler.
func New(o Options) (*Handler, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil {
		return nil, err
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"fmtTime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2 Jan 2006 15:04 UTC")
		},
		"pathEscape": url.PathEscape,
	}).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	h := &Handler{
		o: o, tmpl: tmpl,
		cookies: Cookies{Secure: u.Scheme == "https"},
		csrf:    CSRF{Key: o.CSRFKey, Origin: u.Scheme + "://" + u.Host},
		mux:     http.NewServeMux(),
	}
	static, _ := fs.Sub(staticFiles, "static")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	h.routes()
	h.oauthRoutes()
	h.cliRoutes()
	return h, nil
}

// ServeHTTP applies the security headers and dispatches.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	SecurityHeaders(h.cookies.Secure, h.mux).ServeHTTP(w, r)
}

// Cookies returns the cookie settings (for tests and the admin console).
func (h *Handler) Cookies() Cookies { return h.cookies }

func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("GET /start", h.start)
	m.HandleFunc("GET /start/{$}", h.start)
	m.HandleFunc("GET /start/login", h.loginPage)
	m.HandleFunc("POST /start/login", h.post(h.loginSubmit))
	m.HandleFunc("GET /start/password", h.stepPage(signin.StepPassword))
	m.HandleFunc("POST /start/password", h.flowPost(h.passwordSubmit))
	m.HandleFunc("GET /start/mfa", h.stepPage(signin.StepMFA))
	m.HandleFunc("POST /start/mfa", h.flowPost(h.totpSubmit))
	m.HandleFunc("POST /start/mfa/webauthn/begin", h.flowPost(h.webauthnBegin))
	m.HandleFunc("POST /start/mfa/webauthn/finish", h.flowPost(h.webauthnFinish))
	m.HandleFunc("GET /start/mfa/register", h.stepPage(signin.StepRegisterMFA))
	m.HandleFunc("POST /start/mfa/register/totp", h.flowPost(h.registerTOTP))
	m.HandleFunc("POST /start/mfa/register/webauthn/begin", h.flowPost(h.registerWebAuthnBegin))
	m.HandleFunc("POST /start/mfa/register/webauthn/finish", h.flowPost(h.registerWebAuthnFinish))
	m.HandleFunc("GET /start/email-otp", h.stepPage(signin.StepEmailOTP))
	m.HandleFunc("POST /start/email-otp", h.flowPost(h.emailOTPSubmit))
	m.HandleFunc("POST /start/email-otp/resend", h.flowPost(h.emailOTPResend))
	m.HandleFunc("GET /start/change-password", h.stepPage(signin.StepChangePassword))
	m.HandleFunc("POST /start/change-password", h.flowPost(h.changePassword))
	m.HandleFunc("GET /start/link", h.openLink)
	m.HandleFunc("GET /start/set-password", h.stepPage(signin.StepSetPassword))
	m.HandleFunc("POST /start/set-password", h.flowPost(h.setPassword))
	m.HandleFunc("GET /start/forgot", h.forgotPage)
	m.HandleFunc("POST /start/forgot", h.post(h.forgotSubmit))
	m.HandleFunc("POST /start/logout", h.post(h.logout))
	m.HandleFunc("GET /start/accounts", h.authed(h.accounts))
	m.HandleFunc("GET /start/accounts/{account}", h.authed(h.roles))
	m.HandleFunc("GET /start/accounts/{account}/roles/{role}/credentials", h.authed(h.credentials))
	m.HandleFunc("GET /start/accounts/{account}/roles/{role}/console", h.authed(h.console))
	m.HandleFunc("GET /start/sessions", h.authed(h.sessions))
	m.HandleFunc("POST /start/sessions/{id}/end", h.post(h.endSession))
	m.HandleFunc("GET /start/devices", h.authed(h.devices))
	m.HandleFunc("POST /start/devices/add", h.post(h.addDevice))
	m.HandleFunc("POST /start/devices/{id}/rename", h.post(h.renameDevice))
	m.HandleFunc("POST /start/devices/{id}/remove", h.post(h.removeDevice))
}

// ---- rendering ----

// page is the data of every template.
type page struct {
	Title   string
	CSRF    string
	Message string
	Notice  string
	User    *signin.Session
	Flow    signin.FlowInfo
	Data    any
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := h.tmpl.ExecuteTemplate(w, name, p); err != nil {
		h.o.Log.Error("render page", "template", name, "err", err)
	}
}

// info renders a page with only a message.
func (h *Handler) info(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	p := page{Title: title, Message: msg}
	if sess, ok := h.session(r); ok {
		p.User = &sess
		p.CSRF = h.csrf.Token("s:" + sess.TokenHash)
	}
	h.render(w, status, "message", p)
}

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	if f, ok := fault.As(err); ok && f.Kind != fault.Internal {
		status := http.StatusBadRequest
		switch f.Kind {
		case fault.NotImplemented:
			status = http.StatusServiceUnavailable
		case fault.Throttled:
			status = http.StatusTooManyRequests
		case fault.NotFound:
			status = http.StatusNotFound
		case fault.Denied:
			status = http.StatusForbidden
		case fault.Unauthenticated:
			status = http.StatusUnauthorized
		}
		h.info(w, r, status, "Something needs your attention", f.Message)
		return
	}
	h.o.Log.Error("portal request failed", "path", r.URL.Path, "err", err)
	h.info(w, r, http.StatusInternalServerError, "Something went wrong", "Something went wrong on our side. Please try again.")
}

// ---- bindings: session, flow, anonymous ----

func (h *Handler) session(r *http.Request) (signin.Session, bool) {
	tok := h.cookies.Get(r, "session")
	if tok == "" {
		return signin.Session{}, false
	}
	s, err := h.o.Signin.Session(r.Context(), tok)
	return s, err == nil
}

// binding names what a request's CSRF token is bound to outside the
// sign-in steps: the session when signed in, else an anonymous cookie (set
// on first sight). Sign-in steps bind to the flow instead (flowPost).
func (h *Handler) binding(w http.ResponseWriter, r *http.Request) string {
	if s, ok := h.session(r); ok {
		return "s:" + s.TokenHash
	}
	a := h.cookies.Get(r, "anon")
	if a == "" && w != nil {
		a = randomValue()
		h.cookies.Set(w, "anon", a, time.Time{})
	}
	if a == "" {
		return ""
	}
	return "a:" + a
}

// maxForm bounds a form body: far above any legitimate form (passwords
// are at most 1 KiB), far below anything that could cost memory or hashing.
const maxForm = 64 << 10

// readForm parses a bounded form; an oversized or malformed body is
// answered 400 before anything else runs.
func (h *Handler) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return true
	}
	if err := r.ParseForm(); err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "Bad request: the form is too large or malformed.\n")
		return false
	}
	return true
}

// post wraps a state-changing handler with the CSRF check.
func (h *Handler) post(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.readForm(w, r) {
			return
		}
		token := postedCSRF(r)
		if !h.csrf.Check(r, h.binding(nil, r), token) {
			h.forbidden(w, r)
			return
		}
		fn(w, r)
	}
}

// postedCSRF returns the CSRF token a request carries: the header that
// fetch() calls send, else the form field of a posted form.
func postedCSRF(r *http.Request) string {
	if token := r.Header.Get("X-CSRF-Token"); token != "" {
		return token
	}
	return r.PostFormValue("csrf")
}

// flowPost wraps a sign-in step's handler with the CSRF check, the token
// bound to the flow cookie (which each successful step replaces).
func (h *Handler) flowPost(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.readForm(w, r) {
			return
		}
		token := postedCSRF(r)
		flow := h.cookies.Get(r, "flow")
		if flow == "" || !h.csrf.Check(r, "f:"+flow, token) {
			h.forbidden(w, r)
			return
		}
		fn(w, r)
	}
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.o.Log.Warn("csrf check failed", "path", r.URL.Path, "origin", r.Header.Get("Origin"),
		"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	io.WriteString(w, "Forbidden: this form expired or did not come from this site. Go back, reload the page and try again.\n")
}

// authed serves a page only with a session; otherwise it sends the
// browser to sign in and come back.
func (h *Handler) authed(fn func(w http.ResponseWriter, r *http.Request, s signin.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.session(r)
		if !ok {
			http.Redirect(w, r, "/start/login?return_to="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		fn(w, r, s)
	}
}

func (h *Handler) browser(r *http.Request) signin.Browser {
	return signin.Browser{DeviceToken: h.cookies.Get(r, "device")}
}

// ---- sign-in steps ----

var stepPaths = map[string]string{
	signin.StepPassword:       "/start/password",
	signin.StepMFA:            "/start/mfa",
	signin.StepRegisterMFA:    "/start/mfa/register",
	signin.StepEmailOTP:       "/start/email-otp",
	signin.StepChangePassword: "/start/change-password",
	signin.StepSetPassword:    "/start/set-password",
}

// stepTemplates name the template of each step.
var stepTemplates = map[string]string{
	signin.StepPassword:       "password",
	signin.StepMFA:            "mfa",
	signin.StepRegisterMFA:    "register",
	signin.StepEmailOTP:       "email-otp",
	signin.StepChangePassword: "change-password",
	signin.StepSetPassword:    "set-password",
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.session(r); ok {
		http.Redirect(w, r, "/start/accounts", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/start/login", http.StatusSeeOther)
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	ret := SafeReturn(r.URL.Query().Get("return_to"))
	if _, ok := h.session(r); ok {
		if ret == "" {
			ret = "/start/accounts"
		}
		http.Redirect(w, r, ret, http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "login", page{Title: "Sign in", CSRF: h.csrf.Token(h.binding(w, r)), Data: ret})
}

func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("username"))
	ret := SafeReturn(r.PostFormValue("return_to"))
	if name == "" {
		h.render(w, http.StatusBadRequest, "login", page{Title: "Sign in", CSRF: h.csrf.Token(h.binding(w, r)),
			Message: "Enter your user name.", Data: ret})
		return
	}
	next, err := h.o.Signin.SubmitUsername(r.Context(), name, ret)
	if err != nil {
		if f, ok := fault.As(err); ok && f.Kind == fault.Invalid {
			h.render(w, http.StatusBadRequest, "login", page{Title: "Sign in", CSRF: h.csrf.Token(h.binding(w, r)), Message: f.Message, Data: ret})
			return
		}
		h.internal(w, r, err)
		return
	}
	h.follow(w, r, next)
}

// endFlow sets the cookies of a step's outcome that the form handlers
// (follow) and the WebAuthn handlers (jsonFollow) treat alike: the
// trusted-device cookie, and for a flow that ended (signed in, or a device
// added) the session cookie in place of the flow cookie. It returns where
// the browser goes after an ended flow, or "" when the flow goes on.
func (h *Handler) endFlow(w http.ResponseWriter, next signin.Next) string {
	if next.TrustedDevice != "" {
		h.cookies.Set(w, "device", next.TrustedDevice, h.o.Now().Add(signin.TrustedDeviceTTL))
	}
	switch {
	case next.Session != nil:
		h.cookies.Clear(w, "flow")
		h.cookies.Set(w, "session", next.Session.Token, next.Session.Expires)
		if target := SafeReturn(next.ReturnTo); target != "" {
			return target
		}
		return "/start/accounts"
	case next.AddedDevice:
		h.cookies.Clear(w, "flow")
		return "/start/devices?added=1"
	}
	return ""
}

// follow applies a step's outcome: new cookies, then the next page.
func (h *Handler) follow(w http.ResponseWriter, r *http.Request, next signin.Next) {
	if target := h.endFlow(w, next); target != "" {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	switch {
	case next.Step == signin.StepBlocked:
		h.cookies.Clear(w, "flow")
		h.info(w, r, http.StatusForbidden, "Sign-in blocked", next.Message)
	case next.Message != "":
		// The same step again, with the message.
		if next.FlowToken != "" && next.FlowToken != h.cookies.Get(r, "flow") {
			h.cookies.Set(w, "flow", next.FlowToken, time.Time{})
		}
		h.showStep(w, r, next.FlowToken, http.StatusOK, next.Message)
	default:
		h.cookies.Set(w, "flow", next.FlowToken, time.Time{})
		http.Redirect(w, r, stepPaths[next.Step], http.StatusSeeOther)
	}
}

// stepPage shows a step's page when the flow cookie is at that step.
func (h *Handler) stepPage(step string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := h.cookies.Get(r, "flow")
		got, err := h.o.Signin.FlowStep(r.Context(), tok)
		if err != nil {
			h.expired(w, r)
			return
		}
		if got != step {
			http.Redirect(w, r, stepPaths[got], http.StatusSeeOther)
			return
		}
		h.showStep(w, r, tok, http.StatusOK, "")
	}
}

func (h *Handler) expired(w http.ResponseWriter, r *http.Request) {
	h.cookies.Clear(w, "flow")
	h.render(w, http.StatusOK, "login", page{Title: "Sign in", CSRF: h.csrf.Token(h.binding(w, r)), Message: signin.MsgExpired})
}

func (h *Handler) showStep(w http.ResponseWriter, r *http.Request, tok string, status int, msg string) {
	info, err := h.o.Signin.Describe(r.Context(), tok)
	if err != nil {
		h.expired(w, r)
		return
	}
	p := page{Title: "Sign in", CSRF: h.csrf.Token("f:" + tok), Message: msg, Flow: info}
	if info.Step == signin.StepRegisterMFA {
		p.Title = "Register an MFA device"
		for _, m := range info.Methods {
			if m == signin.TypeTOTP {
				enr, err := h.o.Signin.BeginTOTPRegistration(r.Context(), tok)
				if err == nil {
					// The QR code is a data: URI we generated; html/template
					// would refuse it as an untrusted URL.
					p.Data = totpView{Secret: enr.Secret, URI: enr.URI, QR: template.URL(enr.QR)} //nolint:gosec // generated here, not input
				} else if f, ok := fault.As(err); ok && f.Kind != fault.Internal {
					p.Notice = f.Message
				} else {
					h.internal(w, r, err)
					return
				}
			}
		}
	}
	h.render(w, status, stepTemplates[info.Step], p)
}

// totpView is the registration page's view of a TOTP enrolment.
type totpView struct {
	Secret string
	URI    string
	QR     template.URL
}

// flowCall runs a step with the flow cookie and follows the outcome.
func (h *Handler) flowCall(w http.ResponseWriter, r *http.Request, fn func(tok string) (signin.Next, error)) {
	tok := h.cookies.Get(r, "flow")
	next, err := fn(tok)
	if err != nil {
		if errors.Is(err, signin.ErrFlow) {
			h.expired(w, r)
			return
		}
		if f, ok := fault.As(err); ok && (f.Kind == fault.Invalid || f.Kind == fault.QuotaExceeded) && f != signin.ErrBadLink {
			h.showStep(w, r, tok, http.StatusBadRequest, f.Message)
			return
		}
		if errors.Is(err, signin.ErrBadLink) {
			h.cookies.Clear(w, "flow")
			h.info(w, r, http.StatusBadRequest, "Link invalid", signin.MsgBadLink)
			return
		}
		h.internal(w, r, err)
		return
	}
	h.follow(w, r, next)
}

func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request) {
	h.flowCall(w, r, func(tok string) (signin.Next, error) {
		return h.o.Signin.SubmitPassword(r.Context(), tok, r.PostFormValue("password"), h.browser(r))
	})
}

func (h *Handler) totpSubmit(w http.ResponseWriter, r *http.Request) {
	h.flowCall(w, r, func(tok string) (signin.Next, error) {
		return h.o.Signin.SubmitTOTP(r.Context(), tok, r.PostFormValue("code"), h.browser(r))
	})
}

func (h *Handler) emailOTPSubmit(w http.ResponseWriter, r *http.Request) {
	h.flowCall(w, r, func(tok string) (signin.Next, error) {
		return h.o.Signin.SubmitEmailOTP(r.Context(), tok, r.PostFormValue("code"), h.browser(r))
	})
}

func (h *Handler) emailOTPResend(w http.ResponseWriter, r *http.Request) {
	h.flowCall(w, r, func(tok string) (signin.Next, error) {
		return h.o.Signin.ResendEmailOTP(r.Context(), tok)
	})
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	h.newPasswordSubmit(w, r, h.o.Signin.ChangePassword)
}

func (h *Handler) setPassword(w http.ResponseWriter, r *http.Request) {
	h.newPasswordSubmit(w, r, h.o.Signin.SetPassword)
}

// newPasswordSubmit serves the two forms that choose a new password (a
// link's set-password, a one-time password's change-password): the two
// typed passwords must match before the step is tried.
func (h *Handler) newPasswordSubmit(w http.ResponseWriter, r *http.Request,
	step func(ctx context.Context, token, pw string, b signin.Browser) (signin.Next, error)) {
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		h.showStep(w, r, h.cookies.Get(r, "flow"), http.StatusBadRequest, "The two passwords do not match.")
		return
	}
	h.flowCall(w, r, func(tok string) (signin.Next, error) {
		return step(r.Context(), tok, r.PostFormValue("password"), h.browser(r))
	})
}

func (h *Handler) registerTOTP(w http.ResponseWriter, r *http.Request) {
	h.flowCall(w, r, func(tok string) (signin.Next, error) {
		return h.o.Signin.FinishTOTPRegistration(r.Context(), tok, r.PostFormValue("code"), r.PostFormValue("name"), h.browser(r))
	})
}

// openLink turns an emailed link into a flow cookie, then moves the
// browser to a clean address so the token leaves the address bar (and
// never reaches a Referer).
func (h *Handler) openLink(w http.ResponseWriter, r *http.Request) {
	next, err := h.o.Signin.OpenLink(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		if f, ok := fault.As(err); ok && f.Kind == fault.Invalid {
			h.info(w, r, http.StatusBadRequest, "Link invalid", f.Message)
			return
		}
		h.internal(w, r, err)
		return
	}
	h.cookies.Clear(w, "session")
	h.cookies.Set(w, "flow", next.FlowToken, time.Time{})
	http.Redirect(w, r, "/start/set-password", http.StatusSeeOther)
}

func (h *Handler) forgotPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, "forgot", page{Title: "Reset your password", CSRF: h.csrf.Token(h.binding(w, r))})
}

func (h *Handler) forgotSubmit(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("username"))
	if name != "" {
		if err := h.o.Signin.RequestReset(r.Context(), name); err != nil {
			h.internal(w, r, err)
			return
		}
	}
	h.render(w, http.StatusOK, "message", page{Title: "Check your email",
		Notice: "If the user exists and has an email address, we sent a link to reset the password. It is valid for one hour."})
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if tok := h.cookies.Get(r, "session"); tok != "" {
		if err := h.o.Signin.SignOut(r.Context(), tok); err != nil {
			h.internal(w, r, err)
			return
		}
	}
	h.cookies.Clear(w, "session")
	h.cookies.Clear(w, "flow")
	http.Redirect(w, r, "/start/login", http.StatusSeeOther)
}

// ---- WebAuthn (JSON endpoints for webauthn.js) ----

type ceremonyReply struct {
	Redirect string `json:"redirect,omitempty"`
	Message  string `json:"message,omitempty"`
}

func (h *Handler) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *Handler) jsonError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, signin.ErrFlow) {
		h.writeJSON(w, http.StatusUnauthorized, ceremonyReply{Redirect: "/start/login", Message: signin.MsgExpired})
		return
	}
	if f, ok := fault.As(err); ok && f.Kind != fault.Internal {
		h.writeJSON(w, http.StatusBadRequest, ceremonyReply{Message: f.Message})
		return
	}
	h.o.Log.Error("webauthn request failed", "path", r.URL.Path, "err", err)
	h.writeJSON(w, http.StatusInternalServerError, ceremonyReply{Message: "Something went wrong on our side. Please try again."})
}

func (h *Handler) webauthnBegin(w http.ResponseWriter, r *http.Request) {
	h.ceremonyBegin(w, r, h.o.Signin.BeginWebAuthn)
}

// ceremonyBegin answers a WebAuthn begin request (sign-in or registration)
// with the options that begin returns for the flow cookie.
func (h *Handler) ceremonyBegin(w http.ResponseWriter, r *http.Request, begin func(ctx context.Context, token string) ([]byte, error)) {
	opts, err := begin(r.Context(), h.cookies.Get(r, "flow"))
	if err != nil {
		h.jsonError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(opts)
}

func (h *Handler) ceremonyBody(w http.ResponseWriter, r *http.Request) ([]byte, string, bool) {
	var body struct {
		Credential json.RawMessage `json:"credential"`
		Name       string          `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Credential) == 0 {
		h.writeJSON(w, http.StatusBadRequest, ceremonyReply{Message: "The browser sent an incomplete response."})
		return nil, "", false
	}
	return body.Credential, body.Name, true
}

// jsonFollow applies a step outcome for a fetch() caller: cookies now,
// and where to go.
func (h *Handler) jsonFollow(w http.ResponseWriter, r *http.Request, next signin.Next) {
	if target := h.endFlow(w, next); target != "" {
		h.writeJSON(w, http.StatusOK, ceremonyReply{Redirect: target})
		return
	}
	switch {
	case next.Message != "":
		h.writeJSON(w, http.StatusBadRequest, ceremonyReply{Message: next.Message})
	default:
		h.cookies.Set(w, "flow", next.FlowToken, time.Time{})
		h.writeJSON(w, http.StatusOK, ceremonyReply{Redirect: stepPaths[next.Step]})
	}
}

func (h *Handler) webauthnFinish(w http.ResponseWriter, r *http.Request) {
	h.ceremonyFinish(w, r, func(token string, cred []byte, _ string) (signin.Next, error) {
		return h.o.Signin.FinishWebAuthn(r.Context(), token, cred, h.browser(r))
	})
}

func (h *Handler) registerWebAuthnBegin(w http.ResponseWriter, r *http.Request) {
	h.ceremonyBegin(w, r, h.o.Signin.BeginWebAuthnRegistration)
}

func (h *Handler) registerWebAuthnFinish(w http.ResponseWriter, r *http.Request) {
	h.ceremonyFinish(w, r, func(token string, cred []byte, name string) (signin.Next, error) {
		return h.o.Signin.FinishWebAuthnRegistration(r.Context(), token, cred, name, h.browser(r))
	})
}

// ceremonyFinish reads the browser's WebAuthn response (and the device
// name, which only registration uses), hands it to finish with the flow
// cookie and answers fetch() with the outcome.
func (h *Handler) ceremonyFinish(w http.ResponseWriter, r *http.Request, finish func(token string, cred []byte, name string) (signin.Next, error)) {
	cred, name, ok := h.ceremonyBody(w, r)
	if !ok {
		return
	}
	next, err := finish(h.cookies.Get(r, "flow"), cred, name)
	if err != nil {
		h.jsonError(w, r, err)
		return
	}
	h.jsonFollow(w, r, next)
}
