package awsapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
)

// Invocation is one in-process call of a JSON 1.1 operation.
type Invocation struct {
	// Target is what X-Amz-Target would say, e.g.
	// "AWSIdentityStore.CreateUser".
	Target string
	// Input is the request, encoded to JSON as a client would send it.
	Input any
	// Caller is who calls, authenticated by the invoker (the admin
	// console's signed-in administrator).
	Caller Caller
	// Prepare, when set, completes the audit event before the call: the
	// console names the identity store user and marks the event as its
	// own.
	Prepare func(ev *audit.Event)
}

// Invoke calls an operation in process, for a caller that authenticated
// some other way than SigV4. Everything after authentication is what
// ServeHTTP does: model validation with AWS's messages, the operation and
// the authorisation it asks for, fault mapping and the audit event, so a
// call through Invoke is decided and recorded exactly like the same call
// over the wire. It returns the output as JSON, or the error a client
// would have received.
func (jr *JSONRouter) Invoke(ctx context.Context, inv Invocation) (json.RawMessage, *Error) {
	prefix, opName, _ := strings.Cut(inv.Target, ".")
	svc := jr.Services[prefix]
	if svc == nil {
		return nil, NewError(http.StatusBadRequest, "UnknownOperationException", "")
	}
	ev := jr.eventAt(reqinfo.FromContext(ctx), svc.EventSource, opName)
	ev.UserIdentity = callerIdentity(inv.Caller)
	if inv.Prepare != nil {
		inv.Prepare(ev)
	}
	body, err := json.Marshal(inv.Input)
	if err != nil {
		return nil, jr.failed(ctx, ev, NewError(http.StatusBadRequest, "SerializationException", "Malformed request body"))
	}
	out, werr := jr.dispatch(ctx, svc, opName, body, inv.Caller, ev)
	if werr != nil {
		return nil, werr
	}
	buf, err := encodeOutput(out)
	if err != nil {
		jr.Log.Error("encode response", "operation", inv.Target, "err", err)
		return nil, &Error{Status: http.StatusInternalServerError, Code: "InternalServerException", Message: InternalMessage}
	}
	return buf, nil
}

// Record writes the audit event of something that is not an operation of
// a service but must be recorded like one (the console's own reads): a
// failure when e is not nil. It returns an error when the event could not
// be written, and the caller must then not answer.
func (jr *JSONRouter) Record(ctx context.Context, ev *audit.Event, e *Error) error {
	if e != nil {
		ev.Fail(e.Code, e.Message)
	}
	return jr.Audit.Record(ctx, ev)
}

// NewEvent starts the audit event of a call named name of the service
// with eventSource source, for the current request, as the router would.
func (jr *JSONRouter) NewEvent(ctx context.Context, source, name string) *audit.Event {
	return jr.eventAt(reqinfo.FromContext(ctx), source, name)
}
