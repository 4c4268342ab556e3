package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

// rawUserFixtures are users whose profiles cover what a stored profile can
// hold: every member, none, extensions, external ids, and strings that
// encoding/json escapes.
func rawUserFixtures() []store.User {
	yes, no := true, false
	full := newUser(2)
	full.DisplayName = "Zoë \"Z\" <Ünïcödé> & 🚀\u2028\\"
	full.Profile = store.UserProfile{
		Name: &store.Name{Formatted: "Dr. Zoë Q. Public III", FamilyName: "Public", GivenName: "Zoë", MiddleName: "Q",
			HonorificPrefix: "Dr.", HonorificSuffix: "III"},
		NickName: "zo\te\n", ProfileURL: "https://example.com/~zoe?a=1&b=<2>",
		Emails: []store.Email{{Value: "zoe@example.com", Type: "work", Primary: &yes}, {Value: "z@example.org", Type: "home", Primary: &no}},
		Addresses: []store.Address{{StreetAddress: "1 Rue de l'Église", Locality: "Paris", Region: "IDF", PostalCode: "75001",
			Country: "FR", Formatted: "1 Rue de l'Église\n75001 Paris", Type: "work", Primary: &yes}},
		PhoneNumbers: []store.PhoneNumber{{Value: "+33 1 23 45 67 89", Type: "work", Primary: &no}},
		UserType:     "Employee", Title: "Ingénieure", PreferredLanguage: "fr-FR", Locale: "fr_FR", Timezone: "Europe/Paris",
		Photos:  []store.Photo{{Value: "https://example.com/z.png", Type: "photo", Display: "Zoë", Primary: &yes}},
		Website: "https://zoe.example", Birthdate: "1990-01-31",
		Roles:       []store.Role{{Value: "admin", Type: "job", Primary: &yes}},
		Extensions:  map[string]json.RawMessage{"aws:identitystore:enterprise": json.RawMessage(`{ "employeeNumber" : "42", "n": 1.50 }`)},
		ExternalIDs: []store.ExternalID{{Issuer: "okta", ID: "00u2"}},
	}
	empty := newUser(3)
	empty.EmailKey, empty.DisplayName, empty.CreatedBy, empty.UpdatedBy = "", "", "", ""
	empty.Profile = store.UserProfile{}
	external := newUser(4)
	external.Profile.ExternalIDs = []store.ExternalID{{Issuer: "https://idp.example/", ID: "ü-4"}, {Issuer: "scim", ID: "4"}}
	return []store.User{newUser(1), full, empty, external, newUser(5)}
}

// testRawUsers: ListRawUsers pages like ListUsers, and each raw profile is
// exactly what encoding/json wrote for the profile last stored, which
// decodes to the profile ListUsers returns.
func testRawUsers(t *testing.T, open Connect) {
	s := open()
	users := rawUserFixtures()
	update(t, s, func(tx store.Tx) error {
		for _, u := range users {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	// A later write replaces the stored profile.
	users[4].Profile.Title, users[4].Version = "Updated", 2
	update(t, s, func(tx store.Tx) error { return tx.UpdateUser(ctx, users[4]) })

	var listed []store.RawUser
	for after := ""; ; {
		raw, err := s.ListRawUsers(ctx, store.ListQuery{After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := s.ListUsers(ctx, store.ListQuery{After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != len(decoded) {
			t.Fatalf("after %q: %d raw users, %d users", after, len(raw), len(decoded))
		}
		for i, r := range raw {
			u, err := r.Decode()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(u, decoded[i]) {
				t.Errorf("raw user decodes to\n%+v\nListUsers has\n%+v", u, decoded[i])
			}
		}
		listed = append(listed, raw...)
		if len(raw) < 2 {
			break
		}
		after = raw[len(raw)-1].ID
	}
	if len(listed) != len(users) {
		t.Fatalf("listed %d raw users, want %d", len(listed), len(users))
	}
	for i, r := range listed {
		want, err := json.Marshal(users[i].Profile)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != users[i].ID || string(r.Profile) != string(want) {
			t.Errorf("raw user %s profile\n%s\nwant %s as written\n%s", r.ID, r.Profile, users[i].ID, want)
		}
	}

	// The same inside a transaction's snapshot.
	err := s.View(ctx, func(r store.Reader) error {
		raw, err := r.ListRawUsers(ctx, store.ListQuery{After: users[0].ID, Limit: 10})
		if err != nil {
			return err
		}
		if len(raw) != len(users)-1 || raw[0].ID != users[1].ID {
			return fmt.Errorf("in View: %d raw users from %v", len(raw), raw)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
