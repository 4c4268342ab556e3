package policy

import (
	"bytes"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// checkRoundTrip asserts parse → print → parse is stable: the reparsed
// document equals the original and prints identically.
func checkRoundTrip(t *testing.T, doc *Document, kind Kind) {
	t.Helper()
	out, err := doc.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	again, err := Parse(out, kind)
	if err != nil {
		t.Fatalf("reparsing the canonical form: %v\n%s", err, out)
	}
	if diff := cmp.Diff(doc, again); diff != "" {
		t.Fatalf("canonical form changed the document (-before +after):\n%s\n%s", diff, out)
	}
	out2, _ := again.MarshalJSON()
	if !bytes.Equal(out, out2) {
		t.Fatalf("printing is not stable:\n%s\n%s", out, out2)
	}
	if _, err := Parse(doc.Format(), kind); err != nil {
		t.Fatalf("reparsing the indented form: %v", err)
	}
}

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, must
// return only *ValidationError, and every accepted document must round-trip
// through the printer, compile, and evaluate without panicking. The seed
// corpus lives in testdata/fuzz/FuzzParse, so plain `go test` replays it.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var ctx Context
		ctx.Add(KeyUsername, "bob")
		ctx.Add(KeyTagKeys, "a")
		ctx.Add(KeyTagKeys, "b")
		ctx.Add(KeySourceIP, "10.0.0.1")
		ctx.Add(KeyCurrentTime, "2024-01-01T00:00:00Z")
		req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: &ctx,
			Caller: &Caller{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/bob"}}
		for _, kind := range []Kind{IdentityBased, ResourceBased} {
			doc, err := Parse(data, kind)
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("Parse returned %T, not *ValidationError: %v", err, err)
				}
				continue
			}
			checkRoundTrip(t, doc, kind)
			switch kind {
			case IdentityBased:
				c, err := Compile(Set{Identity: []Policy{{Name: "p", Document: doc}}, Session: []Policy{{Name: "s", Document: doc}}})
				if err != nil {
					t.Fatalf("Compile rejected a parsed document: %v", err)
				}
				_ = c.Evaluate(req)
			case ResourceBased:
				rp, err := CompileResourcePolicy(Policy{Name: "r", Document: doc})
				if err != nil {
					t.Fatalf("CompileResourcePolicy rejected a parsed document: %v", err)
				}
				_ = rp.Evaluate(req)
			}
		}
		_ = SizeWithoutWhitespace(data)
	})
}

// FuzzMatch compares the wildcard matcher with the regexp reference.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"arn:aws:s3:::*", "arn:aws:s3:::b/k"},
		{"a*b?c", "axxbyc"},
		{"*:*", "s3:GetObject"},
		{"a**?", "ab"},
		{"?é", "xé"},
		{"", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		if !utf8.ValidString(pattern) || len(pattern) > 64 || len(subject) > 256 {
			return // regexp rejects invalid UTF-8; long inputs only slow the reference
		}
		checkGlobAgainstRegexp(t, pattern, subject, false)
		if isASCII(pattern) && isASCII(subject) {
			checkGlobAgainstRegexp(t, pattern, subject, true)
		}
	})
}

// FuzzDate checks that the hand-written date parser never panics and agrees
// with time.Parse on RFC 3339 inputs it accepts.
func FuzzDate(f *testing.F) {
	for _, s := range []string{"2020-01-01T00:00:00Z", "2020-01-01", "1577836800", "2020-01-01T01:00:00+01:00", "2020-02-30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDate(s)
		_, _ = parseDecimal(s)
		_, _ = parseIPPattern(s)
		ref, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || ref.Year() < 1000 {
			return
		}
		if !ok {
			t.Fatalf("parseDate(%q) rejected an RFC 3339 date", s)
		}
		if got != ref.Unix() {
			t.Fatalf("parseDate(%q) = %d, time.Parse says %d", s, got, ref.Unix())
		}
	})
}
