package access

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Session duration bounds. AWS allows PT1H to PT12H. Gatehouse goes lower,
// to PT15M, for very sensitive permission sets whose credentials Gatehouse
// issues itself; anything that federates into real AWS keeps the 1-hour
// floor (see docs/api-coverage.md).
const (
	MinSessionDuration    = 15 * time.Minute
	AWSMinSessionDuration = time.Hour
	MaxSessionDuration    = 12 * time.Hour
	// DefaultSessionDuration applies when a permission set names none.
	DefaultSessionDuration = "PT1H"
)

// durationPattern is the model's Duration pattern without its lookahead
// (which RE2 lacks); the lookahead's rule, "a digit follows P or T", is
// checked in ParseSessionDuration.
var durationPattern = regexp.MustCompile(`^(-?)P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// ParseSessionDuration parses an ISO 8601 session duration ("PT2H",
// "PT1H30M", "PT900S") and checks it against the bounds.
func ParseSessionDuration(s string) (time.Duration, error) {
	m := durationPattern.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, invalidDuration(s)
	}
	if m[1] == "-" || m[2] != "" || m[3] != "" {
		// Negative durations, years and months have no fixed length.
		return 0, invalidDuration(s)
	}
	var d time.Duration
	add := func(v string, unit time.Duration) {
		if v == "" {
			return
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			n = 1 << 30 // absurdly large; fails the bound below
		}
		d += time.Duration(n) * unit
	}
	if m[4] != "" {
		unit := 24 * time.Hour
		if m[5] == "W" {
			unit *= 7
		}
		add(m[4], unit)
	}
	add(m[6], time.Hour)
	add(m[7], time.Minute)
	if m[8] != "" {
		f, err := strconv.ParseFloat(m[8], 64)
		if err != nil || f > 1e9 {
			return 0, invalidDuration(s)
		}
		d += time.Duration(f * float64(time.Second))
	}
	if d < MinSessionDuration || d > MaxSessionDuration {
		return 0, invalidDuration(s)
	}
	return d, nil
}

func invalidDuration(s string) error {
	return fault.Invalidf("Invalid SessionDuration %q: sessionDuration must be an ISO 8601 duration from PT15M to PT12H "+
		"(AWS allows PT1H to PT12H; Gatehouse also accepts PT15M to PT1H for credentials it issues itself)", s)
}

// checkRelayState accepts only absolute https URLs without user
// information, so that the portal never redirects anywhere surprising.
func checkRelayState(s string) error {
	if s == "" {
		return nil
	}
	bad := func() error {
		return fault.Invalidf("Invalid RelayState %q: relayState must be an absolute https URL", s)
	}
	if strings.ContainsAny(s, "\\ \t\r\n") {
		return bad()
	}
	u, err := url.Parse(s)
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return bad()
	}
	return nil
}

// nameKey is a permission set name as compared for uniqueness: names
// differing only in case collide, as the role names they produce would in
// IAM.
func nameKey(name string) string { return strings.ToLower(norm.NFKC.String(name)) }

// NewPermissionSet is what CreatePermissionSet asks for.
type NewPermissionSet struct {
	Name            string
	Description     string
	SessionDuration string
	RelayState      string
	Tags            []store.Tag
}

// CreatePermissionSet creates a permission set.
func (s *Service) CreatePermissionSet(ctx context.Context, in NewPermissionSet) (store.PermissionSet, error) {
	if in.SessionDuration == "" {
		in.SessionDuration = DefaultSessionDuration
	}
	if _, err := ParseSessionDuration(in.SessionDuration); err != nil {
		return store.PermissionSet{}, err
	}
	if err := checkRelayState(in.RelayState); err != nil {
		return store.PermissionSet{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return store.PermissionSet{}, err
	}
	now := s.now().UTC()
	ps := store.PermissionSet{
		ID: newPermissionSetID(), Name: in.Name, NameKey: nameKey(in.Name), Description: in.Description,
		SessionDuration: in.SessionDuration, RelayState: in.RelayState, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.CountPermissionSets(ctx)
		if err != nil {
			return err
		}
		if n >= s.limits.PermissionSets {
			return quota("You have reached the maximum number of permission sets (%d) for this instance", s.limits.PermissionSets)
		}
		if err := tx.CreatePermissionSet(ctx, ps); err != nil {
			if _, ok := store.IsConflict(err); ok {
				return fault.Conflictf("", "PermissionSet with name %s already exists", in.Name)
			}
			return err
		}
		if err := s.putTags(ctx, tx, ps.ID, in.Tags); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, map[string]any{"permissionSet": map[string]any{
			"name": ps.Name, "permissionSetArn": s.PermissionSetARN(ps.ID), "sessionDuration": ps.SessionDuration}})
	})
	if err != nil {
		return store.PermissionSet{}, err
	}
	return ps, nil
}

// GetPermissionSet returns a permission set by id.
func (s *Service) GetPermissionSet(ctx context.Context, id string) (store.PermissionSet, error) {
	ps, err := s.store.GetPermissionSet(ctx, id)
	return ps, translate(err, func() error { return permissionSetNotFound(s.PermissionSetARN(id)) })
}

// PermissionSetUpdate changes a permission set; nil fields stay.
type PermissionSetUpdate struct {
	Description     *string
	SessionDuration *string
	RelayState      *string
}

// UpdatePermissionSet changes a permission set. Provisioned accounts are
// out of date until the permission set is provisioned again.
func (s *Service) UpdatePermissionSet(ctx context.Context, id string, u PermissionSetUpdate) error {
	if u.SessionDuration != nil {
		if _, err := ParseSessionDuration(*u.SessionDuration); err != nil {
			return err
		}
	}
	if u.RelayState != nil {
		if err := checkRelayState(*u.RelayState); err != nil {
			return err
		}
	}
	return s.changePermissionSet(ctx, id, func(tx store.Tx, ps *store.PermissionSet) error {
		if u.Description != nil {
			ps.Description = *u.Description
		}
		if u.SessionDuration != nil {
			ps.SessionDuration = *u.SessionDuration
		}
		if u.RelayState != nil {
			ps.RelayState = *u.RelayState
		}
		return nil
	})
}

// changePermissionSet applies change to a permission set inside a
// transaction, bumps its version (so provisioned accounts show out of
// date) and stages the audit event.
func (s *Service) changePermissionSet(ctx context.Context, id string, change func(tx store.Tx, ps *store.PermissionSet) error) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		ps, err := tx.GetPermissionSet(ctx, id)
		if err != nil {
			return translate(err, func() error { return permissionSetNotFound(s.PermissionSetARN(id)) })
		}
		if err := change(tx, &ps); err != nil {
			return err
		}
		ps.Version++
		ps.UpdatedAt = s.now().UTC()
		if err := tx.UpdatePermissionSet(ctx, ps); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fault.Conflictf("", "The permission set was changed concurrently; retry the request")
			}
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// DeletePermissionSet deletes a permission set that is no longer assigned.
func (s *Service) DeletePermissionSet(ctx context.Context, id string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.GetPermissionSet(ctx, id); err != nil {
			return translate(err, func() error { return permissionSetNotFound(s.PermissionSetARN(id)) })
		}
		n, err := tx.CountAccountAssignments(ctx, id, "")
		if err != nil {
			return err
		}
		if n > 0 {
			return fault.Conflictf("", "The permission set %s is assigned in %d account assignment(s); delete them first", s.PermissionSetARN(id), n)
		}
		// Roles left without assignments (provisioned directly) go with
		// their permission set.
		for {
			roles, err := tx.ListProvisionedRoles(ctx, store.RoleQuery{PermissionSetID: id, Limit: 500})
			if err != nil {
				return err
			}
			for _, r := range roles {
				if err := tx.DeleteProvisionedRole(ctx, id, r.AccountID); err != nil {
					return err
				}
			}
			if len(roles) < 500 {
				break
			}
		}
		if err := tx.DeletePermissionSet(ctx, id); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// ListPermissionSets lists permission sets in id order.
func (s *Service) ListPermissionSets(ctx context.Context, after string, limit int) ([]store.PermissionSet, bool, error) {
	limit = clamp(limit)
	sets, err := s.store.ListPermissionSets(ctx, store.ListQuery{After: after, Limit: limit + 1})
	if err != nil {
		return nil, false, err
	}
	sets, more := page(sets, limit)
	return sets, more, nil
}

// ListPermissionSetsProvisionedToAccount lists the permission sets
// provisioned to an account (optionally only current or only outdated
// ones), as permission set ids in order.
func (s *Service) ListPermissionSetsProvisionedToAccount(ctx context.Context, accountID, state, after string, limit int) ([]string, bool, error) {
	limit = clamp(limit)
	roles, err := s.store.ListProvisionedRoles(ctx, store.RoleQuery{AccountID: accountID, State: state, After: after, Limit: limit + 1})
	if err != nil {
		return nil, false, err
	}
	roles, more := page(roles, limit)
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.PermissionSetID
	}
	return out, more, nil
}

// ListAccountsForProvisionedPermissionSet lists the accounts a permission
// set is provisioned to, in order.
func (s *Service) ListAccountsForProvisionedPermissionSet(ctx context.Context, psID, state, after string, limit int) ([]string, bool, error) {
	if _, err := s.GetPermissionSet(ctx, psID); err != nil {
		return nil, false, err
	}
	limit = clamp(limit)
	roles, err := s.store.ListProvisionedRoles(ctx, store.RoleQuery{PermissionSetID: psID, State: state, After: after, Limit: limit + 1})
	if err != nil {
		return nil, false, err
	}
	roles, more := page(roles, limit)
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.AccountID
	}
	return out, more, nil
}
