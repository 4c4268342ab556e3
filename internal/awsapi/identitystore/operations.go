package identitystore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/jsonw"
	"github.com/gatehouse/gatehouse/internal/store"
)

type empty struct{}

// ---- users ----

type createUserIn struct {
	IdentityStoreID   string                     `json:"IdentityStoreId"`
	UserName          string                     `json:"UserName"`
	Name              *store.Name                `json:"Name"`
	DisplayName       string                     `json:"DisplayName"`
	NickName          string                     `json:"NickName"`
	ProfileURL        string                     `json:"ProfileUrl"`
	Emails            []store.Email              `json:"Emails"`
	Addresses         []store.Address            `json:"Addresses"`
	PhoneNumbers      []store.PhoneNumber        `json:"PhoneNumbers"`
	UserType          string                     `json:"UserType"`
	Title             string                     `json:"Title"`
	PreferredLanguage string                     `json:"PreferredLanguage"`
	Locale            string                     `json:"Locale"`
	Timezone          string                     `json:"Timezone"`
	Photos            []store.Photo              `json:"Photos"`
	Website           string                     `json:"Website"`
	Birthdate         string                     `json:"Birthdate"`
	Roles             []store.Role               `json:"Roles"`
	Extensions        map[string]json.RawMessage `json:"Extensions"`
}

func (in *createUserIn) storeID() string { return in.IdentityStoreID }

type userRef struct {
	IdentityStoreID string `json:"IdentityStoreId"`
	UserID          string `json:"UserId"`
}

func (in *userRef) storeID() string { return in.IdentityStoreID }

func (a *api) createUser(ctx context.Context, in *createUserIn) (*userRef, error) {
	u, err := a.dir.CreateUser(ctx, directory.NewUser{
		UserName: in.UserName, DisplayName: in.DisplayName,
		Profile: store.UserProfile{
			Name: in.Name, NickName: in.NickName, ProfileURL: in.ProfileURL, Emails: in.Emails, Addresses: in.Addresses,
			PhoneNumbers: in.PhoneNumbers, UserType: in.UserType, Title: in.Title, PreferredLanguage: in.PreferredLanguage,
			Locale: in.Locale, Timezone: in.Timezone, Photos: in.Photos, Website: in.Website, Birthdate: in.Birthdate,
			Roles: in.Roles, Extensions: in.Extensions,
		},
	})
	if err != nil {
		return nil, err
	}
	return &userRef{IdentityStoreID: in.IdentityStoreID, UserID: u.ID}, nil
}

type describeUserIn struct {
	IdentityStoreID string   `json:"IdentityStoreId"`
	UserID          string   `json:"UserId"`
	Extensions      []string `json:"Extensions"`
}

func (in *describeUserIn) storeID() string { return in.IdentityStoreID }

func (a *api) describeUser(ctx context.Context, in *describeUserIn) (*User, error) {
	u, err := a.dir.GetUser(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	return userOut(u, in.IdentityStoreID, in.Extensions), nil
}

type updateIn struct {
	IdentityStoreID string               `json:"IdentityStoreId"`
	UserID          string               `json:"UserId"`
	GroupID         string               `json:"GroupId"`
	Operations      []AttributeOperation `json:"Operations"`
}

func (in *updateIn) storeID() string { return in.IdentityStoreID }

func (a *api) updateUser(ctx context.Context, in *updateIn) (*empty, error) {
	return &empty{}, a.dir.UpdateUser(ctx, in.UserID, operations(in.Operations))
}

func (a *api) deleteUser(ctx context.Context, in *userRef) (*empty, error) {
	return &empty{}, a.dir.DeleteUser(ctx, in.UserID)
}

type listIn struct {
	IdentityStoreID string   `json:"IdentityStoreId"`
	MaxResults      *int     `json:"MaxResults"`
	NextToken       string   `json:"NextToken"`
	Filters         []Filter `json:"Filters"`
	Extensions      []string `json:"Extensions"`
}

func (in *listIn) storeID() string { return in.IdentityStoreID }

type listUsersOut struct {
	Users     []*User `json:"Users"`
	NextToken string  `json:"NextToken,omitempty"`
}

// listUsers encodes its page itself (appendUser), splicing each stored
// profile into its user rather than decoding the profile only to encode it
// again, which was most of the server's CPU per page; the page means what
// encoding listUsersOut would give (TestListUsersMatchesDecodedPath). The
// deprecated filter keeps the decoded path: it reads at most one user, by
// another query.
func (a *api) listUsers(ctx context.Context, in *listIn) (*awsapi.EncodedOutput, error) {
	name, err := checkFilters(in.Filters, "UserName")
	if err != nil {
		return nil, err
	}
	scope := "ListUsers:" + name
	if name != "" {
		return a.listUsersDecoded(ctx, in, scope, name)
	}
	after, err := a.pages.Position(scope, in.NextToken)
	if err != nil {
		return nil, err
	}
	users, more, err := a.dir.ListRawUsers(ctx, after, awsapi.MaxResults(in.MaxResults))
	if err != nil {
		return nil, err
	}
	// One allocation for the page: each user's own members (ids, ARNs of
	// its creator and updater, times) take about 300 bytes beside its
	// profile.
	size := 64
	for _, u := range users {
		size += len(u.Profile) + 320
	}
	b := make([]byte, 0, size)
	b = append(b, `{"Users":[`...)
	for i, u := range users {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendUser(b, u, in.IdentityStoreID, in.Extensions); err != nil {
			return nil, err
		}
	}
	b = append(b, ']')
	if len(users) > 0 {
		if token := a.pages.Next(scope, more, users[len(users)-1].ID); token != "" {
			b = append(b, `,"NextToken":`...)
			b = jsonw.AppendString(b, token)
		}
	}
	return &awsapi.EncodedOutput{JSON: append(b, '}')}, nil
}

// listUsersDecoded answers a filtered ListUsers from decoded users, as
// listUsers did before it encoded pages itself.
func (a *api) listUsersDecoded(ctx context.Context, in *listIn, scope, name string) (*awsapi.EncodedOutput, error) {
	users, next, err := awsapi.ListPage(a.pages, scope, in.NextToken, in.MaxResults,
		func(after string, max int) ([]store.User, bool, error) { return a.dir.ListUsers(ctx, after, max, name) },
		func(u store.User) string { return u.ID },
		func(u store.User) (*User, error) { return userOut(u, in.IdentityStoreID, in.Extensions), nil })
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(&listUsersOut{Users: users, NextToken: next})
	if err != nil {
		return nil, fmt.Errorf("identitystore: encode ListUsers output: %w", err)
	}
	return &awsapi.EncodedOutput{JSON: b}, nil
}

type getIDIn struct {
	IdentityStoreID     string              `json:"IdentityStoreId"`
	AlternateIdentifier AlternateIdentifier `json:"AlternateIdentifier"`
}

func (in *getIDIn) storeID() string { return in.IdentityStoreID }

func (a *api) getUserID(ctx context.Context, in *getIDIn) (*userRef, error) {
	id, err := findID(ctx, in.AlternateIdentifier, a.dir.FindUserByExternalID, a.dir.FindUserID)
	if err != nil {
		return nil, err
	}
	return &userRef{IdentityStoreID: in.IdentityStoreID, UserID: id}, nil
}

// ---- groups ----

type createGroupIn struct {
	IdentityStoreID string `json:"IdentityStoreId"`
	DisplayName     string `json:"DisplayName"`
	Description     string `json:"Description"`
}

func (in *createGroupIn) storeID() string { return in.IdentityStoreID }

type groupRef struct {
	GroupID         string `json:"GroupId"`
	IdentityStoreID string `json:"IdentityStoreId"`
}

func (in *groupRef) storeID() string { return in.IdentityStoreID }

func (a *api) createGroup(ctx context.Context, in *createGroupIn) (*groupRef, error) {
	g, err := a.dir.CreateGroup(ctx, in.DisplayName, in.Description, nil)
	if err != nil {
		return nil, err
	}
	return &groupRef{GroupID: g.ID, IdentityStoreID: in.IdentityStoreID}, nil
}

func (a *api) describeGroup(ctx context.Context, in *groupRef) (*Group, error) {
	g, err := a.dir.GetGroup(ctx, in.GroupID)
	if err != nil {
		return nil, err
	}
	return groupOut(g, in.IdentityStoreID), nil
}

func (a *api) updateGroup(ctx context.Context, in *updateIn) (*empty, error) {
	return &empty{}, a.dir.UpdateGroup(ctx, in.GroupID, operations(in.Operations))
}

func (a *api) deleteGroup(ctx context.Context, in *groupRef) (*empty, error) {
	return &empty{}, a.dir.DeleteGroup(ctx, in.GroupID)
}

type listGroupsOut struct {
	Groups    []*Group `json:"Groups"`
	NextToken string   `json:"NextToken,omitempty"`
}

func (a *api) listGroups(ctx context.Context, in *listIn) (*listGroupsOut, error) {
	name, err := checkFilters(in.Filters, "DisplayName")
	if err != nil {
		return nil, err
	}
	var out listGroupsOut
	out.Groups, out.NextToken, err = awsapi.ListPage(a.pages, "ListGroups:"+name, in.NextToken, in.MaxResults,
		func(after string, max int) ([]store.Group, bool, error) {
			return a.dir.ListGroups(ctx, after, max, name)
		},
		func(g store.Group) string { return g.ID },
		func(g store.Group) (*Group, error) { return groupOut(g, in.IdentityStoreID), nil })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (a *api) getGroupID(ctx context.Context, in *getIDIn) (*groupRef, error) {
	id, err := findID(ctx, in.AlternateIdentifier, a.dir.FindGroupByExternalID, a.dir.FindGroupID)
	if err != nil {
		return nil, err
	}
	return &groupRef{GroupID: id, IdentityStoreID: in.IdentityStoreID}, nil
}

// ---- memberships ----

type membershipIn struct {
	IdentityStoreID string   `json:"IdentityStoreId"`
	GroupID         string   `json:"GroupId"`
	MemberID        MemberID `json:"MemberId"`
	MembershipID    string   `json:"MembershipId"`
	GroupIDs        []string `json:"GroupIds"`
	MaxResults      *int     `json:"MaxResults"`
	NextToken       string   `json:"NextToken"`
}

func (in *membershipIn) storeID() string { return in.IdentityStoreID }

type membershipRef struct {
	MembershipID    string `json:"MembershipId"`
	IdentityStoreID string `json:"IdentityStoreId"`
}

func (a *api) createMembership(ctx context.Context, in *membershipIn) (*membershipRef, error) {
	m, err := a.dir.CreateMembership(ctx, in.GroupID, in.MemberID.UserID)
	if err != nil {
		return nil, err
	}
	return &membershipRef{MembershipID: m.ID, IdentityStoreID: in.IdentityStoreID}, nil
}

func (a *api) deleteMembership(ctx context.Context, in *membershipIn) (*empty, error) {
	return &empty{}, a.dir.DeleteMembership(ctx, in.MembershipID)
}

func (a *api) describeMembership(ctx context.Context, in *membershipIn) (*Membership, error) {
	m, err := a.dir.GetMembership(ctx, in.MembershipID)
	if err != nil {
		return nil, err
	}
	out := membershipOut(m, in.IdentityStoreID)
	return &out, nil
}

func (a *api) getMembershipID(ctx context.Context, in *membershipIn) (*membershipRef, error) {
	id, err := a.dir.FindMembershipID(ctx, in.GroupID, in.MemberID.UserID)
	if err != nil {
		return nil, err
	}
	return &membershipRef{MembershipID: id, IdentityStoreID: in.IdentityStoreID}, nil
}

type listMembershipsOut struct {
	GroupMemberships []Membership `json:"GroupMemberships"`
	NextToken        string       `json:"NextToken,omitempty"`
}

// listMembershipPage is one page of a listing of memberships.
func (a *api) listMembershipPage(scope string, in *membershipIn,
	fetch func(after string, max int) ([]store.Membership, bool, error)) (*listMembershipsOut, error) {
	var out listMembershipsOut
	var err error
	out.GroupMemberships, out.NextToken, err = awsapi.ListPage(a.pages, scope, in.NextToken, in.MaxResults, fetch,
		func(m store.Membership) string { return m.ID },
		func(m store.Membership) (Membership, error) { return membershipOut(m, in.IdentityStoreID), nil })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (a *api) listMemberships(ctx context.Context, in *membershipIn) (*listMembershipsOut, error) {
	return a.listMembershipPage("ListGroupMemberships:"+in.GroupID, in, func(after string, max int) ([]store.Membership, bool, error) {
		return a.dir.ListGroupMembers(ctx, in.GroupID, after, max)
	})
}

func (a *api) listMembershipsForMember(ctx context.Context, in *membershipIn) (*listMembershipsOut, error) {
	return a.listMembershipPage("ListGroupMembershipsForMember:"+in.MemberID.UserID, in, func(after string, max int) ([]store.Membership, bool, error) {
		return a.dir.ListUserGroups(ctx, in.MemberID.UserID, after, max)
	})
}

type existence struct {
	GroupID          string   `json:"GroupId"`
	MemberID         MemberID `json:"MemberId"`
	MembershipExists bool     `json:"MembershipExists"`
}

type isMemberOut struct {
	Results []existence `json:"Results"`
}

func (a *api) isMemberInGroups(ctx context.Context, in *membershipIn) (*isMemberOut, error) {
	in2, err := a.dir.IsMemberInGroups(ctx, in.MemberID.UserID, in.GroupIDs)
	if err != nil {
		return nil, err
	}
	out := &isMemberOut{Results: make([]existence, len(in.GroupIDs))}
	for i, g := range in.GroupIDs {
		out.Results[i] = existence{GroupID: g, MemberID: in.MemberID, MembershipExists: in2[g]}
	}
	return out, nil
}
