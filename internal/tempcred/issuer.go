package tempcred

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/entitlement"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Issuer hands out role credentials to signed-in people: it checks that
// the user holds the role in the account, builds the session (the
// provisioned role, the permission set's duration, the MFA facts of the
// sign-in, the session tags of attributes for access control) and mints
// it, with its audit event in the same transaction.
type Issuer struct {
	Creds  *Service
	Roles  *entitlement.Service
	Access *access.Service
	Store  store.Store
	// Region, AccountID and IdentityStoreARN go into audit events made
	// outside an API call (the portal's pages).
	Region           string
	AccountID        string
	IdentityStoreARN string
}

// ErrNoAccess is the fault for a role the user does not hold (AWS's
// portal answers an unmodelled ForbiddenException "No access").
var ErrNoAccess = &fault.Error{Kind: fault.Denied, Code: "ForbiddenException", Message: "No access"}

// Issue mints credentials for the session's user in account for the role
// (the permission set name).
func (i *Issuer) Issue(ctx context.Context, s portal.Session, accountID, roleName string) (Credentials, error) {
	role, err := i.role(ctx, s, accountID, roleName)
	if err != nil {
		return Credentials{}, err
	}
	user, err := i.Store.GetUser(ctx, s.UserID)
	if err != nil {
		return Credentials{}, fmt.Errorf("tempcred: user %s: %w", s.UserID, err)
	}
	return i.mint(ctx, s, user, role, accountID, roleName)
}

// IssueFor is Issue for a caller that has just read (and checked) the
// session's user record, as the portal API's token check does: user
// supplies the user name and the attributes of the session tags, so the
// record is not read twice.
func (i *Issuer) IssueFor(ctx context.Context, s portal.Session, user store.User, accountID, roleName string) (Credentials, error) {
	if user.ID != s.UserID {
		return Credentials{}, fmt.Errorf("tempcred: user record %s is not the session's user %s", user.ID, s.UserID)
	}
	role, err := i.role(ctx, s, accountID, roleName)
	if err != nil {
		return Credentials{}, err
	}
	return i.mint(ctx, s, user, role, accountID, roleName)
}

func (i *Issuer) role(ctx context.Context, s portal.Session, accountID, roleName string) (entitlement.Role, error) {
	role, err := i.Roles.Role(ctx, s.UserID, accountID, roleName)
	if errors.Is(err, entitlement.ErrNoAccess) {
		return role, ErrNoAccess
	}
	return role, err
}

func (i *Issuer) mint(ctx context.Context, s portal.Session, user store.User, role entitlement.Role, accountID, roleName string) (Credentials, error) {
	tags, err := i.sessionTags(ctx, user)
	if err != nil {
		return Credentials{}, err
	}
	req := Request{UserID: s.UserID, UserName: user.UserName, SessionID: s.SessionID, AccountID: accountID,
		PermissionSetID: role.PermissionSetID, RoleName: role.RoleName, RoleID: role.RoleID, Duration: role.SessionDuration,
		MFAPresent: s.MFAPresent, AuthTime: s.AuthTime, Tags: tags, SourceIP: reqinfo.FromContext(ctx).SourceIP}
	var c Credentials
	err = i.Store.Update(ctx, func(tx store.Tx) (err error) {
		c, err = i.Creds.Mint(ctx, tx, req)
		if err != nil {
			return err
		}
		resp := map[string]any{"roleCredentials": map[string]any{"accessKeyId": c.AccessKeyID,
			"secretAccessKey": audit.Hidden, "sessionToken": audit.Hidden, "expiration": c.Expiration.UnixMilli()}}
		if _, ok := audit.FromContext(ctx); ok {
			return audit.Stage(ctx, tx, resp)
		}
		ev := i.event(ctx, user)
		ev.RequestParameters = map[string]any{"accountId": accountID, "roleName": roleName}
		ev.ResponseElements = resp
		return audit.Stage(audit.NewContext(ctx, ev), tx, resp)
	})
	return c, err
}

func (i *Issuer) event(ctx context.Context, u store.User) *audit.Event {
	info := reqinfo.FromContext(ctx)
	ev := audit.NewEvent(info.Received, "sso.amazonaws.com", "GetRoleCredentials")
	ev.AWSRegion, ev.SourceIPAddress, ev.UserAgent = i.Region, info.SourceIP, info.UserAgent
	ev.RequestID, ev.RecipientAccountID = info.RequestID, i.AccountID
	ev.UserIdentity = audit.UserIdentity{Type: "IdentityCenterUser", PrincipalID: u.ID, UserName: u.UserName,
		OnBehalfOf: &audit.OnBehalfOf{UserID: u.ID, IdentityStoreARN: i.IdentityStoreARN}}
	return ev
}

// RoleCredentials implements portal.Credentials for the portal's "Access
// keys" page.
func (i *Issuer) RoleCredentials(ctx context.Context, s portal.Session, accountID, roleName string) (portal.RoleCredentials, error) {
	c, err := i.Issue(ctx, s, accountID, roleName)
	if err != nil {
		return portal.RoleCredentials{}, err
	}
	return portal.RoleCredentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, Expiration: c.Expiration}, nil
}

var _ portal.Credentials = (*Issuer)(nil)

// sessionTags resolves the attributes for access control into session
// tags. Several values of one attribute are joined with ":".
func (i *Issuer) sessionTags(ctx context.Context, u store.User) (map[string]string, error) {
	cfg, err := i.Access.DescribeAttributeConfig(ctx)
	if err != nil {
		if f, ok := fault.As(err); ok && f.Kind == fault.NotFound {
			return nil, nil
		}
		return nil, err
	}
	if len(cfg.Attributes) == 0 {
		return nil, nil
	}
	var groups []string
	needGroups := false
	for _, a := range cfg.Attributes {
		for _, src := range a.Sources {
			needGroups = needGroups || strings.Contains(src, "groups")
		}
	}
	if needGroups {
		if groups, err = i.groupNames(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	tags := map[string]string{}
	for _, a := range cfg.Attributes {
		for _, src := range a.Sources {
			if vs := access.ResolveAttribute(src, u, groups); len(vs) > 0 {
				tags[a.Key] = strings.Join(vs, ":")
			}
		}
	}
	return tags, nil
}

func (i *Issuer) groupNames(ctx context.Context, userID string) ([]string, error) {
	var (
		names []string
		after string
	)
	for {
		ms, err := i.Store.ListMemberships(ctx, store.MembershipQuery{UserID: userID, After: after, Limit: 101})
		if err != nil {
			return nil, fmt.Errorf("tempcred: groups of %s: %w", userID, err)
		}
		more := len(ms) > 100
		if more {
			ms = ms[:100]
		}
		for _, m := range ms {
			g, err := i.Store.GetGroup(ctx, m.GroupID)
			if err != nil {
				continue
			}
			names = append(names, g.DisplayName)
		}
		if !more || len(ms) == 0 {
			break
		}
		after = ms[len(ms)-1].ID
	}
	sort.Strings(names)
	return names, nil
}
