// Package adminauthz authorises Gatehouse's admin API calls (sso-admin,
// identitystore, organizations, IAM) with the policy engine, as AWS
// authorises them: the caller's identity policies (an IAM user's inline and
// attached policies, or a role session's permission set) are evaluated for
// the operation's IAM action on each resource the operation touches, with
// the request's condition keys. A denial is a fault.Denied carrying AWS's
// message ("User: … is not authorized to perform: … because …"); every
// decision, allow or deny, is recorded in the call's audit event with the
// statement that decided it.
//
// The bootstrap administrator key acts with AdministratorAccess whatever
// happens (see authz.Users); it is the deployment's break-glass key.
package adminauthz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
)

// ResourceTags reads the tags of a resource by ARN, for the
// aws:ResourceTag/<key> condition keys. A resource that does not exist, or
// that cannot be tagged, has no tags (nil, nil).
type ResourceTags interface {
	ResourceTags(ctx context.Context, arn string) (map[string]string, error)
}

// Options configure an Enforcer.
type Options struct {
	Authz    *authz.Service
	Resolver *authz.Resolver
	Tags     ResourceTags
	// AccountID, when set, is the only account whose callers may act: the
	// Identity Center services are administered from the management
	// account. IAM, which acts in the caller's own account, leaves it
	// empty.
	AccountID string
	// Region is aws:RequestedRegion and the services' PrimaryRegion.
	Region string
	Now    func() time.Time
}

// Enforcer is an awsapi.Authorizer backed by the policy engine.
type Enforcer struct {
	o Options
}

// New returns an enforcer.
func New(o Options) (*Enforcer, error) {
	if o.Authz == nil || o.Resolver == nil {
		return nil, errors.New("adminauthz: Options.Authz and Options.Resolver are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Enforcer{o: o}, nil
}

// Authorize decides r: every resource must be allowed. The decisions are
// added to the call's audit event under additionalEventData.authorization.
func (e *Enforcer) Authorize(ctx context.Context, r awsapi.AuthzRequest) error {
	resources := r.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	checks := make([]authz.Check, 0, len(resources)+len(r.Derived))
	for _, res := range append(append([]string{}, resources...), r.Derived...) {
		checks = append(checks, authz.Check{Action: r.Action, Resource: res})
	}
	if e.o.AccountID != "" && r.Caller.AccountID != e.o.AccountID {
		ds := authz.DenyAll(checks, "IAM Identity Center is administered from the management account "+e.o.AccountID, nil)
		record(ctx, ds)
		return denied(r.Caller, &ds[0], resources[0])
	}
	cred, err := e.o.Resolver.Lookup(ctx, r.Caller.AccessKeyID)
	if err != nil {
		return fmt.Errorf("adminauthz: resolve %s: %w", r.Caller.AccessKeyID, err)
	}
	p := &cred.Principal
	set, err := e.o.Authz.PolicySetFor(ctx, p)
	if err != nil && !errors.Is(err, authz.ErrNotProvisioned) {
		return fmt.Errorf("adminauthz: permission set of %s: %w", p.ARN, err)
	}
	c := e.o.Authz.GetContext()
	defer e.o.Authz.PutContext(c)
	wantTags := set != nil && e.o.Tags != nil && set.References(policy.KeyResourceTagPrefix)
	now := e.o.Now()
	ds := make([]authz.Decision, 0, len(checks))
	for _, ch := range checks {
		c.Reset()
		e.fill(ctx, c, r, p, now)
		if wantTags && ch.Resource != "*" {
			tags, err := e.o.Tags.ResourceTags(ctx, ch.Resource)
			if err != nil {
				return fmt.Errorf("adminauthz: tags of %s: %w", ch.Resource, err)
			}
			for k, v := range tags {
				c.Add(policy.KeyResourceTagPrefix+k, v)
				if strings.HasPrefix(ch.Resource, "arn:aws:iam::") {
					c.Add("iam:ResourceTag/"+k, v)
				}
			}
		}
		ds = authz.EvaluateSet(set, p, []authz.Check{ch}, c, ds)
	}
	record(ctx, ds)
	for i := range ds {
		if ds[i].Allowed() {
			continue
		}
		// A denied derived resource is reported as the request's first
		// resource: the message names only what the caller gave.
		shown := ds[i].Resource
		if i >= len(resources) {
			shown = resources[0]
		}
		return denied(r.Caller, &ds[i], shown)
	}
	return nil
}

// fill adds the condition keys of the request: the principal's global keys
// (aws:PrincipalArn, aws:username, aws:userid, the session's MFA and tags,
// aws:CurrentTime, …), the network's (aws:SourceIp, aws:SecureTransport),
// the region's, and the keys the operation's input supplies.
func (e *Enforcer) fill(ctx context.Context, c *policy.Context, r awsapi.AuthzRequest, p *authz.Principal, now time.Time) {
	e.o.Authz.AddPrincipalKeys(c, p, now)
	info := reqinfo.FromContext(ctx)
	if info.SourceIP != "" {
		c.Add(policy.KeySourceIP, info.SourceIP)
	}
	c.AddBool(policy.KeySecureTransport, info.Secure)
	c.Add("aws:ViaAWSService", "false")
	if e.o.Region != "" {
		c.Add(policy.KeyRequestedRegion, e.o.Region)
		switch {
		case strings.HasPrefix(r.Action, "sso:"):
			c.Add("sso:PrimaryRegion", e.o.Region)
		case strings.HasPrefix(r.Action, "identitystore:"):
			c.Add("identitystore:PrimaryRegion", e.o.Region)
		}
	}
	for k, vs := range r.Keys {
		for _, v := range vs {
			c.Add(k, v)
		}
	}
}

// record adds the decisions to the call's audit event.
func record(ctx context.Context, ds []authz.Decision) {
	ev, ok := audit.FromContext(ctx)
	if !ok {
		return
	}
	if ev.AdditionalEventData == nil {
		ev.AdditionalEventData = map[string]any{}
	}
	ev.AdditionalEventData[authz.AuditKey] = authz.AuditDecisions(ds)
}

// denied is the fault of a denial, with AWS's message: who, what, on which
// resource (omitted for "*"), and why.
func denied(c awsapi.Caller, d *authz.Decision, resource string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "User: %s is not authorized to perform: %s", c.PrincipalARN, d.Action)
	if resource != "*" && resource != "" {
		fmt.Fprintf(&b, " on resource: %s", resource)
	}
	switch {
	case d.Decision == policy.ExplicitDeny:
		fmt.Fprintf(&b, " with an explicit deny in %s", withArticle(layerPolicy(d.Layer)))
	case d.Reason != "":
		fmt.Fprintf(&b, " because %s", d.Reason)
	default:
		fmt.Fprintf(&b, " because no %s allows the %s action", layerPolicy(d.Layer), d.Action)
	}
	return fault.Deniedf("%s", b.String())
}

// layerPolicy names a policy layer as AWS's messages do.
func layerPolicy(l policy.Layer) string {
	switch l {
	case policy.LayerBoundary:
		return "permissions boundary"
	case policy.LayerSession:
		return "session policy"
	case policy.LayerResource:
		return "resource-based policy"
	}
	return "identity-based policy"
}

func withArticle(s string) string {
	if strings.HasPrefix(s, "identity") {
		return "an " + s
	}
	return "a " + s
}
