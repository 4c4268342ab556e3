package identitystore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/directory"
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

type userRef struct {
	IdentityStoreID string `json:"IdentityStoreId"`
	UserID          string `json:"UserId"`
}

func (a *api) createUser(ctx context.Context, in *createUserIn) (*userRef, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
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

func (a *api) describeUser(ctx context.Context, in *describeUserIn) (*User, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
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

func (a *api) updateUser(ctx context.Context, in *updateIn) (*empty, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	return &empty{}, a.dir.UpdateUser(ctx, in.UserID, operations(in.Operations))
}

func (a *api) deleteUser(ctx context.Context, in *userRef) (*empty, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	return &empty{}, a.dir.DeleteUser(ctx, in.UserID)
}

type listIn struct {
	IdentityStoreID string   `json:"IdentityStoreId"`
	MaxResults      *int     `json:"MaxResults"`
	NextToken       string   `json:"NextToken"`
	Filters         []Filter `json:"Filters"`
	Extensions      []string `json:"Extensions"`
}

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
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	name, err := checkFilters(in.Filters, "UserName")
	if err != nil {
		return nil, err
	}
	scope := "ListUsers:" + name
	after, err := a.page(scope, in.NextToken)
	if err != nil {
		return nil, err
	}
	if name != "" {
		return a.listUsersDecoded(ctx, in, scope, after, name)
	}
	users, more, err := a.dir.ListRawUsers(ctx, after, maxResults(in.MaxResults))
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
		if token := a.next(scope, more, users[len(users)-1].ID); token != "" {
			b = append(b, `,"NextToken":`...)
			b = audit.AppendString(b, token)
		}
	}
	return &awsapi.EncodedOutput{JSON: append(b, '}')}, nil
}

// listUsersDecoded answers a filtered ListUsers from decoded users, as
// listUsers did before it encoded pages itself.
func (a *api) listUsersDecoded(ctx context.Context, in *listIn, scope, after, name string) (*awsapi.EncodedOutput, error) {
	users, more, err := a.dir.ListUsers(ctx, after, maxResults(in.MaxResults), name)
	if err != nil {
		return nil, err
	}
	out := &listUsersOut{Users: make([]*User, len(users))}
	for i, u := range users {
		out.Users[i] = userOut(u, in.IdentityStoreID, in.Extensions)
	}
	if len(users) > 0 {
		out.NextToken = a.next(scope, more, users[len(users)-1].ID)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("identitystore: encode ListUsers output: %w", err)
	}
	return &awsapi.EncodedOutput{JSON: b}, nil
}

type getIDIn struct {
	IdentityStoreID     string              `json:"IdentityStoreId"`
	AlternateIdentifier AlternateIdentifier `json:"AlternateIdentifier"`
}

func (a *api) getUserID(ctx context.Context, in *getIDIn) (*userRef, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	var (
		id  string
		err error
	)
	switch alt := in.AlternateIdentifier; {
	case alt.ExternalID != nil:
		id, err = a.dir.FindUserByExternalID(ctx, alt.ExternalID.Issuer, alt.ExternalID.ID)
	case alt.Unique != nil:
		var v string
		if v, err = uniqueValue(alt.Unique.AttributeValue); err == nil {
			id, err = a.dir.FindUserID(ctx, alt.Unique.AttributePath, v)
		}
	}
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

type groupRef struct {
	GroupID         string `json:"GroupId"`
	IdentityStoreID string `json:"IdentityStoreId"`
}

func (a *api) createGroup(ctx context.Context, in *createGroupIn) (*groupRef, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	g, err := a.dir.CreateGroup(ctx, in.DisplayName, in.Description, nil)
	if err != nil {
		return nil, err
	}
	return &groupRef{GroupID: g.ID, IdentityStoreID: in.IdentityStoreID}, nil
}

func (a *api) describeGroup(ctx context.Context, in *groupRef) (*Group, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	g, err := a.dir.GetGroup(ctx, in.GroupID)
	if err != nil {
		return nil, err
	}
	return groupOut(g, in.IdentityStoreID), nil
}

func (a *api) updateGroup(ctx context.Context, in *updateIn) (*empty, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	return &empty{}, a.dir.UpdateGroup(ctx, in.GroupID, operations(in.Operations))
}

func (a *api) deleteGroup(ctx context.Context, in *groupRef) (*empty, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	return &empty{}, a.dir.DeleteGroup(ctx, in.GroupID)
}

type listGroupsOut struct {
	Groups    []*Group `json:"Groups"`
	NextToken string   `json:"NextToken,omitempty"`
}

func (a *api) listGroups(ctx context.Context, in *listIn) (*listGroupsOut, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	name, err := checkFilters(in.Filters, "DisplayName")
	if err != nil {
		return nil, err
	}
	scope := "ListGroups:" + name
	after, err := a.page(scope, in.NextToken)
	if err != nil {
		return nil, err
	}
	groups, more, err := a.dir.ListGroups(ctx, after, maxResults(in.MaxResults), name)
	if err != nil {
		return nil, err
	}
	out := &listGroupsOut{Groups: make([]*Group, len(groups))}
	for i, g := range groups {
		out.Groups[i] = groupOut(g, in.IdentityStoreID)
	}
	if len(groups) > 0 {
		out.NextToken = a.next(scope, more, groups[len(groups)-1].ID)
	}
	return out, nil
}

func (a *api) getGroupID(ctx context.Context, in *getIDIn) (*groupRef, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	var (
		id  string
		err error
	)
	switch alt := in.AlternateIdentifier; {
	case alt.ExternalID != nil:
		id, err = a.dir.FindGroupByExternalID(ctx, alt.ExternalID.Issuer, alt.ExternalID.ID)
	case alt.Unique != nil:
		var v string
		if v, err = uniqueValue(alt.Unique.AttributeValue); err == nil {
			id, err = a.dir.FindGroupID(ctx, alt.Unique.AttributePath, v)
		}
	}
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

type membershipRef struct {
	MembershipID    string `json:"MembershipId"`
	IdentityStoreID string `json:"IdentityStoreId"`
}

func (a *api) createMembership(ctx context.Context, in *membershipIn) (*membershipRef, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	m, err := a.dir.CreateMembership(ctx, in.GroupID, in.MemberID.UserID)
	if err != nil {
		return nil, err
	}
	return &membershipRef{MembershipID: m.ID, IdentityStoreID: in.IdentityStoreID}, nil
}

func (a *api) deleteMembership(ctx context.Context, in *membershipIn) (*empty, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	return &empty{}, a.dir.DeleteMembership(ctx, in.MembershipID)
}

func (a *api) describeMembership(ctx context.Context, in *membershipIn) (*Membership, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	m, err := a.dir.GetMembership(ctx, in.MembershipID)
	if err != nil {
		return nil, err
	}
	out := membershipOut(m, in.IdentityStoreID)
	return &out, nil
}

func (a *api) getMembershipID(ctx context.Context, in *membershipIn) (*membershipRef, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
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

func (a *api) listMembershipPage(scope, token string, in *membershipIn,
	list func(after string) ([]store.Membership, bool, error)) (*listMembershipsOut, error) {
	after, err := a.page(scope, token)
	if err != nil {
		return nil, err
	}
	ms, more, err := list(after)
	if err != nil {
		return nil, err
	}
	out := &listMembershipsOut{GroupMemberships: make([]Membership, len(ms))}
	for i, m := range ms {
		out.GroupMemberships[i] = membershipOut(m, in.IdentityStoreID)
	}
	if len(ms) > 0 {
		out.NextToken = a.next(scope, more, ms[len(ms)-1].ID)
	}
	return out, nil
}

func (a *api) listMemberships(ctx context.Context, in *membershipIn) (*listMembershipsOut, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	return a.listMembershipPage("ListGroupMemberships:"+in.GroupID, in.NextToken, in, func(after string) ([]store.Membership, bool, error) {
		return a.dir.ListGroupMembers(ctx, in.GroupID, after, maxResults(in.MaxResults))
	})
}

func (a *api) listMembershipsForMember(ctx context.Context, in *membershipIn) (*listMembershipsOut, error) {
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
	return a.listMembershipPage("ListGroupMembershipsForMember:"+in.MemberID.UserID, in.NextToken, in, func(after string) ([]store.Membership, bool, error) {
		return a.dir.ListUserGroups(ctx, in.MemberID.UserID, after, maxResults(in.MaxResults))
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
	if err := a.check(in.IdentityStoreID); err != nil {
		return nil, err
	}
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
