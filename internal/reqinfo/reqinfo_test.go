package reqinfo

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name, remote, xff string
		trusted           []netip.Prefix
		want              string
	}{
		{"direct", "203.0.113.5:4000", "", nil, "203.0.113.5"},
		{"forged header from an untrusted peer", "203.0.113.5:4000", "1.2.3.4", nil, "203.0.113.5"},
		{"trusted proxy", "10.0.0.1:4000", "198.51.100.7", proxy, "198.51.100.7"},
		{"chain through two trusted proxies", "10.0.0.1:4000", "198.51.100.7, 10.0.0.2", proxy, "198.51.100.7"},
		{"client-supplied prefix is ignored", "10.0.0.1:4000", "1.2.3.4, 198.51.100.7", proxy, "198.51.100.7"},
		{"garbage hop stops the walk", "10.0.0.1:4000", "1.2.3.4, nonsense", proxy, "10.0.0.1"},
		{"ipv6 peer", "[2001:db8::1]:443", "", nil, "2001:db8::1"},
		{"ipv4-mapped", "[::ffff:192.0.2.1]:443", "", nil, "192.0.2.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
			}
			if got := ClientIP(r, c.trusted); got != c.want {
				t.Errorf("ClientIP = %q, want %q", got, c.want)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	var got Info
	h := Middleware{}.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = FromContext(r.Context()) }))
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("User-Agent", "aws-cli/2.9.19")
	h.ServeHTTP(rec, r)
	if got.RequestID == "" || rec.Header().Get("x-amzn-RequestId") != got.RequestID || got.UserAgent != "aws-cli/2.9.19" || got.Received.IsZero() {
		t.Fatalf("info = %+v, header %q", got, rec.Header().Get("x-amzn-RequestId"))
	}
}

func TestSecureTransport(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name, remote, proto string
		tls                 bool
		want                bool
	}{
		{"tls to gatehouse", "198.51.100.7:4000", "", true, true},
		{"plain http", "198.51.100.7:4000", "", false, false},
		{"trusted proxy says https", "10.0.0.1:4000", "https", false, true},
		{"trusted proxy, first hop was https", "10.0.0.1:4000", "HTTPS, http", false, true},
		{"trusted proxy says http", "10.0.0.1:4000", "http", false, false},
		{"untrusted peer claims https", "198.51.100.7:4000", "https", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			if c.proto != "" {
				r.Header.Set("X-Forwarded-Proto", c.proto)
			}
			if c.tls {
				r.TLS = &tls.ConnectionState{HandshakeComplete: true}
			}
			if got := SecureTransport(r, proxy); got != c.want {
				t.Errorf("SecureTransport = %v, want %v", got, c.want)
			}
		})
	}
}
