package awsapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi/awsmodel"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
)

// RESTService is one REST-JSON service (sso-oidc, the SSO portal API):
// operations addressed by HTTP method and path, input in the body, the
// query string and headers as the model binds them.
type RESTService struct {
	// EventSource is the CloudTrail eventSource.
	EventSource string
	Model       *ModelValidator
	Operations  map[string]Operation
	// MapFault turns domain faults into this service's errors, with the
	// error body members in Fields; DefaultFaultMapper when nil.
	MapFault FaultMapper
	// Hidden names request members that are secrets although the model
	// does not mark them sensitive (sso-oidc's deviceCode and code); the
	// audit record hides them.
	Hidden []string
}

// RESTRouter serves REST-JSON services on the shared listener. These APIs
// are not signed: their operations authenticate what the model carries (a
// client secret, a bearer token).
type RESTRouter struct {
	Services []*RESTService
	Audit    *audit.Recorder
	Log      *slog.Logger
	Region   string
	// AccountID is the recipient account of audit events.
	AccountID string
}

func (rr *RESTRouter) route(r *http.Request) (*RESTService, *awsmodel.Operation, map[string]string) {
	if rr == nil {
		return nil, nil, nil
	}
	for _, s := range rr.Services {
		if op, labels, ok := s.Model.Model().RouteHTTP(r.Method, r.URL.Path, r.URL.Query()); ok {
			return s, op, labels
		}
	}
	return nil, nil, nil
}

// Handles reports whether r addresses an operation of one of the services.
func (rr *RESTRouter) Handles(r *http.Request) bool {
	s, _, _ := rr.route(r)
	return s != nil
}

// writeRESTError writes a REST-JSON error: the code in X-Amzn-ErrorType
// (which every SDK reads), the members in the body.
func writeRESTError(w http.ResponseWriter, e *Error) {
	body := e.Fields
	if body == nil {
		body = map[string]any{"message": e.Message}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// ServeHTTP handles one REST-JSON call from arrival to audited answer.
func (rr *RESTRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := reqinfo.FromContext(r.Context())
	svc, mop, labels := rr.route(r)
	if svc == nil {
		writeRESTError(w, NewError(http.StatusNotFound, "UnknownOperationException", "Unknown operation"))
		return
	}
	name := mop.Name
	ev := newCallEvent(info, svc.EventSource, name, rr.Region, rr.AccountID)
	mapper := svc.MapFault.orDefault()
	fail := func(e *Error) {
		ev.Fail(e.Code, e.Message)
		if err := rr.Audit.Record(r.Context(), ev); err != nil {
			rr.Log.Error("audit write failed", "event", name, "request_id", info.RequestID, "err", err)
			e = mapper(internalFault)
		}
		writeRESTError(w, e)
	}
	body, rerr := readBody(w, r)
	if rerr != nil {
		fail(rerr)
		return
	}
	op, ok := svc.Operations[name]
	if !ok {
		fail(NewError(http.StatusNotImplemented, "NotImplementedException", "%s is not implemented by Gatehouse yet; see docs/api-coverage.md", name))
		return
	}
	ev.ReadOnly = op.ReadOnly
	hr := awsmodel.HTTPRequest{Labels: labels, Query: r.URL.Query(), Header: r.Header, Body: body}
	if err := svc.Model.Model().ValidateHTTP(name, hr); err != nil {
		var me *awsmodel.Error
		if errors.As(err, &me) {
			fail(mapper(validationFault(me)))
			return
		}
		fail(NewError(http.StatusBadRequest, "UnknownOperationException", ""))
		return
	}
	input, err := restInput(mop, hr)
	if err != nil {
		fail(NewError(http.StatusBadRequest, "SerializationException", "Malformed request body"))
		return
	}
	params := svc.Model.Redact(name, input)
	if m, ok := params.(map[string]any); ok {
		for _, k := range svc.Hidden {
			if _, present := m[k]; present {
				m[k] = audit.Hidden
			}
		}
	}
	ev.RequestParameters = params

	ctx := audit.NewContext(r.Context(), ev)
	out, err := callSafely(ctx, op, input)
	if err != nil {
		wire, internal := toWire(err, mapper)
		if internal {
			rr.Log.Error("operation failed", "operation", name, "request_id", info.RequestID, "err", err)
			wire = mapper(internalFault)
		}
		fail(wire)
		return
	}
	if !ev.Staged() {
		if err := rr.Audit.Record(ctx, ev); err != nil {
			rr.Log.Error("audit write failed", "event", name, "request_id", info.RequestID, "err", err)
			writeRESTError(w, mapper(internalFault))
			return
		}
	}
	buf, err := encodeOutput(out)
	if err != nil {
		rr.Log.Error("encode response", "operation", name, "err", err)
		writeRESTError(w, mapper(internalFault))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(buf)
}

// restInput merges the body and the members bound to the URI, query string
// and headers into one JSON object keyed by member names, for Op's typed
// decoding. Integers and booleans bound as text become JSON numbers and
// booleans (validation has checked they parse).
func restInput(op *awsmodel.Operation, r awsmodel.HTTPRequest) ([]byte, error) {
	obj := map[string]any{}
	if len(r.Body) > 0 {
		if err := json.Unmarshal(r.Body, &obj); err != nil {
			return nil, err
		}
		if obj == nil {
			obj = map[string]any{}
		}
	}
	if op.Input == nil {
		return json.Marshal(obj)
	}
	for _, m := range op.Input.Members {
		var (
			text    string
			present bool
		)
		switch m.Location {
		case awsmodel.LocationURI:
			text, present = r.Labels[m.LocationName]
		case awsmodel.LocationQuery:
			present = r.Query.Has(m.LocationName)
			text = r.Query.Get(m.LocationName)
		case awsmodel.LocationHeader:
			text = r.Header.Get(m.LocationName)
			present = text != ""
		default:
			continue
		}
		if !present {
			continue
		}
		switch m.Shape.Type {
		case awsmodel.TypeInteger, awsmodel.TypeLong:
			n, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return nil, err
			}
			obj[m.Name] = n
		case awsmodel.TypeBoolean:
			b, err := strconv.ParseBool(text)
			if err != nil {
				return nil, err
			}
			obj[m.Name] = b
		default:
			obj[m.Name] = text
		}
	}
	return json.Marshal(obj)
}

// internalFault is what a REST service answers when something inside
// Gatehouse failed; its mapper words it.
var internalFault = &fault.Error{Kind: fault.Internal, Message: InternalMessage}

// validationFault carries a model validation failure to the service's
// mapper, which may rename it (sso-oidc has no ValidationException).
func validationFault(e *awsmodel.Error) *fault.Error {
	return &fault.Error{Kind: fault.Invalid, Code: e.Code, Message: e.Message, Reason: "validation"}
}
