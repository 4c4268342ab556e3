package awsmodel

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Evidence for the message forms. AWS does not document Coral's validation
// messages, so every form below was matched against responses captured from
// real services and published in issues, logs or emulator test suites that
// record AWS's answers. "Confirmed" means seen verbatim in such a capture;
// "inferred" means chosen by analogy, with the reason next to the code.
//
// Confirmed:
//   - "N validation error(s) detected: " + violations joined by "; ", and at
//     most ten listed (DynamoDB, recorded by architect/dynalite's tests;
//     Bedrock Converse).
//   - "Value 'v' at 'p' failed to satisfy constraint: …" with the value in
//     single quotes, numbers included ("Value '86400' at 'durationSeconds'",
//     STS), and "Value null at" for missing members.
//   - The identitystore pattern message, verbatim, with the pattern exactly
//     as botocore has it (aws-amplify/amplify-backend#2702).
//   - Whole-value pattern matching (STS roleSessionName with a space fails
//     [\w+=,.@-]*).
//   - "Value at 'p'" without the value for sensitive members (Cognito
//     password and username), also for a missing sensitive member.
//   - Constraint texts: "Member must not be null", "Member must have length
//     less than or equal to N", "… greater than or equal to N", "Member must
//     have value less than or equal to N", "… greater than or equal to N",
//     "Member must satisfy regular expression pattern: P", "Member must
//     satisfy enum value set: [A, B]".
//   - Paths: lowerCamel member names, "tags.6.member.value" for list
//     elements (IAM, DynamoDB), "requestItems.<key>.member.keys" for map
//     values (DynamoDB).
//   - Scalar list elements reported once on the list: "Member must satisfy
//     constraint: [<all element constraints>]" (ACM, Lambda); map keys as
//     "Map keys must satisfy constraint: […]" (Lambda, EventBridge); the
//     order inside the brackets: max, min, pattern, enum.
//   - Length before pattern for one value (CloudFormation, Cognito, KMS).
//   - Lists of structures printed as "Value at 'tags'" (IAM, CloudWatch Logs).
//
// Inferred (no capture found):
//   - The order of members within a structure (see coralMemberOrder: fits
//     every multi-member capture but one old one).
//   - "Map value must satisfy constraint: […]" (from an emulator's probes).
//   - Null list elements and map values reported at 'p.N.member'.
//   - Union violations (two members or none): SerializationException
//     without a message.
//   - Values of blobs, timestamps, documents and structures never printed.
//   - Member names starting with an acronym: only the first letter is
//     lowered ('sAMLAssertion').

// Error codes of client errors found while decoding and validating input.
const (
	// CodeSerializationException: the body is not JSON, or a value has the
	// wrong JSON type (JSON and REST-JSON services).
	CodeSerializationException = "SerializationException"
	// CodeValidationException: constraint violations on JSON services.
	CodeValidationException = "ValidationException"
	// CodeValidationError: constraint violations on Query services (STS,
	// IAM); the message format is the same.
	CodeValidationError = "ValidationError"
)

// maxViolations is how many violations Coral reports. Confirmed: a DynamoDB
// CreateTable with 27 violations and a Bedrock Converse call both answer
// "10 validation errors detected: …" listing ten.
const maxViolations = 10

// Error is a client error (HTTP 400) as an AWS service reports it. Adapters
// turn it into the protocol's error response: for JSON protocols a body
// with "__type" set to Code and the message, for Query an ErrorResponse
// with Type Sender.
type Error struct {
	// Code is the AWS error code, one of the Code* constants.
	Code string
	// Message is AWS's exact text. It is empty when AWS sends none, as for
	// a body that is not JSON at all; adapters should then leave the
	// message out of the response rather than send an empty one.
	Message string
	// Violations are the constraint violations behind a validation error,
	// at most ten, in the order they appear in Message.
	Violations []Violation
}

// StatusCode is the HTTP status AWS answers these errors with.
func (e *Error) StatusCode() int { return 400 }

// Error implements error.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Violation is one failed constraint.
type Violation struct {
	// Path is the member path as Coral prints it: lowerCamel member names
	// joined by dots, list elements as "<n>.member" counted from 1, map
	// values as "<key>.member" (e.g. "emails.1.member.value").
	Path string
	// Value is the offending value as printed in the message: quoted
	// ('abc', '0', '[a, b]'), null, or empty when AWS leaves the value out
	// (sensitive members and structured values).
	Value string
	// Constraint is the constraint text, e.g. "Member must not be null".
	Constraint string
}

// String formats the violation as it appears in a message:
// "Value 'abc' at 'identityStoreId' failed to satisfy constraint: …".
func (v Violation) String() string {
	var b strings.Builder
	v.appendTo(&b)
	return b.String()
}

func (v Violation) appendTo(b *strings.Builder) {
	b.WriteString("Value ")
	if v.Value != "" {
		b.WriteString(v.Value)
		b.WriteByte(' ')
	}
	b.WriteString("at '")
	b.WriteString(v.Path)
	b.WriteString("' failed to satisfy constraint: ")
	b.WriteString(v.Constraint)
}

// ValidationMessage joins violations the way Coral does:
// "2 validation errors detected: <v1>; <v2>".
func ValidationMessage(vs []Violation) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(vs)))
	if len(vs) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, v := range vs {
		if i > 0 {
			b.WriteString("; ")
		}
		v.appendTo(&b)
	}
	return b.String()
}

// ErrUnknownOperation is returned (wrapped) for an operation name the model
// does not have. It is not an AWS error: adapters answer it with their
// protocol's unknown-operation error before validating.
var ErrUnknownOperation = errors.New("awsmodel: unknown operation")

// ValidateJSON decodes a JSON request body of operation and validates it
// against the operation's input shape. It returns nil, an *Error to send
// to the client, or an error wrapping ErrUnknownOperation.
//
// For REST-JSON services it validates only body-bound members and treats an
// empty body as {}; members bound to the URI, query string or headers are
// then reported missing if required, so use ValidateHTTP for operations
// that have any.
func (s *Service) ValidateJSON(operation string, body []byte) error {
	in, err := s.inputShape(operation)
	if err != nil {
		return err
	}
	if s.meta.Protocol == ProtocolRESTJSON && isBlank(body) {
		body = []byte("{}")
	}
	var root node
	if e := s.decodeBody(in, body, &root); e != nil {
		return e
	}
	return s.check(in, &root)
}

// inputShape returns the input shape of operation to validate a request
// against: an empty structure for an operation without input, whose
// request may still carry {}.
func (s *Service) inputShape(operation string) (*Shape, error) {
	op, ok := s.ops[operation]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownOperation, operation)
	}
	if op.Input == nil {
		return s.emptyIn, nil
	}
	return op.Input, nil
}

// decodeBody runs the JSON decoder over body.
func (s *Service) decodeBody(in *Shape, body []byte, root *node) *Error {
	if len(body) > MaxBodySize {
		return serializationError("")
	}
	d := decoder{data: body, bodyOnly: s.meta.Protocol == ProtocolRESTJSON}
	return d.decodeTop(in, root)
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// check validates a decoded input and returns nil or an *Error.
func (s *Service) check(in *Shape, root *node) error {
	v := validator{path: make([]pathSeg, 0, 8)}
	v.structure(in, root)
	if len(v.out) == 0 {
		return nil
	}
	return &Error{Code: s.valCode, Message: ValidationMessage(v.out), Violations: v.out}
}

// validator walks a decoded value and collects violations in Coral's order.
type validator struct {
	out  []Violation
	path []pathSeg
}

func (v *validator) full() bool { return len(v.out) >= maxViolations }

// pathSeg is one step of a member path. The validator keeps the path to
// the current value as a stack of steps and only turns it into text when it
// reports a violation, so that validating a valid request builds no
// strings.
type pathSeg struct {
	name  string // a member's path name, or a map key
	index int    // a list element's 1-based index; 0 otherwise
	elem  bool   // a list element or map value: adds ".member"
}

func (v *validator) push(seg pathSeg) { v.path = append(v.path, seg) }
func (v *validator) pop()             { v.path = v.path[:len(v.path)-1] }

// pathString renders the current path, e.g. "emails.1.member.value".
func (v *validator) pathString() string {
	var b strings.Builder
	for i, q := range v.path {
		if i > 0 {
			b.WriteByte('.')
		}
		if q.index > 0 {
			b.WriteString(strconv.Itoa(q.index))
		} else {
			b.WriteString(q.name)
		}
		if q.elem {
			b.WriteString(".member")
		}
	}
	return b.String()
}

// add reports a violation at the current path.
func (v *validator) add(value, constraint string) {
	if !v.full() {
		v.out = append(v.out, Violation{Path: v.pathString(), Value: value, Constraint: constraint})
	}
}

// addAt reports a violation one step below the current path.
func (v *validator) addAt(seg pathSeg, value, constraint string) {
	v.push(seg)
	v.add(value, constraint)
	v.pop()
}

func (v *validator) structure(s *Shape, n *node) {
	if n.kind != kStruct {
		return
	}
	for _, i := range s.checkOrder {
		if v.full() {
			return
		}
		m := s.Members[i]
		child := &n.elems[i]
		seg := pathSeg{name: m.path}
		if child.kind == kAbsent {
			if m.Required {
				// Confirmed form: "Value null at 'x' failed to satisfy
				// constraint: Member must not be null"; for sensitive
				// members Cognito prints "Value at 'username' …" instead.
				val := "null"
				if m.Shape.Sensitive {
					val = ""
				}
				v.addAt(seg, val, "Member must not be null")
			}
			continue
		}
		v.push(seg)
		v.value(m.Shape, child)
		v.pop()
	}
}

func (v *validator) value(s *Shape, n *node) {
	switch n.kind {
	case kAbsent, kDocument:
		return
	case kStruct:
		v.structure(s, n)
	case kList:
		v.list(s, n)
	case kMap:
		v.mapValue(s, n)
	default:
		for _, c := range v.scalarFailures(s, n) {
			v.add(renderValue(s, n), c)
		}
	}
}

// list checks a list's length, then its elements. Elements of a scalar
// type are checked as one constraint on the list, the way Coral reports
// them (confirmed, ACM and Lambda):
//
//	Value '[GET, POST, OPTIONS]' at 'cors.allowMethods' failed to satisfy
//	constraint: Member must satisfy constraint: [Member must have length
//	less than or equal to 6, …]
//
// Elements that are structures are walked with paths like
// 'tags.6.member.value' (confirmed, IAM and DynamoDB).
func (v *validator) list(s *Shape, n *node) {
	v.size(s, n, len(n.elems))
	elem := s.ListMember.Shape
	if isScalar(elem) {
		for i := range n.elems {
			e := &n.elems[i]
			if e.kind == kAbsent {
				// A null element. No capture; reported like a missing
				// required member at the element's path (inferred).
				v.addAt(pathSeg{index: i + 1, elem: true}, "null", "Member must not be null")
				continue
			}
			if len(v.scalarFailures(elem, e)) > 0 {
				v.add(renderValue(s, n), "Member must satisfy constraint: ["+constraintList(elem)+"]")
				break
			}
		}
		return
	}
	for i := range n.elems {
		if v.full() {
			return
		}
		e := &n.elems[i]
		seg := pathSeg{index: i + 1, elem: true}
		if e.kind == kAbsent {
			v.addAt(seg, "null", "Member must not be null") // inferred, as above
			continue
		}
		v.push(seg)
		v.value(elem, e)
		v.pop()
	}
}

// mapValue checks a map's size, keys and values. Key failures are one
// constraint on the map (confirmed, Lambda and EventBridge):
//
//	Value '{a=b}' at 'x' failed to satisfy constraint: Map keys must satisfy
//	constraint: [Member must have length less than or equal to 128, …]
//
// Scalar value failures read "Map value must satisfy constraint: […]"
// (seen in a third-party emulator's SES v2 probes, not in a capture we
// could read). Structured values are walked with paths like
// 'requestItems.users.member.keys' (confirmed, DynamoDB).
func (v *validator) mapValue(s *Shape, n *node) {
	v.size(s, n, len(n.elems)/2)
	key := s.MapKey.Shape
	for i := 0; i < len(n.elems); i += 2 {
		if len(v.scalarFailures(key, &n.elems[i])) > 0 {
			v.add(renderValue(s, n), "Map keys must satisfy constraint: ["+constraintList(key)+"]")
			break
		}
	}
	val := s.MapValue.Shape
	if isScalar(val) {
		for i := 0; i < len(n.elems); i += 2 {
			e := &n.elems[i+1]
			if e.kind == kAbsent {
				v.addAt(pathSeg{name: string(n.elems[i].str), elem: true}, "null", "Member must not be null") // inferred
				continue
			}
			if len(v.scalarFailures(val, e)) > 0 {
				v.add(renderValue(s, n), "Map value must satisfy constraint: ["+constraintList(val)+"]")
				break
			}
		}
		return
	}
	for i := 0; i < len(n.elems); i += 2 {
		if v.full() {
			return
		}
		e := &n.elems[i+1]
		seg := pathSeg{name: string(n.elems[i].str), elem: true}
		if e.kind == kAbsent {
			v.addAt(seg, "null", "Member must not be null") // inferred
			continue
		}
		v.push(seg)
		v.value(val, e)
		v.pop()
	}
}

// size checks the element count of a list or map.
func (v *validator) size(s *Shape, n *node, count int) {
	if s.Max != nil && float64(count) > *s.Max {
		v.add(renderValue(s, n), "Member must have length less than or equal to "+formatBound(*s.Max))
	}
	if s.Min != nil && float64(count) < *s.Min {
		v.add(renderValue(s, n), "Member must have length greater than or equal to "+formatBound(*s.Min))
	}
}

func isScalar(s *Shape) bool {
	switch s.Type {
	case TypeStructure, TypeList, TypeMap:
		return false
	}
	return true
}

// scalarFailures returns the constraints a scalar value violates, in the
// order Coral lists them for one member: length, then pattern (confirmed by
// four captures: CloudFormation, Cognito twice, KMS; one old DynamoDB
// capture has the opposite order), then enum, then range.
func (v *validator) scalarFailures(s *Shape, n *node) []string {
	var out []string
	switch n.kind {
	case kString:
		if s.Max != nil || s.Min != nil {
			l := float64(utf16Len(n.str))
			if s.Max != nil && l > *s.Max {
				out = append(out, "Member must have length less than or equal to "+formatBound(*s.Max))
			}
			if s.Min != nil && l < *s.Min {
				out = append(out, "Member must have length greater than or equal to "+formatBound(*s.Min))
			}
		}
		if s.Pattern != "" {
			if m := s.compiledPattern(); m != nil && !m.match(n.str) {
				out = append(out, "Member must satisfy regular expression pattern: "+s.Pattern)
			}
		}
		if s.enumSet != nil {
			if _, ok := s.enumSet[string(n.str)]; !ok {
				out = append(out, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
			}
		}
	case kBlob:
		l := float64(len(n.str))
		if s.Max != nil && l > *s.Max {
			out = append(out, "Member must have length less than or equal to "+formatBound(*s.Max))
		}
		if s.Min != nil && l < *s.Min {
			out = append(out, "Member must have length greater than or equal to "+formatBound(*s.Min))
		}
	case kNumber:
		if s.Max != nil && n.num > *s.Max {
			out = append(out, "Member must have value less than or equal to "+formatBound(*s.Max))
		}
		if s.Min != nil && n.num < *s.Min {
			out = append(out, "Member must have value greater than or equal to "+formatBound(*s.Min))
		}
	}
	return out
}

// constraintList lists every constraint of a shape, as Coral prints them
// inside "Member must satisfy constraint: […]" and "Map keys must satisfy
// constraint: […]": maximum before minimum, then the pattern (confirmed,
// ACM, Lambda, EventBridge), then the enum (confirmed, Lambda). Some
// services append "Member must not be null"; the models do not say which,
// so it is left out.
func constraintList(s *Shape) string {
	var parts []string
	switch s.Type {
	case TypeInteger, TypeLong, TypeFloat, TypeDouble:
		if s.Max != nil {
			parts = append(parts, "Member must have value less than or equal to "+formatBound(*s.Max))
		}
		if s.Min != nil {
			parts = append(parts, "Member must have value greater than or equal to "+formatBound(*s.Min))
		}
	default:
		if s.Max != nil {
			parts = append(parts, "Member must have length less than or equal to "+formatBound(*s.Max))
		}
		if s.Min != nil {
			parts = append(parts, "Member must have length greater than or equal to "+formatBound(*s.Min))
		}
	}
	if s.Pattern != "" {
		parts = append(parts, "Member must satisfy regular expression pattern: "+s.Pattern)
	}
	if len(s.Enum) > 0 {
		parts = append(parts, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
	}
	return strings.Join(parts, ", ")
}

func formatBound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// utf16Len is the length Java's String.length() reports, which is what
// Coral's length constraints count.
func utf16Len(b []byte) int {
	n := 0
	for len(b) > 0 {
		c := b[0]
		if c < utf8.RuneSelf {
			n++
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		b = b[size:]
	}
	return n
}

// renderValue prints a value the way Coral does in "Value … at": quoted
// scalars ('abc', '0', 'true'), lists of scalars as Java prints a List
// ('[a, b]'), maps of scalars as a Java Map ('{k=v}'). Sensitive values are
// left out (confirmed, Cognito: "Value at 'password' …"). So are values
// holding structures, blobs, timestamps and documents: recent services
// print "Value at 'tags' …" for a list of tags (captured for IAM; older
// services printed Java object names instead). Empty means "leave out".
func renderValue(s *Shape, n *node) string {
	if n.kind == kAbsent {
		return "null"
	}
	if s.Sensitive {
		return ""
	}
	var b strings.Builder
	if !renderInto(&b, s, n) {
		return ""
	}
	return "'" + b.String() + "'"
}

func renderInto(b *strings.Builder, s *Shape, n *node) bool {
	switch n.kind {
	case kAbsent:
		b.WriteString("null")
	case kString, kNumber:
		b.Write(n.str)
	case kBool:
		b.WriteString(strconv.FormatBool(n.b))
	case kList:
		elem := s.ListMember.Shape
		if !isScalar(elem) || elem.Sensitive {
			return false
		}
		b.WriteByte('[')
		for i := range n.elems {
			if i > 0 {
				b.WriteString(", ")
			}
			if !renderInto(b, elem, &n.elems[i]) {
				return false
			}
		}
		b.WriteByte(']')
	case kMap:
		key, val := s.MapKey.Shape, s.MapValue.Shape
		if key.Sensitive || val.Sensitive || !isScalar(val) {
			return false
		}
		b.WriteByte('{')
		for i := 0; i < len(n.elems); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			b.Write(n.elems[i].str)
			b.WriteByte('=')
			if !renderInto(b, val, &n.elems[i+1]) {
				return false
			}
		}
		b.WriteByte('}')
	default:
		return false
	}
	return true
}

// compiledPattern compiles the shape's pattern on first use. A pattern that
// cannot be compiled is not enforced; TestEveryModelPatternCompiles keeps
// the embedded models free of those.
func (sh *Shape) compiledPattern() *matcher {
	sh.patternOnce.Do(func() {
		sh.pattern, _ = compilePattern(sh.Pattern)
	})
	return sh.pattern
}
