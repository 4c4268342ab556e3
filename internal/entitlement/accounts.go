package entitlement

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/store"
)

// accountLister pages through the accounts a user reaches, from indexed
// queries over the account assignments (directly or through the user's
// groups), so that a user who reaches thousands of accounts gets a page in
// time independent of how many.
type accountLister struct {
	store store.Store
	now   func() time.Time

	// density remembers, per user, which query plan suits them (see
	// denseFrom). It only chooses a plan, never an answer, so a stale entry
	// costs speed, not correctness.
	mu      sync.Mutex
	density map[string]densityEntry
}

type densityEntry struct {
	dense bool
	at    time.Time
}

// densityTTL is how long a user's plan choice is reused; densityMax bounds
// the memory it takes.
const (
	densityTTL = time.Minute
	densityMax = 10000
)

func newAccountLister(s store.Store) *accountLister {
	return &accountLister{store: s, now: time.Now, density: map[string]densityEntry{}}
}

// isDense says whether a user reaches enough accounts for the name-order
// plan, from the cache or by counting assignments.
func (a *accountLister) isDense(ctx context.Context, r store.Reader, userID string) (bool, error) {
	now := a.now()
	a.mu.Lock()
	e, ok := a.density[userID]
	a.mu.Unlock()
	if ok && now.Sub(e.at) < densityTTL {
		return e.dense, nil
	}
	rows, err := r.CountUserAssignments(ctx, userID, denseFrom)
	if err != nil {
		return false, err
	}
	dense := rows >= denseFrom
	a.mu.Lock()
	if len(a.density) >= densityMax {
		clear(a.density)
	}
	a.density[userID] = densityEntry{dense: dense, at: now}
	a.mu.Unlock()
	return dense, nil
}

// countCap bounds the exact count of a sparse user: beyond it the page
// says "1000+". Dense users are not counted (see AccountsFor).
const countCap = 1000

// denseFrom is how many reachable accounts make a user "dense": walking
// the accounts in name order then finds a page quickly, where collecting
// and sorting the reachable set would cost time proportional to it.
const denseFrom = 200

// errBadPosition is the fault for a page position that does not decode.
var errBadPosition = fault.Invalidf("The page position is invalid.")

func encodePosition(a store.Account) string {
	return base64.RawURLEncoding.EncodeToString([]byte(a.Name + "\x00" + a.ID))
}

func decodePosition(s string) (name, id string, err error) {
	if s == "" {
		return "", "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", "", errBadPosition
	}
	name, id, ok := strings.Cut(string(raw), "\x00")
	if !ok {
		return "", "", errBadPosition
	}
	return name, id, nil
}

// page returns a page of the user's accounts in name order.
func (a *accountLister) page(ctx context.Context, userID string, q portal.AccountQuery) (portal.AccountPage, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 50
	}
	afterName, afterID, err := decodePosition(q.After)
	if err != nil {
		return portal.AccountPage{}, err
	}
	search := strings.ToLower(strings.TrimSpace(q.Search))
	var page portal.AccountPage
	err = a.store.View(ctx, func(r store.Reader) error {
		dense, err := a.isDense(ctx, r, userID)
		if err != nil {
			return err
		}
		if !dense {
			total, err := r.CountUserAccounts(ctx, userID, search, countCap+1, false)
			if err != nil {
				return err
			}
			page.Total, page.TotalAtLeast = min(total, countCap), total > countCap
		}
		list, err := r.ListUserAccounts(ctx, store.UserAccountQuery{
			UserID: userID, Search: search, AfterName: afterName, AfterID: afterID, Limit: q.Limit + 1,
			Dense: dense,
		})
		if err != nil {
			return err
		}
		if len(list) > q.Limit {
			list = list[:q.Limit]
			page.Next = encodePosition(list[len(list)-1])
		}
		if dense {
			// Counting thousands would cost time proportional to them; the
			// page says "50+" and invites a search instead.
			page.Total, page.TotalAtLeast = len(list), page.Next != ""
		}
		for _, acc := range list {
			page.Accounts = append(page.Accounts, portal.Account{ID: acc.ID, Name: acc.Name, Email: acc.Email})
		}
		return nil
	})
	return page, err
}
