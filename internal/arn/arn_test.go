package arn

import (
	"regexp"
	"testing"
	"time"
)

func TestParseRoundTrip(t *testing.T) {
	for _, s := range []string{
		"arn:aws:sso:::instance/ssoins-0123456789abcdef",
		"arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef",
		"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_0123456789abcdef",
		"arn:aws:s3:::bucket/key:with:colons",
	} {
		a, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if a.String() != s {
			t.Errorf("round trip %q -> %q", s, a.String())
		}
	}
	for _, s := range []string{"", "arn:aws", "urn:aws:s3:::b", "arn::s3:::b", "arn:aws::::x"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}

// The patterns below are the ones of the AWS service models, so ids we
// generate pass the clients' own validation.
func TestGeneratedShapes(t *testing.T) {
	checks := []struct {
		name, pattern string
		gen           func() string
	}{
		{"instance", `^ssoins-[a-f0-9]{16}$`, NewInstanceID},
		{"identity store", `^d-[0-9a-f]{10}$`, NewIdentityStoreID},
		{"account", `^[1-9][0-9]{11}$`, NewAccountID},
		{"uuid", `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, NewUUID},
		{"resource", `^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$`, func() string { return NewResourceID("d-906722b2be") }},
		{"akia", `^AKIA[A-Z2-7]{16}$`, func() string { return NewAccessKeyID("AKIA") }},
		{"secret", `^[A-Za-z0-9+/]{40}$`, NewSecretAccessKey},
	}
	for _, c := range checks {
		re := regexp.MustCompile(c.pattern)
		seen := map[string]bool{}
		for range 200 {
			v := c.gen()
			if !re.MatchString(v) {
				t.Fatalf("%s: %q does not match %s", c.name, v, c.pattern)
			}
			seen[v] = true
		}
		if len(seen) < 190 {
			t.Errorf("%s: only %d distinct values of 200", c.name, len(seen))
		}
	}
	if got := NewResourceID("d-906722b2be")[:11]; got != "906722b2be-" {
		t.Errorf("resource id prefix = %q", got)
	}
}

func TestTimeUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	base := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 1000 {
		id := NewTimeUUID(base.Add(time.Duration(i) * time.Millisecond))
		if !re.MatchString(id) {
			t.Fatalf("%q is not a version 7 UUID", id)
		}
		if id <= prev {
			t.Fatalf("ids made later do not sort later: %q after %q", id, prev)
		}
		prev = id
	}
}

func BenchmarkNewUUID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewUUID()
	}
}

func BenchmarkNewTimeUUID(b *testing.B) {
	b.ReportAllocs()
	now := time.Now()
	for b.Loop() {
		_ = NewTimeUUID(now)
	}
}
