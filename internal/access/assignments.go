package access

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Assignment names an account assignment: a principal, a permission set
// and an account.
type Assignment struct {
	AccountID       string
	PermissionSetID string
	PrincipalType   string
	PrincipalID     string
}

func (a Assignment) key() store.AssignmentKey {
	return store.AssignmentKey{AccountID: a.AccountID, PermissionSetID: a.PermissionSetID, PrincipalType: a.PrincipalType, PrincipalID: a.PrincipalID}
}

func accountNotFound(id string) error {
	return fault.NotFoundf(ResourceAccount, id, "Could not find account %s in the organization", id)
}

func principalNotFound(typ, id string) error {
	return fault.NotFoundf(ResourcePrincipal, id, "Could not find %s with id %s in the identity store", typ, id)
}

// checkPrincipal verifies that a user or group exists.
func checkPrincipal(ctx context.Context, r store.Reader, typ, id string) error {
	var err error
	if typ == PrincipalGroup {
		_, err = r.GetGroup(ctx, id)
	} else {
		_, err = r.GetUser(ctx, id)
	}
	return translate(err, func() error { return principalNotFound(typ, id) })
}

// checkAssignmentTargets verifies the permission set, the account and the
// principal of an assignment.
func (s *Service) checkAssignmentTargets(ctx context.Context, r store.Reader, a Assignment) error {
	if _, err := r.GetPermissionSet(ctx, a.PermissionSetID); err != nil {
		return translate(err, func() error { return permissionSetNotFound(s.PermissionSetARN(a.PermissionSetID)) })
	}
	if _, err := r.GetAccount(ctx, a.AccountID); err != nil {
		return translate(err, func() error { return accountNotFound(a.AccountID) })
	}
	return checkPrincipal(ctx, r, a.PrincipalType, a.PrincipalID)
}

// statusElements is what AWS's status objects show of an operation, for
// the audit record of the call that queued it.
func (s *Service) statusElements(op store.SSOOperation) map[string]any {
	m := map[string]any{"status": op.Status, "requestId": op.RequestID, "permissionSetArn": s.PermissionSetARN(op.PermissionSetID)}
	if op.TargetID != "" {
		m["targetId"] = op.TargetID
	}
	if op.PrincipalID != "" {
		m["principalType"], m["principalId"] = op.PrincipalType, op.PrincipalID
	}
	return m
}

// enqueue records a new operation with the audit event of the call that
// asked for it, after check passes against the last commit. The checks read
// outside the write transaction (the worker checks again when it runs the
// operation, and fails it with a reason if something has gone meanwhile),
// which keeps the single SQLite writer free for writes.
//
// The new operation is leased to this replica from the start and handed to
// its worker in memory, so the worker need not claim it from the store; if
// the process stops first, the lease runs out and any replica finishes it.
func (s *Service) enqueue(ctx context.Context, op store.SSOOperation, responseKey string, check func(r store.Reader) error) (store.SSOOperation, error) {
	if err := check(s.store); err != nil {
		return store.SSOOperation{}, err
	}
	op.LeaseUntil = op.CreatedAt.Add(handoffLease)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutSSOOperation(ctx, op); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, map[string]any{responseKey: s.statusElements(op)})
	})
	if err != nil {
		return store.SSOOperation{}, err
	}
	s.handoff.push(op)
	s.loop.Poke()
	return op, nil
}

// CreateAccountAssignment queues the creation of an assignment (and the
// provisioning of the permission set into the account when it is not
// there yet). It returns the IN_PROGRESS operation.
func (s *Service) CreateAccountAssignment(ctx context.Context, a Assignment) (store.SSOOperation, error) {
	now := s.utcNow()
	op := store.SSOOperation{
		RequestID: newRequestID(now), Kind: store.OpCreateAssignment, Status: StatusInProgress, PermissionSetID: a.PermissionSetID,
		TargetID: a.AccountID, TargetType: TargetAccount, PrincipalType: a.PrincipalType, PrincipalID: a.PrincipalID, CreatedAt: now,
	}
	return s.enqueue(ctx, op, "accountAssignmentCreationStatus", func(r store.Reader) error {
		return s.checkAssignmentTargets(ctx, r, a)
	})
}

// DeleteAccountAssignment queues the deletion of an assignment (and the
// removal of the role when no assignment of the permission set is left in
// the account).
func (s *Service) DeleteAccountAssignment(ctx context.Context, a Assignment) (store.SSOOperation, error) {
	now := s.utcNow()
	op := store.SSOOperation{
		RequestID: newRequestID(now), Kind: store.OpDeleteAssignment, Status: StatusInProgress, PermissionSetID: a.PermissionSetID,
		TargetID: a.AccountID, TargetType: TargetAccount, PrincipalType: a.PrincipalType, PrincipalID: a.PrincipalID, CreatedAt: now,
	}
	return s.enqueue(ctx, op, "accountAssignmentDeletionStatus", func(r store.Reader) error {
		if _, err := r.GetPermissionSet(ctx, a.PermissionSetID); err != nil {
			return translate(err, func() error { return permissionSetNotFound(s.PermissionSetARN(a.PermissionSetID)) })
		}
		_, err := r.GetAccountAssignment(ctx, a.key())
		return translate(err, func() error {
			return fault.NotFoundf(ResourceAssignment, a.PrincipalID, "Could not find an account assignment of %s %s to permission set %s in account %s",
				a.PrincipalType, a.PrincipalID, s.PermissionSetARN(a.PermissionSetID), a.AccountID)
		})
	})
}

// ProvisionPermissionSet queues provisioning of a permission set into one
// account (accountID set) or into every account it is provisioned to
// (accountID empty).
func (s *Service) ProvisionPermissionSet(ctx context.Context, psID, accountID string) (store.SSOOperation, error) {
	now := s.utcNow()
	op := store.SSOOperation{
		RequestID: newRequestID(now), Kind: store.OpProvision, Status: StatusInProgress, PermissionSetID: psID,
		TargetID: accountID, TargetType: TargetAccount, CreatedAt: now,
	}
	if accountID == "" {
		op.TargetType = TargetAllAccounts
	}
	return s.enqueue(ctx, op, "permissionSetProvisioningStatus", func(r store.Reader) error {
		if _, err := r.GetPermissionSet(ctx, psID); err != nil {
			return translate(err, func() error { return permissionSetNotFound(s.PermissionSetARN(psID)) })
		}
		if accountID != "" {
			if _, err := r.GetAccount(ctx, accountID); err != nil {
				return translate(err, func() error { return accountNotFound(accountID) })
			}
		}
		return nil
	})
}

// Operation returns an operation of the given kind by request id.
func (s *Service) Operation(ctx context.Context, kind, requestID string) (store.SSOOperation, error) {
	op, err := s.store.GetSSOOperation(ctx, requestID)
	if err == nil && op.Kind != kind {
		err = store.ErrNotFound
	}
	return op, translate(err, func() error {
		return fault.NotFoundf(ResourceOperation, requestID, "Could not find a request with id %s", requestID)
	})
}

// ListOperations lists operations of a kind in creation order, optionally
// with one status.
func (s *Service) ListOperations(ctx context.Context, kind, status, after string, limit int) ([]store.SSOOperation, bool, error) {
	limit = clamp(limit)
	ops, err := s.store.ListSSOOperations(ctx, store.SSOOperationQuery{Kind: kind, Status: status, After: after, Limit: limit + 1})
	if err != nil {
		return nil, false, err
	}
	ops, more := page(ops, limit)
	return ops, more, nil
}

// ListAccountAssignments lists the assignments of a permission set in an
// account.
func (s *Service) ListAccountAssignments(ctx context.Context, accountID, psID string, after store.AssignmentKey, limit int) ([]store.AccountAssignment, bool, error) {
	if _, err := s.GetPermissionSet(ctx, psID); err != nil {
		return nil, false, err
	}
	limit = clamp(limit)
	as, err := s.store.ListAccountAssignments(ctx, store.AssignmentQuery{AccountID: accountID, PermissionSetID: psID, After: after, Limit: limit + 1})
	if err != nil {
		return nil, false, err
	}
	as, more := page(as, limit)
	return as, more, nil
}

// ListAccountAssignmentsForPrincipal lists what a principal is assigned,
// optionally in one account. For a user it includes the assignments of the
// groups the user belongs to, each naming the group as its principal, as
// AWS does.
func (s *Service) ListAccountAssignmentsForPrincipal(ctx context.Context, typ, id, accountID string, after store.AssignmentKey, limit int) ([]store.AccountAssignment, bool, error) {
	if err := checkPrincipal(ctx, s.store, typ, id); err != nil {
		return nil, false, err
	}
	limit = clamp(limit)
	as, err := s.store.ListAccountAssignments(ctx, store.AssignmentQuery{
		PrincipalType: typ, PrincipalID: id, IncludeGroups: typ == PrincipalUser, AccountID: accountID, After: after, Limit: limit + 1,
	})
	if err != nil {
		return nil, false, err
	}
	as, more := page(as, limit)
	return as, more, nil
}

// AssignmentsOfUser is ListAccountAssignmentsForPrincipal for a user
// (with the user's groups) without the check that the user exists: a user
// that does not exist has no assignments, which is all that entitlement
// questions (may this user have this role?) need to know, and the check is
// one more read on every GetRoleCredentials and credential resolution.
func (s *Service) AssignmentsOfUser(ctx context.Context, userID, accountID string, after store.AssignmentKey, limit int) ([]store.AccountAssignment, bool, error) {
	limit = clamp(limit)
	as, err := s.store.ListAccountAssignments(ctx, store.AssignmentQuery{
		PrincipalType: PrincipalUser, PrincipalID: userID, IncludeGroups: true, AccountID: accountID, After: after, Limit: limit + 1,
	})
	if err != nil {
		return nil, false, err
	}
	as, more := page(as, limit)
	return as, more, nil
}

// principalDeleted removes the assignments of a deleted user or group, and
// the roles no assignment needs any more, inside the deletion's
// transaction.
func (s *Service) principalDeleted(ctx context.Context, tx store.Tx, typ, id string) error {
	removed, err := tx.DeletePrincipalAssignments(ctx, typ, id)
	if err != nil {
		return err
	}
	seen := map[[2]string]bool{}
	for _, a := range removed {
		k := [2]string{a.PermissionSetID, a.AccountID}
		if seen[k] {
			continue
		}
		seen[k] = true
		if err := deprovisionIfUnassigned(ctx, tx, a.PermissionSetID, a.AccountID); err != nil {
			return err
		}
	}
	return nil
}

// deprovisionIfUnassigned removes the role of a permission set from an
// account once no assignment uses it.
func deprovisionIfUnassigned(ctx context.Context, tx store.Tx, psID, accountID string) error {
	n, err := tx.CountAccountAssignments(ctx, psID, accountID)
	if err != nil || n > 0 {
		return err
	}
	if err := tx.DeleteProvisionedRole(ctx, psID, accountID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// UserDeleted implements directory.Hook: a deleted user loses its
// assignments in the same transaction.
func (s *Service) UserDeleted(ctx context.Context, tx store.Tx, userID string) error {
	return s.principalDeleted(ctx, tx, PrincipalUser, userID)
}

// GroupDeleted implements directory.Hook.
func (s *Service) GroupDeleted(ctx context.Context, tx store.Tx, groupID string) error {
	return s.principalDeleted(ctx, tx, PrincipalGroup, groupID)
}

// UserDisabled implements directory.Hook. A disabled user keeps its
// assignments; sign-in refuses it.
func (s *Service) UserDisabled(context.Context, store.Tx, string) error { return nil }
