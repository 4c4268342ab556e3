package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func openStore(t *testing.T) store.Store {
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Path: filepath.Join(t.TempDir(), "a.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStageCommitsWithTheChange(t *testing.T) {
	s := openStore(t)
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	ev := audit.NewEvent(at, "identitystore.amazonaws.com", "CreateGroup")
	ev.UserIdentity = audit.UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/admin"}
	ctx := audit.NewContext(context.Background(), ev)

	// A change that fails after staging leaves no event behind.
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := audit.Stage(ctx, tx, map[string]string{"groupId": "g1"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if evs, _ := s.ListAuditEvents(ctx, store.AuditQuery{Limit: 10}); len(evs) != 0 {
		t.Fatalf("a rolled-back change left %d events", len(evs))
	}

	ev2 := audit.NewEvent(at, "identitystore.amazonaws.com", "CreateGroup")
	ctx = audit.NewContext(context.Background(), ev2)
	if err := s.Update(ctx, func(tx store.Tx) error { return audit.Stage(ctx, tx, map[string]string{"groupId": "g1"}) }); err != nil {
		t.Fatal(err)
	}
	evs, _ := s.ListAuditEvents(ctx, store.AuditQuery{Limit: 10})
	if len(evs) != 1 || !ev2.Staged() {
		t.Fatalf("want one staged event, got %d", len(evs))
	}
	var doc map[string]any
	if err := json.Unmarshal(evs[0].Document, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
		"sourceIPAddress", "userAgent", "requestParameters", "responseElements", "eventID", "readOnly", "eventType",
		"managementEvent", "recipientAccountId", "eventCategory"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("event lacks %s", k)
		}
	}
	if doc["eventTime"] != "2026-11-21T10:00:00Z" {
		t.Errorf("eventTime = %v", doc["eventTime"])
	}
}

func TestStageWithoutEventRefuses(t *testing.T) {
	s := openStore(t)
	err := s.Update(context.Background(), func(tx store.Tx) error { return audit.Stage(context.Background(), tx, nil) })
	if !errors.Is(err, audit.ErrNoEvent) {
		t.Fatalf("Stage without an event = %v, want ErrNoEvent", err)
	}
}

func TestRecordFailure(t *testing.T) {
	s := openStore(t)
	r := audit.NewRecorder(s)
	ev := audit.NewEvent(time.Now(), "identitystore.amazonaws.com", "DescribeUser")
	ev.Fail("ResourceNotFoundException", "User not found")
	if err := r.Record(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	evs, _ := s.ListAuditEvents(context.Background(), store.AuditQuery{Limit: 1})
	if len(evs) != 1 || evs[0].ErrorCode != "ResourceNotFoundException" {
		t.Fatalf("recorded %+v", evs)
	}
	s.Close()
	if err := r.Record(context.Background(), audit.NewEvent(time.Now(), "x", "y")); err == nil {
		t.Fatal("Record on a closed store reported success")
	}
}

// TestStagedOnlyByTheCommittedRun: when the store runs a change again (a
// retry on PostgreSQL) and only the rolled-back run staged the event, the
// event is not staged, so the API layer records it rather than answering
// without one.
func TestStagedOnlyByTheCommittedRun(t *testing.T) {
	rs := &storetest.RetryingStore{Store: openStore(t)}
	rs.Retry.Store(true)
	ev := audit.NewEvent(time.Now(), "identitystore.amazonaws.com", "CreateGroup")
	ctx := audit.NewContext(context.Background(), ev)
	runs := 0
	if err := rs.Update(ctx, func(tx store.Tx) error {
		runs++
		if runs == 1 {
			return audit.Stage(ctx, tx, nil)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Fatalf("%d runs, want 2", runs)
	}
	if ev.Staged() {
		t.Fatal("the event counts as staged though the run that staged it was rolled back")
	}
	if evs, _ := rs.ListAuditEvents(ctx, store.AuditQuery{Limit: 10}); len(evs) != 0 {
		t.Fatalf("%d events stored, want none", len(evs))
	}
}
