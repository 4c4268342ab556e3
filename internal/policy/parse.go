package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// maxDepth bounds JSON nesting. Real policies nest at most five levels
// (document, Statement array, statement, Condition, operator block, values);
// the bound keeps hostile input from building deep trees.
const maxDepth = 32

// Parse decodes and validates a policy document. It rejects duplicate keys at
// every level, unknown elements, wrong types, empty arrays and invalid
// literals; the error is always a [*ValidationError] naming the element.
// Parse never panics, whatever the input.
func Parse(data []byte, kind Kind) (*Document, error) {
	root, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	doc, err := buildDocument(root)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(kind); err != nil {
		return nil, err
	}
	return doc, nil
}

// jkind is the JSON type of a decoded value.
type jkind uint8

const (
	jString jkind = iota + 1
	jNumber
	jBool
	jNull
	jArray
	jObject
)

func (k jkind) String() string {
	switch k {
	case jString:
		return "string"
	case jNumber:
		return "number"
	case jBool:
		return "boolean"
	case jNull:
		return "null"
	case jArray:
		return "array"
	case jObject:
		return "object"
	}
	return "unknown"
}

// jvalue is a decoded JSON value that, unlike map[string]any, keeps object
// member order and has already been checked for duplicate keys.
type jvalue struct {
	kind jkind
	s    string // string value, number literal, or "true"/"false"
	arr  []*jvalue
	obj  []jmember
}

type jmember struct {
	key string
	val *jvalue
}

// decodeJSON decodes data token by token. encoding/json's Unmarshal keeps the
// last of two duplicate keys without complaint, which would let a policy
// author (or attacker) hide a second Effect or Condition from reviewers.
func decodeJSON(data []byte) (*jvalue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(KindSyntax, "", "unexpected data after the policy document")
	}
	if v.kind != jObject {
		return nil, errorf(KindSyntax, "", "policy document must be a JSON object, not %s", v.kind)
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, path string, depth int) (*jvalue, error) {
	if depth > maxDepth {
		return nil, errorf(KindSyntax, path, "JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(path, err)
	}
	switch t := tok.(type) {
	case string:
		return &jvalue{kind: jString, s: t}, nil
	case json.Number:
		return &jvalue{kind: jNumber, s: string(t)}, nil
	case bool:
		return &jvalue{kind: jBool, s: strconv.FormatBool(t)}, nil
	case nil:
		return &jvalue{kind: jNull}, nil
	case json.Delim:
		switch t {
		case '[':
			v := &jvalue{kind: jArray}
			for dec.More() {
				e, err := decodeValue(dec, path+"["+strconv.Itoa(len(v.arr))+"]", depth+1)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, e)
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxError(path, err)
			}
			return v, nil
		case '{':
			v := &jvalue{kind: jObject}
			seen := make(map[string]struct{})
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, syntaxError(path, err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errorf(KindSyntax, path, "object key is not a string")
				}
				if _, dup := seen[key]; dup {
					return nil, errorf(KindSyntax, joinPath(path, key), "duplicate key %q", key)
				}
				seen[key] = struct{}{}
				e, err := decodeValue(dec, joinPath(path, key), depth+1)
				if err != nil {
					return nil, err
				}
				v.obj = append(v.obj, jmember{key: key, val: e})
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxError(path, err)
			}
			return v, nil
		}
	}
	return nil, errorf(KindSyntax, path, "unexpected JSON token")
}

func syntaxError(path string, err error) *ValidationError {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(KindSyntax, path, "unexpected end of JSON input")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errorf(KindSyntax, path, "invalid JSON at byte offset %d: %s", se.Offset, se.Error())
	}
	return errorf(KindSyntax, path, "invalid JSON: %s", err.Error())
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// buildDocument maps the JSON tree onto a Document, rejecting unknown
// elements and wrong types. Semantic checks live in Validate so that they
// also apply to documents built in code.
func buildDocument(root *jvalue) (*Document, error) {
	doc := &Document{}
	var stmts *jvalue
	for _, m := range root.obj {
		switch m.key {
		case "Version":
			if m.val.kind != jString {
				return nil, typeError("Version", "a string", m.val)
			}
			doc.Version = m.val.s
			if doc.Version != Version2012 && doc.Version != Version2008 {
				return nil, errorf(KindValue, "Version", "unsupported policy version %q; valid versions are %q and %q (omitting Version means %q)",
					doc.Version, Version2012, Version2008, Version2008)
			}
		case "Id":
			if m.val.kind != jString {
				return nil, typeError("Id", "a string", m.val)
			}
			doc.ID = m.val.s
		case "Statement":
			stmts = m.val
		default:
			return nil, errorf(KindStructure, m.key, "unknown top-level element %q (valid: Version, Id, Statement)", m.key)
		}
	}
	if stmts == nil {
		return nil, errorf(KindStructure, "Statement", "missing required element")
	}
	switch stmts.kind {
	case jObject:
		st, err := buildStatement(stmts, "Statement[0]")
		if err != nil {
			return nil, err
		}
		doc.Statements = []Statement{st}
	case jArray:
		if len(stmts.arr) == 0 {
			return nil, errorf(KindStructure, "Statement", "must not be an empty array")
		}
		for i, sv := range stmts.arr {
			path := indexPath("Statement", i)
			if sv.kind != jObject {
				return nil, typeError(path, "an object", sv)
			}
			st, err := buildStatement(sv, path)
			if err != nil {
				return nil, err
			}
			doc.Statements = append(doc.Statements, st)
		}
	default:
		return nil, typeError("Statement", "an object or an array of objects", stmts)
	}
	return doc, nil
}

func typeError(path, want string, got *jvalue) *ValidationError {
	return errorf(KindStructure, path, "must be %s, not %s", want, got.kind)
}

func buildStatement(v *jvalue, path string) (Statement, error) {
	var st Statement
	var err error
	for _, m := range v.obj {
		p := joinPath(path, m.key)
		switch m.key {
		case "Sid":
			if m.val.kind != jString {
				return st, typeError(p, "a string", m.val)
			}
			st.Sid = m.val.s
		case "Effect":
			if m.val.kind != jString {
				return st, typeError(p, "a string", m.val)
			}
			switch m.val.s {
			case "Allow":
				st.Effect = EffectAllow
			case "Deny":
				st.Effect = EffectDeny
			default:
				return st, errorf(KindValue, p, "must be \"Allow\" or \"Deny\", not %q", m.val.s)
			}
		case "Action":
			st.Action, err = stringList(m.val, p)
		case "NotAction":
			st.NotAction, err = stringList(m.val, p)
		case "Resource":
			st.Resource, err = stringList(m.val, p)
		case "NotResource":
			st.NotResource, err = stringList(m.val, p)
		case "Principal":
			st.Principal, err = buildPrincipal(m.val, p)
		case "NotPrincipal":
			st.NotPrincipal, err = buildPrincipal(m.val, p)
		case "Condition":
			st.Conditions, err = buildConditions(m.val, p)
		default:
			return st, errorf(KindStructure, p, "unknown statement element %q (valid: Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)", m.key)
		}
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// stringList accepts a string or a non-empty array of strings, the two forms
// AWS allows for Action, Resource and principal values.
func stringList(v *jvalue, path string) ([]string, error) {
	switch v.kind {
	case jString:
		return []string{v.s}, nil
	case jArray:
		if len(v.arr) == 0 {
			return nil, errorf(KindStructure, path, "must not be an empty array")
		}
		out := make([]string, len(v.arr))
		for i, e := range v.arr {
			if e.kind != jString {
				return nil, typeError(indexPath(path, i), "a string", e)
			}
			out[i] = e.s
		}
		return out, nil
	}
	return nil, typeError(path, "a string or an array of strings", v)
}

func buildPrincipal(v *jvalue, path string) (*Principal, error) {
	switch v.kind {
	case jString:
		if v.s != "*" {
			return nil, errorf(KindValue, path, "a principal string must be \"*\"; use an object such as {\"AWS\": %q}", v.s)
		}
		return &Principal{Wildcard: true}, nil
	case jObject:
		if len(v.obj) == 0 {
			return nil, errorf(KindStructure, path, "must not be an empty object")
		}
		p := &Principal{}
		for _, m := range v.obj {
			mp := joinPath(path, m.key)
			vals, err := stringList(m.val, mp)
			if err != nil {
				return nil, err
			}
			switch m.key {
			case "AWS":
				p.AWS = vals
			case "Service":
				p.Service = vals
			case "Federated":
				p.Federated = vals
			case "CanonicalUser":
				p.CanonicalUser = vals
			default:
				return nil, errorf(KindStructure, mp, "unknown principal type %q (valid: AWS, Service, Federated, CanonicalUser)", m.key)
			}
		}
		return p, nil
	}
	return nil, typeError(path, "\"*\" or an object", v)
}

// buildConditions flattens the Condition element into operator/key pairs,
// keeping document order so that printing is stable.
func buildConditions(v *jvalue, path string) ([]Condition, error) {
	if v.kind != jObject {
		return nil, typeError(path, "an object", v)
	}
	var out []Condition
	for _, op := range v.obj {
		opPath := joinPath(path, op.key)
		if op.val.kind != jObject {
			return nil, typeError(opPath, "an object mapping condition keys to values", op.val)
		}
		if len(op.val.obj) == 0 {
			return nil, errorf(KindStructure, opPath, "must not be an empty object")
		}
		for _, kv := range op.val.obj {
			keyPath := joinPath(opPath, kv.key)
			vals, err := conditionValues(kv.val, keyPath)
			if err != nil {
				return nil, err
			}
			out = append(out, Condition{Operator: op.key, Key: kv.key, Values: vals})
		}
	}
	return out, nil
}

// conditionValues accepts a scalar or a non-empty array of scalars. Numbers
// and booleans keep their literal text: AWS compares them as the operator's
// type, not as JSON types, so "true" and true are the same condition value.
func conditionValues(v *jvalue, path string) ([]string, error) {
	scalar := func(e *jvalue, p string) (string, error) {
		switch e.kind {
		case jString, jNumber, jBool:
			return e.s, nil
		}
		return "", typeError(p, "a string, number or boolean", e)
	}
	if v.kind == jArray {
		if len(v.arr) == 0 {
			return nil, errorf(KindStructure, path, "must not be an empty array")
		}
		out := make([]string, len(v.arr))
		for i, e := range v.arr {
			s, err := scalar(e, indexPath(path, i))
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	s, err := scalar(v, path)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}
