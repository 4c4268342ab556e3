// Package awsapi is the AWS wire plumbing shared by every AWS-compatible
// API Gateway serves: JSON 1.1 dispatch on X-Amz-Target, error bodies in
// the shape the SDKs parse, SigV4 authentication of the caller, model
// validation of the input, timestamps, opaque page tokens and the audit
// event of each call.
//
// The service adapters (identitystore, ssoadmin, …) only declare their
// operations as typed functions; everything a real client can observe about
// the protocol lives here, once.
package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
)

// Caller is the authenticated principal of a request.
type Caller struct {
	AccessKeyID string
	// PrincipalARN is the IAM identity, e.g.
	// arn:aws:iam::111122223333:user/gatehouse-admin.
	PrincipalARN string
	PrincipalID  string
	AccountID    string
	// Type is the CloudTrail userIdentity type: IAMUser or AssumedRole.
	Type     string
	UserName string
	// Session describes temporary credentials; nil for long-term keys.
	Session *SessionContext
}

// SessionContext is what temporary credentials carry besides their
// principal: the facts IAM policies read as aws:MultiFactorAuthPresent,
// aws:MultiFactorAuthAge, aws:TokenIssueTime and aws:PrincipalTag/….
type SessionContext struct {
	// UserID is the Identity Center user the role session is for.
	UserID     string
	MFAPresent bool
	// AuthTime is when the user signed in (for the MFA age).
	AuthTime  time.Time
	IssuedAt  time.Time
	ExpiresAt time.Time
	Tags      map[string]string
}

type callerKey struct{}

// WithCaller returns ctx carrying the authenticated caller.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the authenticated caller of the request.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// Error is an error as it goes on the wire.
type Error struct {
	Status  int
	Code    string
	Message string
	// Fields are extra members of the error body (for example Reason,
	// ResourceType, ResourceId).
	Fields map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// NewError returns a wire error.
func NewError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// InternalMessage is what callers see of a failure inside Gatehouse.
const InternalMessage = "An internal error occurred. Please retry your request."

// FaultMapper turns a domain fault into a service's wire error. A service
// supplies one where its exception names differ from DefaultFaultMapper.
type FaultMapper func(f *fault.Error) *Error

// orDefault is m, or DefaultFaultMapper for a service that supplies none.
func (m FaultMapper) orDefault() FaultMapper {
	if m == nil {
		return DefaultFaultMapper
	}
	return m
}

// DefaultFaultMapper maps faults to the exception names most AWS JSON
// services share (identitystore, sso-admin).
func DefaultFaultMapper(f *fault.Error) *Error {
	if f.Code != "" {
		return &Error{Status: http.StatusBadRequest, Code: f.Code, Message: f.Message}
	}
	e := &Error{Status: http.StatusBadRequest, Message: f.Message}
	switch f.Kind {
	case fault.Invalid:
		e.Code = "ValidationException"
	case fault.NotFound:
		e.Code = "ResourceNotFoundException"
		e.Fields = map[string]any{}
		if f.ResourceType != "" {
			e.Fields["ResourceType"] = f.ResourceType
		}
		if f.ResourceID != "" {
			e.Fields["ResourceId"] = f.ResourceID
		}
	case fault.Conflict:
		e.Code = "ConflictException"
		if f.Reason != "" {
			e.Fields = map[string]any{"Reason": f.Reason}
		}
	case fault.Denied:
		e.Code = "AccessDeniedException"
	case fault.Unauthenticated:
		e.Code = "UnrecognizedClientException"
	case fault.Throttled:
		e.Code = "ThrottlingException"
	case fault.QuotaExceeded:
		e.Code = "ServiceQuotaExceededException"
	case fault.NotImplemented:
		e.Status, e.Code = http.StatusNotImplemented, "NotImplementedException"
	case fault.Unavailable:
		e.Status, e.Code = http.StatusServiceUnavailable, "ServiceUnavailableException"
	default:
		e.Status, e.Code, e.Message = http.StatusInternalServerError, "InternalServerException", InternalMessage
	}
	return e
}

// toWire turns any error from an operation into a wire error. Errors that
// are not faults become a generic internal error: their text stays in logs.
func toWire(err error, mapper FaultMapper) (*Error, bool) {
	var we *Error
	if errors.As(err, &we) {
		return we, false
	}
	if f, ok := fault.As(err); ok && f.Kind != fault.Internal {
		return mapper(f), false
	}
	return &Error{Status: http.StatusInternalServerError, Code: "InternalServerException", Message: InternalMessage}, true
}

// writeJSONError writes an AWS JSON protocol error. botocore reads the code
// only from __type; other SDKs also look at X-Amzn-ErrorType.
func writeJSONError(w http.ResponseWriter, contentType string, e *Error) {
	body := make(map[string]any, len(e.Fields)+2)
	for k, v := range e.Fields {
		body[k] = v
	}
	body["__type"] = e.Code
	body["Message"] = e.Message
	if rid := w.Header().Get("x-amzn-RequestId"); rid != "" {
		if _, ok := body["RequestId"]; !ok && e.Fields != nil {
			body["RequestId"] = rid
		}
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// Time is a timestamp that JSON-encodes as AWS JSON protocols do: epoch
// seconds as a number, with milliseconds as a fraction.
type Time time.Time

// MarshalJSON encodes the time as epoch seconds, with milliseconds as a
// fraction when there are any.
func (t Time) MarshalJSON() ([]byte, error) {
	return t.AppendJSON(nil), nil
}

// AppendJSON appends the encoding MarshalJSON returns to b, for outputs
// that an operation encodes itself (EncodedOutput).
func (t Time) AppendJSON(b []byte) []byte {
	ms := time.Time(t).UnixMilli()
	if ms < 0 {
		b, ms = append(b, '-'), -ms
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	}
	return b
}

// UnmarshalJSON decodes epoch seconds, integer or with a decimal fraction,
// without going through float64 (which would turn .123 into .122999906).
func (t *Time) UnmarshalJSON(b []byte) error {
	s := string(b)
	secStr, fracStr, hasFrac := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil || (hasFrac && (fracStr == "" || len(fracStr) > 9)) {
		return fmt.Errorf("awsapi: timestamp %s is not epoch seconds", b)
	}
	var nanos int64
	if hasFrac {
		n, err := strconv.ParseUint(fracStr, 10, 32)
		if err != nil {
			return fmt.Errorf("awsapi: timestamp %s is not epoch seconds", b)
		}
		nanos = int64(n)
		for range 9 - len(fracStr) {
			nanos *= 10
		}
		if sec < 0 {
			nanos = -nanos
		}
	}
	*t = Time(time.Unix(sec, nanos).UTC())
	return nil
}

// TimePtr returns a pointer to t as a Time, or nil for the zero time, for
// optional response members.
func TimePtr(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	v := Time(t)
	return &v
}
