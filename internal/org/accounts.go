package org

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// NewAccount is what CreateAccount asks for.
type NewAccount struct {
	Name  string
	Email string
	Tags  []store.Tag
}

// CreateAccount queues the creation of a member account and returns the
// request, IN_PROGRESS. The worker creates the account (or fails the
// request, as AWS does, with EMAIL_ALREADY_EXISTS or
// ACCOUNT_LIMIT_EXCEEDED).
func (s *Service) CreateAccount(ctx context.Context, a NewAccount) (store.CreateAccountRequest, error) {
	if err := checkTags(a.Tags); err != nil {
		return store.CreateAccountRequest{}, err
	}
	if len(a.Tags) > s.limits.TagsPerResource {
		return store.CreateAccountRequest{}, constraint("MAX_TAG_LIMIT_EXCEEDED",
			"You have exceeded the number of tags allowed on this resource (%d).", s.limits.TagsPerResource)
	}
	now := s.now().UTC()
	r := store.CreateAccountRequest{
		ID: newRequestID(now), AccountName: a.Name, Email: a.Email, State: StateInProgress, Tags: a.Tags, RequestedAt: now,
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutCreateAccountRequest(ctx, r); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, map[string]any{"createAccountStatus": map[string]any{
			"id": r.ID, "state": r.State, "requestedTimestamp": r.RequestedAt.Format(time.RFC3339)}})
	})
	if err != nil {
		return store.CreateAccountRequest{}, err
	}
	s.loop.Poke()
	return r, nil
}

// claimBatch is how many requests one worker round takes.
const claimBatch = 16

// lease is how long a claimed request is left to its worker before another
// may take it over.
const lease = 30 * time.Second

// step is one round of the CreateAccount worker.
func (s *Service) step(ctx context.Context) (bool, error) {
	var claimed []store.CreateAccountRequest
	err := s.store.Update(ctx, func(tx store.Tx) error {
		now := s.now().UTC()
		var err error
		claimed, err = tx.ClaimCreateAccountRequests(ctx, now, now.Add(lease), claimBatch)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("org: claim create account requests: %w", err)
	}
	for _, r := range claimed {
		if err := s.finishCreate(ctx, r.ID); err != nil {
			return false, err
		}
	}
	return len(claimed) == claimBatch, nil
}

// finishCreate creates the account of one request, in one transaction with
// the request's final state.
func (s *Service) finishCreate(ctx context.Context, id string) error {
	err := s.store.Update(ctx, func(tx store.Tx) error {
		r, err := tx.GetCreateAccountRequest(ctx, id)
		if err != nil {
			return err
		}
		if r.State != StateInProgress {
			return nil // another worker finished it
		}
		now := s.now().UTC()
		r.CompletedAt, r.LeaseUntil = now, time.Time{}
		fail := func(reason string) error {
			r.State, r.FailureReason = StateFailed, reason
			return tx.PutCreateAccountRequest(ctx, r)
		}
		n, err := tx.CountAccounts(ctx)
		if err != nil {
			return err
		}
		if n >= s.limits.Accounts {
			return fail("ACCOUNT_LIMIT_EXCEEDED")
		}
		if _, err := tx.GetAccountByEmail(ctx, emailKey(r.Email)); err == nil {
			return fail("EMAIL_ALREADY_EXISTS")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		acct := store.Account{
			Name: r.AccountName, Email: r.Email, EmailKey: emailKey(r.Email), Status: StatusActive,
			JoinedMethod: JoinedCreated, JoinedAt: now, ParentID: s.org.RootID,
		}
		// A random 12-digit id collides with an existing one about once
		// in a hundred million creations at 7,000 accounts; try another.
		for attempt := 0; ; attempt++ {
			acct.ID = newAccountID()
			if _, err := tx.GetAccount(ctx, acct.ID); errors.Is(err, store.ErrNotFound) {
				break
			} else if err != nil {
				return err
			}
			if attempt == 10 {
				return fail("INTERNAL_FAILURE")
			}
		}
		if err := tx.CreateAccount(ctx, acct); err != nil {
			return err
		}
		if err := tx.PutOrgTags(ctx, acct.ID, r.Tags); err != nil {
			return err
		}
		r.State, r.AccountID = StateSucceeded, acct.ID
		return tx.PutCreateAccountRequest(ctx, r)
	})
	if err != nil {
		return fmt.Errorf("org: create account for request %s: %w", id, err)
	}
	return nil
}

// DescribeCreateAccountStatus returns a CreateAccount request.
func (s *Service) DescribeCreateAccountStatus(ctx context.Context, id string) (store.CreateAccountRequest, error) {
	r, err := s.store.GetCreateAccountRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, withCode(fault.NotFound, "CreateAccountStatusNotFoundException",
			"We can't find an create account request with the CreateAccountRequestId that you specified.")
	}
	return r, err
}

// ListCreateAccountStatus lists CreateAccount requests in creation order,
// optionally only those in the given states.
func (s *Service) ListCreateAccountStatus(ctx context.Context, states []string, after string, limit int) ([]store.CreateAccountRequest, bool, error) {
	limit = clamp(limit, 20)
	rs, err := s.store.ListCreateAccountRequests(ctx, store.CreateAccountRequestQuery{States: states, After: after, Limit: limit + 1})
	if err != nil {
		return nil, false, err
	}
	rs, more := page(rs, limit)
	return rs, more, nil
}

// DescribeAccount returns an account.
func (s *Service) DescribeAccount(ctx context.Context, id string) (store.Account, error) {
	a, err := s.store.GetAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, accountNotFound(id)
	}
	return a, err
}

// AccountExists reports whether the organization has the account.
func (s *Service) AccountExists(ctx context.Context, id string) (bool, error) {
	_, err := s.store.GetAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// ListAccounts lists the accounts in id order.
func (s *Service) ListAccounts(ctx context.Context, after string, limit int) ([]store.Account, bool, error) {
	limit = clamp(limit, 20)
	as, err := s.store.ListAccounts(ctx, store.AccountQuery{After: after, Limit: limit + 1})
	if err != nil {
		return nil, false, err
	}
	as, more := page(as, limit)
	return as, more, nil
}

// ListAccountsForParent lists the accounts directly under a root or unit.
func (s *Service) ListAccountsForParent(ctx context.Context, parentID, after string, limit int) ([]store.Account, bool, error) {
	if err := s.checkParent(ctx, s.store, parentID, "ParentNotFoundException"); err != nil {
		return nil, false, err
	}
	limit = clamp(limit, 20)
	as, err := s.store.ListAccounts(ctx, store.AccountQuery{ParentID: parentID, After: after, Limit: limit + 1})
	if err != nil {
		return nil, false, err
	}
	as, more := page(as, limit)
	return as, more, nil
}

// MoveAccount moves an account from one parent to another.
func (s *Service) MoveAccount(ctx context.Context, accountID, sourceID, destID string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		a, err := tx.GetAccount(ctx, accountID)
		if errors.Is(err, store.ErrNotFound) {
			return accountNotFound(accountID)
		} else if err != nil {
			return err
		}
		if err := s.checkParent(ctx, tx, sourceID, "SourceParentNotFoundException"); err != nil {
			return err
		}
		if err := s.checkParent(ctx, tx, destID, "DestinationParentNotFoundException"); err != nil {
			return err
		}
		if a.ParentID != sourceID {
			return withCode(fault.NotFound, "SourceParentNotFoundException",
				"The account %s is not in the source parent %s.", accountID, sourceID)
		}
		if sourceID == destID {
			return withCode(fault.Conflict, "DuplicateAccountException", "That account is already present in the specified destination.")
		}
		if err := tx.MoveAccount(ctx, accountID, destID); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// Paths returns the path of an account or unit from the organization
// ("o-…/r-…/ou-…/…/"), as DescribeAccount shows it.
func (s *Service) Paths(ctx context.Context, parentID, leaf string) ([]string, error) {
	chain := []string{leaf}
	for id := parentID; id != s.org.RootID; {
		ou, err := s.store.GetOrgUnit(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("org: path of %s: %w", leaf, err)
		}
		chain = append(chain, ou.ID)
		id = ou.ParentID
		if len(chain) > s.limits.OUDepth+2 {
			return nil, fmt.Errorf("org: path of %s: cycle in organizational units", leaf)
		}
	}
	p := s.org.ID + "/" + s.org.RootID + "/"
	for i := len(chain) - 1; i >= 0; i-- {
		p += chain[i] + "/"
	}
	return []string{p}, nil
}
