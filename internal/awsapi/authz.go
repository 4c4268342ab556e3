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
	// them; empty means the action's resource is "*".
	Resources []string
}

// Authorizer decides authorization questions. Adapters ask it once per
// call, through Guard, before the operation runs; a refusal is a
// fault.Denied, answered as the service's AccessDeniedException.
type Authorizer interface {
	Authorize(ctx context.Context, r AuthzRequest) error
}

// ManagementAccountOnly lets every caller of the management account do
// everything: the administrator access keys are all-powerful until
// delegated administration (IAM policies for admins) exists.
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

// AnyCaller lets every authenticated caller act; services that act in the
// caller's own account (IAM) use it.
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
