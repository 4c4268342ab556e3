package ssoadmin

import (
	"context"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ---- instances ----

type instanceMetadata struct {
	InstanceArn     string       `json:"InstanceArn"`
	IdentityStoreID string       `json:"IdentityStoreId"`
	OwnerAccountID  string       `json:"OwnerAccountId"`
	Name            string       `json:"Name,omitempty"`
	CreatedDate     *awsapi.Time `json:"CreatedDate,omitempty"`
	Status          string       `json:"Status"`
}

// encryptionDetails is DescribeInstance's EncryptionConfigurationDetails:
// Gatehouse seals secrets with its own keyring, the counterpart of an
// AWS-owned key.
type encryptionDetails struct {
	KeyType          string `json:"KeyType"`
	EncryptionStatus string `json:"EncryptionStatus"`
}

type describeInstanceOut struct {
	instanceMetadata
	EncryptionConfigurationDetails encryptionDetails `json:"EncryptionConfigurationDetails"`
}

func (a *api) instance(ctx context.Context) (instanceMetadata, error) {
	in, err := a.acc.Instance(ctx)
	if err != nil {
		return instanceMetadata{}, err
	}
	return instanceMetadata{
		InstanceArn: a.acc.InstanceARN(), IdentityStoreID: in.IdentityStoreID, OwnerAccountID: in.OwnerAccountID,
		Name: in.Name, CreatedDate: awsapi.TimePtr(in.CreatedAt), Status: in.Status,
	}, nil
}

type pageIn struct {
	InstanceArn string `json:"InstanceArn"`
	MaxResults  *int   `json:"MaxResults"`
	NextToken   string `json:"NextToken"`
}

// scope names the instance of ListPermissionSets; ListInstances names
// none and is authorised on "*".
func (in *pageIn) scope() awsapi.Scope { return awsapi.Scope{Resources: resources(in.InstanceArn)} }

type listInstancesOut struct {
	Instances []instanceMetadata `json:"Instances"`
	NextToken string             `json:"NextToken,omitempty"`
}

func (a *api) listInstances(ctx context.Context, in *pageIn) (*listInstancesOut, error) {
	if _, err := a.pages.Position("ListInstances", in.NextToken); err != nil {
		return nil, err
	}
	m, err := a.instance(ctx)
	if err != nil {
		return nil, err
	}
	return &listInstancesOut{Instances: []instanceMetadata{m}}, nil
}

type instanceIn struct {
	InstanceArn             string  `json:"InstanceArn"`
	Name                    *string `json:"Name"`
	EncryptionConfiguration *struct {
		KeyType string `json:"KeyType"`
	} `json:"EncryptionConfiguration"`
}

func (in *instanceIn) scope() awsapi.Scope { return awsapi.Scope{Resources: resources(in.InstanceArn)} }

func (a *api) describeInstance(ctx context.Context, in *instanceIn) (*describeInstanceOut, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	m, err := a.instance(ctx)
	if err != nil {
		return nil, err
	}
	return &describeInstanceOut{instanceMetadata: m,
		EncryptionConfigurationDetails: encryptionDetails{KeyType: "AWS_OWNED_KMS_KEY", EncryptionStatus: "ENABLED"}}, nil
}

func (a *api) updateInstance(ctx context.Context, in *instanceIn) (*empty, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	if e := in.EncryptionConfiguration; e != nil && e.KeyType != "AWS_OWNED_KMS_KEY" {
		return nil, fault.NotImplementedf("Customer managed KMS keys are not supported by Gatehouse; it seals secrets with its own keyring")
	}
	if in.Name == nil {
		return &empty{}, nil
	}
	return &empty{}, a.acc.UpdateInstanceName(ctx, *in.Name)
}

// ---- permission sets ----

// PermissionSet is the model's PermissionSet.
type PermissionSet struct {
	Name             string       `json:"Name"`
	PermissionSetArn string       `json:"PermissionSetArn"`
	Description      string       `json:"Description,omitempty"`
	CreatedDate      *awsapi.Time `json:"CreatedDate,omitempty"`
	SessionDuration  string       `json:"SessionDuration,omitempty"`
	RelayState       string       `json:"RelayState,omitempty"`
}

func (a *api) permissionSetOut(ps store.PermissionSet) *PermissionSet {
	return &PermissionSet{
		Name: ps.Name, PermissionSetArn: a.acc.PermissionSetARN(ps.ID), Description: ps.Description,
		CreatedDate: awsapi.TimePtr(ps.CreatedAt), SessionDuration: ps.SessionDuration, RelayState: ps.RelayState,
	}
}

type createPermissionSetIn struct {
	Name            string `json:"Name"`
	Description     string `json:"Description"`
	InstanceArn     string `json:"InstanceArn"`
	SessionDuration string `json:"SessionDuration"`
	RelayState      string `json:"RelayState"`
	Tags            []Tag  `json:"Tags"`
}

// scope names the instance and, since the new permission set has no ARN
// yet, every permission set of the instance ("permissionSet/<instance>/*"),
// with the tags the request sets.
func (in *createPermissionSetIn) scope() awsapi.Scope {
	ps := ""
	if id, ok := strings.CutPrefix(in.InstanceArn, "arn:aws:sso:::instance/"); ok {
		ps = "arn:aws:sso:::permissionSet/" + id + "/*"
	}
	return awsapi.Scope{Resources: resources(in.InstanceArn, ps), Keys: awsapi.TagConditions(in.Tags, nil)}
}

type permissionSetOut struct {
	PermissionSet *PermissionSet `json:"PermissionSet"`
}

func (a *api) createPermissionSet(ctx context.Context, in *createPermissionSetIn) (*permissionSetOut, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	ps, err := a.acc.CreatePermissionSet(ctx, access.NewPermissionSet{
		Name: in.Name, Description: in.Description, SessionDuration: in.SessionDuration, RelayState: in.RelayState, Tags: awsapi.TagsIn(in.Tags),
	})
	if err != nil {
		return nil, err
	}
	return &permissionSetOut{PermissionSet: a.permissionSetOut(ps)}, nil
}

type psIn struct {
	psRef
}

func (a *api) describePermissionSet(ctx context.Context, in *psIn) (*permissionSetOut, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	ps, err := a.acc.GetPermissionSet(ctx, id)
	if err != nil {
		return nil, err
	}
	return &permissionSetOut{PermissionSet: a.permissionSetOut(ps)}, nil
}

type updatePermissionSetIn struct {
	psRef
	Description     *string `json:"Description"`
	SessionDuration *string `json:"SessionDuration"`
	RelayState      *string `json:"RelayState"`
}

func (a *api) updatePermissionSet(ctx context.Context, in *updatePermissionSetIn) (*empty, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	return &empty{}, a.acc.UpdatePermissionSet(ctx, id, access.PermissionSetUpdate{
		Description: in.Description, SessionDuration: in.SessionDuration, RelayState: in.RelayState,
	})
}

func (a *api) deletePermissionSet(ctx context.Context, in *psIn) (*empty, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	return &empty{}, a.acc.DeletePermissionSet(ctx, id)
}

type listPermissionSetsOut struct {
	PermissionSets []string `json:"PermissionSets"`
	NextToken      string   `json:"NextToken,omitempty"`
}

func (a *api) listPermissionSets(ctx context.Context, in *pageIn) (*listPermissionSetsOut, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	var out listPermissionSetsOut
	var err error
	out.PermissionSets, out.NextToken, err = awsapi.ListPage(a.pages, "ListPermissionSets", in.NextToken, in.MaxResults,
		func(after string, max int) ([]store.PermissionSet, bool, error) {
			return a.acc.ListPermissionSets(ctx, after, max)
		},
		func(ps store.PermissionSet) string { return ps.ID },
		func(ps store.PermissionSet) (string, error) { return a.acc.PermissionSetARN(ps.ID), nil })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type provisionedToAccountIn struct {
	InstanceArn        string `json:"InstanceArn"`
	AccountID          string `json:"AccountId"`
	ProvisioningStatus string `json:"ProvisioningStatus"`
	MaxResults         *int   `json:"MaxResults"`
	NextToken          string `json:"NextToken"`
}

func (in *provisionedToAccountIn) scope() awsapi.Scope {
	return awsapi.Scope{Resources: resources(in.InstanceArn, accountARN(in.AccountID))}
}

func (a *api) listPermissionSetsProvisionedToAccount(ctx context.Context, in *provisionedToAccountIn) (*listPermissionSetsOut, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	var out listPermissionSetsOut
	var err error
	out.PermissionSets, out.NextToken, err = awsapi.ListPage(a.pages,
		"ListPermissionSetsProvisionedToAccount:"+in.AccountID+":"+in.ProvisioningStatus, in.NextToken, in.MaxResults,
		func(after string, max int) ([]string, bool, error) {
			return a.acc.ListPermissionSetsProvisionedToAccount(ctx, in.AccountID, in.ProvisioningStatus, after, max)
		},
		itself, func(id string) (string, error) { return a.acc.PermissionSetARN(id), nil })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type accountsForPSIn struct {
	psRef
	ProvisioningStatus string `json:"ProvisioningStatus"`
	MaxResults         *int   `json:"MaxResults"`
	NextToken          string `json:"NextToken"`
}

type listAccountsOut struct {
	AccountIDs []string `json:"AccountIds"`
	NextToken  string   `json:"NextToken,omitempty"`
}

func (a *api) listAccountsForProvisionedPermissionSet(ctx context.Context, in *accountsForPSIn) (*listAccountsOut, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	var out listAccountsOut
	out.AccountIDs, out.NextToken, err = awsapi.ListPage(a.pages,
		"ListAccountsForProvisionedPermissionSet:"+id+":"+in.ProvisioningStatus, in.NextToken, in.MaxResults,
		func(after string, max int) ([]string, bool, error) {
			return a.acc.ListAccountsForProvisionedPermissionSet(ctx, id, in.ProvisioningStatus, after, max)
		},
		itself, func(acct string) (string, error) { return acct, nil })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// itself is the position of an item that is its own id.
func itself(id string) string { return id }

// ---- tags ----

type tagIn struct {
	InstanceArn string   `json:"InstanceArn"`
	ResourceArn string   `json:"ResourceArn"`
	Tags        []Tag    `json:"Tags"`
	TagKeys     []string `json:"TagKeys"`
	NextToken   string   `json:"NextToken"`
}

// scope names the tagged resource (the instance or a permission set, as in
// the reference), with the tags TagResource sets and the keys
// UntagResource removes.
func (in *tagIn) scope() awsapi.Scope {
	return awsapi.Scope{Resources: resources(in.ResourceArn), Keys: awsapi.TagConditions(in.Tags, in.TagKeys)}
}

func (a *api) checkOptionalInstance(arn string) error {
	if arn == "" {
		return nil
	}
	return a.acc.CheckInstance(arn)
}

func (a *api) tagResource(ctx context.Context, in *tagIn) (*empty, error) {
	if err := a.checkOptionalInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	return &empty{}, a.acc.TagResource(ctx, in.ResourceArn, awsapi.TagsIn(in.Tags))
}

func (a *api) untagResource(ctx context.Context, in *tagIn) (*empty, error) {
	if err := a.checkOptionalInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	return &empty{}, a.acc.UntagResource(ctx, in.ResourceArn, in.TagKeys)
}

type listTagsOut struct {
	Tags      []Tag  `json:"Tags"`
	NextToken string `json:"NextToken,omitempty"`
}

func (a *api) listTagsForResource(ctx context.Context, in *tagIn) (*listTagsOut, error) {
	if err := a.checkOptionalInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	if _, err := a.pages.Position("ListTagsForResource:"+in.ResourceArn, in.NextToken); err != nil {
		return nil, err
	}
	tags, err := a.acc.ListTags(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return &listTagsOut{Tags: awsapi.TagsOut(tags)}, nil
}

// ---- policies ----

type managedPolicyIn struct {
	psRef
	ManagedPolicyArn string `json:"ManagedPolicyArn"`
}

func (a *api) attachManagedPolicy(ctx context.Context, in *managedPolicyIn) (*empty, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	return &empty{}, a.acc.AttachManagedPolicy(ctx, id, in.ManagedPolicyArn)
}

func (a *api) detachManagedPolicy(ctx context.Context, in *managedPolicyIn) (*empty, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	return &empty{}, a.acc.DetachManagedPolicy(ctx, id, in.ManagedPolicyArn)
}

type psPageIn struct {
	psRef
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

type attachedManagedPolicy struct {
	Name string `json:"Name"`
	Arn  string `json:"Arn"`
}

type listManagedPoliciesOut struct {
	AttachedManagedPolicies []attachedManagedPolicy `json:"AttachedManagedPolicies"`
	NextToken               string                  `json:"NextToken,omitempty"`
}

// pageSlice pages an in-memory list (policies of one permission set, at
// most 20) with an index position.
func pageSlice[T any](a *api, scope, token string, limit int, all []T) ([]T, string, error) {
	after, err := a.pages.Position(scope, token)
	if err != nil {
		return nil, "", err
	}
	start := 0
	if after != "" {
		for start < len(all) && itoa(start) != after {
			start++
		}
		start++
	}
	if start > len(all) {
		start = len(all)
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = a.pages.Next(scope, true, itoa(end-1))
	}
	return all[start:end], next, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

func (a *api) listManagedPolicies(ctx context.Context, in *psPageIn) (*listManagedPoliciesOut, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	ms, err := a.acc.ListManagedPolicies(ctx, id)
	if err != nil {
		return nil, err
	}
	all := make([]attachedManagedPolicy, len(ms))
	for i, m := range ms {
		all[i] = attachedManagedPolicy{Name: m.Name, Arn: m.ARN}
	}
	pg, next, err := pageSlice(a, "ListManagedPoliciesInPermissionSet:"+id, in.NextToken, awsapi.MaxResults(in.MaxResults), all)
	if err != nil {
		return nil, err
	}
	return &listManagedPoliciesOut{AttachedManagedPolicies: pg, NextToken: next}, nil
}

// CustomerManagedPolicyReference is the model's reference.
type CustomerManagedPolicyReference struct {
	Name string `json:"Name"`
	Path string `json:"Path,omitempty"`
}

type customerPolicyIn struct {
	psRef
	CustomerManagedPolicyReference CustomerManagedPolicyReference `json:"CustomerManagedPolicyReference"`
}

func (a *api) attachCustomerPolicy(ctx context.Context, in *customerPolicyIn) (*empty, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	r := in.CustomerManagedPolicyReference
	return &empty{}, a.acc.AttachCustomerManagedPolicy(ctx, id, store.CustomerPolicyRef{Name: r.Name, Path: r.Path})
}

func (a *api) detachCustomerPolicy(ctx context.Context, in *customerPolicyIn) (*empty, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	r := in.CustomerManagedPolicyReference
	return &empty{}, a.acc.DetachCustomerManagedPolicy(ctx, id, store.CustomerPolicyRef{Name: r.Name, Path: r.Path})
}

type listCustomerPoliciesOut struct {
	CustomerManagedPolicyReferences []CustomerManagedPolicyReference `json:"CustomerManagedPolicyReferences"`
	NextToken                       string                           `json:"NextToken,omitempty"`
}

func (a *api) listCustomerPolicies(ctx context.Context, in *psPageIn) (*listCustomerPoliciesOut, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	refs, err := a.acc.ListCustomerManagedPolicies(ctx, id)
	if err != nil {
		return nil, err
	}
	all := make([]CustomerManagedPolicyReference, len(refs))
	for i, r := range refs {
		all[i] = CustomerManagedPolicyReference{Name: r.Name, Path: r.Path}
	}
	pg, next, err := pageSlice(a, "ListCustomerManagedPolicyReferencesInPermissionSet:"+id, in.NextToken, awsapi.MaxResults(in.MaxResults), all)
	if err != nil {
		return nil, err
	}
	return &listCustomerPoliciesOut{CustomerManagedPolicyReferences: pg, NextToken: next}, nil
}

type inlinePolicyIn struct {
	psRef
	InlinePolicy string `json:"InlinePolicy"`
}

func (a *api) putInlinePolicy(ctx context.Context, in *inlinePolicyIn) (*empty, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	return &empty{}, a.acc.PutInlinePolicy(ctx, id, in.InlinePolicy)
}

type inlinePolicyOut struct {
	InlinePolicy string `json:"InlinePolicy,omitempty"`
}

func (a *api) getInlinePolicy(ctx context.Context, in *psIn) (*inlinePolicyOut, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	doc, err := a.acc.GetInlinePolicy(ctx, id)
	if err != nil {
		return nil, err
	}
	return &inlinePolicyOut{InlinePolicy: doc}, nil
}

func (a *api) deleteInlinePolicy(ctx context.Context, in *psIn) (*empty, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	return &empty{}, a.acc.DeleteInlinePolicy(ctx, id)
}

// PermissionsBoundary is the model's PermissionsBoundary.
type PermissionsBoundary struct {
	CustomerManagedPolicyReference *CustomerManagedPolicyReference `json:"CustomerManagedPolicyReference,omitempty"`
	ManagedPolicyArn               string                          `json:"ManagedPolicyArn,omitempty"`
}

type boundaryIn struct {
	psRef
	PermissionsBoundary PermissionsBoundary `json:"PermissionsBoundary"`
}

func (a *api) putBoundary(ctx context.Context, in *boundaryIn) (*empty, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	b := store.Boundary{ManagedPolicyARN: in.PermissionsBoundary.ManagedPolicyArn}
	if r := in.PermissionsBoundary.CustomerManagedPolicyReference; r != nil {
		b.CustomerPolicy = &store.CustomerPolicyRef{Name: r.Name, Path: r.Path}
	}
	return &empty{}, a.acc.PutPermissionsBoundary(ctx, id, b)
}

type boundaryOut struct {
	PermissionsBoundary PermissionsBoundary `json:"PermissionsBoundary"`
}

func (a *api) getBoundary(ctx context.Context, in *psIn) (*boundaryOut, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	b, err := a.acc.GetPermissionsBoundary(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &boundaryOut{PermissionsBoundary: PermissionsBoundary{ManagedPolicyArn: b.ManagedPolicyARN}}
	if r := b.CustomerPolicy; r != nil {
		out.PermissionsBoundary.CustomerManagedPolicyReference = &CustomerManagedPolicyReference{Name: r.Name, Path: r.Path}
	}
	return out, nil
}

func (a *api) deleteBoundary(ctx context.Context, in *psIn) (*empty, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	return &empty{}, a.acc.DeletePermissionsBoundary(ctx, id)
}
