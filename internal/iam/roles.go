package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// InlinePolicyName is the name under which a provisioned role shows its
// permission set's inline policy, as in AWS.
const InlinePolicyName = "AwsSSOInlinePolicy"

// Role is a provisioned AWSReservedSSO_ role as IAM shows it.
type Role struct {
	store.ProvisionedRole
	ARN                      string
	AssumeRolePolicyDocument string
	// MaxSessionDuration is in seconds. IAM cannot express less than an
	// hour; a shorter Gatehouse-only session duration shows as 3600.
	MaxSessionDuration int
	// BoundaryARN is the ARN of the permissions boundary, if any.
	BoundaryARN string
}

// samlProviderARN is the identity provider the provisioned roles trust.
func (s *Service) samlProviderARN(accountID string) string {
	return "arn:aws:iam::" + accountID + ":saml-provider/AWSSSO_" + strings.TrimPrefix(s.instanceID, "ssoins-") + "_DO_NOT_DELETE"
}

func (s *Service) roleOut(r store.ProvisionedRole) Role {
	out := Role{
		ProvisionedRole: r,
		ARN:             "arn:aws:iam::" + r.AccountID + ":role" + r.Path + r.RoleName,
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` +
			s.samlProviderARN(r.AccountID) + `"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],` +
			`"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`,
		MaxSessionDuration: 3600,
	}
	if d, err := parseHours(r.Policies.SessionDuration); err == nil && d > time.Hour {
		out.MaxSessionDuration = int(d / time.Second)
	}
	if b := r.Policies.Boundary; b != nil {
		out.BoundaryARN = b.ARN
	}
	return out
}

// parseHours reads the simple ISO 8601 durations permission sets use
// (PT<h>H<m>M<s>S).
func parseHours(iso string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(iso, "PT")
	if !ok {
		return 0, errors.New("iam: not a PT duration")
	}
	return time.ParseDuration(strings.ToLower(rest))
}

func (s *Service) role(ctx context.Context, accountID, name string) (store.ProvisionedRole, error) {
	r, err := s.store.GetProvisionedRoleByName(ctx, accountID, strings.ToLower(name))
	if errors.Is(err, store.ErrNotFound) {
		return r, noSuchEntity("The role with name %s cannot be found.", name)
	}
	return r, err
}

// GetRole returns a provisioned role of the account by name.
func (s *Service) GetRole(ctx context.Context, accountID, name string) (Role, error) {
	r, err := s.role(ctx, accountID, name)
	if err != nil {
		return Role{}, err
	}
	return s.roleOut(r), nil
}

// ListRoles lists the account's roles in name order after the given name
// key, and returns the position to resume after ("" at the end).
func (s *Service) ListRoles(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]Role, string, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	if pathPrefix != "" && !strings.HasPrefix(RolePathForPrefix, pathPrefix) {
		return nil, "", nil
	}
	rs, err := s.store.ListRolesInAccount(ctx, accountID, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rs) > limit {
		rs = rs[:limit]
		next = rs[len(rs)-1].RoleNameKey
	}
	out := make([]Role, len(rs))
	for i, r := range rs {
		out[i] = s.roleOut(r)
	}
	return out, next, nil
}

// RolePathForPrefix is the path of every role Gatehouse provisions.
const RolePathForPrefix = "/aws-reserved/sso.amazonaws.com/"

// ListRolePolicies names the inline policies of a role.
func (s *Service) ListRolePolicies(ctx context.Context, accountID, roleName string) ([]string, error) {
	r, err := s.role(ctx, accountID, roleName)
	if err != nil {
		return nil, err
	}
	if r.Policies.Inline == "" {
		return []string{}, nil
	}
	return []string{InlinePolicyName}, nil
}

// GetRolePolicy returns an inline policy of a role.
func (s *Service) GetRolePolicy(ctx context.Context, accountID, roleName, policyName string) (string, error) {
	r, err := s.role(ctx, accountID, roleName)
	if err != nil {
		return "", err
	}
	if policyName != InlinePolicyName || r.Policies.Inline == "" {
		return "", noSuchEntity("The role policy with name %s cannot be found.", policyName)
	}
	return r.Policies.Inline, nil
}

// AttachedPolicy names a managed policy attached to a role.
type AttachedPolicy struct {
	Name string
	ARN  string
}

// ListAttachedRolePolicies lists the managed and customer-managed policies
// a role attaches, as captured when it was provisioned.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, accountID, roleName string) ([]AttachedPolicy, error) {
	r, err := s.role(ctx, accountID, roleName)
	if err != nil {
		return nil, err
	}
	out := []AttachedPolicy{}
	for _, p := range r.Policies.Managed {
		out = append(out, AttachedPolicy{Name: p.Name, ARN: p.ARN})
	}
	for _, p := range r.Policies.CustomerManaged {
		out = append(out, AttachedPolicy{Name: p.Name, ARN: p.ARN})
	}
	return out, nil
}

// RolePrincipal returns the policies of a provisioned role named by its
// ARN, as they were captured when it was last provisioned: the AWS-managed
// policies (documents from the catalogue), the customer-managed ones, the
// inline policy and the permissions boundary. It returns a NoSuchEntity
// fault for a role that does not exist.
func (s *Service) RolePrincipal(ctx context.Context, roleARN string) (*Principal, error) {
	rest, ok := strings.CutPrefix(roleARN, "arn:aws:iam::")
	acct, res, _ := strings.Cut(rest, ":")
	full, isRole := strings.CutPrefix(res, "role/")
	if !ok || !isAccountID(acct) || !isRole || full == "" {
		return nil, invalidInput("ARN %s is not a valid role ARN.", roleARN)
	}
	name := full[strings.LastIndex(full, "/")+1:]
	r, err := s.role(ctx, acct, name)
	if err != nil {
		return nil, err
	}
	if out := s.roleOut(r); out.ARN != roleARN {
		return nil, noSuchEntity("The role with name %s cannot be found.", name)
	}
	p := &Principal{ARN: roleARN}
	for _, m := range r.Policies.Managed {
		mp, ok := s.catalogue.Get(m.ARN)
		if !ok {
			return nil, fmt.Errorf("iam: role %s: managed policy %s is not in the catalogue", r.RoleName, m.ARN)
		}
		p.Identity = append(p.Identity, NamedDocument{Name: m.ARN, Type: "aws-managed", Document: mp.Document})
	}
	for _, c := range r.Policies.CustomerManaged {
		p.Identity = append(p.Identity, NamedDocument{Name: c.ARN, Type: "user-managed", Document: c.Document})
	}
	if r.Policies.Inline != "" {
		p.Identity = append(p.Identity, NamedDocument{Name: InlinePolicyName, Type: "role", Document: r.Policies.Inline})
	}
	if b := r.Policies.Boundary; b != nil {
		d := NamedDocument{Name: b.ARN, Type: "user-managed", Document: b.Document}
		if d.Document == "" {
			mp, ok := s.catalogue.Get(b.ARN)
			if !ok {
				return nil, fmt.Errorf("iam: role %s: boundary %s is not in the catalogue", r.RoleName, b.ARN)
			}
			d.Type, d.Document = "aws-managed", mp.Document
		}
		p.Boundary = &d
	}
	return p, nil
}
