package jsonw_test

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/jsonw"
)

// awkward strings: every escape encoding/json makes, invalid UTF-8 and the
// line separators JavaScript does not allow in strings.
var awkward = []string{
	"", "plain", `quote " and backslash \`, "<script>&amp;</script>", "tab\tnewline\nreturn\rbell\a\b\f\x00\x1f",
	"héllo wörld ✓ 𝄞", "bad \xff utf8 \xc3", "line\u2028sep\u2029", "\x7f del",
}

// FuzzAppendString: AppendString writes what encoding/json writes.
func FuzzAppendString(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := jsonw.AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}

// TestAppendMembers: members after the first, the optional one omitted
// when empty, as encoding/json writes a struct's.
func TestAppendMembers(t *testing.T) {
	var v struct {
		A string `json:"a"`
		B string `json:"b"`
		C string `json:"c,omitempty"`
		D string `json:"d,omitempty"`
	}
	v.A, v.B, v.D = "x", "<y>", "\u2028"
	want, _ := json.Marshal(v)
	b := append([]byte(`{"a":`), jsonw.AppendString(nil, v.A)...)
	b = jsonw.AppendMember(b, "b", v.B)
	b = jsonw.AppendOptional(b, "c", v.C)
	b = jsonw.AppendOptional(b, "d", v.D)
	if got := string(append(b, '}')); got != string(want) {
		t.Fatalf("got %s, want %s", got, want)
	}
}
