// Package accesskey manages the long-term access keys of administrator
// principals (AKIA… id and 40-character secret) and resolves a key id to
// its secret and principal for SigV4 verification.
//
// Secrets are sealed by the keyring before they reach the store. Lookups
// are cached for a short time, which is the bound on how long a deactivated
// key keeps working on a replica (CacheTTL).
package accesskey

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/store"
)

// CacheTTL bounds how long a looked-up key is trusted without reading the
// store again.
const CacheTTL = 5 * time.Second

// Statuses of a key, spelled as IAM spells them.
const (
	Active   = "Active"
	Inactive = "Inactive"
)

// Key is a resolved access key.
type Key struct {
	ID           string
	Secret       keyring.Secret
	PrincipalARN string
	// PrincipalID is the unique id (AIDA…) of the IAM user the key belongs
	// to; empty for the bootstrap administrator's key.
	PrincipalID string
	AccountID   string
	Status      string
}

// UserID returns the unique id of the key's principal as IAM shows it in
// aws:userid and CloudTrail's principalId: the IAM user's id, or for the
// bootstrap administrator, which has no user record, BootstrapUserID.
func (k Key) UserID() string {
	if k.PrincipalID != "" {
		return k.PrincipalID
	}
	return BootstrapUserID(k.AccountID)
}

// BootstrapUserID is the unique id of the bootstrap administrator of an
// account: AIDA and 17 characters derived from the account id, so that
// every replica and every restart agree on it.
func BootstrapUserID(accountID string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	sum := sha256.Sum256([]byte("gatehouse-bootstrap-user:" + accountID))
	b := make([]byte, 17)
	for i := range b {
		b[i] = alphabet[sum[i]%32]
	}
	return "AIDA" + string(b)
}

// UserName returns the IAM user name of the key's principal.
func (k Key) UserName() string {
	a, err := arn.Parse(k.PrincipalARN)
	if err != nil {
		return ""
	}
	_, name, _ := cutLast(a.Resource, "/")
	return name
}

func cutLast(s, sep string) (string, string, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i:i+1] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}

// Service creates and resolves access keys.
type Service struct {
	store store.Store
	keys  *keyring.Keyring
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	key     Key
	expires time.Time
}

// New returns the access key service.
func New(s store.Store, k *keyring.Keyring, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: s, keys: k, now: now, cache: map[string]cached{}}
}

func purpose(id string) string { return "access-key:" + id }

// Create makes a new active key for principalARN within the transaction
// and returns it with its secret, which is never shown again.
func (s *Service) Create(ctx context.Context, tx store.Tx, principalARN, accountID string) (Key, error) {
	return s.CreateFor(ctx, tx, principalARN, "", accountID)
}

// CreateFor is Create for the IAM user with unique id principalID.
func (s *Service) CreateFor(ctx context.Context, tx store.Tx, principalARN, principalID, accountID string) (Key, error) {
	k := Key{
		ID:           arn.NewAccessKeyID("AKIA"),
		Secret:       keyring.Secret(arn.NewSecretAccessKey()),
		PrincipalARN: principalARN,
		PrincipalID:  principalID,
		AccountID:    accountID,
		Status:       Active,
	}
	err := tx.PutAccessKey(ctx, store.AccessKey{
		ID: k.ID, SecretSealed: s.keys.Seal(purpose(k.ID), []byte(k.Secret.Reveal())),
		PrincipalARN: principalARN, PrincipalID: principalID, AccountID: accountID, Status: Active, CreatedAt: s.now().UTC(),
	})
	if err != nil {
		return Key{}, fmt.Errorf("accesskey: store %s: %w", k.ID, err)
	}
	return k, nil
}

// ErrUnknown is returned for a key id that does not exist or is inactive.
var ErrUnknown = errors.New("accesskey: unknown or inactive access key")

// Lookup resolves an active key.
func (s *Service) Lookup(ctx context.Context, id string) (Key, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[id]
	s.mu.Unlock()
	if ok && now.Before(c.expires) {
		if c.key.Status != Active {
			return Key{}, ErrUnknown
		}
		return c.key, nil
	}
	rec, err := s.store.GetAccessKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Key{}, ErrUnknown
	}
	if err != nil {
		return Key{}, fmt.Errorf("accesskey: lookup %s: %w", id, err)
	}
	secret, err := s.keys.Open(purpose(id), rec.SecretSealed)
	if err != nil {
		return Key{}, fmt.Errorf("accesskey: open secret of %s: %w", id, err)
	}
	k := Key{ID: id, Secret: keyring.Secret(secret), PrincipalARN: rec.PrincipalARN, PrincipalID: rec.PrincipalID,
		AccountID: rec.AccountID, Status: rec.Status}
	s.mu.Lock()
	if len(s.cache) > 10000 {
		clear(s.cache) // bounded: many distinct keys only come from misuse
	}
	s.cache[id] = cached{key: k, expires: now.Add(CacheTTL)}
	s.mu.Unlock()
	if k.Status != Active {
		return Key{}, ErrUnknown
	}
	return k, nil
}

// SetStatus activates or deactivates a key; replicas notice within
// CacheTTL.
func (s *Service) SetStatus(ctx context.Context, id, status string) error {
	if status != Active && status != Inactive {
		return fault.Invalidf("status must be Active or Inactive")
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		rec, err := tx.GetAccessKey(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("ACCESS_KEY", id, "The Access Key with id %s cannot be found.", id)
		}
		if err != nil {
			return err
		}
		rec.Status = status
		if err := tx.PutAccessKey(ctx, rec); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
	if err == nil {
		s.mu.Lock()
		delete(s.cache, id)
		s.mu.Unlock()
	}
	return err
}

// Forget drops a key from this replica's cache, after a transaction that
// changed or deleted it has committed, so that the change applies here at
// once (other replicas notice within CacheTTL).
func (s *Service) Forget(id string) {
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
}
