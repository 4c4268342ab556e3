package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of one element of a compiled pattern.
type tokKind uint8

const (
	tLit   tokKind = iota + 1 // literal text
	tStar                     // "*": any run of characters, including ":" and "/"
	tQuest                    // "?": exactly one character
	tVar                      // "${key}" or "${key, 'default'}"
)

// token is one element of a pattern. Variables stay symbolic until
// evaluation so that a compiled policy never needs re-parsing and matching
// can compare piecewise instead of building the substituted string.
type token struct {
	kind tokKind
	// s is the literal text (tLit) or the lowercased context key (tVar).
	s string
	// def is the default of "${key, 'default'}"; hasDef tells "" from absent.
	def    string
	hasDef bool
}

// tokenize splits a policy string into tokens. With wildcards, "*" and "?"
// are wildcard tokens; with vars (2012-10-17 documents, in the elements where
// AWS substitutes variables), "${...}" is a variable. ${*}, ${?} and ${$} are
// the documented escapes for literal "*", "?" and "$". The value a variable
// resolves to, and its default, are always literal text: a user named "*"
// must not match every resource.
func tokenize(s string, wildcards, vars bool) ([]token, error) {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tLit, s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			tok, n, err := parseVariable(s[i:])
			if err != nil {
				return nil, err
			}
			if tok.kind == tLit {
				lit.WriteString(tok.s)
			} else {
				flush()
				toks = append(toks, tok)
			}
			i += n
		case wildcards && c == '*':
			flush()
			// Consecutive stars match the same strings as one.
			if len(toks) == 0 || toks[len(toks)-1].kind != tStar {
				toks = append(toks, token{kind: tStar})
			}
			i++
		case wildcards && c == '?':
			flush()
			toks = append(toks, token{kind: tQuest})
			i++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return toks, nil
}

// parseVariable parses "${...}" at the start of s and returns the token and
// the number of bytes consumed.
func parseVariable(s string) (token, int, error) {
	body := s[2:]
	end := strings.IndexAny(body, ",}")
	if end < 0 {
		return token{}, 0, errorf(KindValue, "", "unterminated policy variable %q", s)
	}
	name := strings.TrimSpace(body[:end])
	consumed := 2 + end + 1
	var tok token
	if body[end] == ',' {
		rest := strings.TrimLeft(body[end+1:], " ")
		if !strings.HasPrefix(rest, "'") {
			return token{}, 0, errorf(KindValue, "", "policy variable default must be quoted, as in ${%s, 'default'}", name)
		}
		closeQ := strings.IndexByte(rest[1:], '\'')
		if closeQ < 0 {
			return token{}, 0, errorf(KindValue, "", "unterminated default value in policy variable %q", s)
		}
		tok.def = rest[1 : 1+closeQ]
		tok.hasDef = true
		after := rest[1+closeQ+1:]
		trimmed := strings.TrimLeft(after, " ")
		if !strings.HasPrefix(trimmed, "}") {
			return token{}, 0, errorf(KindValue, "", "expected \"}\" after the default value of policy variable ${%s, ...}", name)
		}
		consumed = len(s) - len(trimmed) + 1
	}
	switch name {
	case "*", "?", "$":
		if tok.hasDef {
			return token{}, 0, errorf(KindValue, "", "the escape ${%s} takes no default", name)
		}
		return token{kind: tLit, s: name}, consumed, nil
	case "":
		return token{}, 0, errorf(KindValue, "", "empty policy variable in %q", s[:consumed])
	}
	if !validVariableName(name) {
		return token{}, 0, errorf(KindValue, "", "invalid policy variable %q: expected a condition key such as ${aws:username}", s[:consumed])
	}
	tok.kind = tVar
	tok.s = lowerKey(name)
	return tok, consumed, nil
}

// validVariableName accepts the shape of a condition key: a service prefix, a
// colon and a name without spaces or variable syntax.
func validVariableName(name string) bool {
	colon := strings.IndexByte(name, ':')
	if colon <= 0 || colon == len(name)-1 {
		return false
	}
	for _, r := range name {
		if unicode.IsSpace(r) || r == '{' || r == '}' || r == '$' || r == '\'' || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// lowerKey folds a condition key the same way [Context] folds the keys it
// stores, so that lookups compare plain strings.
func lowerKey(k string) string {
	return strings.Map(unicode.ToLower, k)
}

// hasVariables reports whether toks contains a variable.
func hasVariables(toks []token) bool {
	for _, t := range toks {
		if t.kind == tVar {
			return true
		}
	}
	return false
}

// resolve returns the value of a variable token: the key's single value, the
// default, or false when the key is absent or multivalued (AWS does not
// substitute multivalued keys) and there is no default.
func (t *token) resolve(ctx *Context) (string, bool) {
	if ctx != nil {
		if v, ok := ctx.single(t.s); ok {
			return v, true
		}
	}
	if t.hasDef {
		return t.def, true
	}
	return "", false
}
