package audit

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/jsonw"
)

// Every call encodes one event, most of them on the request's goroutine and
// the events of changes on the store's single writer, so encoding/json's
// reflection was a good part of a call's cost. The encoder below writes the
// same document (same members, order and omissions as the struct tags
// say, strings escaped the way encoding/json escapes them) by hand, and
// hands to encoding/json only the free-form values it does not know.

// JSON is a value already encoded as valid, compact JSON: an event's
// encoder copies it as it is. Adapters use it for request parameters they
// produce already encoded (the redacted request of a JSON call).
type JSON []byte

// MarshalJSON returns j, for encoders other than the event's own.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// JSONAppender is implemented by values that append their own JSON
// encoding (valid and compact) to an event being encoded, faster than
// encoding/json would. A slice of such values is encoded as an array.
type JSONAppender interface {
	AppendJSON(dst []byte) []byte
}

// MarshalJSON encodes the event; it is what the audit log stores.
func (e *Event) MarshalJSON() ([]byte, error) {
	return e.appendJSON(make([]byte, 0, 1024))
}

// appendJSON appends the event's document to dst.
func (e *Event) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"eventVersion":`...)
	b = jsonw.AppendString(b, e.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = e.UserIdentity.appendJSON(b)
	b = jsonw.AppendMember(b, "eventTime", e.EventTime)
	b = jsonw.AppendMember(b, "eventSource", e.EventSource)
	b = jsonw.AppendMember(b, "eventName", e.EventName)
	b = jsonw.AppendMember(b, "awsRegion", e.AWSRegion)
	b = jsonw.AppendMember(b, "sourceIPAddress", e.SourceIPAddress)
	b = jsonw.AppendMember(b, "userAgent", e.UserAgent)
	b = jsonw.AppendOptional(b, "errorCode", e.ErrorCode)
	b = jsonw.AppendOptional(b, "errorMessage", e.ErrorMessage)
	b = append(b, `,"requestParameters":`...)
	if b, err = appendValue(b, e.RequestParameters, 0); err != nil {
		return nil, err
	}
	b = append(b, `,"responseElements":`...)
	if b, err = appendValue(b, e.ResponseElements, 0); err != nil {
		return nil, err
	}
	if len(e.AdditionalEventData) > 0 {
		b = append(b, `,"additionalEventData":`...)
		if b, err = appendMap(b, e.AdditionalEventData, 0); err != nil {
			return nil, err
		}
	}
	b = jsonw.AppendOptional(b, "requestID", e.RequestID)
	b = jsonw.AppendMember(b, "eventID", e.EventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, e.ReadOnly)
	b = jsonw.AppendMember(b, "eventType", e.EventType)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, e.ManagementEvent)
	b = jsonw.AppendMember(b, "recipientAccountId", e.RecipientAccountID)
	b = jsonw.AppendMember(b, "eventCategory", e.EventCategory)
	if len(e.ServiceEventDetails) > 0 {
		b = append(b, `,"serviceEventDetails":`...)
		if b, err = appendMap(b, e.ServiceEventDetails, 0); err != nil {
			return nil, err
		}
	}
	b = jsonw.AppendOptional(b, "sessionCredentialFromConsole", e.SessionCredentialFromConsole)
	return append(b, '}'), nil
}

func (u *UserIdentity) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = jsonw.AppendString(b, u.Type)
	b = jsonw.AppendOptional(b, "principalId", u.PrincipalID)
	b = jsonw.AppendOptional(b, "arn", u.ARN)
	b = jsonw.AppendOptional(b, "accountId", u.AccountID)
	b = jsonw.AppendOptional(b, "accessKeyId", u.AccessKeyID)
	b = jsonw.AppendOptional(b, "userName", u.UserName)
	if o := u.OnBehalfOf; o != nil {
		b = append(b, `,"onBehalfOf":{"userId":`...)
		b = jsonw.AppendString(b, o.UserID)
		b = jsonw.AppendMember(b, "identityStoreArn", o.IdentityStoreARN)
		b = append(b, '}')
	}
	b = jsonw.AppendOptional(b, "credentialId", u.CredentialID)
	return append(b, '}')
}

// maxDepth bounds the nesting the encoder follows itself; deeper values
// go to encoding/json, which has its own bound.
const maxDepth = 16

var appenderType = reflect.TypeFor[JSONAppender]()

// appendValue appends a free-form value: the types events carry are
// written directly, anything else by encoding/json.
func appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return appendMarshal(b, v)
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case JSON:
		if len(x) == 0 {
			return append(b, "null"...), nil
		}
		return append(b, x...), nil
	case JSONAppender:
		return x.AppendJSON(b), nil
	case string:
		return jsonw.AppendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case map[string]string:
		keys := sortedKeys(x)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, k)
			b = append(b, ':')
			b = jsonw.AppendString(b, x[k])
		}
		return append(b, '}'), nil
	case map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendMap(b, x, depth)
	case []string:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, s)
		}
		return append(b, ']'), nil
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		var err error
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	// A slice of appenders (the authorization decisions of a call).
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.Type().Elem().Implements(appenderType) {
		if rv.IsNil() {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i := range rv.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = rv.Index(i).Interface().(JSONAppender).AppendJSON(b)
		}
		return append(b, ']'), nil
	}
	return appendMarshal(b, v)
}

// appendMap appends a map's members in key order, as encoding/json does.
func appendMap(b []byte, m map[string]any, depth int) ([]byte, error) {
	keys := sortedKeys(m)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, k)
		b = append(b, ':')
		if b, err = appendValue(b, m[k], depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendMarshal(b []byte, v any) ([]byte, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}
