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
	Store   store.Store
	JSON    *awsapi.JSONRouter
	Log     *slog.Logger
	Trusted []netip.Prefix
	Now     func() time.Time
}

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
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("POST /{$}", func(w http.ResponseWriter, r *http.Request) {
		if o.JSON.Handles(r) {
			o.JSON.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", awsapi.JSONContentType)
		w.Header().Set("X-Amzn-ErrorType", "UnknownOperationException")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"__type":"UnknownOperationException","Message":""}` + "\n"))
	})
	return reqinfo.Middleware{Trusted: o.Trusted, Now: o.Now}.Wrap(mux)
}
