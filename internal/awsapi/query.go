package awsapi

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi/awsmodel"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
)

// QueryAuthenticator verifies the signature of a Query protocol request and
// answers failures with the Query services' error codes.
type QueryAuthenticator interface {
	AuthenticateQuery(r *http.Request, body []byte, signingName string) (Caller, *Error)
}

// QueryService is one AWS Query protocol service (IAM, STS): form-encoded
// POST requests naming an Action, XML responses.
type QueryService struct {
	// SigningName is the SigV4 service name ("iam", "sts"); requests are
	// routed by the service in their credential scope.
	SigningName string
	// EventSource is the CloudTrail eventSource.
	EventSource string
	// Model validates input, names error codes and their HTTP statuses, and
	// redacts audit records.
	Model      *ModelValidator
	Operations map[string]Operation
	// MapFault turns domain faults into this service's error codes; the
	// router finds the HTTP status of a code in the model.
	MapFault FaultMapper

	statusOnce sync.Once
	statuses   map[string]int
}

// status returns the HTTP status the model gives an error code.
func (s *QueryService) status(code string) (int, bool) {
	s.statusOnce.Do(func() {
		s.statuses = map[string]int{}
		for _, op := range s.Model.Model().Operations() {
			for _, e := range op.Errors {
				c := e.ErrorCode
				if c == "" {
					c = e.Name
				}
				if e.HTTPStatusCode != 0 {
					s.statuses[c] = e.HTTPStatusCode
				}
			}
		}
	})
	st, ok := s.statuses[code]
	return st, ok
}

// QueryRouter serves the Query protocol services on the same listener as
// the JSON ones. A request is a Query request when it is a form-encoded
// POST without X-Amz-Target; its service is the one its SigV4 credential
// scope names, or else the one that has its Action.
type QueryRouter struct {
	Services map[string]*QueryService // by signing name
	Auth     QueryAuthenticator
	Audit    *audit.Recorder
	Log      *slog.Logger
	Region   string
	// AccountID is the recipient account of audit events.
	AccountID string
}

// Handles reports whether r looks like a Query protocol request.
func (qr *QueryRouter) Handles(r *http.Request) bool {
	if qr == nil || len(qr.Services) == 0 || r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

// scopeService returns the service of the request's SigV4 credential
// scope, from the Authorization header or a presigned URL.
func scopeService(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		if _, rest, ok := strings.Cut(auth, "Credential="); ok {
			cred, _, _ = strings.Cut(rest, ",")
		}
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}

// queryErrorBody is the XML of a Query protocol error.
type queryErrorBody struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message,omitempty"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func writeQueryError(w http.ResponseWriter, ns string, e *Error) {
	var body queryErrorBody
	body.Xmlns = ns
	body.Error.Type = "Sender"
	if e.Status >= 500 {
		body.Error.Type = "Receiver"
	}
	body.Error.Code, body.Error.Message = e.Code, e.Message
	body.RequestID = w.Header().Get("x-amzn-RequestId")
	out, _ := xml.Marshal(body)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	w.Write(out)
}

// ServeHTTP handles one Query call from arrival to audited answer.
func (qr *QueryRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := reqinfo.FromContext(r.Context())
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		writeQueryError(w, "", NewError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body is larger than %d bytes", MaxBodyBytes))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeQueryError(w, "", NewError(http.StatusBadRequest, "MalformedQueryString", "The request body is not a valid form"))
		return
	}
	action := form.Get("Action")
	svc := qr.Services[scopeService(r)]
	if svc == nil {
		for _, s := range qr.Services {
			if _, ok := s.Operations[action]; ok || s.Model.Known(action) {
				svc = s
				break
			}
		}
	}
	if svc == nil {
		writeQueryError(w, "", NewError(http.StatusBadRequest, "InvalidAction", "Could not find operation %s", action))
		return
	}
	ns := svc.Model.Model().Metadata().XMLNamespace
	ev := newCallEvent(info, svc.EventSource, action, qr.Region, qr.AccountID)
	mapper := svc.MapFault.orDefault()
	fail := func(e *Error) {
		if st, ok := svc.status(e.Code); ok && e.Status < 500 {
			e.Status = st
		}
		ev.Fail(e.Code, e.Message)
		if err := qr.Audit.Record(r.Context(), ev); err != nil {
			qr.Log.Error("audit write failed", "event", action, "request_id", info.RequestID, "err", err)
			e = &Error{Status: http.StatusInternalServerError, Code: "ServiceFailure", Message: InternalMessage}
		}
		writeQueryError(w, ns, e)
	}

	caller, authErr := qr.Auth.AuthenticateQuery(r, body, svc.SigningName)
	if authErr != nil {
		fail(authErr)
		return
	}
	ev.UserIdentity = callerIdentity(caller)
	ev.RecipientAccountID = caller.AccountID

	op, ok := svc.Operations[action]
	if !ok {
		if svc.Model.Known(action) {
			fail(NewError(http.StatusNotImplemented, "NotImplemented", "%s is not implemented by Gatehouse yet; see docs/api-coverage.md", action))
			return
		}
		fail(NewError(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, form.Get("Version")))
		return
	}
	ev.ReadOnly = op.ReadOnly
	model := svc.Model.Model()
	mop, _ := model.Operation(action)
	tree := map[string]any{}
	if mop.Input != nil {
		tree = formTree(mop.Input, form, "")
	}
	if err := model.ValidateInput(action, tree); err != nil {
		var me *awsmodel.Error
		if errors.As(err, &me) {
			fail(&Error{Status: http.StatusBadRequest, Code: me.Code, Message: me.Message})
			return
		}
		fail(NewError(http.StatusBadRequest, "InvalidAction", "Could not find operation %s", action))
		return
	}
	input, err := json.Marshal(tree)
	if err != nil {
		fail(&Error{Status: http.StatusInternalServerError, Code: "ServiceFailure", Message: InternalMessage})
		return
	}
	ev.RequestParameters = svc.Model.Redact(action, input)

	ctx := audit.NewContext(WithCaller(r.Context(), caller), ev)
	out, err := callSafely(ctx, op, input)
	if err != nil {
		wire, internal := toWire(err, mapper)
		if internal {
			qr.Log.Error("operation failed", "operation", svc.SigningName+"."+action, "request_id", info.RequestID, "err", err)
			wire = &Error{Status: http.StatusInternalServerError, Code: "ServiceFailure", Message: InternalMessage}
		}
		fail(wire)
		return
	}
	if !ev.Staged() {
		if err := qr.Audit.Record(ctx, ev); err != nil {
			qr.Log.Error("audit write failed", "event", action, "request_id", info.RequestID, "err", err)
			writeQueryError(w, ns, &Error{Status: http.StatusInternalServerError, Code: "ServiceFailure", Message: InternalMessage})
			return
		}
	}
	buf, err := encodeQueryResponse(action, mop.OutputResultWrapper, ns, info.RequestID, out)
	if err != nil {
		qr.Log.Error("encode response", "operation", action, "err", err)
		writeQueryError(w, ns, &Error{Status: http.StatusInternalServerError, Code: "ServiceFailure", Message: InternalMessage})
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Write(buf)
}

// queryEncoder is an XML encoder with the buffer it writes to; a pool
// keeps them, since a new encoder allocates its own 4 KiB write buffer.
type queryEncoder struct {
	buf bytes.Buffer
	enc *xml.Encoder
}

var queryEncoders = sync.Pool{New: func() any {
	e := &queryEncoder{}
	e.enc = xml.NewEncoder(&e.buf)
	return e
}}

// encodeQueryResponse writes <ActionResponse><ActionResult>…</ActionResult>
// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></ActionResponse>.
func encodeQueryResponse(action, wrapper, ns, requestID string, out any) ([]byte, error) {
	e := queryEncoders.Get().(*queryEncoder)
	e.buf.Reset()
	doc, err := e.encode(action, wrapper, ns, requestID, out)
	if err != nil {
		// An encoder that failed half-way may hold open elements: drop it.
		return nil, err
	}
	if e.buf.Cap() <= 64<<10 {
		queryEncoders.Put(e)
	}
	return doc, nil
}

func (e *queryEncoder) encode(action, wrapper, ns, requestID string, out any) ([]byte, error) {
	enc := e.enc
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}}
	if ns != "" {
		start.Attr = []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ns}}
	}
	if err := enc.EncodeToken(start); err != nil {
		return nil, err
	}
	if wrapper != "" && out != nil {
		if err := enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: wrapper}}); err != nil {
			return nil, err
		}
	}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{requestID}
	if err := enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return nil, err
	}
	if err := enc.EncodeToken(start.End()); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return bytes.Clone(e.buf.Bytes()), nil
}

// formTree turns the form parameters of a Query request into the value
// tree of a structure shape, following the Query serialization rules:
// "Name" for scalars, "Name.member.N" for lists ("Name.N" when flattened),
// "Name.entry.N.key"/".value" for maps, "Name.Sub" for nested structures.
// Scalars keep their text, except integers and booleans, which become
// numbers and bools when they parse (and stay text, for the validator to
// report, when they do not).
func formTree(s *awsmodel.Shape, form url.Values, prefix string) map[string]any {
	out := map[string]any{}
	for _, m := range s.Members {
		name := m.Name
		if m.LocationName != "" {
			name = m.LocationName
		}
		if v, ok := formValue(m.Shape, m.Flattened || m.Shape.Flattened, form, prefix+name); ok {
			out[m.Name] = v
		}
	}
	return out
}

func hasPrefix(form url.Values, prefix string) bool {
	for k := range form {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// indexes returns the N of every "prefix.N…" key, in numeric order.
func indexes(form url.Values, prefix string) []int {
	seen := map[int]bool{}
	for k := range form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(n); err == nil && i > 0 {
			seen[i] = true
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

func formValue(s *awsmodel.Shape, flattened bool, form url.Values, key string) (any, bool) {
	switch s.Type {
	case awsmodel.TypeStructure:
		if !hasPrefix(form, key+".") {
			return nil, false
		}
		return formTree(s, form, key+"."), true
	case awsmodel.TypeList:
		member := "member"
		if s.ListMember.LocationName != "" {
			member = s.ListMember.LocationName
		}
		base := key + "." + member + "."
		if flattened {
			base = key + "."
		}
		idx := indexes(form, base)
		if len(idx) == 0 {
			// "Name=" with no members is how SDKs send an empty list.
			if _, ok := form[key]; ok {
				return []any{}, true
			}
			return nil, false
		}
		out := make([]any, 0, len(idx))
		for _, i := range idx {
			v, ok := formValue(s.ListMember.Shape, false, form, base+strconv.Itoa(i))
			if !ok {
				v = nil
			}
			out = append(out, v)
		}
		return out, true
	case awsmodel.TypeMap:
		keyName, valName := "key", "value"
		if s.MapKey.LocationName != "" {
			keyName = s.MapKey.LocationName
		}
		if s.MapValue.LocationName != "" {
			valName = s.MapValue.LocationName
		}
		base := key + ".entry."
		if flattened {
			base = key + "."
		}
		idx := indexes(form, base)
		if len(idx) == 0 {
			return nil, false
		}
		out := map[string]any{}
		for _, i := range idx {
			k := form.Get(base + strconv.Itoa(i) + "." + keyName)
			v, _ := formValue(s.MapValue.Shape, false, form, base+strconv.Itoa(i)+"."+valName)
			out[k] = v
		}
		return out, true
	default:
		vs, ok := form[key]
		if !ok {
			return nil, false
		}
		v := vs[0]
		switch s.Type {
		case awsmodel.TypeInteger, awsmodel.TypeLong:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n, true
			}
		case awsmodel.TypeBoolean:
			if b, err := strconv.ParseBool(v); err == nil {
				return b, true
			}
		}
		return v, true
	}
}

// XMLTime is a timestamp as the Query protocol services write it:
// ISO 8601 in UTC, to the second.
type XMLTime time.Time

// MarshalText formats the time.
func (t XMLTime) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format("2006-01-02T15:04:05Z")), nil
}

// XMLTimePtr returns a pointer to t as an XMLTime, or nil for the zero
// time, for optional response members.
func XMLTimePtr(t time.Time) *XMLTime {
	if t.IsZero() {
		return nil
	}
	v := XMLTime(t)
	return &v
}
