package console

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/awsapi"
)

func TestFieldErrors(t *testing.T) {
	known := userFields
	for _, tc := range []struct {
		msg     string
		general string
		fields  map[string]string
	}{
		{"Duplicate UserName", "", map[string]string{"userName": "Another user already has this user name."}},
		{"1 validation error detected: Value at 'emails.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 1024",
			"", map[string]string{"emails.value": "Value at 'emails.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 1024"}},
		{"2 validation errors detected: Value at 'name.givenName' failed to satisfy constraint: X; Value at 'photos' failed to satisfy constraint: Y",
			"Value at 'photos' failed to satisfy constraint: Y", map[string]string{"name.givenName": "Value at 'name.givenName' failed to satisfy constraint: X"}},
		{"userName: admin is a reserved name and can't be used for users or groups", "userName: admin is a reserved name and can't be used for users or groups", nil},
		{"1 validation error detected: userName: Administrator is a reserved name", "", map[string]string{"userName": "userName: Administrator is a reserved name"}},
	} {
		general, fields := fieldErrors(&CallError{Err: &awsapi.Error{Code: "ValidationException", Message: tc.msg}}, known)
		if general != tc.general || len(fields) != len(tc.fields) {
			t.Errorf("%q: general %q fields %v", tc.msg, general, fields)
			continue
		}
		for k, v := range tc.fields {
			if fields[k] != v {
				t.Errorf("%q: field %s = %q, want %q", tc.msg, k, fields[k], v)
			}
		}
	}
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{"emails.1.member.value": "emails.value", "Name.GivenName": "name.givenName",
		"addresses[0].postalCode": "addresses.postalCode", "userName": "userName"} {
		if got := normalizePath(in); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestControlsEscape: values typed by anyone (a user's attributes shown
// back in a form) cannot break out of their attribute or element.
func TestControlsEscape(t *testing.T) {
	evil := `"><script>alert(1)</script><x a='`
	form := url.Values{"f": {evil}}
	errs := map[string]string{"f": evil}
	for name, out := range map[string]string{
		"input":    string(inputHTML(form, errs, "f", evil, "hint="+evil)),
		"textarea": string(textareaHTML(form, errs, "f", evil)),
		"select":   string(selectHTML(form, errs, "f", evil, "options="+evil+":"+evil)),
		"checkbox": string(checkboxHTML(form, errs, "f", evil)),
	} {
		if strings.Contains(out, "<script>") || strings.Contains(out, evil) {
			t.Errorf("%s: unescaped value in %s", name, out)
		}
		if !strings.Contains(out, `aria-invalid="true"`) || !strings.Contains(out, `aria-describedby="f-f`) {
			t.Errorf("%s: the error is not tied to the control: %s", name, out)
		}
	}
}
