package awsapi_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi"
)

// redactCases are requests of the JSON services with sensitive members,
// documents, lists, maps, unions, numbers, booleans and escapes.
var redactCases = []struct{ service, op, body string }{
	{"identitystore", "CreateUser", `{"IdentityStoreId":"d-1234567890","UserName":"jane","DisplayName":"Jane <Doe> & \"co\"",
		"Name":{"GivenName":"Jane","FamilyName":"Doe"},"Emails":[{"Value":"jane@example.com","Type":"work","Primary":true}],
		"Extensions":{"aws:identitystore:enterprise":{"employeeNumber":"42"}},"Unknown":{"x":1}}`},
	{"identitystore", "GetUserId", `{"IdentityStoreId":"d-1234567890","AlternateIdentifier":{"UniqueAttribute":{"AttributePath":"userName","AttributeValue":"jane"}}}`},
	{"identitystore", "ListUsers", `{"IdentityStoreId":"d-1234567890","MaxResults":50,"Filters":[{"AttributePath":"UserName","AttributeValue":"j\u00e9"}]}`},
	{"identitystore", "UpdateUser", `{"IdentityStoreId":"d-1234567890","UserId":"1234567890-8b0ce7a2-3f5b-4b7e-9d8e-2a1b3c4d5e6f","Operations":[{"AttributePath":"name.givenName","AttributeValue":"X"}]}`},
	{"identitystore", "IsMemberInGroups", `{"IdentityStoreId":"d-1234567890","MemberId":{"UserId":"8b0ce7a2-3f5b-4b7e-9d8e-2a1b3c4d5e6f"},"GroupIds":["1234567890-8b0ce7a2-3f5b-4b7e-9d8e-2a1b3c4d5e6f","9b0ce7a2-3f5b-4b7e-9d8e-2a1b3c4d5e6f"]}`},
	{"sso-admin", "CreatePermissionSet", `{"InstanceArn":"arn:aws:sso:::instance/ssoins-1234567890abcdef","Name":"Dev","SessionDuration":"PT1H",
		"Tags":[{"Key":"team","Value":"a"}],"RelayState":"https://example.com/?a=1&b=2"}`},
	{"sso-admin", "PutInlinePolicyToPermissionSet", `{"InstanceArn":"arn:aws:sso:::instance/ssoins-1234567890abcdef",
		"PermissionSetArn":"arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef","InlinePolicy":"{\"Version\":\"2012-10-17\"}"}`},
	{"sso-admin", "ListAccountAssignments", `{"InstanceArn":"arn:aws:sso:::instance/ssoins-1234567890abcdef","AccountId":"123456789012",
		"PermissionSetArn":"arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef","MaxResults":10}`},
	{"organizations", "CreateAccount", `{"Email":"a@example.com","AccountName":"x","Tags":[{"Key":"k","Value":"v"}]}`},
	{"organizations", "ListAccounts", `{}`},
}

// normalize decodes a redacted request into plain values (numbers as
// float64), so that the map Redact builds and the JSON ValidateRedact
// writes compare by content.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestValidateRedactMatchesValidateThenRedact(t *testing.T) {
	validators := map[string]*awsapi.ModelValidator{}
	for _, c := range redactCases {
		v := validators[c.service]
		if v == nil {
			var err error
			if v, err = awsapi.NewModelValidator(c.service); err != nil {
				t.Fatal(err)
			}
			validators[c.service] = v
		}
		body := []byte(c.body)
		got, gotErr := v.ValidateRedact(c.op, body)
		wantErr := v.Validate(c.op, body)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && !reflect.DeepEqual(gotErr, wantErr)) {
			t.Errorf("%s: error %v, want %v", c.op, gotErr, wantErr)
			continue
		}
		if wantErr != nil {
			t.Errorf("%s: test body is invalid: %v", c.op, wantErr)
			continue
		}
		if _, ok := got.(audit.JSON); !ok {
			t.Errorf("%s: ValidateRedact returned %T, want audit.JSON", c.op, got)
		}
		if g, w := normalize(t, got), normalize(t, v.Redact(c.op, body)); !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %v\nwant %v", c.op, g, w)
		}
	}
	// Invalid bodies fail the same way (the model requires no more than
	// the identity store id of CreateUser).
	v := validators["identitystore"]
	for _, body := range []string{``, `{`, `[]`, `{"IdentityStoreId":1}`, `{"IdentityStoreId":"d-1234567890"}`, `{"IdentityStoreId":"x","UserName":"` + string(make([]byte, 200)) + `"}`} {
		_, gotErr := v.ValidateRedact("CreateUser", []byte(body))
		wantErr := v.Validate("CreateUser", []byte(body))
		if !reflect.DeepEqual(gotErr, wantErr) {
			t.Errorf("%q: error %v, want %v", body, gotErr, wantErr)
		}
	}
}

// The one-parse path against the two parses it replaces.
func BenchmarkValidateRedact(b *testing.B) {
	v, err := awsapi.NewModelValidator("identitystore")
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(redactCases[0].body)
	b.Run("one-parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.ValidateRedact("CreateUser", body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("validate-then-redact", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Validate("CreateUser", body); err != nil {
				b.Fatal(err)
			}
			_ = v.Redact("CreateUser", body)
		}
	})
}
