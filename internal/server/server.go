// Package server assembles Gatehouse's HTTP handler: one listener, rooted at
// "/", that answers every AWS protocol (JSON 1.1 on X-Amz-Target, and later
// Query and REST-JSON), the health probes and the web pages.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Options are the parts the handler is built from.
type Options struct {
	Store store.Store
	JSON  *awsapi.JSONRouter
	// Query serves the Query protocol services (IAM, STS); nil for none.
	Query *awsapi.QueryRouter
	Log   *slog.Logger
	// Ready are further readiness checks (besides the store) for /readyz.
	Ready   []func(context.Context) error
	Trusted []netip.Prefix
	Now     func() time.Time
	// Web serves the access portal (/start…) and its assets (/static/).
	Web http.Handler
	// Admin serves the admin console (/admin/); nil for none.
	Admin http.Handler
	// REST serves the REST-JSON services (sso-oidc, the SSO portal API) at
	// their AWS paths; nil for none.
	REST *awsapi.RESTRouter
}

// restPaths are the paths of the REST-JSON operations (sso-oidc, sso).
var restPaths = []string{"POST /client/register", "POST /device_authorization", "POST /token",
	"GET /federation/credentials", "GET /assignment/accounts", "GET /assignment/roles", "POST /logout"}

// New returns the root handler.
func New(o Options) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := o.Store.Ping(ctx); err != nil {
			o.Log.Warn("readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("storage unreachable\n"))
			return
		}
		for _, check := range o.Ready {
			if err := check(ctx); err != nil {
				o.Log.Warn("readiness check failed", "err", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte("not ready\n"))
				return
			}
		}
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("POST /{$}", func(w http.ResponseWriter, r *http.Request) {
		if o.JSON.Handles(r) {
			o.JSON.ServeHTTP(w, r)
			return
		}
		if o.Query.Handles(r) {
			o.Query.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", awsapi.JSONContentType)
		w.Header().Set("X-Amzn-ErrorType", "UnknownOperationException")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"__type":"UnknownOperationException","Message":""}` + "\n"))
	})
	if o.REST != nil {
		for _, p := range restPaths {
			mux.Handle(p, o.REST)
		}
	}
	if o.Web != nil {
		// The consent page of the authorization code flow, where AWS CLI
		// 2.22+ opens its browser: the root of the sso-oidc endpoint.
		mux.Handle("GET /authorize", o.Web)
		mux.Handle("/start", o.Web)
		mux.Handle("/start/", o.Web)
		mux.Handle("/static/", o.Web)
		mux.Handle("GET /{$}", http.RedirectHandler("/start", http.StatusSeeOther))
	}
	if o.Admin != nil {
		mux.Handle("/admin", o.Admin)
		mux.Handle("/admin/", o.Admin)
	}
	return reqinfo.Middleware{Trusted: o.Trusted, Now: o.Now}.Wrap(mux)
}
