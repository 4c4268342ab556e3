package audit

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
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
	b = appendString(b, e.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = e.UserIdentity.appendJSON(b)
	b = appendMember(b, "eventTime", e.EventTime)
	b = appendMember(b, "eventSource", e.EventSource)
	b = appendMember(b, "eventName", e.EventName)
	b = appendMember(b, "awsRegion", e.AWSRegion)
	b = appendMember(b, "sourceIPAddress", e.SourceIPAddress)
	b = appendMember(b, "userAgent", e.UserAgent)
	b = appendOptional(b, "errorCode", e.ErrorCode)
	b = appendOptional(b, "errorMessage", e.ErrorMessage)
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
	b = appendOptional(b, "requestID", e.RequestID)
	b = appendMember(b, "eventID", e.EventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, e.ReadOnly)
	b = appendMember(b, "eventType", e.EventType)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, e.ManagementEvent)
	b = appendMember(b, "recipientAccountId", e.RecipientAccountID)
	b = appendMember(b, "eventCategory", e.EventCategory)
	if len(e.ServiceEventDetails) > 0 {
		b = append(b, `,"serviceEventDetails":`...)
		if b, err = appendMap(b, e.ServiceEventDetails, 0); err != nil {
			return nil, err
		}
	}
	b = appendOptional(b, "sessionCredentialFromConsole", e.SessionCredentialFromConsole)
	return append(b, '}'), nil
}

func (u *UserIdentity) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, u.Type)
	b = appendOptional(b, "principalId", u.PrincipalID)
	b = appendOptional(b, "arn", u.ARN)
	b = appendOptional(b, "accountId", u.AccountID)
	b = appendOptional(b, "accessKeyId", u.AccessKeyID)
	b = appendOptional(b, "userName", u.UserName)
	if o := u.OnBehalfOf; o != nil {
		b = append(b, `,"onBehalfOf":{"userId":`...)
		b = appendString(b, o.UserID)
		b = appendMember(b, "identityStoreArn", o.IdentityStoreARN)
		b = append(b, '}')
	}
	b = appendOptional(b, "credentialId", u.CredentialID)
	return append(b, '}')
}

// appendMember appends ,"name":"value".
func appendMember(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// appendOptional is appendMember for an omitempty member.
func appendOptional(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return appendMember(b, name, value)
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
		return appendString(b, x), nil
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
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, x[k])
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
			b = appendString(b, s)
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
		b = appendString(b, k)
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

const hexDigits = "0123456789abcdef"

// plain marks the ASCII bytes a JSON string holds unescaped: not control
// characters, quote or backslash, nor the HTML characters encoding/json
// escapes.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string, escaped exactly as
// encoding/json escapes it (HTML characters, U+2028 and U+2029 included,
// invalid UTF-8 replaced by U+FFFD).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendString appends s to b as a JSON string, escaped as encoding/json
// escapes it; for JSONAppender implementations.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }
