// Package worker runs the background loops that finish asynchronous AWS
// operations (CreateAccount, account assignments, permission set
// provisioning).
//
// The work itself lives in a store-backed queue owned by a domain package;
// a Loop only decides when to look at it: at once when this replica queued
// something (Poke), and otherwise every poll interval, so that work queued by
// another replica, or left behind by one that stopped, is finished too.
package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Step does one round of work: it claims what it can from its queue,
// finishes it and reports whether more may be waiting right now.
type Step func(ctx context.Context) (more bool, err error)

// Loop runs a Step in the background.
type Loop struct {
	name string
	step Step
	poll time.Duration
	log  *slog.Logger

	wake chan struct{}

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a loop that runs step when poked and at least every poll.
func New(name string, step Step, poll time.Duration, log *slog.Logger) *Loop {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Loop{name: name, step: step, poll: poll, log: log, wake: make(chan struct{}, 1)}
}

// Start runs the loop until Stop. Starting a running loop does nothing.
func (l *Loop) Start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	go l.run(ctx, l.done)
}

// Stop ends the loop and waits for the round in progress to finish its
// current transaction. Work it leaves behind stays queued.
func (l *Loop) Stop() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.cancel = nil
	l.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Poke asks the loop to look at its queue now. It never blocks.
func (l *Loop) Poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *Loop) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	timer := time.NewTimer(0) // look once at start: a restart finishes pending work
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-l.wake:
		}
		for {
			more, err := l.step(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				l.log.Error("background work failed", "worker", l.name, "err", err)
				break
			}
			if !more || ctx.Err() != nil {
				break
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(l.poll)
	}
}
