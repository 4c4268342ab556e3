package directory

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// CreateMembership adds a user to a group.
func (s *Service) CreateMembership(ctx context.Context, groupID, userID string) (store.Membership, error) {
	m := store.Membership{ID: newID(s.identityStoreID), GroupID: groupID, UserID: userID, CreatedAt: s.now().UTC(), CreatedBy: actor(ctx)}
	err := s.create(ctx, "membershipId", m.ID, func(tx store.Tx) error {
		// Existence checks: the write runs on the store's single writer,
		// where reading (and decoding) whole records would hold up every
		// other write.
		if ok, err := tx.GroupExists(ctx, groupID); err != nil || !ok {
			return translate(orNotFound(err), func() error { return fault.NotFoundf(ResourceGroup, groupID, "Group does not exist") })
		}
		if ok, err := tx.UserExists(ctx, userID); err != nil || !ok {
			return translate(orNotFound(err), func() error { return fault.NotFoundf(ResourceUser, userID, "Member does not exist") })
		}
		return translate(tx.CreateMembership(ctx, m), nil)
	})
	if err != nil {
		return store.Membership{}, err
	}
	return m, nil
}

// orNotFound is err, or store.ErrNotFound when an existence check found
// nothing.
func orNotFound(err error) error {
	if err == nil {
		return store.ErrNotFound
	}
	return err
}

// GetMembership returns a membership by id.
func (s *Service) GetMembership(ctx context.Context, id string) (store.Membership, error) {
	m, err := s.store.GetMembership(ctx, id)
	return m, translate(err, func() error { return membershipNotFound(id) })
}

// FindMembershipID returns the id of the membership of a user in a group.
func (s *Service) FindMembershipID(ctx context.Context, groupID, userID string) (string, error) {
	m, err := s.store.GetMembershipByPair(ctx, groupID, userID)
	if err != nil {
		return "", translate(err, func() error { return membershipNotFound("") })
	}
	return m.ID, nil
}

// DeleteMembership removes a user from a group.
func (s *Service) DeleteMembership(ctx context.Context, id string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteMembership(ctx, id); err != nil {
			return translate(err, func() error { return membershipNotFound(id) })
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// ListGroupMembers pages through the memberships of a group.
func (s *Service) ListGroupMembers(ctx context.Context, groupID, after string, limit int) ([]store.Membership, bool, error) {
	if _, err := s.GetGroup(ctx, groupID); err != nil {
		return nil, false, err
	}
	return s.listMemberships(ctx, store.MembershipQuery{GroupID: groupID, After: after, Limit: limit})
}

// ListUserGroups pages through the memberships of a user.
func (s *Service) ListUserGroups(ctx context.Context, userID, after string, limit int) ([]store.Membership, bool, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return nil, false, err
	}
	return s.listMemberships(ctx, store.MembershipQuery{UserID: userID, After: after, Limit: limit})
}

func (s *Service) listMemberships(ctx context.Context, q store.MembershipQuery) ([]store.Membership, bool, error) {
	return readPage(q.Limit, func(n int) ([]store.Membership, error) {
		q.Limit = n
		return s.store.ListMemberships(ctx, q)
	})
}

// IsMemberInGroups reports, for each group, whether the user belongs to it.
func (s *Service) IsMemberInGroups(ctx context.Context, userID string, groupIDs []string) (map[string]bool, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return nil, err
	}
	return s.store.MemberGroups(ctx, userID, groupIDs)
}
