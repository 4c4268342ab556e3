package console

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/consoleadmin"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
)

// ResourceTags reads the tags of a resource by ARN, for the
// aws:ResourceTag/<key> condition keys (the API's authorizer reads them the
// same way); nil, nil for a resource without tags.
type ResourceTags interface {
	ResourceTags(ctx context.Context, arn string) (map[string]string, error)
}

// Authorizer is the authorizer of the API operations: calls made from the
// console (an Identity Center user, no access key) are decided by the
// administrator's console grant, on every resource the request names and
// every resource the operation derived from it; every other caller by
// Next. Wrapping the
// API's own authorizer, it makes the operations' Guards decide console
// calls with the same action names, resources and request keys as calls
// over the wire, and it records the decisions in the call's audit event
// as the API's authorizer does (additionalEventData.authorization).
type Authorizer struct {
	Grants *consoleadmin.Service
	Next   awsapi.Authorizer
	// Tags, when set, supplies aws:ResourceTag/<key> for each resource.
	Tags ResourceTags
}

// Authorize implements awsapi.Authorizer.
func (a Authorizer) Authorize(ctx context.Context, r awsapi.AuthzRequest) error {
	c := r.Caller
	if c.Type != CallerType || c.AccessKeyID != "" {
		return a.Next.Authorize(ctx, r)
	}
	info := reqinfo.FromContext(ctx)
	p := consoleadmin.Principal{UserID: c.PrincipalID, UserName: c.UserName, SourceIP: info.SourceIP, SecureTransport: info.Secure}
	if s := c.Session; s != nil {
		p.MFAPresent, p.AuthTime = s.MFAPresent, s.AuthTime
	}
	resources := r.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	named := len(resources)
	var ds []consoleadmin.Decision
	for _, res := range append(append([]string{}, resources...), r.Derived...) {
		keys := r.Keys
		if a.Tags != nil && res != "*" {
			tags, err := a.Tags.ResourceTags(ctx, res)
			if err != nil {
				return fmt.Errorf("console: tags of %s: %w", res, err)
			}
			if len(tags) > 0 {
				keys = make(map[string][]string, len(r.Keys)+len(tags))
				for k, v := range r.Keys {
					keys[k] = v
				}
				for k, v := range tags {
					keys[policy.KeyResourceTagPrefix+k] = []string{v}
					if strings.HasPrefix(res, "arn:aws:iam::") {
						keys["iam:ResourceTag/"+k] = []string{v}
					}
				}
			}
		}
		d, err := a.Grants.Decide(ctx, p, r.Action, []string{res}, keys)
		if err != nil {
			return err
		}
		ds = append(ds, d...)
	}
	record(ctx, r.Action, ds)
	for i, d := range ds {
		if d.Decision == policy.Allow {
			continue
		}
		// A denied derived resource (a membership's group) is reported as
		// the request's first resource: the message names only what the
		// caller gave, as the API's authorizer does.
		if i >= named {
			d.Resource = resources[0]
		}
		return consoleadmin.Denial(p, r.Action, []consoleadmin.Decision{d})
	}
	return nil
}

// record adds the decisions to the call's audit event, in the form the
// API's authorizer writes.
func record(ctx context.Context, action string, ds []consoleadmin.Decision) {
	ev, ok := audit.FromContext(ctx)
	if !ok {
		return
	}
	out := make([]authz.AuditDecision, 0, len(ds))
	for _, d := range ds {
		a := authz.AuditDecision{Action: action, Resource: d.Resource, Decision: d.Decision.String(), Policy: d.Policy, Sid: d.Sid}
		if d.Layer != 0 {
			a.Layer = d.Layer.String()
		}
		if d.Statement >= 0 && d.Policy != "" {
			n := d.Statement
			a.Statement = &n
		}
		if d.Decision != policy.Allow && d.Policy == "" {
			a.Reason = "no console grant allows it"
		}
		out = append(out, a)
	}
	if ev.AdditionalEventData == nil {
		ev.AdditionalEventData = map[string]any{}
	}
	ev.AdditionalEventData[authz.AuditKey] = out
}
