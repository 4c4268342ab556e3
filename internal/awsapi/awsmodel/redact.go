package awsmodel

import (
	"encoding/base64"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/jsonw"
)

// MaxRedactDepth is how deep ValidateJSONRedacted follows nested values;
// anything deeper is hidden.
const MaxRedactDepth = 32

// ValidateJSONRedacted validates body exactly as ValidateJSON does and, for
// a valid body, also returns the input as an audit record shows it, built
// from the same parse (a server would otherwise parse the body again to
// redact it): a compact JSON object with the members of the input shape
// under their lowerCamel names ("identityStoreId"), in model order, and
// hidden (a JSON string) in place of every value of a sensitive shape,
// every document and anything nested deeper than MaxRedactDepth. Unknown
// members, null members and members set to null are left out; blobs are
// written in base64. An operation without an input shape returns nil.
func (s *Service) ValidateJSONRedacted(operation string, body []byte, hidden string) ([]byte, error) {
	op, ok := s.ops[operation]
	if !ok {
		return nil, s.ValidateJSON(operation, body)
	}
	in := op.Input
	if in == nil {
		return nil, s.ValidateJSON(operation, body)
	}
	if s.meta.Protocol == ProtocolRESTJSON && isBlank(body) {
		body = []byte("{}")
	}
	var root node
	if e := s.decodeBody(in, body, &root); e != nil {
		return nil, e
	}
	if err := s.check(in, &root); err != nil {
		return nil, err
	}
	return appendRedacted(make([]byte, 0, len(body)+64), in, &root, 0, hidden), nil
}

func appendRedacted(b []byte, s *Shape, n *node, depth int, hidden string) []byte {
	if n.kind == kAbsent {
		return append(b, "null"...)
	}
	if s.Sensitive || s.Document || n.kind == kDocument || depth > MaxRedactDepth {
		return jsonw.AppendString(b, hidden)
	}
	switch n.kind {
	case kStruct:
		b = append(b, '{')
		first := true
		for i, m := range s.Members {
			c := &n.elems[i]
			if c.kind == kAbsent {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = jsonw.AppendString(b, m.path)
			b = append(b, ':')
			b = appendRedacted(b, m.Shape, c, depth+1, hidden)
		}
		return append(b, '}')
	case kList:
		b = append(b, '[')
		for i := range n.elems {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendRedacted(b, s.ListMember.Shape, &n.elems[i], depth+1, hidden)
		}
		return append(b, ']')
	case kMap:
		b = append(b, '{')
		if len(n.elems) > 0 && s.MapKey.Shape.Sensitive {
			// Every key reads the same once hidden: one member, the
			// last value, as a map keyed by the hidden keys would hold.
			b = jsonw.AppendString(b, hidden)
			b = append(b, ':')
			b = appendRedacted(b, s.MapValue.Shape, &n.elems[len(n.elems)-1], depth+1, hidden)
			return append(b, '}')
		}
		for i := 0; i < len(n.elems); i += 2 {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, string(n.elems[i].str))
			b = append(b, ':')
			b = appendRedacted(b, s.MapValue.Shape, &n.elems[i+1], depth+1, hidden)
		}
		return append(b, '}')
	case kString:
		return jsonw.AppendString(b, string(n.str))
	case kNumber, kTimestamp:
		if isJSONNumber(n.str) {
			return append(b, n.str...)
		}
		// A float beyond float64 keeps a text JSON cannot hold as a
		// number ("+Inf").
		return jsonw.AppendString(b, string(n.str))
	case kBool:
		return strconv.AppendBool(b, n.b)
	case kBlob:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, n.str)
		return append(b, '"')
	}
	return append(b, "null"...)
}

// isJSONNumber reports whether text is a JSON number.
func isJSONNumber(text []byte) bool {
	d := decoder{data: text}
	_, ok := d.number()
	return ok && d.pos == len(text)
}
