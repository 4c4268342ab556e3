package identitystore

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

const testStoreID = "d-1234567890"

// fullProfile sets every member of a profile, with strings encoding/json
// escapes and extensions.
func fullProfile() store.UserProfile {
	yes, no := true, false
	return store.UserProfile{
		Name: &store.Name{Formatted: "Dr. Zoë Q. Public III", FamilyName: "Public", GivenName: "Zoë", MiddleName: "Q",
			HonorificPrefix: "Dr.", HonorificSuffix: "III"},
		NickName: "zo\te\n\"z\"", ProfileURL: "https://example.com/~zoe?a=1&b=<2>",
		Emails: []store.Email{{Value: "zoe@example.com", Type: "work", Primary: &yes}, {Value: "z@example.org", Type: "home", Primary: &no}, {}},
		Addresses: []store.Address{{StreetAddress: "1 Rue de l'Église", Locality: "Paris", Region: "IDF", PostalCode: "75001",
			Country: "FR", Formatted: "1 Rue de l'Église\n75001 Paris", Type: "work", Primary: &yes}},
		PhoneNumbers: []store.PhoneNumber{{Value: "+33 1 23 45 67 89", Type: "work", Primary: &no}},
		UserType:     "Employee", Title: "Ingénieure \\ 🚀\u2028\u2029", PreferredLanguage: "fr-FR", Locale: "fr_FR",
		Timezone: "Europe/Paris", Website: "https://zoe.example", Birthdate: "1990-01-31",
		Photos:      []store.Photo{{Value: "https://example.com/z.png", Type: "photo", Display: "Zoë", Primary: &yes}},
		Roles:       []store.Role{{Value: "admin", Type: "job", Primary: &yes}},
		Extensions:  map[string]json.RawMessage{"aws:identitystore:enterprise": json.RawMessage(`{"employeeNumber":"42","manager":{"value":"u-1"}}`)},
		ExternalIDs: []store.ExternalID{{Issuer: "okta", ID: "00u2"}},
	}
}

// listFixtures are users covering what a page can hold.
func listFixtures() []store.User {
	at := time.Date(2026, 3, 4, 5, 6, 7, 891000000, time.UTC)
	user := func(n int, p store.UserProfile) store.User {
		return store.User{
			ID: fmt.Sprintf("u-%04d", n), UserName: fmt.Sprintf("user%d", n), UserNameKey: fmt.Sprintf("user%d", n),
			DisplayName: fmt.Sprintf("User %d", n), Status: "ENABLED", Profile: p,
			CreatedAt: at.Add(time.Duration(n) * time.Second), CreatedBy: "arn:aws:iam::111122223333:user/admin",
			UpdatedAt: at.Add(time.Duration(n) * time.Minute), UpdatedBy: "arn:aws:iam::111122223333:user/admin", Version: 1,
		}
	}
	full := user(1, fullProfile())
	full.UserName, full.DisplayName, full.Status = "zoë<&>", "Zoë \"Z\" Públic\x01\xff", "DISABLED"
	noExtensions := user(2, fullProfile())
	noExtensions.Profile.Extensions = nil
	noExtensions.Profile.ExternalIDs = []store.ExternalID{{Issuer: "okta", ID: "00u3"}}
	minimal := user(3, store.UserProfile{})
	minimal.UserName, minimal.DisplayName, minimal.Status, minimal.CreatedBy, minimal.UpdatedBy = "", "", "", "", ""
	minimal.CreatedAt, minimal.UpdatedAt = time.Time{}, time.Time{}
	preEpoch := user(4, store.UserProfile{Name: &store.Name{}, Emails: []store.Email{{Value: "old@example.com"}}})
	preEpoch.CreatedAt, preEpoch.UpdatedAt = time.Date(1969, 7, 20, 20, 17, 0, 500000000, time.UTC), time.Unix(0, 0)
	external := user(5, store.UserProfile{ExternalIDs: []store.ExternalID{{Issuer: "https://idp.example/", ID: "ü-5"}, {Issuer: "scim", ID: "5"}}})
	// An extension named like the member that holds extensions.
	tricky := user(6, store.UserProfile{Title: `"Extensions":`, Extensions: map[string]json.RawMessage{`"Extensions":`: json.RawMessage(`"x"`)}})
	plainTitle := user(7, store.UserProfile{Title: `"Extensions":{}`})
	out := []store.User{full, noExtensions, minimal, preEpoch, external, tricky, plainTitle}
	for n := 8; n < 14; n++ {
		out = append(out, user(n, store.UserProfile{Name: &store.Name{GivenName: "G", FamilyName: fmt.Sprint(n)}}))
	}
	return out
}

func newTestAPI(t *testing.T, users []store.User) *api {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Path: filepath.Join(t.TempDir(), "i.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(context.Background(), func(tx store.Tx) error {
		for _, u := range users {
			if err := tx.CreateUser(context.Background(), u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) }
	return &api{
		dir:       directory.New(db, testStoreID, now),
		pages:     awsapi.Listings{Pager: awsapi.NewPager([]byte("0123456789abcdef0123456789abcdef"), now), Service: "identitystore"},
		accountID: "111122223333",
	}
}

// oldListUsers is listUsers as it was before it encoded pages itself
// (decoded users, userOut, encoding/json): the path that now serves only
// the deprecated filter, taken for every listing.
func (a *api) oldListUsers(ctx context.Context, in *listIn) ([]byte, error) {
	name, err := checkFilters(in.Filters, "UserName")
	if err != nil {
		return nil, err
	}
	out, err := a.listUsersDecoded(ctx, in, "ListUsers:"+name, name)
	if err != nil {
		return nil, err
	}
	return out.JSON, nil
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b)
	}
	return m
}

// TestListUsersMatchesDecodedPath: every page listUsers encodes itself
// means what the decoded path's page meant, member for member.
func TestListUsersMatchesDecodedPath(t *testing.T) {
	ctx := context.Background()
	users := listFixtures()
	a := newTestAPI(t, users)
	ext := "aws:identitystore:enterprise"
	for _, tc := range []struct {
		name string
		in   listIn
	}{
		{"default page", listIn{}},
		{"pages of 2", listIn{MaxResults: new(2)}},
		{"pages of 3 with extensions", listIn{MaxResults: new(3), Extensions: []string{ext, `"Extensions":`}}},
		{"unknown extension", listIn{Extensions: []string{"nope"}}},
		{"filter", listIn{Filters: []Filter{{AttributePath: "UserName", AttributeValue: "zoë<&>"}}}},
		{"filter and extensions", listIn{Filters: []Filter{{AttributePath: "userName", AttributeValue: "user6"}}, Extensions: []string{`"Extensions":`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.IdentityStoreID = testStoreID
			seen := 0
			for page := 0; ; page++ {
				got, err := a.listUsers(ctx, &in)
				if err != nil {
					t.Fatal(err)
				}
				want, err := a.oldListUsers(ctx, &in)
				if err != nil {
					t.Fatal(err)
				}
				g, w := decode(t, got.JSON), decode(t, want)
				if !reflect.DeepEqual(g, w) {
					t.Fatalf("page %d:\n got %s\nwant %s", page, got.JSON, want)
				}
				seen += len(g["Users"].([]any))
				token, _ := g["NextToken"].(string)
				if token == "" {
					break
				}
				in.NextToken = token
			}
			if len(in.Filters) == 0 && seen != len(users) {
				t.Fatalf("listed %d users, want %d", seen, len(users))
			}
		})
	}
}

// TestListUsersSplicesEveryMember keeps appendUser complete: the members it
// writes and those of the stored profile are exactly User's, so a member
// added to either shape cannot go missing from (or be doubled in) a page.
func TestListUsersSplicesEveryMember(t *testing.T) {
	members := func(typ reflect.Type) map[string]bool {
		out := map[string]bool{}
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out[name] = true
		}
		return out
	}
	written := []string{"IdentityStoreId", "UserId", "UserName", "DisplayName", "UserStatus", "CreatedAt", "CreatedBy", "UpdatedAt", "UpdatedBy"}
	want := members(reflect.TypeFor[store.UserProfile]())
	for _, m := range written {
		if want[m] {
			t.Errorf("%s is both written by appendUser and a profile member", m)
		}
		want[m] = true
	}
	if got := members(reflect.TypeFor[User]()); !reflect.DeepEqual(got, want) {
		t.Errorf("User members %v, want appendUser's and the profile's %v", got, want)
	}
	// The fixtures fill every profile member.
	p := reflect.ValueOf(fullProfile())
	for i := range p.NumField() {
		if p.Field(i).IsZero() {
			t.Errorf("fullProfile leaves %s empty", p.Type().Field(i).Name)
		}
	}
}
