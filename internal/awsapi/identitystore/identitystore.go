// Package identitystore serves the AWS Identity Store API
// (AWSIdentityStore.*, JSON 1.1) on top of the directory service.
//
// The wire types mirror the identitystore service model; the store's
// profile types already carry the model's member names, so user attributes
// pass through unchanged.
package identitystore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/jsonw"
	"github.com/gatehouse/gatehouse/internal/store"
)

// api holds the adapter's dependencies.
type api struct {
	dir   *directory.Service
	pages awsapi.Listings
	authz awsapi.Authorizer
	// accountID owns the identity store, for its ARN.
	accountID string
}

// op builds an operation that asks the authorizer for
// "identitystore:<action>" on the resources scope names, then checks the
// identity store the input names, before it runs. Every operation acts in
// the one identity store, so none checks it itself.
func op[In, Out any, P storeInput[In]](a *api, readOnly bool, action string, fn func(context.Context, *In) (*Out, error),
	scope func(context.Context, *In) awsapi.Scope) awsapi.Operation {
	inStore := func(ctx context.Context, in *In) (*Out, error) {
		if err := a.check(P(in).storeID()); err != nil {
			return nil, err
		}
		return fn(ctx, in)
	}
	return awsapi.Op(readOnly, awsapi.GuardScope(a.authz, "identitystore:"+action, scope, inStore))
}

// storeInput is the input of an operation, which names the identity store
// it acts in.
type storeInput[In any] interface {
	*In
	storeID() string
}

// Service returns the identitystore service description for the router.
// accountID is the management account, which owns the identity store.
func Service(dir *directory.Service, pager *awsapi.Pager, v awsapi.Validator, authz awsapi.Authorizer, accountID string) *awsapi.JSONService {
	a := &api{dir: dir, pages: awsapi.Listings{Pager: pager, Service: "identitystore"}, authz: authz, accountID: accountID}
	// The resources of each operation are those of the Service
	// Authorization Reference for Identity Store: the identity store
	// always, the user, group or membership acted on, and for listings
	// the "all users/groups/memberships" resource instead of each item.
	return &awsapi.JSONService{
		TargetPrefix: "AWSIdentityStore",
		SigningName:  "identitystore",
		EventSource:  "identitystore.amazonaws.com",
		Validator:    v,
		Operations: map[string]awsapi.Operation{
			"CreateUser": op(a, false, "CreateUser", a.createUser, func(_ context.Context, in *createUserIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID)
			}),
			"DescribeUser": op(a, true, "DescribeUser", a.describeUser, func(_ context.Context, in *describeUserIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, userARN(in.UserID))
			}),
			"UpdateUser": op(a, false, "UpdateUser", a.updateUser, func(_ context.Context, in *updateIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, userARN(in.UserID))
			}),
			"DeleteUser": op(a, false, "DeleteUser", a.deleteUser, func(_ context.Context, in *userRef) awsapi.Scope {
				return a.scope(in.IdentityStoreID, userARN(in.UserID))
			}),
			"ListUsers": op(a, true, "ListUsers", a.listUsers, func(_ context.Context, in *listIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, allUsers)
			}),
			// The user is not known before the lookup: "user/*".
			"GetUserId": op(a, true, "GetUserId", a.getUserID, func(_ context.Context, in *getIDIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, allUsers)
			}),
			"CreateGroup": op(a, false, "CreateGroup", a.createGroup, func(_ context.Context, in *createGroupIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID)
			}),
			"DescribeGroup": op(a, true, "DescribeGroup", a.describeGroup, func(_ context.Context, in *groupRef) awsapi.Scope {
				return a.scope(in.IdentityStoreID, groupARN(in.GroupID))
			}),
			"UpdateGroup": op(a, false, "UpdateGroup", a.updateGroup, func(_ context.Context, in *updateIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, groupARN(in.GroupID))
			}),
			"DeleteGroup": op(a, false, "DeleteGroup", a.deleteGroup, func(_ context.Context, in *groupRef) awsapi.Scope {
				return a.scope(in.IdentityStoreID, groupARN(in.GroupID))
			}),
			"ListGroups": op(a, true, "ListGroups", a.listGroups, func(_ context.Context, in *listIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, allGroups)
			}),
			"GetGroupId": op(a, true, "GetGroupId", a.getGroupID, func(_ context.Context, in *getIDIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, allGroups)
			}),
			"CreateGroupMembership": op(a, false, "CreateGroupMembership", a.createMembership, func(_ context.Context, in *membershipIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, groupARN(in.GroupID), userARN(in.MemberID.UserID))
			}),
			"DeleteGroupMembership":   op(a, false, "DeleteGroupMembership", a.deleteMembership, a.membershipScope),
			"DescribeGroupMembership": op(a, true, "DescribeGroupMembership", a.describeMembership, a.membershipScope),
			"GetGroupMembershipId": op(a, true, "GetGroupMembershipId", a.getMembershipID, func(_ context.Context, in *membershipIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, groupARN(in.GroupID), allMemberships, userARN(in.MemberID.UserID))
			}),
			"ListGroupMemberships": op(a, true, "ListGroupMemberships", a.listMemberships, func(_ context.Context, in *membershipIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, allMemberships, groupARN(in.GroupID))
			}),
			"ListGroupMembershipsForMember": op(a, true, "ListGroupMembershipsForMember", a.listMembershipsForMember, func(_ context.Context, in *membershipIn) awsapi.Scope {
				return a.scope(in.IdentityStoreID, allMemberships, userARN(in.MemberID.UserID))
			}),
			"IsMemberInGroups": op(a, true, "IsMemberInGroups", a.isMemberInGroups, func(_ context.Context, in *membershipIn) awsapi.Scope {
				arns := []string{allMemberships, userARN(in.MemberID.UserID)}
				for _, g := range in.GroupIDs {
					arns = append(arns, groupARN(g))
				}
				return a.scope(in.IdentityStoreID, arns...)
			}),
		},
	}
}

// The resource ARNs of Identity Store, as the reference spells them.
const (
	allUsers       = "arn:aws:identitystore:::user/*"
	allGroups      = "arn:aws:identitystore:::group/*"
	allMemberships = "arn:aws:identitystore:::membership/*"
)

func userARN(id string) string {
	if id == "" {
		return ""
	}
	return "arn:aws:identitystore:::user/" + id
}

func groupARN(id string) string {
	if id == "" {
		return ""
	}
	return "arn:aws:identitystore:::group/" + id
}

// scope names the identity store and the other resources that are set.
func (a *api) scope(storeID string, arns ...string) awsapi.Scope {
	out := make([]string, 0, len(arns)+1)
	if storeID != "" {
		out = append(out, "arn:aws:identitystore::"+a.accountID+":identitystore/"+storeID)
	}
	for _, r := range arns {
		if r != "" {
			out = append(out, r)
		}
	}
	return awsapi.Scope{Resources: out}
}

// membershipScope names a membership with its group and member, which the
// request does not carry: they are read from the membership, so that an
// administrator limited to some groups cannot reach another group's
// memberships by id. A membership that does not exist is named alone, and
// the operation reports it.
func (a *api) membershipScope(ctx context.Context, in *membershipIn) awsapi.Scope {
	sc := a.scope(in.IdentityStoreID, "arn:aws:identitystore:::membership/"+in.MembershipID)
	if m, err := a.dir.GetMembership(ctx, in.MembershipID); err == nil {
		sc.Derived = []string{groupARN(m.GroupID), userARN(m.UserID)}
	}
	return sc
}

// ---- wire types ----

type storeRef struct {
	IdentityStoreID string `json:"IdentityStoreId"`
}

// User is the model's User shape.
type User struct {
	IdentityStoreID   string                     `json:"IdentityStoreId"`
	UserID            string                     `json:"UserId"`
	UserName          string                     `json:"UserName,omitempty"`
	ExternalIDs       []store.ExternalID         `json:"ExternalIds,omitempty"`
	Name              *store.Name                `json:"Name,omitempty"`
	DisplayName       string                     `json:"DisplayName,omitempty"`
	NickName          string                     `json:"NickName,omitempty"`
	ProfileURL        string                     `json:"ProfileUrl,omitempty"`
	Emails            []store.Email              `json:"Emails,omitempty"`
	Addresses         []store.Address            `json:"Addresses,omitempty"`
	PhoneNumbers      []store.PhoneNumber        `json:"PhoneNumbers,omitempty"`
	UserType          string                     `json:"UserType,omitempty"`
	Title             string                     `json:"Title,omitempty"`
	PreferredLanguage string                     `json:"PreferredLanguage,omitempty"`
	Locale            string                     `json:"Locale,omitempty"`
	Timezone          string                     `json:"Timezone,omitempty"`
	UserStatus        string                     `json:"UserStatus,omitempty"`
	Photos            []store.Photo              `json:"Photos,omitempty"`
	Website           string                     `json:"Website,omitempty"`
	Birthdate         string                     `json:"Birthdate,omitempty"`
	Roles             []store.Role               `json:"Roles,omitempty"`
	CreatedAt         *awsapi.Time               `json:"CreatedAt,omitempty"`
	CreatedBy         string                     `json:"CreatedBy,omitempty"`
	UpdatedAt         *awsapi.Time               `json:"UpdatedAt,omitempty"`
	UpdatedBy         string                     `json:"UpdatedBy,omitempty"`
	Extensions        map[string]json.RawMessage `json:"Extensions,omitempty"`
}

// userOut renders a user; extensions appear only when asked for, as the API
// documents.
func userOut(u store.User, storeID string, extensions []string) *User {
	p := u.Profile
	out := &User{
		IdentityStoreID: storeID, UserID: u.ID, UserName: u.UserName, ExternalIDs: p.ExternalIDs, Name: p.Name,
		DisplayName: u.DisplayName, NickName: p.NickName, ProfileURL: p.ProfileURL, Emails: p.Emails,
		Addresses: p.Addresses, PhoneNumbers: p.PhoneNumbers, UserType: p.UserType, Title: p.Title,
		PreferredLanguage: p.PreferredLanguage, Locale: p.Locale, Timezone: p.Timezone, UserStatus: u.Status,
		Photos: p.Photos, Website: p.Website, Birthdate: p.Birthdate, Roles: p.Roles,
		CreatedAt: awsapi.TimePtr(u.CreatedAt), CreatedBy: u.CreatedBy, UpdatedAt: awsapi.TimePtr(u.UpdatedAt), UpdatedBy: u.UpdatedBy,
	}
	for _, name := range extensions {
		if v, ok := p.Extensions[name]; ok {
			if out.Extensions == nil {
				out.Extensions = map[string]json.RawMessage{}
			}
			out.Extensions[name] = v
		}
	}
	return out
}

// extensionsMember is how a stored profile that has extensions names them.
var extensionsMember = []byte(`"Extensions":`)

// appendUser appends to b the JSON encoding of userOut(u, storeID,
// extensions), writing the user's own members and splicing the stored
// profile's members in as they are: store.UserProfile and User name their
// shared members alike and give them the same types, so the profile's
// encoding is already theirs (store.RawUser promises encoding/json wrote
// it). Members are written as encoding/json writes User's: strings escaped
// alike, empty ones and zero times omitted.
//
// A profile with extensions goes the decoded way instead, since the output
// carries only the extensions asked for. The test for them may be fooled
// into it by an extension's own key, never out of it.
func appendUser(b []byte, u store.RawUser, storeID string, extensions []string) ([]byte, error) {
	p := u.Profile
	if len(p) < 2 || p[0] != '{' || p[len(p)-1] != '}' || bytes.Contains(p, extensionsMember) {
		full, err := u.Decode()
		if err != nil {
			return nil, fmt.Errorf("identitystore: %w", err)
		}
		enc, err := json.Marshal(userOut(full, storeID, extensions))
		if err != nil {
			return nil, fmt.Errorf("identitystore: encode user %s: %w", u.ID, err)
		}
		return append(b, enc...), nil
	}
	b = append(b, `{"IdentityStoreId":`...)
	b = jsonw.AppendString(b, storeID)
	b = append(b, `,"UserId":`...)
	b = jsonw.AppendString(b, u.ID)
	b = jsonw.AppendOptional(b, "UserName", u.UserName)
	b = jsonw.AppendOptional(b, "DisplayName", u.DisplayName)
	b = jsonw.AppendOptional(b, "UserStatus", u.Status)
	b = appendTime(b, "CreatedAt", u.CreatedAt)
	b = jsonw.AppendOptional(b, "CreatedBy", u.CreatedBy)
	b = appendTime(b, "UpdatedAt", u.UpdatedAt)
	b = jsonw.AppendOptional(b, "UpdatedBy", u.UpdatedBy)
	if members := bytes.TrimSpace(p[1 : len(p)-1]); len(members) > 0 {
		b = append(b, ',')
		b = append(b, members...)
	}
	return append(b, '}'), nil
}

// appendTime appends ,"name":time as a *awsapi.Time member from TimePtr:
// omitted for the zero time.
func appendTime(b []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return awsapi.Time(t).AppendJSON(b)
}

// Group is the model's Group shape.
type Group struct {
	GroupID         string             `json:"GroupId"`
	DisplayName     string             `json:"DisplayName,omitempty"`
	ExternalIDs     []store.ExternalID `json:"ExternalIds,omitempty"`
	Description     string             `json:"Description,omitempty"`
	CreatedAt       *awsapi.Time       `json:"CreatedAt,omitempty"`
	UpdatedAt       *awsapi.Time       `json:"UpdatedAt,omitempty"`
	CreatedBy       string             `json:"CreatedBy,omitempty"`
	UpdatedBy       string             `json:"UpdatedBy,omitempty"`
	IdentityStoreID string             `json:"IdentityStoreId"`
}

func groupOut(g store.Group, storeID string) *Group {
	return &Group{
		GroupID: g.ID, DisplayName: g.DisplayName, ExternalIDs: g.ExternalIDs, Description: g.Description,
		CreatedAt: awsapi.TimePtr(g.CreatedAt), UpdatedAt: awsapi.TimePtr(g.UpdatedAt), CreatedBy: g.CreatedBy, UpdatedBy: g.UpdatedBy,
		IdentityStoreID: storeID,
	}
}

// MemberID is the model's MemberId union.
type MemberID struct {
	UserID string `json:"UserId,omitempty"`
}

// Membership is the model's GroupMembership shape.
type Membership struct {
	IdentityStoreID string       `json:"IdentityStoreId"`
	MembershipID    string       `json:"MembershipId,omitempty"`
	GroupID         string       `json:"GroupId,omitempty"`
	MemberID        *MemberID    `json:"MemberId,omitempty"`
	CreatedAt       *awsapi.Time `json:"CreatedAt,omitempty"`
	UpdatedAt       *awsapi.Time `json:"UpdatedAt,omitempty"`
	CreatedBy       string       `json:"CreatedBy,omitempty"`
	UpdatedBy       string       `json:"UpdatedBy,omitempty"`
}

func membershipOut(m store.Membership, storeID string) Membership {
	return Membership{
		IdentityStoreID: storeID, MembershipID: m.ID, GroupID: m.GroupID, MemberID: &MemberID{UserID: m.UserID},
		CreatedAt: awsapi.TimePtr(m.CreatedAt), UpdatedAt: awsapi.TimePtr(m.CreatedAt), CreatedBy: m.CreatedBy, UpdatedBy: m.CreatedBy,
	}
}

// AttributeOperation is the model's AttributeOperation.
type AttributeOperation struct {
	AttributePath  string          `json:"AttributePath"`
	AttributeValue json.RawMessage `json:"AttributeValue"`
}

func operations(in []AttributeOperation) []directory.AttributeOperation {
	out := make([]directory.AttributeOperation, len(in))
	for i, op := range in {
		out[i] = directory.AttributeOperation{Path: op.AttributePath, Value: op.AttributeValue}
	}
	return out
}

// Filter is the deprecated ListUsers/ListGroups filter.
type Filter struct {
	AttributePath  string `json:"AttributePath"`
	AttributeValue string `json:"AttributeValue"`
}

// AlternateIdentifier is the model's union of an external id and a unique
// attribute.
type AlternateIdentifier struct {
	ExternalID *store.ExternalID `json:"ExternalId,omitempty"`
	Unique     *struct {
		AttributePath  string          `json:"AttributePath"`
		AttributeValue json.RawMessage `json:"AttributeValue"`
	} `json:"UniqueAttribute,omitempty"`
}

// findID resolves an alternate identifier with the directory's finders of
// users or of groups: by external id or by unique attribute. An identifier
// that is neither (which the model does not allow) names no one: "".
func findID(ctx context.Context, alt AlternateIdentifier,
	byExternalID func(ctx context.Context, issuer, id string) (string, error),
	byAttribute func(ctx context.Context, path, value string) (string, error)) (string, error) {
	switch {
	case alt.ExternalID != nil:
		return byExternalID(ctx, alt.ExternalID.Issuer, alt.ExternalID.ID)
	case alt.Unique != nil:
		v, err := uniqueValue(alt.Unique.AttributeValue)
		if err != nil {
			return "", err
		}
		return byAttribute(ctx, alt.Unique.AttributePath, v)
	}
	return "", nil
}

// uniqueValue reads the document-typed value of a unique attribute, which
// must be a string for every attribute that can be unique.
func uniqueValue(raw json.RawMessage) (string, error) {
	var s string
	if len(raw) == 0 || string(raw) == "null" {
		return "", fault.Invalidf("attribute value cannot be empty or null for attribute path")
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fault.Invalidf("attribute value must be a string for a unique attribute")
	}
	return s, nil
}

func checkFilters(filters []Filter, path string) (string, error) {
	if len(filters) == 0 {
		return "", nil
	}
	f := filters[0]
	if !strings.EqualFold(f.AttributePath, path) {
		return "", fault.Invalidf("Invalid filter attribute path %s; %s is the only supported attribute path", f.AttributePath, path)
	}
	return f.AttributeValue, nil
}

// check verifies the identity store id a request names: the one there is.
func (a *api) check(id string) error { return a.dir.CheckStore(id) }
