package authzapi

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/fault"
)

func TestCheckContext(t *testing.T) {
	tests := []struct {
		ctx          map[string][]string
		allowSession bool
		ok           bool
	}{
		{map[string][]string{"aws:SourceIp": {"192.0.2.1"}, "s3:prefix": {"a/"}}, false, true},
		{map[string][]string{"aws:PrincipalArn": {"x"}}, true, false},
		{map[string][]string{"AWS:USERID": {"x"}}, true, false},
		{map[string][]string{"aws:CurrentTime": {"2026-01-01T00:00:00Z"}}, true, false},
		{map[string][]string{"aws:MultiFactorAuthPresent": {"true"}}, false, false},
		{map[string][]string{"aws:MultiFactorAuthPresent": {"true"}}, true, true},
		{map[string][]string{"aws:PrincipalTag/team": {"blue"}}, false, false},
		{map[string][]string{"aws:PrincipalTag/team": {"blue"}}, true, true},
		{map[string][]string{"noprefix": {"x"}}, false, false},
		{map[string][]string{"aws:SourceIp": {}}, false, false},
	}
	for _, tt := range tests {
		err := checkContext(tt.ctx, tt.allowSession)
		if (err == nil) != tt.ok || (err != nil && !fault.Is(err, fault.Invalid)) {
			t.Errorf("checkContext(%v, %v) = %v", tt.ctx, tt.allowSession, err)
		}
	}
	big := map[string][]string{}
	for i := range maxContextKeys + 1 {
		big["k:"+strings.Repeat("x", i+1)] = []string{"v"}
	}
	if err := checkContext(big, false); err == nil {
		t.Error("too many keys accepted")
	}
}

func TestBuildRequest(t *testing.T) {
	r, err := buildRequest(SignedRequest{Method: "GET", Path: "/b/a%20b", Query: "x=1&y", Headers: map[string][]string{"Host": {"s.example"}, "X-Amz-Date": {"20260101T000000Z"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Host != "s.example" || r.RequestURI != "/b/a%20b?x=1&y" || r.Header.Get("X-Amz-Date") == "" || r.Header.Get("Host") != "" {
		t.Fatalf("request %+v", r)
	}
	r, err = buildRequest(SignedRequest{Method: "GET", Path: "/", Headers: map[string][]string{"Host": {"a", "b"}}})
	if err != nil || len(r.Header.Values("Host")) != 2 {
		t.Fatalf("two Host values must reach the verifier, which refuses them: %+v %v", r, err)
	}
	for _, bad := range []SignedRequest{
		{Method: "GET", Path: "relative", Headers: map[string][]string{"Host": {"a"}}},
		{Method: "GET", Path: "/a?b", Headers: map[string][]string{"Host": {"a"}}},
		{Method: "", Path: "/", Headers: map[string][]string{"Host": {"a"}}},
		{Method: "GET", Path: "/", Headers: map[string][]string{}},
		{Method: "GET", Path: "/a b", Headers: map[string][]string{"Host": {"a"}}},
	} {
		if _, err := buildRequest(bad); !fault.Is(err, fault.Invalid) {
			t.Errorf("buildRequest(%+v) = %v", bad, err)
		}
	}
}
