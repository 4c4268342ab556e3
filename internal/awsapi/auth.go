package awsapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// Principal is what an access key id resolves to: the secret it signs
// with, the caller it signs as and, for temporary credentials, the facts
// of its session.
type Principal struct {
	Secret string
	Caller Caller
	// TokenHash is the SHA-256 of the session token issued with temporary
	// credentials; nil for long-term keys.
	TokenHash []byte
	// Expires is when temporary credentials stop working; zero for
	// long-term keys.
	Expires time.Time
	// Revoked reports temporary credentials revoked before their expiry
	// (the user was disabled or deleted, lost the assignment, or an
	// administrator revoked the user's sessions).
	Revoked bool
}

// Principals resolves an access key id to its principal. It returns
// ErrUnknownKey for keys that do not exist or are inactive.
type Principals interface {
	Resolve(ctx context.Context, accessKeyID string) (Principal, error)
}

// ErrUnknownKey reports an access key id that signs nothing.
var ErrUnknownKey = errors.New("awsapi: unknown access key")

// SigV4Auth authenticates requests by their Signature Version 4.
type SigV4Auth struct {
	principals Principals
	regions    []string
	now        func() time.Time

	mu        sync.Mutex
	verifiers map[string]*sigv4.Verifier // by signing name
}

// NewSigV4Auth returns an authenticator accepting signatures scoped to the
// given regions.
func NewSigV4Auth(p Principals, regions []string, now func() time.Time) *SigV4Auth {
	if now == nil {
		now = time.Now
	}
	return &SigV4Auth{principals: p, regions: regions, now: now, verifiers: map[string]*sigv4.Verifier{}}
}

// resolvedKey carries, through sigv4.Verify, the principal its secret
// lookup resolved, so that a request resolves its key once.
type resolvedKey struct{}

type resolved struct {
	p  Principal
	ok bool
}

func (a *SigV4Auth) verifier(service string) (*sigv4.Verifier, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if v, ok := a.verifiers[service]; ok {
		return v, nil
	}
	v, err := sigv4.NewVerifier(sigv4.Config{
		Service: service,
		Regions: a.regions,
		Now:     a.now,
		Secrets: sigv4.SecretLookupFunc(func(ctx context.Context, id string) (string, error) {
			p, err := a.principals.Resolve(ctx, id)
			if errors.Is(err, ErrUnknownKey) {
				return "", sigv4.ErrUnknownAccessKey
			}
			if err != nil {
				return "", err
			}
			if h, _ := ctx.Value(resolvedKey{}).(*resolved); h != nil {
				h.p, h.ok = p, true
			}
			return p.Secret, nil
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("awsapi: verifier for %s: %w", service, err)
	}
	a.verifiers[service] = v
	return v, nil
}

// errRevoked is the failure of revoked temporary credentials. AWS denies
// the calls of a revoked session (a Deny on aws:TokenIssueTime) with
// AccessDenied.
var errRevoked = errors.New("awsapi: temporary credentials revoked")

const revokedMessage = "The security token included in the request was revoked."

// Authenticate verifies r (whose body has been read into body) and returns
// its caller, or the JSON-protocol error AWS would send.
func (a *SigV4Auth) Authenticate(r *http.Request, body []byte, service string) (Caller, *Error) {
	c, err := a.authenticate(r, body, service)
	if errors.Is(err, errRevoked) {
		return Caller{}, &Error{Status: http.StatusForbidden, Code: "AccessDeniedException", Message: revokedMessage}
	}
	if err != nil {
		w := sigv4.JSONWire(err)
		return Caller{}, &Error{Status: w.Status, Code: w.Code, Message: w.Message}
	}
	return c, nil
}

// AuthenticateQuery is Authenticate for the Query protocol services (STS,
// IAM), whose error codes differ.
func (a *SigV4Auth) AuthenticateQuery(r *http.Request, body []byte, service string) (Caller, *Error) {
	c, err := a.authenticate(r, body, service)
	if errors.Is(err, errRevoked) {
		return Caller{}, &Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: revokedMessage}
	}
	if err != nil {
		w := sigv4.QueryWire(err)
		return Caller{}, &Error{Status: w.Status, Code: w.Code, Message: w.Message}
	}
	return c, nil
}

func (a *SigV4Auth) authenticate(r *http.Request, body []byte, service string) (Caller, error) {
	v, err := a.verifier(service)
	if err != nil {
		return Caller{}, err
	}
	h := &resolved{}
	ctx := context.WithValue(r.Context(), resolvedKey{}, h)
	res, err := v.Verify(ctx, r, sigv4.FullBody(body))
	if err != nil {
		return Caller{}, err
	}
	p := h.p
	if !h.ok {
		if p, err = a.principals.Resolve(r.Context(), res.AccessKeyID); err != nil {
			return Caller{}, err
		}
	}
	if p.TokenHash == nil {
		return p.Caller, nil
	}
	// Temporary credentials are only valid with their own session token;
	// hashes are compared in constant time.
	sum := sha256.Sum256([]byte(res.SecurityToken))
	if res.SecurityToken == "" || subtle.ConstantTimeCompare(sum[:], p.TokenHash) != 1 {
		return Caller{}, &sigv4.Error{Kind: sigv4.InvalidSecurityToken, Message: "The security token included in the request is invalid."}
	}
	if !a.now().Before(p.Expires) {
		return Caller{}, &sigv4.Error{Kind: sigv4.ExpiredToken, Message: "The security token included in the request is expired"}
	}
	if p.Revoked {
		return Caller{}, errRevoked
	}
	return p.Caller, nil
}
