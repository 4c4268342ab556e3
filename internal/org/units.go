package org

import (
	"context"
	"errors"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// checkParent verifies that id is the root or an existing unit; code is the
// exception to answer otherwise.
func (s *Service) checkParent(ctx context.Context, r store.Reader, id, code string) error {
	if id == s.org.RootID {
		return nil
	}
	if strings.HasPrefix(id, "ou-") {
		if _, err := r.GetOrgUnit(ctx, id); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return parentNotFound(code)
}

// depth returns how many units lie between the root and id (0 for the
// root).
func (s *Service) depth(ctx context.Context, r store.Reader, id string) (int, error) {
	d := 0
	for id != s.org.RootID {
		ou, err := r.GetOrgUnit(ctx, id)
		if err != nil {
			return 0, err
		}
		d++
		id = ou.ParentID
		if d > s.limits.OUDepth+1 {
			break
		}
	}
	return d, nil
}

// CreateOrganizationalUnit creates a unit under a root or unit.
func (s *Service) CreateOrganizationalUnit(ctx context.Context, parentID, name string, tags []store.Tag) (store.OrgUnit, error) {
	if err := checkTags(tags); err != nil {
		return store.OrgUnit{}, err
	}
	ou := store.OrgUnit{
		ID:   "ou-" + strings.TrimPrefix(s.org.RootID, "r-") + "-" + randomLower(8),
		Name: name, NameKey: nameKey(name), ParentID: parentID, CreatedAt: s.now().UTC(),
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if err := s.checkParent(ctx, tx, parentID, "ParentNotFoundException"); err != nil {
			return err
		}
		d, err := s.depth(ctx, tx, parentID)
		if err != nil {
			return err
		}
		if d+1 > s.limits.OUDepth {
			return constraint("OU_DEPTH_LIMIT_EXCEEDED", "You attempted to create an OU tree that is too many levels deep (%d).", s.limits.OUDepth)
		}
		n, err := tx.CountOrgUnits(ctx)
		if err != nil {
			return err
		}
		if n >= s.limits.OrgUnits {
			return constraint("OU_NUMBER_LIMIT_EXCEEDED", "You have reached the maximum number of OUs (%d).", s.limits.OrgUnits)
		}
		if err := tx.CreateOrgUnit(ctx, ou); err != nil {
			if c, ok := store.IsConflict(err); ok && c == "org_units_parent_name" {
				return withCode(fault.Conflict, "DuplicateOrganizationalUnitException",
					"An OU with the same name already exists.")
			}
			return err
		}
		if err := s.tagResource(ctx, tx, ou.ID, tags); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, map[string]any{"organizationalUnit": map[string]any{"id": ou.ID, "name": ou.Name}})
	})
	if err != nil {
		return store.OrgUnit{}, err
	}
	return ou, nil
}

// DescribeOrganizationalUnit returns a unit.
func (s *Service) DescribeOrganizationalUnit(ctx context.Context, id string) (store.OrgUnit, error) {
	ou, err := s.store.GetOrgUnit(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return ou, ouNotFound(id)
	}
	return ou, err
}

// ListOrganizationalUnitsForParent lists the units directly under a parent.
func (s *Service) ListOrganizationalUnitsForParent(ctx context.Context, parentID, after string, limit int) ([]store.OrgUnit, bool, error) {
	if err := s.checkParent(ctx, s.store, parentID, "ParentNotFoundException"); err != nil {
		return nil, false, err
	}
	limit = clamp(limit, 20)
	ous, err := s.store.ListOrgUnits(ctx, parentID, after, limit+1)
	if err != nil {
		return nil, false, err
	}
	ous, more := page(ous, limit)
	return ous, more, nil
}

// Child is an account or unit under a parent.
type Child struct {
	ID   string
	Type string
}

// ListChildren lists the accounts or the units under a parent.
func (s *Service) ListChildren(ctx context.Context, parentID, childType, after string, limit int) ([]Child, bool, error) {
	var (
		out  []Child
		more bool
	)
	switch childType {
	case TypeAccount:
		as, m, err := s.ListAccountsForParent(ctx, parentID, after, limit)
		if err != nil {
			return nil, false, err
		}
		for _, a := range as {
			out = append(out, Child{ID: a.ID, Type: TypeAccount})
		}
		more = m
	default:
		ous, m, err := s.ListOrganizationalUnitsForParent(ctx, parentID, after, limit)
		if err != nil {
			return nil, false, err
		}
		for _, ou := range ous {
			out = append(out, Child{ID: ou.ID, Type: TypeOU})
		}
		more = m
	}
	return out, more, nil
}

// Parent is the root or unit that holds a child.
type Parent struct {
	ID   string
	Type string
}

// ListParents returns the parent of an account or unit.
func (s *Service) ListParents(ctx context.Context, childID string) ([]Parent, error) {
	var parentID string
	if strings.HasPrefix(childID, "ou-") {
		ou, err := s.store.GetOrgUnit(ctx, childID)
		if err != nil {
			return nil, childNotFound(err)
		}
		parentID = ou.ParentID
	} else {
		a, err := s.store.GetAccount(ctx, childID)
		if err != nil {
			return nil, childNotFound(err)
		}
		parentID = a.ParentID
	}
	t := TypeOU
	if parentID == s.org.RootID {
		t = TypeRoot
	}
	return []Parent{{ID: parentID, Type: t}}, nil
}

func childNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return withCode(fault.NotFound, "ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
	}
	return err
}

// ---- tags ----

// checkTarget verifies that a taggable resource exists: the root, an
// account or a unit. Policies are not supported.
func (s *Service) checkTarget(ctx context.Context, r store.Reader, id string) error {
	var err error
	switch {
	case id == s.org.RootID:
		return nil
	case strings.HasPrefix(id, "ou-"):
		_, err = r.GetOrgUnit(ctx, id)
	case strings.HasPrefix(id, "r-") || strings.HasPrefix(id, "p-") || strings.HasPrefix(id, "rp-") || strings.HasPrefix(id, "rt-"):
		err = store.ErrNotFound
	default:
		_, err = r.GetAccount(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return withCode(fault.NotFound, "TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified.")
	}
	return err
}

// TagResource adds or replaces tags of a root, account or unit.
func (s *Service) TagResource(ctx context.Context, id string, tags []store.Tag) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := s.checkTarget(ctx, tx, id); err != nil {
			return err
		}
		if err := s.tagResource(ctx, tx, id, tags); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// UntagResource removes tags by key.
func (s *Service) UntagResource(ctx context.Context, id string, keys []string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := s.checkTarget(ctx, tx, id); err != nil {
			return err
		}
		if err := tx.DeleteOrgTags(ctx, id, keys); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// ListTagsForResource returns the tags of a root, account or unit.
func (s *Service) ListTagsForResource(ctx context.Context, id string) ([]store.Tag, error) {
	if err := s.checkTarget(ctx, s.store, id); err != nil {
		return nil, err
	}
	return s.store.ListOrgTags(ctx, id)
}
