// Package mfa implements the second factors: TOTP (RFC 6238) for
// authenticator apps and WebAuthn ceremonies for security keys and passkeys
// (through github.com/go-webauthn/webauthn).
//
// The package is pure computation: which step a code belongs to, what a
// ceremony's options are, whether an assertion verifies. What must hold
// across replicas (a step used once, a signature counter that only grows)
// is enforced by the caller with compare-and-set writes in the store.
package mfa

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"

	"rsc.io/qr"
)

// TOTP parameters: the ones every authenticator app supports.
const (
	Period = 30 * time.Second
	Digits = 6
	// Skew is how many steps before and after the current one are
	// accepted, for clocks that drift and codes typed slowly.
	Skew = 1
	// SecretBytes is the seed length: 160 bits, as RFC 4226 recommends.
	SecretBytes = 20
)

// NewTOTPSecret returns a random seed.
func NewTOTPSecret() []byte {
	b := make([]byte, SecretBytes)
	_, _ = rand.Read(b)
	return b
}

// EncodeSecret returns the seed as authenticator apps take it: base32
// without padding.
func EncodeSecret(secret []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
}

// DecodeSecret parses a base32 seed (spaces and case ignored).
func DecodeSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	return base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
}

// Step returns the RFC 6238 time step of t.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Code returns the code of one step (HOTP of the step counter, SHA-1, six
// digits).
func Code(secret []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", Digits, v%1_000_000)
}

// MatchTOTP returns the step within ±Skew of now whose code is code, and
// whether there is one. Every candidate is compared, in constant time, so
// the answer's timing does not say which step matched.
func MatchTOTP(secret []byte, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if len(code) != Digits {
		return 0, false
	}
	cur := Step(now)
	var (
		found int64
		ok    bool
	)
	for s := cur - Skew; s <= cur+Skew; s++ {
		if subtle.ConstantTimeCompare([]byte(Code(secret, s)), []byte(code)) == 1 && !ok {
			found, ok = s, true
		}
	}
	return found, ok
}

// TOTPURI returns the otpauth:// URI an authenticator app scans.
func TOTPURI(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	v := url.Values{}
	v.Set("secret", EncodeSecret(secret))
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", fmt.Sprint(Digits))
	v.Set("period", fmt.Sprint(int(Period/time.Second)))
	return "otpauth://totp/" + label + "?" + v.Encode()
}

// QRDataURI renders text as a QR code PNG in a data: URI for an <img>.
func QRDataURI(text string) (string, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("mfa: QR code: %w", err)
	}
	c.Scale = 6
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(c.PNG()), nil
}
