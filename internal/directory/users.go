package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// NewUser holds the attributes of a user to create.
type NewUser struct {
	UserName    string
	DisplayName string
	// Status defaults to ENABLED.
	Status  string
	Profile store.UserProfile
}

// CreateUser validates and stores a new user and returns it.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (store.User, error) {
	var v violations
	checkUserName(&v, in.UserName)
	v.sensitive("displayName", in.DisplayName)
	checkProfile(&v, &in.Profile)
	if err := v.err(); err != nil {
		return store.User{}, err
	}
	if err := checkRequired(in.UserName, in.DisplayName, in.Profile.Name); err != nil {
		return store.User{}, err
	}
	status := in.Status
	if status == "" {
		status = StatusEnabled
	}
	if status != StatusEnabled && status != StatusDisabled {
		return store.User{}, fault.Invalidf("userStatus must be ENABLED or DISABLED")
	}
	now := s.now().UTC()
	who := actor(ctx)
	u := store.User{
		ID:          newID(s.identityStoreID),
		UserName:    in.UserName,
		UserNameKey: Key(in.UserName),
		EmailKey:    primaryEmailKey(&in.Profile),
		DisplayName: in.DisplayName,
		Status:      status,
		Profile:     in.Profile,
		CreatedAt:   now, CreatedBy: who, UpdatedAt: now, UpdatedBy: who,
		Version: 1,
	}
	err := s.create(ctx, "userId", u.ID, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return translate(err, nil)
		}
		for _, h := range s.hooks {
			if ch, ok := h.(CreateHook); ok {
				if err := ch.UserCreated(ctx, tx, u); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// GetUser returns a user by id.
func (s *Service) GetUser(ctx context.Context, id string) (store.User, error) {
	u, err := s.store.GetUser(ctx, id)
	return u, translate(err, func() error { return userNotFound(id) })
}

// ListUsers returns up to limit users after the given id, and whether more
// follow. A non-empty userName filters on it (the deprecated ListUsers
// filter).
func (s *Service) ListUsers(ctx context.Context, after string, limit int, userName string) ([]store.User, bool, error) {
	if userName != "" {
		u, err := s.store.GetUserByKey(ctx, "user_name", Key(userName))
		return namedPage(u, u.ID, err, after)
	}
	return readPage(limit, func(n int) ([]store.User, error) {
		return s.store.ListUsers(ctx, store.ListQuery{After: after, Limit: n})
	})
}

// ListRawUsers is ListUsers without the filter, each profile left as the
// store holds it (store.RawUser), for callers that copy profiles into JSON
// output and would otherwise decode them only to encode them again.
func (s *Service) ListRawUsers(ctx context.Context, after string, limit int) ([]store.RawUser, bool, error) {
	return readPage(limit, func(n int) ([]store.RawUser, error) {
		users, err := s.store.ListRawUsers(ctx, store.ListQuery{After: after, Limit: n})
		if err != nil {
			return nil, fmt.Errorf("directory: list users after %q: %w", after, err)
		}
		return users, nil
	})
}

// FindUserID resolves a user from a unique attribute ("userName" or
// "emails.value") or from an external id.
func (s *Service) FindUserID(ctx context.Context, attributePath, value string) (string, error) {
	var attr string
	switch strings.ToLower(attributePath) {
	case "username":
		attr = "user_name"
	case "emails.value":
		attr = "email"
	default:
		return "", fault.Invalidf("The attribute %s is not a unique attribute", attributePath)
	}
	if value == "" {
		return "", fault.Invalidf("attribute value cannot be empty or null for attribute path")
	}
	id, err := s.store.GetUserIDByKey(ctx, attr, Key(strings.TrimSpace(value)))
	if err != nil {
		return "", translate(err, func() error { return userNotFound("") })
	}
	return id, nil
}

// FindUserByExternalID resolves a user from an identifier issued by an
// external identity provider.
func (s *Service) FindUserByExternalID(ctx context.Context, issuer, id string) (string, error) {
	u, err := s.store.GetUserByExternalID(ctx, issuer, id)
	if err != nil {
		return "", translate(err, func() error { return userNotFound("") })
	}
	return u.ID, nil
}

// UpdateUser applies attribute operations to a user atomically: all of them
// or none.
func (s *Service) UpdateUser(ctx context.Context, id string, ops []AttributeOperation) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		u, err := tx.GetUser(ctx, id)
		if err != nil {
			return translate(err, func() error { return userNotFound(id) })
		}
		wasEnabled := u.Status == StatusEnabled
		for _, op := range ops {
			if err := applyUserOperation(&u, op); err != nil {
				return err
			}
		}
		var v violations
		checkUserName(&v, u.UserName)
		v.sensitive("displayName", u.DisplayName)
		checkProfile(&v, &u.Profile)
		if err := v.err(); err != nil {
			return err
		}
		if err := checkRequired(u.UserName, u.DisplayName, u.Profile.Name); err != nil {
			return err
		}
		u.UserNameKey = Key(u.UserName)
		u.EmailKey = primaryEmailKey(&u.Profile)
		u.UpdatedAt, u.UpdatedBy = s.now().UTC(), actor(ctx)
		u.Version++
		if err := tx.UpdateUser(ctx, u); err != nil {
			return translate(err, func() error { return userNotFound(id) })
		}
		if wasEnabled && u.Status == StatusDisabled {
			for _, h := range s.hooks {
				if err := h.UserDisabled(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// SetUserStatus enables or disables a user. Disabling ends the user's access
// in the same transaction (through the hooks).
func (s *Service) SetUserStatus(ctx context.Context, id, status string) error {
	return s.UpdateUser(ctx, id, []AttributeOperation{{Path: "userStatus", Value: []byte(`"` + status + `"`)}})
}

// DeleteUser deletes a user, its memberships and (through the hooks)
// everything that refers to it.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	return s.remove(ctx, id, store.Tx.DeleteUser, userNotFound, Hook.UserDeleted)
}

// CountUsers returns how many users exist.
func (s *Service) CountUsers(ctx context.Context) (int, error) { return s.store.CountUsers(ctx) }
