package awsapi

import (
	"regexp"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
)

func TestPager(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := NewPager([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })
	tok := p.Encode("ListUsers:", "user-42")
	// Every AWS model's NextToken pattern accepts these characters.
	if !regexp.MustCompile(`^[-a-zA-Z0-9_]+$`).MatchString(tok) {
		t.Fatalf("token %q has characters outside [-a-zA-Z0-9_]", tok)
	}
	if pos, err := p.Decode("ListUsers:", tok); err != nil || pos != "user-42" {
		t.Fatalf("Decode = %q, %v", pos, err)
	}
	if pos, err := p.Decode("ListUsers:", ""); err != nil || pos != "" {
		t.Fatal("an empty token must start the listing")
	}
	if _, err := p.Decode("ListGroups:", tok); !fault.Is(err, fault.Invalid) {
		t.Fatal("a token was accepted by another listing")
	}
	for i := range tok {
		b := []byte(tok)
		b[i] ^= 1
		if _, err := p.Decode("ListUsers:", string(b)); err == nil {
			t.Fatalf("a change at byte %d went unnoticed", i)
		}
	}
	other := NewPager([]byte("another key of thirty-two bytes!"), func() time.Time { return now })
	if _, err := other.Decode("ListUsers:", tok); err == nil {
		t.Fatal("a token verified under another key")
	}
	now = now.Add(25 * time.Hour)
	if _, err := p.Decode("ListUsers:", tok); !fault.Is(err, fault.Invalid) {
		t.Fatal("an expired token was accepted")
	}
}

func TestTimeJSON(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Unix(1700000000, 0), "1700000000"},
		{time.Unix(1700000000, 123_000_000), "1700000000.123"},
		{time.Unix(1700000000, 7_000_000), "1700000000.007"},
		{time.Unix(1700000000, 50_000_000), "1700000000.050"},
	} {
		b, _ := Time(c.t).MarshalJSON()
		if string(b) != c.want {
			t.Errorf("MarshalJSON(%v) = %s, want %s", c.t, b, c.want)
		}
		if a := Time(c.t).AppendJSON([]byte(`{"t":`)); string(a) != `{"t":`+c.want {
			t.Errorf("AppendJSON(%v) = %s", c.t, a)
		}
		var back Time
		if err := back.UnmarshalJSON(b); err != nil || !time.Time(back).Equal(c.t) {
			t.Errorf("round trip of %s = %v, %v", b, time.Time(back), err)
		}
	}
	var x Time
	if x.UnmarshalJSON([]byte(`"2020"`)) == nil || x.UnmarshalJSON([]byte(`NaN`)) == nil {
		t.Error("non-numeric timestamps accepted")
	}
}

func TestTimeJSONNegative(t *testing.T) {
	tm := time.UnixMilli(-1500) // 1969-12-31T23:59:58.500Z
	b, _ := Time(tm).MarshalJSON()
	if string(b) != "-1.500" {
		t.Fatalf("MarshalJSON = %s, want -1.500", b)
	}
	var back Time
	if err := back.UnmarshalJSON(b); err != nil || !time.Time(back).Equal(tm) {
		t.Fatalf("round trip = %v, %v", time.Time(back), err)
	}
}
