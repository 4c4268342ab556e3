package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestContext(t *testing.T) {
	var c Context
	c.Add("aws:TagKeys", "a")
	c.Add("aws:username", "bob")
	c.Add("AWS:TAGKEYS", "b") // interleaved: values must stay contiguous
	c.AddBool(KeySecureTransport, true)
	c.Add("aws:tagkeys", "c")
	if diff := cmp.Diff([]string{"a", "b", "c"}, c.Values("Aws:TagKeys")); diff != "" {
		t.Errorf("multivalued key (-want +got):\n%s", diff)
	}
	if got := c.Values("aws:UserName"); len(got) != 1 || got[0] != "bob" {
		t.Errorf("Values(aws:UserName) = %v", got)
	}
	if got := c.Values(KeySecureTransport); len(got) != 1 || got[0] != "true" {
		t.Errorf("AddBool stored %v", got)
	}
	if c.Values("aws:missing") != nil || c.Len() != 3 {
		t.Errorf("unexpected context state: %d keys", c.Len())
	}
	if _, ok := c.single("aws:tagkeys"); ok {
		t.Error("a multivalued key resolved as a single value")
	}
	c.Reset()
	if c.Len() != 0 || c.Values("aws:username") != nil {
		t.Error("Reset left keys behind")
	}

	// A warm context refills without allocating.
	fill := func() {
		c.Reset()
		c.Add("aws:username", "bob")
		c.Add("aws:PrincipalTag/Équipe", "bleu")
		c.Add("aws:TagKeys", "a")
		c.Add("aws:TagKeys", "b")
	}
	fill()
	if n := testing.AllocsPerRun(100, fill); n != 0 {
		t.Errorf("refilling a warm Context allocates %.1f times", n)
	}
	if got := c.Values("AWS:PRINCIPALTAG/ÉQUIPE"); len(got) != 1 {
		t.Errorf("Unicode key lookup = %v", got)
	}
}

func TestResultString(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Result{Decision: Allow, Layer: LayerIdentity, Policy: "ReadOnly", Statement: 2, Sid: "S3"}, `Allow by identity policy "ReadOnly" Statement[2] (Sid "S3")`},
		{Result{Decision: ExplicitDeny, Layer: LayerBoundary, Policy: "b", Statement: 0}, `ExplicitDeny by boundary policy "b" Statement[0]`},
		{implicitDeny(LayerSession), "ImplicitDeny (no allow in session policies)"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	var zero Result
	if zero.Decision != ImplicitDeny {
		t.Error("the zero Result must deny")
	}
}

// TestFormat pins the canonical form of a document that uses every element.
func TestFormat(t *testing.T) {
	in := `{"Statement":{"Condition":{"StringLike":{"s3:prefix":["a/*","b/*"]},"Bool":{"aws:SecureTransport":true}},
	  "Resource":"arn:aws:s3:::b/<&>","Action":["s3:GetObject"],"Effect":"Allow","Sid":"X","NotPrincipal":{"Service":"s3.amazonaws.com","AWS":["1","2"]}},
	  "Id":"doc","Version":"2012-10-17"}`
	doc := mustParse(t, in, ResourceBased)
	got, _ := doc.MarshalJSON()
	want := `{"Version":"2012-10-17","Id":"doc","Statement":[{"Sid":"X","Effect":"Allow","NotPrincipal":{"AWS":["1","2"],"Service":"s3.amazonaws.com"},` +
		`"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/<&>","Condition":{"StringLike":{"s3:prefix":["a/*","b/*"]},"Bool":{"aws:SecureTransport":"true"}}}]}`
	if string(got) != want {
		t.Errorf("MarshalJSON:\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(string(doc.Format()), "\n  \"Statement\": [") {
		t.Errorf("Format is not indented:\n%s", doc.Format())
	}
	checkRoundTrip(t, doc, ResourceBased)
}
