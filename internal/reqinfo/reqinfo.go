// Package reqinfo carries per-request facts every adapter needs (request id,
// trusted client address, user agent, arrival time) in the request context.
//
// The client address comes from the TCP peer unless that peer is one of the
// configured trusted proxies; only then is X-Forwarded-For consulted, from
// the right, skipping further trusted proxies. A client can therefore never
// choose the address that lockouts, rate limits and audit records see.
package reqinfo

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/arn"
)

// Info describes one request.
type Info struct {
	RequestID string
	SourceIP  string
	UserAgent string
	Received  time.Time
	// Secure reports whether the client's connection used TLS (IAM's
	// aws:SecureTransport): to Gatehouse itself, or to a trusted proxy
	// that says so in X-Forwarded-Proto.
	Secure bool
}

type ctxKey struct{}

// FromContext returns the request's info; outside a request it returns an
// Info naming Gatehouse itself.
func FromContext(ctx context.Context) Info {
	if i, ok := ctx.Value(ctxKey{}).(Info); ok {
		return i
	}
	return Info{SourceIP: "gatehouse.internal", UserAgent: "gatehouse"}
}

// NewContext returns ctx carrying info.
func NewContext(ctx context.Context, info Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// Middleware records Info for each request and sends x-amzn-RequestId.
type Middleware struct {
	Trusted []netip.Prefix
	Now     func() time.Time
}

// Wrap returns next with request info in every request's context.
func (m Middleware) Wrap(next http.Handler) http.Handler {
	now := m.Now
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := Info{
			RequestID: arn.NewUUID(),
			SourceIP:  ClientIP(r, m.Trusted),
			UserAgent: r.UserAgent(),
			Received:  now(),
			Secure:    SecureTransport(r, m.Trusted),
		}
		w.Header().Set("x-amzn-RequestId", info.RequestID)
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), info)))
	})
}

// ClientIP returns the address of the client that sent r.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	var addr netip.Addr
	if err == nil {
		addr = peer.Addr().Unmap()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		addr = a.Unmap()
	} else {
		return r.RemoteAddr
	}
	if !isTrusted(addr, trusted) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing further left
		}
		hop = hop.Unmap()
		addr = hop
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return addr.String()
}

// SecureTransport reports whether r reached Gatehouse over TLS, or reached
// a trusted proxy over TLS: the proxy (the direct peer) must be trusted for
// its X-Forwarded-Proto to count, and the client's scheme is the header's
// first value.
func SecureTransport(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !isTrusted(peer.Addr().Unmap(), trusted) {
		return false
	}
	first, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(first), "https")
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
