package directory

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Search fields of SearchUsers.
const (
	SearchUserName = "user_name"
	SearchEmail    = "email"
)

// SearchUsers returns up to limit users whose user name (field
// SearchUserName) or primary email address (SearchEmail) starts with
// prefix, compared as the unique attributes are (NFKC, case folded), in
// the order of that key after the key after, and whether more follow. It
// walks an index: the cost of a page does not grow with the directory.
// The key of a user (for after) is given by SearchKey.
func (s *Service) SearchUsers(ctx context.Context, field, prefix, after string, limit int) ([]store.User, bool, error) {
	switch field {
	case "", SearchUserName:
		field = SearchUserName
	case SearchEmail:
	default:
		return nil, false, fault.Invalidf("users can be searched by user name or email address")
	}
	return readPage(limit, func(n int) ([]store.User, error) {
		return s.store.SearchUsers(ctx, store.UserSearch{Field: field, Prefix: Key(strings.TrimSpace(prefix)), After: after, Limit: n})
	})
}

// SearchKey returns the key a user is ordered by in a search by field.
func SearchKey(u store.User, field string) string {
	if field == SearchEmail {
		return u.EmailKey
	}
	return u.UserNameKey
}
