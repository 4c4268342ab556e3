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

// Listings are the page tokens of one service's listings, whose NextToken
// members all work alike: a token resumes after a position, and the last
// page has none.
type Listings struct {
	Pager *Pager
	// Service prefixes every listing scope ("identitystore" for
	// "identitystore:ListGroups:…"), so that a token of one service never
	// opens a listing of another.
	Service string
	// BadToken, when not nil, is the error for a token that fails the
	// pager's checks, for a service whose exception for it differs from
	// the pager's fault (Organizations' INVALID_NEXT_TOKEN).
	BadToken error
}

// Position returns the position a listing's token resumes after: "" for no
// token, the start of the listing.
func (l Listings) Position(scope, token string) (string, error) {
	after, err := l.Pager.Decode(l.Service+":"+scope, token)
	if err != nil && l.BadToken != nil {
		return "", l.BadToken
	}
	return after, err
}

// Next returns the token of the page after the item at position last, or
// "" when more is false: the page is the listing's last.
func (l Listings) Next(scope string, more bool, last string) string {
	if !more {
		return ""
	}
	return l.Pager.Encode(l.Service+":"+scope, last)
}

// ListPage serves one page of the listing scope: it reads the position of
// token, fetches at most max items after it (nil: the service's default)
// with whether more follow, converts each with conv, and returns them with
// the token of the next page. id is an item's position in the listing. An
// empty page is an empty list, which encodes as [] rather than null.
func ListPage[T, O any](l Listings, scope, token string, max *int,
	fetch func(after string, max int) ([]T, bool, error), id func(T) string, conv func(T) (O, error)) ([]O, string, error) {
	after, err := l.Position(scope, token)
	if err != nil {
		return nil, "", err
	}
	items, more, err := fetch(after, MaxResults(max))
	if err != nil {
		return nil, "", err
	}
	out := make([]O, len(items))
	for i, it := range items {
		if out[i], err = conv(it); err != nil {
			return nil, "", err
		}
	}
	next := ""
	if len(items) > 0 {
		next = l.Next(scope, more, id(items[len(items)-1]))
	}
	return out, next, nil
}

// MaxResults reads an optional MaxResults member: 0, which the services
// take for their default page size, when the request has none.
func MaxResults(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
