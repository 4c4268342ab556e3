// Package iam serves the IAM subset Identity Center needs over the AWS
// Query protocol (form-encoded Action=… requests, XML responses): the
// customer-managed policies of the caller's account with their versions and
// tags, AWS-managed policies from the catalogue, and read-only views of the
// roles provisioned into the account.
//
// Every call acts in the caller's own account: the administrator keys in the
// management account, temporary credentials in theirs. IAM users there are
// Gatehouse's delegated administrators (their access keys are authorised by
// the policies they carry), and SimulateCustomPolicy and
// SimulatePrincipalPolicy explain decisions of the policy engine. Policy
// documents in responses are URL-encoded, as IAM sends them.
package iam

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	iamsvc "github.com/gatehouse/gatehouse/internal/iam"
)

type api struct {
	iam   *iamsvc.Service
	pager *awsapi.Pager
	authz awsapi.Authorizer
}

// op builds an operation that asks the authorizer for "iam:<action>" on
// the resources scope names (nil: "*") before it runs.
func op[In, Out any](a *api, readOnly bool, action string, fn func(context.Context, *In) (*Out, error),
	scope func(context.Context, *In) awsapi.Scope) awsapi.Operation {
	return awsapi.Op(readOnly, awsapi.GuardScope(a.authz, "iam:"+action, scope, fn))
}

// Service returns the IAM service description for the Query router. The
// resources and condition keys of each operation follow the Service
// Authorization Reference for IAM: policies, roles and users by ARN in the
// caller's account, the listings on "*".
func Service(svc *iamsvc.Service, pager *awsapi.Pager, model *awsapi.ModelValidator, authz awsapi.Authorizer) *awsapi.QueryService {
	a := &api{iam: svc, pager: pager, authz: authz}
	pol := func(_ context.Context, in *policyArnIn) awsapi.Scope {
		return awsapi.Scope{Resources: []string{in.PolicyArn}, Keys: awsapi.TagConditions(in.Tags, in.TagKeys)}
	}
	role := func(ctx context.Context, in *roleIn) awsapi.Scope {
		return awsapi.Scope{Resources: []string{"arn:aws:iam::" + account(ctx) + ":role" + iamsvc.RolePathForPrefix + in.RoleName}}
	}
	usr := a.userScope
	return &awsapi.QueryService{
		SigningName: "iam",
		EventSource: "iam.amazonaws.com",
		Model:       model,
		MapFault:    mapFault,
		Operations: map[string]awsapi.Operation{
			"CreatePolicy": op(a, false, "CreatePolicy", a.createPolicy, func(ctx context.Context, in *createPolicyIn) awsapi.Scope {
				arn := iamsvc.PolicyRef{AccountID: account(ctx), Path: pathOrRoot(in.Path), Name: in.PolicyName}.ARN()
				return awsapi.Scope{Resources: []string{arn}, Keys: awsapi.TagConditions(in.Tags, nil)}
			}),
			"GetPolicy":               op(a, true, "GetPolicy", a.getPolicy, pol),
			"DeletePolicy":            op(a, false, "DeletePolicy", a.deletePolicy, pol),
			"ListPolicies":            op(a, true, "ListPolicies", a.listPolicies, nil),
			"CreatePolicyVersion":     op(a, false, "CreatePolicyVersion", a.createPolicyVersion, pol),
			"GetPolicyVersion":        op(a, true, "GetPolicyVersion", a.getPolicyVersion, pol),
			"DeletePolicyVersion":     op(a, false, "DeletePolicyVersion", a.deletePolicyVersion, pol),
			"ListPolicyVersions":      op(a, true, "ListPolicyVersions", a.listPolicyVersions, pol),
			"SetDefaultPolicyVersion": op(a, false, "SetDefaultPolicyVersion", a.setDefaultPolicyVersion, pol),
			"TagPolicy":               op(a, false, "TagPolicy", a.tagPolicy, pol),
			"UntagPolicy":             op(a, false, "UntagPolicy", a.untagPolicy, pol),
			"ListPolicyTags":          op(a, true, "ListPolicyTags", a.listPolicyTags, pol),

			"GetRole":                  op(a, true, "GetRole", a.getRole, role),
			"ListRoles":                op(a, true, "ListRoles", a.listRoles, nil),
			"ListRolePolicies":         op(a, true, "ListRolePolicies", a.listRolePolicies, role),
			"GetRolePolicy":            op(a, true, "GetRolePolicy", a.getRolePolicy, role),
			"ListAttachedRolePolicies": op(a, true, "ListAttachedRolePolicies", a.listAttachedRolePolicies, role),

			"CreateUser": op(a, false, "CreateUser", a.createUser, func(ctx context.Context, in *userIn) awsapi.Scope {
				keys := awsapi.TagConditions(in.Tags, nil)
				if in.PermissionsBoundary != "" {
					keys.Add("iam:PermissionsBoundary", in.PermissionsBoundary)
				}
				return awsapi.Scope{Resources: []string{iamsvc.UserARN(account(ctx), pathOrRoot(in.Path), in.UserName)}, Keys: keys}
			}),
			"GetUser":                       op(a, true, "GetUser", a.getUser, usr),
			"ListUsers":                     op(a, true, "ListUsers", a.listUsers, nil),
			"DeleteUser":                    op(a, false, "DeleteUser", a.deleteUser, usr),
			"TagUser":                       op(a, false, "TagUser", a.tagUser, usr),
			"UntagUser":                     op(a, false, "UntagUser", a.untagUser, usr),
			"ListUserTags":                  op(a, true, "ListUserTags", a.listUserTags, usr),
			"PutUserPolicy":                 op(a, false, "PutUserPolicy", a.putUserPolicy, usr),
			"GetUserPolicy":                 op(a, true, "GetUserPolicy", a.getUserPolicy, usr),
			"DeleteUserPolicy":              op(a, false, "DeleteUserPolicy", a.deleteUserPolicy, usr),
			"ListUserPolicies":              op(a, true, "ListUserPolicies", a.listUserPolicies, usr),
			"AttachUserPolicy":              op(a, false, "AttachUserPolicy", a.attachUserPolicy, usr),
			"DetachUserPolicy":              op(a, false, "DetachUserPolicy", a.detachUserPolicy, usr),
			"ListAttachedUserPolicies":      op(a, true, "ListAttachedUserPolicies", a.listAttachedUserPolicies, usr),
			"PutUserPermissionsBoundary":    op(a, false, "PutUserPermissionsBoundary", a.putUserPermissionsBoundary, usr),
			"DeleteUserPermissionsBoundary": op(a, false, "DeleteUserPermissionsBoundary", a.deleteUserPermissionsBoundary, usr),
			"CreateAccessKey":               op(a, false, "CreateAccessKey", a.createAccessKey, usr),
			"ListAccessKeys":                op(a, true, "ListAccessKeys", a.listAccessKeys, usr),
			"UpdateAccessKey":               op(a, false, "UpdateAccessKey", a.updateAccessKey, usr),
			"DeleteAccessKey":               op(a, false, "DeleteAccessKey", a.deleteAccessKey, usr),

			"SimulateCustomPolicy": op(a, true, "SimulateCustomPolicy", a.simulateCustomPolicy, nil),
			"SimulatePrincipalPolicy": op(a, true, "SimulatePrincipalPolicy", a.simulatePrincipalPolicy, func(_ context.Context, in *simulateIn) awsapi.Scope {
				return awsapi.Scope{Resources: []string{in.PolicySourceArn}}
			}),
		},
	}
}

// userScope names the user an operation acts on (the caller's own user
// when UserName is omitted), with its path read from the store, and the
// request's condition keys: the tags it sets or removes, iam:PolicyARN of
// an attachment, and iam:PermissionsBoundary, the boundary the user has
// or is given.
func (a *api) userScope(ctx context.Context, in *userIn) awsapi.Scope {
	keys := awsapi.TagConditions(in.Tags, in.TagKeys)
	if in.PolicyArn != "" {
		keys.Add("iam:PolicyARN", in.PolicyArn)
	}
	name, err := callerUser(ctx, in.UserName)
	if err != nil {
		// The operation reports the missing name.
		return awsapi.Scope{Keys: keys}
	}
	arn := iamsvc.UserARN(account(ctx), "/", name)
	if u, err := a.iam.GetUser(ctx, account(ctx), name); err == nil {
		arn = u.ARN
		if u.BoundaryARN != "" {
			keys.Add("iam:PermissionsBoundary", u.BoundaryARN)
		}
	}
	if in.PermissionsBoundary != "" {
		// The boundary the request sets, not the one the user has.
		delete(keys, "iam:PermissionsBoundary")
		keys.Add("iam:PermissionsBoundary", in.PermissionsBoundary)
	}
	return awsapi.Scope{Resources: []string{arn}, Keys: keys}
}

// mapFault maps domain faults to IAM's error codes; the router takes the
// HTTP status of each code from the model.
func mapFault(f *fault.Error) *awsapi.Error {
	e := &awsapi.Error{Status: http.StatusBadRequest, Code: f.Code, Message: f.Message}
	if e.Code != "" {
		return e
	}
	switch f.Kind {
	case fault.Invalid:
		e.Code = "InvalidInput"
	case fault.NotFound:
		e.Code = "NoSuchEntity"
	case fault.Conflict:
		e.Code = "EntityAlreadyExists"
	case fault.QuotaExceeded:
		e.Code = "LimitExceeded"
	case fault.Denied:
		e.Status, e.Code = http.StatusForbidden, "AccessDenied"
	case fault.Throttled:
		e.Code = "Throttling"
	default:
		e.Status, e.Code, e.Message = http.StatusInternalServerError, "ServiceFailure", awsapi.InternalMessage
	}
	return e
}

// pathOrRoot is the path of a policy or user a request creates: "/" when
// it gives none, as IAM defaults it.
func pathOrRoot(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// account is the caller's account, where every call acts.
func account(ctx context.Context) string {
	c, _ := awsapi.CallerFrom(ctx)
	return c.AccountID
}

// encodeDocument URL-encodes a policy document as IAM returns it (RFC 3986,
// spaces as %20, which every SDK's decoder accepts).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// members is an XML list: <Name><member>…</member>…</Name>, present even
// when empty.
type members[T any] struct {
	Items []T `xml:"member"`
}

// Tag is the model's Tag, which every service with tags shares.
type Tag = awsapi.Tag

// page decodes a Marker of a listing scope; next encodes one.
func (a *api) page(ctx context.Context, scope, marker string) (string, error) {
	if marker == "" {
		return "", nil
	}
	pos, err := a.pager.Decode("iam:"+account(ctx)+":"+scope, marker)
	if err != nil {
		return "", fault.Invalidf("Invalid Marker.")
	}
	return pos, nil
}

func (a *api) next(ctx context.Context, scope, pos string) string {
	if pos == "" {
		return ""
	}
	return a.pager.Encode("iam:"+account(ctx)+":"+scope, pos)
}

// markerPage serves one page of a listing that the IAM service pages: it
// reads the position of marker, fetches the items after it with the
// position of the next page ("" after the last) and converts them. It
// returns them with IsTruncated and the Marker of the next page.
func markerPage[T, O any](a *api, ctx context.Context, scope, marker string,
	fetch func(after string) ([]T, string, error), conv func(T) O) ([]O, bool, string, error) {
	after, err := a.page(ctx, scope, marker)
	if err != nil {
		return nil, false, "", err
	}
	items, next, err := fetch(after)
	if err != nil {
		return nil, false, "", err
	}
	out := make([]O, len(items))
	for i, it := range items {
		out[i] = conv(it)
	}
	return out, next != "", a.next(ctx, scope, next), nil
}
