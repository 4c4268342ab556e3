// Package audit records CloudTrail-shaped events for every API call and
// every sign-in step.
//
// An adapter starts an Event when a request arrives and puts it in the
// request's context. A domain service that changes state calls Stage inside
// its store transaction, so the change and its event commit together: if the
// event cannot be written the change does not happen. Calls that change
// nothing (reads) and calls that fail are written afterwards by the adapter
// with Recorder.Record, which also fails closed: a read whose event cannot be
// written is answered with an error.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/store"
)

// EventVersion is the CloudTrail record format version Gatehouse writes.
const EventVersion = "1.11"

// Event is one CloudTrail record. Field names and JSON keys follow the
// CloudTrail record contents reference.
type Event struct {
	EventVersion        string         `json:"eventVersion"`
	UserIdentity        UserIdentity   `json:"userIdentity"`
	EventTime           string         `json:"eventTime"`
	EventSource         string         `json:"eventSource"`
	EventName           string         `json:"eventName"`
	AWSRegion           string         `json:"awsRegion"`
	SourceIPAddress     string         `json:"sourceIPAddress"`
	UserAgent           string         `json:"userAgent"`
	ErrorCode           string         `json:"errorCode,omitempty"`
	ErrorMessage        string         `json:"errorMessage,omitempty"`
	RequestParameters   any            `json:"requestParameters"`
	ResponseElements    any            `json:"responseElements"`
	AdditionalEventData map[string]any `json:"additionalEventData,omitempty"`
	RequestID           string         `json:"requestID,omitempty"`
	EventID             string         `json:"eventID"`
	ReadOnly            bool           `json:"readOnly"`
	EventType           string         `json:"eventType"`
	ManagementEvent     bool           `json:"managementEvent"`
	RecipientAccountID  string         `json:"recipientAccountId"`
	EventCategory       string         `json:"eventCategory"`
	ServiceEventDetails map[string]any `json:"serviceEventDetails,omitempty"`
	// SessionCredentialFromConsole is "true" for calls made from the admin
	// console, as CloudTrail marks calls made from the AWS console.
	SessionCredentialFromConsole string `json:"sessionCredentialFromConsole,omitempty"`

	at     time.Time
	staged bool
}

// UserIdentity says who made the call.
type UserIdentity struct {
	Type        string `json:"type"` // IAMUser, AssumedRole, IdentityCenterUser, Unknown, AWSService
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	// OnBehalfOf names the identity store user for portal and sign-in
	// events, as CloudTrail does for Identity Center users.
	OnBehalfOf *OnBehalfOf `json:"onBehalfOf,omitempty"`
	// CredentialID is set for calls made with portal tokens.
	CredentialID string `json:"credentialId,omitempty"`
}

// OnBehalfOf identifies an Identity Center user.
type OnBehalfOf struct {
	UserID           string `json:"userId"`
	IdentityStoreARN string `json:"identityStoreArn"`
}

// FailureCode is the stored error code of a failed event that has only a
// message (a sign-in step); the event itself keeps no errorCode.
const FailureCode = "Failure"

// Hidden replaces sensitive values in requestParameters and
// responseElements, as CloudTrail does.
const Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// NewEvent starts an event for a call at time at.
func NewEvent(at time.Time, source, name string) *Event {
	at = at.UTC()
	return &Event{
		EventVersion:    EventVersion,
		EventTime:       at.Format(time.RFC3339),
		EventSource:     source,
		EventName:       name,
		EventID:         arn.NewTimeUUID(at),
		EventType:       "AwsApiCall",
		ManagementEvent: true,
		EventCategory:   "Management",
		UserIdentity:    UserIdentity{Type: "Unknown"},
		at:              at,
	}
}

// Fail marks the event as the record of a failed call.
func (e *Event) Fail(code, message string) {
	e.ErrorCode, e.ErrorMessage = code, message
	e.ResponseElements = nil
}

// Staged reports whether the event was written inside a transaction (whose
// success the caller must still check).
func (e *Event) Staged() bool { return e.staged }

// scratch holds encoding buffers, so that an event costs one allocation
// of its document's exact size.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// record turns the event into its stored form.
func (e *Event) record() (store.AuditEvent, error) {
	bp := scratch.Get().(*[]byte)
	buf, err := e.appendJSON((*bp)[:0])
	if err != nil {
		scratch.Put(bp)
		return store.AuditEvent{}, fmt.Errorf("audit: encode event %s: %w", e.EventID, err)
	}
	doc := slices.Clone(buf)
	if cap(buf) <= 64<<10 {
		*bp = buf
		scratch.Put(bp)
	}
	principal := e.UserIdentity.ARN
	if e.UserIdentity.OnBehalfOf != nil {
		principal = e.UserIdentity.OnBehalfOf.UserID
	}
	// A failed sign-in step carries a message and no code, as in
	// CloudTrail; the stored code still marks it as a failure, so that
	// every failure is found by the same index.
	code := e.ErrorCode
	if code == "" && e.ErrorMessage != "" {
		code = FailureCode
	}
	return store.AuditEvent{
		EventID: e.EventID, Time: e.at, Source: e.EventSource, Name: e.EventName,
		Principal: principal, ErrorCode: code, Document: doc,
	}, nil
}

type ctxKey struct{}

// NewContext returns ctx carrying the event of the current call.
func NewContext(ctx context.Context, e *Event) context.Context {
	return context.WithValue(ctx, ctxKey{}, e)
}

// FromContext returns the event of the current call, if any.
func FromContext(ctx context.Context) (*Event, bool) {
	e, ok := ctx.Value(ctxKey{}).(*Event)
	return e, ok
}

// ErrNoEvent is returned by Stage when the context carries no event: a
// change without an audit record must not happen.
var ErrNoEvent = errors.New("audit: no event for this change")

// Stage writes the context's event, with its response elements, inside the
// transaction of the change it records. A transaction that is retried stages
// the event again; one that rolls back takes the event with it. The event
// counts as staged (Event.Staged) only once the transaction has committed,
// so that a run rolled back for a retry cannot stand in for the run that
// commits.
func Stage(ctx context.Context, tx store.Tx, response any) error {
	e, ok := FromContext(ctx)
	if !ok {
		return ErrNoEvent
	}
	e.ResponseElements = response
	e.ReadOnly = false
	rec, err := e.record()
	if err != nil {
		return err
	}
	if err := tx.AppendAuditEvents(ctx, rec); err != nil {
		return fmt.Errorf("audit: stage %s: %w", e.EventName, err)
	}
	tx.AfterCommit(func() { e.staged = true })
	return nil
}

// Recorder writes events that are not part of a change: the events of
// calls that read, and of calls that failed (and so changed nothing).
//
// A synchronous recorder (NewRecorder) writes each event before Record
// returns. An asynchronous one (NewAsyncRecorder) queues the event and a
// writer goroutine commits queued events in large batches, which costs far
// less per event than one commit each. Nothing is dropped: a full queue
// makes Record wait. The recorder fails closed: while the writer cannot
// write, Record returns ErrUnavailable and callers refuse to answer. The
// cost is a window: events of calls answered in the last moments before a
// crash (not a graceful stop, which drains the queue) can be lost. The event
// of a change never takes this path; it commits with the change (Stage).
type Recorder struct {
	store store.Store

	// The asynchronous writer; queue is nil for a synchronous recorder.
	queue    chan store.AuditEvent
	maxBatch int
	linger   time.Duration
	log      *slog.Logger
	failing  atomic.Bool
	flushReq chan chan struct{}
	done     chan struct{}
	closeMu  sync.RWMutex // Record holds it shared; Close exclusively
	closed   bool
}

// ErrUnavailable is returned while an asynchronous recorder cannot write
// its events.
var ErrUnavailable = errors.New("audit: the audit log cannot be written")

// NewRecorder returns a synchronous recorder writing to s.
func NewRecorder(s store.Store) *Recorder { return &Recorder{store: s} }

// AsyncOptions tune an asynchronous recorder; zero values pick defaults.
type AsyncOptions struct {
	// QueueSize bounds the events waiting to be written (default 65536).
	QueueSize int
	// MaxBatch bounds the events of one commit (default 1024).
	MaxBatch int
	// Linger is how long the writer, having taken what had queued, waits
	// for more events before it commits a batch that is not full
	// (default 2 ms; negative: never). Every commit costs a sync of the
	// database, so under load a short wait makes far fewer, larger
	// commits; it lengthens the window of events a crash can lose by as
	// much. A Flush or Close ends the wait at once.
	Linger time.Duration
	Log    *slog.Logger
}

// DefaultLinger is the default AsyncOptions.Linger.
const DefaultLinger = 2 * time.Millisecond

// NewAsyncRecorder returns a recorder that writes read and failure events
// in the background. Close it to drain the queue.
func NewAsyncRecorder(s store.Store, o AsyncOptions) *Recorder {
	if o.QueueSize <= 0 {
		o.QueueSize = 65536
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1024
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Linger == 0 {
		o.Linger = DefaultLinger
	}
	r := &Recorder{
		store: s, queue: make(chan store.AuditEvent, o.QueueSize), maxBatch: o.MaxBatch, linger: o.Linger, log: o.Log,
		flushReq: make(chan chan struct{}), done: make(chan struct{}),
	}
	go r.write()
	return r
}

// Record writes e: at once for a synchronous recorder, through the queue
// for an asynchronous one.
func (r *Recorder) Record(ctx context.Context, e *Event) error {
	rec, err := e.record()
	if err != nil {
		return err
	}
	if r.queue == nil {
		if err := r.store.Update(ctx, func(tx store.Tx) error { return tx.AppendAuditEvents(ctx, rec) }); err != nil {
			return fmt.Errorf("audit: record %s: %w", e.EventName, err)
		}
		return nil
	}
	if r.failing.Load() {
		return ErrUnavailable
	}
	r.closeMu.RLock()
	defer r.closeMu.RUnlock()
	if r.closed {
		return ErrUnavailable
	}
	select {
	case r.queue <- rec:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Healthy reports whether events can be written.
func (r *Recorder) Healthy() error {
	if r.failing.Load() {
		return ErrUnavailable
	}
	return nil
}

// Flush returns once every event queued before the call is written.
func (r *Recorder) Flush(ctx context.Context) error {
	if r.queue == nil {
		return nil
	}
	ack := make(chan struct{})
	select {
	case r.flushReq <- ack:
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting events and returns once the queue is written.
func (r *Recorder) Close() error {
	if r.queue == nil {
		return nil
	}
	r.closeMu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.closeMu.Unlock()
	<-r.done
	return nil
}

// write is the writer goroutine: it takes what has queued (up to maxBatch),
// commits it, and retries a failed commit with a growing pause, keeping the
// batch, until it succeeds.
func (r *Recorder) write() {
	defer close(r.done)
	batch := make([]store.AuditEvent, 0, r.maxBatch)
	// acks are flush requests; they are answered once the queue has been
	// seen empty after a write, so every event queued before them is in.
	var acks []chan struct{}
	defer func() {
		for _, a := range acks {
			close(a)
		}
	}()
	for {
		batch = batch[:0]
		select {
		case rec, ok := <-r.queue:
			if !ok {
				return
			}
			batch = append(batch, rec)
		case ack := <-r.flushReq:
			acks = append(acks, ack)
		}
	fill:
		for len(batch) < r.maxBatch {
			select {
			case rec, ok := <-r.queue:
				if !ok {
					break fill
				}
				batch = append(batch, rec)
			case ack := <-r.flushReq:
				acks = append(acks, ack)
			default:
				break fill
			}
		}
		if len(batch) > 0 && len(batch) < r.maxBatch && len(acks) == 0 && r.linger > 0 {
			batch, acks = r.gather(batch, acks)
		}
		for pause := 50 * time.Millisecond; len(batch) > 0; pause = min(2*pause, 5*time.Second) {
			err := r.store.Update(context.Background(), func(tx store.Tx) error {
				return tx.AppendAuditEvents(context.Background(), batch...)
			})
			if err == nil {
				r.failing.Store(false)
				break
			}
			r.failing.Store(true)
			r.log.Error("audit write failed; refusing requests until it succeeds", "events", len(batch), "err", err)
			time.Sleep(pause)
		}
		if len(r.queue) == 0 {
			for _, a := range acks {
				close(a)
			}
			acks = acks[:0]
		}
	}
}

// gather waits up to the linger for more events to join a batch that is
// not full; a flush request (or the queue closing) ends the wait at once.
func (r *Recorder) gather(batch []store.AuditEvent, acks []chan struct{}) ([]store.AuditEvent, []chan struct{}) {
	t := time.NewTimer(r.linger)
	defer t.Stop()
	for len(batch) < r.maxBatch {
		select {
		case rec, ok := <-r.queue:
			if !ok {
				return batch, acks
			}
			batch = append(batch, rec)
		case ack := <-r.flushReq:
			return batch, append(acks, ack)
		case <-t.C:
			return batch, acks
		}
	}
	return batch, acks
}

// RecordAll writes several events in one transaction and returns only once
// they are durable: for a recorder of its own that gathers the events of
// concurrent requests (the S3 gateway's data events), one commit instead
// of one per event.
func (r *Recorder) RecordAll(ctx context.Context, events ...*Event) error {
	recs := make([]store.AuditEvent, 0, len(events))
	for _, e := range events {
		rec, err := e.record()
		if err != nil {
			return err
		}
		recs = append(recs, rec)
	}
	if err := r.store.Update(ctx, func(tx store.Tx) error { return tx.AppendAuditEvents(ctx, recs...) }); err != nil {
		return fmt.Errorf("audit: record %d events: %w", len(events), err)
	}
	return nil
}
