package awsmodel

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// Patterns in AWS models are java.util.regex patterns and Coral applies
// them with Matcher.matches(), i.e. to the whole value: a captured STS error
// rejects the session name "pic-ro- 6ACCOUNTNUMBER6" with the pattern
// [\w+=,.@-]*, which a substring search would accept. So every pattern is
// translated to RE2 syntax and anchored as ^(?:…)$.
//
// The translation handles the Java constructs RE2 spells differently:
//
//   - \uXXXX escapes become \x{XXXX}. Java reads exactly four hex digits, so
//     sts's "\u10000-\u10FFFF" means U+1000, then the range '0'-U+10FF, then
//     "FF"; translating it literally keeps Java's (surprising) meaning.
//   - \s and \S: Java's \s includes the vertical tab \x0B, RE2's does not.
//   - '.' outside a class: Java excludes every line terminator (\n, \r,
//     U+0085, U+2028, U+2029), RE2 only \n.
//   - \p{ASCII} and Java's other POSIX-named classes are spelled out;
//     Unicode general categories (\p{L}, \p{Lu}, \p{IsL}…) carry over.
//
// Constructs RE2 lacks (lookaround, possessive quantifiers, atomic groups,
// back-references, class intersection, nested classes) make the translation
// fail. Patterns of the embedded models that use them have a hand-written
// equivalent in patternOverride; TestEveryModelPatternCompiles fails if a
// refreshed model brings a new one.

// matcher decides whether a whole value satisfies a model pattern.
type matcher struct {
	// all must match and none must not. Most patterns are a single RE2
	// expression in all; overrides express lookarounds as a conjunction.
	all  []*regexp.Regexp
	none []*regexp.Regexp
	// class is set when the pattern is one character class repeated
	// (e.g. [\p{L}\p{M}\p{S}\p{N}\p{P}]+), the commonest form in the
	// models; checking runes against its ranges is several times faster
	// than running the regexp.
	class *classMatcher
}

func (m *matcher) match(b []byte) bool {
	if m.class != nil {
		return m.class.match(b)
	}
	for _, re := range m.all {
		if !re.Match(b) {
			return false
		}
	}
	for _, re := range m.none {
		if re.Match(b) {
			return false
		}
	}
	return true
}

// patternOverride returns RE2 equivalents for the model patterns that use
// constructs RE2 lacks. Each is exact, not an approximation; the tests check
// them against examples.
func patternOverride(java string) (all, none []string, ok bool) {
	switch java {
	case `(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?`:
		// sso-admin Duration (ISO 8601 duration). The lookahead only says
		// that P is followed by a digit or by T and a digit; check that as
		// a second, prefix-anchored expression.
		return []string{
			`^(?:(-?)P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?)$`,
			`^-?P(?:\d|T\d)`,
		}, nil, true
	case `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`:
		// iam accountAliasType. "-(?!-)" forbids two hyphens in a row; the
		// first and last characters cannot be hyphens, so that is exactly
		// "contains no --".
		return []string{`^(?:[a-z0-9](?:[a-z0-9]|-){1,61}[a-z0-9])$`}, []string{`--`}, true
	}
	return nil, nil, false
}

// compilePattern builds the matcher for a Java pattern.
func compilePattern(java string) (*matcher, error) {
	if all, none, ok := patternOverride(java); ok {
		m := &matcher{}
		for _, e := range all {
			re, err := regexp.Compile(e)
			if err != nil {
				return nil, fmt.Errorf("override for %q: %w", java, err)
			}
			m.all = append(m.all, re)
		}
		for _, e := range none {
			re, err := regexp.Compile(e)
			if err != nil {
				return nil, fmt.Errorf("override for %q: %w", java, err)
			}
			m.none = append(m.none, re)
		}
		return m, nil
	}
	tr, err := translateJavaRegexp(java)
	if err != nil {
		return nil, err
	}
	expr := `^(?:` + tr + `)$`
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("pattern %q as %q: %w", java, expr, err)
	}
	return &matcher{all: []*regexp.Regexp{re}, class: classMatcherFor(expr)}, nil
}

// errUnsupported marks Java regex constructs RE2 cannot express.
var errUnsupported = errors.New("construct not supported by RE2")

// translateJavaRegexp rewrites a java.util.regex pattern into RE2 syntax.
func translateJavaRegexp(p string) (string, error) {
	var b strings.Builder
	inClass := false
	classStart := false // right after '[' or '[^', where ']' is literal in Java too
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\\':
			if i+1 >= len(p) {
				return "", fmt.Errorf("pattern %q: trailing backslash", p)
			}
			n, adv, err := translateEscape(p, i, inClass)
			if err != nil {
				return "", err
			}
			b.WriteString(n)
			i += adv
			classStart = false
			continue
		case inClass && c == '[':
			return "", fmt.Errorf("pattern %q: nested character class: %w", p, errUnsupported)
		case inClass && c == '&' && strings.HasPrefix(p[i:], "&&"):
			return "", fmt.Errorf("pattern %q: class intersection: %w", p, errUnsupported)
		case inClass && c == ']' && !classStart:
			inClass = false
		case !inClass && c == '[':
			inClass, classStart = true, true
			b.WriteByte(c)
			i++
			if i < len(p) && p[i] == '^' {
				b.WriteByte('^')
				i++
			}
			continue
		case !inClass && c == '.':
			b.WriteString(`[^\n\r\x{85}\x{2028}\x{2029}]`)
			i++
			continue
		case !inClass && c == '(' && strings.HasPrefix(p[i:], "(?"):
			rest := p[i+2:]
			switch {
			case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"),
				strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
				return "", fmt.Errorf("pattern %q: lookaround: %w", p, errUnsupported)
			case strings.HasPrefix(rest, ">"):
				return "", fmt.Errorf("pattern %q: atomic group: %w", p, errUnsupported)
			}
		case !inClass && (c == '*' || c == '+' || c == '?' || c == '}'):
			if i+1 < len(p) && p[i+1] == '+' {
				return "", fmt.Errorf("pattern %q: possessive quantifier: %w", p, errUnsupported)
			}
		}
		if inClass && classStart && c != ']' {
			classStart = false
		} else if inClass && classStart && c == ']' {
			// "[]…]" in Java is a class starting with ']'.
			b.WriteString(`\]`)
			classStart = false
			i++
			continue
		}
		b.WriteByte(c)
		i++
	}
	if inClass {
		return "", fmt.Errorf("pattern %q: unterminated character class", p)
	}
	return b.String(), nil
}

// Java's \s is [ \t\n\x0B\f\r]; \S is its complement, spelled as ranges so
// that it also works inside a (possibly negated) character class.
const (
	javaSpaceClassBody    = `\t\n\x0B\f\r `
	javaNonSpaceClassBody = `\x00-\x08\x0E-\x1F\x21-\x{10FFFF}`
)

// translateEscape translates the escape sequence at p[i] (a backslash).
// It returns the RE2 text and how many bytes of p it consumed.
func translateEscape(p string, i int, inClass bool) (string, int, error) {
	c := p[i+1]
	wrap := func(body string) string {
		if inClass {
			return body
		}
		return "[" + body + "]"
	}
	switch c {
	case 'u':
		if i+6 > len(p) || !isHex(p[i+2:i+6]) {
			return "", 0, fmt.Errorf("pattern %q: bad \\u escape", p)
		}
		return `\x{` + p[i+2:i+6] + `}`, 6, nil
	case 'x':
		if i+2 < len(p) && p[i+2] == '{' {
			end := strings.IndexByte(p[i:], '}')
			if end < 0 {
				return "", 0, fmt.Errorf("pattern %q: bad \\x escape", p)
			}
			return p[i : i+end+1], end + 1, nil
		}
		if i+4 > len(p) || !isHex(p[i+2:i+4]) {
			return "", 0, fmt.Errorf("pattern %q: bad \\x escape", p)
		}
		return p[i : i+4], 4, nil
	case 's':
		return wrap(javaSpaceClassBody), 2, nil
	case 'S':
		return wrap(javaNonSpaceClassBody), 2, nil
	case 'e':
		return `\x1B`, 2, nil
	case 'p', 'P':
		if i+2 >= len(p) {
			return "", 0, fmt.Errorf("pattern %q: bad \\%c", p, c)
		}
		name, adv := "", 3
		if p[i+2] == '{' {
			end := strings.IndexByte(p[i:], '}')
			if end < 0 {
				return "", 0, fmt.Errorf("pattern %q: bad \\%c", p, c)
			}
			name, adv = p[i+3:i+end], end+1
		} else {
			name = p[i+2 : i+3]
		}
		tr, err := translateProperty(p, c == 'P', name, inClass)
		return tr, adv, err
	case 'd', 'D', 'w', 'W', 'b', 'B', 't', 'n', 'r', 'f', 'a', 'A', 'z':
		return p[i : i+2], 2, nil
	case 'Q', 'E', 'G', 'Z', 'h', 'H', 'v', 'V', 'R', 'X', 'k', 'c', 'N':
		return "", 0, fmt.Errorf("pattern %q: escape \\%c: %w", p, c, errUnsupported)
	}
	if c >= '0' && c <= '9' {
		return "", 0, fmt.Errorf("pattern %q: back-reference or octal escape: %w", p, errUnsupported)
	}
	if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return "", 0, fmt.Errorf("pattern %q: unknown escape \\%c", p, c)
	}
	// An escaped punctuation character (or space) is itself in both
	// dialects; RE2 accepts the same spelling. Multi-byte runes are copied
	// whole.
	_, size := utf8.DecodeRuneInString(p[i+1:])
	return p[i : i+1+size], 1 + size, nil
}

// translateProperty translates \p{name} / \P{name}.
func translateProperty(p string, negated bool, name string, inClass bool) (string, error) {
	posix := map[string]string{
		"ASCII": `\x00-\x7F`, "Lower": `a-z`, "Upper": `A-Z`, "Alpha": `a-zA-Z`,
		"Digit": `0-9`, "Alnum": `a-zA-Z0-9`, "XDigit": `0-9a-fA-F`,
		"Punct": `!-/:-@\[-` + "`" + `{-~`, "Graph": `!-~`, "Print": ` -~`,
		"Blank": ` \t`, "Cntrl": `\x00-\x1F\x7F`, "Space": javaSpaceClassBody,
	}
	if body, ok := posix[name]; ok {
		switch {
		case !negated && inClass:
			return body, nil
		case !negated:
			return "[" + body + "]", nil
		case !inClass:
			return "[^" + body + "]", nil
		default:
			return "", fmt.Errorf("pattern %q: negated \\P{%s} inside a class: %w", p, name, errUnsupported)
		}
	}
	cat := strings.TrimPrefix(strings.TrimPrefix(name, "Is"), "general_category=")
	if len(cat) == 1 || len(cat) == 2 && cat[0] >= 'A' && cat[0] <= 'Z' && cat[1] >= 'a' && cat[1] <= 'z' {
		if _, err := syntax.Parse(`\p{`+cat+`}`, syntax.Perl); err == nil {
			if negated {
				return `\P{` + cat + `}`, nil
			}
			return `\p{` + cat + `}`, nil
		}
	}
	return "", fmt.Errorf("pattern %q: property \\p{%s}: %w", p, name, errUnsupported)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// classMatcher matches a value made of min..max runes from one class.
type classMatcher struct {
	ascii    [2]uint64 // membership of runes below 128, a bit each
	ranges   []rune    // sorted, non-overlapping lo,hi pairs
	min, max int       // rune count bounds; max < 0 means unbounded
}

func (c *classMatcher) match(b []byte) bool {
	n := 0
	for len(b) > 0 {
		if c0 := b[0]; c0 < utf8.RuneSelf {
			if c.ascii[c0>>6]&(1<<(c0&63)) == 0 {
				return false
			}
			b = b[1:]
		} else {
			r, size := utf8.DecodeRune(b)
			b = b[size:]
			if !c.has(r) {
				return false
			}
		}
		n++
		if c.max >= 0 && n > c.max {
			return false
		}
	}
	return n >= c.min
}

func (c *classMatcher) has(r rune) bool {
	// Binary search for the first pair whose upper bound is >= r.
	lo, hi := 0, len(c.ranges)/2
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if c.ranges[2*mid+1] < r {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo < len(c.ranges)/2 && c.ranges[2*lo] <= r
}

// classMatcherFor recognises ^(?:X)$ where X is a single character class
// under *, + or {m,n} (possibly inside capture groups) and returns a
// rune-range matcher equivalent to the regexp, or nil.
func classMatcherFor(expr string) *classMatcher {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) != 3 ||
		re.Sub[0].Op != syntax.OpBeginText || re.Sub[2].Op != syntax.OpEndText {
		return nil
	}
	x := re.Sub[1]
	for x.Op == syntax.OpCapture {
		x = x.Sub[0]
	}
	cm := &classMatcher{max: -1}
	switch x.Op {
	case syntax.OpStar:
	case syntax.OpPlus:
		cm.min = 1
	case syntax.OpRepeat:
		cm.min, cm.max = x.Min, x.Max
	default:
		// Simplify rewrites small {m,n} into concatenations; those stay on
		// the regexp path.
		return nil
	}
	if x.Flags&syntax.NonGreedy != 0 {
		// Greediness does not change whether a whole-string match exists.
		x.Flags &^= syntax.NonGreedy
	}
	class := x.Sub[0]
	for class.Op == syntax.OpCapture {
		class = class.Sub[0]
	}
	switch class.Op {
	case syntax.OpCharClass:
		cm.ranges = append([]rune(nil), class.Rune...)
	case syntax.OpLiteral:
		if len(class.Rune) != 1 || class.Flags&syntax.FoldCase != 0 {
			return nil
		}
		cm.ranges = []rune{class.Rune[0], class.Rune[0]}
	case syntax.OpAnyCharNotNL:
		cm.ranges = []rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune}
	case syntax.OpAnyChar:
		cm.ranges = []rune{0, utf8.MaxRune}
	default:
		return nil
	}
	for r := rune(0); r < utf8.RuneSelf; r++ {
		if cm.has(r) {
			cm.ascii[r>>6] |= 1 << (r & 63)
		}
	}
	return cm
}
