// Package fault defines the error kinds that domain services return and
// that adapters translate into wire errors (AWS exceptions, SCIM errors,
// HTTP statuses).
//
// A fault carries a message that is safe to show to the caller. Anything
// else (SQL text, LDAP DNs, stack traces) stays in the wrapped cause, which
// is logged but never sent. Adapters find faults with errors.As; any error
// that is not a fault is an internal error and reaches the caller only as a
// generic message.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies a fault. Adapters map kinds to protocol error codes.
type Kind int

// The kinds of fault. Their names follow what the caller did wrong, not
// what any one protocol calls it.
const (
	// Internal is a failure of Gatehouse itself; its message is generic.
	Internal Kind = iota
	// Invalid input: a value breaks a rule of the API.
	Invalid
	// NotFound: the named resource does not exist.
	NotFound
	// Conflict: the change collides with existing state (a duplicate, a
	// resource still in use, a concurrent change).
	Conflict
	// Denied: the caller is known but not allowed to do this.
	Denied
	// Unauthenticated: the caller could not be identified.
	Unauthenticated
	// Throttled: too many requests; try again later.
	Throttled
	// QuotaExceeded: a documented limit would be exceeded.
	QuotaExceeded
	// NotImplemented: the operation exists in the API but Gatehouse does
	// not provide it (yet).
	NotImplemented
	// Unavailable: a dependency (database, directory) cannot be reached
	// right now; the caller may retry.
	Unavailable
)

var kindNames = [...]string{
	Internal:        "internal",
	Invalid:         "invalid",
	NotFound:        "not found",
	Conflict:        "conflict",
	Denied:          "denied",
	Unauthenticated: "unauthenticated",
	Throttled:       "throttled",
	QuotaExceeded:   "quota exceeded",
	NotImplemented:  "not implemented",
	Unavailable:     "unavailable",
}

// String names the kind for logs.
func (k Kind) String() string {
	if int(k) >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a fault: a kind, a caller-safe message and optional details that
// some protocols carry in their error bodies.
type Error struct {
	Kind Kind
	// Message is shown to the caller verbatim.
	Message string
	// Reason is a machine-readable sub-code (for example AWS's
	// ConflictException Reason UNIQUENESS_CONSTRAINT_VIOLATION).
	Reason string
	// ResourceType and ResourceID name the resource a NotFound or Conflict
	// fault is about (for example "USER" and its id).
	ResourceType string
	ResourceID   string
	// Code, when set, is the exact wire error code an adapter must use
	// instead of the one it would derive from Kind. Domain code sets it only
	// where an API defines a dedicated exception (for example
	// organizations' DuplicateAccountException).
	Code string
	// Err is the internal cause, logged but never shown.
	Err error
}

// Error returns the caller-safe message, followed by the cause for logs.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns a fault of the given kind with a formatted caller-safe message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an Invalid fault.
func Invalidf(format string, args ...any) *Error { return New(Invalid, format, args...) }

// NotFoundf returns a NotFound fault about the given resource.
func NotFoundf(resourceType, id, format string, args ...any) *Error {
	e := New(NotFound, format, args...)
	e.ResourceType, e.ResourceID = resourceType, id
	return e
}

// Conflictf returns a Conflict fault with a reason.
func Conflictf(reason, format string, args ...any) *Error {
	e := New(Conflict, format, args...)
	e.Reason = reason
	return e
}

// Deniedf returns a Denied fault.
func Deniedf(format string, args ...any) *Error { return New(Denied, format, args...) }

// NotImplementedf returns a NotImplemented fault.
func NotImplementedf(format string, args ...any) *Error { return New(NotImplemented, format, args...) }

// As returns the fault in err's chain, if any.
func As(err error) (*Error, bool) {
	var f *Error
	if errors.As(err, &f) {
		return f, true
	}
	return nil, false
}

// KindOf returns the kind of the fault in err's chain, or Internal when
// err carries no fault.
func KindOf(err error) Kind {
	if f, ok := As(err); ok {
		return f.Kind
	}
	return Internal
}

// Is reports whether err carries a fault of the given kind.
func Is(err error, kind Kind) bool {
	f, ok := As(err)
	return ok && f.Kind == kind
}
