package policy

import (
	"strings"
)

// Validate checks a document against the policy grammar for the given kind.
// [Parse] calls it; call it directly for documents built in code. The error
// is a [*ValidationError].
func (d *Document) Validate(kind Kind) error {
	_, err := compileDocument(d, kind, "", 0)
	return err
}

// checkDocument validates the document-level elements.
func checkDocument(d *Document, kind Kind) error {
	if kind != IdentityBased && kind != ResourceBased {
		return errorf(KindStructure, "", "unknown policy kind %d", kind)
	}
	switch d.Version {
	case "", Version2012, Version2008:
	default:
		return errorf(KindValue, "Version", "unsupported policy version %q; valid versions are %q and %q (omitting Version means %q)",
			d.Version, Version2012, Version2008, Version2008)
	}
	if len(d.Statements) == 0 {
		return errorf(KindStructure, "Statement", "missing required element")
	}
	if kind == IdentityBased {
		seen := make(map[string]int)
		for i := range d.Statements {
			sid := d.Statements[i].Sid
			if sid == "" {
				continue
			}
			if j, dup := seen[sid]; dup {
				return errorf(KindValue, joinPath(stmtPath(i), "Sid"), "duplicate Sid %q (also used by Statement[%d]); Sids must be unique within a policy", sid, j)
			}
			seen[sid] = i
		}
	}
	return nil
}

// stmtPath names statement i. A lone statement object is also reported as
// Statement[0], which keeps paths uniform for callers that parse them.
func stmtPath(i int) string { return indexPath("Statement", i) }

// checkStatement validates the presence and combination of elements.
func checkStatement(st *Statement, kind Kind, path string) error {
	if st.Effect != EffectAllow && st.Effect != EffectDeny {
		return errorf(KindStructure, joinPath(path, "Effect"), "missing required element")
	}
	switch {
	case len(st.Action) > 0 && len(st.NotAction) > 0:
		return errorf(KindStructure, path, "a statement must not contain both Action and NotAction")
	case len(st.Action) == 0 && len(st.NotAction) == 0:
		return errorf(KindStructure, path, "a statement must contain Action or NotAction")
	}
	switch {
	case len(st.Resource) > 0 && len(st.NotResource) > 0:
		return errorf(KindStructure, path, "a statement must not contain both Resource and NotResource")
	case len(st.Resource) == 0 && len(st.NotResource) == 0:
		return errorf(KindStructure, path, "a statement must contain Resource or NotResource")
	}
	switch kind {
	case IdentityBased:
		if st.Principal != nil {
			return errorf(KindStructure, joinPath(path, "Principal"), "identity-based policies must not contain Principal")
		}
		if st.NotPrincipal != nil {
			return errorf(KindStructure, joinPath(path, "NotPrincipal"), "identity-based policies must not contain NotPrincipal")
		}
		if !isAlnum(st.Sid) {
			return errorf(KindValue, joinPath(path, "Sid"), "Sid %q must contain only ASCII letters and digits", st.Sid)
		}
	case ResourceBased:
		switch {
		case st.Principal != nil && st.NotPrincipal != nil:
			return errorf(KindStructure, path, "a statement must not contain both Principal and NotPrincipal")
		case st.Principal == nil && st.NotPrincipal == nil:
			return errorf(KindStructure, path, "a resource-based policy statement must contain Principal or NotPrincipal")
		}
	}
	return nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// checkAction accepts "*" or "prefix:name", where the service prefix is
// letters, digits and hyphens (wildcards allowed) and the name is printable
// ASCII without spaces or colons.
func checkAction(a, path string) error {
	if a == "*" {
		return nil
	}
	prefix, name, ok := strings.Cut(a, ":")
	if !ok || prefix == "" || name == "" {
		return errorf(KindValue, path, "invalid action %q: expected \"service:Action\" or \"*\"", a)
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '*' || c == '?') {
			return errorf(KindValue, path, "invalid action %q: bad character in service prefix %q", a, prefix)
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || c == ':' {
			return errorf(KindValue, path, "invalid action %q: action names are ASCII without spaces or colons", a)
		}
	}
	return nil
}

// checkResource accepts "*" or an ARN: "arn:" followed by at least the
// partition, service, region and account segments. A wildcard may stand in
// for trailing segments, since "*" can span colons.
func checkResource(r, path string) error {
	if r == "*" {
		return nil
	}
	if !strings.HasPrefix(r, "arn:") {
		return errorf(KindValue, path, "invalid resource %q: must be an ARN (arn:partition:service:region:account:resource) or \"*\"", r)
	}
	if strings.Count(r, ":") < 5 && !strings.Contains(r, "*") {
		return errorf(KindValue, path, "invalid resource %q: an ARN has six colon-separated parts", r)
	}
	return nil
}

// checkConditionKey requires "prefix:name", as IAM does ("condition keys
// must be prefaced by a vendor"). Tag keys may contain spaces, so only the
// prefix is restricted.
func checkConditionKey(k, path string) error {
	prefix, name, ok := strings.Cut(k, ":")
	if !ok || prefix == "" || name == "" {
		return errorf(KindValue, path, "invalid condition key %q: expected \"service:key\", such as \"aws:username\"", k)
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return errorf(KindValue, path, "invalid condition key %q: bad character in prefix %q", k, prefix)
		}
	}
	return nil
}

// checkPrincipal validates the values of a Principal or NotPrincipal
// element. AWS allows a wildcard only as the whole value "*".
func checkPrincipal(p *Principal, path string) error {
	if p.Wildcard {
		if len(p.AWS)+len(p.Service)+len(p.Federated)+len(p.CanonicalUser) > 0 {
			return errorf(KindStructure, path, "\"*\" cannot be combined with other principals")
		}
		return nil
	}
	if len(p.AWS)+len(p.Service)+len(p.Federated)+len(p.CanonicalUser) == 0 {
		return errorf(KindStructure, path, "must name at least one principal")
	}
	check := func(typ string, vals []string, allowStar bool) error {
		for i, v := range vals {
			vp := joinPath(path, typ)
			if len(vals) > 1 {
				vp = indexPath(vp, i)
			}
			if v == "" || strings.ContainsAny(v, " \t\r\n") {
				return errorf(KindValue, vp, "invalid principal %q", v)
			}
			if v == "*" && allowStar {
				continue
			}
			if strings.ContainsAny(v, "*?") {
				return errorf(KindValue, vp, "invalid principal %q: wildcards are not allowed in principals, except \"*\" alone", v)
			}
		}
		return nil
	}
	if err := check("AWS", p.AWS, true); err != nil {
		return err
	}
	if err := check("Service", p.Service, false); err != nil {
		return err
	}
	if err := check("Federated", p.Federated, false); err != nil {
		return err
	}
	return check("CanonicalUser", p.CanonicalUser, false)
}
