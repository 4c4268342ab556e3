// Package console serves the admin console at /admin/: the dashboard,
// users, groups, permission sets, AWS accounts and assignments, settings
// and the audit log, rendered on the server in the access portal's style.
//
// The console holds no rule of its own. Every action is an in-process
// call of the AWS (or GatehouseAdmin) operation an administrator would
// make with the CLI (awsapi.JSONRouter.Invoke): the same model
// validation, the same domain service method, the same authorisation (the
// operation's Guard, with its IAM action name and resources) and the same
// audit event, with the signed-in administrator as the principal and the
// event marked sessionCredentialFromConsole. Reads that no API offers
// (searching users by prefix, the audit log, counts) are authorised with
// the action of the closest API listing and audited like it.
//
// Console administrators are identity store users holding a console grant
// (internal/consoleadmin); they sign in through the portal's sign-in with
// MFA. Pages share the portal's layout, CSS, security headers, CSRF
// tokens and session cookie (internal/web). GET never changes anything;
// every change is a POST with a CSRF token, and destructive ones ask for
// confirmation on a page of their own first.
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/consoleadmin"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/instance"
	"github.com/gatehouse/gatehouse/internal/org"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/web"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Options are what the console is built from.
type Options struct {
	// Web is the access portal, whose layout, sessions and CSRF checks the
	// console shares.
	Web *web.Handler
	// Router runs the operations (Invoke) and records events.
	Router *awsapi.JSONRouter
	Grants *consoleadmin.Service
	// The domain services of the reads no API offers.
	Directory *directory.Service
	Access    *access.Service
	Org       *org.Service
	Audit     *audit.Log
	Instance  instance.Instance
	Region    string
	PublicURL string
	Log       *slog.Logger
	Now       func() time.Time
}

// Handler serves /admin/.
type Handler struct {
	o    Options
	tmpl *template.Template
	mux  *http.ServeMux
	// https is whether the public URL is https (HSTS, secure cookies).
	https bool
}

// New builds the console.
func New(o Options) (*Handler, error) {
	if o.Web == nil || o.Router == nil || o.Grants == nil || o.Directory == nil || o.Access == nil || o.Org == nil || o.Audit == nil {
		return nil, errors.New("console: Options.Web, Router, Grants, Directory, Access, Org and Audit are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("console: public URL: %w", err)
	}
	tmpl, err := template.New("").Funcs(funcs).ParseFS(web.Layout(), "layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: layout: %w", err)
	}
	if tmpl, err = tmpl.ParseFS(templateFiles, "templates/*.html"); err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	h := &Handler{o: o, tmpl: tmpl, mux: http.NewServeMux(), https: u.Scheme == "https"}
	static, _ := fs.Sub(staticFiles, "static")
	h.mux.Handle("GET /admin/static/", http.StripPrefix("/admin/static/", http.FileServerFS(static)))
	h.routes()
	return h, nil
}

// ServeHTTP applies the portal's security headers and dispatches.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	web.SecurityHeaders(h.https, h.mux).ServeHTTP(w, r)
}

// get and post register a page: post routes go through the portal's
// form, origin and CSRF checks first.
func (h *Handler) get(pattern string, fn func(x *req)) {
	h.mux.HandleFunc("GET "+pattern, h.admin(fn))
}

func (h *Handler) post(pattern string, fn func(x *req)) {
	h.mux.HandleFunc("POST "+pattern, h.o.Web.Protect(h.admin(fn)))
}

// req is one console request of a signed-in administrator.
type req struct {
	h *Handler
	w http.ResponseWriter
	r *http.Request
	s signin.Session
	// section names the navigation entry of the page.
	section string
	// start is when the request reached the console, for Server-Timing.
	start time.Time
}

func (x *req) ctx() context.Context { return x.r.Context() }

// principal is the administrator as the console's authorisation sees it.
func (x *req) principal() consoleadmin.Principal {
	info := reqinfo.FromContext(x.ctx())
	return consoleadmin.Principal{UserID: x.s.User.ID, UserName: x.s.User.UserName, MFAPresent: x.s.MFAPresent(),
		AuthTime: x.s.AuthTime, SourceIP: info.SourceIP, SecureTransport: info.Secure}
}

// admin wraps a page: a signed-in session (else the portal's sign-in and
// back), MFA at sign-in, and a console grant. A refusal is audited.
func (h *Handler) admin(fn func(x *req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s, ok := h.o.Web.SessionOf(r)
		if !ok {
			if r.Method != http.MethodGet {
				h.plain(w, http.StatusForbidden, "Forbidden: sign in to the admin console first.")
				return
			}
			http.Redirect(w, r, "/start/login?return_to="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		x := &req{h: h, w: w, r: r, s: s, start: start}
		granted, err := h.o.Grants.HasAccess(r.Context(), s.User.ID)
		if err != nil {
			x.internal(err)
			return
		}
		switch {
		case !granted:
			x.refuse("You do not have access to the admin console. An administrator can grant it to you.")
			return
		case !s.MFAPresent():
			x.refuse("The admin console needs a sign-in with MFA. Register an authenticator app or a security key under “MFA devices” in the portal, then sign out and sign in again.")
			return
		}
		fn(x)
	}
}

// refuse answers 403 and records the refusal as a failed console access.
func (x *req) refuse(msg string) {
	ev := x.event("gatehouse.amazonaws.com", "AccessConsole")
	ev.ReadOnly = true
	ev.RequestParameters = map[string]string{"path": x.r.URL.Path}
	if err := x.h.o.Router.Record(x.ctx(), ev, &awsapi.Error{Code: "AccessDeniedException", Message: msg}); err != nil {
		x.h.o.Log.Error("audit write failed", "event", "AccessConsole", "err", err)
		x.h.plain(x.w, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	x.render(http.StatusForbidden, "c-message", page{Title: "Access denied", Message: msg})
}

func (h *Handler) plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(msg + "\n"))
}

// ---- rendering ----

// page is the data of every console template. Title, CSRF, Message and
// Notice are what the shared layout reads.
type page struct {
	Title   string
	CSRF    string
	Message string
	Notice  string
	// Section is the current navigation entry.
	Section string
	Admin   string
	// Refresh reloads the page after so many seconds (asynchronous
	// status pages), 0 for never.
	Refresh int
	// Errors are messages by form field name.
	Errors map[string]string
	Data   any
}

func (x *req) render(status int, name string, p page) {
	p.CSRF = x.h.o.Web.SessionCSRF(x.s)
	p.Section = x.section
	p.Admin = x.s.User.UserName
	// Rendered whole before anything is sent, so that a template error is
	// a clean 500 rather than half a page.
	var buf bytes.Buffer
	if err := x.h.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		x.h.o.Log.Error("render console page", "template", name, "err", err)
		x.h.plain(x.w, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	x.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The server's time for the page (the benchmark reads it): from the
	// session lookup to the rendered page.
	x.w.Header().Set("Server-Timing", fmt.Sprintf("app;dur=%.3f", float64(time.Since(x.start).Microseconds())/1000))
	x.w.WriteHeader(status)
	x.w.Write(buf.Bytes())
}

// done sends the browser to target after a change, with a notice.
func (x *req) done(target, notice string) {
	if notice != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + "notice=" + url.QueryEscape(notice)
	}
	http.Redirect(x.w, x.r, target, http.StatusSeeOther)
}

// notice returns the notice a redirect carried. It is shown as text, so
// a crafted link can only put words on the page, never markup.
func (x *req) notice() string {
	n := x.r.URL.Query().Get("notice")
	if len(n) > 200 {
		n = n[:200]
	}
	return n
}

// fail shows an error page for err: a refused call is 403, an unknown
// resource 404, an invalid request 400, anything else 500 with a generic
// message (the details are in the log).
func (x *req) fail(err error) {
	status, msg := x.h.describe(err)
	if status == http.StatusInternalServerError {
		x.internal(err)
		return
	}
	title := "Something needs your attention"
	switch status {
	case http.StatusForbidden:
		title = "Access denied"
	case http.StatusNotFound:
		title = "Not found"
	}
	x.render(status, "c-message", page{Title: title, Message: msg})
}

func (x *req) internal(err error) {
	x.h.o.Log.Error("console request failed", "path", x.r.URL.Path, "err", err)
	x.render(http.StatusInternalServerError, "c-message", page{Title: "Something went wrong",
		Message: "Something went wrong on our side. Please try again."})
}

// describe maps an error to a status and a message that is safe to show.
func (h *Handler) describe(err error) (int, string) {
	var ce *CallError
	if errors.As(err, &ce) {
		e := ce.Err
		switch {
		case e.Code == "AccessDeniedException" || e.Code == "AccessDenied":
			return http.StatusForbidden, e.Message
		case e.Code == "ResourceNotFoundException" || e.Code == "NoSuchEntity":
			return http.StatusNotFound, e.Message
		case e.Status >= 500:
			if e.Code == "InternalServerException" {
				return http.StatusInternalServerError, ""
			}
			return e.Status, e.Message
		}
		return http.StatusBadRequest, e.Message
	}
	if f, ok := fault.As(err); ok && f.Kind != fault.Internal {
		switch f.Kind {
		case fault.Denied:
			return http.StatusForbidden, f.Message
		case fault.NotFound:
			return http.StatusNotFound, f.Message
		case fault.Unavailable, fault.NotImplemented:
			return http.StatusServiceUnavailable, f.Message
		}
		return http.StatusBadRequest, f.Message
	}
	return http.StatusInternalServerError, ""
}

// ---- template functions ----

var funcs = template.FuncMap{
	"fmtTime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"fmtEpoch": func(t float64) string {
		if t == 0 {
			return "—"
		}
		return time.UnixMilli(int64(t * 1000)).UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"pathEscape":  url.PathEscape,
	"queryEscape": url.QueryEscape,
	"add":         func(a, b int) int { return a + b },
	"plural":      plural,
	"join":        strings.Join,
	"contains":    slices.Contains[[]string],
	// field returns the error message of a form field.
	"field":    func(errs map[string]string, name string) string { return errs[name] },
	"input":    inputHTML,
	"textarea": textareaHTML,
	"select":   selectHTML,
	"checkbox": checkboxHTML,
}
