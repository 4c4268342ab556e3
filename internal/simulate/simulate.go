// Package simulate is the IAM policy simulator: it evaluates a set of
// policy documents against actions, resources and context keys as
// SimulateCustomPolicy and SimulatePrincipalPolicy do, and explains each
// decision the way IAM does: every statement that matched, with its
// position in the source document, the context keys the policies needed
// but the request lacked, and whether a permissions boundary allowed it.
//
// The decision itself is the policy engine's (policy.Compile); this package
// adds the explanation, by evaluating each statement on its own.
package simulate

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/policy"
)

// Source policy types, as the simulator's SourcePolicyType names them.
const (
	TypeUser        = "user"
	TypeGroup       = "group"
	TypeRole        = "role"
	TypeAWSManaged  = "aws-managed"
	TypeUserManaged = "user-managed"
	TypeResource    = "resource"
	TypeNone        = "none"
)

// Decisions, as the simulator spells them.
const (
	Allowed      = "allowed"
	ExplicitDeny = "explicitDeny"
	ImplicitDeny = "implicitDeny"
)

// Document is one policy of a simulation: its source text and what
// identifies it in MatchedStatements.
type Document struct {
	// ID is the SourcePolicyId: "PolicyInputList.1" for a custom policy,
	// the policy's name for a principal's.
	ID string
	// Type is the SourcePolicyType.
	Type string
	Text string
}

// ContextEntry is a context key of the simulated request. Type is one of
// the simulator's ContextKeyType values (string, stringList, numeric,
// numericList, boolean, booleanList, ip, ipList, binary, binaryList, date,
// dateList).
type ContextEntry struct {
	Key    string
	Values []string
	Type   string
}

// Input is one simulation.
type Input struct {
	Identity []Document
	// Boundary is the permissions boundary, nil for none.
	Boundary *Document
	// ResourcePolicy is a resource-based policy of the resources, nil for
	// none; CallerARN is the principal its Principal element is matched
	// against.
	ResourcePolicy *Document
	CallerARN      string
	Actions        []string
	// Resources are the resource ARNs; none means "*".
	Resources []string
	Context   []ContextEntry
}

// Position is a place in a policy document: 1-based line and column,
// columns counted in characters.
type Position struct {
	Line, Column int
}

// Statement is a statement that matched, with where it is.
type Statement struct {
	SourcePolicyID   string
	SourcePolicyType string
	Start, End       Position
}

// Result is the decision for one action on one resource.
type Result struct {
	Action, Resource string
	Decision         string
	Matched          []Statement
	// Missing are the context keys that statements relevant to the
	// action and resource test, or use as variables, but that the
	// request did not supply.
	Missing []string
	// BoundaryAllowed is whether the permissions boundary allows the
	// request; nil without a boundary.
	BoundaryAllowed *bool
}

// Error is an invalid simulation input; its message is safe to show the
// caller, who answers InvalidInput with it.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func inputErrorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// stmt is one statement of one document, compiled on its own three ways:
// as written, and without conditions (with and without its resource) to
// learn whether the action and the resource are what it is about.
type stmt struct {
	doc    *Document
	layer  policy.Layer
	effect policy.Effect
	span   span
	// keys are the condition keys and variables the statement needs;
	// resourceVars the variables of its Resource or NotResource.
	keys, resourceVars []string

	full, actionResource, action evaluator
}

type evaluator interface {
	applies(req *policy.Request) bool
}

type identityEval struct{ c *policy.Compiled }

func (e identityEval) applies(req *policy.Request) bool {
	return e.c.Evaluate(req).Decision != policy.ImplicitDeny
}

type resourceEval struct{ r *policy.ResourcePolicy }

func (e resourceEval) applies(req *policy.Request) bool {
	return e.r.Evaluate(req).Decision != policy.ImplicitDeny
}

// Run simulates every action on every resource, in order (actions outer,
// resources inner), and returns one result per pair.
func Run(in Input) ([]Result, error) {
	var ctx policy.Context
	if err := fillContext(&ctx, in.Context); err != nil {
		return nil, err
	}
	set := policy.Set{}
	var stmts []stmt
	for i := range in.Identity {
		d := &in.Identity[i]
		doc, ss, err := compileDoc(d, policy.IdentityBased, policy.LayerIdentity)
		if err != nil {
			return nil, err
		}
		set.Identity = append(set.Identity, policy.Policy{Name: d.ID, Document: doc})
		stmts = append(stmts, ss...)
	}
	if in.Boundary != nil {
		doc, ss, err := compileDoc(in.Boundary, policy.IdentityBased, policy.LayerBoundary)
		if err != nil {
			return nil, err
		}
		set.Boundary = &policy.Policy{Name: in.Boundary.ID, Document: doc}
		stmts = append(stmts, ss...)
	}
	compiled, err := policy.Compile(set)
	if err != nil {
		return nil, inputErrorf("%v", err)
	}
	var rp *policy.ResourcePolicy
	if in.ResourcePolicy != nil {
		doc, ss, err := compileDoc(in.ResourcePolicy, policy.ResourceBased, policy.LayerResource)
		if err != nil {
			return nil, err
		}
		if rp, err = policy.CompileResourcePolicy(policy.Policy{Name: in.ResourcePolicy.ID, Document: doc}); err != nil {
			return nil, inputErrorf("%v", err)
		}
		stmts = append(stmts, ss...)
	}
	caller := callerOf(in.CallerARN)

	resources := in.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	out := make([]Result, 0, len(in.Actions)*len(resources))
	for _, action := range in.Actions {
		for _, resource := range resources {
			req := &policy.Request{Action: action, Resource: resource, Context: &ctx, Caller: caller}
			out = append(out, explain(compiled, rp, stmts, req, in.Boundary != nil))
		}
	}
	return out, nil
}

// explain decides one request and gathers what explains the decision.
func explain(c *policy.Compiled, rp *policy.ResourcePolicy, stmts []stmt, req *policy.Request, hasBoundary bool) Result {
	res := Result{Action: req.Action, Resource: req.Resource, Matched: []Statement{}, Missing: []string{}}
	r := c.EvaluateWithResource(req, rp)
	switch r.Decision {
	case policy.Allow:
		res.Decision = Allowed
	case policy.ExplicitDeny:
		res.Decision = ExplicitDeny
	default:
		res.Decision = ImplicitDeny
	}
	boundaryAllow, boundaryDeny := false, false
	seen := map[string]bool{}
	for i := range stmts {
		s := &stmts[i]
		if !s.action.applies(req) {
			continue
		}
		if s.actionResource.applies(req) || needsVariables(s, req.Context) {
			for _, k := range s.keys {
				if req.Context.Values(k) == nil && !seen[strings.ToLower(k)] {
					seen[strings.ToLower(k)] = true
					res.Missing = append(res.Missing, k)
				}
			}
		}
		if !s.full.applies(req) {
			continue
		}
		if s.layer == policy.LayerBoundary {
			if s.effect == policy.EffectAllow {
				boundaryAllow = true
			} else {
				boundaryDeny = true
			}
		}
		// The statements shown are those that made the decision: every
		// applicable Deny for an explicit deny, every applicable Allow of
		// the identity and resource policies for an allow.
		show := (res.Decision == ExplicitDeny && s.effect == policy.EffectDeny) ||
			(res.Decision == Allowed && s.effect == policy.EffectAllow && s.layer != policy.LayerBoundary)
		if show {
			res.Matched = append(res.Matched, Statement{SourcePolicyID: s.doc.ID, SourcePolicyType: s.doc.Type, Start: s.span.start, End: s.span.end})
		}
	}
	if hasBoundary {
		allowed := boundaryAllow && !boundaryDeny
		res.BoundaryAllowed = &allowed
	}
	return res
}

// needsVariables reports whether a statement's resource uses a variable
// the context lacks: its resource cannot be matched without it, so the
// key is reported missing.
func needsVariables(s *stmt, ctx *policy.Context) bool {
	for _, k := range s.resourceVars {
		if ctx.Values(k) == nil {
			return true
		}
	}
	return false
}

// compileDoc parses a document of the simulation and compiles each of its
// statements on its own.
func compileDoc(d *Document, kind policy.Kind, layer policy.Layer) (*policy.Document, []stmt, error) {
	doc, err := policy.Parse([]byte(d.Text), kind)
	if err != nil {
		return nil, nil, inputErrorf("%s: %v", d.ID, err)
	}
	spans := statementSpans(d.Text)
	out := make([]stmt, 0, len(doc.Statements))
	for i, st := range doc.Statements {
		keys, resourceVars := statementKeys(doc, &st)
		s := stmt{doc: d, layer: layer, effect: st.Effect, keys: keys, resourceVars: resourceVars}
		if i < len(spans) {
			s.span = spans[i]
		}
		conditionless := st
		conditionless.Effect, conditionless.Conditions = policy.EffectAllow, nil
		actionOnly := conditionless
		actionOnly.Resource, actionOnly.NotResource = []string{"*"}, nil
		for _, v := range []struct {
			st  policy.Statement
			dst *evaluator
		}{{st, &s.full}, {conditionless, &s.actionResource}, {actionOnly, &s.action}} {
			one := &policy.Document{Version: doc.Version, ID: doc.ID, Statements: []policy.Statement{v.st}}
			e, err := compileOne(one, kind, d.ID)
			if err != nil {
				return nil, nil, err
			}
			*v.dst = e
		}
		out = append(out, s)
	}
	return doc, out, nil
}

func compileOne(doc *policy.Document, kind policy.Kind, name string) (evaluator, error) {
	if kind == policy.ResourceBased {
		r, err := policy.CompileResourcePolicy(policy.Policy{Name: name, Document: doc})
		if err != nil {
			return nil, inputErrorf("%s: %v", name, err)
		}
		return resourceEval{r}, nil
	}
	c, err := policy.Compile(policy.Set{Identity: []policy.Policy{{Name: name, Document: doc}}})
	if err != nil {
		return nil, inputErrorf("%s: %v", name, err)
	}
	return identityEval{c}, nil
}

// variable matches a policy variable and captures its key and whether it
// has a default ("${key, 'default'}").
var variable = regexp.MustCompile(`\$\{([^}',]+)(,[^}]*)?\}`)

// statementKeys lists the context keys a statement needs: its condition
// keys, and the keys of the variables (without defaults) in its resources
// and condition values, which only 2012-10-17 documents have. It also
// returns the variables of the resources alone.
func statementKeys(doc *policy.Document, st *policy.Statement) (keys, resourceVars []string) {
	seen := map[string]bool{}
	add := func(k string) {
		k = strings.TrimSpace(k)
		if k == "" || k == "*" || k == "?" || k == "$" || seen[strings.ToLower(k)] {
			return
		}
		seen[strings.ToLower(k)] = true
		keys = append(keys, k)
	}
	vars := func(s string, also *[]string) {
		if doc.Version != policy.Version2012 {
			return
		}
		for _, m := range variable.FindAllStringSubmatch(s, -1) {
			if m[2] == "" {
				add(m[1])
				if also != nil {
					*also = append(*also, strings.TrimSpace(m[1]))
				}
			}
		}
	}
	for _, c := range st.Conditions {
		add(c.Key)
		for _, v := range c.Values {
			vars(v, nil)
		}
	}
	for _, r := range append(append([]string{}, st.Resource...), st.NotResource...) {
		vars(r, &resourceVars)
	}
	return keys, resourceVars
}

// callerOf describes the caller a resource policy's Principal element is
// matched against: the account of an IAM or STS ARN and the ARN itself (a
// role's sessions match its role ARN too).
func callerOf(arn string) *policy.Caller {
	if arn == "" {
		return nil
	}
	c := &policy.Caller{ARN: arn}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		c.Account = parts[4]
		if parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/") {
			c.SessionARN = arn
			role, _, _ := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
			c.ARN = "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
		}
	}
	return c
}

// ---- context entries ----

var numeric = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)$`)

// fillContext adds the simulation's context entries to ctx, checking each
// value against its declared type.
func fillContext(ctx *policy.Context, entries []ContextEntry) error {
	for _, e := range entries {
		if e.Key == "" {
			return inputErrorf("ContextKeyName is required in every context entry.")
		}
		typ := e.Type
		list := strings.HasSuffix(typ, "List")
		base := strings.TrimSuffix(typ, "List")
		if len(e.Values) == 0 {
			return inputErrorf("Context key %s has no values.", e.Key)
		}
		if !list && len(e.Values) > 1 {
			return inputErrorf("Context key %s of type %s takes one value; use %sList for several.", e.Key, typ, typ)
		}
		for _, v := range e.Values {
			if err := checkValue(base, v); err != nil {
				return inputErrorf("Invalid value %q for context key %s of type %s: %v.", v, e.Key, typ, err)
			}
			ctx.Add(e.Key, v)
		}
	}
	return nil
}

func checkValue(typ, v string) error {
	switch typ {
	case "", "string":
		return nil
	case "numeric":
		if !numeric.MatchString(v) {
			return errors.New("not a number")
		}
	case "boolean":
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return errors.New("not true or false")
		}
	case "ip":
		if _, err := netip.ParseAddr(v); err == nil {
			return nil
		}
		if _, err := netip.ParsePrefix(v); err != nil {
			return errors.New("not an IP address or CIDR block")
		}
	case "binary":
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			return errors.New("not base64")
		}
	case "date":
		if !isDate(v) {
			return errors.New("not an ISO 8601 date or epoch seconds")
		}
	default:
		return fmt.Errorf("unknown type %s", typ)
	}
	return nil
}

func isDate(v string) bool {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if _, err := time.Parse(layout, v); err == nil {
			return true
		}
	}
	return false
}
