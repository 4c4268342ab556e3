// Package iam serves the IAM subset Identity Center needs over the AWS
// Query protocol (form-encoded Action=… requests, XML responses): the
// customer-managed policies of the caller's account with their versions and
// tags, AWS-managed policies from the catalogue, and read-only views of the
// roles provisioned into the account.
//
// Every call acts in the caller's own account: the administrator key in the
// management account, later temporary credentials in theirs. Policy
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
	"github.com/gatehouse/gatehouse/internal/store"
)

type api struct {
	iam   *iamsvc.Service
	pager *awsapi.Pager
	authz awsapi.Authorizer
}

func op[In, Out any](a *api, readOnly bool, action string, fn func(context.Context, *In) (*Out, error)) awsapi.Operation {
	return awsapi.Op(readOnly, awsapi.Guard(a.authz, "iam:"+action, nil, fn))
}

// Service returns the IAM service description for the Query router.
func Service(svc *iamsvc.Service, pager *awsapi.Pager, model *awsapi.ModelValidator, authz awsapi.Authorizer) *awsapi.QueryService {
	a := &api{iam: svc, pager: pager, authz: authz}
	return &awsapi.QueryService{
		SigningName: "iam",
		EventSource: "iam.amazonaws.com",
		Model:       model,
		MapFault:    mapFault,
		Operations: map[string]awsapi.Operation{
			"CreatePolicy":             op(a, false, "CreatePolicy", a.createPolicy),
			"GetPolicy":                op(a, true, "GetPolicy", a.getPolicy),
			"DeletePolicy":             op(a, false, "DeletePolicy", a.deletePolicy),
			"ListPolicies":             op(a, true, "ListPolicies", a.listPolicies),
			"CreatePolicyVersion":      op(a, false, "CreatePolicyVersion", a.createPolicyVersion),
			"GetPolicyVersion":         op(a, true, "GetPolicyVersion", a.getPolicyVersion),
			"DeletePolicyVersion":      op(a, false, "DeletePolicyVersion", a.deletePolicyVersion),
			"ListPolicyVersions":       op(a, true, "ListPolicyVersions", a.listPolicyVersions),
			"SetDefaultPolicyVersion":  op(a, false, "SetDefaultPolicyVersion", a.setDefaultPolicyVersion),
			"TagPolicy":                op(a, false, "TagPolicy", a.tagPolicy),
			"UntagPolicy":              op(a, false, "UntagPolicy", a.untagPolicy),
			"ListPolicyTags":           op(a, true, "ListPolicyTags", a.listPolicyTags),
			"GetRole":                  op(a, true, "GetRole", a.getRole),
			"ListRoles":                op(a, true, "ListRoles", a.listRoles),
			"ListRolePolicies":         op(a, true, "ListRolePolicies", a.listRolePolicies),
			"GetRolePolicy":            op(a, true, "GetRolePolicy", a.getRolePolicy),
			"ListAttachedRolePolicies": op(a, true, "ListAttachedRolePolicies", a.listAttachedRolePolicies),
		},
	}
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

// Tag is the model's Tag.
type Tag struct {
	Key   string `json:"Key" xml:"Key"`
	Value string `json:"Value" xml:"Value"`
}

func tagsIn(in []Tag) []store.Tag {
	out := make([]store.Tag, len(in))
	for i, t := range in {
		out[i] = store.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func tagsOut(in []store.Tag) []Tag {
	out := make([]Tag, len(in))
	for i, t := range in {
		out[i] = Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

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
