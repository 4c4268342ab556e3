package s3gw

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
)

// BatchWriter writes several audit events in one transaction;
// *audit.Recorder provides it.
type BatchWriter interface {
	RecordAll(ctx context.Context, events ...*audit.Event) error
}

// Journal records the gateway's data events durably, gathering the events
// of concurrent requests into one transaction. An S3 workload is many small
// requests, each of which must be audited before it is answered; one commit
// (and one fsync) per request would cost more than the rest of the
// gateway's work together. Record waits up to the linger for other events
// to join (less when DefaultMaxBatch arrive first), then commits them all
// and returns once they are durable, so the guarantee of Recorder.Record
// stands: no audit, no answer. The gateway uses Enqueue for reads: the
// event waits for others while the upstream answers, and is committed
// (with whatever else is waiting) when the linger ends or as soon as the
// answer needs it, whichever comes first, so a fast upstream is not held
// up by the linger and a slow one gets large batches. RecordNow serves
// everything that must be durable before the gateway goes on (changes,
// refusals): it commits at once and takes the waiting events along.
type Journal struct {
	w        BatchWriter
	linger   time.Duration
	maxBatch int

	mu      sync.Mutex
	pending []*pendingEvent
	timer   *time.Timer
}

type pendingEvent struct {
	ev   *audit.Event
	done chan error
	// taken is set, under the journal's lock, when the event leaves the
	// queue for a commit.
	taken bool
}

// Defaults of a Journal. The linger bounds how long an event waits for
// others; an event whose answer is ready is committed without waiting
// (Enqueue), so the linger costs latency only to Record.
const (
	DefaultLinger   = 25 * time.Millisecond
	DefaultMaxBatch = 128
)

// NewJournal returns a journal writing through w. linger 0 means
// DefaultLinger; a negative linger commits every event at once.
func NewJournal(w BatchWriter, linger time.Duration) *Journal {
	if linger == 0 {
		linger = DefaultLinger
	}
	return &Journal{w: w, linger: linger, maxBatch: DefaultMaxBatch}
}

// Record implements Recorder: the event is committed with others within
// the linger.
func (j *Journal) Record(ctx context.Context, ev *audit.Event) error { return j.record(ev, false) }

// RecordNow commits the event, and any waiting, at once.
func (j *Journal) RecordNow(ctx context.Context, ev *audit.Event) error { return j.record(ev, true) }

// Enqueue queues the event for a commit and returns a function that waits
// until it is durable and reports whether it could be written. The event
// is committed with others when the linger ends; if wait is called before
// that, the waiting events are committed at once. The event must not be
// changed after Enqueue. wait is for one goroutine; calling it again
// returns the first answer.
func (j *Journal) Enqueue(ev *audit.Event) (wait func() error) {
	p := j.queue(ev, false)
	var err error
	waited := false
	return func() error {
		if waited {
			return err
		}
		j.mu.Lock()
		var batch []*pendingEvent
		if !p.taken {
			batch = j.take()
		}
		j.mu.Unlock()
		if batch != nil {
			j.write(batch)
		}
		err, waited = <-p.done, true
		return err
	}
}

func (j *Journal) record(ev *audit.Event, now bool) error {
	// Once queued the event is written even if ctx ends: giving up here
	// could report failure for an event that then commits.
	return <-j.queue(ev, now).done
}

// queue adds the event to the pending ones and commits them all when now
// is set, the batch is full or the journal does not linger; otherwise the
// first event of a batch starts the linger's timer.
func (j *Journal) queue(ev *audit.Event, now bool) *pendingEvent {
	p := &pendingEvent{ev: ev, done: make(chan error, 1)}
	j.mu.Lock()
	j.pending = append(j.pending, p)
	var batch []*pendingEvent
	switch {
	case now || len(j.pending) >= j.maxBatch || j.linger < 0:
		batch = j.take()
	case len(j.pending) == 1:
		j.timer = time.AfterFunc(j.linger, j.flush)
	}
	j.mu.Unlock()
	if batch != nil {
		j.write(batch)
	}
	return p
}

// take removes the pending events; j.mu is held.
func (j *Journal) take() []*pendingEvent {
	if j.timer != nil {
		j.timer.Stop()
		j.timer = nil
	}
	batch := j.pending
	j.pending = nil
	for _, p := range batch {
		p.taken = true
	}
	return batch
}

func (j *Journal) flush() {
	j.mu.Lock()
	batch := j.take()
	j.mu.Unlock()
	if len(batch) > 0 {
		j.write(batch)
	}
}

func (j *Journal) write(batch []*pendingEvent) {
	evs := make([]*audit.Event, len(batch))
	for i, p := range batch {
		evs[i] = p.ev
	}
	err := j.w.RecordAll(context.Background(), evs...)
	for _, p := range batch {
		p.done <- err
	}
}
