package awsmodel

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"
)

// Limits on request bodies. AWS fronts its services with a size limit
// enforced before the service sees the body, and its JSON parser limits
// nesting; Gatehouse's HTTP layer should enforce its own size limit with
// http.MaxBytesReader, these are defence in depth so that validation never
// recurses or allocates without bound.
const (
	// MaxBodySize is the largest body ValidateJSON decodes.
	MaxBodySize = 1 << 20
	// MaxDepth is the deepest nesting of JSON arrays and objects accepted.
	// The embedded models nest about ten levels; documents (free-form JSON
	// members) get the rest.
	MaxDepth = 100
)

// kind is what a decoded value is.
type kind uint8

const (
	kAbsent kind = iota // absent or JSON null
	kString
	kNumber
	kBool
	kTimestamp
	kBlob
	kList
	kMap
	kStruct
	kDocument
)

// node is a decoded input value, typed by the shape it was decoded against.
// The JSON decoder and the Go-value converter both produce nodes, so one
// validator serves every protocol.
type node struct {
	kind kind
	// str holds a string's bytes (a sub-slice of the request body when the
	// JSON string had no escapes), a blob's decoded bytes, or a number's
	// canonical text.
	str []byte
	num float64 // numbers and timestamps
	b   bool
	// elems are list elements, structure members indexed like
	// Shape.Members, or a map's keys and values alternating (key nodes are
	// strings).
	elems []node
}

// decoder is a schema-directed JSON decoder. It checks the JSON syntax and
// the JSON type of every member the model knows, the way Coral's JSON
// deserializer does before any constraint is looked at.
type decoder struct {
	data []byte
	pos  int
	// typeErr is the first type mismatch. Decoding goes on after it so
	// that a syntax error later in the body still wins: Coral parses the
	// JSON before it binds it.
	typeErr *Error
	syntax  bool // the body is not valid JSON
	// bodyOnly restricts the known members of the top-level structure to
	// those bound to the body (REST-JSON).
	bodyOnly bool
}

// serializationError builds the SerializationException Coral's JSON
// deserializer sends. An empty message means AWS sends none (confirmed for
// unparseable bodies) or that we have not seen what it sends; then we send
// none rather than guess.
func serializationError(msg string) *Error {
	return &Error{Code: CodeSerializationException, Message: msg}
}

// Messages of Coral's JSON deserializer (the modern form that names the JSON
// token, e.g. "NUMBER_VALUE"; older Coral services said "class
// java.lang.String can not be converted to an Integer").
//
// Confirmed from raw-HTTP captures of Athena (JSON 1.1) published with a
// third-party emulator's tests (2026-09): NUMBER_VALUE → String, TRUE_VALUE
// → String, STRING_VALUE → Integer, TRUE_VALUE → Integer, list where a
// scalar is expected, object where a scalar is expected, "Expected list or
// null" for a string where a list is expected, "Expected null" for a string
// where a structure is expected, and a top-level JSON array.
// Confirmed from SES v2 (REST-JSON) probes published the same way:
// "NUMBER_VALUE can not be converted to a Boolean" and the "STRING_VALUE can
// not be converted to an Boolean" spelling (sic).
// Confirmed from Kinesis captures (older Coral, same wording): "Expected map
// or null" and the list/object start messages for lists and maps.
// Inferred by symmetry: FALSE_VALUE in place of TRUE_VALUE, and the Long
// forms.
const (
	msgStartList   = "Start of list found where not expected"
	msgStartObject = "Start of structure or map found where not expected."
	msgExpectList  = "Expected list or null"
	msgExpectMap   = "Expected map or null"
	msgExpectNull  = "Expected null"
)

func tokenName(c byte) string {
	switch c {
	case '"':
		return "STRING_VALUE"
	case 't':
		return "TRUE_VALUE"
	case 'f':
		return "FALSE_VALUE"
	default:
		return "NUMBER_VALUE"
	}
}

func (d *decoder) mismatch(msg string) {
	if d.typeErr == nil {
		d.typeErr = serializationError(msg)
	}
}

func (d *decoder) skipWS() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	d.skipWS()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

// decodeTop decodes a whole body against the input shape.
func (d *decoder) decodeTop(s *Shape, out *node) *Error {
	if !utf8.Valid(d.data) {
		// Jackson rejects malformed UTF-8 as a parse error. Checking the
		// whole body once covers every string: outside strings JSON is
		// ASCII, and unescaping only produces valid UTF-8.
		return serializationError("")
	}
	switch d.peek() {
	case '{':
		d.value(s, out, 1)
	case '[':
		// Confirmed: a top-level array gets this message, any other
		// non-object top level (null, a string, a number) none.
		d.skip(1)
		if !d.syntax {
			d.mismatch(msgStartList)
		}
	default:
		d.syntax = true
	}
	if !d.syntax {
		d.skipWS()
		if d.pos != len(d.data) {
			// Trailing data after the object. Jackson would stop reading at
			// the end of the object; we reject instead of guessing.
			d.syntax = true
		}
	}
	if d.syntax {
		return serializationError("")
	}
	return d.typeErr
}

// value decodes one JSON value against shape s into out. depth counts the
// containers open around the value, including it if it is one.
func (d *decoder) value(s *Shape, out *node, depth int) {
	if d.syntax {
		return
	}
	c := d.peek()
	if c == 'n' {
		d.literal("null")
		out.kind = kAbsent
		return
	}
	if s.Document {
		d.skip(depth)
		out.kind = kDocument
		return
	}
	switch s.Type {
	case TypeStructure:
		switch c {
		case '{':
			d.object(s, out, depth)
		case '[':
			d.mismatch(msgStartList)
			d.skip(depth)
		default:
			d.mismatch(msgExpectNull)
			d.skip(depth)
		}
	case TypeList:
		switch c {
		case '[':
			d.list(s, out, depth)
		case '{':
			d.mismatch(msgStartObject)
			d.skip(depth)
		default:
			d.mismatch(msgExpectList)
			d.skip(depth)
		}
	case TypeMap:
		switch c {
		case '{':
			d.mapObject(s, out, depth)
		case '[':
			d.mismatch(msgStartList)
			d.skip(depth)
		default:
			d.mismatch(msgExpectMap)
			d.skip(depth)
		}
	default:
		d.scalar(s, out, c, depth)
	}
}

func (d *decoder) containerStart(depth int) bool {
	if depth > MaxDepth {
		// Too deep: reported like unparseable JSON (Jackson's own nesting
		// limit is a parse error).
		d.syntax = true
		return false
	}
	d.pos++ // '{' or '['
	return true
}

func (d *decoder) object(s *Shape, out *node, depth int) {
	if !d.containerStart(depth) {
		return
	}
	out.kind = kStruct
	out.elems = make([]node, len(s.Members))
	if d.peek() == '}' {
		d.pos++
		d.checkUnion(s, out)
		return
	}
	for {
		key, ok := d.key()
		if !ok {
			return
		}
		idx, known := s.memberIndex[string(key)]
		if known && d.bodyOnly && depth == 1 && s.Members[idx].Location != LocationBody {
			known = false
		}
		if known {
			// A repeated key overwrites the earlier value, as a streaming
			// parser binding into a builder would (inferred).
			out.elems[idx] = node{}
			d.value(s.Members[idx].Shape, &out.elems[idx], depth+1)
		} else {
			// Unknown members are ignored (confirmed for Athena; Coral
			// JSON services are lenient here). That includes the "__type"
			// some old SDKs send inside unions.
			d.skip(depth + 1)
		}
		if !d.next('}') {
			break
		}
	}
	d.checkUnion(s, out)
}

// checkUnion enforces that exactly one member of a union is set. What AWS
// answers otherwise is not known from any capture: clients validate unions
// before sending (botocore raises ParamValidationError), so real services
// rarely see it. We answer like the deserializer's other structural
// errors: a SerializationException without a message (inferred).
func (d *decoder) checkUnion(s *Shape, out *node) {
	if !s.Union || d.syntax {
		return
	}
	set := 0
	for i := range out.elems {
		if out.elems[i].kind != kAbsent {
			set++
		}
	}
	if set != 1 {
		d.mismatch("")
	}
}

// open enters a list or an object at its '[' or '{', and reports whether
// elements follow: false for an empty one, and for one nested too deep to
// read, which is a syntax error.
func (d *decoder) open(closer byte, depth int) bool {
	if !d.containerStart(depth) {
		return false
	}
	if d.peek() == closer {
		d.pos++
		return false
	}
	return true
}

// list and mapObject set their node's kind before they open the value:
// on a syntax error no node is read.
func (d *decoder) list(s *Shape, out *node, depth int) {
	out.kind = kList
	if !d.open(']', depth) {
		return
	}
	for {
		out.elems = append(out.elems, node{})
		d.value(s.ListMember.Shape, &out.elems[len(out.elems)-1], depth+1)
		if !d.next(']') {
			return
		}
	}
}

func (d *decoder) mapObject(s *Shape, out *node, depth int) {
	out.kind = kMap
	if !d.open('}', depth) {
		return
	}
	for {
		key, ok := d.key()
		if !ok {
			return
		}
		// Duplicate keys: the last value wins (inferred, as for members).
		at := -1
		for i := 0; i < len(out.elems); i += 2 {
			if string(out.elems[i].str) == string(key) {
				at = i + 1
				break
			}
		}
		if at < 0 {
			out.elems = append(out.elems, node{kind: kString, str: key}, node{})
			at = len(out.elems) - 1
		} else {
			out.elems[at] = node{}
		}
		d.value(s.MapValue.Shape, &out.elems[at], depth+1)
		if !d.next('}') {
			return
		}
	}
}

// key reads an object key and the colon after it.
func (d *decoder) key() ([]byte, bool) {
	if d.peek() != '"' {
		d.syntax = true
		return nil, false
	}
	k, ok := d.str()
	if !ok {
		return nil, false
	}
	if d.peek() != ':' {
		d.syntax = true
		return nil, false
	}
	d.pos++
	return k, true
}

// next consumes the separator after a container element: a comma (true,
// more elements follow) or the closing delimiter (false).
func (d *decoder) next(closer byte) bool {
	if d.syntax {
		return false
	}
	switch d.peek() {
	case ',':
		d.pos++
		return true
	case closer:
		d.pos++
		return false
	}
	d.syntax = true
	return false
}

func (d *decoder) scalar(s *Shape, out *node, c byte, depth int) {
	switch c {
	case '[':
		d.mismatch(msgStartList)
		d.skip(depth)
		return
	case '{':
		d.mismatch(msgStartObject)
		d.skip(depth)
		return
	}
	switch s.Type {
	case TypeString:
		if c != '"' {
			d.mismatch(tokenName(c) + " can not be converted to a String")
			d.skip(depth)
			return
		}
		if b, ok := d.str(); ok {
			*out = node{kind: kString, str: b}
		}
	case TypeInteger, TypeLong:
		target := "an Integer"
		if s.Type == TypeLong {
			target = "a Long"
		}
		if lit, ok := d.numberOf(c, target, depth); ok {
			*out = integerNode(lit)
		}
	case TypeFloat, TypeDouble:
		// A mismatch's message was not captured; none rather than a
		// guessed one.
		if lit, ok := d.numberOf(c, "", depth); ok {
			f, _ := strconv.ParseFloat(string(lit), 64)
			*out = node{kind: kNumber, num: f, str: []byte(strconv.FormatFloat(f, 'g', -1, 64))}
		}
	case TypeBoolean:
		switch c {
		case 't':
			d.literal("true")
			*out = node{kind: kBool, b: true}
		case 'f':
			d.literal("false")
			*out = node{kind: kBool, b: false}
		case '"':
			// Coral converts strings that name a boolean (SES v2 probes:
			// true/yes/y/t/1 and false/no/n/f/0, any case) and rejects the
			// rest.
			b, ok := d.str()
			if !ok {
				return
			}
			v, ok := parseLooseBool(string(b))
			if !ok {
				d.mismatch("STRING_VALUE can not be converted to an Boolean")
				return
			}
			*out = node{kind: kBool, b: v}
		default:
			d.mismatch("NUMBER_VALUE can not be converted to a Boolean")
			d.skip(depth)
		}
	case TypeTimestamp:
		// JSON protocols send timestamps as epoch seconds. Any other JSON
		// type has no captured message.
		if lit, ok := d.numberOf(c, "", depth); ok {
			f, _ := strconv.ParseFloat(string(lit), 64)
			*out = node{kind: kTimestamp, num: f, str: lit}
		}
	case TypeBlob:
		if c != '"' {
			d.mismatch("")
			d.skip(depth)
			return
		}
		b, ok := d.str()
		if !ok {
			return
		}
		raw, err := base64.StdEncoding.DecodeString(string(b))
		if err != nil {
			d.mismatch("")
			return
		}
		*out = node{kind: kBlob, str: raw}
	default:
		d.skip(depth)
	}
}

// numberOf reads the number literal of a numeric shape whose value starts
// with c. A string or a boolean there is a type mismatch, reported as
// Coral words it for a shape of type target ("an Integer"); "" for a type
// whose message was never captured. Other non-numbers are the literal's
// syntax errors.
func (d *decoder) numberOf(c byte, target string, depth int) ([]byte, bool) {
	if c == '"' || c == 't' || c == 'f' {
		msg := ""
		if target != "" {
			msg = tokenName(c) + " can not be converted to " + target
		}
		d.mismatch(msg)
		d.skip(depth)
		return nil, false
	}
	return d.number()
}

// integerNode converts a JSON number literal for an integer or long shape.
// Coral truncates fractions (older captures show it accepting 1.5 for an
// integer; not re-checked on current services). The node keeps the value
// as a float64 for range checks, which orders correctly at any magnitude; an
// integer too large for an int32 is a range violation, not a type error
// (confirmed, Athena). A value beyond float64 keeps its literal text.
func integerNode(lit []byte) node {
	if i, err := strconv.ParseInt(string(lit), 10, 64); err == nil {
		return node{kind: kNumber, num: float64(i), str: lit}
	}
	f, _ := strconv.ParseFloat(string(lit), 64)
	if math.IsInf(f, 0) {
		return node{kind: kNumber, num: f, str: lit}
	}
	t := math.Trunc(f)
	text := strconv.FormatFloat(t, 'f', -1, 64)
	if t == 0 {
		text = "0"
	}
	return node{kind: kNumber, num: t, str: []byte(text)}
}

func parseLooseBool(s string) (v, ok bool) {
	switch toLowerASCII(s) {
	case "true", "yes", "y", "t", "1":
		return true, true
	case "false", "no", "n", "f", "0":
		return false, true
	}
	return false, false
}

func toLowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func (d *decoder) literal(word string) {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		d.syntax = true
		return
	}
	d.pos += len(word)
}

// number reads a JSON number and returns its literal text.
func (d *decoder) number() ([]byte, bool) {
	start := d.pos
	p := d.pos
	data := d.data
	if p < len(data) && data[p] == '-' {
		p++
	}
	switch {
	case p < len(data) && data[p] == '0':
		p++
	case p < len(data) && data[p] >= '1' && data[p] <= '9':
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
	default:
		d.syntax = true
		return nil, false
	}
	ok := true
	if p < len(data) && data[p] == '.' {
		p, ok = digits(data, p+1)
	}
	if ok && p < len(data) && (data[p] == 'e' || data[p] == 'E') {
		p++
		if p < len(data) && (data[p] == '+' || data[p] == '-') {
			p++
		}
		p, ok = digits(data, p)
	}
	if !ok {
		d.syntax = true
		return nil, false
	}
	d.pos = p
	return data[start:p], true
}

// digits skips the digits of a fraction or an exponent, at least one,
// from data[p]: it returns the position after them, or false when there
// are none.
func digits(data []byte, p int) (int, bool) {
	if p >= len(data) || data[p] < '0' || data[p] > '9' {
		return p, false
	}
	for p < len(data) && data[p] >= '0' && data[p] <= '9' {
		p++
	}
	return p, true
}

// str reads a JSON string and returns its unescaped bytes. Without escapes
// the result aliases the body.
func (d *decoder) str() ([]byte, bool) {
	d.pos++ // opening quote
	start := d.pos
	data := d.data
	for p := start; p < len(data); p++ {
		c := data[p]
		switch {
		case c == '"':
			d.pos = p + 1
			return data[start:p], true
		case c == '\\':
			return d.strEscaped(start)
		case c < 0x20:
			d.syntax = true
			return nil, false
		}
	}
	d.syntax = true
	return nil, false
}

func (d *decoder) strEscaped(start int) ([]byte, bool) {
	data := d.data
	out := make([]byte, 0, 32)
	p := start
	for p < len(data) {
		c := data[p]
		switch {
		case c == '"':
			d.pos = p + 1
			return out, true
		case c < 0x20:
			d.syntax = true
			return nil, false
		case c != '\\':
			out = append(out, c)
			p++
			continue
		}
		if p+1 >= len(data) {
			break
		}
		e := data[p+1]
		p += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(data, p)
			if !ok {
				d.syntax = true
				return nil, false
			}
			p += 4
			if r >= 0xD800 && r < 0xDC00 && p+6 <= len(data) && data[p] == '\\' && data[p+1] == 'u' {
				if lo, ok := hex4(data, p+2); ok && lo >= 0xDC00 && lo < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					p += 6
				}
			}
			// A lone surrogate becomes U+FFFD: Go strings are UTF-8, so
			// it cannot be kept. It still counts as one UTF-16 unit.
			out = utf8.AppendRune(out, r)
		default:
			d.syntax = true
			return nil, false
		}
	}
	d.syntax = true
	return nil, false
}

func hex4(data []byte, p int) (rune, bool) {
	if p+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[p : p+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// skip checks and skips one JSON value of any type.
func (d *decoder) skip(depth int) {
	if d.syntax {
		return
	}
	switch d.peek() {
	case '{':
		if !d.open('}', depth) {
			return
		}
		for {
			if _, ok := d.key(); !ok {
				return
			}
			d.skip(depth + 1)
			if !d.next('}') {
				return
			}
		}
	case '[':
		if !d.open(']', depth) {
			return
		}
		for {
			d.skip(depth + 1)
			if !d.next(']') {
				return
			}
		}
	case '"':
		d.str()
	case 't':
		d.literal("true")
	case 'f':
		d.literal("false")
	case 'n':
		d.literal("null")
	default:
		d.number()
	}
}
