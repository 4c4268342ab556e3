package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// iamUserTests are the conformance tests of the IAM user tables
// (migrations 0500–0599).
var iamUserTests = []struct {
	name string
	fn   func(t *testing.T, open Connect)
}{
	{"IAMUsers", testIAMUsers},
	{"IAMUserPoliciesAndTags", testIAMUserPoliciesAndTags},
	{"AccessKeysOfPrincipal", testAccessKeysOfPrincipal},
	{"ConcurrentIAMUserCreate", testConcurrentIAMUserCreate},
}

var iamT0 = time.Date(2026, 5, 6, 7, 8, 9, 10000, time.UTC)

func newIAMUser(acct string, n int, path string) store.IAMUser {
	return store.IAMUser{AccountID: acct, ID: fmt.Sprintf("AIDA%017d", n), Name: fmt.Sprintf("Admin%d", n),
		NameKey: fmt.Sprintf("admin%d", n), Path: path, CreatedAt: iamT0}
}

func testIAMUsers(t *testing.T, open Connect) {
	s := open()
	const acct, other = "111111111111", "222222222222"
	for i := 1; i <= 5; i++ {
		path := "/"
		if i%2 == 0 {
			path = "/team/a%_/"
		}
		update(t, s, func(tx store.Tx) error { return tx.CreateIAMUser(ctx, newIAMUser(acct, i, path)) })
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateIAMUser(ctx, newIAMUser(other, 9, "/")) })

	// The name is unique per account, whatever its case.
	dup := newIAMUser(acct, 1, "/")
	dup.ID, dup.Name = "AIDADUPLICATE0000000", "ADMIN1"
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.CreateIAMUser(ctx, dup) }), "iam_users_name")
	sameName := newIAMUser(other, 1, "/")
	sameName.ID = "AIDAOTHERACCOUNT0001"
	update(t, s, func(tx store.Tx) error { return tx.CreateIAMUser(ctx, sameName) })

	got, err := s.GetIAMUser(ctx, acct, "admin2")
	if want := newIAMUser(acct, 2, "/team/a%_/"); err != nil || got != want {
		t.Fatalf("GetIAMUser = %+v, %v; want %+v", got, err, want)
	}
	_, err = s.GetIAMUser(ctx, acct, "admin9")
	wantNotFound(t, err)
	if n, err := s.CountIAMUsers(ctx, acct); err != nil || n != 5 {
		t.Fatalf("CountIAMUsers = %d, %v", n, err)
	}

	// Pages in name order; the path prefix is literal (no LIKE wildcards).
	var names []string
	after := ""
	for {
		page, err := s.ListIAMUsers(ctx, store.IAMUserQuery{AccountID: acct, After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			names = append(names, u.NameKey)
		}
		after = page[len(page)-1].NameKey
	}
	if want := []string{"admin1", "admin2", "admin3", "admin4", "admin5"}; !slices.Equal(names, want) {
		t.Fatalf("ListIAMUsers pages = %v; want %v", names, want)
	}
	for prefix, want := range map[string]int{"/team/a%_/": 2, "/team/": 2, "/team/ab": 0, "/": 5, "": 5} {
		us, err := s.ListIAMUsers(ctx, store.IAMUserQuery{AccountID: acct, PathPrefix: prefix, Limit: 10})
		if err != nil || len(us) != want {
			t.Fatalf("ListIAMUsers prefix %q = %d users, %v; want %d", prefix, len(us), err, want)
		}
	}

	u := newIAMUser(acct, 3, "/")
	u.BoundaryARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	update(t, s, func(tx store.Tx) error { return tx.UpdateIAMUser(ctx, u) })
	if got, _ := s.GetIAMUser(ctx, acct, "admin3"); got.BoundaryARN != u.BoundaryARN {
		t.Fatalf("boundary after update = %q", got.BoundaryARN)
	}
	if n, err := s.CountIAMPolicyAttachments(ctx, acct, u.BoundaryARN, true); err != nil || n != 1 {
		t.Fatalf("boundary users = %d, %v", n, err)
	}

	update(t, s, func(tx store.Tx) error { return tx.DeleteIAMUser(ctx, u.ID) })
	_, err = s.GetIAMUser(ctx, acct, "admin3")
	wantNotFound(t, err)
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeleteIAMUser(ctx, u.ID) }))
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.UpdateIAMUser(ctx, u) }))
}

func testIAMUserPoliciesAndTags(t *testing.T, open Connect) {
	s := open()
	const acct = "111111111111"
	u := newIAMUser(acct, 1, "/")
	v := newIAMUser(acct, 2, "/")
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sso:*","Resource":"*"}]}`
	update(t, s, func(tx store.Tx) error {
		for _, x := range []store.IAMUser{u, v} {
			if err := tx.CreateIAMUser(ctx, x); err != nil {
				return err
			}
		}
		for _, p := range []store.IAMInlinePolicy{
			{OwnerID: u.ID, Name: "Zeta", NameKey: "zeta", Document: doc},
			{OwnerID: u.ID, Name: "Alpha", NameKey: "alpha", Document: doc},
			{OwnerID: v.ID, Name: "Alpha", NameKey: "alpha", Document: doc},
		} {
			if err := tx.PutIAMInlinePolicy(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	// Replacing by a name of another case keeps one policy.
	update(t, s, func(tx store.Tx) error {
		return tx.PutIAMInlinePolicy(ctx, store.IAMInlinePolicy{OwnerID: u.ID, Name: "ALPHA", NameKey: "alpha", Document: "{}"})
	})
	ps, err := s.ListIAMInlinePolicies(ctx, u.ID)
	if err != nil || len(ps) != 2 || ps[0].Name != "ALPHA" || ps[0].Document != "{}" || ps[1].Name != "Zeta" {
		t.Fatalf("ListIAMInlinePolicies = %+v, %v", ps, err)
	}
	if p, err := s.GetIAMInlinePolicy(ctx, u.ID, "zeta"); err != nil || p.Document != doc {
		t.Fatalf("GetIAMInlinePolicy = %+v, %v", p, err)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteIAMInlinePolicy(ctx, u.ID, "zeta") })
	_, err = s.GetIAMInlinePolicy(ctx, u.ID, "zeta")
	wantNotFound(t, err)
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeleteIAMInlinePolicy(ctx, u.ID, "zeta") }))

	const managed, custom = "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::111111111111:policy/team/Custom"
	update(t, s, func(tx store.Tx) error {
		for _, a := range []struct{ owner, arn string }{{u.ID, managed}, {u.ID, custom}, {u.ID, custom}, {v.ID, custom}} {
			if err := tx.AttachIAMPolicy(ctx, a.owner, acct, a.arn); err != nil {
				return err
			}
		}
		return nil
	})
	if as, err := s.ListIAMAttachedPolicies(ctx, u.ID); err != nil || !slices.Equal(as, []string{custom, managed}) {
		t.Fatalf("ListIAMAttachedPolicies = %v, %v", as, err)
	}
	if n, err := s.CountIAMPolicyAttachments(ctx, acct, custom, false); err != nil || n != 2 {
		t.Fatalf("CountIAMPolicyAttachments = %d, %v", n, err)
	}
	// A customer-managed policy attached to a user is "attached" for
	// ListPolicies(OnlyAttached); another of the account is not.
	update(t, s, func(tx store.Tx) error {
		for _, name := range []string{"Custom", "Unused"} {
			p := store.IAMPolicy{AccountID: acct, ID: "ANPA" + name, Name: name, NameKey: strings.ToLower(name), Path: "/team/",
				DefaultVersion: "v1", LastVersion: 1, CreatedAt: iamT0, UpdatedAt: iamT0}
			if err := tx.CreateIAMPolicy(ctx, p, store.IAMPolicyVersion{PolicyID: p.ID, VersionID: "v1", Document: doc, CreatedAt: iamT0}); err != nil {
				return err
			}
		}
		return nil
	})
	if ps, err := s.ListIAMPolicies(ctx, store.IAMPolicyQuery{AccountID: acct, OnlyAttached: true, Limit: 10}); err != nil || len(ps) != 1 || ps[0].Name != "Custom" {
		t.Fatalf("ListIAMPolicies(OnlyAttached) = %+v, %v", ps, err)
	}
	update(t, s, func(tx store.Tx) error { return tx.DetachIAMPolicy(ctx, v.ID, custom) })
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DetachIAMPolicy(ctx, v.ID, custom) }))

	update(t, s, func(tx store.Tx) error {
		return tx.PutIAMEntityTags(ctx, u.ID, []store.Tag{{Key: "team", Value: "platform"}, {Key: "env", Value: "prod"}})
	})
	update(t, s, func(tx store.Tx) error {
		return tx.PutIAMEntityTags(ctx, u.ID, []store.Tag{{Key: "team", Value: "infra"}})
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteIAMEntityTags(ctx, u.ID, []string{"env", "absent"}) })
	if tags, err := s.ListIAMEntityTags(ctx, u.ID); err != nil || len(tags) != 1 || tags[0] != (store.Tag{Key: "team", Value: "infra"}) {
		t.Fatalf("ListIAMEntityTags = %v, %v", tags, err)
	}

	// Deleting the user takes its policies, attachments and tags along.
	update(t, s, func(tx store.Tx) error { return tx.DeleteIAMUser(ctx, u.ID) })
	ps, _ = s.ListIAMInlinePolicies(ctx, u.ID)
	as, _ := s.ListIAMAttachedPolicies(ctx, u.ID)
	tags, _ := s.ListIAMEntityTags(ctx, u.ID)
	if len(ps)+len(as)+len(tags) != 0 {
		t.Fatalf("left after delete: %v %v %v", ps, as, tags)
	}
	if ps, _ := s.ListIAMInlinePolicies(ctx, v.ID); len(ps) != 1 {
		t.Fatalf("another user's policies = %v", ps)
	}
}

func testAccessKeysOfPrincipal(t *testing.T, open Connect) {
	s := open()
	const alice = "arn:aws:iam::111111111111:user/alice"
	keys := []store.AccessKey{
		{ID: "AKIAAAAAAAAAAAAAAAA2", PrincipalARN: alice, PrincipalID: "AIDAALICE", CreatedAt: iamT0.Add(time.Second)},
		{ID: "AKIAAAAAAAAAAAAAAAA1", PrincipalARN: alice, PrincipalID: "AIDAALICE", CreatedAt: iamT0},
		{ID: "AKIAAAAAAAAAAAAAAAA3", PrincipalARN: "arn:aws:iam::111111111111:user/bob", CreatedAt: iamT0},
	}
	update(t, s, func(tx store.Tx) error {
		for _, k := range keys {
			k.SecretSealed, k.AccountID, k.Status = []byte{1}, "111111111111", "Active"
			if err := tx.PutAccessKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.ListAccessKeysOf(ctx, alice)
	if err != nil || len(got) != 2 || got[0].ID != keys[1].ID || got[1].ID != keys[0].ID || got[0].PrincipalID != "AIDAALICE" {
		t.Fatalf("ListAccessKeysOf = %+v, %v", got, err)
	}
	if k, err := s.GetAccessKey(ctx, keys[0].ID); err != nil || k.PrincipalID != "AIDAALICE" {
		t.Fatalf("GetAccessKey = %+v, %v", k, err)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteAccessKey(ctx, keys[0].ID) })
	_, err = s.GetAccessKey(ctx, keys[0].ID)
	wantNotFound(t, err)
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeleteAccessKey(ctx, keys[0].ID) }))
	if got, _ := s.ListAccessKeysOf(ctx, alice); len(got) != 1 {
		t.Fatalf("keys after delete = %+v", got)
	}
}

// testConcurrentIAMUserCreate creates the same user name from two replicas
// at once: exactly one wins, the other sees the uniqueness conflict.
func testConcurrentIAMUserCreate(t *testing.T, open Connect) {
	stores := twoReplicas(open)
	const acct = "111111111111"
	var n atomic.Int64
	wins := race(t, stores, 8, func(s store.Store) (bool, error) {
		u := newIAMUser(acct, 1, "/")
		u.ID = fmt.Sprintf("AIDARACE%013d", n.Add(1))
		err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateIAMUser(ctx, u) })
		if _, ok := store.IsConflict(err); ok {
			return false, nil
		}
		return err == nil, err
	})
	if wins != 1 {
		t.Fatalf("%d creations of one name succeeded", wins)
	}
}
