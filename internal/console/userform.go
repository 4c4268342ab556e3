package console

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The user form: every attribute of the identity store that a person
// has, named by its wire path so that a refusal's message lands next to
// its field (fieldErrors). Lists (emails, phone numbers, addresses) hold
// one entry, as Identity Center allows.

// userFields are the form's text fields, for fieldErrors.
var userFields = map[string]bool{
	"userName": true, "displayName": true, "name.givenName": true, "name.familyName": true, "name.middleName": true,
	"name.honorificPrefix": true, "name.honorificSuffix": true, "name.formatted": true, "nickName": true,
	"emails.value": true, "emails.type": true, "phoneNumbers.value": true, "phoneNumbers.type": true,
	"addresses.streetAddress": true, "addresses.locality": true, "addresses.region": true, "addresses.postalCode": true,
	"addresses.country": true, "addresses.type": true, "addresses.formatted": true,
	"title": true, "userType": true, "preferredLanguage": true, "locale": true, "timezone": true, "profileUrl": true, "website": true,
	"enterprise.employeeNumber": true, "enterprise.costCenter": true, "enterprise.organization": true,
	"enterprise.division": true, "enterprise.department": true, "enterprise.manager": true,
}

// enterpriseAttrs are the enterprise extension's attributes in the form.
var enterpriseAttrs = []string{"employeeNumber", "costCenter", "organization", "division", "department"}

// formFromUser fills the form from a user.
func formFromUser(u wireUser) url.Values {
	f := url.Values{}
	set := func(k, v string) {
		if v != "" {
			f.Set(k, v)
		}
	}
	set("userName", u.UserName)
	set("displayName", u.DisplayName)
	if n := u.Name; n != nil {
		set("name.givenName", n.GivenName)
		set("name.familyName", n.FamilyName)
		set("name.middleName", n.MiddleName)
		set("name.honorificPrefix", n.HonorificPrefix)
		set("name.honorificSuffix", n.HonorificSuffix)
	}
	set("nickName", u.NickName)
	if len(u.Emails) > 0 {
		set("emails.value", u.Emails[0].Value)
		set("emails.type", u.Emails[0].Type)
	}
	if len(u.PhoneNumbers) > 0 {
		set("phoneNumbers.value", u.PhoneNumbers[0].Value)
		set("phoneNumbers.type", u.PhoneNumbers[0].Type)
	}
	if len(u.Addresses) > 0 {
		a := u.Addresses[0]
		set("addresses.streetAddress", a.StreetAddress)
		set("addresses.locality", a.Locality)
		set("addresses.region", a.Region)
		set("addresses.postalCode", a.PostalCode)
		set("addresses.country", a.Country)
		set("addresses.type", a.Type)
	}
	set("title", u.Title)
	set("userType", u.UserType)
	set("preferredLanguage", u.PreferredLanguage)
	set("locale", u.Locale)
	set("timezone", u.Timezone)
	set("profileUrl", u.ProfileURL)
	set("website", u.Website)
	if raw, ok := u.Extensions[enterprise]; ok {
		var ext map[string]json.RawMessage
		_ = json.Unmarshal(raw, &ext)
		for _, k := range enterpriseAttrs {
			var s string
			if json.Unmarshal(ext[k], &s) == nil {
				set("enterprise."+k, s)
			}
		}
		var m struct {
			Value string `json:"value"`
		}
		if json.Unmarshal(ext["manager"], &m) == nil {
			set("enterprise.manager", m.Value)
		}
	}
	return f
}

// userFromForm builds a user from the form (for CreateUser and to compare
// with the stored user in an update). Empty fields are absent.
func userFromForm(f url.Values) wireUser {
	g := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	u := wireUser{
		UserName: g("userName"), DisplayName: g("displayName"), NickName: g("nickName"), Title: g("title"), UserType: g("userType"),
		PreferredLanguage: g("preferredLanguage"), Locale: g("locale"), Timezone: g("timezone"), ProfileURL: g("profileUrl"), Website: g("website"),
	}
	n := store.Name{GivenName: g("name.givenName"), FamilyName: g("name.familyName"), MiddleName: g("name.middleName"),
		HonorificPrefix: g("name.honorificPrefix"), HonorificSuffix: g("name.honorificSuffix")}
	if n != (store.Name{}) {
		u.Name = &n
	}
	if v := g("emails.value"); v != "" {
		primary := true
		u.Emails = []store.Email{{Value: v, Type: g("emails.type"), Primary: &primary}}
	}
	if v := g("phoneNumbers.value"); v != "" {
		primary := true
		u.PhoneNumbers = []store.PhoneNumber{{Value: v, Type: g("phoneNumbers.type"), Primary: &primary}}
	}
	a := store.Address{StreetAddress: g("addresses.streetAddress"), Locality: g("addresses.locality"), Region: g("addresses.region"),
		PostalCode: g("addresses.postalCode"), Country: g("addresses.country")}
	if a != (store.Address{}) {
		primary := true
		a.Type, a.Primary = g("addresses.type"), &primary
		u.Addresses = []store.Address{a}
	}
	ext := map[string]any{}
	for _, k := range enterpriseAttrs {
		if v := g("enterprise." + k); v != "" {
			ext[k] = v
		}
	}
	if v := g("enterprise.manager"); v != "" {
		ext["manager"] = map[string]string{"value": v}
	}
	if len(ext) > 0 {
		raw, _ := json.Marshal(ext)
		u.Extensions = map[string]json.RawMessage{enterprise: raw}
	}
	return u
}

// attributeOp is the identitystore AttributeOperation; a nil value
// removes the attribute.
type attributeOp struct {
	AttributePath  string `json:"AttributePath"`
	AttributeValue any    `json:"AttributeValue,omitempty"`
}

// updateOps returns the operations that turn old into the form's user:
// one per attribute that changed.
func updateOps(old wireUser, f url.Values) []attributeOp {
	nu := userFromForm(f)
	var ops []attributeOp
	str := func(path, was, now string) {
		if was == now {
			return
		}
		if now == "" {
			ops = append(ops, attributeOp{AttributePath: path})
			return
		}
		ops = append(ops, attributeOp{AttributePath: path, AttributeValue: now})
	}
	str("userName", old.UserName, nu.UserName)
	str("displayName", old.DisplayName, nu.DisplayName)
	str("nickName", old.NickName, nu.NickName)
	str("title", old.Title, nu.Title)
	str("userType", old.UserType, nu.UserType)
	str("preferredLanguage", old.PreferredLanguage, nu.PreferredLanguage)
	str("locale", old.Locale, nu.Locale)
	str("timezone", old.Timezone, nu.Timezone)
	str("profileUrl", old.ProfileURL, nu.ProfileURL)
	str("website", old.Website, nu.Website)
	// Compare what the form shows, so that attributes the form does not
	// carry (Formatted, Primary flags) do not count as changes.
	was := formFromUser(old)
	changed := func(prefix string) bool {
		for k := range userFields {
			if strings.HasPrefix(k, prefix) && was.Get(k) != strings.TrimSpace(f.Get(k)) {
				return true
			}
		}
		return false
	}
	whole := func(path, prefix string, v any) {
		if !changed(prefix) {
			return
		}
		if reflect.ValueOf(v).IsNil() {
			ops = append(ops, attributeOp{AttributePath: path})
			return
		}
		ops = append(ops, attributeOp{AttributePath: path, AttributeValue: v})
	}
	whole("name", "name.", nu.Name)
	whole("emails", "emails.", nu.Emails)
	whole("phoneNumbers", "phoneNumbers.", nu.PhoneNumbers)
	whole("addresses", "addresses.", nu.Addresses)
	whole(enterprise, "enterprise.", nu.Extensions[enterprise])
	return ops
}
