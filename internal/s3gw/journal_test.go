package s3gw

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
)

// countingWriter counts the transactions of the real recorder it wraps.
type countingWriter struct {
	rec     *audit.Recorder
	commits atomic.Int64
}

func (c *countingWriter) RecordAll(ctx context.Context, evs ...*audit.Event) error {
	c.commits.Add(1)
	return c.rec.RecordAll(ctx, evs...)
}

// openCounted opens a SQLite store and an audit writer on it that counts
// its commits.
func openCounted(t *testing.T) (store.Store, *countingWriter) {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, &countingWriter{rec: audit.NewRecorder(db)}
}

// TestJournalGathersEvents: concurrent events share commits, every one is
// durable when Record returns, and RecordNow does not wait for the linger.
func TestJournalGathersEvents(t *testing.T) {
	ctx := context.Background()
	db, w := openCounted(t)
	j := NewJournal(w, 50*time.Millisecond)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ev := audit.NewEvent(time.Now(), "s3.amazonaws.com", "GetObject")
			ev.RequestID = string(rune('a' + i))
			if err := j.Record(ctx, ev); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	recs, err := db.ListAuditEvents(ctx, store.AuditQuery{Limit: 100})
	if err != nil || len(recs) != n {
		t.Fatalf("%d events stored (%v), want %d", len(recs), err, n)
	}
	if c := w.commits.Load(); c >= n/2 {
		t.Fatalf("%d commits for %d concurrent events", c, n)
	}
	// RecordNow commits at once: with a linger of an hour it still returns.
	slow := NewJournal(w, time.Hour)
	done := make(chan error, 1)
	go func() { done <- slow.RecordNow(ctx, audit.NewEvent(time.Now(), "s3.amazonaws.com", "PutObject")) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("RecordNow waited for the linger")
	}
}

// TestJournalEnqueue: an enqueued event is committed when the linger ends
// or, at the latest, when it is waited for, together with whatever else is
// waiting; it is durable once wait returns, and a failed commit is
// reported to every waiter of its batch.
func TestJournalEnqueue(t *testing.T) {
	ctx := context.Background()
	db, w := openCounted(t)

	// With a linger of an hour, waiting commits at once, and takes the
	// other waiting events along.
	j := NewJournal(w, time.Hour)
	var waits []func() error
	for i := range 5 {
		ev := audit.NewEvent(time.Now(), "s3.amazonaws.com", "GetObject")
		ev.RequestID = string(rune('a' + i))
		waits = append(waits, j.Enqueue(ev))
	}
	if c := w.commits.Load(); c != 0 {
		t.Fatalf("%d commits before anyone waited", c)
	}
	done := make(chan error, 1)
	go func() { done <- waits[2]() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("wait waited for the linger")
	}
	recs, err := db.ListAuditEvents(ctx, store.AuditQuery{Limit: 100})
	if err != nil || len(recs) != 5 {
		t.Fatalf("%d events stored (%v), want all 5 in the first commit", len(recs), err)
	}
	for _, wait := range waits {
		if err := wait(); err != nil {
			t.Fatal(err)
		}
	}
	if c := w.commits.Load(); c != 1 {
		t.Fatalf("%d commits, want 1", c)
	}

	// Without a wait, the linger commits.
	j = NewJournal(w, time.Millisecond)
	wait := j.Enqueue(audit.NewEvent(time.Now(), "s3.amazonaws.com", "GetObject"))
	deadline := time.Now().Add(30 * time.Second)
	for w.commits.Load() != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the linger did not commit")
		}
		time.Sleep(time.Millisecond)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}

	// A failed commit fails every event of its batch.
	f := NewJournal(failingWriter{}, time.Hour)
	w1 := f.Enqueue(audit.NewEvent(time.Now(), "s3.amazonaws.com", "GetObject"))
	w2 := f.Enqueue(audit.NewEvent(time.Now(), "s3.amazonaws.com", "GetObject"))
	if w1() == nil || w2() == nil {
		t.Fatal("a failed commit was reported as written")
	}
}

type failingWriter struct{}

func (failingWriter) RecordAll(context.Context, ...*audit.Event) error {
	return errors.New("database down")
}
