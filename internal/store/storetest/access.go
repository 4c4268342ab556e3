package storetest

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// accessTests are the conformance tests of the organization, access and
// IAM tables (migrations 0100–0199). The queue and read-modify-write tests
// run on two handles ("replicas") so that exclusivity holds across
// processes, not only inside one.
var accessTests = []struct {
	name string
	fn   func(t *testing.T, open Connect)
}{
	{"OrgAccountsAndUnits", testOrgAccountsAndUnits},
	{"CreateAccountQueueClaimedOnce", testCreateAccountQueue},
	{"PermissionSets", testPermissionSets},
	{"AccountAssignments", testAccountAssignments},
	{"ConcurrentAssignmentCreate", testConcurrentAssignmentCreate},
	{"ProvisionedRoles", testProvisionedRoles},
	{"UserRole", testUserRole},
	{"ProvisioningNoLostUpdates", testProvisioningNoLostUpdates},
	{"SSOOperationQueueClaimedOnce", testSSOOperationQueue},
	{"AccessControlAttributes", testAccessControlAttributes},
	{"IAMPolicies", testIAMPolicies},
}

var accessT0 = time.Date(2026, 4, 5, 6, 7, 8, 9000, time.UTC)

func twoReplicas(open Connect) []store.Store { return []store.Store{open(), open()} }

func testOrgAccountsAndUnits(t *testing.T, open Connect) {
	s := open()
	org := store.Organization{ID: "o-abcdefghij", RootID: "r-abcd", ManagementAccountID: "111111111111", FeatureSet: "ALL", CreatedAt: accessT0}
	var created bool
	update(t, s, func(tx store.Tx) (err error) { created, err = tx.CreateOrganization(ctx, org); return })
	other := org
	other.ID = "o-zzzzzzzzzz"
	update(t, s, func(tx store.Tx) error {
		again, err := tx.CreateOrganization(ctx, other)
		if again {
			return errors.New("second organization created")
		}
		return err
	})
	if got, err := s.GetOrganization(ctx); !created || err != nil || got != org {
		t.Fatalf("GetOrganization = %+v, %v (created %v)", got, err, created)
	}

	acct := func(n int, parent string) store.Account {
		return store.Account{ID: fmt.Sprintf("%012d", n), Name: fmt.Sprint("Account ", n), Email: fmt.Sprintf("a%d@example.com", n),
			EmailKey: fmt.Sprintf("a%d@example.com", n), Status: "ACTIVE", JoinedMethod: "CREATED", JoinedAt: accessT0, ParentID: parent}
	}
	update(t, s, func(tx store.Tx) error {
		for i := 1; i <= 7; i++ {
			if err := tx.CreateAccount(ctx, acct(i, org.RootID)); err != nil {
				return err
			}
		}
		return nil
	})
	dup := acct(8, org.RootID)
	dup.EmailKey = "a1@example.com"
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.CreateAccount(ctx, dup) }), "org_accounts_email_key")
	if got, err := s.GetAccountByEmail(ctx, "a3@example.com"); err != nil || got.ID != acct(3, "").ID || !got.JoinedAt.Equal(accessT0) {
		t.Fatalf("GetAccountByEmail = %+v, %v", got, err)
	}
	if n, _ := s.CountAccounts(ctx); n != 7 {
		t.Fatalf("CountAccounts = %d", n)
	}

	ou := store.OrgUnit{ID: "ou-abcd-11111111", Name: "Prod", NameKey: "prod", ParentID: org.RootID, CreatedAt: accessT0}
	update(t, s, func(tx store.Tx) error { return tx.CreateOrgUnit(ctx, ou) })
	dupOU := ou
	dupOU.ID = "ou-abcd-22222222"
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.CreateOrgUnit(ctx, dupOU) }), "org_units_parent_name")
	dupOU.ParentID = ou.ID // the same name under another parent is fine
	update(t, s, func(tx store.Tx) error { return tx.CreateOrgUnit(ctx, dupOU) })
	if kids, err := s.ListOrgUnits(ctx, org.RootID, "", 10); err != nil || len(kids) != 1 || kids[0] != ou {
		t.Fatalf("ListOrgUnits = %+v, %v", kids, err)
	}
	if n, _ := s.CountOrgUnits(ctx); n != 2 {
		t.Fatalf("CountOrgUnits = %d", n)
	}

	for _, i := range []int{2, 4, 6} {
		update(t, s, func(tx store.Tx) error { return tx.MoveAccount(ctx, acct(i, "").ID, ou.ID) })
	}
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.MoveAccount(ctx, "999999999999", ou.ID) }))
	var inOU []string
	after := ""
	for {
		page, err := s.ListAccounts(ctx, store.AccountQuery{ParentID: ou.ID, After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			inOU = append(inOU, a.ID)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(inOU) != 3 || !sort.StringsAreSorted(inOU) {
		t.Fatalf("accounts in OU = %v", inOU)
	}
	if all, _ := s.ListAccounts(ctx, store.AccountQuery{Limit: 100}); len(all) != 7 {
		t.Fatalf("ListAccounts = %d", len(all))
	}

	id := acct(1, "").ID
	update(t, s, func(tx store.Tx) error {
		return tx.PutOrgTags(ctx, id, []store.Tag{{Key: "b", Value: "1"}, {Key: "a", Value: "2"}})
	})
	update(t, s, func(tx store.Tx) error { return tx.PutOrgTags(ctx, id, []store.Tag{{Key: "b", Value: "3"}}) })
	if tags, _ := s.ListOrgTags(ctx, id); len(tags) != 2 || tags[0] != (store.Tag{Key: "a", Value: "2"}) || tags[1].Value != "3" {
		t.Fatalf("tags = %+v", tags)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteOrgTags(ctx, id, []string{"a", "missing"}) })
	if tags, _ := s.ListOrgTags(ctx, id); len(tags) != 1 {
		t.Fatalf("tags after delete = %+v", tags)
	}
}

func testCreateAccountQueue(t *testing.T, open Connect) {
	rs := twoReplicas(open)
	const n = 20
	update(t, rs[0], func(tx store.Tx) error {
		for i := range n {
			r := store.CreateAccountRequest{ID: fmt.Sprintf("car-%032d", i), AccountName: "x", Email: "x@example.com",
				State: "IN_PROGRESS", RequestedAt: accessT0, Tags: []store.Tag{{Key: "k", Value: "v"}}}
			if err := tx.PutCreateAccountRequest(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	claimed := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for {
				var got []store.CreateAccountRequest
				err := rs[w%2].Update(ctx, func(tx store.Tx) (err error) {
					got, err = tx.ClaimCreateAccountRequests(ctx, accessT0, accessT0.Add(time.Minute), 3)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, r := range got {
					claimed[r.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != n {
		t.Fatalf("%d requests claimed, want %d", len(claimed), n)
	}
	for id, c := range claimed {
		if c != 1 {
			t.Errorf("request %s claimed %d times", id, c)
		}
	}
	// After the lease runs out the request can be claimed again.
	var again []store.CreateAccountRequest
	update(t, rs[1], func(tx store.Tx) (err error) {
		again, err = tx.ClaimCreateAccountRequests(ctx, accessT0.Add(2*time.Minute), accessT0.Add(3*time.Minute), 100)
		return err
	})
	if len(again) != n {
		t.Fatalf("reclaimed %d after lease expiry, want %d", len(again), n)
	}
	r := again[0]
	r.State, r.AccountID, r.CompletedAt, r.LeaseUntil = "SUCCEEDED", "123456789012", accessT0.Add(time.Hour), time.Time{}
	update(t, rs[0], func(tx store.Tx) error { return tx.PutCreateAccountRequest(ctx, r) })
	got, err := rs[1].GetCreateAccountRequest(ctx, r.ID)
	if err != nil || got.State != "SUCCEEDED" || !got.CompletedAt.Equal(r.CompletedAt) || !got.LeaseUntil.IsZero() || len(got.Tags) != 1 {
		t.Fatalf("GetCreateAccountRequest = %+v, %v", got, err)
	}
	done, _ := rs[0].ListCreateAccountRequests(ctx, store.CreateAccountRequestQuery{States: []string{"SUCCEEDED"}, Limit: 100})
	if len(done) != 1 {
		t.Fatalf("succeeded requests = %d", len(done))
	}
	page1, _ := rs[0].ListCreateAccountRequests(ctx, store.CreateAccountRequestQuery{Limit: 5})
	page2, _ := rs[0].ListCreateAccountRequests(ctx, store.CreateAccountRequestQuery{After: page1[4].ID, Limit: 100})
	if len(page1)+len(page2) != n || page2[0].ID <= page1[4].ID {
		t.Fatal("paging create account requests")
	}
}

func newPS(n int) store.PermissionSet {
	return store.PermissionSet{ID: fmt.Sprintf("ps-%016d", n), Name: fmt.Sprint("Set", n), NameKey: fmt.Sprint("set", n),
		SessionDuration: "PT1H", Version: 1, CreatedAt: accessT0, UpdatedAt: accessT0}
}

func testPermissionSets(t *testing.T, open Connect) {
	s := open()
	ps := newPS(1)
	ps.Boundary = &store.Boundary{CustomerPolicy: &store.CustomerPolicyRef{Name: "Limit", Path: "/"}}
	ps.InlinePolicy = `{"Version":"2012-10-17"}`
	update(t, s, func(tx store.Tx) error { return tx.CreatePermissionSet(ctx, ps) })
	dup := newPS(2)
	dup.NameKey = ps.NameKey
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.CreatePermissionSet(ctx, dup) }), "permission_sets_name_key")
	got, err := s.GetPermissionSet(ctx, ps.ID)
	if err != nil || got.Boundary == nil || got.Boundary.CustomerPolicy.Name != "Limit" || got.InlinePolicy != ps.InlinePolicy {
		t.Fatalf("GetPermissionSet = %+v, %v", got, err)
	}
	if byName, err := s.GetPermissionSetByName(ctx, "set1"); err != nil || byName.ID != ps.ID {
		t.Fatalf("by name: %v", err)
	}

	got.Description, got.Boundary, got.Version = "changed", nil, 2
	update(t, s, func(tx store.Tx) error { return tx.UpdatePermissionSet(ctx, got) })
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePermissionSet(ctx, got) })) // stale version
	if after, _ := s.GetPermissionSet(ctx, ps.ID); after.Description != "changed" || after.Boundary != nil || after.Version != 2 {
		t.Fatalf("after update: %+v", after)
	}

	arn := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	update(t, s, func(tx store.Tx) error {
		if err := tx.AttachManagedPolicy(ctx, store.ManagedPolicyAttachment{PermissionSetID: ps.ID, ARN: arn, Name: "ReadOnlyAccess", AttachedAt: accessT0}); err != nil {
			return err
		}
		if err := tx.AttachCustomerPolicyRef(ctx, ps.ID, store.CustomerPolicyRef{Name: "Mine", Path: "/team/"}); err != nil {
			return err
		}
		return tx.PutSSOTags(ctx, ps.ID, []store.Tag{{Key: "k", Value: "v"}})
	})
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error {
		return tx.AttachManagedPolicy(ctx, store.ManagedPolicyAttachment{PermissionSetID: ps.ID, ARN: arn, Name: "x", AttachedAt: accessT0})
	}), "ps_managed_policies_pkey")
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error {
		return tx.AttachCustomerPolicyRef(ctx, ps.ID, store.CustomerPolicyRef{Name: "Mine", Path: "/team/"})
	}), "ps_customer_policies_pkey")
	if m, _ := s.ListManagedPolicyAttachments(ctx, ps.ID); len(m) != 1 || m[0].Name != "ReadOnlyAccess" {
		t.Fatalf("managed = %+v", m)
	}
	if c, _ := s.ListCustomerPolicyRefs(ctx, ps.ID); len(c) != 1 || c[0].Path != "/team/" {
		t.Fatalf("customer = %+v", c)
	}
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DetachManagedPolicy(ctx, ps.ID, "arn:aws:iam::aws:policy/Other") }))
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error {
		return tx.DetachCustomerPolicyRef(ctx, ps.ID, store.CustomerPolicyRef{Name: "Mine", Path: "/"})
	}))

	update(t, s, func(tx store.Tx) error { return tx.CreatePermissionSet(ctx, newPS(3)) })
	if sets, _ := s.ListPermissionSets(ctx, store.ListQuery{After: ps.ID, Limit: 10}); len(sets) != 1 || sets[0].ID != newPS(3).ID {
		t.Fatalf("ListPermissionSets = %+v", sets)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeletePermissionSet(ctx, ps.ID) })
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeletePermissionSet(ctx, ps.ID) }))
	if m, _ := s.ListManagedPolicyAttachments(ctx, ps.ID); len(m) != 0 {
		t.Fatal("managed policy attachments survive their permission set")
	}
	if tags, _ := s.ListSSOTags(ctx, ps.ID); len(tags) != 0 {
		t.Fatal("tags survive their permission set")
	}
	if n, _ := s.CountPermissionSets(ctx); n != 1 {
		t.Fatalf("CountPermissionSets = %d", n)
	}
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.SetInstanceName(ctx, "x") })) // no instance yet
	update(t, s, func(tx store.Tx) error {
		_, err := tx.CreateInstance(ctx, store.Instance{InstanceID: "ssoins-0123456789abcdef", IdentityStoreID: "d-0123456789",
			OwnerAccountID: "111122223333", Status: "ACTIVE", CreatedAt: accessT0})
		return err
	})
	update(t, s, func(tx store.Tx) error { return tx.SetInstanceName(ctx, "corp") })
	if in, _ := s.GetInstance(ctx); in.Name != "corp" {
		t.Fatalf("instance name = %q", in.Name)
	}
}

func assignment(acct, ps, typ, id string) store.AccountAssignment {
	return store.AccountAssignment{AccountID: acct, PermissionSetID: ps, PrincipalType: typ, PrincipalID: id, CreatedAt: accessT0}
}

func testAccountAssignments(t *testing.T, open Connect) {
	s := open()
	update(t, s, func(tx store.Tx) error {
		for i := range 3 {
			if err := tx.CreateUser(ctx, newUser(i)); err != nil {
				return err
			}
			if err := tx.CreateGroup(ctx, newGroup(i)); err != nil {
				return err
			}
		}
		// u0 is in g0 and g1.
		for g := range 2 {
			if err := tx.CreateMembership(ctx, store.Membership{ID: id("m", g), GroupID: id("g", g), UserID: id("u", 0), CreatedAt: accessT0}); err != nil {
				return err
			}
		}
		for a := range 4 {
			acct := fmt.Sprintf("%012d", a)
			for _, as := range []store.AccountAssignment{
				assignment(acct, "ps-1", "USER", id("u", 0)),
				assignment(acct, "ps-1", "GROUP", id("g", 0)),
				assignment(acct, "ps-2", "GROUP", id("g", 1)),
				assignment(acct, "ps-2", "GROUP", id("g", 2)),
			} {
				created, err := tx.CreateAccountAssignment(ctx, as)
				if err != nil || !created {
					return fmt.Errorf("create %+v: %v, %v", as, created, err)
				}
			}
		}
		again, err := tx.CreateAccountAssignment(ctx, assignment("000000000000", "ps-1", "USER", id("u", 0)))
		if err != nil || again {
			return fmt.Errorf("second create = %v, %v; want false, nil", again, err)
		}
		return nil
	})
	list := func(q store.AssignmentQuery, pageSize int) []store.AccountAssignment {
		t.Helper()
		var out []store.AccountAssignment
		for {
			q.Limit = pageSize
			page, err := s.ListAccountAssignments(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, page...)
			if len(page) < pageSize {
				return out
			}
			q.After = page[len(page)-1].Key()
		}
	}
	if got := list(store.AssignmentQuery{AccountID: fmt.Sprintf("%012d", 1), PermissionSetID: "ps-2"}, 1); len(got) != 2 {
		t.Fatalf("assignments of ps-2 in account 1 = %+v", got)
	}
	if got := list(store.AssignmentQuery{PrincipalType: "USER", PrincipalID: id("u", 0)}, 3); len(got) != 4 {
		t.Fatalf("direct assignments of u0 = %d, want 4", len(got))
	}
	// With its groups: its own 4, g0's 4 and g1's 4, never g2's.
	withGroups := list(store.AssignmentQuery{PrincipalType: "USER", PrincipalID: id("u", 0), IncludeGroups: true}, 5)
	if len(withGroups) != 12 {
		t.Fatalf("assignments of u0 with groups = %d, want 12", len(withGroups))
	}
	for _, a := range withGroups {
		if a.PrincipalID == id("g", 2) {
			t.Fatal("a group the user is not in leaked into the listing")
		}
	}
	if got := list(store.AssignmentQuery{PrincipalType: "USER", PrincipalID: id("u", 0), IncludeGroups: true, AccountID: fmt.Sprintf("%012d", 2)}, 100); len(got) != 3 {
		t.Fatalf("filtered by account = %d, want 3", len(got))
	}
	if got := list(store.AssignmentQuery{PermissionSetID: "ps-2"}, 3); len(got) != 8 {
		t.Fatalf("assignments of ps-2 = %d", len(got))
	}
	if n, _ := s.CountAccountAssignments(ctx, "ps-1", ""); n != 8 {
		t.Fatalf("count ps-1 = %d", n)
	}
	if n, _ := s.CountAccountAssignments(ctx, "ps-1", fmt.Sprintf("%012d", 3)); n != 2 {
		t.Fatalf("count ps-1 in account 3 = %d", n)
	}
	k := assignment(fmt.Sprintf("%012d", 3), "ps-1", "USER", id("u", 0)).Key()
	if got, err := s.GetAccountAssignment(ctx, k); err != nil || !got.CreatedAt.Equal(accessT0) {
		t.Fatalf("GetAccountAssignment = %+v, %v", got, err)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteAccountAssignment(ctx, k) })
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeleteAccountAssignment(ctx, k) }))
	var removed []store.AccountAssignment
	update(t, s, func(tx store.Tx) (err error) {
		removed, err = tx.DeletePrincipalAssignments(ctx, "GROUP", id("g", 2))
		return
	})
	if len(removed) != 4 {
		t.Fatalf("DeletePrincipalAssignments removed %d, want 4", len(removed))
	}
	if n, _ := s.CountAccountAssignments(ctx, "ps-2", ""); n != 4 {
		t.Fatalf("count ps-2 after removing g2 = %d", n)
	}
}

func testConcurrentAssignmentCreate(t *testing.T, open Connect) {
	rs := twoReplicas(open)
	const n = 50
	var wg sync.WaitGroup
	results := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			err := rs[i%2].Update(ctx, func(tx store.Tx) (err error) {
				results[i], err = tx.CreateAccountAssignment(ctx, assignment("111111111111", "ps-1", "GROUP", "g-1"))
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	created := 0
	for _, c := range results {
		if c {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d of %d concurrent creates reported creating the assignment, want 1", created, n)
	}
	if c, _ := rs[0].CountAccountAssignments(ctx, "ps-1", ""); c != 1 {
		t.Fatalf("%d assignments stored, want 1", c)
	}
}

func newRole(ps, acct string, version int64) store.ProvisionedRole {
	name := "AWSReservedSSO_" + ps + "_0123456789abcdef"
	return store.ProvisionedRole{PermissionSetID: ps, AccountID: acct, RoleName: name, RoleNameKey: name, RoleID: "AROA" + ps + acct,
		Path: "/aws-reserved/sso.amazonaws.com/", PermissionSetVersion: version, Revision: 1, CreatedAt: accessT0, UpdatedAt: accessT0,
		Policies: store.RolePolicies{SessionDuration: "PT1H", Inline: `{"Version":"2012-10-17"}`}}
}

func testProvisionedRoles(t *testing.T, open Connect) {
	s := open()
	update(t, s, func(tx store.Tx) error {
		a, b := newPS(1), newPS(2)
		a.Version, b.Version = 3, 1
		if err := tx.CreatePermissionSet(ctx, a); err != nil {
			return err
		}
		return tx.CreatePermissionSet(ctx, b)
	})
	p1, p2 := newPS(1).ID, newPS(2).ID
	cmp := "arn:aws:iam::000000000001:policy/Mine"
	update(t, s, func(tx store.Tx) error {
		for a := 1; a <= 3; a++ {
			acct := fmt.Sprintf("%012d", a)
			r := newRole(p1, acct, int64(a)) // account 3 is current (version 3)
			r.Policies.CustomerManaged = []store.CapturedPolicy{{Name: "Mine", ARN: cmp, Document: "{}", VersionID: "v1"}}
			if err := tx.PutProvisionedRole(ctx, r); err != nil {
				return err
			}
			if err := tx.PutProvisionedRole(ctx, newRole(p2, acct, 1)); err != nil {
				return err
			}
		}
		return nil
	})
	clash := newRole(p2, fmt.Sprintf("%012d", 1), 1)
	clash.PermissionSetID, clash.RoleID = newPS(3).ID, "AROAOTHER"
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.PutProvisionedRole(ctx, clash) }), "provisioned_roles_name")

	got, err := s.GetProvisionedRole(ctx, p1, fmt.Sprintf("%012d", 2))
	if err != nil || got.Policies.CustomerManaged[0].ARN != cmp || got.Policies.SessionDuration != "PT1H" || !got.CreatedAt.Equal(accessT0) {
		t.Fatalf("GetProvisionedRole = %+v, %v", got, err)
	}
	if byName, err := s.GetProvisionedRoleByName(ctx, fmt.Sprintf("%012d", 2), got.RoleNameKey); err != nil || byName.PermissionSetID != p1 {
		t.Fatalf("by name: %v", err)
	}
	inAcct, _ := s.ListProvisionedRoles(ctx, store.RoleQuery{AccountID: fmt.Sprintf("%012d", 1), Limit: 10})
	if len(inAcct) != 2 || inAcct[0].PermissionSetID != p1 {
		t.Fatalf("roles in account 1 = %+v", inAcct)
	}
	current, _ := s.ListProvisionedRoles(ctx, store.RoleQuery{PermissionSetID: p1, State: store.RoleCurrent, Limit: 10})
	outdated, _ := s.ListProvisionedRoles(ctx, store.RoleQuery{PermissionSetID: p1, State: store.RoleOutdated, Limit: 10})
	if len(current) != 1 || current[0].AccountID != fmt.Sprintf("%012d", 3) || len(outdated) != 2 {
		t.Fatalf("current = %d, outdated = %d", len(current), len(outdated))
	}
	stale, _ := s.ListProvisionedRoles(ctx, store.RoleQuery{AccountID: fmt.Sprintf("%012d", 1), State: store.RoleOutdated, Limit: 10})
	if len(stale) != 1 || stale[0].PermissionSetID != p1 {
		t.Fatalf("outdated in account 1 = %+v", stale)
	}
	page2, _ := s.ListProvisionedRoles(ctx, store.RoleQuery{PermissionSetID: p1, After: fmt.Sprintf("%012d", 1), Limit: 10})
	if len(page2) != 2 {
		t.Fatalf("roles after account 1 = %d", len(page2))
	}
	if roles, _ := s.ListRolesInAccount(ctx, fmt.Sprintf("%012d", 1), "", 10); len(roles) != 2 {
		t.Fatalf("ListRolesInAccount = %d", len(roles))
	}
	if n, _ := s.CountPolicyAttachments(ctx, "000000000001", cmp, false); n != 1 {
		t.Fatalf("attachments of %s in account 1 = %d, want 1", cmp, n)
	}
	// Re-provisioning without the policy drops its attachment.
	r := newRole(p1, "000000000001", 3)
	r.Revision = 2
	update(t, s, func(tx store.Tx) error { return tx.PutProvisionedRole(ctx, r) })
	if n, _ := s.CountPolicyAttachments(ctx, "000000000001", cmp, false); n != 0 {
		t.Fatalf("attachments after re-provisioning = %d, want 0", n)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteProvisionedRole(ctx, p2, "000000000001") })
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeleteProvisionedRole(ctx, p2, "000000000001") }))
}

func testProvisioningNoLostUpdates(t *testing.T, open Connect) {
	rs := twoReplicas(open)
	update(t, rs[0], func(tx store.Tx) error { return tx.PutProvisionedRole(ctx, newRole("ps-1", "111111111111", 1)) })
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := rs[i%2].Update(ctx, func(tx store.Tx) error {
				r, err := tx.GetProvisionedRole(ctx, "ps-1", "111111111111")
				if err != nil {
					return err
				}
				r.Revision++
				r.Policies.Inline += "x"
				return tx.PutProvisionedRole(ctx, r)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r, err := rs[1].GetProvisionedRole(ctx, "ps-1", "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	if r.Revision != n+1 || len(r.Policies.Inline) != len(`{"Version":"2012-10-17"}`)+n {
		t.Fatalf("after %d concurrent provisionings: revision %d (lost updates)", n, r.Revision)
	}
}

func testSSOOperationQueue(t *testing.T, open Connect) {
	rs := twoReplicas(open)
	const n = 30
	update(t, rs[0], func(tx store.Tx) error {
		for i := range n {
			kind := store.OpCreateAssignment
			if i%3 == 0 {
				kind = store.OpProvision
			}
			op := store.SSOOperation{RequestID: fmt.Sprintf("00000000-0000-7000-8000-%012d", i), Kind: kind, Status: "IN_PROGRESS",
				PermissionSetID: "ps-1", TargetID: "111111111111", TargetType: "AWS_ACCOUNT", CreatedAt: accessT0.Add(time.Duration(i) * time.Second)}
			if err := tx.PutSSOOperation(ctx, op); err != nil {
				return err
			}
		}
		return nil
	})
	claimed := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for {
				var got []store.SSOOperation
				err := rs[w%2].Update(ctx, func(tx store.Tx) (err error) {
					got, err = tx.ClaimSSOOperations(ctx, accessT0, accessT0.Add(time.Minute), 4)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, op := range got {
					claimed[op.RequestID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != n {
		t.Fatalf("%d operations claimed, want %d", len(claimed), n)
	}
	for id, c := range claimed {
		if c != 1 {
			t.Errorf("operation %s claimed %d times", id, c)
		}
	}
	op, err := rs[1].GetSSOOperation(ctx, "00000000-0000-7000-8000-000000000001")
	if err != nil || !op.LeaseUntil.Equal(accessT0.Add(time.Minute)) {
		t.Fatalf("GetSSOOperation = %+v, %v", op, err)
	}
	op.Status, op.FailureReason, op.FinishedAt, op.LeaseUntil, op.Cursor = "FAILED", "boom", accessT0.Add(time.Hour), time.Time{}, "c"
	update(t, rs[0], func(tx store.Tx) error { return tx.PutSSOOperation(ctx, op) })
	got, _ := rs[1].GetSSOOperation(ctx, op.RequestID)
	if got.Status != "FAILED" || got.FailureReason != "boom" || got.Cursor != "c" || !got.FinishedAt.Equal(op.FinishedAt) || !got.LeaseUntil.IsZero() {
		t.Fatalf("after finishing: %+v", got)
	}
	failed, _ := rs[0].ListSSOOperations(ctx, store.SSOOperationQuery{Kind: store.OpCreateAssignment, Status: "FAILED", Limit: 10})
	if len(failed) != 1 {
		t.Fatalf("failed operations = %d", len(failed))
	}
	var all []string
	after := ""
	for {
		page, err := rs[0].ListSSOOperations(ctx, store.SSOOperationQuery{Kind: store.OpProvision, After: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range page {
			all = append(all, op.RequestID)
		}
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].RequestID
	}
	if len(all) != n/3 || !sort.StringsAreSorted(all) {
		t.Fatalf("provisioning operations = %v", all)
	}
}

func testAccessControlAttributes(t *testing.T, open Connect) {
	s := open()
	_, err := s.GetAccessControlAttributes(ctx)
	wantNotFound(t, err)
	c := store.AccessControlAttributes{Attributes: []byte(`[{"Key":"team"}]`), Status: "ENABLED", CreatedAt: accessT0, UpdatedAt: accessT0}
	update(t, s, func(tx store.Tx) error { return tx.PutAccessControlAttributes(ctx, c) })
	c.Attributes, c.UpdatedAt = []byte(`[]`), accessT0.Add(time.Hour)
	update(t, s, func(tx store.Tx) error { return tx.PutAccessControlAttributes(ctx, c) })
	got, err := s.GetAccessControlAttributes(ctx)
	if err != nil || string(got.Attributes) != "[]" || !got.CreatedAt.Equal(accessT0) || !got.UpdatedAt.Equal(c.UpdatedAt) {
		t.Fatalf("GetAccessControlAttributes = %+v, %v", got, err)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteAccessControlAttributes(ctx) })
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeleteAccessControlAttributes(ctx) }))
}

func testIAMPolicies(t *testing.T, open Connect) {
	s := open()
	pol := func(acct, name, path string) store.IAMPolicy {
		return store.IAMPolicy{AccountID: acct, ID: "ANPA" + acct + name, Name: name, NameKey: name, Path: path,
			DefaultVersion: "v1", LastVersion: 1, CreatedAt: accessT0, UpdatedAt: accessT0}
	}
	v1 := func(p store.IAMPolicy) store.IAMPolicyVersion {
		return store.IAMPolicyVersion{PolicyID: p.ID, VersionID: "v1", Document: `{"v":1}`, CreatedAt: accessT0}
	}
	a := pol("111111111111", "alpha", "/")
	update(t, s, func(tx store.Tx) error {
		for _, p := range []store.IAMPolicy{a, pol("111111111111", "beta", "/team/"), pol("111111111111", "gamma", "/team/x/"), pol("222222222222", "alpha", "/")} {
			if err := tx.CreateIAMPolicy(ctx, p, v1(p)); err != nil {
				return err
			}
		}
		return nil
	})
	dup := pol("111111111111", "alpha", "/other/")
	dup.ID = "ANPADUP"
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error { return tx.CreateIAMPolicy(ctx, dup, v1(dup)) }), "iam_policies_name")
	if n, _ := s.CountIAMPolicies(ctx, "111111111111"); n != 3 {
		t.Fatalf("CountIAMPolicies = %d", n)
	}
	team, _ := s.ListIAMPolicies(ctx, store.IAMPolicyQuery{AccountID: "111111111111", PathPrefix: "/team/", Limit: 10})
	if len(team) != 2 || team[0].Name != "beta" {
		t.Fatalf("policies under /team/ = %+v", team)
	}
	page, _ := s.ListIAMPolicies(ctx, store.IAMPolicyQuery{AccountID: "111111111111", After: "alpha", Limit: 1})
	if len(page) != 1 || page[0].Name != "beta" {
		t.Fatalf("page after alpha = %+v", page)
	}

	update(t, s, func(tx store.Tx) error {
		for i := 2; i <= 3; i++ {
			if err := tx.CreateIAMPolicyVersion(ctx, store.IAMPolicyVersion{PolicyID: a.ID, VersionID: fmt.Sprint("v", i),
				Document: fmt.Sprintf(`{"v":%d}`, i), CreatedAt: accessT0}); err != nil {
				return err
			}
		}
		a.DefaultVersion, a.LastVersion, a.UpdatedAt = "v3", 3, accessT0.Add(time.Hour)
		return tx.UpdateIAMPolicy(ctx, a)
	})
	wantConflict(t, s.Update(ctx, func(tx store.Tx) error {
		return tx.CreateIAMPolicyVersion(ctx, store.IAMPolicyVersion{PolicyID: a.ID, VersionID: "v2", Document: "{}", CreatedAt: accessT0})
	}), "iam_policy_versions_pkey")
	vs, _ := s.ListIAMPolicyVersions(ctx, a.ID)
	if len(vs) != 3 || vs[0].VersionID != "v3" || vs[2].VersionID != "v1" {
		t.Fatalf("versions = %+v", vs)
	}
	if v, err := s.GetIAMPolicyVersion(ctx, a.ID, "v2"); err != nil || v.Document != `{"v":2}` {
		t.Fatalf("GetIAMPolicyVersion = %+v, %v", v, err)
	}
	_, err := s.GetIAMPolicyVersion(ctx, a.ID, "v9")
	wantNotFound(t, err)
	_, err = s.GetIAMPolicyVersion(ctx, a.ID, "bogus")
	wantNotFound(t, err)
	update(t, s, func(tx store.Tx) error { return tx.DeleteIAMPolicyVersion(ctx, a.ID, "v1") })
	wantNotFound(t, s.Update(ctx, func(tx store.Tx) error { return tx.DeleteIAMPolicyVersion(ctx, a.ID, "v1") }))
	if got, _ := s.GetIAMPolicy(ctx, "111111111111", "alpha"); got.DefaultVersion != "v3" || got.LastVersion != 3 {
		t.Fatalf("after update: %+v", got)
	}

	update(t, s, func(tx store.Tx) error {
		return tx.PutIAMPolicyTags(ctx, a.ID, []store.Tag{{Key: "k", Value: "v"}, {Key: "j", Value: "w"}})
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteIAMPolicyTags(ctx, a.ID, []string{"j"}) })
	if tags, _ := s.ListIAMPolicyTags(ctx, a.ID); len(tags) != 1 || tags[0].Key != "k" {
		t.Fatalf("tags = %+v", tags)
	}

	// OnlyAttached sees the roles' customer-managed policy attachments.
	r := newRole("ps-1", "111111111111", 1)
	r.Policies.CustomerManaged = []store.CapturedPolicy{{Name: "beta", ARN: "arn:aws:iam::111111111111:policy/team/beta", Document: "{}"}}
	update(t, s, func(tx store.Tx) error { return tx.PutProvisionedRole(ctx, r) })
	attached, _ := s.ListIAMPolicies(ctx, store.IAMPolicyQuery{AccountID: "111111111111", OnlyAttached: true, Limit: 10})
	if len(attached) != 1 || attached[0].Name != "beta" {
		t.Fatalf("attached policies = %+v", attached)
	}

	update(t, s, func(tx store.Tx) error { return tx.DeleteIAMPolicy(ctx, a.ID) })
	_, err = s.GetIAMPolicy(ctx, "111111111111", "alpha")
	wantNotFound(t, err)
	if vs, _ := s.ListIAMPolicyVersions(ctx, a.ID); len(vs) != 0 {
		t.Fatal("versions survive their policy")
	}
	if tags, _ := s.ListIAMPolicyTags(ctx, a.ID); len(tags) != 0 {
		t.Fatal("tags survive their policy")
	}
	if other, err := s.GetIAMPolicy(ctx, "222222222222", "alpha"); err != nil || other.AccountID != "222222222222" {
		t.Fatal("another account's policy of the same name was touched")
	}
}

// testUserRole checks GetUserRole: a role held directly or through a
// group, by exact permission set name, only where it is provisioned.
func testUserRole(t *testing.T, open Connect) {
	s := open()
	a1, a2 := fmt.Sprintf("%012d", 1), fmt.Sprintf("%012d", 2)
	p1, p2, p3 := newPS(1), newPS(2), newPS(3)
	p2.Boundary = &store.Boundary{ManagedPolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}
	update(t, s, func(tx store.Tx) error {
		for i := range 2 {
			if err := tx.CreateUser(ctx, newUser(i)); err != nil {
				return err
			}
		}
		if err := tx.CreateGroup(ctx, newGroup(0)); err != nil {
			return err
		}
		if err := tx.CreateMembership(ctx, store.Membership{ID: id("m", 0), GroupID: id("g", 0), UserID: id("u", 0), CreatedAt: accessT0}); err != nil {
			return err
		}
		for _, ps := range []store.PermissionSet{p1, p2, p3} {
			if err := tx.CreatePermissionSet(ctx, ps); err != nil {
				return err
			}
		}
		for _, as := range []store.AccountAssignment{
			assignment(a1, p1.ID, "USER", id("u", 0)),  // directly
			assignment(a1, p2.ID, "GROUP", id("g", 0)), // through g0
			assignment(a2, p1.ID, "USER", id("u", 1)),  // another user, another account
			assignment(a1, p3.ID, "USER", id("u", 0)),  // never provisioned
		} {
			if _, err := tx.CreateAccountAssignment(ctx, as); err != nil {
				return err
			}
		}
		for _, r := range []store.ProvisionedRole{newRole(p1.ID, a1, 1), newRole(p2.ID, a1, 1), newRole(p1.ID, a2, 1)} {
			if err := tx.PutProvisionedRole(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tc := range []struct {
		user, account, name, wantPS string
	}{
		{id("u", 0), a1, p1.Name, p1.ID},
		{id("u", 0), a1, p2.Name, p2.ID},
		{id("u", 1), a2, p1.Name, p1.ID},
		{id("u", 0), a2, p1.Name, ""},     // not assigned in that account
		{id("u", 1), a1, p1.Name, ""},     // not the user's
		{id("u", 0), a1, p3.Name, ""},     // assigned, not provisioned
		{id("u", 0), a1, "set1", ""},      // names match exactly
		{id("u", 9), a1, p1.Name, ""},     // no such user
		{id("u", 0), a1, "NoSuchSet", ""}, // no such permission set
	} {
		r, ps, err := s.GetUserRole(ctx, tc.user, tc.account, tc.name)
		if tc.wantPS == "" {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetUserRole(%s, %s, %s) = %+v, %v; want ErrNotFound", tc.user, tc.account, tc.name, r, err)
			}
			continue
		}
		want := newRole(tc.wantPS, tc.account, 1)
		if err != nil || ps.ID != tc.wantPS || ps.Name != tc.name || r.RoleName != want.RoleName || r.RoleID != want.RoleID ||
			r.AccountID != tc.account || r.Policies.SessionDuration != "PT1H" || !r.CreatedAt.Equal(accessT0) || ps.SessionDuration != "PT1H" {
			t.Errorf("GetUserRole(%s, %s, %s) = %+v, %+v, %v", tc.user, tc.account, tc.name, r, ps, err)
		}
		if tc.wantPS == p2.ID && (ps.Boundary == nil || ps.Boundary.ManagedPolicyARN != p2.Boundary.ManagedPolicyARN) {
			t.Errorf("GetUserRole boundary = %+v", ps.Boundary)
		}
	}
}
