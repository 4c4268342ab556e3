package web

import (
	"io/fs"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/signin"
)

// What the admin console (internal/console) shares with the portal: the
// page layout, the signed-in session, CSRF tokens and the checks of
// state-changing requests, so that both are protected by the same code.

// Layout returns the file system holding layout.html, which defines the
// "head" and "foot" templates of every page. A page set that parses it
// may redefine its blocks: "extrahead" (more of <head>), "brand", "nav"
// and "footer".
func Layout() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err) // the embedded directory exists
	}
	return sub
}

// SessionOf returns the signed-in session of a request, read from the
// session cookie and the store (an ended session is gone at once).
func (h *Handler) SessionOf(r *http.Request) (signin.Session, bool) { return h.session(r) }

// SessionCSRF returns the CSRF token of a session's pages.
func (h *Handler) SessionCSRF(s signin.Session) string { return h.csrf.Token("s:" + s.TokenHash) }

// Protect wraps a state-changing handler with the portal's checks: a
// bounded form, a same-origin request and a CSRF token bound to the
// session; anything else is answered 403 before fn runs.
func (h *Handler) Protect(fn http.HandlerFunc) http.HandlerFunc { return h.post(fn) }
