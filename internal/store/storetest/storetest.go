// Package storetest is the conformance suite for store.Store
// implementations. Every backend runs the same tests, so SQLite and
// PostgreSQL give identical results to the domain services.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// NewDatabase creates an empty database for one test and returns how to
// connect to it. Each call of the returned Connect opens another handle on
// the same database, playing another replica. NewDatabase arranges the
// cleanup of the database and of every handle.
type NewDatabase func(t *testing.T) Connect

// Connect opens a handle on the database created for a test.
type Connect func() store.Store

// Run runs every conformance test against the backend.
func Run(t *testing.T, newDatabase NewDatabase) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Connect)
	}{
		{"Instance", testInstance},
		{"AccessKeys", testAccessKeys},
		{"UserCRUD", testUserCRUD},
		{"UserUniqueness", testUserUniqueness},
		{"GroupCRUD", testGroupCRUD},
		{"Memberships", testMemberships},
		{"DeleteCascades", testDeleteCascades},
		{"TransactionRollback", testTransactionRollback},
		{"AfterCommit", testAfterCommit},
		{"ConcurrentUniqueWriters", testConcurrentUniqueWriters},
		{"NoLostUpdates", testNoLostUpdates},
		{"PaginationStable", testPaginationStable},
		{"RawUsers", testRawUsers},
		{"TimeHandling", testTimeHandling},
		{"Audit", testAudit},
		{"ReadOnlyView", testReadOnlyView},
	}
	tests = append(tests, signinTests...)
	tests = append(tests, accessTests...)
	tests = append(tests, tokenTests...)
	tests = append(tests, iamUserTests...)
	tests = append(tests, consoleTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newDatabase(t))
		})
	}
}

var ctx = context.Background()

// seq makes distinct, sortable ids within a test.
func id(prefix string, n int) string { return fmt.Sprintf("%s-%06d", prefix, n) }

func newUser(n int) store.User {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	return store.User{
		ID:          id("u", n),
		UserName:    fmt.Sprintf("User%d", n),
		UserNameKey: fmt.Sprintf("user%d", n),
		EmailKey:    fmt.Sprintf("user%d@example.com", n),
		DisplayName: fmt.Sprintf("User %d", n),
		Status:      "ENABLED",
		Profile: store.UserProfile{
			Name:   &store.Name{GivenName: "Given", FamilyName: fmt.Sprint(n)},
			Emails: []store.Email{{Value: fmt.Sprintf("User%d@example.com", n), Type: "work"}},
		},
		CreatedAt: now, UpdatedAt: now, CreatedBy: "test", UpdatedBy: "test", Version: 1,
	}
}

func newGroup(n int) store.Group {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return store.Group{
		ID: id("g", n), DisplayName: fmt.Sprintf("Group %d", n), DisplayNameKey: fmt.Sprintf("group %d", n),
		CreatedAt: now, UpdatedAt: now, CreatedBy: "test", UpdatedBy: "test", Version: 1,
	}
}

func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func wantConflict(t *testing.T, err error, constraint string) {
	t.Helper()
	c, ok := store.IsConflict(err)
	if !ok {
		t.Fatalf("got %v, want a conflict on %s", err, constraint)
	}
	if c != constraint {
		t.Fatalf("conflict on %q, want %q", c, constraint)
	}
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

func testInstance(t *testing.T, open Connect) {
	s := open()
	_, err := s.GetInstance(ctx)
	wantNotFound(t, err)
	in := store.Instance{InstanceID: "ssoins-0123456789abcdef", IdentityStoreID: "d-0123456789", OwnerAccountID: "111122223333",
		Name: "", Status: "ACTIVE", CreatedAt: time.Unix(1700000000, 0).UTC()}
	var created bool
	update(t, s, func(tx store.Tx) (err error) { created, err = tx.CreateInstance(ctx, in); return })
	if !created {
		t.Fatal("first CreateInstance did not create")
	}
	other := in
	other.InstanceID = "ssoins-ffffffffffffffff"
	update(t, s, func(tx store.Tx) (err error) { created, err = tx.CreateInstance(ctx, other); return })
	if created {
		t.Fatal("second CreateInstance replaced the instance")
	}
	got, err := s.GetInstance(ctx)
	if err != nil || got != in {
		t.Fatalf("GetInstance = %+v, %v; want %+v", got, err, in)
	}
}

func testAccessKeys(t *testing.T, open Connect) {
	s := open()
	k := store.AccessKey{ID: "AKIAAAAAAAAAAAAAAAAA", SecretSealed: []byte{0, 1, 2, 255}, PrincipalARN: "arn:aws:iam::111122223333:user/admin",
		AccountID: "111122223333", Status: "Active", CreatedAt: time.Unix(1700000000, 0).UTC()}
	update(t, s, func(tx store.Tx) error { return tx.PutAccessKey(ctx, k) })
	got, err := s.GetAccessKey(ctx, k.ID)
	if err != nil || string(got.SecretSealed) != string(k.SecretSealed) || got.PrincipalARN != k.PrincipalARN || !got.CreatedAt.Equal(k.CreatedAt) {
		t.Fatalf("GetAccessKey = %+v, %v", got, err)
	}
	k.Status = "Inactive"
	update(t, s, func(tx store.Tx) error { return tx.PutAccessKey(ctx, k) })
	if got, _ := s.GetAccessKey(ctx, k.ID); got.Status != "Inactive" {
		t.Fatalf("status after update = %q", got.Status)
	}
	_, err = s.GetAccessKey(ctx, "AKIANOTTHERE")
	wantNotFound(t, err)
}

func testUserCRUD(t *testing.T, open Connect) {
	s := open()
	u := newUser(1)
	u.Profile.ExternalIDs = []store.ExternalID{{Issuer: "okta", ID: "00u1"}}
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })

	got, err := s.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserName != u.UserName || got.EmailKey != u.EmailKey || got.Profile.Name.FamilyName != "1" ||
		len(got.Profile.Emails) != 1 || got.Version != 1 || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("GetUser = %+v", got)
	}
	for _, lookup := range []func() (store.User, error){
		func() (store.User, error) { return s.GetUserByKey(ctx, "user_name", "user1") },
		func() (store.User, error) { return s.GetUserByKey(ctx, "email", "user1@example.com") },
		func() (store.User, error) { return s.GetUserByExternalID(ctx, "okta", "00u1") },
	} {
		if got, err := lookup(); err != nil || got.ID != u.ID {
			t.Fatalf("lookup = %v, %v", got.ID, err)
		}
	}
	if id, err := s.GetUserIDByKey(ctx, "email", "user1@example.com"); err != nil || id != u.ID {
		t.Fatalf("GetUserIDByKey = %q, %v", id, err)
	}
	_, err = s.GetUserIDByKey(ctx, "user_name", "nobody")
	wantNotFound(t, err)
	_, err = s.GetUserByExternalID(ctx, "okta", "00u2")
	wantNotFound(t, err)

	// Update with the right version succeeds; a stale version finds nothing.
	u2 := got
	u2.DisplayName, u2.Version, u2.EmailKey = "Renamed", got.Version+1, ""
	u2.Profile.ExternalIDs = []store.ExternalID{{Issuer: "okta", ID: "00u9"}}
	update(t, s, func(tx store.Tx) error { return tx.UpdateUser(ctx, u2) })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.UpdateUser(ctx, u2) })
	wantNotFound(t, err)
	got, _ = s.GetUser(ctx, u.ID)
	if got.DisplayName != "Renamed" || got.Version != 2 || got.EmailKey != "" {
		t.Fatalf("after update: %+v", got)
	}
	if _, err := s.GetUserByExternalID(ctx, "okta", "00u1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("old external id still indexed")
	}
	if g, err := s.GetUserByExternalID(ctx, "okta", "00u9"); err != nil || g.ID != u.ID {
		t.Fatal("new external id not indexed")
	}

	n, err := s.CountUsers(ctx)
	if err != nil || n != 1 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteUser(ctx, u.ID) })
	_, err = s.GetUser(ctx, u.ID)
	wantNotFound(t, err)
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, u.ID) }))
	if _, err := s.GetUserByExternalID(ctx, "okta", "00u9"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("external id of a deleted user still indexed")
	}
}

func testUserUniqueness(t *testing.T, open Connect) {
	s := open()
	a := newUser(1)
	a.Profile.ExternalIDs = []store.ExternalID{{Issuer: "okta", ID: "x"}}
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, a) })

	b := newUser(2)
	b.UserNameKey = a.UserNameKey
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, b) }), "users_user_name_key")

	b = newUser(2)
	b.EmailKey = a.EmailKey
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, b) }), "users_email_key")

	b = newUser(2)
	b.Profile.ExternalIDs = []store.ExternalID{{Issuer: "okta", ID: "x"}}
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, b) }), "external_ids_pkey")

	b = newUser(2)
	b.ID = a.ID
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, b) }), "users_pkey")

	// Users without an email do not collide with each other.
	c, d := newUser(3), newUser(4)
	c.EmailKey, d.EmailKey = "", ""
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, c) })
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, d) })

	// The same external id under another issuer is another identity.
	e := newUser(5)
	e.Profile.ExternalIDs = []store.ExternalID{{Issuer: "entra", ID: "x"}}
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, e) })
	if n, _ := s.CountUsers(ctx); n != 4 {
		t.Fatalf("CountUsers = %d, want 4 (failed creates must leave nothing)", n)
	}
}

func testGroupCRUD(t *testing.T, open Connect) {
	s := open()
	g := newGroup(1)
	g.Description = "the first"
	g.ExternalIDs = []store.ExternalID{{Issuer: "scim", ID: "grp-1"}}
	update(t, s, func(tx store.Tx) error { return tx.CreateGroup(ctx, g) })
	got, err := s.GetGroup(ctx, g.ID)
	if err != nil || got.Description != "the first" || len(got.ExternalIDs) != 1 {
		t.Fatalf("GetGroup = %+v, %v", got, err)
	}
	if got, err := s.GetGroupByDisplayName(ctx, "group 1"); err != nil || got.ID != g.ID {
		t.Fatalf("by name: %v %v", got.ID, err)
	}
	if got, err := s.GetGroupByExternalID(ctx, "scim", "grp-1"); err != nil || got.ID != g.ID {
		t.Fatalf("by external id: %v %v", got.ID, err)
	}
	dup := newGroup(2)
	dup.DisplayNameKey = g.DisplayNameKey
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.CreateGroup(ctx, dup) }), "groups_display_name_key")

	// A user and a group may share an external id: they are different kinds.
	u := newUser(1)
	u.Profile.ExternalIDs = []store.ExternalID{{Issuer: "scim", ID: "grp-1"}}
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })

	got.Description, got.Version = "", got.Version+1
	got.ExternalIDs = nil
	update(t, s, func(tx store.Tx) error { return tx.UpdateGroup(ctx, got) })
	got, _ = s.GetGroup(ctx, g.ID)
	if got.Description != "" || got.Version != 2 || len(got.ExternalIDs) != 0 {
		t.Fatalf("after update: %+v", got)
	}
	if n, _ := s.CountGroups(ctx); n != 1 {
		t.Fatalf("CountGroups = %d", n)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteGroup(ctx, g.ID) })
	_, err = s.GetGroup(ctx, g.ID)
	wantNotFound(t, err)
}

func testMemberships(t *testing.T, open Connect) {
	s := open()
	update(t, s, func(tx store.Tx) error {
		for i := range 3 {
			if err := tx.CreateGroup(ctx, newGroup(i)); err != nil {
				return err
			}
		}
		for i := range 10 {
			if err := tx.CreateUser(ctx, newUser(i)); err != nil {
				return err
			}
		}
		n := 0
		for g := range 2 {
			for u := range 10 {
				n++
				if err := tx.CreateMembership(ctx, store.Membership{ID: id("m", n), GroupID: id("g", g), UserID: id("u", u),
					CreatedAt: time.Unix(1, 0).UTC(), CreatedBy: "t"}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.CreateMembership(ctx, store.Membership{ID: "m-dup", GroupID: id("g", 0), UserID: id("u", 0)})
	})
	wantConflict(t, err, "memberships_pair")
	for _, r := range []store.Reader{s, nil} {
		check := func(r store.Reader) error {
			for what, exists := range map[string]func(context.Context, string) (bool, error){"user": r.UserExists, "group": r.GroupExists} {
				prefix := what[:1]
				if ok, err := exists(ctx, id(prefix, 1)); err != nil || !ok {
					t.Errorf("%s %s exists = %v, %v", what, id(prefix, 1), ok, err)
				}
				if ok, err := exists(ctx, prefix+"-missing"); err != nil || ok {
					t.Errorf("%s-missing exists = %v, %v", what, ok, err)
				}
			}
			return nil
		}
		if r != nil {
			check(r)
			continue
		}
		update(t, s, func(tx store.Tx) error { return check(tx) }) // inside a transaction too
	}

	// Page through group 0 three at a time.
	var seen []string
	after := ""
	for {
		page, err := s.ListMemberships(ctx, store.MembershipQuery{GroupID: id("g", 0), After: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			seen = append(seen, m.UserID)
		}
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(seen) != 10 {
		t.Fatalf("group 0 has %d members listed, want 10", len(seen))
	}
	byUser, err := s.ListMemberships(ctx, store.MembershipQuery{UserID: id("u", 4), Limit: 10})
	if err != nil || len(byUser) != 2 {
		t.Fatalf("memberships of u4 = %d, %v", len(byUser), err)
	}
	m, err := s.GetMembershipByPair(ctx, id("g", 1), id("u", 4))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetMembership(ctx, m.ID); err != nil || got != m {
		t.Fatalf("GetMembership = %+v, %v", got, err)
	}
	in, err := s.MemberGroups(ctx, id("u", 4), []string{id("g", 0), id("g", 2), "g-missing"})
	if err != nil || !in[id("g", 0)] || in[id("g", 2)] || in["g-missing"] {
		t.Fatalf("MemberGroups = %v, %v", in, err)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteMembership(ctx, m.ID) })
	_, err = s.GetMembership(ctx, m.ID)
	wantNotFound(t, err)
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeleteMembership(ctx, m.ID) }))
}

func testDeleteCascades(t *testing.T, open Connect) {
	s := open()
	update(t, s, func(tx store.Tx) error {
		for i := range 2 {
			if err := tx.CreateUser(ctx, newUser(i)); err != nil {
				return err
			}
			if err := tx.CreateGroup(ctx, newGroup(i)); err != nil {
				return err
			}
		}
		for u := range 2 {
			for g := range 2 {
				if err := tx.CreateMembership(ctx, store.Membership{ID: fmt.Sprintf("m-%d%d", u, g), GroupID: id("g", g), UserID: id("u", u)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteUser(ctx, id("u", 0)) })
	update(t, s, func(tx store.Tx) error { return tx.DeleteGroup(ctx, id("g", 0)) })
	left, _ := s.ListMemberships(ctx, store.MembershipQuery{UserID: id("u", 1), Limit: 10})
	if len(left) != 1 || left[0].GroupID != id("g", 1) {
		t.Fatalf("memberships left = %+v, want only u1 in g1", left)
	}
	if m, _ := s.ListMemberships(ctx, store.MembershipQuery{GroupID: id("g", 1), Limit: 10}); len(m) != 1 {
		t.Fatalf("group g1 members = %d, want 1", len(m))
	}
}

func testTransactionRollback(t *testing.T, open Connect) {
	s := open()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, newUser(1)); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, newGroup(1)); err != nil {
			return err
		}
		// A write inside the transaction is visible to the transaction.
		if _, err := tx.GetUser(ctx, id("u", 1)); err != nil {
			return fmt.Errorf("own write not visible: %w", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	if _, err := s.GetUser(ctx, id("u", 1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("user of a failed transaction is visible")
	}
	if _, err := s.GetGroup(ctx, id("g", 1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("group of a failed transaction is visible")
	}

	// A failing transaction among concurrent ones takes only itself down.
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Go(func() {
			errs[i] = s.Update(ctx, func(tx store.Tx) error {
				if err := tx.CreateUser(ctx, newUser(100+i)); err != nil {
					return err
				}
				if i%4 == 0 {
					return boom
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		_, getErr := s.GetUser(ctx, id("u", 100+i))
		if i%4 == 0 {
			if !errors.Is(err, boom) || getErr == nil {
				t.Errorf("tx %d: err=%v, user visible=%v; want failure and nothing stored", i, err, getErr == nil)
			}
		} else if err != nil || getErr != nil {
			t.Errorf("tx %d: err=%v, get=%v; want success", i, err, getErr)
		}
	}
}

func testConcurrentUniqueWriters(t *testing.T, open Connect) {
	replicas := []store.Store{open(), open()}
	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			u := newUser(i)
			u.UserNameKey = "same-name"
			errs[i] = replicas[i%2].Update(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantConflict(t, err, "users_user_name_key")
	}
	if ok != 1 {
		t.Fatalf("%d concurrent creates of one user name succeeded, want exactly 1", ok)
	}
	if c, _ := replicas[0].CountUsers(ctx); c != 1 {
		t.Fatalf("CountUsers = %d, want 1", c)
	}
}

func testNoLostUpdates(t *testing.T, open Connect) {
	replicas := []store.Store{open(), open()}
	update(t, replicas[0], func(tx store.Tx) error { return tx.CreateUser(ctx, newUser(1)) })
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := replicas[i%2].Update(ctx, func(tx store.Tx) error {
				u, err := tx.GetUser(ctx, id("u", 1))
				if err != nil {
					return err
				}
				u.Profile.NickName = fmt.Sprint(len(u.Profile.NickName) + 1) // a counter kept in the profile
				u.Profile.Title += "x"
				u.Version++
				return tx.UpdateUser(ctx, u)
			})
			if err != nil {
				t.Errorf("increment %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	u, err := replicas[1].GetUser(ctx, id("u", 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Profile.Title) != n || u.Version != n+1 {
		t.Fatalf("after %d concurrent read-modify-writes: title length %d, version %d (lost updates)", n, len(u.Profile.Title), u.Version)
	}
}

func testPaginationStable(t *testing.T, open Connect) {
	s := open()
	update(t, s, func(tx store.Tx) error {
		for i := 0; i < 100; i += 2 { // even ids stay for the whole listing
			if err := tx.CreateUser(ctx, newUser(i)); err != nil {
				return err
			}
		}
		return nil
	})
	seen := map[string]int{}
	after := ""
	for page := 0; ; page++ {
		// Between pages, other writers insert and delete odd ids.
		odd := 2*page + 1
		update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, newUser(odd)) })
		if page > 0 {
			update(t, s, func(tx store.Tx) error { return tx.DeleteUser(ctx, id("u", odd-2)) })
		}
		users, err := s.ListUsers(ctx, store.ListQuery{After: after, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			seen[u.ID]++
		}
		if len(users) < 7 {
			break
		}
		after = users[len(users)-1].ID
	}
	for i := 0; i < 100; i += 2 {
		if seen[id("u", i)] != 1 {
			t.Errorf("user %d seen %d times, want once", i, seen[id("u", i)])
		}
	}
	for k, v := range seen {
		if v != 1 {
			t.Errorf("%s seen %d times", k, v)
		}
	}
}

func testTimeHandling(t *testing.T, open Connect) {
	s := open()
	loc := time.FixedZone("UTC+13", 13*3600)
	local := time.Date(2026, 12, 31, 23, 59, 59, 123456789, loc)
	u := newUser(1)
	u.CreatedAt, u.UpdatedAt = local, local.Add(time.Hour)
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, u) })
	got, err := s.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := local.Truncate(time.Microsecond)
	if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("CreatedAt = %v, want %v in UTC (microsecond precision)", got.CreatedAt, want.UTC())
	}
	if got.UpdatedAt.Sub(got.CreatedAt) != time.Hour {
		t.Fatalf("UpdatedAt - CreatedAt = %v", got.UpdatedAt.Sub(got.CreatedAt))
	}
	old := time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)
	u2 := newUser(2)
	u2.CreatedAt = old
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, u2) })
	if got, _ := s.GetUser(ctx, u2.ID); !got.CreatedAt.Equal(old) {
		t.Fatalf("pre-epoch time = %v, want %v", got.CreatedAt, old)
	}
}

func testAudit(t *testing.T, open Connect) {
	s := open()
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	update(t, s, func(tx store.Tx) error {
		var evs []store.AuditEvent
		for i := range 10 {
			name := "CreateUser"
			if i%2 == 1 {
				name = "DeleteUser"
			}
			evs = append(evs, store.AuditEvent{EventID: id("e", i), Time: base.Add(time.Duration(i) * time.Minute),
				Source: "identitystore.amazonaws.com", Name: name, Principal: fmt.Sprint("p", i%3), Document: []byte(`{"i":` + fmt.Sprint(i) + `}`)})
		}
		return tx.AppendAuditEvents(ctx, evs...)
	})
	all, err := s.ListAuditEvents(ctx, store.AuditQuery{Limit: 100})
	if err != nil || len(all) != 10 {
		t.Fatalf("ListAuditEvents = %d, %v", len(all), err)
	}
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Seq > all[j].Seq }) || all[0].EventID != id("e", 9) {
		t.Fatal("audit events are not newest first")
	}
	page2, _ := s.ListAuditEvents(ctx, store.AuditQuery{Limit: 3, Before: all[2].Seq})
	if len(page2) != 3 || page2[0].EventID != all[3].EventID {
		t.Fatalf("second page starts at %v", page2)
	}
	deletes, _ := s.ListAuditEvents(ctx, store.AuditQuery{Limit: 100, EventName: "DeleteUser", Principal: "p1"})
	for _, e := range deletes {
		if e.Name != "DeleteUser" || e.Principal != "p1" {
			t.Fatalf("filter returned %+v", e)
		}
	}
	if len(deletes) != 2 { // i = 1, 7
		t.Fatalf("DeleteUser by p1 = %d events, want 2", len(deletes))
	}
	window, _ := s.ListAuditEvents(ctx, store.AuditQuery{Limit: 100, Since: base.Add(2 * time.Minute), Until: base.Add(5 * time.Minute)})
	if len(window) != 3 {
		t.Fatalf("events in [2m,5m) = %d, want 3", len(window))
	}
	if string(all[0].Document) != `{"i":9}` {
		t.Fatalf("document = %s", all[0].Document)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		return tx.AppendAuditEvents(ctx, store.AuditEvent{EventID: id("e", 1), Time: base, Document: []byte("{}")})
	})
	wantConflict(t, err, "audit_events_event_id")

	// A large batch goes in whole, across the store's statement chunks.
	var bulk []store.AuditEvent
	for i := range 120 {
		bulk = append(bulk, store.AuditEvent{EventID: id("bulk", i), Time: base, Source: "s", Name: "Bulk", Document: []byte("{}")})
	}
	update(t, s, func(tx store.Tx) error { return tx.AppendAuditEvents(ctx, bulk...) })
	if got, _ := s.ListAuditEvents(ctx, store.AuditQuery{Limit: 1000, EventName: "Bulk"}); len(got) != 120 {
		t.Fatalf("%d of 120 bulk events stored", len(got))
	}
	// One bad row (a duplicate id) rejects the whole batch.
	bulk2 := []store.AuditEvent{{EventID: id("fresh", 1), Time: base, Document: []byte("{}")}, bulk[7]}
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.AppendAuditEvents(ctx, bulk2...) }), "audit_events_event_id")
	if got, _ := s.ListAuditEvents(ctx, store.AuditQuery{Limit: 1000, EventName: ""}); len(got) != 130 {
		t.Fatalf("%d events after a rejected batch, want 130", len(got))
	}
}

func testReadOnlyView(t *testing.T, open Connect) {
	s := open()
	update(t, s, func(tx store.Tx) error { return tx.CreateUser(ctx, newUser(1)) })
	err := s.View(ctx, func(r store.Reader) error {
		if _, err := r.GetUser(ctx, id("u", 1)); err != nil {
			return err
		}
		if tx, ok := r.(store.Tx); ok {
			if err := tx.CreateUser(ctx, newUser(2)); !errors.Is(err, store.ErrReadOnly) {
				return fmt.Errorf("write in a view: %v, want ErrReadOnly", err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
