package iam

import (
	"context"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	iamsvc "github.com/gatehouse/gatehouse/internal/iam"
)

// ---- users ----

// user is the model's User.
type user struct {
	Path                string               `xml:"Path"`
	UserName            string               `xml:"UserName"`
	UserID              string               `xml:"UserId"`
	Arn                 string               `xml:"Arn"`
	CreateDate          *awsapi.XMLTime      `xml:"CreateDate"`
	PermissionsBoundary *permissionsBoundary `xml:"PermissionsBoundary,omitempty"`
	Tags                *members[Tag]        `xml:"Tags,omitempty"`
}

func userOut(u iamsvc.User, withTags bool) user {
	out := user{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN, CreateDate: awsapi.XMLTimePtr(u.CreatedAt)}
	if u.BoundaryARN != "" {
		out.PermissionsBoundary = &permissionsBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: u.BoundaryARN}
	}
	if withTags && len(u.Tags) > 0 {
		out.Tags = &members[Tag]{Items: awsapi.TagsOut(u.Tags)}
	}
	return out
}

// userIn is the input of the operations on a user.
type userIn struct {
	UserName            string   `json:"UserName"`
	Path                string   `json:"Path"`
	PathPrefix          string   `json:"PathPrefix"`
	PermissionsBoundary string   `json:"PermissionsBoundary"`
	PolicyName          string   `json:"PolicyName"`
	PolicyDocument      string   `json:"PolicyDocument"`
	PolicyArn           string   `json:"PolicyArn"`
	AccessKeyID         string   `json:"AccessKeyId"`
	Status              string   `json:"Status"`
	Tags                []Tag    `json:"Tags"`
	TagKeys             []string `json:"TagKeys"`
	Marker              string   `json:"Marker"`
	MaxItems            int      `json:"MaxItems"`
}

// callerUser is the user an operation acts on when UserName is omitted:
// the IAM user whose key signed the request, as IAM does. Role sessions
// must name the user.
func callerUser(ctx context.Context, name string) (string, error) {
	if name != "" {
		return name, nil
	}
	c, _ := awsapi.CallerFrom(ctx)
	if c.Type != "IAMUser" || c.UserName == "" {
		f := fault.Invalidf("Must specify userName when calling with non-User credentials")
		f.Code = "ValidationError"
		return "", f
	}
	return c.UserName, nil
}

type userResult struct {
	User user `xml:"User"`
}

func (a *api) createUser(ctx context.Context, in *userIn) (*userResult, error) {
	u, err := a.iam.CreateUser(ctx, account(ctx), iamsvc.NewUser{Name: in.UserName, Path: in.Path, Boundary: in.PermissionsBoundary, Tags: awsapi.TagsIn(in.Tags)})
	if err != nil {
		return nil, err
	}
	return &userResult{User: userOut(u, true)}, nil
}

func (a *api) getUser(ctx context.Context, in *userIn) (*userResult, error) {
	name, err := callerUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	u, err := a.iam.GetUser(ctx, account(ctx), name)
	if err != nil {
		return nil, err
	}
	return &userResult{User: userOut(u, true)}, nil
}

type listUsersResult struct {
	Users       members[user] `xml:"Users"`
	IsTruncated bool          `xml:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty"`
}

func (a *api) listUsers(ctx context.Context, in *userIn) (*listUsersResult, error) {
	users, truncated, marker, err := markerPage(a, ctx, "ListUsers:"+in.PathPrefix, in.Marker,
		func(after string) ([]iamsvc.User, string, error) {
			return a.iam.ListUsers(ctx, account(ctx), in.PathPrefix, after, in.MaxItems)
		},
		func(u iamsvc.User) user { return userOut(u, false) })
	if err != nil {
		return nil, err
	}
	return &listUsersResult{Users: members[user]{Items: users}, IsTruncated: truncated, Marker: marker}, nil
}

func (a *api) deleteUser(ctx context.Context, in *userIn) (*empty, error) {
	return nil, a.iam.DeleteUser(ctx, account(ctx), in.UserName)
}

func (a *api) tagUser(ctx context.Context, in *userIn) (*empty, error) {
	return nil, a.iam.TagUser(ctx, account(ctx), in.UserName, awsapi.TagsIn(in.Tags))
}

func (a *api) untagUser(ctx context.Context, in *userIn) (*empty, error) {
	return nil, a.iam.UntagUser(ctx, account(ctx), in.UserName, in.TagKeys)
}

func (a *api) listUserTags(ctx context.Context, in *userIn) (*listTagsResult, error) {
	tags, err := a.iam.ListUserTags(ctx, account(ctx), in.UserName)
	if err != nil {
		return nil, err
	}
	return &listTagsResult{Tags: members[Tag]{Items: awsapi.TagsOut(tags)}}, nil
}

// ---- inline policies ----

func (a *api) putUserPolicy(ctx context.Context, in *userIn) (*empty, error) {
	return nil, a.iam.PutUserPolicy(ctx, account(ctx), in.UserName, in.PolicyName, in.PolicyDocument)
}

type getUserPolicyResult struct {
	UserName       string `xml:"UserName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (a *api) getUserPolicy(ctx context.Context, in *userIn) (*getUserPolicyResult, error) {
	doc, err := a.iam.GetUserPolicy(ctx, account(ctx), in.UserName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &getUserPolicyResult{UserName: in.UserName, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}, nil
}

func (a *api) deleteUserPolicy(ctx context.Context, in *userIn) (*empty, error) {
	return nil, a.iam.DeleteUserPolicy(ctx, account(ctx), in.UserName, in.PolicyName)
}

type listNamesResult struct {
	PolicyNames members[string] `xml:"PolicyNames"`
	IsTruncated bool            `xml:"IsTruncated"`
	Marker      string          `xml:"Marker,omitempty"`
}

func (a *api) listUserPolicies(ctx context.Context, in *userIn) (*listNamesResult, error) {
	names, err := a.iam.ListUserPolicies(ctx, account(ctx), in.UserName)
	if err != nil {
		return nil, err
	}
	items, truncated, marker, err := pageSlice(a, ctx, "ListUserPolicies:"+in.UserName, names, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &listNamesResult{PolicyNames: members[string]{Items: items}, IsTruncated: truncated, Marker: marker}, nil
}

// pageSlice pages through a short list that is read whole (a user's
// policies): the marker is the offset, sealed like every other marker.
func pageSlice[T any](a *api, ctx context.Context, scope string, all []T, marker string, maxItems int) ([]T, bool, string, error) {
	pos, err := a.page(ctx, scope, marker)
	if err != nil {
		return nil, false, "", err
	}
	items, truncated, next := offsetPage(a, ctx, scope, all, pos, maxItems)
	return items, truncated, next, nil
}

// offsetPage cuts the page at offset pos, a marker's position, out of a
// list read whole, and returns it with IsTruncated and the Marker of the
// next page.
func offsetPage[T any](a *api, ctx context.Context, scope string, all []T, pos string, maxItems int) ([]T, bool, string) {
	start, _ := strconv.Atoi(pos)
	start = min(max(start, 0), len(all))
	if maxItems <= 0 {
		maxItems = 100
	}
	end := min(start+maxItems, len(all))
	items := append([]T{}, all[start:end]...)
	if end < len(all) {
		return items, true, a.next(ctx, scope, strconv.Itoa(end))
	}
	return items, false, ""
}

// ---- managed policies and the boundary ----

func (a *api) attachUserPolicy(ctx context.Context, in *userIn) (*empty, error) {
	return nil, a.iam.AttachUserPolicy(ctx, account(ctx), in.UserName, in.PolicyArn)
}

func (a *api) detachUserPolicy(ctx context.Context, in *userIn) (*empty, error) {
	return nil, a.iam.DetachUserPolicy(ctx, account(ctx), in.UserName, in.PolicyArn)
}

type listAttachedPagedResult struct {
	AttachedPolicies members[attachedPolicy] `xml:"AttachedPolicies"`
	IsTruncated      bool                    `xml:"IsTruncated"`
	Marker           string                  `xml:"Marker,omitempty"`
}

func (a *api) listAttachedUserPolicies(ctx context.Context, in *userIn) (*listAttachedPagedResult, error) {
	ps, err := a.iam.ListAttachedUserPolicies(ctx, account(ctx), in.UserName)
	if err != nil {
		return nil, err
	}
	var all []attachedPolicy
	for _, p := range ps {
		if in.PathPrefix != "" {
			ref, err := iamsvc.ParsePolicyARN(p.ARN)
			if err != nil || len(ref.Path) < len(in.PathPrefix) || ref.Path[:len(in.PathPrefix)] != in.PathPrefix {
				continue
			}
		}
		all = append(all, attachedPolicy{PolicyName: p.Name, PolicyArn: p.ARN})
	}
	items, truncated, marker, err := pageSlice(a, ctx, "ListAttachedUserPolicies:"+in.UserName+":"+in.PathPrefix, all, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &listAttachedPagedResult{AttachedPolicies: members[attachedPolicy]{Items: items}, IsTruncated: truncated, Marker: marker}, nil
}

func (a *api) putUserPermissionsBoundary(ctx context.Context, in *userIn) (*empty, error) {
	return nil, a.iam.PutUserPermissionsBoundary(ctx, account(ctx), in.UserName, in.PermissionsBoundary)
}

func (a *api) deleteUserPermissionsBoundary(ctx context.Context, in *userIn) (*empty, error) {
	return nil, a.iam.DeleteUserPermissionsBoundary(ctx, account(ctx), in.UserName)
}

// ---- access keys ----

// accessKey is the model's AccessKey: the only place a secret is ever
// returned.
type accessKey struct {
	UserName        string          `xml:"UserName"`
	AccessKeyID     string          `xml:"AccessKeyId"`
	Status          string          `xml:"Status"`
	SecretAccessKey string          `xml:"SecretAccessKey"`
	CreateDate      *awsapi.XMLTime `xml:"CreateDate,omitempty"`
}

type createAccessKeyResult struct {
	AccessKey accessKey `xml:"AccessKey"`
}

func callerARN(ctx context.Context) string {
	c, _ := awsapi.CallerFrom(ctx)
	return c.PrincipalARN
}

func (a *api) createAccessKey(ctx context.Context, in *userIn) (*createAccessKeyResult, error) {
	name, err := callerUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	k, secret, err := a.iam.CreateAccessKey(ctx, account(ctx), name, callerARN(ctx))
	if err != nil {
		return nil, err
	}
	return &createAccessKeyResult{AccessKey: accessKey{UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status,
		SecretAccessKey: secret.Reveal(), CreateDate: awsapi.XMLTimePtr(k.CreatedAt)}}, nil
}

type accessKeyMetadata struct {
	UserName    string          `xml:"UserName"`
	AccessKeyID string          `xml:"AccessKeyId"`
	Status      string          `xml:"Status"`
	CreateDate  *awsapi.XMLTime `xml:"CreateDate,omitempty"`
}

type listAccessKeysResult struct {
	AccessKeyMetadata members[accessKeyMetadata] `xml:"AccessKeyMetadata"`
	IsTruncated       bool                       `xml:"IsTruncated"`
	Marker            string                     `xml:"Marker,omitempty"`
}

func (a *api) listAccessKeys(ctx context.Context, in *userIn) (*listAccessKeysResult, error) {
	name, err := callerUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	ks, err := a.iam.ListAccessKeys(ctx, account(ctx), name, callerARN(ctx))
	if err != nil {
		return nil, err
	}
	all := make([]accessKeyMetadata, len(ks))
	for i, k := range ks {
		all[i] = accessKeyMetadata{UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status, CreateDate: awsapi.XMLTimePtr(k.CreatedAt)}
	}
	items, truncated, marker, err := pageSlice(a, ctx, "ListAccessKeys:"+name, all, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &listAccessKeysResult{AccessKeyMetadata: members[accessKeyMetadata]{Items: items}, IsTruncated: truncated, Marker: marker}, nil
}

func (a *api) updateAccessKey(ctx context.Context, in *userIn) (*empty, error) {
	name, err := callerUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return nil, a.iam.UpdateAccessKey(ctx, account(ctx), name, in.AccessKeyID, in.Status, callerARN(ctx))
}

func (a *api) deleteAccessKey(ctx context.Context, in *userIn) (*empty, error) {
	name, err := callerUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return nil, a.iam.DeleteAccessKey(ctx, account(ctx), name, in.AccessKeyID, callerARN(ctx))
}
