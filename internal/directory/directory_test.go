package directory_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

type recordingHook struct{ deletedUsers, deletedGroups, disabled []string }

func (h *recordingHook) UserDeleted(_ context.Context, _ store.Tx, id string) error {
	h.deletedUsers = append(h.deletedUsers, id)
	return nil
}
func (h *recordingHook) GroupDeleted(_ context.Context, _ store.Tx, id string) error {
	h.deletedGroups = append(h.deletedGroups, id)
	return nil
}
func (h *recordingHook) UserDisabled(_ context.Context, _ store.Tx, id string) error {
	h.disabled = append(h.disabled, id)
	return nil
}

func setup(t *testing.T) (*directory.Service, store.Store, *recordingHook) {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Path: filepath.Join(t.TempDir(), "d.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := directory.New(db, "d-0123456789", func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) })
	h := &recordingHook{}
	svc.AddHook(h)
	return svc, db, h
}

// call gives each call its own audit event, as the adapters do.
func call(name string) context.Context {
	ev := audit.NewEvent(time.Now(), "identitystore.amazonaws.com", name)
	ev.UserIdentity.ARN = "arn:aws:iam::111122223333:user/admin"
	return audit.NewContext(context.Background(), ev)
}

func alice(name string) directory.NewUser {
	return directory.NewUser{
		UserName: name, DisplayName: "Alice Liddell",
		Profile: store.UserProfile{
			Name:   &store.Name{GivenName: "Alice", FamilyName: "Liddell"},
			Emails: []store.Email{{Value: name + "@example.com", Type: "work"}},
		},
	}
}

func wantFault(t *testing.T, err error, kind fault.Kind, msg string) *fault.Error {
	t.Helper()
	f, ok := fault.As(err)
	if !ok || f.Kind != kind {
		t.Fatalf("got %v, want a %v fault", err, kind)
	}
	if msg != "" && !strings.Contains(f.Message, msg) {
		t.Fatalf("message %q does not contain %q", f.Message, msg)
	}
	return f
}

func TestCreateUserRules(t *testing.T) {
	svc, db, _ := setup(t)
	u, err := svc.CreateUser(call("CreateUser"), alice("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.ID, "0123456789-") || u.Status != "ENABLED" || u.CreatedBy != "arn:aws:iam::111122223333:user/admin" {
		t.Fatalf("created %+v", u)
	}
	otherMail := func(in directory.NewUser) directory.NewUser {
		in.Profile.Emails = []store.Email{{Value: "other@example.com"}}
		return in
	}
	cases := []struct {
		name string
		in   directory.NewUser
		kind fault.Kind
		msg  string
	}{
		{"same name other case", otherMail(alice("ALICE")), fault.Conflict, "Duplicate UserName"},
		{"full-width form", otherMail(alice("ａｌｉｃｅ")), fault.Conflict, "Duplicate UserName"},
		{"reserved", alice("administrator"), fault.Invalid, "reserved"},
		{"no user name", alice(""), fault.Invalid, "userName is a required attribute"},
		{"space in user name", alice("al ice"), fault.Invalid, "regular expression"},
		{"too long", alice(strings.Repeat("a", 129)), fault.Invalid, "length less than or equal to 128"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := svc.CreateUser(call("CreateUser"), c.in)
			f := wantFault(t, err, c.kind, c.msg)
			if c.kind == fault.Conflict && f.Reason != "UNIQUENESS_CONSTRAINT_VIOLATION" {
				t.Errorf("reason = %q", f.Reason)
			}
		})
	}
	dupMail := alice("bob")
	dupMail.Profile.Emails[0].Value = "ALICE@example.com"
	_, err = svc.CreateUser(call("CreateUser"), dupMail)
	wantFault(t, err, fault.Conflict, "Duplicate Email")

	missing := alice("carol")
	missing.DisplayName = ""
	missing.Profile.Name = &store.Name{GivenName: "Carol"}
	_, err = svc.CreateUser(call("CreateUser"), missing)
	wantFault(t, err, fault.Invalid, "displayname: The attribute displayname is required, familyname: The attribute familyname is required")

	ext := alice("dave")
	ext.Profile.Extensions = map[string]json.RawMessage{"aws:identitystore:other": json.RawMessage(`{}`)}
	_, err = svc.CreateUser(call("CreateUser"), ext)
	wantFault(t, err, fault.Invalid, "only supported extension")

	// Only the one successful create left an audit event.
	evs, _ := db.ListAuditEvents(context.Background(), store.AuditQuery{Limit: 100})
	if len(evs) != 1 {
		t.Fatalf("%d audit events, want 1 (failed changes stage nothing)", len(evs))
	}
}

func TestFindUser(t *testing.T) {
	svc, _, _ := setup(t)
	u, _ := svc.CreateUser(call("CreateUser"), alice("alice"))
	for _, c := range []struct{ path, value string }{
		{"userName", "alice"}, {"UserName", "Alice"}, {"emails.value", "Alice@Example.com"},
	} {
		id, err := svc.FindUserID(context.Background(), c.path, c.value)
		if err != nil || id != u.ID {
			t.Errorf("FindUserID(%s, %s) = %q, %v", c.path, c.value, id, err)
		}
	}
	_, err := svc.FindUserID(context.Background(), "displayName", "Alice Liddell")
	wantFault(t, err, fault.Invalid, "The attribute displayName is not a unique attribute")
	_, err = svc.FindUserID(context.Background(), "userName", "nobody")
	wantFault(t, err, fault.NotFound, "USER not found.")
}

func TestUpdateUser(t *testing.T) {
	svc, _, hook := setup(t)
	u, _ := svc.CreateUser(call("CreateUser"), alice("alice"))
	ops := []directory.AttributeOperation{
		{Path: "name.givenName", Value: json.RawMessage(`"Alicia"`)},
		{Path: "nickName", Value: json.RawMessage(`"Al"`)},
		{Path: "emails", Value: json.RawMessage(`[{"value":"new@example.com","type":"work","primary":true}]`)},
		{Path: "aws:identitystore:enterprise.department", Value: json.RawMessage(`"Engineering"`)},
		{Path: "aws:identitystore:enterprise.manager.value", Value: json.RawMessage(`"boss-id"`)},
		{Path: "title", Value: json.RawMessage(`"Engineer"`)},
	}
	if err := svc.UpdateUser(call("UpdateUser"), u.ID, ops); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.GetUser(context.Background(), u.ID)
	if got.Profile.Name.GivenName != "Alicia" || got.Profile.NickName != "Al" || got.Profile.Emails[0].Value != "new@example.com" ||
		got.Version != 2 || got.EmailKey != "new@example.com" || got.Profile.Title != "Engineer" {
		t.Fatalf("after update: %+v", got)
	}
	var ent map[string]any
	json.Unmarshal(got.Profile.Extensions["aws:identitystore:enterprise"], &ent)
	if ent["department"] != "Engineering" || ent["manager"].(map[string]any)["value"] != "boss-id" {
		t.Fatalf("enterprise = %v", ent)
	}
	// The old address is free again; the new one is taken.
	if _, err := svc.FindUserID(context.Background(), "emails.value", "alice@example.com"); !fault.Is(err, fault.NotFound) {
		t.Fatal("old email still resolves")
	}

	// One bad operation and nothing changes.
	err := svc.UpdateUser(call("UpdateUser"), u.ID, []directory.AttributeOperation{
		{Path: "nickName", Value: json.RawMessage(`"Changed"`)},
		{Path: "displayName"}, // removing a required attribute
	})
	wantFault(t, err, fault.Invalid, "required")
	if got, _ := svc.GetUser(context.Background(), u.ID); got.Profile.NickName != "Al" {
		t.Fatal("a failed update changed the user")
	}
	for _, bad := range []directory.AttributeOperation{
		{Path: "noSuchThing", Value: json.RawMessage(`"x"`)},
		{Path: "title", Value: json.RawMessage(`42`)},
		{Path: "emails", Value: json.RawMessage(`[{"value":"a@b"},{"value":"c@d"}]`)},
		{Path: "emails", Value: json.RawMessage(`[{"bogus":"a@b"}]`)},
		{Path: "userName", Value: json.RawMessage(`"Administrator"`)},
		{Path: "externalIds", Value: json.RawMessage(`[]`)},
		{Path: "userStatus", Value: json.RawMessage(`"PAUSED"`)},
	} {
		if err := svc.UpdateUser(call("UpdateUser"), u.ID, []directory.AttributeOperation{bad}); !fault.Is(err, fault.Invalid) {
			t.Errorf("operation %s=%s: %v, want Invalid", bad.Path, bad.Value, err)
		}
	}
	if err := svc.UpdateUser(call("UpdateUser"), u.ID, []directory.AttributeOperation{{Path: "nickName"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.GetUser(context.Background(), u.ID); got.Profile.NickName != "" {
		t.Fatal("remove did not clear nickName")
	}

	if err := svc.SetUserStatus(call("UpdateUser"), u.ID, "DISABLED"); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.GetUser(context.Background(), u.ID); got.Status != "DISABLED" || len(hook.disabled) != 1 {
		t.Fatalf("status %s, hook calls %v", got.Status, hook.disabled)
	}
	// Disabling an already disabled user does not fire the hook again.
	svc.SetUserStatus(call("UpdateUser"), u.ID, "DISABLED")
	if len(hook.disabled) != 1 {
		t.Fatal("hook fired for a user that was already disabled")
	}
	err = svc.UpdateUser(call("UpdateUser"), "0123456789-00000000-0000-0000-0000-000000000000", ops)
	wantFault(t, err, fault.NotFound, "USER not found.")
}

func TestGroupsAndMemberships(t *testing.T) {
	svc, _, hook := setup(t)
	ctx := context.Background()
	u, _ := svc.CreateUser(call("CreateUser"), alice("alice"))
	g, err := svc.CreateGroup(call("CreateGroup"), "Developers", "devs", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateGroup(call("CreateGroup"), "developers", "", nil)
	wantFault(t, err, fault.Conflict, "Duplicate GroupDisplayName")
	_, err = svc.CreateGroup(call("CreateGroup"), "AWSAdministrators", "", nil)
	wantFault(t, err, fault.Invalid, "reserved")
	if id, err := svc.FindGroupID(ctx, "displayName", "DEVELOPERS"); err != nil || id != g.ID {
		t.Fatalf("FindGroupID = %q, %v", id, err)
	}

	m, err := svc.CreateMembership(call("CreateGroupMembership"), g.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateMembership(call("CreateGroupMembership"), g.ID, u.ID)
	wantFault(t, err, fault.Conflict, "")
	_, err = svc.CreateMembership(call("CreateGroupMembership"), g.ID, "0123456789-00000000-0000-0000-0000-000000000000")
	if f := wantFault(t, err, fault.NotFound, "Member does not exist"); f.ResourceType != "USER" {
		t.Fatalf("resource type %q", f.ResourceType)
	}
	if id, _ := svc.FindMembershipID(ctx, g.ID, u.ID); id != m.ID {
		t.Fatal("FindMembershipID")
	}
	res, err := svc.IsMemberInGroups(ctx, u.ID, []string{g.ID, "0123456789-11111111-1111-1111-1111-111111111111"})
	if err != nil || !res[g.ID] || len(res) != 1 {
		t.Fatalf("IsMemberInGroups = %v, %v", res, err)
	}
	if err := svc.UpdateGroup(call("UpdateGroup"), g.ID, []directory.AttributeOperation{{Path: "description", Value: json.RawMessage(`"all developers"`)}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteGroup(call("DeleteGroup"), g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetMembership(ctx, m.ID); !fault.Is(err, fault.NotFound) {
		t.Fatal("membership survived its group")
	}
	if err := svc.DeleteUser(call("DeleteUser"), u.ID); err != nil {
		t.Fatal(err)
	}
	if len(hook.deletedGroups) != 1 || len(hook.deletedUsers) != 1 {
		t.Fatalf("hooks: %+v", hook)
	}
	wantFault(t, svc.DeleteUser(call("DeleteUser"), u.ID), fault.NotFound, "USER not found.")
}

func TestListPaging(t *testing.T) {
	svc, _, _ := setup(t)
	for i := range 7 {
		if _, err := svc.CreateUser(call("CreateUser"), alice(string(rune('a'+i))+"user")); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	after := ""
	for pages := 0; ; pages++ {
		users, more, err := svc.ListUsers(context.Background(), after, 3, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			seen[u.ID] = true
		}
		if !more {
			if pages != 2 {
				t.Fatalf("%d pages, want 3", pages+1)
			}
			break
		}
		after = users[len(users)-1].ID
	}
	if len(seen) != 7 {
		t.Fatalf("saw %d users, want 7", len(seen))
	}
	users, more, _ := svc.ListUsers(context.Background(), "", 10, "CUSER")
	if len(users) != 1 || more || users[0].UserName != "cuser" {
		t.Fatalf("filtered list = %+v", users)
	}
	// Raw users page alike, and the same users come out.
	after = ""
	for pages := 0; ; pages++ {
		raw, more, err := svc.ListRawUsers(context.Background(), after, 3)
		if err != nil {
			t.Fatal(err)
		}
		users, _, err := svc.ListUsers(context.Background(), after, 3, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != len(users) {
			t.Fatalf("page %d: %d raw users, %d users", pages, len(raw), len(users))
		}
		for i, r := range raw {
			u, err := r.Decode()
			if err != nil || u.ID != users[i].ID || u.Profile.Emails[0].Value != users[i].Profile.Emails[0].Value {
				t.Fatalf("raw user %+v decodes to %+v, %v; want %+v", r, u, err, users[i])
			}
		}
		if !more {
			if pages != 2 {
				t.Fatalf("%d raw pages, want 3", pages+1)
			}
			break
		}
		after = raw[len(raw)-1].ID
	}
}

func TestCheckStore(t *testing.T) {
	svc, _, _ := setup(t)
	if err := svc.CheckStore("d-0123456789"); err != nil {
		t.Fatal(err)
	}
	f := wantFault(t, svc.CheckStore("d-9999999999"), fault.NotFound, "")
	if f.ResourceType != "IDENTITY_STORE" {
		t.Fatal(f.ResourceType)
	}
}
