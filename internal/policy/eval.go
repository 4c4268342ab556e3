package policy

import (
	"fmt"
	"strconv"
)

// Decision is the outcome of an evaluation. The zero value is ImplicitDeny,
// so a Result that was never filled in denies.
type Decision uint8

const (
	// ImplicitDeny: no applicable allow in some required layer.
	ImplicitDeny Decision = iota
	// Allow: allowed by every required layer and denied by none.
	Allow
	// ExplicitDeny: a Deny statement applies.
	ExplicitDeny
)

// String returns "Allow", "ExplicitDeny" or "ImplicitDeny".
func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return fmt.Sprintf("Decision(%d)", uint8(d))
}

// Layer is the kind of policy a statement came from.
type Layer uint8

const (
	// LayerIdentity: identity-based policies (inline and managed).
	LayerIdentity Layer = iota + 1
	// LayerBoundary: the permissions boundary.
	LayerBoundary
	// LayerSession: session policies.
	LayerSession
	// LayerResource: a resource-based policy.
	LayerResource
)

// String returns "identity", "boundary", "session" or "resource".
func (l Layer) String() string {
	switch l {
	case LayerIdentity:
		return "identity"
	case LayerBoundary:
		return "boundary"
	case LayerSession:
		return "session"
	case LayerResource:
		return "resource"
	}
	return fmt.Sprintf("Layer(%d)", uint8(l))
}

// Result is a decision and what decided it.
//
// For Allow, the statement is the first matching Allow of the identity
// policies (or of the resource policy when only it grants). For
// ExplicitDeny, it is the matching Deny. For ImplicitDeny, Layer names the
// layer that lacked an allow, and Policy is empty and Statement is -1.
type Result struct {
	Decision Decision
	Layer    Layer
	// Policy is the caller-given name of the deciding policy.
	Policy string
	// Statement is the index of the deciding statement in the policy's
	// Statement array, or -1.
	Statement int
	// Sid is the deciding statement's Sid, if it has one.
	Sid string
}

// String describes the result for logs and audit records.
func (r Result) String() string {
	if r.Statement < 0 || r.Policy == "" && r.Decision == ImplicitDeny {
		return r.Decision.String() + " (no allow in " + r.Layer.String() + " policies)"
	}
	s := r.Decision.String() + " by " + r.Layer.String() + " policy " + strconv.Quote(r.Policy) +
		" Statement[" + strconv.Itoa(r.Statement) + "]"
	if r.Sid != "" {
		s += " (Sid " + strconv.Quote(r.Sid) + ")"
	}
	return s
}

func implicitDeny(l Layer) Result { return Result{Decision: ImplicitDeny, Layer: l, Statement: -1} }

func (s *compiledStmt) result(d Decision) Result {
	return Result{Decision: d, Layer: s.layer, Policy: s.policy, Statement: s.index, Sid: s.sid}
}

// Evaluate decides req following the IAM policy evaluation logic for a role
// session: an explicit Deny in any policy wins; otherwise the request needs
// an Allow from the identity policies, and from the permissions boundary if
// the set has one, and from the session policies if it has any.
func (c *Compiled) Evaluate(req *Request) Result {
	return c.EvaluateWithResource(req, nil)
}

// EvaluateWithResource decides a same-account request where the resource
// also has a resource-based policy rp (nil for none). An explicit Deny in
// either wins. An Allow from rp can stand in for a missing identity Allow,
// but the permissions boundary and the session policies still cap it: this
// is deliberately narrower than AWS, which in some same-account cases lets a
// resource policy that names a session ARN bypass them (see docs/policy.md).
func (c *Compiled) EvaluateWithResource(req *Request, rp *ResourcePolicy) Result {
	if c == nil || req == nil {
		return implicitDeny(LayerIdentity)
	}
	for i := range c.denies {
		if s := &c.denies[i]; s.applies(req) {
			return s.result(ExplicitDeny)
		}
	}
	if rp != nil {
		for i := range rp.stmts {
			if s := &rp.stmts[i]; s.effect == EffectDeny && s.applies(req) {
				return s.result(ExplicitDeny)
			}
		}
	}
	res, ok := firstAllow(c.identity, req)
	if !ok && rp != nil {
		res, ok = firstAllow(rp.stmts, req)
	}
	if !ok {
		return implicitDeny(LayerIdentity)
	}
	if c.hasBoundary {
		if _, ok := firstAllow(c.boundary, req); !ok {
			return implicitDeny(LayerBoundary)
		}
	}
	if c.hasSession {
		if _, ok := firstAllow(c.session, req); !ok {
			return implicitDeny(LayerSession)
		}
	}
	return res
}

func firstAllow(stmts []compiledStmt, req *Request) (Result, bool) {
	for i := range stmts {
		if s := &stmts[i]; s.effect == EffectAllow && s.applies(req) {
			return s.result(Allow), true
		}
	}
	return Result{}, false
}

// applies reports whether the statement matches the request: action,
// variables, resource, principal and every condition.
func (s *compiledStmt) applies(req *Request) bool {
	if !s.matchAction(req.Action) {
		return false
	}
	ctx := req.Context
	for _, v := range s.vars {
		if _, ok := ctx.single(v); !ok {
			return false
		}
	}
	if !s.matchResource(req.Resource, ctx) {
		return false
	}
	if s.principal != nil {
		if s.notPrincipal {
			if s.principal.excludes(req.Caller) {
				return false
			}
		} else if !s.principal.matchesAny(req.Caller) {
			return false
		}
	}
	for i := range s.conds {
		if !s.conds[i].eval(ctx) {
			return false
		}
	}
	return true
}

func (s *compiledStmt) matchAction(action string) bool {
	for i := range s.actions {
		if s.actions[i].match(action, nil) {
			return !s.notAction
		}
	}
	return s.notAction
}

func (s *compiledStmt) matchResource(resource string, ctx *Context) bool {
	for i := range s.resources {
		if s.resources[i].match(resource, ctx) {
			return !s.notResource
		}
	}
	return s.notResource
}

// ResourcePolicy is a compiled resource-based policy, such as an S3 bucket
// policy. It is immutable and safe for concurrent use.
type ResourcePolicy struct {
	stmts []compiledStmt
}

// CompileResourcePolicy validates p as a resource-based policy and compiles it.
func CompileResourcePolicy(p Policy) (*ResourcePolicy, error) {
	stmts, err := compilePolicy(p, ResourceBased, LayerResource)
	if err != nil {
		return nil, err
	}
	return &ResourcePolicy{stmts: stmts}, nil
}

// Evaluate decides req against the resource policy alone: ExplicitDeny if a
// Deny statement applies to the caller, Allow if an Allow does, otherwise
// ImplicitDeny. Use [Compiled.EvaluateWithResource] to combine it with the
// caller's own permissions.
func (r *ResourcePolicy) Evaluate(req *Request) Result {
	if r == nil || req == nil {
		return implicitDeny(LayerResource)
	}
	for i := range r.stmts {
		if s := &r.stmts[i]; s.effect == EffectDeny && s.applies(req) {
			return s.result(ExplicitDeny)
		}
	}
	if res, ok := firstAllow(r.stmts, req); ok {
		return res
	}
	return implicitDeny(LayerResource)
}
