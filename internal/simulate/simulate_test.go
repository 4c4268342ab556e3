package simulate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStatementPositionsGolden checks StartPosition/EndPosition against
// golden files: testdata/positions/NAME.json is a policy, NAME.golden has
// one "start L:C end L:C" line per statement. aws-cli-example is the AWS
// CLI's documented simulate-custom-policy example, whose output IAM gives
// as Line 1, Column 38 to Line 1, Column 167.
func TestStatementPositionsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/positions/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			for _, s := range statementSpans(string(doc)) {
				fmt.Fprintf(&got, "start %d:%d end %d:%d\n", s.start.Line, s.start.Column, s.end.Line, s.end.Column)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("positions (-want +got):\n%s", diff)
			}
		})
	}
}

const platformPolicy = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ManageTaggedPermissionSets",
            "Effect": "Allow",
            "Action": "sso:*",
            "Resource": "arn:aws:sso:::permissionSet/*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "platform"}}
        },
        {"Sid": "Instance", "Effect": "Allow", "Action": "sso:*", "Resource": "arn:aws:sso:::instance/*"},
        {
            "Sid": "NoIdentityStoreWrites",
            "Effect": "Deny",
            "Action": ["identitystore:Create*", "identitystore:Delete*"],
            "Resource": "*"
        }
    ]
}`

func TestRun(t *testing.T) {
	ps := "arn:aws:sso:::permissionSet/ssoins-1/ps-1"
	custom := []Document{{ID: "PolicyInputList.1", Type: TypeNone, Text: platformPolicy}}
	m := func(start, end Position) Statement {
		return Statement{SourcePolicyID: "PolicyInputList.1", SourcePolicyType: TypeNone, Start: start, End: end}
	}
	first, third := m(Position{4, 10}, Position{10, 10}), m(Position{12, 10}, Position{17, 10})
	tests := []struct {
		name string
		in   Input
		want []Result
	}{
		{"tagged permission set allowed", Input{Identity: custom, Actions: []string{"sso:DescribePermissionSet"}, Resources: []string{ps},
			Context: []ContextEntry{{Key: "aws:ResourceTag/team", Values: []string{"platform"}, Type: "string"}}},
			[]Result{{Action: "sso:DescribePermissionSet", Resource: ps, Decision: Allowed, Matched: []Statement{first}, Missing: []string{}}}},
		{"missing tag is reported", Input{Identity: custom, Actions: []string{"sso:DescribePermissionSet"}, Resources: []string{ps}},
			[]Result{{Action: "sso:DescribePermissionSet", Resource: ps, Decision: ImplicitDeny, Matched: []Statement{}, Missing: []string{"aws:ResourceTag/team"}}}},
		{"other tag value denies, nothing missing", Input{Identity: custom, Actions: []string{"sso:DeletePermissionSet"}, Resources: []string{ps},
			Context: []ContextEntry{{Key: "aws:resourcetag/team", Values: []string{"data"}, Type: "string"}}},
			[]Result{{Action: "sso:DeletePermissionSet", Resource: ps, Decision: ImplicitDeny, Matched: []Statement{}, Missing: []string{}}}},
		{"explicit deny matched, several actions", Input{Identity: custom, Actions: []string{"identitystore:CreateUser", "identitystore:ListUsers"}},
			[]Result{
				{Action: "identitystore:CreateUser", Resource: "*", Decision: ExplicitDeny, Matched: []Statement{third}, Missing: []string{}},
				{Action: "identitystore:ListUsers", Resource: "*", Decision: ImplicitDeny, Matched: []Statement{}, Missing: []string{}},
			}},
		{"boundary caps", Input{Identity: custom, Boundary: &Document{ID: "PermissionsBoundaryPolicyInputList.1", Type: TypeNone,
			Text: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sso:Describe*","Resource":"*"}}`},
			Actions: []string{"sso:DescribeInstance", "sso:UpdateInstance"}, Resources: []string{"arn:aws:sso:::instance/ssoins-1"}},
			[]Result{
				{Action: "sso:DescribeInstance", Resource: "arn:aws:sso:::instance/ssoins-1", Decision: Allowed,
					Matched: []Statement{m(Position{11, 10}, Position{11, 106})}, Missing: []string{}, BoundaryAllowed: ptr(true)},
				{Action: "sso:UpdateInstance", Resource: "arn:aws:sso:::instance/ssoins-1", Decision: ImplicitDeny,
					Matched: []Statement{}, Missing: []string{}, BoundaryAllowed: ptr(false)},
			}},
		{"resource policy grants the caller", Input{
			Identity: []Document{{ID: "PolicyInputList.1", Type: TypeNone, Text: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}`}},
			ResourcePolicy: &Document{ID: "ResourcePolicy", Type: TypeResource,
				Text: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`},
			CallerARN: "arn:aws:iam::111122223333:user/alice", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/k"}},
			[]Result{{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Decision: Allowed,
				Matched: []Statement{{SourcePolicyID: "ResourcePolicy", SourcePolicyType: TypeResource, Start: Position{1, 38}, End: Position{1, 168}}}, Missing: []string{}}}},
		{"variable in resource is a missing key", Input{
			Identity: []Document{{ID: "alice-s3", Type: TypeUser, Text: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`}},
			Actions:  []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::home/alice/x"}},
			[]Result{{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/x", Decision: ImplicitDeny, Matched: []Statement{}, Missing: []string{"aws:username"}}}},
		{"variable resolved from the context", Input{
			Identity: []Document{{ID: "alice-s3", Type: TypeUser, Text: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`}},
			Actions:  []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::home/alice/x"},
			Context: []ContextEntry{{Key: "aws:username", Values: []string{"alice"}, Type: "string"}}},
			[]Result{{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/x", Decision: Allowed,
				Matched: []Statement{{SourcePolicyID: "alice-s3", SourcePolicyType: TypeUser, Start: Position{1, 38}, End: Position{1, 120}}}, Missing: []string{}}}},
		{"typed context: numeric, ip, date, boolean lists", Input{
			Identity: []Document{{ID: "PolicyInputList.1", Type: TypeNone, Text: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*",
 "Condition":{"NumericLessThan":{"ec2:Count":"5"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},
 "ForAnyValue:Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`}},
			Actions: []string{"ec2:RunInstances"},
			Context: []ContextEntry{{Key: "ec2:Count", Values: []string{"4"}, Type: "numeric"}, {Key: "aws:SourceIp", Values: []string{"10.1.2.3"}, Type: "ip"},
				{Key: "aws:CurrentTime", Values: []string{"2026-05-01T00:00:00Z"}, Type: "date"},
				{Key: "aws:MultiFactorAuthPresent", Values: []string{"false", "true"}, Type: "booleanList"}}},
			[]Result{{Action: "ec2:RunInstances", Resource: "*", Decision: Allowed,
				Matched: []Statement{{SourcePolicyID: "PolicyInputList.1", SourcePolicyType: TypeNone, Start: Position{1, 38}, End: Position{3, 60}}}, Missing: []string{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Run(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Run (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestRunRejects(t *testing.T) {
	doc := []Document{{ID: "PolicyInputList.1", Type: TypeNone, Text: platformPolicy}}
	for name, in := range map[string]Input{
		"malformed policy": {Identity: []Document{{ID: "PolicyInputList.2", Text: `{"Version":"2025-01-01","Statement":[]}`}}, Actions: []string{"s3:GetObject"}},
		"two string values": {Identity: doc, Actions: []string{"s3:GetObject"},
			Context: []ContextEntry{{Key: "aws:username", Values: []string{"a", "b"}, Type: "string"}}},
		"bad number":  {Identity: doc, Actions: []string{"a:b"}, Context: []ContextEntry{{Key: "k:n", Values: []string{"ten"}, Type: "numeric"}}},
		"bad ip":      {Identity: doc, Actions: []string{"a:b"}, Context: []ContextEntry{{Key: "aws:SourceIp", Values: []string{"10.0.0.300"}, Type: "ip"}}},
		"bad date":    {Identity: doc, Actions: []string{"a:b"}, Context: []ContextEntry{{Key: "aws:CurrentTime", Values: []string{"yesterday"}, Type: "date"}}},
		"bad boolean": {Identity: doc, Actions: []string{"a:b"}, Context: []ContextEntry{{Key: "aws:SecureTransport", Values: []string{"yes"}, Type: "boolean"}}},
		"bad binary":  {Identity: doc, Actions: []string{"a:b"}, Context: []ContextEntry{{Key: "k:b", Values: []string{"!!"}, Type: "binary"}}},
		"resource policy without principal": {Identity: doc, Actions: []string{"a:b"},
			ResourcePolicy: &Document{ID: "ResourcePolicy", Text: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Run(in)
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Run = %v, want an input error", err)
			}
			if name == "malformed policy" && !strings.Contains(err.Error(), "PolicyInputList.2") {
				t.Errorf("error %q does not name the policy", err)
			}
		})
	}
}
