package storetest

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/internal/store"
)

// RetryingStore runs the function of every Update twice while Retry is
// set: the first run is rolled back and the function runs again in a new
// transaction, as the store does on PostgreSQL when a transaction loses a
// serialization race. Functions must therefore start each run from the
// same values and set their outputs afresh on each run.
//
// Between, when set, runs after the first run is rolled back and before
// the second: it plays the concurrent writer that won the race, so that
// the second run can find the database changed. Its own writes, through
// the RetryingStore or the wrapped Store, run once.
type RetryingStore struct {
	store.Store
	Retry   atomic.Bool
	Between func()

	inBetween atomic.Bool
}

var errSimulatedRace = errors.New("storetest: simulated serialization failure")

// Update runs fn, twice while Retry is set.
func (s *RetryingStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if s.Retry.Load() && !s.inBetween.Load() {
		if err := s.Store.Update(ctx, func(tx store.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errSimulatedRace // roll the first run back
		}); !errors.Is(err, errSimulatedRace) {
			return err
		}
		if s.Between != nil {
			s.inBetween.Store(true)
			s.Between()
			s.inBetween.Store(false)
		}
	}
	return s.Store.Update(ctx, fn)
}
