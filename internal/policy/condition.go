package policy

import (
	"encoding/base64"
	"net/netip"
	"strings"
)

// family groups condition operators by the type they compare.
type family uint8

const (
	famString family = iota + 1
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

// cmpOp is the comparison an operator performs, before negation.
type cmpOp uint8

const (
	cmpEquals cmpOp = iota + 1
	cmpEqualsFold
	cmpLike
	cmpLess
	cmpLessEq
	cmpGreater
	cmpGreaterEq
)

// qualifier is the set operator prefix of a condition operator.
type qualifier uint8

const (
	qualNone qualifier = iota
	qualAnyValue
	qualAllValues
)

// opInfo describes a base operator (without qualifier and IfExists).
type opInfo struct {
	fam family
	cmp cmpOp
	// negated operators are true when no policy value matches, and true
	// when the key is absent (IAM User Guide,
	// reference_policies_elements_condition_operators.html, the "Important"
	// note on missing keys).
	negated bool
	// vars: the operator's values may contain policy variables. The User
	// Guide lists "Policy variables – Supported" for the String, Boolean
	// and ARN operators only.
	vars bool
}

// lookupBaseOperator returns the description of a base operator (without
// qualifier or IfExists). The set of operators is closed; a switch keeps it
// immutable.
func lookupBaseOperator(name string) (opInfo, bool) {
	switch name {
	case "StringEquals":
		return opInfo{fam: famString, cmp: cmpEquals, vars: true}, true
	case "StringNotEquals":
		return opInfo{fam: famString, cmp: cmpEquals, negated: true, vars: true}, true
	case "StringEqualsIgnoreCase":
		return opInfo{fam: famString, cmp: cmpEqualsFold, vars: true}, true
	case "StringNotEqualsIgnoreCase":
		return opInfo{fam: famString, cmp: cmpEqualsFold, negated: true, vars: true}, true
	case "StringLike":
		return opInfo{fam: famString, cmp: cmpLike, vars: true}, true
	case "StringNotLike":
		return opInfo{fam: famString, cmp: cmpLike, negated: true, vars: true}, true
	case "NumericEquals":
		return opInfo{fam: famNumeric, cmp: cmpEquals}, true
	case "NumericNotEquals":
		return opInfo{fam: famNumeric, cmp: cmpEquals, negated: true}, true
	case "NumericLessThan":
		return opInfo{fam: famNumeric, cmp: cmpLess}, true
	case "NumericLessThanEquals":
		return opInfo{fam: famNumeric, cmp: cmpLessEq}, true
	case "NumericGreaterThan":
		return opInfo{fam: famNumeric, cmp: cmpGreater}, true
	case "NumericGreaterThanEquals":
		return opInfo{fam: famNumeric, cmp: cmpGreaterEq}, true
	case "DateEquals":
		return opInfo{fam: famDate, cmp: cmpEquals}, true
	case "DateNotEquals":
		return opInfo{fam: famDate, cmp: cmpEquals, negated: true}, true
	case "DateLessThan":
		return opInfo{fam: famDate, cmp: cmpLess}, true
	case "DateLessThanEquals":
		return opInfo{fam: famDate, cmp: cmpLessEq}, true
	case "DateGreaterThan":
		return opInfo{fam: famDate, cmp: cmpGreater}, true
	case "DateGreaterThanEquals":
		return opInfo{fam: famDate, cmp: cmpGreaterEq}, true
	case "Bool":
		return opInfo{fam: famBool, cmp: cmpEquals, vars: true}, true
	case "BinaryEquals":
		return opInfo{fam: famBinary, cmp: cmpEquals}, true
	case "IpAddress":
		return opInfo{fam: famIP, cmp: cmpEquals}, true
	case "NotIpAddress":
		return opInfo{fam: famIP, cmp: cmpEquals, negated: true}, true
	// ArnEquals and ArnLike are the same operator: the User Guide describes
	// both as segment-wise, case-sensitive matching with wildcards.
	case "ArnEquals":
		return opInfo{fam: famArn, cmp: cmpLike, vars: true}, true
	case "ArnLike":
		return opInfo{fam: famArn, cmp: cmpLike, vars: true}, true
	case "ArnNotEquals":
		return opInfo{fam: famArn, cmp: cmpLike, negated: true, vars: true}, true
	case "ArnNotLike":
		return opInfo{fam: famArn, cmp: cmpLike, negated: true, vars: true}, true
	case "Null":
		return opInfo{fam: famNull, cmp: cmpEquals}, true
	}
	return opInfo{}, false
}

// baseOperatorNames lists every base operator, for tests and documentation.
func baseOperatorNames() []string {
	return []string{
		"StringEquals",
		"StringNotEquals",
		"StringEqualsIgnoreCase",
		"StringNotEqualsIgnoreCase",
		"StringLike",
		"StringNotLike",
		"NumericEquals",
		"NumericNotEquals",
		"NumericLessThan",
		"NumericLessThanEquals",
		"NumericGreaterThan",
		"NumericGreaterThanEquals",
		"DateEquals",
		"DateNotEquals",
		"DateLessThan",
		"DateLessThanEquals",
		"DateGreaterThan",
		"DateGreaterThanEquals",
		"Bool",
		"BinaryEquals",
		"IpAddress",
		"NotIpAddress",
		"ArnEquals",
		"ArnLike",
		"ArnNotEquals",
		"ArnNotLike",
		"Null",
	}
}

// operator is a fully parsed condition operator.
type operator struct {
	opInfo
	qual     qualifier
	ifExists bool
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
// Operator names are matched exactly as the User Guide spells them.
func parseOperator(name string) (operator, bool) {
	var op operator
	base := name
	switch {
	case strings.HasPrefix(base, "ForAnyValue:"):
		op.qual = qualAnyValue
		base = base[len("ForAnyValue:"):]
	case strings.HasPrefix(base, "ForAllValues:"):
		op.qual = qualAllValues
		base = base[len("ForAllValues:"):]
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok {
		op.ifExists = true
		base = b
	}
	info, ok := lookupBaseOperator(base)
	if !ok {
		return op, false
	}
	// Null tests existence itself, so neither IfExists nor a set qualifier
	// means anything for it.
	if info.fam == famNull && (op.ifExists || op.qual != qualNone) {
		return op, false
	}
	op.opInfo = info
	return op, true
}

// compiledCond is one operator/key pair ready for evaluation.
type compiledCond struct {
	operator
	key string // lowercased context key
	// Exactly one of the following is populated, according to fam.
	strs  []pattern
	nums  []decimal
	dates []int64 // Unix seconds
	bools []bool  // Null: the literal; Bool without variables
	bins  []string
	ips   []netip.Prefix
	arns  []arnPattern
}

// compileCondition validates and compiles one condition. vars tells whether
// the document enables policy variables. path names the values for errors.
func compileCondition(c *Condition, vars bool, path string) (compiledCond, error) {
	op, ok := parseOperator(c.Operator)
	if !ok {
		return compiledCond{}, errorf(KindValue, path, "unknown condition operator %q", c.Operator)
	}
	cc := compiledCond{operator: op, key: lowerKey(c.Key)}
	varsOn := vars && op.vars
	for i, v := range c.Values {
		vpath := joinPath(path, c.Key)
		if len(c.Values) > 1 {
			vpath = indexPath(vpath, i)
		}
		switch op.fam {
		case famString:
			p, err := compilePattern(v, op.cmp == cmpLike, varsOn, false)
			if err != nil {
				return cc, withPath(err, vpath)
			}
			cc.strs = append(cc.strs, p)
		case famBool:
			toks, err := tokenize(v, false, varsOn)
			if err != nil {
				return cc, withPath(err, vpath)
			}
			if hasVariables(toks) {
				cc.strs = append(cc.strs, patternFromTokens(toks, false))
				continue
			}
			b, ok := parseBool(v)
			if !ok {
				return cc, errorf(KindValue, vpath, "invalid Bool value %q: must be \"true\" or \"false\"", v)
			}
			cc.bools = append(cc.bools, b)
		case famNull:
			b, ok := parseBool(v)
			if !ok {
				return cc, errorf(KindValue, vpath, "invalid Null value %q: must be \"true\" or \"false\"", v)
			}
			cc.bools = append(cc.bools, b)
		case famNumeric:
			d, ok := parseDecimal(v)
			if !ok {
				return cc, errorf(KindValue, vpath, "invalid number %q for %s", v, c.Operator)
			}
			cc.nums = append(cc.nums, d)
		case famDate:
			t, ok := parseDate(v)
			if !ok {
				return cc, errorf(KindValue, vpath, "invalid date %q for %s: use an ISO 8601 date such as 2025-01-31T12:00:00Z, or epoch seconds", v, c.Operator)
			}
			cc.dates = append(cc.dates, t)
		case famBinary:
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return cc, errorf(KindValue, vpath, "invalid base64 value %q for %s", v, c.Operator)
			}
			cc.bins = append(cc.bins, string(b))
		case famIP:
			p, ok := parseIPPattern(v)
			if !ok {
				return cc, errorf(KindValue, vpath, "invalid IP address or CIDR block %q for %s", v, c.Operator)
			}
			cc.ips = append(cc.ips, p)
		case famArn:
			a, err := compileArnPattern(v, varsOn)
			if err != nil {
				return cc, withPath(err, vpath)
			}
			cc.arns = append(cc.arns, a)
		}
	}
	return cc, nil
}

// withPath attaches a path to an error produced without one.
func withPath(err error, path string) error {
	if ve, ok := err.(*ValidationError); ok && ve.Path == "" {
		ve.Path = path
	}
	return err
}

// variables appends the variables without a default used by the condition.
func (cc *compiledCond) variables(dst []string) []string {
	for i := range cc.strs {
		dst = patternVariables(dst, &cc.strs[i])
	}
	for i := range cc.arns {
		a := &cc.arns[i]
		if a.isWhole {
			dst = patternVariables(dst, &a.whole)
			continue
		}
		for j := range a.segs {
			dst = patternVariables(dst, &a.segs[j])
		}
	}
	return dst
}

func patternVariables(dst []string, p *pattern) []string {
	for _, t := range p.toks {
		if t.kind == tVar && !t.hasDef {
			dst = appendUnique(dst, t.s)
		}
	}
	return dst
}

func appendUnique(dst []string, s string) []string {
	for _, d := range dst {
		if d == s {
			return dst
		}
	}
	return append(dst, s)
}

// eval applies the IAM rules for one operator/key pair:
//   - Null tests whether the key is present;
//   - an absent key makes ...IfExists true, ForAllValues true (the empty
//     set), ForAnyValue false, a negated operator true and any other
//     operator false;
//   - a present key is compared against the policy values, which are ORed
//     (NORed for negated operators);
//   - ForAnyValue requires some request value to pass, ForAllValues every
//     one; without a qualifier a multivalued key passes a positive operator
//     when any value matches and a negated operator when none does.
func (cc *compiledCond) eval(ctx *Context) bool {
	vals, present := ctx.lookup(cc.key)
	if cc.fam == famNull {
		for _, want := range cc.bools {
			// "Null": "true" means the key is absent.
			if want != present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case cc.ifExists:
			return true
		case cc.qual == qualAllValues:
			return true
		case cc.qual == qualAnyValue:
			return false
		}
		return cc.negated
	}
	switch cc.qual {
	case qualAnyValue:
		for _, v := range vals {
			if cc.matchAny(v, ctx) != cc.negated {
				return true
			}
		}
		return false
	case qualAllValues:
		for _, v := range vals {
			if cc.matchAny(v, ctx) == cc.negated {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if cc.matchAny(v, ctx) {
			return !cc.negated
		}
	}
	return cc.negated
}

// matchAny reports whether request value v matches any policy value under
// the positive form of the operator.
func (cc *compiledCond) matchAny(v string, ctx *Context) bool {
	switch cc.fam {
	case famString:
		for i := range cc.strs {
			p := &cc.strs[i]
			switch cc.cmp {
			case cmpLike:
				if p.match(v, ctx) {
					return true
				}
			case cmpEqualsFold:
				if p.kind == pExact {
					if strings.EqualFold(v, p.lit) {
						return true
					}
				} else if equalTokens(p.toks, v, ctx, true) {
					return true
				}
			default:
				if p.kind == pExact {
					if v == p.lit {
						return true
					}
				} else if equalTokens(p.toks, v, ctx, false) {
					return true
				}
			}
		}
	case famBool:
		b, ok := parseBool(v)
		if ok {
			for _, want := range cc.bools {
				if b == want {
					return true
				}
			}
		}
		for i := range cc.strs {
			p := &cc.strs[i]
			if p.kind == pExact {
				if strings.EqualFold(v, p.lit) {
					return true
				}
			} else if equalTokens(p.toks, v, ctx, true) {
				return true
			}
		}
	case famNumeric:
		d, ok := parseDecimal(v)
		if !ok {
			return false
		}
		for _, want := range cc.nums {
			if compareResult(cc.cmp, d.cmp(want)) {
				return true
			}
		}
	case famDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, want := range cc.dates {
			if compareResult(cc.cmp, cmpInt64(t, want)) {
				return true
			}
		}
	case famIP:
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		addr = addr.Unmap().WithZone("")
		for _, p := range cc.ips {
			if p.Contains(addr) {
				return true
			}
		}
	case famArn:
		for i := range cc.arns {
			if cc.arns[i].match(v, ctx) {
				return true
			}
		}
	case famBinary:
		return matchBinary(v, cc.bins)
	}
	return false
}

// compareResult interprets c = compare(request, policy) for op.
func compareResult(op cmpOp, c int) bool {
	switch op {
	case cmpEquals:
		return c == 0
	case cmpLess:
		return c < 0
	case cmpLessEq:
		return c <= 0
	case cmpGreater:
		return c > 0
	case cmpGreaterEq:
		return c >= 0
	}
	return false
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseBool accepts "true" and "false" in any letter case, as the Bool
// operator compares case-insensitively.
func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parseIPPattern accepts an IPv4 or IPv6 address or CIDR block. Host bits in
// a CIDR are ignored, as AWS treats 203.0.113.7/24 as 203.0.113.0/24.
func parseIPPattern(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		a := p.Addr()
		if a.Is4In6() {
			// ::ffff:a.b.c.d/n written as IPv6 covers IPv4 addresses.
			if p.Bits() < 96 {
				return p.Masked(), true
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// matchBinary compares a base64 request value with decoded policy values.
// Small values decode into a stack buffer so the common case allocates
// nothing.
func matchBinary(v string, want []string) bool {
	var buf [96]byte
	var dst []byte
	if n := base64.StdEncoding.DecodedLen(len(v)); n <= len(buf) {
		dst = buf[:n]
	} else {
		dst = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(dst, []byte(v))
	if err != nil {
		return false
	}
	for _, w := range want {
		if string(dst[:n]) == w {
			return true
		}
	}
	return false
}
