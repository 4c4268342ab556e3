package organizations

import (
	"context"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/org"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ---- organization and roots ----

type policyTypeSummary struct {
	Type   string `json:"Type"`
	Status string `json:"Status"`
}

type organization struct {
	ID                   string              `json:"Id"`
	ARN                  string              `json:"Arn"`
	FeatureSet           string              `json:"FeatureSet"`
	MasterAccountARN     string              `json:"MasterAccountArn"`
	MasterAccountID      string              `json:"MasterAccountId"`
	MasterAccountEmail   string              `json:"MasterAccountEmail"`
	AvailablePolicyTypes []policyTypeSummary `json:"AvailablePolicyTypes"`
}

type describeOrganizationOut struct {
	Organization organization `json:"Organization"`
}

func (a *api) describeOrganization(ctx context.Context, _ *empty) (*describeOrganizationOut, error) {
	o := a.org.Organization()
	mgmt, err := a.org.DescribeAccount(ctx, o.ManagementAccountID)
	if err != nil {
		return nil, err
	}
	return &describeOrganizationOut{Organization: organization{
		ID: o.ID, ARN: a.org.OrganizationARN(), FeatureSet: o.FeatureSet, MasterAccountARN: a.org.AccountARN(o.ManagementAccountID),
		MasterAccountID: o.ManagementAccountID, MasterAccountEmail: mgmt.Email, AvailablePolicyTypes: []policyTypeSummary{},
	}}, nil
}

type pageIn struct {
	NextToken  string `json:"NextToken"`
	MaxResults *int   `json:"MaxResults"`
}

type root struct {
	ID          string              `json:"Id"`
	ARN         string              `json:"Arn"`
	Name        string              `json:"Name"`
	PolicyTypes []policyTypeSummary `json:"PolicyTypes"`
}

type listRootsOut struct {
	Roots     []root `json:"Roots"`
	NextToken string `json:"NextToken,omitempty"`
}

func (a *api) listRoots(_ context.Context, in *pageIn) (*listRootsOut, error) {
	if _, err := a.pages.Position("ListRoots", in.NextToken); err != nil {
		return nil, err
	}
	o := a.org.Organization()
	return &listRootsOut{Roots: []root{{ID: o.RootID, ARN: a.org.RootARN(), Name: "Root", PolicyTypes: []policyTypeSummary{}}}}, nil
}

// ---- accounts ----

type createAccountIn struct {
	Email       string `json:"Email"`
	AccountName string `json:"AccountName"`
	Tags        []Tag  `json:"Tags"`
}

func (in *createAccountIn) scope(*api) awsapi.Scope {
	return awsapi.Scope{Keys: awsapi.TagConditions(in.Tags, nil)}
}

type createAccountOut struct {
	CreateAccountStatus CreateAccountStatus `json:"CreateAccountStatus"`
}

func (a *api) createAccount(ctx context.Context, in *createAccountIn) (*createAccountOut, error) {
	r, err := a.org.CreateAccount(ctx, org.NewAccount{Name: in.AccountName, Email: in.Email, Tags: awsapi.TagsIn(in.Tags)})
	if err != nil {
		return nil, err
	}
	return &createAccountOut{CreateAccountStatus: statusOut(r)}, nil
}

type describeCreateAccountStatusIn struct {
	CreateAccountRequestID string `json:"CreateAccountRequestId"`
}

func (a *api) describeCreateAccountStatus(ctx context.Context, in *describeCreateAccountStatusIn) (*createAccountOut, error) {
	r, err := a.org.DescribeCreateAccountStatus(ctx, in.CreateAccountRequestID)
	if err != nil {
		return nil, err
	}
	return &createAccountOut{CreateAccountStatus: statusOut(r)}, nil
}

type listCreateAccountStatusIn struct {
	States     []string `json:"States"`
	NextToken  string   `json:"NextToken"`
	MaxResults *int     `json:"MaxResults"`
}

type listCreateAccountStatusOut struct {
	CreateAccountStatuses []CreateAccountStatus `json:"CreateAccountStatuses"`
	NextToken             string                `json:"NextToken,omitempty"`
}

func (a *api) listCreateAccountStatus(ctx context.Context, in *listCreateAccountStatusIn) (*listCreateAccountStatusOut, error) {
	states := append([]string(nil), in.States...)
	sort.Strings(states)
	scope := "ListCreateAccountStatus:" + strings.Join(states, ",")
	var out listCreateAccountStatusOut
	var err error
	out.CreateAccountStatuses, out.NextToken, err = awsapi.ListPage(a.pages, scope, in.NextToken, in.MaxResults,
		func(after string, max int) ([]store.CreateAccountRequest, bool, error) {
			return a.org.ListCreateAccountStatus(ctx, states, after, max)
		},
		func(r store.CreateAccountRequest) string { return r.ID },
		func(r store.CreateAccountRequest) (CreateAccountStatus, error) { return statusOut(r), nil })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type accountIDIn struct {
	AccountID string `json:"AccountId"`
}

func (in *accountIDIn) scope(a *api) awsapi.Scope {
	return awsapi.Scope{Resources: a.resources(in.AccountID)}
}

type describeAccountOut struct {
	Account Account `json:"Account"`
}

func (a *api) describeAccount(ctx context.Context, in *accountIDIn) (*describeAccountOut, error) {
	acct, err := a.org.DescribeAccount(ctx, in.AccountID)
	if err != nil {
		return nil, err
	}
	out, err := a.accountOut(ctx, acct)
	if err != nil {
		return nil, err
	}
	return &describeAccountOut{Account: out}, nil
}

type listAccountsOut struct {
	Accounts  []Account `json:"Accounts"`
	NextToken string    `json:"NextToken,omitempty"`
}

func (a *api) listAccounts(ctx context.Context, in *pageIn) (*listAccountsOut, error) {
	return a.accountPage(ctx, "ListAccounts", in.NextToken, in.MaxResults, func(after string, max int) ([]store.Account, bool, error) {
		return a.org.ListAccounts(ctx, after, max)
	})
}

// accountPage is one page of a listing of accounts.
func (a *api) accountPage(ctx context.Context, scope, token string, max *int, fetch func(after string, max int) ([]store.Account, bool, error)) (*listAccountsOut, error) {
	var out listAccountsOut
	var err error
	out.Accounts, out.NextToken, err = awsapi.ListPage(a.pages, scope, token, max, fetch,
		func(acct store.Account) string { return acct.ID },
		func(acct store.Account) (Account, error) { return a.accountOut(ctx, acct) })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type parentPageIn struct {
	ParentID   string `json:"ParentId"`
	ChildType  string `json:"ChildType"`
	NextToken  string `json:"NextToken"`
	MaxResults *int   `json:"MaxResults"`
}

func (in *parentPageIn) scope(a *api) awsapi.Scope {
	return awsapi.Scope{Resources: a.resources(in.ParentID)}
}

func (a *api) listAccountsForParent(ctx context.Context, in *parentPageIn) (*listAccountsOut, error) {
	return a.accountPage(ctx, "ListAccountsForParent:"+in.ParentID, in.NextToken, in.MaxResults, func(after string, max int) ([]store.Account, bool, error) {
		return a.org.ListAccountsForParent(ctx, in.ParentID, after, max)
	})
}

type moveAccountIn struct {
	AccountID           string `json:"AccountId"`
	SourceParentID      string `json:"SourceParentId"`
	DestinationParentID string `json:"DestinationParentId"`
}

// scope names the account and both parents, all required by the
// reference.
func (in *moveAccountIn) scope(a *api) awsapi.Scope {
	return awsapi.Scope{Resources: a.resources(in.AccountID, in.SourceParentID, in.DestinationParentID)}
}

func (a *api) moveAccount(ctx context.Context, in *moveAccountIn) (*empty, error) {
	return &empty{}, a.org.MoveAccount(ctx, in.AccountID, in.SourceParentID, in.DestinationParentID)
}

// ---- organizational units ----

type createOUIn struct {
	ParentID string `json:"ParentId"`
	Name     string `json:"Name"`
	Tags     []Tag  `json:"Tags"`
}

func (in *createOUIn) scope(a *api) awsapi.Scope {
	return awsapi.Scope{Resources: a.resources(in.ParentID), Keys: awsapi.TagConditions(in.Tags, nil)}
}

type ouOut struct {
	OrganizationalUnit OrganizationalUnit `json:"OrganizationalUnit"`
}

func (a *api) createOU(ctx context.Context, in *createOUIn) (*ouOut, error) {
	ou, err := a.org.CreateOrganizationalUnit(ctx, in.ParentID, in.Name, awsapi.TagsIn(in.Tags))
	return a.ouResult(ctx, ou, err)
}

// ouResult answers with the organizational unit that creating or
// describing one returned, or with its error.
func (a *api) ouResult(ctx context.Context, ou store.OrgUnit, err error) (*ouOut, error) {
	if err != nil {
		return nil, err
	}
	out, err := a.ouOut(ctx, ou)
	if err != nil {
		return nil, err
	}
	return &ouOut{OrganizationalUnit: out}, nil
}

type ouIDIn struct {
	OrganizationalUnitID string `json:"OrganizationalUnitId"`
}

func (in *ouIDIn) scope(a *api) awsapi.Scope {
	return awsapi.Scope{Resources: a.resources(in.OrganizationalUnitID)}
}

func (a *api) describeOU(ctx context.Context, in *ouIDIn) (*ouOut, error) {
	ou, err := a.org.DescribeOrganizationalUnit(ctx, in.OrganizationalUnitID)
	return a.ouResult(ctx, ou, err)
}

type listOUsOut struct {
	OrganizationalUnits []OrganizationalUnit `json:"OrganizationalUnits"`
	NextToken           string               `json:"NextToken,omitempty"`
}

func (a *api) listOUsForParent(ctx context.Context, in *parentPageIn) (*listOUsOut, error) {
	var out listOUsOut
	var err error
	out.OrganizationalUnits, out.NextToken, err = awsapi.ListPage(a.pages, "ListOrganizationalUnitsForParent:"+in.ParentID, in.NextToken, in.MaxResults,
		func(after string, max int) ([]store.OrgUnit, bool, error) {
			return a.org.ListOrganizationalUnitsForParent(ctx, in.ParentID, after, max)
		},
		func(ou store.OrgUnit) string { return ou.ID },
		func(ou store.OrgUnit) (OrganizationalUnit, error) { return a.ouOut(ctx, ou) })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type child struct {
	ID   string `json:"Id"`
	Type string `json:"Type"`
}

type listChildrenOut struct {
	Children  []child `json:"Children"`
	NextToken string  `json:"NextToken,omitempty"`
}

func (a *api) listChildren(ctx context.Context, in *parentPageIn) (*listChildrenOut, error) {
	var out listChildrenOut
	var err error
	out.Children, out.NextToken, err = awsapi.ListPage(a.pages, "ListChildren:"+in.ParentID+":"+in.ChildType, in.NextToken, in.MaxResults,
		func(after string, max int) ([]org.Child, bool, error) {
			return a.org.ListChildren(ctx, in.ParentID, in.ChildType, after, max)
		},
		func(c org.Child) string { return c.ID },
		func(c org.Child) (child, error) { return child{ID: c.ID, Type: c.Type}, nil })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type listParentsIn struct {
	ChildID    string `json:"ChildId"`
	NextToken  string `json:"NextToken"`
	MaxResults *int   `json:"MaxResults"`
}

func (in *listParentsIn) scope(a *api) awsapi.Scope {
	return awsapi.Scope{Resources: a.resources(in.ChildID)}
}

type listParentsOut struct {
	Parents   []child `json:"Parents"`
	NextToken string  `json:"NextToken,omitempty"`
}

func (a *api) listParents(ctx context.Context, in *listParentsIn) (*listParentsOut, error) {
	if _, err := a.pages.Position("ListParents:"+in.ChildID, in.NextToken); err != nil {
		return nil, err
	}
	ps, err := a.org.ListParents(ctx, in.ChildID)
	if err != nil {
		return nil, err
	}
	out := &listParentsOut{Parents: make([]child, len(ps))}
	for i, p := range ps {
		out.Parents[i] = child{ID: p.ID, Type: p.Type}
	}
	return out, nil
}

// ---- tags ----

type tagIn struct {
	ResourceID string   `json:"ResourceId"`
	Tags       []Tag    `json:"Tags"`
	TagKeys    []string `json:"TagKeys"`
	NextToken  string   `json:"NextToken"`
}

func (in *tagIn) scope(a *api) awsapi.Scope {
	return awsapi.Scope{Resources: a.resources(in.ResourceID), Keys: awsapi.TagConditions(in.Tags, in.TagKeys)}
}

func (a *api) tagResource(ctx context.Context, in *tagIn) (*empty, error) {
	return &empty{}, a.org.TagResource(ctx, in.ResourceID, awsapi.TagsIn(in.Tags))
}

func (a *api) untagResource(ctx context.Context, in *tagIn) (*empty, error) {
	return &empty{}, a.org.UntagResource(ctx, in.ResourceID, in.TagKeys)
}

type listTagsOut struct {
	Tags      []Tag  `json:"Tags"`
	NextToken string `json:"NextToken,omitempty"`
}

func (a *api) listTagsForResource(ctx context.Context, in *tagIn) (*listTagsOut, error) {
	if _, err := a.pages.Position("ListTagsForResource:"+in.ResourceID, in.NextToken); err != nil {
		return nil, err
	}
	tags, err := a.org.ListTagsForResource(ctx, in.ResourceID)
	if err != nil {
		return nil, err
	}
	return &listTagsOut{Tags: awsapi.TagsOut(tags)}, nil
}
