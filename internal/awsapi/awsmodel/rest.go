package awsmodel

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// route is one REST operation's method and URI template.
type route struct {
	op       *Operation
	segments []segment
	query    map[string]string // literal query parameters the URI requires
	score    int               // specificity: literal segments and query parameters
}

type segment struct {
	literal string
	label   string // set for {label} and {label+}
	greedy  bool   // {label+}: matches the rest of the path
}

func (s *Service) buildRoutes() error {
	for _, op := range s.opList {
		uri := op.RequestURI
		rt := route{op: op}
		path, rawQuery, _ := strings.Cut(uri, "?")
		if rawQuery != "" {
			q, err := url.ParseQuery(rawQuery)
			if err != nil {
				return fmt.Errorf("operation %s: request URI %q: %w", op.Name, uri, err)
			}
			rt.query = make(map[string]string, len(q))
			for k, v := range q {
				rt.query[k] = v[0]
				rt.score++
			}
		}
		for _, part := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
				label := part[1 : len(part)-1]
				greedy := strings.HasSuffix(label, "+")
				rt.segments = append(rt.segments, segment{label: strings.TrimSuffix(label, "+"), greedy: greedy})
				continue
			}
			rt.segments = append(rt.segments, segment{literal: part})
			rt.score += 10
		}
		s.routes = append(s.routes, rt)
	}
	return nil
}

// RouteHTTP finds the REST-JSON operation addressed by method and path
// (the decoded URL path) and query, e.g. GET /federation/credentials →
// GetRoleCredentials. It also returns the values of the URI's {labels}.
// When several operations match, the most specific wins: "POST
// /token?aws_iam=t" is CreateTokenWithIAM, plain "POST /token" CreateToken.
func (s *Service) RouteHTTP(method, path string, query url.Values) (*Operation, map[string]string, bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var best *route
	var bestLabels map[string]string
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.op.Method != method || best != nil && rt.score <= best.score {
			continue
		}
		labels, ok := rt.match(parts)
		if !ok {
			continue
		}
		if !rt.queryMatches(query) {
			continue
		}
		best, bestLabels = rt, labels
	}
	if best == nil {
		return nil, nil, false
	}
	return best.op, bestLabels, true
}

func (rt *route) match(parts []string) (map[string]string, bool) {
	var labels map[string]string
	for i, seg := range rt.segments {
		if seg.greedy {
			if i >= len(parts) {
				return nil, false
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[seg.label] = strings.Join(parts[i:], "/")
			return labels, true
		}
		if i >= len(parts) {
			return nil, false
		}
		if seg.label != "" {
			if parts[i] == "" {
				return nil, false
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[seg.label] = parts[i]
			continue
		}
		if parts[i] != seg.literal {
			return nil, false
		}
	}
	return labels, len(parts) == len(rt.segments)
}

func (rt *route) queryMatches(q url.Values) bool {
	for k, v := range rt.query {
		if !q.Has(k) || v != "" && q.Get(k) != v {
			return false
		}
	}
	return true
}

// HTTPRequest is the part of a REST request that carries input: where each
// top-level input member comes from is given by Member.Location and
// Member.LocationName.
type HTTPRequest struct {
	Labels map[string]string // URI label values, as returned by RouteHTTP
	Query  url.Values
	Header http.Header
	Body   []byte
}

// ValidateHTTP validates a REST-JSON request of operation: body members are
// decoded from the JSON body (an empty body is {}), the others are read as
// text from the URI labels, query string and headers. It returns nil, an
// *Error for the client, or an error wrapping ErrUnknownOperation.
func (s *Service) ValidateHTTP(operation string, r HTTPRequest) error {
	in, err := s.inputShape(operation)
	if err != nil {
		return err
	}
	var root node
	if !isBlank(r.Body) {
		if e := s.decodeBody(in, r.Body, &root); e != nil {
			return e
		}
	} else {
		root = node{kind: kStruct, elems: make([]node, len(in.Members))}
	}
	bound := make(map[string]bool)
	for _, m := range in.Members {
		if m.Location == LocationQuery && m.Shape.Type != TypeMap {
			bound[m.LocationName] = true
		}
	}
	c := converter{}
	for i, m := range in.Members {
		v, present := bindingValue(m, r, bound)
		if !present {
			continue
		}
		c.value(m.Shape, v, &root.elems[i], 2)
		if c.err != nil {
			return c.err
		}
	}
	return s.check(in, &root)
}

// bindingValue reads the text of a non-body member from the request.
func bindingValue(m *Member, r HTTPRequest, bound map[string]bool) (any, bool) {
	switch m.Location {
	case LocationURI:
		v, ok := r.Labels[m.LocationName]
		return v, ok
	case LocationQuery:
		switch m.Shape.Type {
		case TypeMap:
			// A map bound to the query string takes every parameter no
			// other member claims.
			out := map[string]any{}
			for k, vs := range r.Query {
				if bound[k] {
					continue
				}
				if m.Shape.MapValue.Shape.Type == TypeList {
					out[k] = vs
				} else {
					out[k] = vs[0]
				}
			}
			return out, len(out) > 0
		case TypeList:
			vs, ok := r.Query[m.LocationName]
			return vs, ok
		}
		if !r.Query.Has(m.LocationName) {
			return nil, false
		}
		return r.Query.Get(m.LocationName), true
	case LocationHeader:
		vs := r.Header.Values(m.LocationName)
		if len(vs) == 0 {
			return nil, false
		}
		if m.Shape.Type == TypeList {
			var items []string
			for _, v := range vs {
				for _, item := range strings.Split(v, ",") {
					items = append(items, strings.TrimSpace(item))
				}
			}
			return items, true
		}
		return strings.Join(vs, ","), true
	case LocationHeaders:
		out := map[string]any{}
		prefix := strings.ToLower(m.LocationName)
		for k, vs := range r.Header {
			if lk := strings.ToLower(k); strings.HasPrefix(lk, prefix) {
				out[lk[len(prefix):]] = strings.Join(vs, ",")
			}
		}
		return out, len(out) > 0
	}
	return nil, false
}
