package mfa

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRFC6238Vectors checks the SHA-1 test vectors of RFC 6238 Appendix B
// (the last six of their eight digits).
func TestRFC6238Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		code string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}} {
		if got := Code(secret, Step(time.Unix(v.unix, 0))); got != v.code {
			t.Errorf("T=%d: code %s, want %s", v.unix, got, v.code)
		}
	}
}

func TestMatchTOTPWindow(t *testing.T) {
	secret := NewTOTPSecret()
	now := time.Unix(1_800_000_000, 0)
	cur := Step(now)
	for delta, ok := range map[int64]bool{-2: false, -1: true, 0: true, 1: true, 2: false} {
		step, got := MatchTOTP(secret, Code(secret, cur+delta), now)
		if got != ok || (ok && step != cur+delta) {
			t.Errorf("step %+d: matched %v at %d", delta, got, step)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := MatchTOTP(secret, bad, now); ok {
			t.Errorf("%q matched", bad)
		}
	}
	// Spaces are ignored ("123 456" as apps show it).
	c := Code(secret, cur)
	if _, ok := MatchTOTP(secret, c[:3]+" "+c[3:], now); !ok {
		t.Error("a code with a space did not match")
	}
}

func TestSecretAndURI(t *testing.T) {
	secret := NewTOTPSecret()
	if len(secret) != SecretBytes {
		t.Fatalf("secret of %d bytes", len(secret))
	}
	enc := EncodeSecret(secret)
	back, err := DecodeSecret(strings.ToLower(enc[:8]) + " " + enc[8:])
	if err != nil || string(back) != string(secret) {
		t.Fatalf("DecodeSecret: %v", err)
	}
	u, err := url.Parse(TOTPURI("Gatehouse", "alice@example.com", secret))
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != enc ||
		u.Query().Get("issuer") != "Gatehouse" || u.Query().Get("digits") != "6" || u.Query().Get("period") != "30" {
		t.Fatalf("URI %v, %v", u, err)
	}
	if !strings.HasPrefix(u.Path, "/Gatehouse:alice@example.com") {
		t.Fatalf("label %q", u.Path)
	}
	qr, err := QRDataURI(u.String())
	if err != nil || !strings.HasPrefix(qr, "data:image/png;base64,iVBORw0KGgo") {
		t.Fatalf("QR: %.40s, %v", qr, err)
	}
}

func TestWebAuthnRelyingParty(t *testing.T) {
	wa, err := NewWebAuthn("https://sso.example.com", "Gatehouse")
	if err != nil || wa.RPID() != "sso.example.com" {
		t.Fatalf("NewWebAuthn: %v", err)
	}
	// Browsers refuse IP addresses as relying party ids.
	if _, err := NewWebAuthn("http://127.0.0.1:8080", "Gatehouse"); err == nil {
		t.Fatal("an IP address became a relying party id")
	}
}
