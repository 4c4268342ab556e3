package audit_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// flakyStore fails every Update while broken is set, to inject a database
// outage under the recorder; everything else is the real SQLite store.
type flakyStore struct {
	store.Store
	broken atomic.Bool
}

func (f *flakyStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if f.broken.Load() {
		return errors.New("injected outage")
	}
	return f.Store.Update(ctx, fn)
}

func countEvents(t *testing.T, s store.Store) int {
	t.Helper()
	evs, err := s.ListAuditEvents(context.Background(), store.AuditQuery{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestAsyncRecorderWritesEverything(t *testing.T) {
	s := openStore(t)
	r := audit.NewAsyncRecorder(s, audit.AsyncOptions{QueueSize: 64, MaxBatch: 16})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 250 {
				ev := audit.NewEvent(time.Now(), "identitystore.amazonaws.com", fmt.Sprintf("Read%d-%d", w, i))
				ev.ReadOnly = true
				if err := r.Record(context.Background(), ev); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countEvents(t, s); n != 2000 {
		t.Fatalf("%d events after Flush, want 2000 (a small queue must make writers wait, never drop)", n)
	}
	for range 10 {
		r.Record(context.Background(), audit.NewEvent(time.Now(), "x", "Late"))
	}
	r.Close()
	if n := countEvents(t, s); n != 2010 {
		t.Fatalf("%d events after Close, want 2010 (Close drains the queue)", n)
	}
	if err := r.Record(context.Background(), audit.NewEvent(time.Now(), "x", "AfterClose")); !errors.Is(err, audit.ErrUnavailable) {
		t.Fatalf("Record after Close = %v, want ErrUnavailable", err)
	}
}

func TestAsyncRecorderFailsClosed(t *testing.T) {
	s := &flakyStore{Store: openStore(t)}
	r := audit.NewAsyncRecorder(s, audit.AsyncOptions{})
	defer r.Close()
	s.broken.Store(true)
	if err := r.Record(context.Background(), audit.NewEvent(time.Now(), "x", "DuringOutage")); err != nil {
		t.Fatal(err) // accepted into the queue; the writer finds the outage
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Healthy() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the recorder never noticed the outage")
		}
		time.Sleep(time.Millisecond)
	}
	if err := r.Record(context.Background(), audit.NewEvent(time.Now(), "x", "Refused")); !errors.Is(err, audit.ErrUnavailable) {
		t.Fatalf("Record during an outage = %v, want ErrUnavailable so the caller refuses to answer", err)
	}
	s.broken.Store(false)
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.Healthy() != nil {
		t.Fatal("the recorder did not recover after the outage")
	}
	evs, _ := s.ListAuditEvents(context.Background(), store.AuditQuery{Limit: 10})
	if len(evs) != 1 || evs[0].Name != "DuringOutage" {
		t.Fatalf("events after recovery = %+v, want the queued event kept and written", evs)
	}
}

// BenchmarkAsyncRecorder measures what an event of a read costs through the
// asynchronous writer on SQLite, queue to durable commit, with 16 callers,
// with the default linger and without it. cpu-µs/event is the process's CPU
// time per event, which other work on the machine changes less than ns/op.
func BenchmarkAsyncRecorder(b *testing.B) {
	for _, bc := range []struct {
		name   string
		linger time.Duration
	}{{"linger=2ms", 0}, {"linger=off", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			db, err := sqlstore.Open(context.Background(), sqlstore.Config{Path: filepath.Join(b.TempDir(), "a.db")})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			r := audit.NewAsyncRecorder(db, audit.AsyncOptions{Linger: bc.linger})
			defer r.Close()
			b.SetParallelism(8) // 16 callers on 2 cores
			cpu0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ev := audit.NewEvent(time.Now(), "sts.amazonaws.com", "GetCallerIdentity")
					ev.ReadOnly = true
					ev.UserIdentity = audit.UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/R/u"}
					if err := r.Record(context.Background(), ev); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if err := r.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e3, "cpu-µs/event")
		})
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
