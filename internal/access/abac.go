package access

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Attribute is one attribute for access control: a session tag key and
// where its value comes from.
type Attribute struct {
	Key string `json:"Key"`
	// Sources holds one source, as the API allows: "${path:<attribute>}"
	// on the identity store user, or "" for a value the external identity
	// provider asserts.
	Sources []string `json:"Sources"`
}

// AttributeConfig is the instance's attributes-for-access-control
// configuration.
type AttributeConfig struct {
	Attributes []Attribute
	Status     string
}

const attributesEnabled = "ENABLED"

func abacNotFound() error {
	return fault.NotFoundf("ACCESS_CONTROL_ATTRIBUTE_CONFIGURATION", "",
		"The instance has no attributes for access control configuration")
}

// checkAttributes validates a configuration: at most the limit, unique
// keys, and sources Gatehouse can resolve.
func (s *Service) checkAttributes(attrs []Attribute) error {
	if len(attrs) > s.limits.Attributes {
		return fault.Invalidf("accessControlAttributes: at most %d attributes are allowed", s.limits.Attributes)
	}
	seen := map[string]bool{}
	for _, a := range attrs {
		if seen[a.Key] {
			return fault.Invalidf("accessControlAttributes: duplicate key %s", a.Key)
		}
		seen[a.Key] = true
		if strings.HasPrefix(strings.ToLower(a.Key), "aws:") {
			return fault.Invalidf("accessControlAttributes: key %s: keys that begin with aws: are reserved", a.Key)
		}
		for _, src := range a.Sources {
			if err := CheckAttributeSource(src); err != nil {
				return fault.Invalidf("accessControlAttributes: key %s: %s", a.Key, err.Error())
			}
		}
	}
	return nil
}

// CreateAttributeConfig enables attributes for access control.
func (s *Service) CreateAttributeConfig(ctx context.Context, attrs []Attribute) error {
	if err := s.checkAttributes(attrs); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.GetAccessControlAttributes(ctx); err == nil {
			return fault.Conflictf("", "The instance already has an attributes for access control configuration; update it instead")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return s.putAttributes(ctx, tx, attrs, true)
	})
}

func (s *Service) putAttributes(ctx context.Context, tx store.Tx, attrs []Attribute, create bool) error {
	if attrs == nil {
		attrs = []Attribute{}
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return fmt.Errorf("access: encode attributes: %w", err)
	}
	now := s.utcNow()
	c := store.AccessControlAttributes{Attributes: b, Status: attributesEnabled, CreatedAt: now, UpdatedAt: now}
	if !create {
		old, err := tx.GetAccessControlAttributes(ctx)
		if err != nil {
			return translate(err, abacNotFound)
		}
		c.CreatedAt = old.CreatedAt
	}
	if err := tx.PutAccessControlAttributes(ctx, c); err != nil {
		return err
	}
	return audit.Stage(ctx, tx, nil)
}

// UpdateAttributeConfig replaces the configuration.
func (s *Service) UpdateAttributeConfig(ctx context.Context, attrs []Attribute) error {
	if err := s.checkAttributes(attrs); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error { return s.putAttributes(ctx, tx, attrs, false) })
}

// DescribeAttributeConfig returns the configuration.
func (s *Service) DescribeAttributeConfig(ctx context.Context) (AttributeConfig, error) {
	c, err := s.store.GetAccessControlAttributes(ctx)
	if err != nil {
		return AttributeConfig{}, translate(err, abacNotFound)
	}
	var attrs []Attribute
	if err := json.Unmarshal(c.Attributes, &attrs); err != nil {
		return AttributeConfig{}, fmt.Errorf("access: decode attributes: %w", err)
	}
	return AttributeConfig{Attributes: attrs, Status: c.Status}, nil
}

// DeleteAttributeConfig disables attributes for access control.
func (s *Service) DeleteAttributeConfig(ctx context.Context) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteAccessControlAttributes(ctx); err != nil {
			return translate(err, abacNotFound)
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// ---- sources ----

// singleSources are the user attributes AWS documents as sources, by
// lower-case path; each resolves to at most one value.
var singleSources = map[string]string{
	"username": "userName", "displayname": "displayName", "nickname": "nickName", "profileurl": "profileUrl",
	"title": "title", "usertype": "userType", "preferredlanguage": "preferredLanguage", "locale": "locale",
	"timezone": "timezone", "name.givenname": "name.givenName", "name.familyname": "name.familyName",
	"name.middlename": "name.middleName", "name.formatted": "name.formatted",
	"name.honorificprefix": "name.honorificPrefix", "name.honorificsuffix": "name.honorificSuffix",
	"enterprise.employeenumber": "employeeNumber", "enterprise.costcenter": "costCenter",
	"enterprise.organization": "organization", "enterprise.division": "division",
	"enterprise.department": "department", "enterprise.manager.value": "manager",
}

// listSources are the multi-valued user attributes and the fields of their
// items.
var listSources = map[string]map[string]bool{
	"emails":       {"value": true, "type": true},
	"phonenumbers": {"value": true, "type": true},
	"addresses": {"streetaddress": true, "locality": true, "region": true, "postalcode": true, "country": true,
		"formatted": true, "type": true},
	"roles": {"value": true, "type": true},
}

// parsedSource is a ${path:…} source taken apart.
type parsedSource struct {
	path string // lower-case path without a filter
	// list sources: the list, an optional filter and the item field
	list, field       string
	filterAttr, value string
	filtered          bool
	groups            bool
}

// parseSource parses "${path:<attribute>}". Besides AWS's forms
// ("userName", "name.givenName", `emails[primary eq true].value`,
// "enterprise.department") Gatehouse accepts multi-valued sources
// ("emails.value", "addresses.locality", "roles.value") and "groups", the
// display names of the user's groups.
func parseSource(src string) (parsedSource, error) {
	inner, ok := strings.CutPrefix(src, "${path:")
	if !ok || !strings.HasSuffix(inner, "}") {
		return parsedSource{}, fmt.Errorf("source %q must have the form ${path:<attribute>}", src)
	}
	path := strings.TrimSuffix(inner, "}")
	lower := strings.ToLower(path)
	if _, ok := singleSources[lower]; ok {
		return parsedSource{path: lower}, nil
	}
	if lower == "groups" || lower == "groups.displayname" {
		return parsedSource{groups: true}, nil
	}
	p := parsedSource{}
	listPart, field, ok := cutLast(path, ".")
	if !ok {
		return parsedSource{}, fmt.Errorf("source %q names an attribute Gatehouse does not know", src)
	}
	if i := strings.Index(listPart, "["); i >= 0 {
		cond, okEnd := strings.CutSuffix(listPart[i+1:], "]")
		parts := strings.Fields(cond)
		if !okEnd || len(parts) != 3 || !strings.EqualFold(parts[1], "eq") {
			return parsedSource{}, fmt.Errorf("source %q has a filter Gatehouse does not understand (use [attribute eq value])", src)
		}
		p.filtered, p.filterAttr, p.value = true, strings.ToLower(parts[0]), strings.Trim(parts[2], `"`)
		listPart = listPart[:i]
	}
	p.list, p.field = strings.ToLower(listPart), strings.ToLower(field)
	fields, ok := listSources[p.list]
	if !ok || !fields[p.field] {
		return parsedSource{}, fmt.Errorf("source %q names an attribute Gatehouse does not know", src)
	}
	if p.filtered && p.filterAttr != "primary" && !fields[p.filterAttr] {
		return parsedSource{}, fmt.Errorf("source %q filters on an attribute Gatehouse does not know", src)
	}
	return p, nil
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+len(sep):], true
}

// CheckAttributeSource reports whether Gatehouse can resolve a source.
func CheckAttributeSource(src string) error {
	if src == "" {
		return nil // asserted by an external identity provider
	}
	_, err := parseSource(src)
	return err
}

// ResolveAttribute returns the values of a source for a user; groups are
// the display names of the user's groups. A source that yields nothing
// returns nil, so the key is left out of the session rather than set to "".
func ResolveAttribute(src string, u store.User, groups []string) []string {
	p, err := parseSource(src)
	if err != nil {
		return nil
	}
	if p.groups {
		return nonEmpty(groups)
	}
	if p.path != "" {
		return nonEmpty([]string{singleValue(p.path, u)})
	}
	var items []any
	switch p.list {
	case "emails":
		items = toAny(u.Profile.Emails)
	case "phonenumbers":
		items = toAny(u.Profile.PhoneNumbers)
	case "addresses":
		items = toAny(u.Profile.Addresses)
	case "roles":
		items = toAny(u.Profile.Roles)
	}
	var out []string
	for _, it := range items {
		if p.filtered && !strings.EqualFold(fieldOf(it, p.filterAttr), p.value) {
			continue
		}
		out = append(out, fieldOf(it, p.field))
	}
	return nonEmpty(out)
}

func singleValue(path string, u store.User) string {
	p := u.Profile
	name := p.Name
	if name == nil {
		name = &store.Name{}
	}
	switch path {
	case "username":
		return u.UserName
	case "displayname":
		return u.DisplayName
	case "nickname":
		return p.NickName
	case "profileurl":
		return p.ProfileURL
	case "title":
		return p.Title
	case "usertype":
		return p.UserType
	case "preferredlanguage":
		return p.PreferredLanguage
	case "locale":
		return p.Locale
	case "timezone":
		return p.Timezone
	case "name.givenname":
		return name.GivenName
	case "name.familyname":
		return name.FamilyName
	case "name.middlename":
		return name.MiddleName
	case "name.formatted":
		return name.Formatted
	case "name.honorificprefix":
		return name.HonorificPrefix
	case "name.honorificsuffix":
		return name.HonorificSuffix
	}
	field := singleSources[path]
	var ent map[string]json.RawMessage
	if raw, ok := p.Extensions["aws:identitystore:enterprise"]; !ok || json.Unmarshal(raw, &ent) != nil {
		return ""
	}
	raw := ent[field]
	if field == "manager" {
		var m struct {
			Value string `json:"value"`
		}
		_ = json.Unmarshal(raw, &m)
		return m.Value
	}
	var v string
	_ = json.Unmarshal(raw, &v)
	return v
}

func toAny[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i := range xs {
		out[i] = xs[i]
	}
	return out
}

// fieldOf reads a field of an email, phone number, address or role by its
// lower-case JSON name; "primary" reads as "true" or "false".
func fieldOf(item any, field string) string {
	v := reflect.ValueOf(item)
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if strings.ToLower(name) != field {
			continue
		}
		f := v.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				return "false"
			}
			f = f.Elem()
		}
		return fmt.Sprint(f.Interface())
	}
	return ""
}

func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
