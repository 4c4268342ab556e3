package store

import "context"

// DirectoryReader reads the identity store.
type DirectoryReader interface {
	GetUser(ctx context.Context, id string) (User, error)
	// UserExists and GroupExists report whether the user or group exists,
	// for writes that need no more of it (a new membership).
	UserExists(ctx context.Context, id string) (bool, error)
	GroupExists(ctx context.Context, id string) (bool, error)
	// GetUserByKey finds a user by a unique attribute: "user_name" or
	// "email", compared by their normalized keys.
	GetUserByKey(ctx context.Context, attribute, key string) (User, error)
	// GetUserIDByKey is GetUserByKey for callers that need only the id.
	GetUserIDByKey(ctx context.Context, attribute, key string) (string, error)
	GetUserByExternalID(ctx context.Context, issuer, id string) (User, error)
	ListUsers(ctx context.Context, q ListQuery) ([]User, error)
	// ListRawUsers is ListUsers with each profile left encoded (RawUser),
	// for callers that copy profiles into JSON output as they are.
	ListRawUsers(ctx context.Context, q ListQuery) ([]RawUser, error)
	CountUsers(ctx context.Context) (int, error)

	GetGroup(ctx context.Context, id string) (Group, error)
	GetGroupByDisplayName(ctx context.Context, key string) (Group, error)
	GetGroupByExternalID(ctx context.Context, issuer, id string) (Group, error)
	ListGroups(ctx context.Context, q ListQuery) ([]Group, error)
	CountGroups(ctx context.Context) (int, error)

	GetMembership(ctx context.Context, id string) (Membership, error)
	GetMembershipByPair(ctx context.Context, groupID, userID string) (Membership, error)
	// ListMemberships lists the memberships of a group (GroupID set) or of a
	// user (UserID set), in membership id order.
	ListMemberships(ctx context.Context, q MembershipQuery) ([]Membership, error)
	// MemberGroups returns which of groupIDs the user belongs to.
	MemberGroups(ctx context.Context, userID string, groupIDs []string) (map[string]bool, error)
}

// DirectoryWriter changes the identity store.
type DirectoryWriter interface {
	CreateUser(ctx context.Context, u User) error
	// UpdateUser writes u if the stored version is u.Version-1; it returns
	// ErrNotFound when the user is gone.
	UpdateUser(ctx context.Context, u User) error
	DeleteUser(ctx context.Context, id string) error

	CreateGroup(ctx context.Context, g Group) error
	UpdateGroup(ctx context.Context, g Group) error
	DeleteGroup(ctx context.Context, id string) error

	CreateMembership(ctx context.Context, m Membership) error
	DeleteMembership(ctx context.Context, id string) error
}
