package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// testPortalReader checks the access portal's reads: the accounts a user
// reaches directly and through groups, in name order, paged, searched and
// counted, with both query plans giving the same answer; and the roles.
func testPortalReader(t *testing.T, open Connect) {
	s := open()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	update(t, s, func(tx store.Tx) error {
		for _, u := range []store.User{newUser(1), newUser(2)} {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		for i := range 3 {
			if err := tx.CreateGroup(ctx, newGroup(i)); err != nil {
				return err
			}
		}
		// User 1 is in groups 0 and 1; user 2 in group 2.
		for i, m := range [][2]string{{id("g", 0), id("u", 1)}, {id("g", 1), id("u", 1)}, {id("g", 2), id("u", 2)}} {
			if err := tx.CreateMembership(ctx, store.Membership{ID: id("m", i), GroupID: m[0], UserID: m[1], CreatedAt: now, CreatedBy: "t"}); err != nil {
				return err
			}
		}
		for i := range 30 {
			// Names out of id order, two of them equal.
			name := fmt.Sprintf("Account %02d", (i*7)%30)
			if i == 29 {
				name = "Account 00"
			}
			if err := tx.CreateAccount(ctx, store.Account{ID: fmt.Sprintf("1000000000%02d", i), Name: name,
				Email: fmt.Sprintf("acct%d@Example.com", i), EmailKey: fmt.Sprintf("acct%d@example.com", i),
				Status: "ACTIVE", JoinedMethod: "CREATED", JoinedAt: now, ParentID: "r-root"}); err != nil {
				return err
			}
		}
		for i, ps := range []string{"Admin", "ReadOnly"} {
			if err := tx.CreatePermissionSet(ctx, store.PermissionSet{ID: fmt.Sprintf("ps-%016d", i), Name: ps, NameKey: ps,
				Description: ps + " access", SessionDuration: "PT1H", RelayState: "", CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
				return err
			}
		}
		assign := func(acct int, ps int, typ, principal string) error {
			_, err := tx.CreateAccountAssignment(ctx, store.AccountAssignment{AccountID: fmt.Sprintf("1000000000%02d", acct),
				PermissionSetID: fmt.Sprintf("ps-%016d", ps), PrincipalType: typ, PrincipalID: principal, CreatedAt: now})
			return err
		}
		// User 1: accounts 0–9 through group 0, 5–14 through group 1
		// (overlap), 20 directly with two roles. User 2: account 25.
		for i := range 10 {
			if err := assign(i, 0, "GROUP", id("g", 0)); err != nil {
				return err
			}
			if err := assign(i+5, 1, "GROUP", id("g", 1)); err != nil {
				return err
			}
		}
		for _, err := range []error{assign(20, 0, "USER", id("u", 1)), assign(20, 1, "USER", id("u", 1)), assign(25, 0, "GROUP", id("g", 2)),
			assign(29, 0, "GROUP", id("g", 0))} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	// Assignment rows: 10 + 10 through groups, 2 direct, 1 more (29).
	if n, err := s.CountUserAssignments(ctx, id("u", 1), 100); err != nil || n != 23 {
		t.Fatalf("CountUserAssignments = %d, %v; want 23", n, err)
	}
	if n, _ := s.CountUserAssignments(ctx, id("u", 1), 7); n != 7 {
		t.Fatalf("capped assignment count = %d, want 7", n)
	}
	for _, dense := range []bool{false, true} {
		n, err := s.CountUserAccounts(ctx, id("u", 1), "", 100, dense)
		if err != nil || n != 17 {
			t.Fatalf("dense=%v: CountUserAccounts = %d, %v; want 17", dense, n, err)
		}
		if n, _ := s.CountUserAccounts(ctx, id("u", 1), "", 5, dense); n != 5 {
			t.Fatalf("dense=%v: capped count = %d, want 5", dense, n)
		}
		// Reachable: accounts 0–14, 20 and 29; "acct1" matches acct1 and acct10–14.
		if n, _ := s.CountUserAccounts(ctx, id("u", 1), "acct1", 100, dense); n != 6 {
			t.Fatalf("dense=%v: search count = %d, want 6", dense, n)
		}
	}
	for _, dense := range []bool{false, true} {
		var all []string
		q := store.UserAccountQuery{UserID: id("u", 1), Limit: 4, Dense: dense}
		for {
			page, err := s.ListUserAccounts(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page {
				all = append(all, a.Name+"/"+a.ID)
			}
			if len(page) < q.Limit {
				break
			}
			q.AfterName, q.AfterID = page[len(page)-1].Name, page[len(page)-1].ID
		}
		if len(all) != 17 {
			t.Fatalf("dense=%v: %d accounts listed, want 17: %v", dense, len(all), all)
		}
		for i := 1; i < len(all); i++ {
			if all[i-1] >= all[i] {
				t.Fatalf("dense=%v: not in name order: %v", dense, all)
			}
		}
		// "ACCT2" (case-insensitive) matches the emails of 2, 20 and 29.
		got, err := s.ListUserAccounts(ctx, store.UserAccountQuery{UserID: id("u", 1), Search: "acct2", Limit: 50, Dense: dense})
		if err != nil || len(got) != 3 {
			t.Fatalf("dense=%v: search acct2 = %+v, %v", dense, got, err)
		}
		got, _ = s.ListUserAccounts(ctx, store.UserAccountQuery{UserID: id("u", 2), Limit: 50, Dense: dense})
		if len(got) != 1 || got[0].ID != "100000000025" {
			t.Fatalf("dense=%v: user 2 reaches %+v", dense, got)
		}
		// LIKE wildcards in the search are literal.
		if got, _ := s.ListUserAccounts(ctx, store.UserAccountQuery{UserID: id("u", 1), Search: "%", Limit: 50, Dense: dense}); len(got) != 0 {
			t.Fatalf("dense=%v: search %% matched %d", dense, len(got))
		}
	}
	roles, err := s.ListUserRoles(ctx, id("u", 1), "100000000020")
	if err != nil || len(roles) != 2 || roles[0].Name != "Admin" || roles[1].Name != "ReadOnly" || roles[0].SessionDuration != "PT1H" {
		t.Fatalf("ListUserRoles = %+v, %v", roles, err)
	}
	if roles, _ := s.ListUserRoles(ctx, id("u", 2), "100000000020"); len(roles) != 0 {
		t.Fatalf("user 2 has roles in account 20: %+v", roles)
	}
}
