package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// patKind selects a matching strategy chosen once at compile time, so that
// the common shapes ("*", an exact name, "prefix*") skip the general matcher.
type patKind uint8

const (
	pAny     patKind = iota + 1 // "*": matches everything
	pExact                      // no wildcards or variables
	pPrefix                     // literal followed by a single trailing "*"
	pGeneral                    // anything else: token matcher
)

// pattern is a compiled Action, Resource or condition value.
type pattern struct {
	kind patKind
	lit  string  // pExact, pPrefix: the literal (lowercased when fold)
	toks []token // pGeneral
	// fold makes ASCII letters match case-insensitively (actions). Action
	// names are ASCII, and ASCII folding keeps byte offsets aligned.
	fold bool
}

// compilePattern compiles s. wildcards enables "*" and "?", vars enables
// policy variables, fold enables ASCII case-insensitive matching.
func compilePattern(s string, wildcards, vars, fold bool) (pattern, error) {
	if fold {
		s = asciiLower(s)
	}
	toks, err := tokenize(s, wildcards, vars)
	if err != nil {
		return pattern{}, err
	}
	return patternFromTokens(toks, fold), nil
}

func patternFromTokens(toks []token, fold bool) pattern {
	switch {
	case len(toks) == 0:
		return pattern{kind: pExact, fold: fold}
	case len(toks) == 1 && toks[0].kind == tStar:
		return pattern{kind: pAny, fold: fold}
	case len(toks) == 1 && toks[0].kind == tLit:
		return pattern{kind: pExact, lit: toks[0].s, fold: fold}
	case len(toks) == 2 && toks[0].kind == tLit && toks[1].kind == tStar:
		return pattern{kind: pPrefix, lit: toks[0].s, fold: fold}
	}
	return pattern{kind: pGeneral, toks: toks, fold: fold}
}

// match reports whether s matches the pattern; variables resolve from ctx.
// Callers check beforehand that every variable without a default resolves;
// one that does not simply fails to match.
func (p *pattern) match(s string, ctx *Context) bool {
	switch p.kind {
	case pAny:
		return true
	case pExact:
		if p.fold {
			return len(s) == len(p.lit) && asciiHasPrefixFold(s, p.lit)
		}
		return s == p.lit
	case pPrefix:
		if p.fold {
			return asciiHasPrefixFold(s, p.lit)
		}
		return strings.HasPrefix(s, p.lit)
	}
	return matchTokens(p.toks, s, ctx, p.fold)
}

// matchTokens is the classic linear-space glob matcher: walk pattern and
// subject together and, on a mismatch, retry from the most recent star with
// the star swallowing one more character. Remembering only the last star is
// enough because a later star can absorb anything an earlier one could.
// Literal tokens are matched as a unit, which is equivalent to matching
// their characters one by one. "*" and "?" consume whole UTF-8 sequences;
// an invalid byte counts as one character.
func matchTokens(toks []token, s string, ctx *Context, fold bool) bool {
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tStar:
				if ti == len(toks)-1 {
					return true
				}
				starTi, starSi = ti, si
				ti++
				continue
			case tQuest:
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			case tLit:
				if hasPrefixMaybeFold(s[si:], t.s, fold) {
					si += len(t.s)
					ti++
					continue
				}
			case tVar:
				if v, ok := t.resolve(ctx); ok && strings.HasPrefix(s[si:], v) {
					si += len(v)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starSi:])
		starSi += w
		ti, si = starTi+1, starSi
	}
}

func hasPrefixMaybeFold(s, prefix string, fold bool) bool {
	if fold {
		return asciiHasPrefixFold(s, prefix)
	}
	return strings.HasPrefix(s, prefix)
}

// asciiHasPrefixFold reports whether s starts with lower, comparing ASCII
// letters case-insensitively; lower must already be lowercase.
func asciiHasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// equalTokens reports whether s equals the concatenation of toks (literals
// and resolved variables; no wildcards), comparing piece by piece so that
// the substituted string is never built. With fold the comparison uses
// Unicode simple case folding, as StringEqualsIgnoreCase requires.
func equalTokens(toks []token, s string, ctx *Context, fold bool) bool {
	for i := range toks {
		t := &toks[i]
		piece := t.s
		if t.kind == tVar {
			v, ok := t.resolve(ctx)
			if !ok {
				return false
			}
			piece = v
		}
		if fold {
			n, ok := hasPrefixFoldUnicode(s, piece)
			if !ok {
				return false
			}
			s = s[n:]
			continue
		}
		if !strings.HasPrefix(s, piece) {
			return false
		}
		s = s[len(piece):]
	}
	return s == ""
}

// hasPrefixFoldUnicode reports whether s starts with prefix under simple
// case folding and returns how many bytes of s the prefix covers (folded
// runes may differ in encoded length).
func hasPrefixFoldUnicode(s, prefix string) (int, bool) {
	i := 0
	for _, pr := range prefix {
		if i >= len(s) {
			return 0, false
		}
		sr, w := utf8.DecodeRuneInString(s[i:])
		if !equalFoldRune(sr, pr) {
			return 0, false
		}
		i += w
	}
	return i, true
}

func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// arnPattern matches ARNs segment by segment, as ArnEquals and ArnLike do:
// partition, service, region, account and resource are compared separately,
// so a wildcard never crosses a segment boundary, while the resource
// segment (everything after the fifth colon) may itself contain colons.
type arnPattern struct {
	segs [6]pattern
	// whole is used when the policy value is not a six-segment ARN, such as
	// a bare "*": it is then matched as one glob against the whole value.
	whole   pattern
	isWhole bool
}

func compileArnPattern(s string, vars bool) (arnPattern, error) {
	toks, err := tokenize(s, true, vars)
	if err != nil {
		return arnPattern{}, err
	}
	var segs [6][]token
	seg := 0
	for _, t := range toks {
		if t.kind != tLit || seg == 5 {
			segs[seg] = append(segs[seg], t)
			continue
		}
		lit := t.s
		for seg < 5 {
			c := strings.IndexByte(lit, ':')
			if c < 0 {
				break
			}
			if c > 0 {
				segs[seg] = append(segs[seg], token{kind: tLit, s: lit[:c]})
			}
			lit = lit[c+1:]
			seg++
		}
		if lit != "" {
			segs[seg] = append(segs[seg], token{kind: tLit, s: lit})
		}
	}
	if seg < 5 {
		return arnPattern{whole: patternFromTokens(toks, false), isWhole: true}, nil
	}
	var ap arnPattern
	for i := range segs {
		ap.segs[i] = patternFromTokens(segs[i], false)
	}
	return ap, nil
}

func (a *arnPattern) match(s string, ctx *Context) bool {
	if a.isWhole {
		return a.whole.match(s, ctx)
	}
	for i := 0; i < 5; i++ {
		c := strings.IndexByte(s, ':')
		if c < 0 {
			return false
		}
		if !a.segs[i].match(s[:c], ctx) {
			return false
		}
		s = s[c+1:]
	}
	return a.segs[5].match(s, ctx)
}
