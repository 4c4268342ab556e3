package main

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/awsapi/adminauthz"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/instance"
	"github.com/gatehouse/gatehouse/internal/org"
	"github.com/gatehouse/gatehouse/internal/store"
)

// adminAuthz are the authorizers of the admin APIs (issue 4, delegated
// administration): mgmt for the Identity Center services, which only
// callers of the management account may use, and iam for IAM, where every
// caller acts in its own account. Both decide with the policy engine.
type adminAuthz struct {
	mgmt, iam *adminauthz.Enforcer
}

func newAdminAuthz(cfg Config, az *authzParts, acc *accessServices, inst instance.Instance, now func() time.Time) (*adminAuthz, error) {
	tags := resourceTags{access: acc.access, org: acc.org, iam: acc.iam}
	mgmt, err := adminauthz.New(adminauthz.Options{Authz: az.svc, Resolver: az.resolver, Tags: tags,
		AccountID: inst.OwnerAccountID, Region: cfg.Region, Now: now})
	if err != nil {
		return nil, err
	}
	own, err := adminauthz.New(adminauthz.Options{Authz: az.svc, Resolver: az.resolver, Tags: tags, Region: cfg.Region, Now: now})
	if err != nil {
		return nil, err
	}
	return &adminAuthz{mgmt: mgmt, iam: own}, nil
}

// iamUsers gives the decision service the policies of IAM users.
type iamUsers struct{ svc *iam.Service }

// UserPolicies implements authz.UserSource. A user that does not exist
// (its key outlived it on another replica's cache) has no policies.
func (u iamUsers) UserPolicies(ctx context.Context, userARN string) (authz.UserPolicies, error) {
	p, err := u.svc.UserPrincipal(ctx, userARN)
	if fault.Is(err, fault.NotFound) || fault.Is(err, fault.Invalid) {
		return authz.UserPolicies{}, nil
	}
	if err != nil {
		return authz.UserPolicies{}, err
	}
	out := authz.UserPolicies{Bootstrap: p.Bootstrap, Signature: p.Signature()}
	for _, d := range p.Identity {
		out.Identity = append(out.Identity, authz.UserDocument{Name: d.Name, Document: d.Document})
	}
	if p.Boundary != nil {
		out.Boundary = &authz.UserDocument{Name: p.Boundary.Name, Document: p.Boundary.Document}
	}
	return out, nil
}

// resourceTags reads the tags of the resources the admin APIs act on, for
// aws:ResourceTag/<key>: permission sets and the instance (sso), accounts,
// organizational units and the root (organizations), customer-managed
// policies and users (IAM). Other resources have no tags.
type resourceTags struct {
	access *access.Service
	org    *org.Service
	iam    *iam.Service
}

func (t resourceTags) ResourceTags(ctx context.Context, arn string) (map[string]string, error) {
	var (
		tags []store.Tag
		err  error
	)
	switch {
	case strings.HasPrefix(arn, "arn:aws:sso:::permissionSet/"), strings.HasPrefix(arn, "arn:aws:sso:::instance/"):
		tags, err = t.access.ListTags(ctx, arn)
	case strings.HasPrefix(arn, "arn:aws:organizations::"):
		tags, err = t.org.ListTagsForResource(ctx, arn[strings.LastIndexByte(arn, '/')+1:])
	case strings.HasPrefix(arn, "arn:aws:iam::"):
		rest := strings.TrimPrefix(arn, "arn:aws:iam::")
		acct, res, _ := strings.Cut(rest, ":")
		switch {
		case strings.HasPrefix(res, "policy/"):
			tags, err = t.iam.ListPolicyTags(ctx, acct, arn)
		case strings.HasPrefix(res, "user/"):
			tags, err = t.iam.ListUserTags(ctx, acct, res[strings.LastIndexByte(res, '/')+1:])
		}
	}
	if f, ok := fault.As(err); ok && f.Kind != fault.Internal {
		return nil, nil // no such resource: no tags
	}
	if err != nil || len(tags) == 0 {
		return nil, err
	}
	out := make(map[string]string, len(tags))
	for _, tg := range tags {
		out[tg.Key] = tg.Value
	}
	return out, nil
}
