package directory

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The patterns of the identitystore model, applied to values the model
// cannot check itself (document-typed attribute operations, SCIM input).
var (
	sensitiveString = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r \x{00a0}\x{3000}]+$`)
	userNamePattern = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$`)
	groupNamePat    = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r \x{00a0}]+$`)
	externalIDPat   = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$`)
)

// javaLen counts a string as Java does (UTF-16 code units), which is how the
// AWS models' length limits are measured.
func javaLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// violations collects validation failures and reports them the way AWS
// services do: "N validation error(s) detected: …; …".
type violations []string

func (v *violations) add(path, format string, args ...any) {
	*v = append(*v, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", path, fmt.Sprintf(format, args...)))
}

func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	noun := "errors"
	if len(v) == 1 {
		noun = "error"
	}
	return fault.Invalidf("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))
}

// str checks a string attribute against its length range and pattern.
// Empty strings count as absent and are not checked here.
func (v *violations) str(path, s string, maxLen int, pattern *regexp.Regexp) {
	if s == "" {
		return
	}
	if n := javaLen(s); n > maxLen {
		v.add(path, "Member must have length less than or equal to %d", maxLen)
		return
	}
	if !pattern.MatchString(s) {
		v.add(path, "Member must satisfy regular expression pattern: %s", strings.TrimSuffix(strings.TrimPrefix(pattern.String(), "^"), "$"))
	}
}

func (v *violations) sensitive(path, s string) { v.str(path, s, 1024, sensitiveString) }

// checkUserName validates a user name and refuses reserved ones.
func checkUserName(v *violations, name string) {
	v.str("userName", name, 128, userNamePattern)
	if reserved[Key(name)] {
		*v = append(*v, fmt.Sprintf("userName: %s is a reserved name and can't be used for users or groups", name))
	}
}

// checkProfile validates every attribute of a profile.
func checkProfile(v *violations, p *store.UserProfile) {
	if p.Name != nil {
		v.sensitive("name.formatted", p.Name.Formatted)
		v.sensitive("name.familyName", p.Name.FamilyName)
		v.sensitive("name.givenName", p.Name.GivenName)
		v.sensitive("name.middleName", p.Name.MiddleName)
		v.sensitive("name.honorificPrefix", p.Name.HonorificPrefix)
		v.sensitive("name.honorificSuffix", p.Name.HonorificSuffix)
	}
	for path, s := range map[string]string{
		"nickName": p.NickName, "profileUrl": p.ProfileURL, "userType": p.UserType, "title": p.Title,
		"preferredLanguage": p.PreferredLanguage, "locale": p.Locale, "timezone": p.Timezone,
		"website": p.Website, "birthdate": p.Birthdate,
	} {
		v.sensitive(path, s)
	}
	listMax := func(path string, n, max int) {
		if n > max {
			v.add(path, "Member must have length less than or equal to %d", max)
		}
	}
	listMax("emails", len(p.Emails), 1)
	listMax("addresses", len(p.Addresses), 1)
	listMax("phoneNumbers", len(p.PhoneNumbers), 1)
	listMax("roles", len(p.Roles), 1)
	listMax("photos", len(p.Photos), 3)
	listMax("externalIds", len(p.ExternalIDs), 10)
	for i, e := range p.Emails {
		v.sensitive(fmt.Sprintf("emails.%d.member.value", i+1), e.Value)
		v.sensitive(fmt.Sprintf("emails.%d.member.type", i+1), e.Type)
	}
	for i, a := range p.Addresses {
		base := fmt.Sprintf("addresses.%d.member.", i+1)
		for k, s := range map[string]string{"streetAddress": a.StreetAddress, "locality": a.Locality, "region": a.Region,
			"postalCode": a.PostalCode, "country": a.Country, "formatted": a.Formatted, "type": a.Type} {
			v.sensitive(base+k, s)
		}
	}
	for i, ph := range p.PhoneNumbers {
		v.sensitive(fmt.Sprintf("phoneNumbers.%d.member.value", i+1), ph.Value)
		v.sensitive(fmt.Sprintf("phoneNumbers.%d.member.type", i+1), ph.Type)
	}
	for i, r := range p.Roles {
		v.sensitive(fmt.Sprintf("roles.%d.member.value", i+1), r.Value)
		v.sensitive(fmt.Sprintf("roles.%d.member.type", i+1), r.Type)
	}
	primaryPhotos := 0
	for i, ph := range p.Photos {
		if ph.Value == "" {
			*v = append(*v, fmt.Sprintf("Value null at 'photos.%d.member.value' failed to satisfy constraint: Member must not be null", i+1))
		}
		v.sensitive(fmt.Sprintf("photos.%d.member.value", i+1), ph.Value)
		v.sensitive(fmt.Sprintf("photos.%d.member.type", i+1), ph.Type)
		v.sensitive(fmt.Sprintf("photos.%d.member.display", i+1), ph.Display)
		if ph.Primary != nil && *ph.Primary {
			primaryPhotos++
		}
	}
	if primaryPhotos > 1 {
		*v = append(*v, "photos: only one photo can be designated as primary")
	}
	seen := map[store.ExternalID]bool{}
	for i, x := range p.ExternalIDs {
		v.str(fmt.Sprintf("externalIds.%d.member.issuer", i+1), x.Issuer, 256, externalIDPat)
		v.str(fmt.Sprintf("externalIds.%d.member.id", i+1), x.ID, 256, externalIDPat)
		if seen[x] {
			*v = append(*v, "externalIds: duplicate external id")
		}
		seen[x] = true
	}
	for name, raw := range p.Extensions {
		if name != EnterpriseExtension {
			*v = append(*v, fmt.Sprintf("extensions: %s is not a supported extension; %s is the only supported extension name", name, EnterpriseExtension))
			continue
		}
		checkEnterprise(v, raw)
	}
}

// enterpriseFields are the attributes of the enterprise extension (SCIM's
// enterprise user schema as Identity Center carries it).
var enterpriseFields = map[string]bool{
	"employeeNumber": true, "costCenter": true, "organization": true, "division": true, "department": true, "manager": true,
}

func checkEnterprise(v *violations, raw json.RawMessage) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		*v = append(*v, "extensions: "+EnterpriseExtension+" must be an object")
		return
	}
	for k, val := range fields {
		if !enterpriseFields[k] {
			*v = append(*v, fmt.Sprintf("extensions: %s.%s is not an attribute of the extension", EnterpriseExtension, k))
			continue
		}
		if k == "manager" {
			var m struct {
				Value string `json:"value"`
			}
			if err := json.Unmarshal(val, &m); err != nil {
				*v = append(*v, fmt.Sprintf("extensions: %s.manager must be an object with a string value", EnterpriseExtension))
				continue
			}
			v.sensitive(EnterpriseExtension+".manager.value", m.Value)
			continue
		}
		var s string
		if err := json.Unmarshal(val, &s); err != nil {
			*v = append(*v, fmt.Sprintf("extensions: %s.%s must be a string", EnterpriseExtension, k))
			continue
		}
		v.sensitive(EnterpriseExtension+"."+k, s)
	}
}

// checkRequired enforces what Identity Center requires of a user.
func checkRequired(userName, displayName string, name *store.Name) error {
	if userName == "" {
		return fault.Invalidf("userName is a required attribute")
	}
	var missing []string
	if displayName == "" {
		missing = append(missing, "displayname")
	}
	if name == nil {
		missing = append(missing, "name")
	} else {
		if name.GivenName == "" {
			missing = append(missing, "givenname")
		}
		if name.FamilyName == "" {
			missing = append(missing, "familyname")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	parts := make([]string, len(missing))
	for i, m := range missing {
		parts[i] = fmt.Sprintf("%s: The attribute %s is required", m, m)
	}
	return fault.Invalidf("%s", strings.Join(parts, ", "))
}

// primaryEmailKey returns the normalized address that must be unique.
func primaryEmailKey(p *store.UserProfile) string {
	for _, e := range p.Emails {
		if e.Value != "" {
			return Key(strings.TrimSpace(e.Value))
		}
	}
	return ""
}
