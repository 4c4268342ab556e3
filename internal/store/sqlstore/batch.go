package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"

	"github.com/gatehouse/gatehouse/internal/store"
)

// maxBatch bounds how many Update calls share one physical transaction.
const maxBatch = 128

// lingerYields is how many times the writer yields the processor, when the
// queue is empty, before it commits a batch. A commit costs its WAL writes
// and an fsync however many writes share it, and under concurrent load the
// handlers about to queue a write are runnable right then; yielding lets
// them join (bench/run-identitystore.sh, 16 clients: 10–15% less server
// CPU per write). The writer lingers only when its last batch had company,
// so the lone write of a quiet server is committed at once.
const lingerYields = 8

// errClosed is returned for writes submitted after Close.
var errClosed = errors.New("sqlstore: store is closed")

// batcher is SQLite's group-commit writer. One goroutine owns the single
// write connection; Update calls queue their functions, the goroutine runs
// whatever has queued in one transaction, each function under its own
// SAVEPOINT (so a failing one rolls back alone), commits once, and then
// answers every caller. Callers are answered only after the COMMIT is
// durable, so an acknowledged write is never lost, and the functions of one
// batch run one after the other, so the outcome is that of some serial order.
type batcher struct {
	db    *sql.DB
	stmts *stmtCache
	d     *dialect
	log   *slog.Logger
	queue chan *writeRequest

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	done   chan struct{}
}

type writeRequest struct {
	ctx  context.Context
	fn   func(tx store.Tx) error
	err  error
	done chan struct{}
	// after holds fn's AfterCommit functions, run when the batch has
	// committed if fn succeeded.
	after []func()
}

func newBatcher(db *sql.DB, d *dialect, stmts *stmtCache, log *slog.Logger) *batcher {
	b := &batcher{db: db, d: d, stmts: stmts, log: log, queue: make(chan *writeRequest, maxBatch*4), done: make(chan struct{})}
	go b.run()
	return b
}

// do queues fn and waits for its batch to commit.
func (b *batcher) do(ctx context.Context, fn func(tx store.Tx) error) error {
	req := &writeRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return errClosed
	}
	select {
	case b.queue <- req:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued the request runs even if ctx ends: giving up here could
	// report failure for a write that then commits.
	<-req.done
	return req.err
}

// close lets queued writes finish and stops the writer.
func (b *batcher) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	<-b.done
}

func (b *batcher) run() {
	defer close(b.done)
	batch := make([]*writeRequest, 0, maxBatch)
	busy := false
	for req := range b.queue {
		batch = append(batch[:0], req)
		yielded := 0
	fill:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-b.queue:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				if busy && yielded < lingerYields {
					yielded++
					runtime.Gosched()
					continue
				}
				break fill
			}
		}
		busy = len(batch) > 1
		b.runBatch(batch)
	}
}

func (b *batcher) runBatch(batch []*writeRequest) {
	// Statements run on a context that is never cancelled: interrupting a
	// statement inside SQLite's transaction can roll back the whole batch.
	ctx := context.Background()
	finish := func(err error) {
		for _, r := range batch {
			if err != nil && r.err == nil {
				r.err = err
			}
			if r.err == nil {
				for _, f := range r.after {
					f()
				}
			}
			close(r.done)
		}
	}
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		finish(fmt.Errorf("sqlstore: begin: %w", err))
		return
	}
	q := &queries{db: tx, d: b.d, writable: true, detached: true, stmts: b.stmts}
	if len(batch) == 1 {
		// Alone in its transaction, a write needs no savepoint: if it
		// fails, rolling the whole transaction back undoes exactly it.
		// That saves two statements on every write of a quiet server.
		r := batch[0]
		q.afterCommit = &r.after
		if r.err = r.ctx.Err(); r.err == nil {
			r.err = b.runAlone(q, r)
		}
		if r.err != nil {
			_ = tx.Rollback()
			finish(nil)
			return
		}
		if err := tx.Commit(); err != nil {
			finish(fmt.Errorf("sqlstore: commit: %w", err))
			return
		}
		finish(nil)
		return
	}
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		q.afterCommit = &r.after
		r.err = b.runOne(ctx, tx, q, r)
		if errors.Is(r.err, errBatchBroken) {
			_ = tx.Rollback()
			finish(r.err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		finish(fmt.Errorf("sqlstore: commit: %w", err))
		return
	}
	finish(nil)
}

// errBatchBroken means the shared transaction can no longer be trusted
// (a savepoint could not be rolled back); the whole batch fails.
var errBatchBroken = errors.New("sqlstore: write batch aborted")

// runAlone runs the one write of a batch, turning a panic into an error.
func (b *batcher) runAlone(q *queries, r *writeRequest) (err error) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("panic in write transaction", "panic", p)
			err = fmt.Errorf("sqlstore: write transaction panicked: %v", p)
		}
	}()
	return r.fn(q)
}

func (b *batcher) runOne(ctx context.Context, tx *sql.Tx, q *queries, r *writeRequest) (err error) {
	if _, err := q.exec(ctx, "SAVEPOINT w"); err != nil {
		return fmt.Errorf("%w: savepoint: %v", errBatchBroken, err)
	}
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("panic in write transaction", "panic", p)
			err = fmt.Errorf("sqlstore: write transaction panicked: %v", p)
		}
		if err != nil {
			if _, rerr := q.exec(ctx, "ROLLBACK TO w"); rerr != nil {
				err = fmt.Errorf("%w: rollback to savepoint: %v (after %v)", errBatchBroken, rerr, err)
				return
			}
		}
		if _, rerr := q.exec(ctx, "RELEASE w"); rerr != nil {
			err = fmt.Errorf("%w: release savepoint: %v", errBatchBroken, rerr)
		}
	}()
	return r.fn(q)
}
