package awsmodel

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// ValidateValue validates an already-decoded value against the named shape.
// It serves protocols whose input is not a JSON body: the Query protocol
// (STS, IAM), whose adapter turns form parameters into a tree, and the
// parts of a REST request that travel outside the body.
//
// The tree uses map[string]any for structures (keyed by member name) and
// maps, []any (or []string) for lists, and for scalars string, bool, the Go
// integer and float types, json.Number, []byte (blobs) and time.Time. A
// string given for a number, boolean, timestamp or blob shape is parsed as
// the text of a form field, query parameter or header: decimal numbers,
// "true"/"false", ISO 8601 or epoch-seconds timestamps, base64 blobs. nil
// is an absent value.
//
// It returns nil or an *Error. Constraint violations carry the service's
// ValidationCode ("ValidationError" for STS and IAM); Error.Violations lets
// an adapter rebuild the message under another code. A value of the wrong
// Go type is a SerializationException, with the message the JSON decoder
// would give for the equivalent JSON where there is one; text that does not
// parse has no captured AWS message and gets none.
func (s *Service) ValidateValue(shapeName string, v any) error {
	sh, ok := s.shapes[shapeName]
	if !ok {
		return fmt.Errorf("awsmodel: unknown shape %q", shapeName)
	}
	var n node
	c := converter{}
	c.value(sh, v, &n, 1)
	if c.err != nil {
		return c.err
	}
	v2 := validator{path: make([]pathSeg, 0, 8)}
	v2.value(sh, &n)
	if len(v2.out) == 0 {
		return nil
	}
	return &Error{Code: s.valCode, Message: ValidationMessage(v2.out), Violations: v2.out}
}

// ValidateInput validates a decoded value against an operation's input
// shape; see ValidateValue. An operation without input accepts anything.
func (s *Service) ValidateInput(operation string, v any) error {
	op, ok := s.ops[operation]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownOperation, operation)
	}
	if op.Input == nil {
		return nil
	}
	return s.ValidateValue(op.Input.Name, v)
}

// converter turns a Go value tree into nodes, checking types.
type converter struct {
	err *Error
}

func (c *converter) fail(msg string) {
	if c.err == nil {
		c.err = serializationError(msg)
	}
}

// mismatch reports a Go value of the wrong type with the message the JSON
// decoder gives for the equivalent JSON, so that both paths agree. expect
// names the target type ("a String"); empty means no captured message.
func (c *converter) mismatch(v any, expect string) {
	switch x := v.(type) {
	case []any, []string, []map[string]any:
		c.fail(msgStartList)
		return
	case map[string]any, map[string]string:
		c.fail(msgStartObject)
		return
	case bool:
		name := "FALSE_VALUE"
		if x {
			name = "TRUE_VALUE"
		}
		if expect != "" {
			c.fail(name + " can not be converted to " + expect)
			return
		}
	case string:
		if expect != "" {
			c.fail("STRING_VALUE can not be converted to " + expect)
			return
		}
	default:
		if isGoNumber(v) && expect != "" {
			c.fail("NUMBER_VALUE can not be converted to " + expect)
			return
		}
	}
	c.fail("")
}

func isGoNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, json.Number:
		return true
	}
	return false
}

func (c *converter) value(s *Shape, v any, out *node, depth int) {
	if c.err != nil {
		return
	}
	if v == nil || isNilPointer(v) {
		out.kind = kAbsent
		return
	}
	if depth > MaxDepth {
		c.fail("")
		return
	}
	if s.Document {
		out.kind = kDocument
		return
	}
	switch s.Type {
	case TypeStructure:
		m, ok := v.(map[string]any)
		if !ok {
			switch v.(type) {
			case []any, []string, []map[string]any:
				c.fail(msgStartList)
			default:
				c.fail(msgExpectNull)
			}
			return
		}
		out.kind = kStruct
		out.elems = make([]node, len(s.Members))
		for k, mv := range m {
			if i, ok := s.memberIndex[k]; ok {
				c.value(s.Members[i].Shape, mv, &out.elems[i], depth+1)
			}
		}
		if s.Union {
			set := 0
			for i := range out.elems {
				if out.elems[i].kind != kAbsent {
					set++
				}
			}
			if set != 1 {
				c.fail("") // see decoder.checkUnion
			}
		}
	case TypeList:
		out.kind = kList
		switch l := v.(type) {
		case []any:
			out.elems = make([]node, len(l))
			for i, e := range l {
				c.value(s.ListMember.Shape, e, &out.elems[i], depth+1)
			}
		case []string:
			out.elems = make([]node, len(l))
			for i, e := range l {
				c.value(s.ListMember.Shape, e, &out.elems[i], depth+1)
			}
		case []map[string]any:
			out.elems = make([]node, len(l))
			for i, e := range l {
				c.value(s.ListMember.Shape, e, &out.elems[i], depth+1)
			}
		case map[string]any, map[string]string:
			c.fail(msgStartObject)
		default:
			c.fail(msgExpectList)
		}
	case TypeMap:
		out.kind = kMap
		switch m := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(m) {
				out.elems = append(out.elems, node{kind: kString, str: []byte(k)}, node{})
				c.value(s.MapValue.Shape, m[k], &out.elems[len(out.elems)-1], depth+1)
			}
		case map[string]string:
			for _, k := range sortedKeys(m) {
				out.elems = append(out.elems, node{kind: kString, str: []byte(k)}, node{})
				c.value(s.MapValue.Shape, m[k], &out.elems[len(out.elems)-1], depth+1)
			}
		case []any, []string, []map[string]any:
			c.fail(msgStartList)
		default:
			c.fail(msgExpectMap)
		}
	default:
		c.scalar(s, v, out)
	}
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Go maps have no order; sort so that messages are deterministic.
	slices.Sort(keys)
	return keys
}

func (c *converter) scalar(s *Shape, v any, out *node) {
	switch s.Type {
	case TypeString:
		str, ok := v.(string)
		if !ok {
			c.mismatch(v, "a String")
			return
		}
		*out = node{kind: kString, str: []byte(str)}
	case TypeInteger, TypeLong:
		target := "an Integer"
		if s.Type == TypeLong {
			target = "a Long"
		}
		switch x := v.(type) {
		case string:
			// Text from a form field, query string or header.
			i, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				c.fail("")
				return
			}
			*out = node{kind: kNumber, num: float64(i), str: []byte(strconv.FormatInt(i, 10))}
		case json.Number:
			*out = integerNode([]byte(x.String()))
		case bool:
			c.mismatch(v, target)
		default:
			f, ok := goFloat(v)
			if !ok {
				c.mismatch(v, target)
				return
			}
			if i, ok := goInt(v); ok {
				*out = node{kind: kNumber, num: float64(i), str: []byte(strconv.FormatInt(i, 10))}
				return
			}
			t := math.Trunc(f)
			*out = node{kind: kNumber, num: t, str: []byte(strconv.FormatFloat(t, 'f', -1, 64))}
		}
	case TypeFloat, TypeDouble:
		var f float64
		switch x := v.(type) {
		case string:
			var err error
			if f, err = strconv.ParseFloat(x, 64); err != nil {
				c.fail("")
				return
			}
		case json.Number:
			var err error
			if f, err = x.Float64(); err != nil {
				c.fail("")
				return
			}
		default:
			var ok bool
			if f, ok = goFloat(v); !ok {
				c.mismatch(v, "")
				return
			}
		}
		*out = node{kind: kNumber, num: f, str: []byte(strconv.FormatFloat(f, 'g', -1, 64))}
	case TypeBoolean:
		switch x := v.(type) {
		case bool:
			*out = node{kind: kBool, b: x}
		case string:
			b, ok := parseLooseBool(x)
			if !ok {
				c.fail("")
				return
			}
			*out = node{kind: kBool, b: b}
		default:
			if isGoNumber(v) {
				c.fail("NUMBER_VALUE can not be converted to a Boolean")
				return
			}
			c.mismatch(v, "")
		}
	case TypeTimestamp:
		switch x := v.(type) {
		case time.Time:
			*out = timestampNode(x)
		case string:
			t, ok := parseTimestampText(x)
			if !ok {
				c.fail("")
				return
			}
			*out = timestampNode(t)
		default:
			f, ok := goFloat(v)
			if !ok {
				c.mismatch(v, "")
				return
			}
			*out = node{kind: kTimestamp, num: f}
		}
	case TypeBlob:
		switch x := v.(type) {
		case []byte:
			*out = node{kind: kBlob, str: x}
		case string:
			raw, err := base64.StdEncoding.DecodeString(x)
			if err != nil {
				c.fail("")
				return
			}
			*out = node{kind: kBlob, str: raw}
		default:
			c.mismatch(v, "")
		}
	}
}

func timestampNode(t time.Time) node {
	return node{kind: kTimestamp, num: float64(t.UnixNano()) / 1e9}
}

// parseTimestampText accepts the timestamp forms AWS protocols use in text:
// ISO 8601 (query strings, Query protocol), HTTP dates (headers) and epoch
// seconds.
func parseTimestampText(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := http.ParseTime(s); err == nil {
		return t, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	return time.Time{}, false
}

func goInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

func goFloat(v any) (float64, bool) {
	if i, ok := goInt(v); ok {
		return float64(i), true
	}
	switch x := v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case uint:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}
