package s3gw

import (
	"context"
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

// TestJournalGathersEvents: concurrent events share commits, every one is
// durable when Record returns, and RecordNow does not wait for the linger.
func TestJournalGathersEvents(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := &countingWriter{rec: audit.NewRecorder(db)}
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
