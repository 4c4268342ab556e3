package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
)

// Pager mints and reads opaque page tokens. A token carries the position to
// resume from, is bound to the listing it came from (operation and
// filters) and expires; a MAC makes any change to it detectable, so a client
// can neither forge a position nor reuse a token on another listing.
//
// Tokens use only the characters [A-Za-z0-9_-], which every AWS model's
// NextToken pattern accepts.
type Pager struct {
	key []byte
	now func() time.Time
	ttl time.Duration
}

// NewPager returns a pager with the given MAC key (32 bytes from the
// keyring) and clock.
func NewPager(key []byte, now func() time.Time) *Pager {
	if now == nil {
		now = time.Now
	}
	return &Pager{key: key, now: now, ttl: 24 * time.Hour}
}

const macLen = 16

// ErrBadToken is the fault for a token that fails any check.
var ErrBadToken = fault.Invalidf("The pagination token is invalid.")

// Encode returns a token for resuming listing scope after position.
func (p *Pager) Encode(scope, position string) string {
	buf := make([]byte, 0, 9+len(position)+macLen)
	buf = append(buf, 1) // format version
	buf = binary.BigEndian.AppendUint64(buf, uint64(p.now().Add(p.ttl).Unix()))
	buf = append(buf, position...)
	buf = append(buf, p.mac(scope, buf)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Decode checks a token against the listing scope and returns its position.
// An empty token is the start of the listing.
func (p *Pager) Decode(scope, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	// Strict: a token whose unused trailing bits differ is another token.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < 9+macLen || raw[0] != 1 {
		return "", ErrBadToken
	}
	body, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(sum, p.mac(scope, body)) {
		return "", ErrBadToken
	}
	if time.Unix(int64(binary.BigEndian.Uint64(body[1:9])), 0).Before(p.now()) {
		return "", fault.Invalidf("The pagination token has expired.")
	}
	return string(body[9:]), nil
}

func (p *Pager) mac(scope string, body []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)[:macLen]
}
