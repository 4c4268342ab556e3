package audit

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Log reads the audit log for people: the console's audit page and its
// dashboard. Each search walks one of the audit indexes (by event name,
// principal, failures or time) newest first, a page at a time.
type Log struct {
	store store.Reader
}

// NewLog returns a reader of the audit log in r.
func NewLog(r store.Reader) *Log { return &Log{store: r} }

// MaxPage bounds a page of Search.
const MaxPage = 200

// Search returns up to q.Limit events (at most MaxPage) and whether more
// follow.
func (l *Log) Search(ctx context.Context, q store.AuditSearch) ([]store.AuditEvent, bool, error) {
	if q.Limit <= 0 || q.Limit > MaxPage {
		q.Limit = MaxPage
	}
	limit := q.Limit
	q.Limit++
	evs, err := l.store.SearchAuditEvents(ctx, q)
	if err != nil {
		return nil, false, err
	}
	if len(evs) > limit {
		return evs[:limit], true, nil
	}
	return evs, false, nil
}

// Event returns the stored event with sequence number seq.
func (l *Log) Event(ctx context.Context, seq int64) (store.AuditEvent, error) {
	evs, err := l.store.SearchAuditEvents(ctx, store.AuditSearch{Before: seq + 1, Limit: 1})
	if err != nil {
		return store.AuditEvent{}, err
	}
	if len(evs) == 0 || evs[0].Seq != seq {
		return store.AuditEvent{}, store.ErrNotFound
	}
	return evs[0], nil
}
