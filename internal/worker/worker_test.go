package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestLoopRunsOnPokeAndPoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rounds atomic.Int32
		pending := atomic.Int32{}
		l := New("test", func(ctx context.Context) (bool, error) {
			rounds.Add(1)
			// Report more work while some is pending, one item per round.
			if pending.Load() > 0 {
				pending.Add(-1)
				return true, nil
			}
			return false, nil
		}, time.Minute, nil)
		l.Start()
		synctest.Wait()
		if rounds.Load() != 1 {
			t.Fatalf("%d rounds at start, want 1 (a restart looks at its queue)", rounds.Load())
		}
		pending.Store(3)
		l.Poke()
		synctest.Wait()
		if got := rounds.Load(); got != 1+4 {
			t.Fatalf("%d rounds after a poke with 3 items, want 5 (it keeps going while there is more)", got)
		}
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		if got := rounds.Load(); got != 6 {
			t.Fatalf("%d rounds after a poll interval, want 6", got)
		}
		l.Stop()
		l.Poke()
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if got := rounds.Load(); got != 6 {
			t.Fatalf("a stopped loop ran: %d rounds", got)
		}
	})
}

func TestPokeNeverBlocks(t *testing.T) {
	l := New("test", func(context.Context) (bool, error) { return false, nil }, time.Hour, nil)
	for range 100 {
		l.Poke() // not started: must not block
	}
}
