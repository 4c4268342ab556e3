package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// testAfterCommit: AfterCommit functions run after the commit and before
// Update returns, once; never for a transaction that rolls back, and,
// among concurrent writers (a group commit on SQLite), only for the
// writers whose part committed.
func testAfterCommit(t *testing.T, open Connect) {
	s := open()
	var ran atomic.Int32
	if err := s.Update(ctx, func(tx store.Tx) error {
		tx.AfterCommit(func() {
			// The write is visible by the time it runs.
			if _, err := s.GetUser(ctx, id("u", 1)); err != nil {
				t.Errorf("in AfterCommit the committed user is not visible: %v", err)
			}
			ran.Add(1)
		})
		if ran.Load() != 0 {
			t.Error("AfterCommit ran before the transaction ended")
		}
		return tx.CreateUser(ctx, newUser(1))
	}); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 1 {
		t.Fatalf("after a commit: ran %d times, want once before Update returned", ran.Load())
	}

	refused := errors.New("refused")
	if err := s.Update(ctx, func(tx store.Tx) error {
		tx.AfterCommit(func() { t.Error("AfterCommit ran for a transaction that rolled back") })
		if err := tx.CreateUser(ctx, newUser(2)); err != nil {
			return err
		}
		return refused
	}); !errors.Is(err, refused) {
		t.Fatalf("Update = %v, want the function's error", err)
	}

	// Concurrent writers, half of which fail (the same user name again):
	// exactly the committed ones run their functions.
	const writers = 16
	var (
		wg        sync.WaitGroup
		committed atomic.Int32
		hooks     atomic.Int32
	)
	for i := range writers {
		wg.Go(func() {
			u := newUser(100 + i)
			if i%2 == 1 {
				u.UserNameKey = newUser(1).UserNameKey // taken: this write fails
			}
			err := s.Update(ctx, func(tx store.Tx) error {
				tx.AfterCommit(func() { hooks.Add(1) })
				return tx.CreateUser(ctx, u)
			})
			if err == nil {
				committed.Add(1)
			}
		})
	}
	wg.Wait()
	if committed.Load() != writers/2 || hooks.Load() != committed.Load() {
		t.Fatalf("%d writes committed, %d AfterCommit functions ran; want %d and as many", committed.Load(), hooks.Load(), writers/2)
	}
}
