package policy

import (
	"bytes"
	"encoding/json"
	"unicode"
	"unicode/utf8"
)

// MarshalJSON prints the document in canonical form: elements in a fixed
// order (Version, Id, Statement; Sid, Effect, Principal, NotPrincipal,
// Action, NotAction, Resource, NotResource, Condition), Statement always an
// array, one-element lists as plain strings, condition values as strings,
// and condition operators in first-appearance order. Parsing the output
// yields an equal Document, so printing is stable.
func (d *Document) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	field := func(name string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeString(&b, name)
		b.WriteByte(':')
	}
	if d.Version != "" {
		field("Version")
		writeString(&b, d.Version)
	}
	if d.ID != "" {
		field("Id")
		writeString(&b, d.ID)
	}
	field("Statement")
	b.WriteByte('[')
	for i := range d.Statements {
		if i > 0 {
			b.WriteByte(',')
		}
		writeStatement(&b, &d.Statements[i])
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// Format returns the canonical form indented with two spaces, for display
// and for storing documents in a reviewable shape.
func (d *Document) Format() []byte {
	raw, _ := d.MarshalJSON() // never fails
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return raw
	}
	return out.Bytes()
}

func writeStatement(b *bytes.Buffer, st *Statement) {
	b.WriteByte('{')
	first := true
	field := func(name string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeString(b, name)
		b.WriteByte(':')
	}
	if st.Sid != "" {
		field("Sid")
		writeString(b, st.Sid)
	}
	if st.Effect != 0 {
		field("Effect")
		writeString(b, st.Effect.String())
	}
	if st.Principal != nil {
		field("Principal")
		writePrincipal(b, st.Principal)
	}
	if st.NotPrincipal != nil {
		field("NotPrincipal")
		writePrincipal(b, st.NotPrincipal)
	}
	lists := []struct {
		name string
		vals []string
	}{
		{"Action", st.Action}, {"NotAction", st.NotAction},
		{"Resource", st.Resource}, {"NotResource", st.NotResource},
	}
	for _, l := range lists {
		if len(l.vals) > 0 {
			field(l.name)
			writeList(b, l.vals)
		}
	}
	if len(st.Conditions) > 0 {
		field("Condition")
		writeConditions(b, st.Conditions)
	}
	b.WriteByte('}')
}

func writePrincipal(b *bytes.Buffer, p *Principal) {
	if p.Wildcard {
		writeString(b, "*")
		return
	}
	b.WriteByte('{')
	first := true
	for _, l := range []struct {
		name string
		vals []string
	}{{"AWS", p.AWS}, {"CanonicalUser", p.CanonicalUser}, {"Federated", p.Federated}, {"Service", p.Service}} {
		if len(l.vals) == 0 {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeString(b, l.name)
		b.WriteByte(':')
		writeList(b, l.vals)
	}
	b.WriteByte('}')
}

// writeConditions groups the flat condition list back into operator blocks,
// in the order operators first appear.
func writeConditions(b *bytes.Buffer, conds []Condition) {
	var ops []string
	for _, c := range conds {
		if !contains(ops, c.Operator) {
			ops = append(ops, c.Operator)
		}
	}
	b.WriteByte('{')
	for i, op := range ops {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, op)
		b.WriteString(":{")
		n := 0
		for _, c := range conds {
			if c.Operator != op {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			writeString(b, c.Key)
			b.WriteByte(':')
			writeList(b, c.Values)
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
}

func writeList(b *bytes.Buffer, vals []string) {
	if len(vals) == 1 {
		writeString(b, vals[0])
		return
	}
	b.WriteByte('[')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, v)
	}
	b.WriteByte(']')
}

// writeString writes s as a JSON string without HTML escaping, so that
// printed policies keep "&" and "<" readable.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode appends a newline
}

// SizeWithoutWhitespace returns the size AWS checks against policy size
// quotas, which do not count white space: the number of characters of doc
// outside JSON white space between tokens. Characters inside strings count
// even when they are spaces. Invalid JSON is measured the same way.
func SizeWithoutWhitespace(doc []byte) int {
	n := 0
	inString, escaped := false, false
	for i := 0; i < len(doc); {
		r, w := utf8.DecodeRune(doc[i:])
		i += w
		switch {
		case inString:
			n++
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"':
				inString = false
			}
		case r == '"':
			inString = true
			n++
		case unicode.IsSpace(r):
		default:
			n++
		}
	}
	return n
}
