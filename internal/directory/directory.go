// Package directory is the identity store: users, groups and group
// memberships, with the rules of the AWS identitystore API (required and
// unique attributes, reserved names, attribute operations).
//
// Every change commits in one store transaction together with its audit
// event. Adapters (the identitystore API, SCIM, the admin console) call this
// package; none of them holds a rule of its own.
package directory

import (
	"context"
	"errors"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Resource types named in NotFound faults, as the identitystore API spells
// them.
const (
	ResourceUser          = "USER"
	ResourceGroup         = "GROUP"
	ResourceMembership    = "GROUP_MEMBERSHIP"
	ResourceIdentityStore = "IDENTITY_STORE"
)

// Conflict reasons of the identitystore API.
const (
	ReasonUniqueness = "UNIQUENESS_CONSTRAINT_VIOLATION"
	ReasonConcurrent = "CONCURRENT_MODIFICATION"
)

// User statuses.
const (
	StatusEnabled  = "ENABLED"
	StatusDisabled = "DISABLED"
)

// EnterpriseExtension is the only user extension the identity store knows.
const EnterpriseExtension = "aws:identitystore:enterprise"

// Hook is told about deletions and status changes inside their transaction,
// so that other parts of Gatehouse (account assignments, sessions) follow in
// the same commit.
type Hook interface {
	UserDeleted(ctx context.Context, tx store.Tx, userID string) error
	GroupDeleted(ctx context.Context, tx store.Tx, groupID string) error
	UserDisabled(ctx context.Context, tx store.Tx, userID string) error
}

// CreateHook is an optional extension of Hook: a hook that also implements
// it is told about each new user inside the creating transaction (sign-in
// uses it to send invitations).
type CreateHook interface {
	UserCreated(ctx context.Context, tx store.Tx, u store.User) error
}

// Service is the identity store of one instance.
type Service struct {
	store           store.Store
	identityStoreID string
	now             func() time.Time
	hooks           []Hook
}

// New returns the identity store service for identityStoreID.
func New(s store.Store, identityStoreID string, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: s, identityStoreID: identityStoreID, now: now}
}

// AddHook registers a hook; call it while wiring, before serving.
func (s *Service) AddHook(h Hook) { s.hooks = append(s.hooks, h) }

// IdentityStoreID returns the id of the identity store.
func (s *Service) IdentityStoreID() string { return s.identityStoreID }

// CheckStore verifies that a caller-supplied identity store id is ours.
func (s *Service) CheckStore(id string) error {
	if id != s.identityStoreID {
		return fault.NotFoundf(ResourceIdentityStore, id, "IDENTITY_STORE not found.")
	}
	return nil
}

// actor names who makes the current change, for CreatedBy and UpdatedBy.
func actor(ctx context.Context) string {
	if e, ok := audit.FromContext(ctx); ok && e.UserIdentity.ARN != "" {
		return e.UserIdentity.ARN
	}
	return "gatehouse"
}

// foldCase is shared, immutable and safe for concurrent use through Key.
var foldCase = cases.Fold()

// Key normalizes a unique attribute for comparison: Unicode NFKC, then case
// folding. "Alice", "ALICE" and "Ａｌｉｃｅ" (full-width) are the same name.
func Key(s string) string {
	return foldCase.String(norm.NFKC.String(s))
}

// userNotFound and friends build the faults real clients expect.
func userNotFound(id string) error {
	return fault.NotFoundf(ResourceUser, id, "USER not found.")
}

func groupNotFound(id string) error {
	return fault.NotFoundf(ResourceGroup, id, "GROUP not found.")
}

func membershipNotFound(id string) error {
	return fault.NotFoundf(ResourceMembership, id, "GROUP_MEMBERSHIP not found.")
}

// translate maps store errors to faults; notFound builds the fault for a
// missing record.
func translate(err error, notFound func() error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) && notFound != nil {
		return notFound()
	}
	if c, ok := store.IsConflict(err); ok {
		f := fault.Conflictf(ReasonUniqueness, "%s", conflictMessage(c))
		f.Err = err
		return f
	}
	return err
}

func conflictMessage(constraint string) string {
	switch constraint {
	case "users_user_name_key":
		return "Duplicate UserName"
	case "users_email_key":
		return "Duplicate Email"
	case "groups_display_name_key":
		return "Duplicate GroupDisplayName"
	case "external_ids_pkey":
		return "Duplicate ExternalId"
	case "memberships_pair":
		return "Member already exists in group"
	default:
		return "Duplicate resource"
	}
}

// reserved are names the identity store keeps for itself.
var reserved = map[string]bool{Key("Administrator"): true, Key("AWSAdministrators"): true}

func newID(identityStoreID string) string { return arn.NewResourceID(identityStoreID) }

// clampLimit applies the API's default page size.
func clampLimit(limit int) int {
	if limit <= 0 || limit > 100 {
		return 100
	}
	return limit
}

// readPage reads one page of a listing: at most limit items (the default
// page size when limit is out of range) and whether more follow. read is
// asked for one item beyond the page, whose presence is the answer.
func readPage[T any](limit int, read func(n int) ([]T, error)) ([]T, bool, error) {
	limit = clampLimit(limit)
	items, err := read(limit + 1)
	if err != nil {
		return nil, false, err
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}

// namedPage is the page of a listing filtered on a unique name, from the
// lookup of the item of that name (item, with id, or err): that item when
// it comes after the position after, else nothing.
func namedPage[T any](item T, id string, err error, after string) ([]T, bool, error) {
	if errors.Is(err, store.ErrNotFound) || (err == nil && id <= after) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return []T{item}, false, nil
}

// create stores a new user, group or membership with write, in a
// transaction that stages the audit event of the creation: its response
// names the identity store and the new resource (idMember, id).
func (s *Service) create(ctx context.Context, idMember, id string, write func(tx store.Tx) error) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, map[string]string{"identityStoreId": s.identityStoreID, idMember: id})
	})
}

// remove deletes the user or group id with del, in a transaction in which
// deleted tells every hook, so that what refers to it goes in the same
// commit.
func (s *Service) remove(ctx context.Context, id string, del func(store.Tx, context.Context, string) error,
	notFound func(id string) error, deleted func(Hook, context.Context, store.Tx, string) error) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := del(tx, ctx, id); err != nil {
			return translate(err, func() error { return notFound(id) })
		}
		for _, h := range s.hooks {
			if err := deleted(h, ctx, tx, id); err != nil {
				return err
			}
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// lowerFirst turns "UserName" into "userName" for messages.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
