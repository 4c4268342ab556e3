package access

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

const (
	// opBatch is how many operations one worker round claims.
	opBatch = 32
	// opLease is how long a claimed operation is left to its worker before
	// another may take it over.
	opLease = time.Minute
	// handoffLease is the lease of an operation handed to the worker of
	// the replica that queued it; shorter than opLease, so that the work of
	// a replica that stops is taken over sooner.
	handoffLease = 30 * time.Second
	// provisionChunk is how many accounts one transaction of a
	// multi-account provisioning handles.
	provisionChunk = 100
)

// handoffQueue holds the operations this replica queued and leased to
// itself, for its worker to run without claiming them from the store.
type handoffQueue struct {
	mu  sync.Mutex
	ops []store.SSOOperation
}

func (q *handoffQueue) push(op store.SSOOperation) {
	q.mu.Lock()
	q.ops = append(q.ops, op)
	q.mu.Unlock()
}

// take removes and returns up to n operations.
func (q *handoffQueue) take(n int) []store.SSOOperation {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, len(q.ops))
	out := append([]store.SSOOperation(nil), q.ops[:n]...)
	q.ops = append(q.ops[:0], q.ops[n:]...)
	return out
}

// step is one round of the worker: take the operations this replica
// queued, or else claim queued ones whose lease has run out (left by a
// replica that stopped), and finish them, several at once. Claiming is a
// write, so the worker claims at most once per poll interval; its own
// operations come through the hand-off queue.
func (s *Service) step(ctx context.Context) (bool, error) { return s.round(ctx, false) }

func (s *Service) round(ctx context.Context, forceClaim bool) (bool, error) {
	claimed := s.handoff.take(opBatch)
	fromStore := false
	if len(claimed) == 0 {
		now := s.utcNow()
		if !forceClaim && now.Sub(s.lastClaim.Load().(time.Time)) < s.poll {
			return false, nil
		}
		s.lastClaim.Store(now)
		err := s.store.Update(ctx, func(tx store.Tx) error {
			var err error
			claimed, err = tx.ClaimSSOOperations(ctx, now, now.Add(opLease), opBatch)
			return err
		})
		if err != nil {
			return false, fmt.Errorf("access: claim operations: %w", err)
		}
		fromStore = true
	}
	sem := make(chan struct{}, s.workers)
	var wg sync.WaitGroup
	for _, op := range claimed {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.finish(ctx, op); err != nil && ctx.Err() == nil {
				// The lease runs out and the operation is tried again.
				s.log.Error("operation failed", "request_id", op.RequestID, "kind", op.Kind, "err", err)
			}
		})
	}
	wg.Wait()
	if fromStore {
		return len(claimed) == opBatch, nil
	}
	return true, nil
}

// RunPending finishes every queued operation now, in the caller's
// goroutine. Tests and tools use it; servers rely on the worker.
func (s *Service) RunPending(ctx context.Context) error {
	for {
		more, err := s.round(ctx, true)
		if err != nil || !more {
			return err
		}
	}
}

func (s *Service) finish(ctx context.Context, op store.SSOOperation) error {
	switch {
	case op.Kind == store.OpCreateAssignment:
		return s.finishOne(ctx, op.RequestID, s.createAssignment)
	case op.Kind == store.OpDeleteAssignment:
		return s.finishOne(ctx, op.RequestID, s.deleteAssignment)
	case op.Kind == store.OpProvision && op.TargetType == TargetAccount:
		return s.finishOne(ctx, op.RequestID, s.provisionOne)
	case op.Kind == store.OpProvision:
		return s.provisionAll(ctx, op.RequestID)
	}
	return fmt.Errorf("access: operation %s has unknown kind %q", op.RequestID, op.Kind)
}

// finishOne runs a single-account operation in one transaction together
// with its final status. work returns a failure reason for failures the
// caller must see (FAILED), or an error for failures of Gatehouse (the
// operation stays queued and is retried).
func (s *Service) finishOne(ctx context.Context, requestID string, work func(ctx context.Context, tx store.Tx, op store.SSOOperation) (string, error)) error {
	err := s.store.Update(ctx, func(tx store.Tx) error {
		op, err := tx.GetSSOOperation(ctx, requestID)
		if err != nil {
			return err
		}
		if op.Status != StatusInProgress {
			return nil // finished by another worker
		}
		reason, err := work(ctx, tx, op)
		if err != nil {
			return err
		}
		op.Status, op.FailureReason = StatusSucceeded, reason
		if reason != "" {
			op.Status = StatusFailed
		}
		op.FinishedAt, op.LeaseUntil = s.utcNow(), time.Time{}
		return tx.PutSSOOperation(ctx, op)
	})
	if err != nil {
		return fmt.Errorf("access: finish %s: %w", requestID, err)
	}
	return nil
}

// failureReason turns a resolve failure into a reason, passing other
// errors through.
func failureReason(err error) (string, error) {
	var re *resolveError
	if errors.As(err, &re) {
		return re.reason, nil
	}
	return "", err
}

// targetsGone names what has disappeared since the operation was queued.
func (s *Service) targetsGone(ctx context.Context, tx store.Tx, op store.SSOOperation) (store.PermissionSet, string, error) {
	ps, err := tx.GetPermissionSet(ctx, op.PermissionSetID)
	if errors.Is(err, store.ErrNotFound) {
		return ps, "The permission set " + s.PermissionSetARN(op.PermissionSetID) + " no longer exists", nil
	} else if err != nil {
		return ps, "", err
	}
	if _, err := tx.GetAccount(ctx, op.TargetID); errors.Is(err, store.ErrNotFound) {
		return ps, "The account " + op.TargetID + " is not part of the organization", nil
	} else if err != nil {
		return ps, "", err
	}
	return ps, "", nil
}

func (s *Service) createAssignment(ctx context.Context, tx store.Tx, op store.SSOOperation) (string, error) {
	ps, gone, err := s.targetsGone(ctx, tx, op)
	if err != nil || gone != "" {
		return gone, err
	}
	if err := checkPrincipal(ctx, tx, op.PrincipalType, op.PrincipalID); fault.Is(err, fault.NotFound) {
		return "The principal " + op.PrincipalID + " no longer exists in the identity store", nil
	} else if err != nil {
		return "", err
	}
	// The permission set is provisioned with the assignment when the
	// account does not have it yet; an existing role is left as it is
	// (an outdated one stays outdated until ProvisionPermissionSet).
	if _, err := tx.GetProvisionedRole(ctx, ps.ID, op.TargetID); errors.Is(err, store.ErrNotFound) {
		if reason, err := failureReason(s.provisionRole(ctx, tx, ps, op.TargetID, nil)); reason != "" || err != nil {
			return reason, err
		}
	} else if err != nil {
		return "", err
	}
	_, err = tx.CreateAccountAssignment(ctx, store.AccountAssignment{
		AccountID: op.TargetID, PermissionSetID: ps.ID, PrincipalType: op.PrincipalType, PrincipalID: op.PrincipalID, CreatedAt: s.utcNow(),
	})
	return "", err
}

func (s *Service) deleteAssignment(ctx context.Context, tx store.Tx, op store.SSOOperation) (string, error) {
	err := tx.DeleteAccountAssignment(ctx, store.AssignmentKey{
		AccountID: op.TargetID, PermissionSetID: op.PermissionSetID, PrincipalType: op.PrincipalType, PrincipalID: op.PrincipalID,
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	return "", deprovisionIfUnassigned(ctx, tx, op.PermissionSetID, op.TargetID)
}

func (s *Service) provisionOne(ctx context.Context, tx store.Tx, op store.SSOOperation) (string, error) {
	ps, gone, err := s.targetsGone(ctx, tx, op)
	if err != nil || gone != "" {
		return gone, err
	}
	return failureReason(s.provision(ctx, tx, ps, op.TargetID))
}

// provision builds (or rebuilds) the role of a permission set in an
// account from the permission set's current state. It reads the role and
// writes it back with the next revision in the caller's transaction, so
// concurrent provisionings of one pair serialise.
func (s *Service) provision(ctx context.Context, tx store.Tx, ps store.PermissionSet, accountID string) error {
	role, err := tx.GetProvisionedRole(ctx, ps.ID, accountID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return s.provisionRole(ctx, tx, ps, accountID, nil)
	case err != nil:
		return err
	}
	return s.provisionRole(ctx, tx, ps, accountID, &role)
}

// provisionRole writes the role of ps in an account: a new one when
// existing is nil, else the next revision of existing, which the caller
// read in the same transaction.
func (s *Service) provisionRole(ctx context.Context, tx store.Tx, ps store.PermissionSet, accountID string, existing *store.ProvisionedRole) error {
	policies, err := s.effectivePolicies(ctx, tx, ps, accountID)
	if err != nil {
		return err
	}
	now := s.utcNow()
	var role store.ProvisionedRole
	if existing != nil {
		role = *existing
	} else {
		name := "AWSReservedSSO_" + ps.Name + "_" + randomHex(8)
		role = store.ProvisionedRole{
			PermissionSetID: ps.ID, AccountID: accountID, RoleName: name, RoleNameKey: strings.ToLower(name),
			RoleID: newRoleID(), Path: RolePath, CreatedAt: now,
		}
	}
	role.PermissionSetVersion, role.Revision, role.Policies, role.UpdatedAt = ps.Version, role.Revision+1, policies, now
	return tx.PutProvisionedRole(ctx, role)
}

// provisionAll provisions a permission set into every account it is
// provisioned to, a chunk of accounts per transaction. The operation's
// cursor records progress, so a worker that takes over resumes where the
// last one stopped. Failures in some accounts fail the operation with the
// first reason, after every account has been tried.
func (s *Service) provisionAll(ctx context.Context, requestID string) error {
	for done := false; !done; {
		err := s.store.Update(ctx, func(tx store.Tx) error {
			done = false
			op, err := tx.GetSSOOperation(ctx, requestID)
			if err != nil {
				return err
			}
			if op.Status != StatusInProgress {
				done = true
				return nil
			}
			ps, err := tx.GetPermissionSet(ctx, op.PermissionSetID)
			if errors.Is(err, store.ErrNotFound) {
				op.FailureReason = "The permission set " + s.PermissionSetARN(op.PermissionSetID) + " no longer exists"
				done = true
			} else if err != nil {
				return err
			}
			if !done {
				roles, err := tx.ListProvisionedRoles(ctx, store.RoleQuery{PermissionSetID: ps.ID, After: op.Cursor, Limit: provisionChunk})
				if err != nil {
					return err
				}
				for _, r := range roles {
					reason, err := failureReason(s.provisionRole(ctx, tx, ps, r.AccountID, &r))
					if err != nil {
						return err
					}
					if reason != "" && op.FailureReason == "" {
						op.FailureReason = "Account " + r.AccountID + ": " + reason
					}
					op.Cursor = r.AccountID
				}
				done = len(roles) < provisionChunk
			}
			now := s.utcNow()
			if done {
				op.Status = StatusSucceeded
				if op.FailureReason != "" {
					op.Status = StatusFailed
				}
				op.FinishedAt, op.LeaseUntil = now, time.Time{}
			} else {
				op.LeaseUntil = now.Add(opLease)
			}
			return tx.PutSSOOperation(ctx, op)
		})
		if err != nil {
			return fmt.Errorf("access: provision %s: %w", requestID, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// Role returns the role of a permission set in an account.
func (s *Service) Role(ctx context.Context, psID, accountID string) (store.ProvisionedRole, error) {
	return s.store.GetProvisionedRole(ctx, psID, accountID)
}

// UserRole returns the provisioned role in the account of the permission
// set named name, with that permission set, when the user holds it there
// (directly or through a group), in one read; store.ErrNotFound otherwise.
func (s *Service) UserRole(ctx context.Context, userID, accountID, name string) (store.ProvisionedRole, store.PermissionSet, error) {
	return s.store.GetUserRole(ctx, userID, accountID, name)
}
