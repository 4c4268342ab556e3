package org

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
)

func actx() context.Context {
	return audit.NewContext(context.Background(), audit.NewEvent(time.Now(), "organizations.amazonaws.com", "Test"))
}

func newService(t *testing.T, limits Limits) (*Service, store.Store) {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := New(db, Options{Limits: limits})
	if _, err := s.Ensure(context.Background(), Management{AccountID: "111122223333", Name: "Management", Email: "mgmt@example.com"}); err != nil {
		t.Fatal(err)
	}
	return s, db
}

func finish(t *testing.T, s *Service) {
	t.Helper()
	for {
		more, err := s.step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			return
		}
	}
}

func TestEnsureIsIdempotent(t *testing.T) {
	s, db := newService(t, Limits{})
	first := s.Organization()
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			other := New(db, Options{})
			o, err := other.Ensure(context.Background(), Management{AccountID: "999999999999", Name: "x", Email: "x@example.com"})
			if err != nil || o != first {
				t.Errorf("Ensure = %+v, %v; want %+v", o, err, first)
			}
		})
	}
	wg.Wait()
	if n, _ := db.CountAccounts(context.Background()); n != 1 {
		t.Fatalf("%d accounts after repeated Ensure, want the management account only", n)
	}
	if !strings.HasPrefix(first.ID, "o-") || len(first.ID) != 12 || !strings.HasPrefix(first.RootID, "r-") {
		t.Fatalf("organization ids %+v", first)
	}
	a, err := s.DescribeAccount(context.Background(), "111122223333")
	if err != nil || a.JoinedMethod != JoinedCreated || a.ParentID != first.RootID {
		t.Fatalf("management account = %+v, %v", a, err)
	}
}

func TestCreateAccountLimitsAndEmails(t *testing.T) {
	s, _ := newService(t, Limits{Accounts: 3, OrgUnits: 10, OUDepth: 2, TagsPerResource: 2})
	var ids []string
	for i := range 4 {
		r, err := s.CreateAccount(actx(), NewAccount{Name: fmt.Sprint("A", i), Email: fmt.Sprintf("a%d@example.com", i)})
		if err != nil || r.State != StateInProgress || !strings.HasPrefix(r.ID, "car-") {
			t.Fatalf("CreateAccount = %+v, %v", r, err)
		}
		ids = append(ids, r.ID)
	}
	dup, _ := s.CreateAccount(actx(), NewAccount{Name: "Dup", Email: "MGMT@example.com"})
	finish(t, s)
	states := []string{}
	for _, id := range append(ids, dup.ID) {
		r, err := s.DescribeCreateAccountStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, r.State+":"+r.FailureReason)
	}
	want := []string{"SUCCEEDED:", "SUCCEEDED:", "FAILED:ACCOUNT_LIMIT_EXCEEDED", "FAILED:ACCOUNT_LIMIT_EXCEEDED", "FAILED:ACCOUNT_LIMIT_EXCEEDED"}
	if strings.Join(states, ",") != strings.Join(want, ",") {
		t.Fatalf("states = %v, want %v", states, want)
	}
	failed, _, _ := s.ListCreateAccountStatus(context.Background(), []string{StateFailed}, "", 0)
	if len(failed) != 3 {
		t.Fatalf("failed requests = %d", len(failed))
	}
	if _, err := s.DescribeCreateAccountStatus(context.Background(), "car-00000000"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("unknown request: %v", err)
	}
	if _, err := s.CreateAccount(actx(), NewAccount{Name: "T", Email: "t@example.com",
		Tags: []store.Tag{{Key: "a"}, {Key: "b"}, {Key: "c"}}}); !fault.Is(err, fault.QuotaExceeded) {
		t.Fatalf("too many tags: %v", err)
	}
	if _, err := s.CreateAccount(actx(), NewAccount{Name: "T", Email: "t@example.com",
		Tags: []store.Tag{{Key: "a"}, {Key: "a"}}}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("duplicate tag keys: %v", err)
	}
}

func TestEmailAlreadyExists(t *testing.T) {
	s, _ := newService(t, Limits{})
	r, _ := s.CreateAccount(actx(), NewAccount{Name: "Dup", Email: "MGMT@example.com"})
	finish(t, s)
	if got, _ := s.DescribeCreateAccountStatus(context.Background(), r.ID); got.State != StateFailed || got.FailureReason != "EMAIL_ALREADY_EXISTS" {
		t.Fatalf("status = %+v", got)
	}
}

func TestOrganizationalUnits(t *testing.T) {
	s, _ := newService(t, Limits{Accounts: 10, OrgUnits: 3, OUDepth: 2, TagsPerResource: 50})
	root := s.Organization().RootID
	a, err := s.CreateOrganizationalUnit(actx(), root, "Prod", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.ID, "ou-"+strings.TrimPrefix(root, "r-")+"-") {
		t.Fatalf("OU id %s", a.ID)
	}
	if _, err := s.CreateOrganizationalUnit(actx(), root, "PROD", nil); err == nil {
		t.Fatal("duplicate name under one parent accepted")
	} else if f, _ := fault.As(err); f.Code != "DuplicateOrganizationalUnitException" {
		t.Fatalf("duplicate: %v", err)
	}
	b, err := s.CreateOrganizationalUnit(actx(), a.ID, "Prod", nil) // same name, other parent
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateOrganizationalUnit(actx(), b.ID, "TooDeep", nil); !fault.Is(err, fault.QuotaExceeded) {
		t.Fatalf("depth 3: %v", err)
	}
	if _, err := s.CreateOrganizationalUnit(actx(), "ou-abcd-zzzzzzzz", "X", nil); !fault.Is(err, fault.NotFound) {
		t.Fatalf("unknown parent: %v", err)
	}
	paths, err := s.Paths(context.Background(), b.ID, "123456789012")
	if err != nil || paths[0] != s.Organization().ID+"/"+root+"/"+a.ID+"/"+b.ID+"/123456789012/" {
		t.Fatalf("path = %v, %v", paths, err)
	}
	if _, err := s.CreateOrganizationalUnit(actx(), root, "Third", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateOrganizationalUnit(actx(), root, "Fourth", nil); !fault.Is(err, fault.QuotaExceeded) {
		t.Fatalf("fourth unit: %v", err)
	}
	mgmt := s.Organization().ManagementAccountID
	if err := s.MoveAccount(actx(), mgmt, root, b.ID); err != nil {
		t.Fatal(err)
	}
	parents, err := s.ListParents(context.Background(), mgmt)
	if err != nil || parents[0].ID != b.ID || parents[0].Type != TypeOU {
		t.Fatalf("parents = %+v, %v", parents, err)
	}
	if err := s.MoveAccount(actx(), mgmt, b.ID, b.ID); err == nil {
		t.Fatal("move to the same parent accepted")
	}
	if err := s.TagResource(actx(), b.ID, []store.Tag{{Key: "env", Value: "prod"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.TagResource(actx(), "p-abcdefgh", nil); !fault.Is(err, fault.NotFound) {
		t.Fatalf("policies are not taggable here: %v", err)
	}
}
