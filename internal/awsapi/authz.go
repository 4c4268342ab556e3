package awsapi

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/fault"
)

// AuthzRequest is one authorization question: may the caller perform an
// IAM action (for example "sso:CreatePermissionSet") on these resources?
type AuthzRequest struct {
	Caller Caller
	Action string
	// Resources are the ARNs the call touches, when the adapter names
	// them; empty means the action's resource is "*". The caller must be
	// allowed on each.
	Resources []string
	// Derived are resources the call touches that the request does not
	// name but the adapter looked up (a membership's group and user). The
	// caller must be allowed on them too; a denial message never names
	// them, so that it tells the caller nothing it did not know.
	Derived []string
	// Keys are the condition keys the request itself supplies
	// (aws:RequestTag/…, aws:TagKeys, iam:PolicyARN, …).
	Keys map[string][]string
}

// Scope is what an operation's input tells the authorizer: the resources
// the call touches and the condition keys of the request.
type Scope struct {
	Resources []string
	// Derived are resources looked up rather than named by the request
	// (see AuthzRequest.Derived).
	Derived []string
	Keys    Keys
}

// Authorizer decides authorization questions. Adapters ask it once per
// call, through Guard or GuardScope, before the operation runs; a refusal
// is a fault.Denied, answered as the service's AccessDeniedException.
type Authorizer interface {
	Authorize(ctx context.Context, r AuthzRequest) error
}

// ManagementAccountOnly lets every caller of the management account do
// everything. Gatehouse's admin APIs decide with the policy engine instead
// (adminauthz); this is for tools and tests that need no policies.
type ManagementAccountOnly struct {
	AccountID string
}

// Authorize allows callers of the management account.
func (m ManagementAccountOnly) Authorize(_ context.Context, r AuthzRequest) error {
	if r.Caller.AccountID != m.AccountID {
		return fault.Deniedf("User: %s is not authorized to perform: %s", r.Caller.PrincipalARN, r.Action)
	}
	return nil
}

// AnyCaller lets every authenticated caller act, for tools and tests that
// need no policies.
type AnyCaller struct{}

// Authorize allows every authenticated caller.
func (AnyCaller) Authorize(context.Context, AuthzRequest) error { return nil }

// Guard wraps a typed operation so that the authorizer is asked first.
// resources, when not nil, names the ARNs the input touches.
func Guard[In, Out any](authz Authorizer, action string, resources func(*In) []string,
	fn func(ctx context.Context, in *In) (*Out, error)) func(ctx context.Context, in *In) (*Out, error) {
	return func(ctx context.Context, in *In) (*Out, error) {
		caller, _ := CallerFrom(ctx)
		r := AuthzRequest{Caller: caller, Action: action}
		if resources != nil {
			r.Resources = resources(in)
		}
		if err := authz.Authorize(ctx, r); err != nil {
			return nil, err
		}
		return fn(ctx, in)
	}
}

// GuardScope is Guard for operations whose authorization needs more than
// resource ARNs: scope, when not nil, names the resources and the request's
// condition keys; it may read (a membership's group, say) but must not
// fail: what it cannot find it leaves to the operation to report.
func GuardScope[In, Out any](authz Authorizer, action string, scope func(context.Context, *In) Scope,
	fn func(ctx context.Context, in *In) (*Out, error)) func(ctx context.Context, in *In) (*Out, error) {
	return func(ctx context.Context, in *In) (*Out, error) {
		caller, _ := CallerFrom(ctx)
		r := AuthzRequest{Caller: caller, Action: action}
		if scope != nil {
			sc := scope(ctx, in)
			r.Resources, r.Derived, r.Keys = sc.Resources, sc.Derived, sc.Keys
		}
		if err := authz.Authorize(ctx, r); err != nil {
			return nil, err
		}
		return fn(ctx, in)
	}
}

// Keys are condition keys a request supplies, built by an adapter from
// the operation's input. The zero value is ready to use.
type Keys map[string][]string

// Tag adds a tag the request sets: aws:RequestTag/<key> and the key to
// aws:TagKeys.
func (k *Keys) Tag(key, value string) {
	k.Add("aws:RequestTag/"+key, value)
	k.Add("aws:TagKeys", key)
}

// Add appends values to a key.
func (k *Keys) Add(name string, values ...string) {
	if *k == nil {
		*k = Keys{}
	}
	(*k)[name] = append((*k)[name], values...)
}
