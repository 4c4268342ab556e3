package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// consoleTests are the conformance tests of the admin console's tables and
// reads (migrations 0600–0699).
var consoleTests = []struct {
	name string
	fn   func(t *testing.T, open Connect)
}{
	{"ConsoleGrants", testConsoleGrants},
	{"SearchUsers", testSearchUsers},
	{"OutdatedRoles", testOutdatedRoles},
	{"SearchAuditEvents", testSearchAuditEvents},
}

func testConsoleGrants(t *testing.T, open Connect) {
	s := open()
	at := time.Date(2026, 6, 7, 8, 9, 10, 11000, time.UTC)
	_, err := s.GetConsoleGrant(ctx, "u-1")
	wantNotFound(t, err)
	for i := 1; i <= 5; i++ {
		g := store.ConsoleGrant{UserID: id("u", i), Level: "FULL", GrantedAt: at, GrantedBy: "admin"}
		update(t, s, func(tx store.Tx) error { return tx.PutConsoleGrant(ctx, g) })
	}
	// Putting again replaces the grant.
	policy := store.ConsoleGrant{UserID: id("u", 2), Level: "POLICY", PolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::111122223333:policy/a/GroupAdmins"},
		GrantedAt: at.Add(time.Hour), GrantedBy: "other"}
	update(t, s, func(tx store.Tx) error { return tx.PutConsoleGrant(ctx, policy) })
	got, err := s.GetConsoleGrant(ctx, id("u", 2))
	if err != nil || got.Level != "POLICY" || !slices.Equal(got.PolicyARNs, policy.PolicyARNs) || !got.GrantedAt.Equal(policy.GrantedAt) || got.GrantedBy != "other" {
		t.Fatalf("GetConsoleGrant = %+v, %v; want %+v", got, err, policy)
	}
	if got, _ := s.GetConsoleGrant(ctx, id("u", 1)); got.PolicyARNs == nil || len(got.PolicyARNs) != 0 {
		t.Fatalf("a grant without policies reads back %#v", got.PolicyARNs)
	}
	page1, err := s.ListConsoleGrants(ctx, "", 3)
	if err != nil || len(page1) != 3 || page1[0].UserID != id("u", 1) {
		t.Fatalf("ListConsoleGrants page 1 = %+v, %v", page1, err)
	}
	page2, _ := s.ListConsoleGrants(ctx, page1[2].UserID, 3)
	if len(page2) != 2 || page2[0].UserID != id("u", 4) {
		t.Fatalf("ListConsoleGrants page 2 = %+v", page2)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteConsoleGrant(ctx, id("u", 3)) })
	_, err = s.GetConsoleGrant(ctx, id("u", 3))
	wantNotFound(t, err)
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeleteConsoleGrant(ctx, id("u", 3)) }))
}

func testSearchUsers(t *testing.T, open Connect) {
	s := open()
	names := []string{"alice", "alicia", "alí", "al%_x", "bob", "Zed", "aaron", "ali\U0010FFFFx"}
	update(t, s, func(tx store.Tx) error {
		for i, n := range names {
			u := newUser(i + 1)
			u.UserName, u.UserNameKey = n, n
			u.EmailKey = fmt.Sprintf("%s@%d.example.com", n, i)
			if i == 4 {
				u.EmailKey = "" // bob has no email
			}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	keys := func(us []store.User) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.UserNameKey)
		}
		return out
	}
	for _, tc := range []struct {
		field, prefix string
		want          []string
	}{
		// "alí" does not start with "ali"; a key with U+10FFFF right after
		// the prefix is the documented miss.
		{"user_name", "ali", []string{"alice", "alicia"}},
		{"user_name", "al", []string{"al%_x", "alice", "alicia", "ali\U0010FFFFx", "alí"}},
		// LIKE's wildcards are literal characters.
		{"user_name", "al%", []string{"al%_x"}},
		{"user_name", "b", []string{"bob"}},
		{"user_name", "c", nil},
		{"user_name", "", []string{"Zed", "aaron", "al%_x", "alice", "alicia", "ali\U0010FFFFx", "alí", "bob"}},
		{"email", "alic", []string{"alice", "alicia"}},
		{"email", "", []string{"Zed", "aaron", "al%_x", "alice", "alicia", "ali\U0010FFFFx", "alí"}},
	} {
		got, err := s.SearchUsers(ctx, store.UserSearch{Field: tc.field, Prefix: tc.prefix, Limit: 100})
		if err != nil || !slices.Equal(keys(got), tc.want) {
			t.Errorf("SearchUsers(%s, %q) = %q, %v; want %q", tc.field, tc.prefix, keys(got), err, tc.want)
		}
	}
	// Keyset paging by the searched key.
	p1, _ := s.SearchUsers(ctx, store.UserSearch{Prefix: "al", Limit: 2})
	p2, _ := s.SearchUsers(ctx, store.UserSearch{Prefix: "al", After: p1[1].UserNameKey, Limit: 2})
	if !slices.Equal(keys(p1), []string{"al%_x", "alice"}) || !slices.Equal(keys(p2), []string{"alicia", "ali\U0010FFFFx"}) {
		t.Fatalf("pages %q %q", keys(p1), keys(p2))
	}
	e1, _ := s.SearchUsers(ctx, store.UserSearch{Field: "email", Prefix: "ali", Limit: 1})
	e2, _ := s.SearchUsers(ctx, store.UserSearch{Field: "email", Prefix: "ali", After: e1[0].EmailKey, Limit: 5})
	if !slices.Equal(keys(e1), []string{"alice"}) || !slices.Equal(keys(e2), []string{"alicia"}) {
		t.Fatalf("email pages %q %q", keys(e1), keys(e2))
	}
	if _, err := s.SearchUsers(ctx, store.UserSearch{Field: "display_name", Limit: 1}); err == nil {
		t.Fatal("a search by an unindexed field succeeded")
	}
}

func testOutdatedRoles(t *testing.T, open Connect) {
	s := open()
	at := time.Date(2026, 6, 7, 8, 9, 10, 0, time.UTC)
	update(t, s, func(tx store.Tx) error {
		for i := 1; i <= 3; i++ {
			ps := store.PermissionSet{ID: fmt.Sprintf("ps-%016d", i), Name: fmt.Sprint("PS", i), NameKey: fmt.Sprint("ps", i),
				SessionDuration: "PT1H", Version: 2, CreatedAt: at, UpdatedAt: at}
			if err := tx.CreatePermissionSet(ctx, ps); err != nil {
				return err
			}
			for a := 1; a <= 3; a++ {
				version := int64(2)
				if (i+a)%2 == 0 {
					version = 1 // provisioned before the last change
				}
				r := store.ProvisionedRole{PermissionSetID: ps.ID, AccountID: fmt.Sprintf("%012d", a),
					RoleName: fmt.Sprintf("AWSReservedSSO_PS%d_%d", i, a), RoleNameKey: fmt.Sprintf("awsreservedsso_ps%d_%d", i, a),
					RoleID: fmt.Sprintf("AROA%017d", i*10+a), Path: "/aws-reserved/sso.amazonaws.com/", PermissionSetVersion: version,
					Revision: 1, CreatedAt: at, UpdatedAt: at}
				if err := tx.PutProvisionedRole(ctx, r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	pairs := func(rs []store.ProvisionedRole) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.PermissionSetID[len(r.PermissionSetID)-1:]+"/"+r.AccountID[len(r.AccountID)-1:])
		}
		return out
	}
	all, err := s.ListOutdatedRoles(ctx, "", "", 100)
	if want := []string{"1/1", "1/3", "2/2", "3/1", "3/3"}; err != nil || !slices.Equal(pairs(all), want) {
		t.Fatalf("ListOutdatedRoles = %q, %v; want %q", pairs(all), err, want)
	}
	p1, _ := s.ListOutdatedRoles(ctx, "", "", 2)
	last := p1[len(p1)-1]
	p2, _ := s.ListOutdatedRoles(ctx, last.PermissionSetID, last.AccountID, 2)
	if !slices.Equal(pairs(p2), []string{"2/2", "3/1"}) {
		t.Fatalf("second page %q", pairs(p2))
	}
}

func testSearchAuditEvents(t *testing.T, open Connect) {
	s := open()
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// 30 events: every third fails; names alternate; three principals.
	// Event i happens at base+i minutes, except that two events share a
	// time, so that paging by time has a tie to break.
	update(t, s, func(tx store.Tx) error {
		var evs []store.AuditEvent
		for i := range 30 {
			name := "CreateUser"
			if i%2 == 1 {
				name = "ListUsers"
			}
			code := ""
			if i%3 == 0 {
				code = "ValidationException"
			}
			at := base.Add(time.Duration(i) * time.Minute)
			if i == 11 {
				at = base.Add(10 * time.Minute)
			}
			evs = append(evs, store.AuditEvent{EventID: id("e", i), Time: at, Source: "identitystore.amazonaws.com", Name: name,
				Principal: fmt.Sprint("p", i%3), ErrorCode: code, Document: []byte(fmt.Sprintf(`{"i":%d}`, i))})
		}
		return tx.AppendAuditEvents(ctx, evs...)
	})
	idx := func(evs []store.AuditEvent) []int {
		var out []int
		for _, e := range evs {
			var n int
			fmt.Sscanf(string(e.Document), `{"i":%d}`, &n)
			out = append(out, n)
		}
		return out
	}
	// all walks every page of q and returns the events' indexes.
	all := func(q store.AuditSearch) []int {
		t.Helper()
		var out []int
		q.Limit = 4
		for range 20 {
			page, err := s.SearchAuditEvents(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, idx(page)...)
			if len(page) < q.Limit {
				return out
			}
			q.Before, q.BeforeTime = page[len(page)-1].Seq, page[len(page)-1].Time
		}
		t.Fatal("paging does not end")
		return nil
	}
	for _, tc := range []struct {
		name string
		q    store.AuditSearch
		want []int
	}{
		{"everything", store.AuditSearch{}, []int{29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"failures", store.AuditSearch{Outcome: store.AuditFailure}, []int{27, 24, 21, 18, 15, 12, 9, 6, 3, 0}},
		{"failed ListUsers", store.AuditSearch{EventName: "ListUsers", Outcome: store.AuditFailure}, []int{27, 21, 15, 9, 3}},
		{"successes of p1", store.AuditSearch{Principal: "p1", Outcome: store.AuditSuccess}, []int{28, 25, 22, 19, 16, 13, 10, 7, 4, 1}},
		{"failures of p0", store.AuditSearch{Principal: "p0", Outcome: store.AuditFailure}, []int{27, 24, 21, 18, 15, 12, 9, 6, 3, 0}},
		// By time, newest first; events 10 and 11 share a time (11 is
		// the later in sequence).
		{"window", store.AuditSearch{Since: base.Add(8 * time.Minute), Until: base.Add(14 * time.Minute)}, []int{13, 12, 11, 10, 9, 8}},
		{"window failures", store.AuditSearch{Since: base.Add(8 * time.Minute), Until: base.Add(14 * time.Minute), Outcome: store.AuditFailure}, []int{12, 9}},
		{"until", store.AuditSearch{Until: base.Add(5 * time.Minute)}, []int{4, 3, 2, 1, 0}},
		{"window by name", store.AuditSearch{EventName: "CreateUser", Since: base.Add(8 * time.Minute), Until: base.Add(14 * time.Minute)}, []int{12, 10, 8}},
	} {
		if got := all(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
