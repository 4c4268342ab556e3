package iam

import (
	"context"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	iamsvc "github.com/gatehouse/gatehouse/internal/iam"
)

type empty struct{}

// policy is the model's Policy.
type policy struct {
	PolicyName                    string          `xml:"PolicyName"`
	PolicyID                      string          `xml:"PolicyId"`
	Arn                           string          `xml:"Arn"`
	Path                          string          `xml:"Path"`
	DefaultVersionID              string          `xml:"DefaultVersionId"`
	AttachmentCount               int             `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int             `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool            `xml:"IsAttachable"`
	Description                   string          `xml:"Description,omitempty"`
	CreateDate                    *awsapi.XMLTime `xml:"CreateDate,omitempty"`
	UpdateDate                    *awsapi.XMLTime `xml:"UpdateDate,omitempty"`
	Tags                          *members[Tag]   `xml:"Tags,omitempty"`
}

func policyOut(p iamsvc.Policy, withTags bool) policy {
	out := policy{
		PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionID: p.DefaultVersion,
		AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.BoundaryCount, IsAttachable: true,
		Description: p.Description, CreateDate: awsapi.XMLTimePtr(p.CreatedAt), UpdateDate: awsapi.XMLTimePtr(p.UpdatedAt),
	}
	if withTags && len(p.Tags) > 0 {
		out.Tags = &members[Tag]{Items: awsapi.TagsOut(p.Tags)}
	}
	return out
}

type policyResult struct {
	Policy policy `xml:"Policy"`
}

type createPolicyIn struct {
	PolicyName     string `json:"PolicyName"`
	Path           string `json:"Path"`
	PolicyDocument string `json:"PolicyDocument"`
	Description    string `json:"Description"`
	Tags           []Tag  `json:"Tags"`
}

func (a *api) createPolicy(ctx context.Context, in *createPolicyIn) (*policyResult, error) {
	p, err := a.iam.CreatePolicy(ctx, account(ctx), iamsvc.NewPolicy{
		Name: in.PolicyName, Path: in.Path, Document: in.PolicyDocument, Description: in.Description, Tags: awsapi.TagsIn(in.Tags),
	})
	if err != nil {
		return nil, err
	}
	return &policyResult{Policy: policyOut(p, true)}, nil
}

type policyArnIn struct {
	PolicyArn      string   `json:"PolicyArn"`
	VersionID      string   `json:"VersionId"`
	PolicyDocument string   `json:"PolicyDocument"`
	SetAsDefault   bool     `json:"SetAsDefault"`
	Tags           []Tag    `json:"Tags"`
	TagKeys        []string `json:"TagKeys"`
	Marker         string   `json:"Marker"`
	MaxItems       int      `json:"MaxItems"`
}

func (a *api) getPolicy(ctx context.Context, in *policyArnIn) (*policyResult, error) {
	p, err := a.iam.GetPolicy(ctx, account(ctx), in.PolicyArn)
	if err != nil {
		return nil, err
	}
	return &policyResult{Policy: policyOut(p, true)}, nil
}

func (a *api) deletePolicy(ctx context.Context, in *policyArnIn) (*empty, error) {
	return nil, a.iam.DeletePolicy(ctx, account(ctx), in.PolicyArn)
}

type listPoliciesIn struct {
	Scope        string `json:"Scope"`
	OnlyAttached bool   `json:"OnlyAttached"`
	PathPrefix   string `json:"PathPrefix"`
	Marker       string `json:"Marker"`
	MaxItems     int    `json:"MaxItems"`
}

type listPoliciesResult struct {
	Policies    members[policy] `xml:"Policies"`
	IsTruncated bool            `xml:"IsTruncated"`
	Marker      string          `xml:"Marker,omitempty"`
}

func (a *api) listPolicies(ctx context.Context, in *listPoliciesIn) (*listPoliciesResult, error) {
	scope := "ListPolicies:" + in.Scope + ":" + strconv.FormatBool(in.OnlyAttached) + ":" + in.PathPrefix
	policies, truncated, marker, err := markerPage(a, ctx, scope, in.Marker,
		func(after string) ([]iamsvc.Policy, string, error) {
			return a.iam.ListPolicies(ctx, account(ctx), iamsvc.ListQuery{
				Scope: in.Scope, OnlyAttached: in.OnlyAttached, PathPrefix: in.PathPrefix, After: after, Limit: in.MaxItems,
			})
		},
		func(p iamsvc.Policy) policy { return policyOut(p, false) })
	if err != nil {
		return nil, err
	}
	return &listPoliciesResult{Policies: members[policy]{Items: policies}, IsTruncated: truncated, Marker: marker}, nil
}

// policyVersion is the model's PolicyVersion.
type policyVersion struct {
	Document         string          `xml:"Document,omitempty"`
	VersionID        string          `xml:"VersionId"`
	IsDefaultVersion bool            `xml:"IsDefaultVersion"`
	CreateDate       *awsapi.XMLTime `xml:"CreateDate,omitempty"`
}

func versionOut(v iamsvc.Version, withDocument bool) policyVersion {
	out := policyVersion{VersionID: v.VersionID, IsDefaultVersion: v.IsDefault, CreateDate: awsapi.XMLTimePtr(v.CreatedAt)}
	if withDocument {
		out.Document = encodeDocument(v.Document)
	}
	return out
}

type policyVersionResult struct {
	PolicyVersion policyVersion `xml:"PolicyVersion"`
}

func (a *api) createPolicyVersion(ctx context.Context, in *policyArnIn) (*policyVersionResult, error) {
	v, err := a.iam.CreatePolicyVersion(ctx, account(ctx), in.PolicyArn, in.PolicyDocument, in.SetAsDefault)
	if err != nil {
		return nil, err
	}
	return &policyVersionResult{PolicyVersion: versionOut(v, false)}, nil
}

func (a *api) getPolicyVersion(ctx context.Context, in *policyArnIn) (*policyVersionResult, error) {
	v, err := a.iam.GetPolicyVersion(ctx, account(ctx), in.PolicyArn, in.VersionID)
	if err != nil {
		return nil, err
	}
	return &policyVersionResult{PolicyVersion: versionOut(v, true)}, nil
}

func (a *api) deletePolicyVersion(ctx context.Context, in *policyArnIn) (*empty, error) {
	return nil, a.iam.DeletePolicyVersion(ctx, account(ctx), in.PolicyArn, in.VersionID)
}

func (a *api) setDefaultPolicyVersion(ctx context.Context, in *policyArnIn) (*empty, error) {
	return nil, a.iam.SetDefaultPolicyVersion(ctx, account(ctx), in.PolicyArn, in.VersionID)
}

type listVersionsResult struct {
	Versions    members[policyVersion] `xml:"Versions"`
	IsTruncated bool                   `xml:"IsTruncated"`
	Marker      string                 `xml:"Marker,omitempty"`
}

func (a *api) listPolicyVersions(ctx context.Context, in *policyArnIn) (*listVersionsResult, error) {
	scope := "ListPolicyVersions:" + in.PolicyArn
	// The marker is read before the versions, so that a bad one is
	// reported before a policy that does not exist.
	pos, err := a.page(ctx, scope, in.Marker)
	if err != nil {
		return nil, err
	}
	vs, err := a.iam.ListPolicyVersions(ctx, account(ctx), in.PolicyArn)
	if err != nil {
		return nil, err
	}
	page, truncated, marker := offsetPage(a, ctx, scope, vs, pos, in.MaxItems)
	out := &listVersionsResult{IsTruncated: truncated, Marker: marker}
	for _, v := range page {
		out.Versions.Items = append(out.Versions.Items, versionOut(v, false))
	}
	return out, nil
}

func (a *api) tagPolicy(ctx context.Context, in *policyArnIn) (*empty, error) {
	return nil, a.iam.TagPolicy(ctx, account(ctx), in.PolicyArn, awsapi.TagsIn(in.Tags))
}

func (a *api) untagPolicy(ctx context.Context, in *policyArnIn) (*empty, error) {
	return nil, a.iam.UntagPolicy(ctx, account(ctx), in.PolicyArn, in.TagKeys)
}

type listTagsResult struct {
	Tags        members[Tag] `xml:"Tags"`
	IsTruncated bool         `xml:"IsTruncated"`
}

func (a *api) listPolicyTags(ctx context.Context, in *policyArnIn) (*listTagsResult, error) {
	tags, err := a.iam.ListPolicyTags(ctx, account(ctx), in.PolicyArn)
	if err != nil {
		return nil, err
	}
	return &listTagsResult{Tags: members[Tag]{Items: awsapi.TagsOut(tags)}}, nil
}

// ---- roles ----

type permissionsBoundary struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

// role is the model's Role.
type role struct {
	Path                     string               `xml:"Path"`
	RoleName                 string               `xml:"RoleName"`
	RoleID                   string               `xml:"RoleId"`
	Arn                      string               `xml:"Arn"`
	CreateDate               *awsapi.XMLTime      `xml:"CreateDate"`
	AssumeRolePolicyDocument string               `xml:"AssumeRolePolicyDocument"`
	MaxSessionDuration       int                  `xml:"MaxSessionDuration"`
	PermissionsBoundary      *permissionsBoundary `xml:"PermissionsBoundary,omitempty"`
}

func roleOut(r iamsvc.Role) role {
	out := role{
		Path: r.Path, RoleName: r.RoleName, RoleID: r.RoleID, Arn: r.ARN, CreateDate: awsapi.XMLTimePtr(r.CreatedAt),
		AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument), MaxSessionDuration: r.MaxSessionDuration,
	}
	if r.BoundaryARN != "" {
		out.PermissionsBoundary = &permissionsBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: r.BoundaryARN}
	}
	return out
}

type roleIn struct {
	RoleName   string `json:"RoleName"`
	PolicyName string `json:"PolicyName"`
	PathPrefix string `json:"PathPrefix"`
	Marker     string `json:"Marker"`
	MaxItems   int    `json:"MaxItems"`
}

type roleResult struct {
	Role role `xml:"Role"`
}

func (a *api) getRole(ctx context.Context, in *roleIn) (*roleResult, error) {
	r, err := a.iam.GetRole(ctx, account(ctx), in.RoleName)
	if err != nil {
		return nil, err
	}
	return &roleResult{Role: roleOut(r)}, nil
}

type listRolesResult struct {
	Roles       members[role] `xml:"Roles"`
	IsTruncated bool          `xml:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty"`
}

func (a *api) listRoles(ctx context.Context, in *roleIn) (*listRolesResult, error) {
	roles, truncated, marker, err := markerPage(a, ctx, "ListRoles:"+in.PathPrefix, in.Marker,
		func(after string) ([]iamsvc.Role, string, error) {
			return a.iam.ListRoles(ctx, account(ctx), in.PathPrefix, after, in.MaxItems)
		},
		roleOut)
	if err != nil {
		return nil, err
	}
	return &listRolesResult{Roles: members[role]{Items: roles}, IsTruncated: truncated, Marker: marker}, nil
}

type listRolePoliciesResult struct {
	PolicyNames members[string] `xml:"PolicyNames"`
	IsTruncated bool            `xml:"IsTruncated"`
}

func (a *api) listRolePolicies(ctx context.Context, in *roleIn) (*listRolePoliciesResult, error) {
	names, err := a.iam.ListRolePolicies(ctx, account(ctx), in.RoleName)
	if err != nil {
		return nil, err
	}
	return &listRolePoliciesResult{PolicyNames: members[string]{Items: names}}, nil
}

type getRolePolicyResult struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (a *api) getRolePolicy(ctx context.Context, in *roleIn) (*getRolePolicyResult, error) {
	doc, err := a.iam.GetRolePolicy(ctx, account(ctx), in.RoleName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &getRolePolicyResult{RoleName: in.RoleName, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}, nil
}

type attachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type listAttachedResult struct {
	AttachedPolicies members[attachedPolicy] `xml:"AttachedPolicies"`
	IsTruncated      bool                    `xml:"IsTruncated"`
}

func (a *api) listAttachedRolePolicies(ctx context.Context, in *roleIn) (*listAttachedResult, error) {
	ps, err := a.iam.ListAttachedRolePolicies(ctx, account(ctx), in.RoleName)
	if err != nil {
		return nil, err
	}
	out := &listAttachedResult{}
	for _, p := range ps {
		out.AttachedPolicies.Items = append(out.AttachedPolicies.Items, attachedPolicy{PolicyName: p.Name, PolicyArn: p.ARN})
	}
	return out, nil
}
