package iam

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/managedpolicy"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
)

var loadCatalogue = sync.OnceValues(managedpolicy.Load)

const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`

func actx() context.Context {
	return audit.NewContext(context.Background(), audit.NewEvent(time.Now(), "iam.amazonaws.com", "Test"))
}

func newService(t *testing.T) *Service {
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
	return New(db, cat, "ssoins-0123456789abcdef", Options{})
}

func code(err error) string {
	if f, ok := fault.As(err); ok {
		return f.Code
	}
	return ""
}

func TestParsePolicyARN(t *testing.T) {
	for in, want := range map[string]PolicyRef{
		"arn:aws:iam::123456789012:policy/P":        {AccountID: "123456789012", Path: "/", Name: "P"},
		"arn:aws:iam::123456789012:policy/a/b/P":    {AccountID: "123456789012", Path: "/a/b/", Name: "P"},
		"arn:aws:iam::aws:policy/job-function/View": {AccountID: "aws", Path: "/job-function/", Name: "View"},
	} {
		got, err := ParsePolicyARN(in)
		if err != nil || got != want || got.ARN() != in {
			t.Errorf("ParsePolicyARN(%q) = %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "arn:aws:iam::12:policy/P", "arn:aws:iam::123456789012:role/P", "arn:aws:iam::123456789012:policy/", "arn:aws:s3:::b"} {
		if _, err := ParsePolicyARN(bad); code(err) != "InvalidInput" {
			t.Errorf("ParsePolicyARN(%q) = %v, want InvalidInput", bad, err)
		}
	}
}

func TestPolicyLifecycle(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	const acct, other = "111111111111", "222222222222"
	p, err := s.CreatePolicy(actx(), acct, NewPolicy{Name: "Read", Path: "/team/", Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePolicy(actx(), acct, NewPolicy{Name: "READ", Document: doc}); code(err) != "EntityAlreadyExists" {
		t.Fatalf("duplicate name: %v", err)
	}
	if _, err := s.CreatePolicy(actx(), other, NewPolicy{Name: "Read", Document: doc}); err != nil {
		t.Fatalf("same name in another account: %v", err)
	}
	if _, err := s.CreatePolicy(actx(), acct, NewPolicy{Name: "Bad", Document: `{"Version":"2025-01-01","Statement":[]}`}); code(err) != "MalformedPolicyDocument" {
		t.Fatalf("bad document: %v", err)
	}
	// Another account's ARN is not visible.
	if _, err := s.GetPolicy(ctx, other, p.ARN); code(err) != "NoSuchEntity" {
		t.Fatalf("cross-account GetPolicy: %v", err)
	}
	// A wrong path is another policy.
	if _, err := s.GetPolicy(ctx, acct, "arn:aws:iam::"+acct+":policy/Read"); code(err) != "NoSuchEntity" {
		t.Fatalf("wrong path: %v", err)
	}
	for i := 2; i <= 5; i++ {
		if _, err := s.CreatePolicyVersion(actx(), acct, p.ARN, doc, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreatePolicyVersion(actx(), acct, p.ARN, doc, false); code(err) != "LimitExceeded" {
		t.Fatalf("sixth version: %v", err)
	}
	if err := s.DeletePolicyVersion(actx(), acct, p.ARN, "v1"); code(err) != "DeleteConflict" {
		t.Fatalf("deleting the default: %v", err)
	}
	if err := s.DeletePolicyVersion(actx(), acct, p.ARN, "v2"); err != nil {
		t.Fatal(err)
	}
	// Version ids are never reused.
	v, err := s.CreatePolicyVersion(actx(), acct, p.ARN, doc, true)
	if err != nil || v.VersionID != "v6" || !v.IsDefault {
		t.Fatalf("new version = %+v, %v", v, err)
	}
	if err := s.DeletePolicy(actx(), acct, p.ARN); code(err) != "DeleteConflict" {
		t.Fatalf("delete with versions: %v", err)
	}
	for _, id := range []string{"v1", "v3", "v4", "v5"} {
		if err := s.DeletePolicyVersion(actx(), acct, p.ARN, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeletePolicy(actx(), acct, p.ARN); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePolicy(actx(), acct, "arn:aws:iam::aws:policy/AdministratorAccess"); code(err) != "InvalidInput" {
		t.Fatalf("deleting an AWS-managed policy: %v", err)
	}
}

func TestListPoliciesAcrossCatalogueAndAccount(t *testing.T) {
	s := newService(t)
	const acct = "111111111111"
	for i := range 5 {
		if _, err := s.CreatePolicy(actx(), acct, NewPolicy{Name: fmt.Sprint("Mine", i), Document: doc}); err != nil {
			t.Fatal(err)
		}
	}
	total := s.catalogue.Len() + 5
	seen := map[string]bool{}
	after := ""
	for pages := 0; ; pages++ {
		ps, next, err := s.ListPolicies(context.Background(), acct, ListQuery{After: after, Limit: 300})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if seen[p.ARN] {
				t.Fatalf("%s listed twice", p.ARN)
			}
			seen[p.ARN] = true
		}
		if next == "" {
			break
		}
		after = next
		if pages > 100 {
			t.Fatal("listing does not end")
		}
	}
	if len(seen) != total {
		t.Fatalf("listed %d policies, want %d", len(seen), total)
	}
	local, next, _ := s.ListPolicies(context.Background(), acct, ListQuery{Scope: ScopeLocal, Limit: 2})
	if len(local) != 2 || next == "" || local[0].AWSManaged {
		t.Fatalf("local page = %d, next %q", len(local), next)
	}
	attached, _, _ := s.ListPolicies(context.Background(), acct, ListQuery{OnlyAttached: true})
	if len(attached) != 0 {
		t.Fatalf("attached = %d", len(attached))
	}
}
