// Package organizations serves the part of the AWS Organizations API
// (AWSOrganizationsV20161128.*, JSON 1.1) that Identity Center needs:
// describing the organization, creating and listing accounts, organizational
// units, moving accounts and tagging, on top of the org service.
package organizations

import (
	"context"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/org"
	"github.com/gatehouse/gatehouse/internal/store"
)

type api struct {
	org   *org.Service
	pages awsapi.Listings
	authz awsapi.Authorizer
}

// op builds an operation that asks the authorizer for "organizations:<action>"
// on the resources the input names (the Service Authorization Reference
// for Organizations: accounts, organizational units and the root by ARN;
// the organization-wide reads and CreateAccount on "*") before it runs.
func op[In, Out any](a *api, readOnly bool, action string, fn func(context.Context, *In) (*Out, error)) awsapi.Operation {
	scope := func(_ context.Context, in *In) awsapi.Scope {
		if s, ok := any(in).(scoped); ok {
			return s.scope(a)
		}
		return awsapi.Scope{}
	}
	return awsapi.Op(readOnly, awsapi.GuardScope(a.authz, "organizations:"+action, scope, fn))
}

// scoped is implemented by inputs that name resources or carry condition
// keys.
type scoped interface{ scope(a *api) awsapi.Scope }

// arnOf returns the ARN of an account, organizational unit or root by id,
// "" for none.
func (a *api) arnOf(id string) string {
	switch {
	case id == "":
		return ""
	case strings.HasPrefix(id, "ou-"):
		return a.org.OrgUnitARN(id)
	case strings.HasPrefix(id, "r-"):
		root := a.org.RootARN()
		return strings.TrimSuffix(root, a.org.Organization().RootID) + id
	default:
		return a.org.AccountARN(id)
	}
}

// resources lists the ARNs of the ids that are set, in order.
func (a *api) resources(ids ...string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if arn := a.arnOf(id); arn != "" {
			out = append(out, arn)
		}
	}
	return out
}

// Service returns the organizations service description for the router.
func Service(o *org.Service, pager *awsapi.Pager, v awsapi.Validator, authz awsapi.Authorizer) *awsapi.JSONService {
	// Organizations answers any token that fails the pager's checks
	// with its own reason, not the pager's ValidationException.
	pages := awsapi.Listings{Pager: pager, Service: "organizations",
		BadToken: org.InvalidInput("INVALID_NEXT_TOKEN", "The NextToken value is invalid.")}
	a := &api{org: o, pages: pages, authz: authz}
	return &awsapi.JSONService{
		TargetPrefix: "AWSOrganizationsV20161128",
		SigningName:  "organizations",
		EventSource:  "organizations.amazonaws.com",
		Validator:    v,
		MapFault:     mapFault,
		Operations: map[string]awsapi.Operation{
			"DescribeOrganization":             op(a, true, "DescribeOrganization", a.describeOrganization),
			"ListRoots":                        op(a, true, "ListRoots", a.listRoots),
			"CreateAccount":                    op(a, false, "CreateAccount", a.createAccount),
			"DescribeCreateAccountStatus":      op(a, true, "DescribeCreateAccountStatus", a.describeCreateAccountStatus),
			"ListCreateAccountStatus":          op(a, true, "ListCreateAccountStatus", a.listCreateAccountStatus),
			"DescribeAccount":                  op(a, true, "DescribeAccount", a.describeAccount),
			"ListAccounts":                     op(a, true, "ListAccounts", a.listAccounts),
			"ListAccountsForParent":            op(a, true, "ListAccountsForParent", a.listAccountsForParent),
			"CreateOrganizationalUnit":         op(a, false, "CreateOrganizationalUnit", a.createOU),
			"DescribeOrganizationalUnit":       op(a, true, "DescribeOrganizationalUnit", a.describeOU),
			"ListOrganizationalUnitsForParent": op(a, true, "ListOrganizationalUnitsForParent", a.listOUsForParent),
			"ListChildren":                     op(a, true, "ListChildren", a.listChildren),
			"ListParents":                      op(a, true, "ListParents", a.listParents),
			"MoveAccount":                      op(a, false, "MoveAccount", a.moveAccount),
			"TagResource":                      op(a, false, "TagResource", a.tagResource),
			"UntagResource":                    op(a, false, "UntagResource", a.untagResource),
			"ListTagsForResource":              op(a, true, "ListTagsForResource", a.listTagsForResource),
		},
	}
}

// mapFault maps domain faults to Organizations' exceptions, which differ
// from the JSON services' common names.
func mapFault(f *fault.Error) *awsapi.Error {
	e := &awsapi.Error{Status: http.StatusBadRequest, Code: f.Code, Message: f.Message}
	if f.Reason != "" {
		e.Fields = map[string]any{"Reason": f.Reason}
	}
	if e.Code != "" {
		return e
	}
	switch f.Kind {
	case fault.Invalid:
		e.Code = "InvalidInputException"
	case fault.NotFound:
		e.Code = "TargetNotFoundException"
	case fault.Conflict:
		e.Code = "ConcurrentModificationException"
	case fault.QuotaExceeded:
		e.Code = "ConstraintViolationException"
	case fault.Throttled:
		e.Code = "TooManyRequestsException"
	case fault.Denied:
		e.Code = "AccessDeniedException"
	default:
		d := awsapi.DefaultFaultMapper(f)
		if d.Code == "InternalServerException" {
			d.Code = "ServiceException"
		}
		return d
	}
	return e
}

// ---- wire types ----

type empty struct{}

// Tag is the model's Tag, which every service with tags shares.
type Tag = awsapi.Tag

// Account is the model's Account.
type Account struct {
	ID              string       `json:"Id"`
	ARN             string       `json:"Arn"`
	Email           string       `json:"Email"`
	Name            string       `json:"Name"`
	Status          string       `json:"Status"`
	State           string       `json:"State"`
	Paths           []string     `json:"Paths,omitempty"`
	JoinedMethod    string       `json:"JoinedMethod"`
	JoinedTimestamp *awsapi.Time `json:"JoinedTimestamp,omitempty"`
}

func (a *api) accountOut(ctx context.Context, acct store.Account) (Account, error) {
	paths, err := a.org.Paths(ctx, acct.ParentID, acct.ID)
	if err != nil {
		return Account{}, err
	}
	return Account{
		ID: acct.ID, ARN: a.org.AccountARN(acct.ID), Email: acct.Email, Name: acct.Name, Status: acct.Status,
		State: acct.Status, Paths: paths, JoinedMethod: acct.JoinedMethod, JoinedTimestamp: awsapi.TimePtr(acct.JoinedAt),
	}, nil
}

// OrganizationalUnit is the model's OrganizationalUnit.
type OrganizationalUnit struct {
	ID   string `json:"Id"`
	ARN  string `json:"Arn"`
	Name string `json:"Name"`
	Path string `json:"Path,omitempty"`
}

func (a *api) ouOut(ctx context.Context, ou store.OrgUnit) (OrganizationalUnit, error) {
	paths, err := a.org.Paths(ctx, ou.ParentID, ou.ID)
	if err != nil {
		return OrganizationalUnit{}, err
	}
	return OrganizationalUnit{ID: ou.ID, ARN: a.org.OrgUnitARN(ou.ID), Name: ou.Name, Path: paths[0]}, nil
}

// CreateAccountStatus is the model's CreateAccountStatus.
type CreateAccountStatus struct {
	ID                 string       `json:"Id"`
	AccountName        string       `json:"AccountName,omitempty"`
	State              string       `json:"State"`
	RequestedTimestamp *awsapi.Time `json:"RequestedTimestamp,omitempty"`
	CompletedTimestamp *awsapi.Time `json:"CompletedTimestamp,omitempty"`
	AccountID          string       `json:"AccountId,omitempty"`
	FailureReason      string       `json:"FailureReason,omitempty"`
}

func statusOut(r store.CreateAccountRequest) CreateAccountStatus {
	return CreateAccountStatus{
		ID: r.ID, AccountName: r.AccountName, State: r.State, RequestedTimestamp: awsapi.TimePtr(r.RequestedAt),
		CompletedTimestamp: awsapi.TimePtr(r.CompletedAt), AccountID: r.AccountID, FailureReason: r.FailureReason,
	}
}
