package entitlement

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// TestAccountPages pages through the accounts of a user who reaches many
// (the name-order plan) and of one who reaches few (the set plan), and
// checks both against the assignments.
func TestAccountPages(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "g.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	want := map[string][]string{}
	err = db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreatePermissionSet(ctx, store.PermissionSet{ID: "ps-0000000000000001", Name: "Dev", NameKey: "dev",
			SessionDuration: "PT2H30M", RelayState: "https://console.aws.amazon.com/ec2", CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
			return err
		}
		for g := range 3 {
			gid := fmt.Sprintf("g%d", g)
			if err := tx.CreateGroup(ctx, store.Group{ID: gid, DisplayName: gid, DisplayNameKey: gid, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
				return err
			}
			if err := tx.CreateMembership(ctx, store.Membership{ID: "m" + gid, GroupID: gid, UserID: "many", CreatedAt: now}); err != nil {
				return err
			}
		}
		for i := range 400 {
			id := fmt.Sprintf("2%011d", i)
			name := fmt.Sprintf("acct-%03d", (i*37)%400)
			if err := tx.CreateAccount(ctx, store.Account{ID: id, Name: name, Email: id + "@example.com", EmailKey: id + "@example.com",
				Status: "ACTIVE", JoinedMethod: "CREATED", JoinedAt: now, ParentID: "r"}); err != nil {
				return err
			}
			if i%4 != 3 { // three accounts in four reach "many"
				if _, err := tx.CreateAccountAssignment(ctx, store.AccountAssignment{AccountID: id, PermissionSetID: "ps-0000000000000001",
					PrincipalType: "GROUP", PrincipalID: fmt.Sprintf("g%d", i%3), CreatedAt: now}); err != nil {
					return err
				}
				want["many"] = append(want["many"], name+"/"+id)
			}
			if i%100 == 0 {
				if _, err := tx.CreateAccountAssignment(ctx, store.AccountAssignment{AccountID: id, PermissionSetID: "ps-0000000000000001",
					PrincipalType: "USER", PrincipalID: "few", CreatedAt: now}); err != nil {
					return err
				}
				want["few"] = append(want["few"], name+"/"+id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	acc := newAccountLister(db)
	for user, list := range want {
		sort.Strings(list)
		var got []string
		q := portal.AccountQuery{Limit: 50}
		for {
			page, err := acc.page(ctx, user, q)
			if err != nil {
				t.Fatal(err)
			}
			if user == "few" && (page.Total != 4 || page.TotalAtLeast) {
				t.Fatalf("few: total %d (at least: %v)", page.Total, page.TotalAtLeast)
			}
			if user == "many" && q.After == "" && (page.Total != 50 || !page.TotalAtLeast) {
				t.Fatalf("many: first page total %d (at least: %v), want 50+", page.Total, page.TotalAtLeast)
			}
			for _, a := range page.Accounts {
				got = append(got, a.Name+"/"+a.ID)
			}
			if page.Next == "" {
				break
			}
			q.After = page.Next
		}
		if fmt.Sprint(got) != fmt.Sprint(list) {
			t.Fatalf("%s: listed %d accounts, want %d (or not in name order)", user, len(got), len(list))
		}
	}
	page, err := acc.page(ctx, "many", portal.AccountQuery{Search: "ACCT-01", Limit: 50})
	if err != nil || len(page.Accounts) == 0 {
		t.Fatalf("search: %+v, %v", page, err)
	}
	for _, a := range page.Accounts {
		if a.Name[:7] != "acct-01" {
			t.Fatalf("search for acct-01 listed %s", a.Name)
		}
	}
	if _, err := acc.page(ctx, "many", portal.AccountQuery{After: "!!!"}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("bad position: %v", err)
	}
}
