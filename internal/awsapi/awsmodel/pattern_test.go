package awsmodel

import (
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
)

// modelPatterns returns every distinct pattern of the embedded models with
// the shapes using it.
func modelPatterns(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, name := range Services() {
		svc := mustLoad(t, name)
		for shName, sh := range svc.shapes {
			if sh.Pattern != "" {
				out[sh.Pattern] = append(out[sh.Pattern], name+":"+shName)
			}
		}
	}
	return out
}

// TestEveryModelPatternCompiles fails when a model refresh brings a pattern
// the translation cannot handle: give it an exact RE2 equivalent in
// patternOverride and examples in TestOverridePatterns.
func TestEveryModelPatternCompiles(t *testing.T) {
	pats := modelPatterns(t)
	if len(pats) < 50 {
		t.Fatalf("only %d patterns found; are the models embedded?", len(pats))
	}
	var overridden, fast []string
	for p, shapes := range pats {
		m, err := compilePattern(p)
		if err != nil {
			t.Errorf("%v: %v", shapes, err)
			continue
		}
		if _, _, ok := patternOverride(p); ok {
			overridden = append(overridden, p)
			// An override must be needed: the plain translation must fail.
			if _, err := translateJavaRegexp(p); !errors.Is(err, errUnsupported) {
				t.Errorf("override for %q is not needed (translation: %v)", p, err)
			}
		}
		if m.class != nil {
			fast = append(fast, p)
		}
	}
	sort.Strings(overridden)
	want := []string{
		`(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?`,
		`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`,
	}
	if !slices.Equal(overridden, want) {
		t.Errorf("patterns handled by override:\n%s\nwant:\n%s", strings.Join(overridden, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("%d patterns, %d by override, %d on the character-class fast path", len(pats), len(overridden), len(fast))
}

func TestTranslateJavaRegexp(t *testing.T) {
	cases := []patternCase{
		// Java reads \u10000 as \u1000 followed by '0': the class ends up
		// with U+1000, the range '0'-U+10FF and 'F'. Supplementary
		// characters match nothing in it, while DEL (0x7F) falls in '0'-U+10FF.
		{`[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`,
			[]string{"arn:aws:iam::123456789012:role/x", "\u1000", "é", "\uFFFD", "a\x7fb"},
			[]string{"\U0001F600", "\x00", "\x1f"}},
		// Java's \s includes the vertical tab.
		{`[^\s@]+`, []string{"abc"}, []string{"a\x0bb", "a b", "a@b", ""}},
		{`\S+`, []string{"abc", "é"}, []string{"a\x0b", "a b"}},
		{`[\s\S]*`, []string{"", "anything\n\x0b"}, nil},
		// '.' excludes every Java line terminator.
		{`(http|https):\/\/.*`, []string{"https://example.com/a b"}, []string{"https://x\r", "https://x\u2028", "https://x\u0085", "ftp://x"}},
		{`\p{ASCII}+`, []string{"abc~"}, []string{"é"}},
		{`\p{IsL}+`, []string{"ab"}, []string{"1"}},
		{`[\w+=,.@-]*`, []string{"", "a_b+c=d,e.f@g-h"}, []string{"pic-ro- 6ACCOUNTNUMBER6", "é"}},
		{`[a-zA-Z0-9&$@#\\\/%?=~\-_'"|!:,.;*+\[\]\ \(\)\{\}]+`, []string{`a\b/c [d] (e) {f}`}, []string{"a<b"}},
		{`\p{L}+(?:(\.|\_)\p{L}+){0,2}`, []string{"a_b.c"}, []string{"a__b"}},
		{`d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`,
			[]string{"d-0123456789", "01234567-89ab-cdef-0123-456789abcdef"},
			[]string{"d-0123456789\n", "xd-0123456789", "d-0123456789x"}},
	}
	checkPatterns(t, cases)
}

// patternCase is a Java pattern with strings it must match and strings it
// must not.
type patternCase struct {
	java     string
	match    []string
	nonMatch []string
}

// checkPatterns compiles each case's pattern and reports every string it
// matches wrongly.
func checkPatterns(t *testing.T, cases []patternCase) {
	t.Helper()
	for _, tc := range cases {
		m, err := compilePattern(tc.java)
		if err != nil {
			t.Errorf("%q: %v", tc.java, err)
			continue
		}
		for _, s := range tc.match {
			if !m.match([]byte(s)) {
				t.Errorf("%q should match %q", tc.java, s)
			}
		}
		for _, s := range tc.nonMatch {
			if m.match([]byte(s)) {
				t.Errorf("%q should not match %q", tc.java, s)
			}
		}
	}
}

func TestTranslateUnsupported(t *testing.T) {
	for _, p := range []string{`a(?=b)`, `a(?!b)`, `(?<=a)b`, `(?<!a)b`, `a*+`, `a++`, `(?>a)`, `(a)\1`, `[a[b]]`, `[a-z&&[^b]]`, `\Qa\E`, `\h`, `\p{javaLowerCase}`} {
		if _, err := translateJavaRegexp(p); !errors.Is(err, errUnsupported) {
			t.Errorf("%q: got %v, want errUnsupported", p, err)
		}
	}
}

func TestOverridePatterns(t *testing.T) {
	cases := []patternCase{
		{`(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?`,
			[]string{"PT12H", "PT1H", "P1D", "P2W", "PT1.5S", "-P1Y", "P1Y2M3DT4H5M6S", "PT0S"},
			[]string{"", "P", "PT", "-P", "T1H", "P1H", "PT1D", "PT12H ", "pt1h"}},
		{`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`,
			[]string{"abc", "my-alias", "a-b-c", strings.Repeat("a", 63)},
			[]string{"ab", "my--alias", "-abc", "abc-", "ABC", strings.Repeat("a", 64)}},
	}
	checkPatterns(t, cases)
}

// TestClassFastPathAgrees checks the rune-range matcher against the regexp
// it replaces, for every model pattern that uses it.
func TestClassFastPathAgrees(t *testing.T) {
	samples := []string{
		"", "a", "abc", "A-Z_0.9", "a b", "a\tb", "a\nb", "a\rb", "a\x0bb", "\x00", "\x7f",
		"é", "日本語", "\u00a0", "\u3000", "\u2028", "\U0001F600", "\uFFFD", "\xff",
		"user@example.com", "arn:aws:iam::123456789012:role/x", "{\"Version\":\"2012-10-17\"}",
		strings.Repeat("x", 64), strings.Repeat("x", 65), strings.Repeat("é", 300),
		"aws:identitystore:enterprise", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
	}
	n := 0
	for p := range modelPatterns(t) {
		m, err := compilePattern(p)
		if err != nil || m.class == nil {
			continue
		}
		n++
		for _, s := range samples {
			if got, want := m.class.match([]byte(s)), m.all[0].MatchString(s); got != want {
				t.Errorf("%q on %q: fast path %v, regexp %v", p, s, got, want)
			}
		}
	}
	if n == 0 {
		t.Fatal("no pattern uses the fast path")
	}
}
