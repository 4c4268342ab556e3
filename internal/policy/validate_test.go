package policy

import (
	"errors"
	"strings"
	"testing"
)

// validationCase is one row of the validation golden table.
type validationCase struct {
	name string
	ref  string
	kind Kind
	doc  string
	// wantKind is 0 when the document must be accepted.
	wantKind ErrorKind
	wantPath string
	// wantMsg is a substring the message must contain.
	wantMsg string
}

const okStatement = `"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`

var validationCases = []validationCase{
	// Version.
	{name: "version-2012", ref: refVersion + ", current version 2012-10-17",
		doc: `{"Version":"2012-10-17","Statement":{` + okStatement + `}}`},
	{name: "version-2008", ref: refVersion + ", older version 2008-10-17",
		doc: `{"Version":"2008-10-17","Statement":{` + okStatement + `}}`},
	{name: "version-missing", ref: refVersion + ", 'If you do not include a Version element, the value defaults to 2008-10-17'",
		doc: `{"Statement":{` + okStatement + `}}`},
	{name: "version-tutorial-date", ref: refVersion + ", only 2012-10-17 and 2008-10-17 are valid (a tutorial's 2025-01-01 is not)",
		doc: `{"Version":"2025-01-01","Statement":{` + okStatement + `}}`, wantKind: KindValue, wantPath: "Version", wantMsg: `valid versions are "2012-10-17" and "2008-10-17"`},
	{name: "version-not-string", ref: refGrammar + ", <version_block> = \"Version\" : (\"2008-10-17\" | \"2012-10-17\")",
		doc: `{"Version":2012,"Statement":{` + okStatement + `}}`, wantKind: KindStructure, wantPath: "Version"},

	// JSON shape and duplicates.
	{name: "not-json", ref: refGrammar + ", a policy is a JSON object",
		doc: `Version: 2012-10-17`, wantKind: KindSyntax},
	{name: "top-level-array", ref: refGrammar + ", <policy> = { <version_block>? <id_block>? <statement_block> }",
		doc: `[{"Statement":{` + okStatement + `}}]`, wantKind: KindSyntax, wantMsg: "must be a JSON object"},
	{name: "trailing-data", ref: refGrammar + ", exactly one JSON object",
		doc: `{"Statement":{` + okStatement + `}} {}`, wantKind: KindSyntax, wantMsg: "after the policy document"},
	{name: "truncated", ref: refGrammar + ", well-formed JSON",
		doc: `{"Statement":{` + okStatement, wantKind: KindSyntax},
	{name: "duplicate-top-level", ref: refGrammar + ", JSON objects with duplicate names are ambiguous and rejected",
		doc: `{"Statement":{` + okStatement + `},"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, wantKind: KindSyntax, wantPath: "Statement", wantMsg: "duplicate key"},
	{name: "duplicate-effect", ref: refGrammar + ", duplicate statement elements are rejected",
		doc: `{"Statement":[{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}]}`, wantKind: KindSyntax, wantPath: "Statement[0].Effect"},
	{name: "duplicate-operator", ref: refCondition + ", one block per operator; duplicates are rejected",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"StringEquals":{"aws:username":"a"},"StringEquals":{"aws:userid":"b"}}}]}`, wantKind: KindSyntax, wantPath: "Statement[0].Condition.StringEquals"},
	{name: "duplicate-condition-key", ref: refCondition + ", duplicate keys inside an operator block are rejected",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"StringEquals":{"aws:username":"a","aws:username":"b"}}}]}`, wantKind: KindSyntax, wantPath: "Statement[0].Condition.StringEquals.aws:username"},
	{name: "duplicate-condition-key-case", ref: refCondition + ", 'Context key names are not case-sensitive', so keys differing in case are duplicates",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"StringEquals":{"aws:username":"a","AWS:UserName":"b"}}}]}`, wantKind: KindValue, wantPath: "Statement[0].Condition.StringEquals.AWS:UserName"},
	{name: "deeply-nested", ref: refGrammar + ", policies are shallow; absurd nesting is rejected",
		doc: `{"Statement":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, wantKind: KindSyntax, wantMsg: "nested too deeply"},

	// Elements.
	{name: "unknown-top-level", ref: refGrammar + ", only Version, Id and Statement are top-level elements",
		doc: `{"Statements":[{` + okStatement + `}]}`, wantKind: KindStructure, wantPath: "Statements"},
	{name: "missing-statement", ref: refStatement + ", 'The Statement element is the main element for a policy. This element is required'",
		doc: `{"Version":"2012-10-17"}`, wantKind: KindStructure, wantPath: "Statement"},
	{name: "empty-statement-array", ref: refStatement + ", at least one statement",
		doc: `{"Statement":[]}`, wantKind: KindStructure, wantPath: "Statement"},
	{name: "statement-wrong-type", ref: refStatement + ", a statement object or an array of them",
		doc: `{"Statement":"Allow everything"}`, wantKind: KindStructure, wantPath: "Statement"},
	{name: "unknown-statement-element", ref: refGrammar + ", statement elements are Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition",
		doc: `{"Statement":[{` + okStatement + `,"Actions":"s3:*"}]}`, wantKind: KindStructure, wantPath: "Statement[0].Actions"},
	{name: "missing-effect", ref: refGrammar + ", <effect_block> is required",
		doc: `{"Statement":[{"Action":"*","Resource":"*"}]}`, wantKind: KindStructure, wantPath: "Statement[0].Effect"},
	{name: "bad-effect", ref: refGrammar + ", <effect_block> = \"Effect\" : (\"Allow\" | \"Deny\")",
		doc: `{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, wantKind: KindValue, wantPath: "Statement[0].Effect"},
	{name: "action-and-notaction", ref: refNotAction + ", a statement has Action or NotAction, not both",
		doc: `{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"iam:*","Resource":"*"}]}`, wantKind: KindStructure, wantPath: "Statement[0]", wantMsg: "both Action and NotAction"},
	{name: "no-action", ref: refAction + ", each statement must include either an Action or NotAction element",
		doc: `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, wantKind: KindStructure, wantPath: "Statement[0]"},
	{name: "resource-and-notresource", ref: refNotResource + ", a statement has Resource or NotResource, not both",
		doc: `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"arn:aws:s3:::x"}]}`, wantKind: KindStructure, wantPath: "Statement[0]"},
	{name: "no-resource", ref: refResource + ", 'Statements must include either a Resource or a NotResource element'",
		doc: `{"Statement":[{"Effect":"Allow","Action":"*"}]}`, wantKind: KindStructure, wantPath: "Statement[0]"},
	{name: "empty-action-array", ref: refGrammar + ", <action_string_list> is non-empty",
		doc: `{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, wantKind: KindStructure, wantPath: "Statement[0].Action"},
	{name: "action-wrong-type", ref: refGrammar + ", actions are strings",
		doc: `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject",7],"Resource":"*"}]}`, wantKind: KindStructure, wantPath: "Statement[0].Action[1]"},
	{name: "action-without-prefix", ref: refAction + ", actions are service-prefix:action-name",
		doc: `{"Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`, wantKind: KindValue, wantPath: "Statement[0].Action"},
	{name: "resource-not-arn", ref: refResource + ", 'You specify a resource using an ARN' or *",
		doc: `{"Statement":[{"Effect":"Allow","Action":"*","Resource":["*","my-bucket"]}]}`, wantKind: KindValue, wantPath: "Statement[0].Resource[1]"},
	{name: "sid-not-alphanumeric", ref: refSid + ", 'In IAM, the Sid value is limited to ASCII uppercase letters (A-Z), lowercase letters (a-z), and numbers (0-9)'",
		doc: `{"Statement":[{"Sid":"read only",` + okStatement + `}]}`, wantKind: KindValue, wantPath: "Statement[0].Sid"},
	{name: "sid-duplicate", ref: refSid + ", 'In IAM, the Sid value must be unique within a JSON policy'",
		doc: `{"Statement":[{"Sid":"A",` + okStatement + `},{"Sid":"A",` + okStatement + `}]}`, wantKind: KindValue, wantPath: "Statement[1].Sid"},
	{name: "sid-free-form-in-resource-policy", ref: refSid + ", the alphanumeric rule is IAM's; resource policies (S3) accept spaces",
		kind: ResourceBased, doc: `{"Statement":[{"Sid":"Public read","Principal":"*",` + okStatement + `}]}`},
	{name: "identity-with-principal", ref: refPrincipal + ", 'You cannot use the Principal element in an identity-based policy'",
		doc: `{"Statement":[{"Principal":"*",` + okStatement + `}]}`, wantKind: KindStructure, wantPath: "Statement[0].Principal"},
	{name: "identity-with-notprincipal", ref: refNotPrin + ", NotPrincipal is for resource-based policies",
		doc: `{"Statement":[{"NotPrincipal":{"AWS":"123456789012"},` + okStatement + `}]}`, wantKind: KindStructure, wantPath: "Statement[0].NotPrincipal"},
	{name: "resource-policy-without-principal", ref: refPrincipal + ", 'You must use the Principal element in resource-based policies'",
		kind: ResourceBased, doc: `{"Statement":[{` + okStatement + `}]}`, wantKind: KindStructure, wantPath: "Statement[0]"},
	{name: "principal-partial-wildcard", ref: refPrincipal + ", 'You cannot use a wildcard to match part of a principal name or ARN'",
		kind: ResourceBased, doc: `{"Statement":[{"Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},` + okStatement + `}]}`, wantKind: KindValue, wantPath: "Statement[0].Principal.AWS"},
	{name: "principal-unknown-type", ref: refPrincipal + ", principal types are AWS, Service, Federated and CanonicalUser",
		kind: ResourceBased, doc: `{"Statement":[{"Principal":{"User":"bob"},` + okStatement + `}]}`, wantKind: KindStructure, wantPath: "Statement[0].Principal.User"},
	{name: "principal-string-not-star", ref: refPrincipal + ", only \"*\" may be written as a plain string",
		kind: ResourceBased, doc: `{"Statement":[{"Principal":"arn:aws:iam::123456789012:root",` + okStatement + `}]}`, wantKind: KindValue, wantPath: "Statement[0].Principal"},
	{name: "principal-all-forms", ref: refPrincipal + ", AWS, Service, Federated and CanonicalUser principals, single or lists",
		kind: ResourceBased, doc: `{"Statement":[{"Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/R"],"Service":"s3.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"abc"},` + okStatement + `}]}`},

	// Conditions.
	{name: "unknown-operator", ref: refOperators + ", the closed list of condition operators",
		doc: stmts(`{`+okStatement+`}`, `{`+okStatement+`}`, `{`+okStatement+`,"Condition":{"StringLikee":{"s3:prefix":"a*"}}}`), wantKind: KindValue, wantPath: "Statement[2].Condition.StringLikee", wantMsg: `unknown condition operator "StringLikee"`},
	{name: "null-ifexists", ref: refOperators + ", Null has no ...IfExists form",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"NullIfExists":{"aws:username":"true"}}}]}`, wantKind: KindValue, wantPath: "Statement[0].Condition.NullIfExists"},
	{name: "unknown-qualifier", ref: refMultiValue + ", the set operators are ForAllValues and ForAnyValue",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"ForSomeValues:StringEquals":{"aws:TagKeys":"a"}}}]}`, wantKind: KindValue, wantPath: "Statement[0].Condition.ForSomeValues:StringEquals"},
	{name: "condition-not-object", ref: refCondition + ", \"Condition\" : { \"{condition-operator}\" : { \"{condition-key}\" : \"{condition-value}\" }}",
		doc: `{"Statement":[{` + okStatement + `,"Condition":["StringEquals"]}]}`, wantKind: KindStructure, wantPath: "Statement[0].Condition"},
	{name: "operator-block-empty", ref: refCondition + ", an operator block maps keys to values",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"StringEquals":{}}}]}`, wantKind: KindStructure, wantPath: "Statement[0].Condition.StringEquals"},
	{name: "condition-value-null", ref: refGrammar + ", <condition_value> is a string, number or boolean",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"StringEquals":{"aws:username":null}}}]}`, wantKind: KindStructure, wantPath: "Statement[0].Condition.StringEquals.aws:username"},
	{name: "condition-values-empty", ref: refGrammar + ", a value list is non-empty",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"StringEquals":{"aws:username":[]}}}]}`, wantKind: KindStructure, wantPath: "Statement[0].Condition.StringEquals.aws:username"},
	{name: "condition-key-without-prefix", ref: refCondition + ", condition keys are service-prefix:key-name",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"StringEquals":{"username":"bob"}}}]}`, wantKind: KindValue, wantPath: "Statement[0].Condition.StringEquals.username"},
	{name: "bad-number", ref: refOperators + ", 'Numeric condition operators' take integer or decimal values",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"one hour"}}}]}`, wantKind: KindValue, wantPath: "Statement[0].Condition.NumericLessThan.aws:MultiFactorAuthAge"},
	{name: "numeric-variable-unsupported", ref: refOperators + ", 'Numeric condition operators': policy variables not supported",
		doc: `{"Version":"2012-10-17","Statement":[{` + okStatement + `,"Condition":{"NumericLessThan":{"s3:max-keys":"${aws:PrincipalTag/max}"}}}]}`, wantKind: KindValue, wantPath: "Statement[0].Condition.NumericLessThan.s3:max-keys"},
	{name: "bad-date", ref: refOperators + ", 'Date condition operators': W3C ISO 8601 dates or epoch time",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":["2020-01-01","01/02/2020"]}}}]}`, wantKind: KindValue, wantPath: "Statement[0].Condition.DateGreaterThan.aws:CurrentTime[1]"},
	{name: "bad-date-month", ref: refOperators + ", 'Date condition operators': valid calendar dates",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-02-30T00:00:00Z"}}}]}`, wantKind: KindValue},
	{name: "bad-cidr", ref: refOperators + ", 'IP address condition operators': RFC 4632 CIDR format",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"IpAddress":{"aws:SourceIp":"300.1.2.0/24"}}}]}`, wantKind: KindValue, wantPath: "Statement[0].Condition.IpAddress.aws:SourceIp"},
	{name: "bad-bool", ref: refOperators + ", 'Boolean condition operators': true or false",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"Bool":{"aws:SecureTransport":"yes"}}}]}`, wantKind: KindValue, wantPath: "Statement[0].Condition.Bool.aws:SecureTransport"},
	{name: "bad-null-value", ref: refOperators + ", 'Condition operator to check existence of condition keys': true or false",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"Null":{"aws:username":"maybe"}}}]}`, wantKind: KindValue},
	{name: "bad-base64", ref: refOperators + ", 'Binary condition operators': base64-encoded values",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"BinaryEquals":{"ex:blob":"not base64!"}}}]}`, wantKind: KindValue},
	{name: "json-number-and-bool-values", ref: refGrammar + ", condition values may be strings, numbers or booleans",
		doc: `{"Statement":[{` + okStatement + `,"Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"Bool":{"aws:SecureTransport":true}}}]}`},

	// Variables.
	{name: "variable-unterminated", ref: refVariables + ", variables are ${key}",
		doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username/*"}]}`, wantKind: KindValue, wantPath: "Statement[0].Resource", wantMsg: "unterminated policy variable"},
	{name: "variable-empty", ref: refVariables + ", variables name a context key",
		doc: `{"Version":"2012-10-17","Statement":[{` + okStatement + `,"Condition":{"StringEquals":{"aws:username":"${}"}}}]}`, wantKind: KindValue, wantPath: "Statement[0].Condition.StringEquals.aws:username"},
	{name: "variable-default-unquoted", ref: refVariables + ", 'Specifying default values': surround the default with single quotes",
		doc: `{"Version":"2012-10-17","Statement":[{` + okStatement + `,"Condition":{"StringEquals":{"aws:username":"${aws:PrincipalTag/team, none}"}}}]}`, wantKind: KindValue, wantMsg: "must be quoted"},
	{name: "variable-2008-is-text", ref: refVariables + ", before 2012-10-17 ${...} is literal text, so even a malformed one is accepted",
		doc: `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username/*"}]}`},
	{name: "variable-default-and-escapes", ref: refVariables + ", 'Specifying default values' and 'Special characters'",
		doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/team, 'company-wide'}/${*}${?}${$}"}]}`},
}

func TestValidationGolden(t *testing.T) {
	for _, tc := range validationCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ref == "" {
				t.Fatal("golden case without a documentation reference")
			}
			kind := tc.kind
			if kind == 0 {
				kind = IdentityBased
			}
			_, err := Parse([]byte(tc.doc), kind)
			if tc.wantKind == 0 {
				if err != nil {
					t.Fatalf("Parse rejected a valid document: %v\nrule: %s", err, tc.ref)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse accepted an invalid document\nrule: %s", tc.ref)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("errors.Is(err, ErrMalformed) = false for %v", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a *ValidationError: %v", err, err)
			}
			if ve.Kind != tc.wantKind {
				t.Errorf("kind = %v, want %v (%v)", ve.Kind, tc.wantKind, err)
			}
			if tc.wantPath != "" && ve.Path != tc.wantPath {
				t.Errorf("path = %q, want %q (%v)", ve.Path, tc.wantPath, err)
			}
			if tc.wantMsg != "" && !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("message %q does not contain %q", err.Error(), tc.wantMsg)
			}
		})
	}
}

func TestCompileNamesBrokenPolicy(t *testing.T) {
	bad := &Document{Version: Version2012, Statements: []Statement{{Effect: EffectAllow, Action: []string{"s3:GetObject"}, Resource: []string{"bucket"}}}}
	_, err := Compile(Set{Identity: []Policy{{Name: "good", Document: mustParse(t, allowAll, IdentityBased)}}, Session: []Policy{{Name: "inline", Document: bad}}})
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Policy != "inline" || pe.Layer != LayerSession {
		t.Fatalf("Compile error = %v, want a PolicyError for session policy \"inline\"", err)
	}
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("errors.Is(%v, ErrMalformed) = false", err)
	}
	if _, err := Compile(Set{Identity: []Policy{{Name: "nil"}}}); err == nil {
		t.Error("Compile accepted a policy without a document")
	}
}

func TestSizeWithoutWhitespace(t *testing.T) {
	// IAM User Guide, reference_iam-quotas.html: "IAM doesn't count white
	// space when calculating the size of a policy".
	for _, tc := range []struct {
		doc  string
		want int
	}{
		{`{}`, 2},
		{"{ \n\t\"a\" : \"b c\" }", 11},
		{`{"a":"\" x"}`, 12},
		{`{"é":"ü"}`, 9},
	} {
		if got := SizeWithoutWhitespace([]byte(tc.doc)); got != tc.want {
			t.Errorf("SizeWithoutWhitespace(%q) = %d, want %d (%s)", tc.doc, got, tc.want, refQuotas)
		}
	}
}
