package directory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// AttributeOperation replaces (Value set) or removes (Value null or absent)
// the attribute at Path, as UpdateUser and UpdateGroup define it.
type AttributeOperation struct {
	Path string
	// Value is the JSON value; nil or "null" removes the attribute.
	Value json.RawMessage
}

func (op AttributeOperation) removes() bool {
	v := bytes.TrimSpace(op.Value)
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}

// decodeStrict decodes an attribute value, refusing unknown fields and
// trailing data. Field names match case-insensitively, so both the API's
// "GivenName" and SCIM's "givenName" work.
func decodeStrict(path string, raw json.RawMessage, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil || dec.More() {
		return fault.Invalidf("Invalid value for attribute %s", path)
	}
	return nil
}

func decodeString(path string, raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fault.Invalidf("Invalid value for attribute %s: must be a string", path)
	}
	if s == "" {
		return "", fault.Invalidf("Invalid value for attribute %s: must not be empty", path)
	}
	return s, nil
}

// applyUserOperation changes one attribute of u. Paths match
// case-insensitively, as the identitystore API accepts them.
func applyUserOperation(u *store.User, op AttributeOperation) error {
	path := op.Path
	lower := strings.ToLower(path)
	remove := op.removes()
	p := &u.Profile

	// Plain string attributes.
	strField := map[string]*string{
		"username": &u.UserName, "displayname": &u.DisplayName,
		"nickname": &p.NickName, "profileurl": &p.ProfileURL, "usertype": &p.UserType, "title": &p.Title,
		"preferredlanguage": &p.PreferredLanguage, "locale": &p.Locale, "timezone": &p.Timezone,
		"website": &p.Website, "birthdate": &p.Birthdate,
	}
	if f, ok := strField[lower]; ok {
		if remove {
			if lower == "username" || lower == "displayname" {
				return fault.Invalidf("%s: The attribute %s is required", lower, lower)
			}
			*f = ""
			return nil
		}
		s, err := decodeString(path, op.Value)
		if err != nil {
			return err
		}
		*f = s
		return nil
	}

	if strings.HasPrefix(lower, "name.") || lower == "name" {
		return applyName(u, lower, path, op, remove)
	}
	if strings.HasPrefix(lower, strings.ToLower(EnterpriseExtension)) {
		return applyEnterprise(p, path, op, remove)
	}
	switch lower {
	case "userstatus":
		if remove {
			return fault.Invalidf("userStatus: The attribute userStatus is required")
		}
		s, err := decodeString(path, op.Value)
		if err != nil {
			return err
		}
		s = strings.ToUpper(s)
		if s != StatusEnabled && s != StatusDisabled {
			return fault.Invalidf("Invalid value for attribute %s: must be ENABLED or DISABLED", path)
		}
		u.Status = s
		return nil
	case "emails":
		return setList(path, op, remove, &p.Emails)
	case "addresses":
		return setList(path, op, remove, &p.Addresses)
	case "phonenumbers":
		return setList(path, op, remove, &p.PhoneNumbers)
	case "photos":
		return setList(path, op, remove, &p.Photos)
	case "roles":
		return setList(path, op, remove, &p.Roles)
	case "emails.value":
		return setListValue(path, op, remove, &p.Emails, func(e *store.Email) *string { return &e.Value })
	case "phonenumbers.value":
		return setListValue(path, op, remove, &p.PhoneNumbers, func(e *store.PhoneNumber) *string { return &e.Value })
	case "externalids", "id", "identitystoreid":
		return fault.Invalidf("The attribute %s cannot be updated", path)
	}
	return fault.Invalidf("Invalid attribute path %s", path)
}

func applyName(u *store.User, lower, path string, op AttributeOperation, remove bool) error {
	if lower == "name" {
		if remove {
			return fault.Invalidf("name: The attribute name is required")
		}
		var n store.Name
		if err := decodeStrict(path, op.Value, &n); err != nil {
			return err
		}
		u.Profile.Name = &n
		return nil
	}
	if u.Profile.Name == nil {
		u.Profile.Name = &store.Name{}
	}
	n := u.Profile.Name
	fields := map[string]*string{
		"name.formatted": &n.Formatted, "name.familyname": &n.FamilyName, "name.givenname": &n.GivenName,
		"name.middlename": &n.MiddleName, "name.honorificprefix": &n.HonorificPrefix, "name.honorificsuffix": &n.HonorificSuffix,
	}
	f, ok := fields[lower]
	if !ok {
		return fault.Invalidf("Invalid attribute path %s", path)
	}
	if remove {
		*f = ""
		return nil
	}
	s, err := decodeString(path, op.Value)
	if err != nil {
		return err
	}
	*f = s
	return nil
}

// setList replaces or removes a multi-valued attribute. A single object is
// accepted for a list as well (one element).
func setList[T any](path string, op AttributeOperation, remove bool, list *[]T) error {
	if remove {
		*list = nil
		return nil
	}
	v := bytes.TrimSpace(op.Value)
	if len(v) > 0 && v[0] == '{' {
		var one T
		if err := decodeStrict(path, v, &one); err != nil {
			return err
		}
		*list = []T{one}
		return nil
	}
	var many []T
	if err := decodeStrict(path, v, &many); err != nil {
		return err
	}
	if len(many) == 0 {
		return fault.Invalidf("Invalid value for attribute %s: must not be empty", path)
	}
	*list = many
	return nil
}

// setListValue sets the value of the single element of a list attribute
// ("emails.value"), creating the element if needed.
func setListValue[T any](path string, op AttributeOperation, remove bool, list *[]T, value func(*T) *string) error {
	if remove {
		*list = nil
		return nil
	}
	s, err := decodeString(path, op.Value)
	if err != nil {
		return err
	}
	if len(*list) == 0 {
		*list = make([]T, 1)
	}
	*value(&(*list)[0]) = s
	return nil
}

func applyEnterprise(p *store.UserProfile, path string, op AttributeOperation, remove bool) error {
	rest := path[len(EnterpriseExtension):]
	if rest == "" {
		if remove {
			delete(p.Extensions, EnterpriseExtension)
			return nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(op.Value, &obj); err != nil || obj == nil {
			return fault.Invalidf("Invalid value for attribute %s: must be an object", path)
		}
		if p.Extensions == nil {
			p.Extensions = map[string]json.RawMessage{}
		}
		p.Extensions[EnterpriseExtension] = append(json.RawMessage(nil), op.Value...)
		return nil
	}
	if rest[0] != '.' {
		return fault.Invalidf("Invalid attribute path %s", path)
	}
	field := rest[1:]
	var sub string
	if strings.EqualFold(field, "manager.value") {
		field, sub = "manager", "value"
	}
	var canonical string
	for f := range enterpriseFields {
		if strings.EqualFold(f, field) {
			canonical = f
		}
	}
	if canonical == "" {
		return fault.Invalidf("Invalid attribute path %s", path)
	}
	obj := map[string]json.RawMessage{}
	if raw, ok := p.Extensions[EnterpriseExtension]; ok {
		if err := json.Unmarshal(raw, &obj); err != nil {
			return fmt.Errorf("directory: stored enterprise extension is not an object: %w", err)
		}
	}
	switch {
	case remove:
		delete(obj, canonical)
	case sub != "":
		s, err := decodeString(path, op.Value)
		if err != nil {
			return err
		}
		v, _ := json.Marshal(map[string]string{"value": s})
		obj[canonical] = v
	default:
		obj[canonical] = append(json.RawMessage(nil), op.Value...)
	}
	if p.Extensions == nil {
		p.Extensions = map[string]json.RawMessage{}
	}
	if len(obj) == 0 {
		delete(p.Extensions, EnterpriseExtension)
		return nil
	}
	enc, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("directory: encode enterprise extension: %w", err)
	}
	p.Extensions[EnterpriseExtension] = enc
	return nil
}
