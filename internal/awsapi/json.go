package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
)

// MaxBodyBytes bounds the body of an AWS API request. The largest legitimate
// input (a 32 KiB policy document escaped into JSON) fits many times over.
const MaxBodyBytes = 1 << 20

// JSONContentType is the content type of JSON 1.1 requests and responses.
const JSONContentType = "application/x-amz-json-1.1"

// Operation is one operation of a service.
type Operation struct {
	// ReadOnly operations change nothing; their audit event is written
	// after the call. Mutations stage theirs inside their transaction.
	ReadOnly bool
	// Call decodes the (validated) input, performs the operation and
	// returns the output to encode.
	Call func(ctx context.Context, input []byte) (any, error)
}

// Op builds an Operation from a typed function. The input is decoded with
// encoding/json after model validation has checked its shape.
func Op[In, Out any](readOnly bool, fn func(ctx context.Context, in *In) (*Out, error)) Operation {
	return Operation{ReadOnly: readOnly, Call: func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, NewError(http.StatusBadRequest, "SerializationException", "%s", describeDecodeError(err))
			}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}}
}

// EncodedOutput is an output that its operation has already encoded: the
// JSON routers (JSONRouter, its Invoke, RESTRouter) send JSON as it is.
// It is for outputs assembled from JSON the store holds (a page of user
// profiles), which encoding/json would check and compact again, even as a
// json.RawMessage, at about the cost of parsing it. JSON must be one JSON
// object, valid and as encoding/json would write it; nothing checks it.
// An operation returns it as *EncodedOutput; errors, audit events and the
// content type are those of any other output.
type EncodedOutput struct {
	// JSON is the whole response body.
	JSON []byte
}

// MarshalJSON returns the encoded output, so that an EncodedOutput that
// reaches encoding/json (in a test, say) still encodes as what it holds.
func (e EncodedOutput) MarshalJSON() ([]byte, error) { return e.JSON, nil }

// encodeOutput returns the response body of an operation's output.
func encodeOutput(out any) ([]byte, error) {
	if e, ok := out.(*EncodedOutput); ok {
		return e.JSON, nil
	}
	return json.Marshal(out)
}

func describeDecodeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Unexpected value type for member %s", te.Field)
	}
	return "Malformed request body"
}

// Validator checks a request body against the service model.
type Validator interface {
	// Validate returns a wire error for input that breaks the model, or
	// nil.
	Validate(operation string, body []byte) *Error
	// Redact returns the input as CloudTrail shows it: parsed, with
	// sensitive members hidden.
	Redact(operation string, body []byte) any
	// Known reports whether the model has the operation.
	Known(operation string) bool
}

// redactingValidator is a Validator that validates and redacts a body in
// one parse (ModelValidator); the router prefers it.
type redactingValidator interface {
	ValidateRedact(operation string, body []byte) (any, *Error)
}

// Authenticator verifies the signature of a request and names its caller.
type Authenticator interface {
	Authenticate(r *http.Request, body []byte, signingName string) (Caller, *Error)
}

// JSONService is one JSON 1.1 service.
type JSONService struct {
	// TargetPrefix is the X-Amz-Target prefix, e.g. "AWSIdentityStore".
	TargetPrefix string
	// SigningName is the SigV4 service name, e.g. "identitystore".
	SigningName string
	// EventSource is the CloudTrail eventSource.
	EventSource string
	Validator   Validator
	Operations  map[string]Operation
	// MapFault turns domain faults into this service's exceptions;
	// DefaultFaultMapper when nil.
	MapFault FaultMapper
}

// JSONRouter serves the JSON 1.1 services on one listener, dispatching on
// the X-Amz-Target header.
type JSONRouter struct {
	Services  map[string]*JSONService // by target prefix
	Auth      Authenticator
	Audit     *audit.Recorder
	Log       *slog.Logger
	Region    string
	AccountID string
}

// Handles reports whether r is a JSON 1.1 request for one of the services.
func (jr *JSONRouter) Handles(r *http.Request) bool {
	prefix, _, ok := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if !ok {
		return false
	}
	_, known := jr.Services[prefix]
	return known
}

// ServeHTTP handles one JSON 1.1 call from arrival to audited answer.
func (jr *JSONRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := reqinfo.FromContext(r.Context())
	prefix, opName, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	svc := jr.Services[prefix]
	if svc == nil {
		writeJSONError(w, JSONContentType, NewError(http.StatusBadRequest, "UnknownOperationException", ""))
		return
	}
	ev := jr.eventAt(info, svc.EventSource, opName)
	fail := func(e *Error) { writeJSONError(w, JSONContentType, jr.failed(r.Context(), ev, e)) }

	body, rerr := readBody(w, r)
	if rerr != nil {
		fail(rerr)
		return
	}

	caller, authErr := jr.Auth.Authenticate(r, body, svc.SigningName)
	if authErr != nil {
		fail(authErr)
		return
	}
	ev.UserIdentity = callerIdentity(caller)

	out, werr := jr.dispatch(r.Context(), svc, opName, body, caller, ev)
	if werr != nil {
		writeJSONError(w, JSONContentType, werr)
		return
	}
	buf, err := encodeOutput(out)
	if err != nil {
		jr.Log.Error("encode response", "operation", opName, "err", err)
		writeJSONError(w, JSONContentType, &Error{Status: http.StatusInternalServerError, Code: "InternalServerException", Message: InternalMessage})
		return
	}
	w.Header().Set("Content-Type", JSONContentType)
	w.Write(buf)
}

// readBody reads the body of a JSON or REST-JSON request, or returns the
// SerializationException both answer when it is too large or cut short.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, NewError(http.StatusRequestEntityTooLarge, "SerializationException", "Request body is larger than %d bytes", MaxBodyBytes)
		}
		return nil, NewError(http.StatusBadRequest, "SerializationException", "Could not read the request body")
	}
	return body, nil
}

// eventAt starts the audit event of a call.
func (jr *JSONRouter) eventAt(info reqinfo.Info, source, name string) *audit.Event {
	return newCallEvent(info, source, name, jr.Region, jr.AccountID)
}

// newCallEvent starts the audit event of a call to any of the routers:
// what the request says about itself, with the router's region and
// recipient account.
func newCallEvent(info reqinfo.Info, source, name, region, accountID string) *audit.Event {
	ev := audit.NewEvent(info.Received, source, name)
	ev.AWSRegion, ev.SourceIPAddress, ev.UserAgent = region, info.SourceIP, info.UserAgent
	ev.RequestID, ev.RecipientAccountID = info.RequestID, accountID
	return ev
}

// callerIdentity is the CloudTrail userIdentity of an authenticated caller.
func callerIdentity(c Caller) audit.UserIdentity {
	return audit.UserIdentity{
		Type: c.Type, PrincipalID: c.PrincipalID, ARN: c.PrincipalARN,
		AccountID: c.AccountID, AccessKeyID: c.AccessKeyID, UserName: c.UserName,
	}
}

// failed records the event of a failed call and returns the error to
// answer: e, or an internal error when the event could not be written.
func (jr *JSONRouter) failed(ctx context.Context, ev *audit.Event, e *Error) *Error {
	ev.Fail(e.Code, e.Message)
	if err := jr.Audit.Record(ctx, ev); err != nil {
		jr.Log.Error("audit write failed", "event", ev.EventName, "request_id", ev.RequestID, "err", err)
		return &Error{Status: http.StatusInternalServerError, Code: "InternalServerException", Message: InternalMessage}
	}
	return e
}

// dispatch runs an authenticated call: it finds the operation, validates
// the body against the model, runs the operation (which authorises the
// caller) and records the audit event of a read or a failure (a change
// stages its own). It returns the output to encode or the error to answer.
func (jr *JSONRouter) dispatch(ctx context.Context, svc *JSONService, opName string, body []byte, caller Caller, ev *audit.Event) (any, *Error) {
	mapper := svc.MapFault.orDefault()
	op, ok := svc.Operations[opName]
	if !ok {
		if svc.Validator != nil && svc.Validator.Known(opName) {
			return nil, jr.failed(ctx, ev, NewError(http.StatusNotImplemented, "NotImplementedException",
				"%s is not implemented by Gatehouse yet; see docs/api-coverage.md", opName))
		}
		return nil, jr.failed(ctx, ev, NewError(http.StatusBadRequest, "UnknownOperationException", ""))
	}
	ev.ReadOnly = op.ReadOnly
	if vr, ok := svc.Validator.(redactingValidator); ok {
		params, verr := vr.ValidateRedact(opName, body)
		if verr != nil {
			return nil, jr.failed(ctx, ev, verr)
		}
		ev.RequestParameters = params
	} else if svc.Validator != nil {
		if verr := svc.Validator.Validate(opName, body); verr != nil {
			return nil, jr.failed(ctx, ev, verr)
		}
		ev.RequestParameters = svc.Validator.Redact(opName, body)
	}

	ctx = audit.NewContext(WithCaller(ctx, caller), ev)
	out, err := callSafely(ctx, op, body)
	if err != nil {
		wire, internal := toWire(err, mapper)
		if internal {
			jr.Log.Error("operation failed", "operation", svc.TargetPrefix+"."+opName, "request_id", ev.RequestID, "err", err)
		}
		return nil, jr.failed(ctx, ev, wire)
	}
	if !ev.Staged() {
		if err := jr.Audit.Record(ctx, ev); err != nil {
			jr.Log.Error("audit write failed", "event", opName, "request_id", ev.RequestID, "err", err)
			return nil, &Error{Status: http.StatusInternalServerError, Code: "InternalServerException", Message: InternalMessage}
		}
	}
	return out, nil
}

// callSafely runs an operation and turns a panic into an internal error, so
// one bad request never takes the server down.
func callSafely(ctx context.Context, op Operation, body []byte) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("awsapi: operation panicked: %v", p)
		}
	}()
	return op.Call(ctx, body)
}
