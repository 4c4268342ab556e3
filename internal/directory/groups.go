package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

func checkGroup(displayName, description string, ext []store.ExternalID) error {
	var v violations
	v.str("displayName", displayName, 1024, groupNamePat)
	v.sensitive("description", description)
	if len(ext) > 10 {
		v.add("externalIds", "Member must have length less than or equal to 10")
	}
	for i, x := range ext {
		v.str(fmt.Sprintf("externalIds.%d.member.issuer", i+1), x.Issuer, 256, externalIDPat)
		v.str(fmt.Sprintf("externalIds.%d.member.id", i+1), x.ID, 256, externalIDPat)
	}
	if err := v.err(); err != nil {
		return err
	}
	if displayName == "" {
		return fault.Invalidf("displayName: The attribute displayName is required")
	}
	if reserved[Key(displayName)] {
		return fault.Invalidf("displayName: %s is a reserved name and can't be used for users or groups", displayName)
	}
	return nil
}

// CreateGroup stores a new group and returns it.
func (s *Service) CreateGroup(ctx context.Context, displayName, description string, ext []store.ExternalID) (store.Group, error) {
	if err := checkGroup(displayName, description, ext); err != nil {
		return store.Group{}, err
	}
	now, who := s.now().UTC(), actor(ctx)
	g := store.Group{
		ID: newID(s.identityStoreID), DisplayName: displayName, DisplayNameKey: Key(displayName), Description: description,
		ExternalIDs: ext, CreatedAt: now, CreatedBy: who, UpdatedAt: now, UpdatedBy: who, Version: 1,
	}
	err := s.create(ctx, "groupId", g.ID, func(tx store.Tx) error {
		return translate(tx.CreateGroup(ctx, g), nil)
	})
	if err != nil {
		return store.Group{}, err
	}
	return g, nil
}

// GetGroup returns a group by id.
func (s *Service) GetGroup(ctx context.Context, id string) (store.Group, error) {
	g, err := s.store.GetGroup(ctx, id)
	return g, translate(err, func() error { return groupNotFound(id) })
}

// ListGroups returns up to limit groups after the given id and whether more
// follow; a non-empty displayName filters on it.
func (s *Service) ListGroups(ctx context.Context, after string, limit int, displayName string) ([]store.Group, bool, error) {
	if displayName != "" {
		g, err := s.store.GetGroupByDisplayName(ctx, Key(displayName))
		return namedPage(g, g.ID, err, after)
	}
	return readPage(limit, func(n int) ([]store.Group, error) {
		return s.store.ListGroups(ctx, store.ListQuery{After: after, Limit: n})
	})
}

// FindGroupID resolves a group from its unique attribute "displayName".
func (s *Service) FindGroupID(ctx context.Context, attributePath, value string) (string, error) {
	if !strings.EqualFold(attributePath, "displayName") {
		return "", fault.Invalidf("The attribute %s is not a unique attribute", attributePath)
	}
	if value == "" {
		return "", fault.Invalidf("attribute value cannot be empty or null for attribute path")
	}
	g, err := s.store.GetGroupByDisplayName(ctx, Key(value))
	if err != nil {
		return "", translate(err, func() error { return groupNotFound("") })
	}
	return g.ID, nil
}

// FindGroupByExternalID resolves a group from an external identifier.
func (s *Service) FindGroupByExternalID(ctx context.Context, issuer, id string) (string, error) {
	g, err := s.store.GetGroupByExternalID(ctx, issuer, id)
	if err != nil {
		return "", translate(err, func() error { return groupNotFound("") })
	}
	return g.ID, nil
}

// UpdateGroup applies attribute operations ("displayName", "description")
// to a group atomically.
func (s *Service) UpdateGroup(ctx context.Context, id string, ops []AttributeOperation) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		g, err := tx.GetGroup(ctx, id)
		if err != nil {
			return translate(err, func() error { return groupNotFound(id) })
		}
		for _, op := range ops {
			switch strings.ToLower(op.Path) {
			case "displayname":
				if op.removes() {
					return fault.Invalidf("displayName: The attribute displayName is required")
				}
				v, err := decodeString(op.Path, op.Value)
				if err != nil {
					return err
				}
				g.DisplayName = v
			case "description":
				if op.removes() {
					g.Description = ""
					continue
				}
				v, err := decodeString(op.Path, op.Value)
				if err != nil {
					return err
				}
				g.Description = v
			default:
				return fault.Invalidf("Invalid attribute path %s", op.Path)
			}
		}
		if err := checkGroup(g.DisplayName, g.Description, g.ExternalIDs); err != nil {
			return err
		}
		g.DisplayNameKey = Key(g.DisplayName)
		g.UpdatedAt, g.UpdatedBy = s.now().UTC(), actor(ctx)
		g.Version++
		if err := tx.UpdateGroup(ctx, g); err != nil {
			return translate(err, func() error { return groupNotFound(id) })
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// DeleteGroup deletes a group and its memberships.
func (s *Service) DeleteGroup(ctx context.Context, id string) error {
	return s.remove(ctx, id, store.Tx.DeleteGroup, groupNotFound, Hook.GroupDeleted)
}

// CountGroups returns how many groups exist.
func (s *Service) CountGroups(ctx context.Context) (int, error) { return s.store.CountGroups(ctx) }
