package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// Principals resolves an access key id to its secret and the caller it
// signs as. It returns ErrUnknownKey for keys that do not exist or are
// inactive.
type Principals interface {
	Resolve(ctx context.Context, accessKeyID string) (secret string, caller Caller, err error)
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
			secret, _, err := a.principals.Resolve(ctx, id)
			if errors.Is(err, ErrUnknownKey) {
				return "", sigv4.ErrUnknownAccessKey
			}
			return secret, err
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("awsapi: verifier for %s: %w", service, err)
	}
	a.verifiers[service] = v
	return v, nil
}

// Authenticate verifies r (whose body has been read into body) and returns
// its caller, or the JSON-protocol error AWS would send.
func (a *SigV4Auth) Authenticate(r *http.Request, body []byte, service string) (Caller, *Error) {
	c, err := a.authenticate(r, body, service)
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
	res, err := v.Verify(r.Context(), r, sigv4.FullBody(body))
	if err != nil {
		return Caller{}, err
	}
	_, caller, err := a.principals.Resolve(r.Context(), res.AccessKeyID)
	if err != nil {
		return Caller{}, err
	}
	if caller.SessionToken != "" && caller.SessionToken != res.SecurityToken {
		// Temporary credentials are only valid with their own token.
		return Caller{}, &sigv4.Error{Kind: sigv4.UnknownAccessKey, Message: "The security token included in the request is invalid."}
	}
	return caller, nil
}
