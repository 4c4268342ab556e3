package policy

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The property tests draw policies and requests from small vocabularies so
// that random statements actually match random requests.
var (
	propActions        = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "ec2:RunInstances", "iam:CreateUser"}
	propActionPatterns = []string{"s3:GetObject", "s3:PutObject", "s3:*", "s3:Get*", "*", "ec2:*", "iam:Create*", "S3:getobject", "*:*Object"}
	propResources      = []string{"arn:aws:s3:::a/x", "arn:aws:s3:::a/y", "arn:aws:s3:::b/x", "arn:aws:iam::1:user/bob", "*"}
	propResPatterns    = []string{"*", "arn:aws:s3:::a/*", "arn:aws:s3:::?/x", "arn:aws:s3:::b/x", "arn:aws:s3:::${aws:username}/*",
		"arn:aws:s3:::${aws:PrincipalTag/team, 'a'}/x", "arn:aws:*", "arn:aws:iam::*:user/${aws:username}"}
	propConditions = []Condition{
		{Operator: "StringEquals", Key: "aws:username", Values: []string{"a"}},
		{Operator: "StringNotEquals", Key: "aws:username", Values: []string{"a", "b"}},
		{Operator: "StringLike", Key: "aws:PrincipalTag/team", Values: []string{"a*"}},
		{Operator: "StringNotLikeIfExists", Key: "aws:PrincipalTag/team", Values: []string{"b?"}},
		{Operator: "Bool", Key: "aws:MultiFactorAuthPresent", Values: []string{"true"}},
		{Operator: "BoolIfExists", Key: "aws:MultiFactorAuthPresent", Values: []string{"false"}},
		{Operator: "Null", Key: "aws:username", Values: []string{"true"}},
		{Operator: "IpAddress", Key: "aws:SourceIp", Values: []string{"10.0.0.0/8"}},
		{Operator: "NotIpAddress", Key: "aws:SourceIp", Values: []string{"10.1.0.0/16"}},
		{Operator: "NumericLessThan", Key: "aws:MultiFactorAuthAge", Values: []string{"100"}},
		{Operator: "DateGreaterThan", Key: "aws:TokenIssueTime", Values: []string{"2024-01-01T00:00:00Z"}},
		{Operator: "ForAllValues:StringEquals", Key: "aws:TagKeys", Values: []string{"env", "team"}},
		{Operator: "ForAnyValue:StringNotEquals", Key: "aws:TagKeys", Values: []string{"env"}},
		{Operator: "ArnLike", Key: "aws:PrincipalArn", Values: []string{"arn:aws:iam::*:user/${aws:username}"}},
		{Operator: "StringEquals", Key: "s3:prefix", Values: []string{"home/${aws:username}"}},
	}
	propContext = [][2]string{
		{"aws:username", "a"}, {"aws:username", "b"}, {"aws:PrincipalTag/team", "a1"}, {"aws:PrincipalTag/team", "bb"},
		{"aws:MultiFactorAuthPresent", "true"}, {"aws:MultiFactorAuthPresent", "false"}, {"aws:SourceIp", "10.1.2.3"},
		{"aws:SourceIp", "192.0.2.1"}, {"aws:MultiFactorAuthAge", "50"}, {"aws:MultiFactorAuthAge", "500"},
		{"aws:TokenIssueTime", "2023-06-01T00:00:00Z"}, {"aws:TokenIssueTime", "2024-06-01T00:00:00Z"},
		{"aws:TagKeys", "env"}, {"aws:TagKeys", "team"}, {"aws:TagKeys", "cost"},
		{"aws:PrincipalArn", "arn:aws:iam::1:user/a"}, {"s3:prefix", "home/a"}, {"s3:prefix", "home/b"},
	}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func randStatement(r *rand.Rand, effect Effect) Statement {
	st := Statement{Effect: effect}
	n := 1 + r.IntN(2)
	acts := make([]string, n)
	for i := range acts {
		acts[i] = pick(r, propActionPatterns)
	}
	if r.IntN(5) == 0 {
		st.NotAction = acts
	} else {
		st.Action = acts
	}
	res := make([]string, 1+r.IntN(2))
	for i := range res {
		res[i] = pick(r, propResPatterns)
	}
	if r.IntN(5) == 0 {
		st.NotResource = res
	} else {
		st.Resource = res
	}
	for i, nc := 0, r.IntN(3); i < nc; i++ {
		c := pick(r, propConditions)
		dup := false
		for _, have := range st.Conditions {
			dup = dup || (have.Operator == c.Operator && have.Key == c.Key)
		}
		if !dup {
			st.Conditions = append(st.Conditions, c)
		}
	}
	return st
}

func randDocument(r *rand.Rand, allowBias int) *Document {
	d := &Document{Version: Version2012}
	for i, n := 0, 1+r.IntN(3); i < n; i++ {
		eff := EffectAllow
		if r.IntN(10) >= allowBias {
			eff = EffectDeny
		}
		d.Statements = append(d.Statements, randStatement(r, eff))
	}
	return d
}

func randSet(r *rand.Rand) Set {
	var s Set
	for i, n := 0, r.IntN(3); i < n; i++ {
		s.Identity = append(s.Identity, Policy{Name: fmt.Sprintf("id%d", i), Document: randDocument(r, 8)})
	}
	return s
}

func randRequest(r *rand.Rand) *Request {
	var ctx Context
	for _, p := range propContext {
		if r.IntN(3) == 0 {
			ctx.Add(p[0], p[1])
		}
	}
	return &Request{Action: pick(r, propActions), Resource: pick(r, propResources), Context: &ctx}
}

func mustCompile(t *testing.T, s Set) *Compiled {
	t.Helper()
	c, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

func cloneDoc(d *Document) *Document {
	c := *d
	c.Statements = append([]Statement(nil), d.Statements...)
	return &c
}

func cloneSet(s Set) Set {
	c := Set{Boundary: s.Boundary}
	for _, p := range s.Identity {
		c.Identity = append(c.Identity, Policy{Name: p.Name, Document: cloneDoc(p.Document)})
	}
	for _, p := range s.Session {
		c.Session = append(c.Session, Policy{Name: p.Name, Document: cloneDoc(p.Document)})
	}
	if s.Boundary != nil {
		c.Boundary = &Policy{Name: s.Boundary.Name, Document: cloneDoc(s.Boundary.Document)}
	}
	return c
}

const propIterations = 1500

// TestPropertyAddingDenyNeverGrants: adding a Deny statement anywhere never
// turns a denied request into an allowed one, and an allowed request either
// stays allowed or becomes an explicit deny.
func TestPropertyAddingDenyNeverGrants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < propIterations; i++ {
		base := randSet(r)
		if r.IntN(2) == 0 {
			base.Boundary = &Policy{Name: "b", Document: randDocument(r, 9)}
		}
		more := cloneSet(base)
		deny := randStatement(r, EffectDeny)
		switch {
		case len(more.Identity) > 0 && r.IntN(2) == 0:
			p := &more.Identity[r.IntN(len(more.Identity))]
			p.Document.Statements = append(p.Document.Statements, deny)
		case more.Boundary != nil && r.IntN(2) == 0:
			more.Boundary.Document.Statements = append(more.Boundary.Document.Statements, deny)
		default:
			more.Identity = append(more.Identity, Policy{Name: "deny", Document: &Document{Version: Version2012, Statements: []Statement{deny}}})
		}
		before, after := mustCompile(t, base), mustCompile(t, more)
		for j := 0; j < 10; j++ {
			req := randRequest(r)
			b, a := before.Evaluate(req), after.Evaluate(req)
			if b.Decision != Allow && a.Decision == Allow {
				t.Fatalf("adding a Deny granted %s on %s: before %s, after %s", req.Action, req.Resource, b, a)
			}
			if b.Decision == Allow && a.Decision == ImplicitDeny {
				t.Fatalf("adding a Deny removed an allow: before %s, after %s", b, a)
			}
		}
	}
}

// TestPropertyRemovingAllowNeverGrants: removing an Allow statement (from
// any layer) never grants, and never lifts an explicit deny.
func TestPropertyRemovingAllowNeverGrants(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	// Replacing the statement with one that matches no request removes it
	// without emptying the policy (an empty boundary would change meaning).
	inert := Statement{Effect: EffectAllow, Action: []string{"none:Nothing"}, Resource: []string{"*"}}
	for i := 0; i < propIterations; i++ {
		base := randSet(r)
		if r.IntN(2) == 0 {
			base.Boundary = &Policy{Name: "b", Document: randDocument(r, 9)}
		}
		if r.IntN(2) == 0 {
			base.Session = []Policy{{Name: "s", Document: randDocument(r, 9)}}
		}
		less := cloneSet(base)
		var docs []*Document
		for _, p := range less.Identity {
			docs = append(docs, p.Document)
		}
		if less.Boundary != nil {
			docs = append(docs, less.Boundary.Document)
		}
		for _, p := range less.Session {
			docs = append(docs, p.Document)
		}
		type loc struct{ d, s int }
		var allows []loc
		for di, d := range docs {
			for si, st := range d.Statements {
				if st.Effect == EffectAllow {
					allows = append(allows, loc{di, si})
				}
			}
		}
		if len(allows) == 0 {
			continue
		}
		l := pick(r, allows)
		docs[l.d].Statements[l.s] = inert
		before, after := mustCompile(t, base), mustCompile(t, less)
		for j := 0; j < 10; j++ {
			req := randRequest(r)
			b, a := before.Evaluate(req), after.Evaluate(req)
			if b.Decision != Allow && a.Decision == Allow {
				t.Fatalf("removing an Allow granted %s on %s: before %s, after %s", req.Action, req.Resource, b, a)
			}
			if b.Decision == ExplicitDeny && a.Decision != ExplicitDeny {
				t.Fatalf("removing an Allow lifted a deny: before %s, after %s", b, a)
			}
		}
	}
}

// TestPropertyBoundaryAndSessionNeverWiden: adding a permissions boundary or
// session policies to a set that had none never grants anything new.
func TestPropertyBoundaryAndSessionNeverWiden(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < propIterations; i++ {
		base := randSet(r)
		capped := cloneSet(base)
		switch r.IntN(3) {
		case 0:
			capped.Boundary = &Policy{Name: "b", Document: randDocument(r, 7)}
		case 1:
			capped.Session = []Policy{{Name: "s1", Document: randDocument(r, 7)}, {Name: "s2", Document: randDocument(r, 7)}}
		default:
			capped.Boundary = &Policy{Name: "b", Document: randDocument(r, 7)}
			capped.Session = []Policy{{Name: "s", Document: randDocument(r, 7)}}
		}
		before, after := mustCompile(t, base), mustCompile(t, capped)
		for j := 0; j < 10; j++ {
			req := randRequest(r)
			b, a := before.Evaluate(req), after.Evaluate(req)
			if b.Decision != Allow && a.Decision == Allow {
				t.Fatalf("a boundary/session policy widened %s on %s: before %s, after %s", req.Action, req.Resource, b, a)
			}
			if b.Decision == ExplicitDeny && a.Decision != ExplicitDeny {
				t.Fatalf("a boundary/session policy lifted a deny: before %s, after %s", b, a)
			}
		}
	}
}

// TestPropertyRoundTripRandom: random documents print and reparse to the
// same document.
func TestPropertyRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 500; i++ {
		doc := randDocument(r, 5)
		checkRoundTrip(t, doc, IdentityBased)
	}
}

// globRegexp is the reference implementation for the wildcard matcher:
// the pattern's literal text quoted, "*" as ".*" and "?" as ".", anchored,
// with "." matching newlines too.
func globRegexp(pattern string, fold bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^(?s)")
	if fold {
		b.WriteString("(?i)")
	}
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func checkGlobAgainstRegexp(t *testing.T, pattern, subject string, fold bool) {
	t.Helper()
	p, err := compilePattern(pattern, true, false, fold)
	if err != nil {
		t.Fatalf("compilePattern(%q): %v", pattern, err)
	}
	want := globRegexp(pattern, fold).MatchString(subject)
	if got := p.match(subject, nil); got != want {
		t.Fatalf("match(%q, %q, fold=%v) = %v, regexp says %v", pattern, subject, fold, got, want)
	}
}

// TestMatchAgreesWithRegexp compares the matcher with the regexp reference
// on random patterns and subjects over an alphabet rich in separators.
func TestMatchAgreesWithRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	patAlpha := []string{"a", "b", ":", "/", "*", "?", "ab", "é"}
	subjAlpha := []string{"a", "b", ":", "/", "é", "ab", "B"}
	gen := func(alpha []string, max int) string {
		var b strings.Builder
		for i, n := 0, r.IntN(max); i < n; i++ {
			b.WriteString(pick(r, alpha))
		}
		return b.String()
	}
	for i := 0; i < 60000; i++ {
		pat, subj := gen(patAlpha, 8), gen(subjAlpha, 10)
		checkGlobAgainstRegexp(t, pat, subj, false)
		if isASCII(pat) && isASCII(subj) {
			checkGlobAgainstRegexp(t, pat, subj, true)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestLowerKeyAgreesWithContext checks that compiled keys and context keys
// are folded identically, including invalid UTF-8.
func TestLowerKeyAgreesWithContext(t *testing.T) {
	for _, k := range []string{"aws:UserName", "AWS:PrincipalTag/ÉQUIPE", "x:\xff\xfeA", "k:İstanbul", "k:\u212a"} {
		var c Context
		c.Add(k, "v")
		if _, ok := c.lookup(lowerKey(k)); !ok {
			t.Errorf("context key %q not found under lowerKey %q", k, lowerKey(k))
		}
		if got := c.Values(strings.ToUpper(k)); len(got) != 1 && isASCII(k) {
			t.Errorf("Values(%q) = %v", strings.ToUpper(k), got)
		}
	}
}
