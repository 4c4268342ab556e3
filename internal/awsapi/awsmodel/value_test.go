package awsmodel

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateValueIAMCreatePolicy(t *testing.T) {
	svc := mustLoad(t, "iam")
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	tags := func(n int) []any {
		var out []any
		for range n {
			out = append(out, map[string]any{"Key": "k", "Value": "v"})
		}
		return out
	}
	cases := []struct {
		name     string
		in       map[string]any
		wantCode string
		wantMsg  string
	}{
		{"valid", map[string]any{"PolicyName": "ReadOnly", "PolicyDocument": doc, "Path": "/team/", "Tags": tags(2)}, "", ""},
		{"missing", map[string]any{}, CodeValidationError,
			"2 validation errors detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'policyName' failed to satisfy constraint: Member must not be null"},
		{"name pattern", map[string]any{"PolicyName": "my policy", "PolicyDocument": doc}, CodeValidationError,
			one(`Value 'my policy' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`)},
		{"path pattern", map[string]any{"PolicyName": "p", "PolicyDocument": doc, "Path": "team"}, CodeValidationError,
			one(`Value 'team' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`)},
		// Confirmed form for IAM: 'tags.6.member.value' (captured ValidationError
		// from iam create-user).
		{"tag value pattern", map[string]any{"PolicyName": "p", "PolicyDocument": doc, "Tags": []any{
			map[string]any{"Key": "a", "Value": "b"},
			map[string]any{"Key": "src", "Value": "SourceIP: 1.2.3.4, UserAgent: aws-cli/2.1.17"},
		}}, CodeValidationError,
			one(`Value 'SourceIP: 1.2.3.4, UserAgent: aws-cli/2.1.17' at 'tags.2.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)},
		{"too many tags", map[string]any{"PolicyName": "p", "PolicyDocument": doc, "Tags": tags(51)}, CodeValidationError,
			one("Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")},
		{"document outside Latin-1", map[string]any{"PolicyName": "p", "PolicyDocument": "{\"Sid\":\"€\"}"}, CodeValidationError,
			one(`Value '{"Sid":"€"}' at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)},
		{"wrong Go type", map[string]any{"PolicyName": []any{"a"}, "PolicyDocument": doc}, CodeSerializationException, "Start of list found where not expected"},
		{"unknown members ignored", map[string]any{"PolicyName": "p", "PolicyDocument": doc, "Bogus": 1}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, svc.ValidateInput("CreatePolicy", tc.in), tc.wantCode, tc.wantMsg)
		})
	}
}

func TestValidateValueSTSAssumeRole(t *testing.T) {
	svc := mustLoad(t, "sts")
	const arn = "arn:aws:iam::123456789012:role/Admin"
	cases := []struct {
		name     string
		in       map[string]any
		wantCode string
		wantMsg  string
	}{
		{"valid, numbers as form text", map[string]any{"RoleArn": arn, "RoleSessionName": "alice", "DurationSeconds": "3600"}, "", ""},
		// Confirmed verbatim from captured STS errors.
		{"session name, captured", map[string]any{"RoleArn": arn, "RoleSessionName": "pic-ro- 6ACCOUNTNUMBER6"}, CodeValidationError,
			one(`Value 'pic-ro- 6ACCOUNTNUMBER6' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`)},
		{"duration too long, captured", map[string]any{"RoleArn": arn, "RoleSessionName": "alice", "DurationSeconds": "86400"}, CodeValidationError,
			one("Value '86400' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200")},
		{"duration too short, captured", map[string]any{"RoleArn": arn, "RoleSessionName": "alice", "DurationSeconds": 123}, CodeValidationError,
			one("Value '123' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")},
		{"session name too long", map[string]any{"RoleArn": arn, "RoleSessionName": strings.Repeat("s", 65)}, CodeValidationError,
			one("Value '" + strings.Repeat("s", 65) + "' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64")},
		{"arn with emoji", map[string]any{"RoleArn": arn + "\U0001F600", "RoleSessionName": "alice"}, CodeValidationError,
			one("Value '" + arn + "\U0001F600' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+")},
		{"scalar list", map[string]any{"RoleArn": arn, "RoleSessionName": "alice", "TransitiveTagKeys": []string{"ok", "not ok!"}}, CodeValidationError,
			one(`Value '[ok, not ok!]' at 'transitiveTagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+]`)},
		{"duration not a number", map[string]any{"RoleArn": arn, "RoleSessionName": "alice", "DurationSeconds": "abc"}, CodeSerializationException, ""},
		{"json.Number", map[string]any{"RoleArn": arn, "RoleSessionName": "alice", "DurationSeconds": json.Number("900")}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, svc.ValidateInput("AssumeRole", tc.in), tc.wantCode, tc.wantMsg)
		})
	}
}

func TestValidateValueTypes(t *testing.T) {
	svc := mustLoad(t, "identitystore")
	cases := []struct {
		name     string
		in       any
		wantCode string
		wantMsg  string
	}{
		{"nil", nil, "", ""},
		{"typed nil map", map[string]any(nil), "", ""},
		{"string for structure", "x", CodeSerializationException, "Expected null"},
		{"list for structure", []any{}, CodeSerializationException, "Start of list found where not expected"},
		{"number for string", map[string]any{"IdentityStoreId": 5}, CodeSerializationException, "NUMBER_VALUE can not be converted to a String"},
		{"bool for string", map[string]any{"IdentityStoreId": true}, CodeSerializationException, "TRUE_VALUE can not be converted to a String"},
		{"map for list", map[string]any{"IdentityStoreId": "d-1234567890", "Filters": map[string]any{}}, CodeSerializationException, "Start of structure or map found where not expected."},
		{"int range", map[string]any{"IdentityStoreId": "d-1234567890", "MaxResults": int64(0)}, CodeValidationException,
			one("Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1")},
		{"float truncated", map[string]any{"IdentityStoreId": "d-1234567890", "MaxResults": 100.9}, "", ""},
		{"bool for int", map[string]any{"IdentityStoreId": "d-1234567890", "MaxResults": false}, CodeSerializationException, "FALSE_VALUE can not be converted to an Integer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, svc.ValidateValue("ListUsersRequest", tc.in), tc.wantCode, tc.wantMsg)
		})
	}
	if err := svc.ValidateValue("NoSuchShape", nil); err == nil || errors.As(err, new(*Error)) {
		t.Errorf("unknown shape: got %v", err)
	}
	if err := svc.ValidateInput("NoSuchOperation", nil); !errors.Is(err, ErrUnknownOperation) {
		t.Errorf("unknown operation: got %v", err)
	}
}

func TestParseTimestampText(t *testing.T) {
	want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{"2024-01-02T03:04:05Z", "Tue, 02 Jan 2024 03:04:05 GMT", "1704164645"} {
		got, ok := parseTimestampText(s)
		if !ok || !got.Equal(want) {
			t.Errorf("%q: got %v %v", s, got, ok)
		}
	}
	if _, ok := parseTimestampText("yesterday"); ok {
		t.Error("accepted garbage")
	}
}
