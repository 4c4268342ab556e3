package web

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/signin"
)

// pageSize is how many accounts one page lists; search narrows thousands
// to a few.
const pageSize = 50

func (h *Handler) authedPage(s signin.Session, title string) page {
	return page{Title: title, User: &s, CSRF: h.csrf.Token("s:" + s.TokenHash)}
}

type accountsData struct {
	Query   string
	Page    portal.AccountPage
	NextURL string
	Shown   int
	Unavail bool
	// Rows is the list's items, rendered by accountRows.
	Rows template.HTML
}

// accountRows renders the account list items. It escapes every value with
// html.EscapeString (and ids with url.PathEscape) itself rather than
// through html/template, which costs several times as much per value and
// dominated the page's time for 50 accounts; the markup is fixed here and
// every interpolated value is escaped for its context (text and a
// double-quoted attribute).
func accountRows(list []portal.Account) template.HTML {
	var b strings.Builder
	for _, a := range list {
		b.WriteString(`<li><a href="/start/accounts/`)
		b.WriteString(html.EscapeString(url.PathEscape(a.ID)))
		b.WriteString(`"><span class="name">`)
		b.WriteString(html.EscapeString(a.Name))
		b.WriteString(`</span><span class="meta">`)
		b.WriteString(html.EscapeString(a.ID))
		b.WriteString(` · `)
		b.WriteString(html.EscapeString(a.Email))
		b.WriteString("</span></a></li>\n")
	}
	return template.HTML(b.String()) //nolint:gosec // every value escaped above
}

func (h *Handler) accounts(w http.ResponseWriter, r *http.Request, s signin.Session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 256 {
		q = q[:256]
	}
	after := r.URL.Query().Get("after")
	p := h.authedPage(s, "Your AWS accounts")
	res, err := h.o.Access.AccountsFor(r.Context(), s.User.ID, portal.AccountQuery{Search: q, After: after, Limit: pageSize})
	d := accountsData{Query: q}
	if err != nil {
		if f, ok := fault.As(err); ok && f.Kind == fault.NotImplemented {
			d.Unavail = true
			p.Notice = f.Message
			p.Data = d
			h.render(w, http.StatusOK, "accounts", p)
			return
		}
		if fault.Is(err, fault.Invalid) {
			http.Redirect(w, r, "/start/accounts?q="+url.QueryEscape(q), http.StatusSeeOther)
			return
		}
		h.internal(w, r, err)
		return
	}
	d.Page, d.Shown, d.Rows = res, len(res.Accounts), accountRows(res.Accounts)
	if res.Next != "" {
		v := url.Values{"after": {res.Next}}
		if q != "" {
			v.Set("q", q)
		}
		d.NextURL = "/start/accounts?" + v.Encode()
	}
	p.Data = d
	h.render(w, http.StatusOK, "accounts", p)
}

type rolesData struct {
	Account string
	Roles   []portal.Role
}

func (h *Handler) roles(w http.ResponseWriter, r *http.Request, s signin.Session) {
	account := r.PathValue("account")
	roles, err := h.o.Access.RolesFor(r.Context(), s.User.ID, account)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	p := h.authedPage(s, "Roles in "+account)
	p.Data = rolesData{Account: account, Roles: roles}
	h.render(w, http.StatusOK, "roles", p)
}

// hasRole checks that the session's user holds role in account.
func (h *Handler) hasRole(r *http.Request, s signin.Session, account, role string) (portal.Role, error) {
	roles, err := h.o.Access.RolesFor(r.Context(), s.User.ID, account)
	if err != nil {
		return portal.Role{}, err
	}
	for _, x := range roles {
		if x.Name == role {
			return x, nil
		}
	}
	return portal.Role{}, fault.NotFoundf("ROLE", role, "You have no role %q in account %s.", role, account)
}

type credentialsData struct {
	Account, Role string
	Expiration    string
	Bash          string
	PowerShell    string
	Cmd           string
	File          string
	Region        string
}

func (h *Handler) portalSession(s signin.Session) portal.Session {
	return portal.Session{UserID: s.User.ID, UserName: s.User.UserName, SessionID: s.ID, MFAPresent: s.MFAPresent(), AuthTime: s.AuthTime}
}

func (h *Handler) credentials(w http.ResponseWriter, r *http.Request, s signin.Session) {
	account, role := r.PathValue("account"), r.PathValue("role")
	if _, err := h.hasRole(r, s, account, role); err != nil {
		h.internal(w, r, err)
		return
	}
	c, err := h.o.Credentials.RoleCredentials(r.Context(), h.portalSession(s), account, role)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	id, secret, token := c.AccessKeyID, c.SecretAccessKey.Reveal(), c.SessionToken.Reveal()
	d := credentialsData{Account: account, Role: role, Expiration: c.Expiration.UTC().Format("2006-01-02 15:04:05 UTC"), Region: h.o.Region}
	d.Bash = fmt.Sprintf("export AWS_ACCESS_KEY_ID=%q\nexport AWS_SECRET_ACCESS_KEY=%q\nexport AWS_SESSION_TOKEN=%q", id, secret, token)
	d.PowerShell = fmt.Sprintf("$Env:AWS_ACCESS_KEY_ID=%q\n$Env:AWS_SECRET_ACCESS_KEY=%q\n$Env:AWS_SESSION_TOKEN=%q", id, secret, token)
	d.Cmd = fmt.Sprintf("set AWS_ACCESS_KEY_ID=%s\nset AWS_SECRET_ACCESS_KEY=%s\nset AWS_SESSION_TOKEN=%s", id, secret, token)
	d.File = fmt.Sprintf("[%s_%s]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s", account, role, id, secret, token)
	p := h.authedPage(s, "Access keys for "+role)
	p.Data = d
	h.render(w, http.StatusOK, "credentials", p)
}

type consoleData struct {
	Account, Role, RelayState string
}

// console opens the management console for a role. Gatehouse has no
// console sign-in endpoint of its own yet, so the page explains that and,
// when the permission set has a relay state, links to it (an address an
// administrator configured, never one taken from the request).
func (h *Handler) console(w http.ResponseWriter, r *http.Request, s signin.Session) {
	account, role := r.PathValue("account"), r.PathValue("role")
	x, err := h.hasRole(r, s, account, role)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if _, err := h.o.Credentials.RoleCredentials(r.Context(), h.portalSession(s), account, role); err != nil {
		h.internal(w, r, err)
		return
	}
	relay := ""
	if u, err := url.Parse(x.RelayState); err == nil && u.Scheme == "https" && u.Host != "" {
		relay = u.String()
	}
	p := h.authedPage(s, "Management console")
	p.Notice = "Management console sign-in is not available yet in this version of Gatehouse; use the access keys."
	p.Data = consoleData{Account: account, Role: role, RelayState: relay}
	h.render(w, http.StatusServiceUnavailable, "console", p)
}

type sessionsData struct {
	Current  string
	Sessions any
}

func (h *Handler) sessions(w http.ResponseWriter, r *http.Request, s signin.Session) {
	list, err := h.o.Signin.ListSessions(r.Context(), s.User.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	p := h.authedPage(s, "Your sessions")
	p.Data = sessionsData{Current: s.ID, Sessions: list}
	if r.URL.Query().Get("ended") == "1" {
		p.Notice = "The session was ended."
	}
	h.render(w, http.StatusOK, "sessions", p)
}

func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) {
	s, ok := h.session(r)
	if !ok {
		http.Redirect(w, r, "/start/login", http.StatusSeeOther)
		return
	}
	id := r.PathValue("id")
	if err := h.o.Signin.EndSession(r.Context(), s.User.ID, id); err != nil {
		h.internal(w, r, err)
		return
	}
	if id == s.ID {
		h.cookies.Clear(w, "session")
		http.Redirect(w, r, "/start/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/start/sessions?ended=1", http.StatusSeeOther)
}

type devicesData struct {
	Devices   []signin.Device
	CanManage bool
}

func (h *Handler) devices(w http.ResponseWriter, r *http.Request, s signin.Session) {
	list, err := h.o.Signin.Devices(r.Context(), s.User.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	settings, err := h.o.Signin.Settings(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	p := h.authedPage(s, "Your MFA devices")
	p.Data = devicesData{Devices: list, CanManage: settings.UsersManageDevices}
	switch {
	case r.URL.Query().Get("added") == "1":
		p.Notice = "The device was registered."
	case r.URL.Query().Get("removed") == "1":
		p.Notice = "The device was removed."
	case r.URL.Query().Get("renamed") == "1":
		p.Notice = "The device was renamed."
	}
	h.render(w, http.StatusOK, "devices", p)
}

// deviceError shows a device action's refusal; a stale sign-in is sent to
// sign in again and come back.
func (h *Handler) deviceError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, signin.ErrReauth) {
		if tok := h.cookies.Get(r, "session"); tok != "" {
			_ = h.o.Signin.SignOut(r.Context(), tok)
		}
		h.cookies.Clear(w, "session")
		http.Redirect(w, r, "/start/login?return_to="+url.QueryEscape("/start/devices"), http.StatusSeeOther)
		return
	}
	h.internal(w, r, err)
}

func (h *Handler) addDevice(w http.ResponseWriter, r *http.Request) {
	s, ok := h.session(r)
	if !ok {
		http.Redirect(w, r, "/start/login", http.StatusSeeOther)
		return
	}
	next, err := h.o.Signin.StartEnrollment(r.Context(), s)
	if err != nil {
		h.deviceError(w, r, err)
		return
	}
	h.cookies.Set(w, "flow", next.FlowToken, h.o.Now().Add(signin.FlowTTL))
	http.Redirect(w, r, "/start/mfa/register", http.StatusSeeOther)
}

func (h *Handler) renameDevice(w http.ResponseWriter, r *http.Request) {
	s, ok := h.session(r)
	if !ok {
		http.Redirect(w, r, "/start/login", http.StatusSeeOther)
		return
	}
	if err := h.o.Signin.RenameDevice(r.Context(), s, r.PathValue("id"), r.PostFormValue("name")); err != nil {
		h.deviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/start/devices?renamed=1", http.StatusSeeOther)
}

func (h *Handler) removeDevice(w http.ResponseWriter, r *http.Request) {
	s, ok := h.session(r)
	if !ok {
		http.Redirect(w, r, "/start/login", http.StatusSeeOther)
		return
	}
	if err := h.o.Signin.RemoveDevice(r.Context(), s, r.PathValue("id")); err != nil {
		h.deviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/start/devices?removed=1", http.StatusSeeOther)
}
