package access

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

func TestResolveAttribute(t *testing.T) {
	yes := true
	u := store.User{UserName: "ana", DisplayName: "Ana B", Profile: store.UserProfile{
		Name:      &store.Name{GivenName: "Ana", FamilyName: "Bell"},
		Title:     "Engineer",
		Emails:    []store.Email{{Value: "ana@work.example", Type: "work", Primary: &yes}, {Value: "ana@home.example", Type: "home"}},
		Addresses: []store.Address{{Locality: "Oxford", Type: "work"}, {Locality: "Leeds", Type: "home"}},
		Extensions: map[string]json.RawMessage{
			"aws:identitystore:enterprise": json.RawMessage(`{"department":"Research","costCenter":"42","manager":{"value":"boss"}}`),
		},
	}}
	groups := []string{"Developers", "Oncall"}
	for src, want := range map[string][]string{
		"${path:userName}":                           {"ana"},
		"${path:name.givenName}":                     {"Ana"},
		"${path:title}":                              {"Engineer"},
		"${path:nickName}":                           nil,
		"${path:enterprise.department}":              {"Research"},
		"${path:enterprise.manager.value}":           {"boss"},
		"${path:emails[primary eq true].value}":      {"ana@work.example"},
		`${path:addresses[type eq "work"].locality}`: {"Oxford"},
		// Gatehouse extensions: multi-valued sources and group names.
		"${path:emails.value}":       {"ana@work.example", "ana@home.example"},
		"${path:addresses.locality}": {"Oxford", "Leeds"},
		"${path:groups}":             {"Developers", "Oncall"},
		"${path:groups.displayName}": {"Developers", "Oncall"},
	} {
		if err := CheckAttributeSource(src); err != nil {
			t.Errorf("CheckAttributeSource(%q) = %v", src, err)
		}
		if got := ResolveAttribute(src, u, groups); !reflect.DeepEqual(got, want) {
			t.Errorf("ResolveAttribute(%q) = %q, want %q", src, got, want)
		}
	}
	for _, bad := range []string{"userName", "${path:password}", "${path:emails[primary gt 1].value}", "${path:emails.secret}", "${path:userName"} {
		if err := CheckAttributeSource(bad); err == nil {
			t.Errorf("CheckAttributeSource(%q) accepted", bad)
		}
	}
}

func TestAttributeConfig(t *testing.T) {
	f := newFixture(t, 1)
	if _, err := f.svc.DescribeAttributeConfig(actx()); !fault.Is(err, fault.NotFound) {
		t.Fatalf("before creation: %v", err)
	}
	attrs := []Attribute{{Key: "team", Sources: []string{"${path:enterprise.department}"}}, {Key: "groups", Sources: []string{"${path:groups}"}}}
	if err := f.svc.CreateAttributeConfig(actx(), attrs); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CreateAttributeConfig(actx(), attrs); !fault.Is(err, fault.Conflict) {
		t.Fatalf("second create: %v", err)
	}
	if err := f.svc.UpdateAttributeConfig(actx(), []Attribute{{Key: "a", Sources: []string{"${path:bogus}"}}}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("unknown source: %v", err)
	}
	if err := f.svc.UpdateAttributeConfig(actx(), []Attribute{{Key: "a", Sources: []string{"${path:title}"}}, {Key: "a", Sources: []string{""}}}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("duplicate key: %v", err)
	}
	many := make([]Attribute, 51)
	for i := range many {
		many[i] = Attribute{Key: string(rune('A'+i%26)) + string(rune('a'+i/26)), Sources: []string{"${path:title}"}}
	}
	if err := f.svc.UpdateAttributeConfig(actx(), many); !fault.Is(err, fault.Invalid) {
		t.Fatalf("51 attributes: %v", err)
	}
	if err := f.svc.UpdateAttributeConfig(actx(), attrs[:1]); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.DescribeAttributeConfig(actx())
	if err != nil || c.Status != "ENABLED" || len(c.Attributes) != 1 || c.Attributes[0].Key != "team" {
		t.Fatalf("config = %+v, %v", c, err)
	}
	if err := f.svc.DeleteAttributeConfig(actx()); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteAttributeConfig(actx()); !fault.Is(err, fault.NotFound) {
		t.Fatalf("second delete: %v", err)
	}
}
