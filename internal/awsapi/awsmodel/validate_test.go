package awsmodel

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func mustLoad(t testing.TB, service string) *Service {
	t.Helper()
	s, err := Load(service)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	isPattern  = `d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
	namePat    = `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`
	sensPat    = "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r \u00a0\u3000]+"
	extPattern = `aws:identitystore:[a-z]{1,20}`
	pathPat    = `(?:\p{L}+:\p{L}+:\p{L}+(?:\.\p{L}+){0,3}|\p{L}+(?:\.\p{L}+){0,2})`
	storeID    = `"IdentityStoreId":"d-1234567890"`
)

type golden struct {
	name     string
	op       string
	body     string
	wantCode string // "" means valid
	wantMsg  string
}

// one builds a one-violation message.
func one(v string) string { return "1 validation error detected: " + v }

func runGolden(t *testing.T, svc *Service, cases []golden) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := svc.ValidateJSON(tc.op, []byte(tc.body))
			checkErr(t, err, tc.wantCode, tc.wantMsg)
		})
	}
}

func checkErr(t *testing.T, err error, wantCode, wantMsg string) {
	t.Helper()
	if wantCode == "" {
		if err != nil {
			t.Fatalf("got %v, want no error", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *Error %s", err, wantCode)
	}
	if e.Code != wantCode || e.Message != wantMsg {
		t.Errorf("got\n  %s: %q\nwant\n  %s: %q", e.Code, e.Message, wantCode, wantMsg)
	}
	if e.Code != CodeSerializationException && ValidationMessage(e.Violations) != e.Message {
		t.Errorf("Violations do not rebuild Message: %q", ValidationMessage(e.Violations))
	}
}

func TestIdentityStoreGolden(t *testing.T) {
	svc := mustLoad(t, "identitystore")
	long37 := strings.Repeat("a", 37)
	emoji64 := strings.Repeat("\U0001F600", 64) // 128 UTF-16 units
	emoji65 := strings.Repeat("\U0001F600", 65) // 130 UTF-16 units, 65 runes
	ops := make([]string, 12)
	for i := range ops {
		ops[i] = `{"AttributePath":"bad path"}`
	}
	var capped []string
	for i := 1; i <= 10; i++ {
		capped = append(capped, fmt.Sprintf("Value 'bad path' at 'operations.%d.member.attributePath' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", i, pathPat))
	}
	cases := []golden{
		// Required members. Form confirmed (Athena, DynamoDB, SWF captures).
		{"CreateUser missing IdentityStoreId", "CreateUser", `{}`, CodeValidationException,
			one("Value null at 'identityStoreId' failed to satisfy constraint: Member must not be null")},
		{"null is absent", "CreateUser", `{"IdentityStoreId":null}`, CodeValidationException,
			one("Value null at 'identityStoreId' failed to satisfy constraint: Member must not be null")},
		// Confirmed verbatim: aws-amplify/amplify-backend#2702, where a shell
		// passed the string "null".
		{"pattern, captured", "CreateUser", `{"IdentityStoreId":"null"}`, CodeValidationException,
			one("Value 'null' at 'identityStoreId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + isPattern)},
		{"pattern", "CreateUser", `{"IdentityStoreId":"abc"}`, CodeValidationException,
			one("Value 'abc' at 'identityStoreId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + isPattern)},
		{"pattern is anchored at both ends", "CreateUser", `{"IdentityStoreId":"xd-1234567890"}`, CodeValidationException,
			one("Value 'xd-1234567890' at 'identityStoreId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + isPattern)},
		{"uuid identity store id", "CreateUser", `{"IdentityStoreId":"0123abcd-0123-4567-89ab-0123456789ab"}`, "", ""},
		{"length then pattern", "CreateUser", `{"IdentityStoreId":"` + long37 + `"}`, CodeValidationException,
			"2 validation errors detected: Value '" + long37 + "' at 'identityStoreId' failed to satisfy constraint: Member must have length less than or equal to 36; " +
				"Value '" + long37 + "' at 'identityStoreId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + isPattern},
		// Sensitive members never echo their value (confirmed, Cognito).
		{"sensitive empty", "CreateUser", `{` + storeID + `,"UserName":""}`, CodeValidationException,
			"2 validation errors detected: Value at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + namePat},
		{"sensitive too long", "CreateUser", `{` + storeID + `,"UserName":"` + strings.Repeat("u", 129) + `"}`, CodeValidationException,
			one("Value at 'userName' failed to satisfy constraint: Member must have length less than or equal to 128")},
		{"UTF-16 length at the limit", "CreateUser", `{` + storeID + `,"UserName":"` + emoji64 + `"}`, "", ""},
		{"UTF-16 length counts surrogate pairs", "CreateUser", `{` + storeID + `,"UserName":"` + emoji65 + `"}`, CodeValidationException,
			one("Value at 'userName' failed to satisfy constraint: Member must have length less than or equal to 128")},
		{"escaped surrogate pair", "CreateUser", `{` + storeID + `,"UserName":"\ud83d\ude00"}`, "", ""},
		{"nested member path", "CreateUser", `{` + storeID + `,"Name":{"GivenName":"a\u0007b"}}`, CodeValidationException,
			one("Value at 'name.givenName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + sensPat)},
		{"list too short, structures not echoed", "CreateUser", `{` + storeID + `,"Emails":[]}`, CodeValidationException,
			one("Value at 'emails' failed to satisfy constraint: Member must have length greater than or equal to 1")},
		{"list too long", "CreateUser", `{` + storeID + `,"Emails":[{},{}]}`, CodeValidationException,
			one("Value at 'emails' failed to satisfy constraint: Member must have length less than or equal to 1")},
		{"list element member", "CreateUser", `{` + storeID + `,"Emails":[{"Value":""}]}`, CodeValidationException,
			"2 validation errors detected: Value at 'emails.1.member.value' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value at 'emails.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: " + sensPat},
		{"required in list element, sensitive", "CreateUser", `{` + storeID + `,"Photos":[{"Type":"x"},{"Value":"v"}]}`, CodeValidationException,
			one("Value at 'photos.1.member.value' failed to satisfy constraint: Member must not be null")},
		{"null list element", "CreateUser", `{` + storeID + `,"Photos":[null]}`, CodeValidationException,
			one("Value null at 'photos.1.member' failed to satisfy constraint: Member must not be null")},
		{"map keys", "CreateUser", `{` + storeID + `,"Extensions":{"bad":{"a":1}}}`, CodeValidationException,
			one("Value at 'extensions' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 50, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: " + extPattern + "]")},
		{"map of documents", "CreateUser", `{` + storeID + `,"Extensions":{"aws:identitystore:enterprise":{"a":[1,{"b":null}],"c":"d"}}}`, "", ""},
		{"map too small", "CreateUser", `{` + storeID + `,"Extensions":{}}`, CodeValidationException,
			one("Value at 'extensions' failed to satisfy constraint: Member must have length greater than or equal to 1")},
		{"unknown members ignored", "CreateUser", `{` + storeID + `,"Bogus":[1,{"x":true}],"userName":5}`, "", ""},
		{"duplicate key, last wins", "CreateUser", `{"IdentityStoreId":"abc",` + storeID + `}`, "", ""},
		{"boolean from string", "CreateUser", `{` + storeID + `,"Emails":[{"Primary":"Yes"}]}`, "", ""},
		{"all members set", "CreateUser", createUserBody, "", ""},

		// Deserializer type errors (see decode.go for which are confirmed).
		{"number for string", "CreateUser", `{` + storeID + `,"UserName":5}`, CodeSerializationException, "NUMBER_VALUE can not be converted to a String"},
		{"true for string", "CreateUser", `{` + storeID + `,"UserName":true}`, CodeSerializationException, "TRUE_VALUE can not be converted to a String"},
		{"false for string", "CreateUser", `{` + storeID + `,"UserName":false}`, CodeSerializationException, "FALSE_VALUE can not be converted to a String"},
		{"list for string", "CreateUser", `{"IdentityStoreId":["d-1234567890"]}`, CodeSerializationException, "Start of list found where not expected"},
		{"object for string", "CreateUser", `{"IdentityStoreId":{}}`, CodeSerializationException, "Start of structure or map found where not expected."},
		{"string for structure", "CreateUser", `{` + storeID + `,"Name":"x"}`, CodeSerializationException, "Expected null"},
		{"list for structure", "CreateUser", `{` + storeID + `,"Name":[]}`, CodeSerializationException, "Start of list found where not expected"},
		{"string for list", "CreateUser", `{` + storeID + `,"Emails":"x"}`, CodeSerializationException, "Expected list or null"},
		{"object for list", "CreateUser", `{` + storeID + `,"Emails":{}}`, CodeSerializationException, "Start of structure or map found where not expected."},
		{"string for map", "CreateUser", `{` + storeID + `,"Extensions":"x"}`, CodeSerializationException, "Expected map or null"},
		{"list for map", "CreateUser", `{` + storeID + `,"Extensions":[]}`, CodeSerializationException, "Start of list found where not expected"},
		{"bad string for boolean", "CreateUser", `{` + storeID + `,"Emails":[{"Primary":"maybe"}]}`, CodeSerializationException, "STRING_VALUE can not be converted to an Boolean"},
		{"number for boolean", "CreateUser", `{` + storeID + `,"Emails":[{"Primary":1}]}`, CodeSerializationException, "NUMBER_VALUE can not be converted to a Boolean"},
		{"type error beats constraint errors", "CreateUser", `{"IdentityStoreId":"abc","UserName":"","Name":{"GivenName":1}}`, CodeSerializationException, "NUMBER_VALUE can not be converted to a String"},
		{"first type error wins", "CreateUser", `{` + storeID + `,"UserName":1,"Name":"x"}`, CodeSerializationException, "NUMBER_VALUE can not be converted to a String"},

		// Bodies that are not a JSON object: no message, except a list.
		{"top-level list", "CreateUser", `[]`, CodeSerializationException, "Start of list found where not expected"},
		{"empty body", "CreateUser", ``, CodeSerializationException, ""},
		{"null body", "CreateUser", `null`, CodeSerializationException, ""},
		{"string body", "CreateUser", `"x"`, CodeSerializationException, ""},
		{"number body", "CreateUser", `1`, CodeSerializationException, ""},
		{"truncated", "CreateUser", `{`, CodeSerializationException, ""},
		{"trailing comma", "CreateUser", `{` + storeID + `,}`, CodeSerializationException, ""},
		{"trailing garbage", "CreateUser", `{` + storeID + `} x`, CodeSerializationException, ""},
		{"syntax error after type error", "CreateUser", `{"UserName":5,`, CodeSerializationException, ""},
		{"bad escape", "CreateUser", `{"IdentityStoreId":"\x"}`, CodeSerializationException, ""},
		{"invalid UTF-8", "CreateUser", "{\"IdentityStoreId\":\"\xff\"}", CodeSerializationException, ""},
		{"control character", "CreateUser", "{\"IdentityStoreId\":\"a\nb\"}", CodeSerializationException, ""},
		{"too deep", "CreateUser", `{` + storeID + `,"Bogus":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`, CodeSerializationException, ""},
		{"deep but allowed", "CreateUser", `{` + storeID + `,"Bogus":` + strings.Repeat("[", MaxDepth-2) + strings.Repeat("]", MaxDepth-2) + `}`, "", ""},

		// ListUsers: numbers, scalar lists, the 10-violation cap.
		{"range min", "ListUsers", `{` + storeID + `,"MaxResults":0}`, CodeValidationException,
			one("Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1")},
		{"range max", "ListUsers", `{` + storeID + `,"MaxResults":101}`, CodeValidationException,
			one("Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100")},
		{"fraction truncated", "ListUsers", `{` + storeID + `,"MaxResults":0.5}`, CodeValidationException,
			one("Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1")},
		{"beyond int32 is a range violation", "ListUsers", `{` + storeID + `,"MaxResults":99999999999}`, CodeValidationException,
			one("Value '99999999999' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100")},
		{"beyond float64", "ListUsers", `{` + storeID + `,"MaxResults":1e400}`, CodeValidationException,
			one("Value '1e400' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100")},
		{"exponent", "ListUsers", `{` + storeID + `,"MaxResults":1e2}`, "", ""},
		{"string for integer", "ListUsers", `{` + storeID + `,"MaxResults":"5"}`, CodeSerializationException, "STRING_VALUE can not be converted to an Integer"},
		{"true for integer", "ListUsers", `{` + storeID + `,"MaxResults":true}`, CodeSerializationException, "TRUE_VALUE can not be converted to an Integer"},
		{"list for integer", "ListUsers", `{` + storeID + `,"MaxResults":[1]}`, CodeSerializationException, "Start of list found where not expected"},
		{"empty string", "ListUsers", `{` + storeID + `,"NextToken":""}`, CodeValidationException,
			one("Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1")},
		{"scalar list element", "ListUsers", `{` + storeID + `,"Extensions":["aws:identitystore:enterprise","bad"]}`, CodeValidationException,
			one("Value '[aws:identitystore:enterprise, bad]' at 'extensions' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 50, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: " + extPattern + "]")},
		{"empty scalar list", "ListUsers", `{` + storeID + `,"Extensions":[]}`, CodeValidationException,
			one("Value '[]' at 'extensions' failed to satisfy constraint: Member must have length greater than or equal to 1")},
		{"filter members", "ListUsers", `{` + storeID + `,"Filters":[{"AttributePath":"user name"}]}`, CodeValidationException,
			"2 validation errors detected: Value at 'filters.1.member.attributeValue' failed to satisfy constraint: Member must not be null; " +
				"Value 'user name' at 'filters.1.member.attributePath' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pathPat},
		{"filter ok", "ListUsers", `{` + storeID + `,"Filters":[{"AttributePath":"UserName","AttributeValue":"jane"}]}`, "", ""},

		// GetUserId: unions and documents.
		{"union external id", "GetUserId", `{` + storeID + `,"AlternateIdentifier":{"ExternalId":{"Issuer":"i","Id":"x"}}}`, "", ""},
		{"union unique attribute with document", "GetUserId", `{` + storeID + `,"AlternateIdentifier":{"UniqueAttribute":{"AttributePath":"emails.value","AttributeValue":"a@b.c"}}}`, "", ""},
		{"union __type ignored", "GetUserId", `{` + storeID + `,"AlternateIdentifier":{"__type":"x","ExternalId":{"Issuer":"i","Id":"x"}}}`, "", ""},
		{"union with two members", "GetUserId", `{` + storeID + `,"AlternateIdentifier":{"ExternalId":{"Issuer":"i","Id":"x"},"UniqueAttribute":{"AttributePath":"a","AttributeValue":1}}}`, CodeSerializationException, ""},
		{"empty union", "GetUserId", `{` + storeID + `,"AlternateIdentifier":{}}`, CodeSerializationException, ""},
		{"null document is absent", "GetUserId", `{` + storeID + `,"AlternateIdentifier":{"UniqueAttribute":{"AttributePath":"userName","AttributeValue":null}}}`, CodeValidationException,
			one("Value null at 'alternateIdentifier.uniqueAttribute.attributeValue' failed to satisfy constraint: Member must not be null")},
		{"two missing, Coral's order", "GetUserId", `{}`, CodeValidationException,
			"2 validation errors detected: Value null at 'alternateIdentifier' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'identityStoreId' failed to satisfy constraint: Member must not be null"},
		{"sensitive union member", "GetUserId", `{` + storeID + `,"AlternateIdentifier":{"ExternalId":{"Issuer":"i","Id":""}}}`, CodeValidationException,
			"2 validation errors detected: Value at 'alternateIdentifier.externalId.id' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value at 'alternateIdentifier.externalId.id' failed to satisfy constraint: Member must satisfy regular expression pattern: " + namePat},

		// UpdateUser.
		{"operations path", "UpdateUser", `{` + storeID + `,"UserId":"0123abcd-0123-4567-89ab-0123456789ab","Operations":[{"AttributePath":"name.givenName","AttributeValue":"x"},{"AttributePath":"1bad"}]}`, CodeValidationException,
			one("Value '1bad' at 'operations.2.member.attributePath' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pathPat)},
		{"operations empty", "UpdateUser", `{` + storeID + `,"UserId":"0123abcd-0123-4567-89ab-0123456789ab","Operations":[]}`, CodeValidationException,
			one("Value at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1")},
		{"ten violations at most", "UpdateUser", `{` + storeID + `,"UserId":"0123abcd-0123-4567-89ab-0123456789ab","Operations":[` + strings.Join(ops, ",") + `]}`, CodeValidationException,
			"10 validation errors detected: " + strings.Join(capped, "; ")},
		{"user id", "UpdateUser", `{` + storeID + `,"UserId":"nope","Operations":[{"AttributePath":"displayName"}]}`, CodeValidationException,
			one("Value 'nope' at 'userId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}")},
	}
	runGolden(t, svc, cases)
}

const createUserBody = `{"IdentityStoreId":"d-1234567890","UserName":"jane.doe@example.com",
 "Name":{"Formatted":"Jane Q. Doe","FamilyName":"Doe","GivenName":"Jane","MiddleName":"Q","HonorificPrefix":"Dr.","HonorificSuffix":"PhD"},
 "DisplayName":"Jane Doe","NickName":"JD","ProfileUrl":"https://example.com/jane",
 "Emails":[{"Value":"jane.doe@example.com","Type":"work","Primary":true}],
 "Addresses":[{"StreetAddress":"1 Main St","Locality":"Springfield","Region":"IL","PostalCode":"62701","Country":"US","Formatted":"1 Main St, Springfield","Type":"work","Primary":true}],
 "PhoneNumbers":[{"Value":"+1 555 0100","Type":"work","Primary":true}],
 "UserType":"Employee","Title":"Engineer","PreferredLanguage":"en-US","Locale":"en_US","Timezone":"America/Chicago"}`

func TestSSOAdminGolden(t *testing.T) {
	svc := mustLoad(t, "sso-admin")
	const inst = `"InstanceArn":"arn:aws:sso:::instance/ssoins-0123456789abcdef"`
	const durPat = `(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?`
	runGolden(t, svc, []golden{
		{"valid", "CreatePermissionSet", `{` + inst + `,"Name":"Admin","Description":"Café access","SessionDuration":"PT12H","RelayState":"https://console.aws.amazon.com/","Tags":[{"Key":"team","Value":"platform"}]}`, "", ""},
		{"missing both", "CreatePermissionSet", `{}`, CodeValidationException,
			"2 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'instanceArn' failed to satisfy constraint: Member must not be null"},
		{"name pattern", "CreatePermissionSet", `{` + inst + `,"Name":"has space"}`, CodeValidationException,
			one(`Value 'has space' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`)},
		{"name too long", "CreatePermissionSet", `{` + inst + `,"Name":"` + strings.Repeat("n", 33) + `"}`, CodeValidationException,
			one("Value '" + strings.Repeat("n", 33) + "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 32")},
		// The lookahead in the Duration pattern, handled by an override.
		{"duration without number", "CreatePermissionSet", `{` + inst + `,"Name":"a","SessionDuration":"PT"}`, CodeValidationException,
			one("Value 'PT' at 'sessionDuration' failed to satisfy constraint: Member must satisfy regular expression pattern: " + durPat)},
		{"duration P alone", "CreatePermissionSet", `{` + inst + `,"Name":"a","SessionDuration":"P"}`, CodeValidationException,
			one("Value 'P' at 'sessionDuration' failed to satisfy constraint: Member must satisfy regular expression pattern: " + durPat)},
		{"duration days", "CreatePermissionSet", `{` + inst + `,"Name":"a","SessionDuration":"P1DT2H30M"}`, "", ""},
		{"description outside Latin-1", "CreatePermissionSet", `{` + inst + `,"Name":"a","Description":"Ā"}`, CodeValidationException,
			one(`Value 'Ā' at 'description' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)},
		{"instance arn", "CreatePermissionSet", `{"InstanceArn":"arn:aws:sso:::instance/short","Name":"a"}`, CodeValidationException,
			one(`Value 'arn:aws:sso:::instance/short' at 'instanceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}`)},
		{"tag value required", "CreatePermissionSet", `{` + inst + `,"Name":"a","Tags":[{"Key":"k"}]}`, CodeValidationException,
			one("Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null")},
		{"relay state", "CreatePermissionSet", `{` + inst + `,"Name":"a","RelayState":"a<b"}`, CodeValidationException,
			one(`Value 'a<b' at 'relayState' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9&$@#\\\/%?=~\-_'"|!:,.;*+\[\]\ \(\)\{\}]+`)},
	})
}

func TestOrganizationsGolden(t *testing.T) {
	svc := mustLoad(t, "organizations")
	runGolden(t, svc, []golden{
		{"valid", "CreateAccount", `{"Email":"ops@example.com","AccountName":"Production","RoleName":"OrganizationAccountAccessRole","IamUserAccessToBilling":"ALLOW","Tags":[{"Key":"env","Value":"prod"}]}`, "", ""},
		{"missing", "CreateAccount", `{}`, CodeValidationException,
			"2 validation errors detected: Value at 'accountName' failed to satisfy constraint: Member must not be null; " +
				"Value at 'email' failed to satisfy constraint: Member must not be null"},
		{"email pattern, sensitive", "CreateAccount", `{"Email":"not an email","AccountName":"x"}`, CodeValidationException,
			one(`Value at 'email' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\s@]+@[^\s@]+\.[^\s@]+`)},
		{"email vertical tab is Java whitespace", "CreateAccount", `{"Email":"a\u000b@example.com","AccountName":"x"}`, CodeValidationException,
			one(`Value at 'email' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\s@]+@[^\s@]+\.[^\s@]+`)},
		{"enum", "CreateAccount", `{"Email":"ops@example.com","AccountName":"x","IamUserAccessToBilling":"MAYBE"}`, CodeValidationException,
			one("Value 'MAYBE' at 'iamUserAccessToBilling' failed to satisfy constraint: Member must satisfy enum value set: [ALLOW, DENY]")},
		{"enum is case-sensitive", "CreateAccount", `{"Email":"ops@example.com","AccountName":"x","IamUserAccessToBilling":"allow"}`, CodeValidationException,
			one("Value 'allow' at 'iamUserAccessToBilling' failed to satisfy constraint: Member must satisfy enum value set: [ALLOW, DENY]")},
		{"anchored model pattern", "CreateAccount", `{"Email":"ops@example.com","AccountName":"x","Tags":[{"Key":"a*b","Value":""}]}`, CodeValidationException,
			one(`Value 'a*b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)},
		{"role name", "CreateAccount", `{"Email":"ops@example.com","AccountName":"x","RoleName":"a b"}`, CodeValidationException,
			one(`Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]{1,64}`)},
		{"operation without input", "DescribeOrganization", `{}`, "", ""},
		{"operation without input ignores members", "DescribeOrganization", `{"x":1}`, "", ""},
	})
}

func TestUnknownOperation(t *testing.T) {
	svc := mustLoad(t, "identitystore")
	err := svc.ValidateJSON("Nope", []byte(`{}`))
	if !errors.Is(err, ErrUnknownOperation) {
		t.Fatalf("got %v, want ErrUnknownOperation", err)
	}
	var e *Error
	if errors.As(err, &e) {
		t.Fatal("unknown operation must not be an AWS error")
	}
}

func TestBodyTooLarge(t *testing.T) {
	svc := mustLoad(t, "identitystore")
	body := `{` + storeID + `,"Bogus":"` + strings.Repeat("x", MaxBodySize) + `"}`
	checkErr(t, svc.ValidateJSON("CreateUser", []byte(body)), CodeSerializationException, "")
}

// TestCoralMemberOrder pins the member order inferred from captures (see
// coralMemberOrder).
func TestCoralMemberOrder(t *testing.T) {
	cases := []struct {
		members []string // model order
		want    []string // order in captured messages
	}{
		{[]string{"IndexName", "KeySchema", "Projection"}, []string{"projection", "indexName", "keySchema"}},
		{[]string{"ReadCapacityUnits", "WriteCapacityUnits"}, []string{"writeCapacityUnits", "readCapacityUnits"}},
		{[]string{"AttributeName", "AttributeType"}, []string{"attributeType", "attributeName"}},
		{[]string{"JobFlowId", "Steps"}, []string{"steps", "jobFlowId"}},
		{[]string{"Domain", "Execution"}, []string{"execution", "domain"}},
		{[]string{"UserPoolId", "Username", "GroupName"}, []string{"groupName", "username"}},
		{[]string{"ClientId", "SecretHash", "Username", "Password"}, []string{"password", "username"}},
	}
	for _, tc := range cases {
		var ms []*Member
		for _, n := range tc.members {
			ms = append(ms, &Member{Name: n, path: lowerFirst(n)})
		}
		var got []string
		want := map[string]bool{}
		for _, w := range tc.want {
			want[w] = true
		}
		for _, i := range coralMemberOrder(ms) {
			if want[ms[i].path] {
				got = append(got, ms[i].path)
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%v: got %v, want %v", tc.members, got, tc.want)
		}
	}
}

func TestJavaStringHash(t *testing.T) {
	// Values computed with Java's "…".hashCode(), as unsigned.
	for s, want := range map[string]int32{"": 0, "a": 97, "hello": 99162322, "identityStoreId": 1656865598, "\U0001F600": 1772899} {
		if got := int32(javaStringHash(s)); got != want {
			t.Errorf("hash(%q) = %d, want %d", s, got, want)
		}
	}
}
