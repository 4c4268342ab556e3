package iam

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
)

const acct = "111111111111"

// newUserService is a service with access keys and a bootstrap
// administrator, as Gatehouse wires it.
func newUserService(t *testing.T) (*Service, *accesskey.Service) {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	keys := accesskey.New(db, keyring.NewForTest(), nil)
	return New(db, cat, "ssoins-0123456789abcdef", Options{AccessKeys: keys, BootstrapUser: "gatehouse-admin",
		BootstrapCreated: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UserLimits: UserLimits{
			UsersPerAccount: 3, AttachedPerUser: 2, InlineCharsPerUser: 200, KeysPerUser: 2, TagsPerUser: 3}}), keys
}

const bootstrapARN = "arn:aws:iam::" + acct + ":user/gatehouse-admin"

func TestUserLifecycle(t *testing.T) {
	s, keys := newUserService(t)
	ctx := context.Background()
	u, err := s.CreateUser(actx(), acct, NewUser{Name: "Alice", Path: "/admins/", Tags: []store.Tag{{Key: "team", Value: "platform"}}})
	if err != nil {
		t.Fatal(err)
	}
	if u.ARN != "arn:aws:iam::"+acct+":user/admins/Alice" || !strings.HasPrefix(u.ID, "AIDA") || len(u.ID) != 21 {
		t.Fatalf("created %+v", u)
	}
	for _, name := range []string{"alice", "GATEHOUSE-ADMIN"} {
		if _, err := s.CreateUser(actx(), acct, NewUser{Name: name}); code(err) != "EntityAlreadyExists" {
			t.Fatalf("CreateUser(%s) = %v", name, err)
		}
	}
	if _, err := s.CreateUser(actx(), acct, NewUser{Name: "Bob", Boundary: "arn:aws:iam::aws:policy/NoSuchPolicy"}); code(err) != "NoSuchEntity" {
		t.Fatalf("unknown boundary: %v", err)
	}
	if _, err := s.CreateUser(actx(), acct, NewUser{Name: "Bob", Tags: []store.Tag{{Key: "a"}, {Key: "A"}}}); code(err) != "InvalidInput" {
		t.Fatalf("duplicate tag keys: %v", err)
	}
	for _, n := range []string{"Bob", "Carol"} {
		if _, err := s.CreateUser(actx(), acct, NewUser{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateUser(actx(), acct, NewUser{Name: "Dave"}); code(err) != "LimitExceeded" {
		t.Fatalf("fourth user: %v", err)
	}
	got, err := s.GetUser(ctx, acct, "ALICE")
	if err != nil || got.ARN != u.ARN || len(got.Tags) != 1 {
		t.Fatalf("GetUser = %+v, %v", got, err)
	}
	if _, err := s.GetUser(ctx, "222222222222", "Alice"); code(err) != "NoSuchEntity" {
		t.Fatalf("another account's user: %v", err)
	}
	b, err := s.GetUser(ctx, acct, "gatehouse-admin")
	if err != nil || !b.Bootstrap || b.ARN != bootstrapARN || b.ID != accesskey.BootstrapUserID(acct) {
		t.Fatalf("bootstrap = %+v, %v", b, err)
	}
	us, next, err := s.ListUsers(ctx, acct, "", "", 2)
	if err != nil || len(us) != 2 || us[0].Name != "Alice" || next == "" {
		t.Fatalf("ListUsers page 1 = %+v, %q, %v", us, next, err)
	}
	us, next, _ = s.ListUsers(ctx, acct, "", next, 2)
	if len(us) != 1 || us[0].Name != "Carol" || next != "" {
		t.Fatalf("ListUsers page 2 = %+v, %q", us, next)
	}
	if us, _, _ := s.ListUsers(ctx, acct, "/admins/", "", 10); len(us) != 1 {
		t.Fatalf("path prefix = %+v", us)
	}

	// Policies, and DeleteConflict until they are gone.
	const inline = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sso:*","Resource":"*"}]}`
	if err := s.PutUserPolicy(actx(), acct, "Alice", "Sso", `{"Version":"2012-10-17","Statement":[`); code(err) != "MalformedPolicyDocument" {
		t.Fatalf("malformed: %v", err)
	}
	if err := s.PutUserPolicy(actx(), acct, "Alice", "Sso", inline); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUserPolicy(actx(), acct, "Alice", "More", inline+strings.Repeat(" ", 10)); err != nil {
		t.Fatalf("second policy within the quota (white space is free): %v", err)
	}
	if err := s.PutUserPolicy(actx(), acct, "Alice", "Third", inline); code(err) != "LimitExceeded" {
		t.Fatalf("aggregate inline size: %v", err)
	}
	if err := s.PutUserPolicy(actx(), acct, "Alice", "sso", inline); err != nil {
		t.Fatalf("replacing a policy counts it once: %v", err)
	}
	if names, _ := s.ListUserPolicies(ctx, acct, "Alice"); len(names) != 2 {
		t.Fatalf("ListUserPolicies = %v", names)
	}
	if d, err := s.GetUserPolicy(ctx, acct, "Alice", "SSO"); err != nil || d != inline {
		t.Fatalf("GetUserPolicy = %q, %v", d, err)
	}
	if _, err := s.GetUserPolicy(ctx, acct, "Alice", "Nope"); code(err) != "NoSuchEntity" {
		t.Fatalf("unknown inline policy: %v", err)
	}
	pol, err := s.CreatePolicy(actx(), acct, NewPolicy{Name: "Team", Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range []string{pol.ARN, "arn:aws:iam::aws:policy/ReadOnlyAccess", pol.ARN} {
		if err := s.AttachUserPolicy(actx(), acct, "Alice", arn); err != nil {
			t.Fatalf("attach %s: %v", arn, err)
		}
	}
	if err := s.AttachUserPolicy(actx(), acct, "Alice", "arn:aws:iam::aws:policy/AdministratorAccess"); code(err) != "LimitExceeded" {
		t.Fatalf("third attachment: %v", err)
	}
	if err := s.AttachUserPolicy(actx(), acct, "Alice", "arn:aws:iam::222222222222:policy/Team"); code(err) != "NoSuchEntity" {
		t.Fatalf("another account's policy: %v", err)
	}
	if p, _ := s.GetPolicy(ctx, acct, pol.ARN); p.AttachmentCount != 1 {
		t.Fatalf("AttachmentCount = %d", p.AttachmentCount)
	}
	if err := s.DeletePolicy(actx(), acct, pol.ARN); code(err) != "DeleteConflict" {
		t.Fatalf("deleting an attached policy: %v", err)
	}
	k, secret, err := s.CreateAccessKey(actx(), acct, "Alice", bootstrapARN)
	if err != nil || k.UserName != "Alice" || len(secret.Reveal()) != 40 {
		t.Fatalf("CreateAccessKey = %+v, %v", k, err)
	}
	if looked, err := keys.Lookup(ctx, k.ID); err != nil || looked.PrincipalARN != u.ARN || looked.UserID() != u.ID {
		t.Fatalf("Lookup = %+v, %v", looked, err)
	}

	for _, want := range []struct{ msg string }{
		{"Cannot delete entity, must delete policies first."},
	} {
		if err := s.DeleteUser(actx(), acct, "Alice"); code(err) != "DeleteConflict" || !strings.Contains(err.Error(), want.msg) {
			t.Fatalf("DeleteUser = %v, want %q", err, want.msg)
		}
	}
	for _, n := range []string{"Sso", "More"} {
		if err := s.DeleteUserPolicy(actx(), acct, "Alice", n); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUser(actx(), acct, "Alice"); !strings.Contains(err.Error(), "must detach all policies first") {
		t.Fatalf("DeleteUser with attachments = %v", err)
	}
	for _, arn := range []string{pol.ARN, "arn:aws:iam::aws:policy/ReadOnlyAccess"} {
		if err := s.DetachUserPolicy(actx(), acct, "Alice", arn); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DetachUserPolicy(actx(), acct, "Alice", pol.ARN); code(err) != "NoSuchEntity" {
		t.Fatalf("detach twice: %v", err)
	}
	if err := s.DeleteUser(actx(), acct, "Alice"); !strings.Contains(err.Error(), "must delete access keys first") {
		t.Fatalf("DeleteUser with keys = %v", err)
	}
	if err := s.DeleteAccessKey(actx(), acct, "Alice", k.ID, bootstrapARN); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Lookup(ctx, k.ID); err == nil {
		t.Fatal("deleted key still resolves")
	}
	if err := s.DeleteUser(actx(), acct, "Alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(ctx, acct, "Alice"); code(err) != "NoSuchEntity" {
		t.Fatalf("deleted user: %v", err)
	}
	if err := s.DeleteUser(actx(), acct, "gatehouse-admin"); code(err) != "UnmodifiableEntity" {
		t.Fatalf("deleting the bootstrap administrator: %v", err)
	}
}

func TestAccessKeys(t *testing.T) {
	s, keys := newUserService(t)
	ctx := context.Background()
	if _, err := s.CreateUser(actx(), acct, NewUser{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(actx(), acct, NewUser{Name: "bob"}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 2 {
		k, _, err := s.CreateAccessKey(actx(), acct, "alice", bootstrapARN)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.ID)
	}
	if _, _, err := s.CreateAccessKey(actx(), acct, "alice", bootstrapARN); code(err) != "LimitExceeded" ||
		!strings.Contains(err.Error(), "AccessKeysPerUser: 2") {
		t.Fatalf("third key: %v", err)
	}
	ks, err := s.ListAccessKeys(ctx, acct, "alice", bootstrapARN)
	if err != nil || len(ks) != 2 || ks[0].Status != accesskey.Active || ks[0].UserName != "alice" {
		t.Fatalf("ListAccessKeys = %+v, %v", ks, err)
	}
	// Another user's key is "not found" under this user's name.
	if err := s.UpdateAccessKey(actx(), acct, "bob", ids[0], accesskey.Inactive, bootstrapARN); code(err) != "NoSuchEntity" {
		t.Fatalf("updating another user's key: %v", err)
	}
	if err := s.UpdateAccessKey(actx(), acct, "alice", ids[0], accesskey.Inactive, bootstrapARN); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Lookup(ctx, ids[0]); err == nil {
		t.Fatal("an inactive key resolves")
	}
	if err := s.UpdateAccessKey(actx(), acct, "alice", ids[0], "Paused", bootstrapARN); code(err) != "InvalidInput" {
		t.Fatalf("bad status: %v", err)
	}

	// The bootstrap administrator's keys are its own business.
	alice := "arn:aws:iam::" + acct + ":user/alice"
	if _, _, err := s.CreateAccessKey(actx(), acct, "gatehouse-admin", alice); code(err) != "AccessDenied" {
		t.Fatalf("a delegated administrator minting a bootstrap key: %v", err)
	}
	if _, err := s.ListAccessKeys(ctx, acct, "gatehouse-admin", alice); code(err) != "AccessDenied" {
		t.Fatalf("listing the bootstrap keys: %v", err)
	}
	k, _, err := s.CreateAccessKey(actx(), acct, "gatehouse-admin", bootstrapARN)
	if err != nil || k.UserName != "gatehouse-admin" {
		t.Fatalf("bootstrap rotating its key: %+v, %v", k, err)
	}
	if looked, err := keys.Lookup(ctx, k.ID); err != nil || looked.PrincipalARN != bootstrapARN || looked.UserID() != accesskey.BootstrapUserID(acct) {
		t.Fatalf("bootstrap key = %+v, %v", looked, err)
	}
	for name, err := range map[string]error{
		"put policy":    s.PutUserPolicy(actx(), acct, "gatehouse-admin", "p", doc),
		"attach":        s.AttachUserPolicy(actx(), acct, "gatehouse-admin", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
		"boundary":      s.PutUserPermissionsBoundary(actx(), acct, "gatehouse-admin", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
		"tag":           s.TagUser(actx(), acct, "gatehouse-admin", []store.Tag{{Key: "a", Value: "b"}}),
		"delete":        s.DeleteUser(actx(), acct, "gatehouse-admin"),
		"untag":         s.UntagUser(actx(), acct, "gatehouse-admin", []string{"a"}),
		"detach":        s.DetachUserPolicy(actx(), acct, "gatehouse-admin", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
		"delete inline": s.DeleteUserPolicy(actx(), acct, "gatehouse-admin", "p"),
	} {
		if code(err) != "UnmodifiableEntity" {
			t.Errorf("%s on the bootstrap administrator: %v", name, err)
		}
	}
}

func TestUserPrincipal(t *testing.T) {
	s, _ := newUserService(t)
	ctx := context.Background()
	u, err := s.CreateUser(actx(), acct, NewUser{Name: "alice", Boundary: "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := s.CreatePolicy(actx(), acct, NewPolicy{Name: "Team", Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutUserPolicy(actx(), acct, "alice", "Inline", doc); err != nil {
		t.Fatal(err)
	}
	if err := s.AttachUserPolicy(actx(), acct, "alice", pol.ARN); err != nil {
		t.Fatal(err)
	}
	p, err := s.UserPrincipal(ctx, u.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Identity) != 2 || p.Identity[0].Type != "user" || p.Identity[1].Type != "user-managed" || p.Identity[1].Name != pol.ARN ||
		p.Boundary == nil || p.Boundary.Type != "aws-managed" {
		t.Fatalf("UserPrincipal = %+v", p)
	}
	sig := p.Signature()
	// A new default version of an attached policy changes the signature
	// at once: user policies are read live.
	const doc2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`
	if _, err := s.CreatePolicyVersion(actx(), acct, pol.ARN, doc2, true); err != nil {
		t.Fatal(err)
	}
	p2, err := s.UserPrincipal(ctx, u.ARN)
	if err != nil || p2.Signature() == sig || p2.Identity[1].Document != doc2 {
		t.Fatalf("after a new default version: %+v, %v", p2, err)
	}
	if _, err := s.UserPrincipal(ctx, "arn:aws:iam::"+acct+":user/other/alice"); code(err) != "NoSuchEntity" {
		t.Fatalf("wrong path: %v", err)
	}
	if b, err := s.UserPrincipal(ctx, bootstrapARN); err != nil || !b.Bootstrap {
		t.Fatalf("bootstrap = %+v, %v", b, err)
	}
	if err := s.DeleteUserPermissionsBoundary(actx(), acct, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUserPermissionsBoundary(actx(), acct, "alice"); code(err) != "NoSuchEntity" {
		t.Fatalf("no boundary left: %v", err)
	}
}
