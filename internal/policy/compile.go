package policy

import (
	"fmt"
	"strings"
)

// Policy is a document with the caller's name for it (a managed policy ARN,
// "inline", a boundary ARN, ...). The name is reported in [Result].
type Policy struct {
	Name     string
	Document *Document
}

// Set is a permission set to compile: what an Identity Center role session
// carries. Identity policies grant; a permissions boundary and session
// policies, when present, cap what the identity policies grant.
type Set struct {
	// Identity are the identity-based policies (inline and managed).
	Identity []Policy
	// Boundary is the optional permissions boundary.
	Boundary *Policy
	// Session are the optional session policies (the inline Policy and the
	// PolicyArns of an AssumeRole-style call). Together they act as one
	// session policy: an allow from any of them counts.
	Session []Policy
}

// Compiled is a permission set compiled for evaluation. It is immutable and
// safe for concurrent use; evaluation does no parsing and, for the shapes
// real policies use, no allocation.
type Compiled struct {
	// denies holds every Deny statement of every layer, in layer order
	// (identity, boundary, session): any of them decides the request.
	denies []compiledStmt
	// Allow statements per layer, in policy and statement order, so that the
	// reported allow is the first one an author would find.
	identity    []compiledStmt
	boundary    []compiledStmt
	session     []compiledStmt
	hasBoundary bool
	hasSession  bool
}

// compiledStmt is a statement ready for evaluation.
type compiledStmt struct {
	effect Effect
	layer  Layer
	policy string
	index  int
	sid    string

	notAction bool
	actions   []pattern

	notResource bool
	resources   []pattern

	// principal is nil for identity policies.
	principal    *compiledPrincipal
	notPrincipal bool

	conds []compiledCond
	// vars lists the (lowercased) keys of the statement's variables that
	// have no default. If one cannot be resolved the statement does not
	// apply: "If AWS cannot resolve a variable this might cause the entire
	// statement to be invalid" (IAM User Guide, reference_policies_variables.html).
	vars []string
}

// Compile validates and compiles a permission set. Every document is
// validated as an identity policy; the error names the policy.
func Compile(s Set) (*Compiled, error) {
	c := &Compiled{}
	add := func(layer Layer, p Policy, allows *[]compiledStmt) error {
		stmts, err := compilePolicy(p, IdentityBased, layer)
		if err != nil {
			return err
		}
		for _, st := range stmts {
			if st.effect == EffectDeny {
				c.denies = append(c.denies, st)
			} else {
				*allows = append(*allows, st)
			}
		}
		return nil
	}
	for _, p := range s.Identity {
		if err := add(LayerIdentity, p, &c.identity); err != nil {
			return nil, err
		}
	}
	if s.Boundary != nil {
		c.hasBoundary = true
		if err := add(LayerBoundary, *s.Boundary, &c.boundary); err != nil {
			return nil, err
		}
	}
	for _, p := range s.Session {
		c.hasSession = true
		if err := add(LayerSession, p, &c.session); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// PolicyError wraps the validation error of one policy of a [Set] with its
// name, so the caller can tell which attached policy is broken.
type PolicyError struct {
	Policy string
	Layer  Layer
	Err    error
}

// Error reports the policy, its layer and the validation error.
func (e *PolicyError) Error() string {
	return fmt.Sprintf("%s policy %q: %v", e.Layer, e.Policy, e.Err)
}

// Unwrap returns the validation error.
func (e *PolicyError) Unwrap() error { return e.Err }

func compilePolicy(p Policy, kind Kind, layer Layer) ([]compiledStmt, error) {
	if p.Document == nil {
		return nil, &PolicyError{Policy: p.Name, Layer: layer, Err: errorf(KindStructure, "", "no document")}
	}
	stmts, err := compileDocument(p.Document, kind, p.Name, layer)
	if err != nil {
		return nil, &PolicyError{Policy: p.Name, Layer: layer, Err: err}
	}
	return stmts, nil
}

// compileDocument validates d and compiles its statements. Validation and
// compilation are one pass so that nothing Validate accepts can fail later.
func compileDocument(d *Document, kind Kind, name string, layer Layer) ([]compiledStmt, error) {
	if err := checkDocument(d, kind); err != nil {
		return nil, err
	}
	vars := d.variablesEnabled()
	out := make([]compiledStmt, 0, len(d.Statements))
	for i := range d.Statements {
		st := &d.Statements[i]
		path := stmtPath(i)
		if err := checkStatement(st, kind, path); err != nil {
			return nil, err
		}
		cs := compiledStmt{effect: st.Effect, layer: layer, policy: name, index: i, sid: st.Sid}

		actions, elem := st.Action, "Action"
		if len(st.NotAction) > 0 {
			actions, elem, cs.notAction = st.NotAction, "NotAction", true
		}
		for j, a := range actions {
			ap := listPath(path, elem, j, len(actions))
			if err := checkAction(a, ap); err != nil {
				return nil, err
			}
			p, err := compilePattern(a, true, false, true)
			if err != nil {
				return nil, withPath(err, ap)
			}
			cs.actions = append(cs.actions, p)
		}

		resources, elem := st.Resource, "Resource"
		if len(st.NotResource) > 0 {
			resources, elem, cs.notResource = st.NotResource, "NotResource", true
		}
		for j, r := range resources {
			rp := listPath(path, elem, j, len(resources))
			if err := checkResource(r, rp); err != nil {
				return nil, err
			}
			p, err := compilePattern(r, true, vars, false)
			if err != nil {
				return nil, withPath(err, rp)
			}
			cs.vars = patternVariables(cs.vars, &p)
			cs.resources = append(cs.resources, p)
		}

		if pr, elem := st.Principal, "Principal"; pr != nil || st.NotPrincipal != nil {
			if pr == nil {
				pr, elem, cs.notPrincipal = st.NotPrincipal, "NotPrincipal", true
			}
			if err := checkPrincipal(pr, joinPath(path, elem)); err != nil {
				return nil, err
			}
			cs.principal = compilePrincipal(pr)
		}

		seen := make(map[string]bool, len(st.Conditions))
		for j := range st.Conditions {
			c := &st.Conditions[j]
			opPath := joinPath(joinPath(path, "Condition"), c.Operator)
			if len(c.Values) == 0 {
				return nil, errorf(KindStructure, joinPath(opPath, c.Key), "must not be an empty array")
			}
			if err := checkConditionKey(c.Key, joinPath(opPath, c.Key)); err != nil {
				return nil, err
			}
			dupKey := c.Operator + "\x00" + lowerKey(c.Key)
			if seen[dupKey] {
				return nil, errorf(KindValue, joinPath(opPath, c.Key), "duplicate condition key %q (condition keys are case-insensitive)", c.Key)
			}
			seen[dupKey] = true
			cc, err := compileCondition(c, vars, opPath)
			if err != nil {
				return nil, err
			}
			cs.vars = cc.variables(cs.vars)
			cs.conds = append(cs.conds, cc)
		}
		out = append(out, cs)
	}
	return out, nil
}

func listPath(path, elem string, i, n int) string {
	p := joinPath(path, elem)
	if n > 1 {
		p = indexPath(p, i)
	}
	return p
}

// compiledPrincipal is a Principal element ready for matching.
type compiledPrincipal struct {
	any       bool
	accounts  []string // account IDs, from "123456789012" or an account root ARN
	arns      []string // other AWS principals, compared exactly
	services  []string
	federated []string
	canonical []string
}

func compilePrincipal(p *Principal) *compiledPrincipal {
	cp := &compiledPrincipal{any: p.Wildcard}
	for _, v := range p.AWS {
		switch {
		case v == "*":
			// The User Guide treats {"AWS": "*"} like "*".
			cp.any = true
		case isAccountID(v):
			cp.accounts = append(cp.accounts, v)
		default:
			if acct, ok := accountRoot(v); ok {
				cp.accounts = append(cp.accounts, acct)
			} else {
				cp.arns = append(cp.arns, v)
			}
		}
	}
	cp.services = append(cp.services, p.Service...)
	cp.federated = append(cp.federated, p.Federated...)
	cp.canonical = append(cp.canonical, p.CanonicalUser...)
	return cp
}

func isAccountID(s string) bool { return len(s) == 12 && allDigits(s) }

// accountRoot extracts the account from "arn:<partition>:iam::<account>:root".
func accountRoot(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, ":") // partition
	if !ok {
		return "", false
	}
	rest, ok = strings.CutPrefix(rest, "iam::")
	if !ok {
		return "", false
	}
	acct, res, ok := strings.Cut(rest, ":")
	if !ok || res != "root" || !isAccountID(acct) {
		return "", false
	}
	return acct, true
}

// matchesAny reports whether some element names the caller: the principal
// matches when any of the caller's identities is listed. Listing a role ARN
// therefore covers the role's sessions, and listing an account covers every
// principal in it.
func (p *compiledPrincipal) matchesAny(c *Caller) bool {
	if p.any {
		return true
	}
	if c == nil {
		return false
	}
	return (c.Account != "" && contains(p.accounts, c.Account)) ||
		(c.ARN != "" && contains(p.arns, c.ARN)) ||
		(c.SessionARN != "" && contains(p.arns, c.SessionARN)) ||
		(c.Service != "" && contains(p.services, c.Service)) ||
		(c.Federated != "" && contains(p.federated, c.Federated)) ||
		(c.CanonicalUser != "" && contains(p.canonical, c.CanonicalUser))
}

// excludes reports whether a NotPrincipal element exempts the caller. The
// User Guide (reference_policies_elements_notprincipal.html) requires every
// identity in the caller's chain to be listed: for a role session the
// session ARN, the role ARN and the account; for a user the user ARN and the
// account. Anything less leaves the caller subject to the statement.
func (p *compiledPrincipal) excludes(c *Caller) bool {
	if p.any {
		return true
	}
	if c == nil {
		return false
	}
	n := 0
	check := func(v string, list []string) bool {
		if v == "" {
			return true
		}
		n++
		return contains(list, v)
	}
	all := check(c.Account, p.accounts) &&
		check(c.ARN, p.arns) &&
		check(c.SessionARN, p.arns) &&
		check(c.Service, p.services) &&
		check(c.Federated, p.federated) &&
		check(c.CanonicalUser, p.canonical)
	return all && n > 0
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
