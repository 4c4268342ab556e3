package policy

import (
	"fmt"
	"testing"
)

// evalCase is one row of the evaluation golden table.
type evalCase struct {
	name     string
	ref      string
	identity []string
	boundary string
	session  []string
	// resource, if set, is a resource-based policy evaluated together with
	// the identity side through EvaluateWithResource.
	resource string
	action   string
	res      string
	ctx      [][2]string
	caller   *Caller
	want     Decision
	// layer, when non-zero, is the expected Result.Layer.
	layer Layer
	// decidedBy, when set, is "<policy>#<statement>", with policies named
	// identity[i], boundary, session[i] and resource.
	decidedBy string
	sid       string
}

const (
	allowAll      = `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}]}`
	allowS3Read   = `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`
	allowEC2      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`
	denyS3Delete  = `{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}`
	bucketObjects = "arn:aws:s3:::photos/2024/cat.jpg"
	account       = "123456789012"
	otherAccount  = "210987654321"
	userBobArn    = "arn:aws:iam::123456789012:user/bob"
	roleArn       = "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef"
	sessionArn    = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/bob"
)

// The policy of the MFA tutorial: deny everything except MFA self-service
// unless the session used MFA.
const mfaTutorialPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
     "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"],
     "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}`

// Allow with BoolIfExists aws:MultiFactorAuthPresent true, as in the
// IfExists section of the condition operator reference.
const mfaIfExistsAllow = `{"Version":"2012-10-17","Statement":[{"Sid":"NeedMFA","Effect":"Allow","Action":"ec2:*","Resource":"*",
  "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}}]}`

var evalCases = []evalCase{
	// Basic allow and deny.
	{name: "no-statement-matches", ref: refEvalLogic + ", 'By default, all requests are implicitly denied'",
		identity: []string{allowS3Read}, action: "s3:PutObject", res: bucketObjects,
		want: ImplicitDeny, layer: LayerIdentity},
	{name: "empty-set", ref: refEvalLogic + ", implicit deny when no identity policy applies",
		action: "s3:GetObject", res: bucketObjects, want: ImplicitDeny, layer: LayerIdentity},
	{name: "allow-reports-first-allow", ref: refEvalLogic + ", 'an explicit allow in an identity-based policy overrides the default deny'",
		identity: []string{allowEC2, allowS3Read, allowAll}, action: "s3:GetObject", res: bucketObjects,
		want: Allow, layer: LayerIdentity, decidedBy: "identity[1]#0", sid: "Read"},
	{name: "explicit-deny-wins", ref: refEvalLogic + ", 'An explicit deny in any policy overrides any allows'",
		identity: []string{allowAll, denyS3Delete}, action: "s3:DeleteObject", res: bucketObjects,
		want: ExplicitDeny, layer: LayerIdentity, decidedBy: "identity[1]#0", sid: "NoDelete"},
	{name: "deny-other-action-irrelevant", ref: refEvalLogic + ", a deny applies only when it matches",
		identity: []string{allowAll, denyS3Delete}, action: "s3:GetObject", res: bucketObjects,
		want: Allow, decidedBy: "identity[0]#0"},
	{name: "deny-statement-in-same-policy", ref: refEvalLogic + ", 'An explicit deny in any policy overrides any allows'",
		identity: []string{stmts(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Sid":"D","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/*"}`)},
		action:   "s3:PutObject", res: bucketObjects, want: ExplicitDeny, decidedBy: "identity[0]#1", sid: "D"},

	// Action and resource matching.
	{name: "action-case-insensitive", ref: refAction + ", 'the prefix and the action name are case insensitive'",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"S3:getobject"`, `"Resource":"*"`)}, action: "s3:GetObject", res: bucketObjects, want: Allow},
	{name: "action-wildcard-prefix", ref: refAction + ", 'You can use a wildcard (*) to give access to all actions ... that start with' a prefix",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:Get*"`, `"Resource":"*"`)}, action: "s3:GetObjectAcl", res: bucketObjects, want: Allow},
	{name: "action-wildcard-miss", ref: refAction + ", wildcards match only what they cover",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:Get*"`, `"Resource":"*"`)}, action: "s3:PutObject", res: bucketObjects, want: ImplicitDeny},
	{name: "action-wildcard-middle", ref: refAction + ", wildcards anywhere in the action name",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"iam:*AccessKey*"`, `"Resource":"*"`)}, action: "iam:UpdateAccessKey", res: "*", want: Allow},
	{name: "action-service-mismatch", ref: refAction + ", the service prefix must match",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:*"`, `"Resource":"*"`)}, action: "s3express:CreateSession", res: "*", want: ImplicitDeny},
	{name: "resource-case-sensitive", ref: refResource + ", resource ARNs are case sensitive ('In the Resource element, the IAM user name is case sensitive')",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:GetObject"`, `"Resource":"arn:aws:s3:::Photos/*"`)}, action: "s3:GetObject", res: bucketObjects, want: ImplicitDeny},
	{name: "resource-star-crosses-slash", ref: refResource + ", 'Using wildcards in resource ARNs': * is any combination of characters",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:GetObject"`, `"Resource":"arn:aws:s3:::photos/*"`)}, action: "s3:GetObject", res: bucketObjects, want: Allow},
	{name: "resource-star-crosses-colon", ref: refResource + ", 'If the * wildcard is the last character of a resource ARN segment, it can expand to match beyond the colon boundaries'",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"iam:GetUser"`, `"Resource":"arn:aws:iam::*"`)}, action: "iam:GetUser", res: userBobArn, want: Allow},
	{name: "resource-question-mark", ref: refResource + ", 'Using wildcards in resource ARNs': ? is any single character",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:GetObject"`, `"Resource":"arn:aws:s3:::photos/202?/*"`)}, action: "s3:GetObject", res: bucketObjects, want: Allow},
	{name: "resource-question-crosses-colon", ref: refResource + ", wildcards match any character, including ':' (Gatehouse matches the ARN as one string; see docs/policy.md)",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:GetObject"`, `"Resource":"arn:aws:s3:::a?b"`)}, action: "s3:GetObject", res: "arn:aws:s3:::a:b", want: Allow},
	{name: "resource-list-ORed", ref: refResource + ", 'You can specify multiple resources'",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:GetObject"`, `"Resource":["arn:aws:s3:::docs/*","arn:aws:s3:::photos/*"]`)}, action: "s3:GetObject", res: bucketObjects, want: Allow},
	{name: "resource-star-for-resourceless-action", ref: refResource + ", actions that do not support resource-level permissions need Resource \"*\"",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:ListAllMyBuckets"`, `"Resource":"arn:aws:s3:::*"`)}, action: "s3:ListAllMyBuckets", res: "*", want: ImplicitDeny},

	// NotAction and NotResource.
	{name: "notaction-allow-other", ref: refNotAction + ", 'NotAction with Allow: all actions except those listed'",
		identity: []string{stmt(`"Effect":"Allow"`, `"NotAction":"iam:*"`, `"Resource":"*"`)}, action: "s3:GetObject", res: bucketObjects, want: Allow},
	{name: "notaction-allow-listed", ref: refNotAction + ", 'NotAction with Allow': listed actions are not allowed by the statement",
		identity: []string{stmt(`"Effect":"Allow"`, `"NotAction":"iam:*"`, `"Resource":"*"`)}, action: "iam:CreateUser", res: "*", want: ImplicitDeny},
	{name: "notaction-deny", ref: refNotAction + ", 'NotAction with Deny: deny all actions except those listed'",
		identity: []string{allowAll, stmt(`"Sid":"OnlyS3"`, `"Effect":"Deny"`, `"NotAction":"s3:*"`, `"Resource":"*"`)}, action: "ec2:RunInstances", res: "*",
		want: ExplicitDeny, decidedBy: "identity[1]#0", sid: "OnlyS3"},
	{name: "notaction-deny-listed-allowed", ref: refNotAction + ", 'NotAction with Deny'",
		identity: []string{allowAll, stmt(`"Effect":"Deny"`, `"NotAction":"s3:*"`, `"Resource":"*"`)}, action: "s3:GetObject", res: bucketObjects, want: Allow},
	{name: "notresource-allow-other", ref: refNotResource + ", 'NotResource with Allow: all resources except those listed'",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:*"`, `"NotResource":"arn:aws:s3:::secret/*"`)}, action: "s3:GetObject", res: bucketObjects, want: Allow},
	{name: "notresource-allow-listed", ref: refNotResource + ", 'NotResource with Allow'",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:*"`, `"NotResource":["arn:aws:s3:::secret","arn:aws:s3:::secret/*"]`)}, action: "s3:GetObject", res: "arn:aws:s3:::secret/x", want: ImplicitDeny},
	{name: "notresource-deny", ref: refNotResource + ", 'NotResource with Deny: deny everything except the listed resources'",
		identity: []string{allowAll, stmt(`"Effect":"Deny"`, `"Action":"s3:*"`, `"NotResource":"arn:aws:s3:::photos/*"`)}, action: "s3:GetObject", res: "arn:aws:s3:::other/x", want: ExplicitDeny},

	// Conditions inside statements.
	{name: "deny-negated-missing-key", ref: refOperators + ", 'Important': StringNotEquals is true when the key is absent, so the Deny applies",
		identity: []string{allowAll, stmt(`"Effect":"Deny"`, `"Action":"*"`, `"Resource":"*"`, `"Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}`)},
		action:   "ec2:RunInstances", res: "*", want: ExplicitDeny},
	{name: "deny-positive-missing-key", ref: refOperators + ", 'Important': StringEquals is false when the key is absent, so the Deny does not apply",
		identity: []string{allowAll, stmt(`"Effect":"Deny"`, `"Action":"*"`, `"Resource":"*"`, `"Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`)},
		action:   "ec2:RunInstances", res: "*", want: Allow},
	{name: "revoke-older-sessions/old-token", ref: refRevoke + ", the revoke policy denies aws:TokenIssueTime before the revocation time",
		identity: []string{allowAll, stmt(`"Sid":"Revoke"`, `"Effect":"Deny"`, `"Action":"*"`, `"Resource":"*"`, `"Condition":{"DateLessThan":{"aws:TokenIssueTime":"2024-05-01T12:00:00Z"}}`)},
		action:   "s3:GetObject", res: bucketObjects, ctx: kv("aws:TokenIssueTime", "2024-05-01T11:59:59Z"), want: ExplicitDeny, sid: "Revoke"},
	{name: "revoke-older-sessions/new-token", ref: refRevoke + ", sessions issued after the revocation time keep working",
		identity: []string{allowAll, stmt(`"Effect":"Deny"`, `"Action":"*"`, `"Resource":"*"`, `"Condition":{"DateLessThan":{"aws:TokenIssueTime":"2024-05-01T12:00:00Z"}}`)},
		action:   "s3:GetObject", res: bucketObjects, ctx: kv("aws:TokenIssueTime", "2024-05-01T12:00:01Z"), want: Allow},

	// The MFA tutorial and BoolIfExists.
	{name: "mfa-ifexists-allow/true", ref: refOperators + ", '...IfExists condition operators': BoolIfExists aws:MultiFactorAuthPresent true, key present and true",
		identity: []string{mfaIfExistsAllow}, action: "ec2:StopInstances", res: "*", ctx: kv("aws:MultiFactorAuthPresent", "true"), want: Allow, sid: "NeedMFA"},
	{name: "mfa-ifexists-allow/false", ref: refOperators + ", '...IfExists condition operators': key present and false, so the Allow does not apply",
		identity: []string{mfaIfExistsAllow}, action: "ec2:StopInstances", res: "*", ctx: kv("aws:MultiFactorAuthPresent", "false"), want: ImplicitDeny},
	{name: "mfa-ifexists-allow/absent", ref: refOperators + ", '...IfExists condition operators': key absent (long-term keys), so the condition is true",
		identity: []string{mfaIfExistsAllow}, action: "ec2:StopInstances", res: "*", want: Allow},
	{name: "mfa-ifexists-allow/email-otp", ref: refMFATutorial + "; Gatehouse SECURITY.md #10/#49: email OTP sets aws:MultiFactorAuthPresent false",
		identity: []string{mfaIfExistsAllow}, action: "ec2:StopInstances", res: "*", ctx: kv("aws:MultiFactorAuthPresent", "false", "aws:MultiFactorAuthAge", "30"), want: ImplicitDeny},
	{name: "mfa-tutorial/no-mfa-denied", ref: refMFATutorial + ", the Deny with NotAction and BoolIfExists false blocks everything else without MFA",
		identity: []string{mfaTutorialPolicy}, action: "s3:GetObject", res: bucketObjects, ctx: kv("aws:MultiFactorAuthPresent", "false"),
		want: ExplicitDeny, decidedBy: "identity[0]#1", sid: "DenyAllExceptListedIfNoMFA"},
	{name: "mfa-tutorial/absent-denied", ref: refMFATutorial + ", BoolIfExists is true when the key is absent, so long-term credentials are denied too",
		identity: []string{mfaTutorialPolicy}, action: "s3:GetObject", res: bucketObjects, want: ExplicitDeny},
	{name: "mfa-tutorial/self-service-allowed", ref: refMFATutorial + ", the NotAction list stays available without MFA",
		identity: []string{mfaTutorialPolicy}, action: "iam:EnableMFADevice", res: userBobArn, ctx: kv("aws:MultiFactorAuthPresent", "false"), want: Allow, sid: "AllowAll"},
	{name: "mfa-tutorial/with-mfa", ref: refMFATutorial + ", with MFA the Deny does not apply",
		identity: []string{mfaTutorialPolicy}, action: "s3:GetObject", res: bucketObjects, ctx: kv("aws:MultiFactorAuthPresent", "true"), want: Allow},

	// Permissions boundaries.
	{name: "boundary/both-allow", ref: refBoundaries + ", 'effective permissions are the intersection of identity-based policies and the permissions boundary'",
		identity: []string{allowAll}, boundary: allowS3Read, action: "s3:GetObject", res: bucketObjects,
		want: Allow, layer: LayerIdentity, decidedBy: "identity[0]#0"},
	{name: "boundary/lacks-allow", ref: refBoundaries + ", an action outside the boundary is denied even if identity policies allow it",
		identity: []string{allowAll}, boundary: allowS3Read, action: "s3:PutObject", res: bucketObjects, want: ImplicitDeny, layer: LayerBoundary},
	{name: "boundary/does-not-grant", ref: refBoundaries + ", 'A permissions boundary does not grant permissions on its own'",
		identity: []string{allowEC2}, boundary: allowAll, action: "s3:GetObject", res: bucketObjects, want: ImplicitDeny, layer: LayerIdentity},
	{name: "boundary/explicit-deny", ref: refBoundaries + ", an explicit deny in a permissions boundary overrides allows",
		identity: []string{allowAll}, boundary: stmts(`{"Effect":"Allow","Action":"*","Resource":"*"}`, `{"Sid":"BD","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}`),
		action: "s3:DeleteObject", res: bucketObjects, want: ExplicitDeny, layer: LayerBoundary, decidedBy: "boundary#1", sid: "BD"},
	{name: "boundary/condition", ref: refBoundaries + ", boundary statements are evaluated with their conditions",
		identity: []string{allowAll}, boundary: stmt(`"Effect":"Allow"`, `"Action":"*"`, `"Resource":"*"`, `"Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`),
		action: "ec2:RunInstances", res: "*", ctx: kv("aws:RequestedRegion", "us-east-1"), want: ImplicitDeny, layer: LayerBoundary},

	// Session policies.
	{name: "session/both-allow", ref: refSession + ", 'the resulting session permissions are the intersection of the identity-based policies and the session policies'",
		identity: []string{allowAll}, session: []string{allowS3Read}, action: "s3:ListBucket", res: "arn:aws:s3:::photos", want: Allow, decidedBy: "identity[0]#0"},
	{name: "session/lacks-allow", ref: refSession + ", 'Session policies limit the permissions granted by the identity-based policy'",
		identity: []string{allowAll}, session: []string{allowS3Read}, action: "ec2:RunInstances", res: "*", want: ImplicitDeny, layer: LayerSession},
	{name: "session/does-not-grant", ref: refSession + ", 'Session policies ... cannot grant more permissions than those allowed by the identity-based policy'",
		identity: []string{allowEC2}, session: []string{allowAll}, action: "s3:GetObject", res: bucketObjects, want: ImplicitDeny, layer: LayerIdentity},
	{name: "session/any-session-policy-allows", ref: refSession + ", the inline session policy and the managed session policies together form the session policy",
		identity: []string{allowAll}, session: []string{allowEC2, allowS3Read}, action: "s3:GetObject", res: bucketObjects, want: Allow},
	{name: "session/explicit-deny", ref: refSession + ", an explicit deny in a session policy overrides allows",
		identity: []string{allowAll}, session: []string{allowAll, denyS3Delete}, action: "s3:DeleteObject", res: bucketObjects,
		want: ExplicitDeny, layer: LayerSession, decidedBy: "session[1]#0"},
	{name: "boundary-and-session/intersection", ref: refEvalLogic + ", identity ∩ permissions boundary ∩ session policy",
		identity: []string{allowAll}, boundary: allowS3Read, session: []string{allowEC2}, action: "s3:GetObject", res: bucketObjects, want: ImplicitDeny, layer: LayerSession},
	{name: "boundary-and-session/all-allow", ref: refEvalLogic + ", identity ∩ permissions boundary ∩ session policy",
		identity: []string{allowS3Read}, boundary: allowAll, session: []string{allowS3Read}, action: "s3:GetObject", res: bucketObjects, want: Allow, sid: "Read"},

	// Policy variables in Resource.
	{name: "variable/resource-home-folder", ref: refVariables + ", 'Using variables in policies': arn:aws:s3:::bucket/home/${aws:username}/*",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::home/${aws:username}/*"`)},
		action:   "s3:GetObject", res: "arn:aws:s3:::home/bob/notes.txt", ctx: kv("aws:username", "bob"), want: Allow},
	{name: "variable/resource-other-user", ref: refVariables + ", 'Using variables in policies'",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::home/${aws:username}/*"`)},
		action:   "s3:GetObject", res: "arn:aws:s3:::home/alice/notes.txt", ctx: kv("aws:username", "bob"), want: ImplicitDeny},
	{name: "variable/resource-2008-literal", ref: refVariables + ", policy variables exist only in version 2012-10-17; under 2008-10-17 they are literal",
		identity: []string{`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}`},
		action:   "s3:GetObject", res: "arn:aws:s3:::home/bob/notes.txt", ctx: kv("aws:username", "bob"), want: ImplicitDeny},
	{name: "variable/resource-2008-literal-match", ref: refVersion + ", 2008-10-17 treats ${aws:username} as text",
		identity: []string{`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}`},
		action:   "s3:GetObject", res: "arn:aws:s3:::home/${aws:username}/notes.txt", ctx: kv("aws:username", "bob"), want: Allow},
	{name: "variable/resource-default", ref: refVariables + ", 'Specifying default values': arn:aws:s3:::bucket-${aws:PrincipalTag/team, 'company-wide'}",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::bucket-${aws:PrincipalTag/team, 'company-wide'}"`)},
		action:   "s3:ListBucket", res: "arn:aws:s3:::bucket-company-wide", want: Allow},
	{name: "variable/resource-unresolved", ref: refVariables + ", note: an unresolvable variable may make the entire statement invalid",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:*"`, `"Resource":["arn:aws:s3:::public/*","arn:aws:s3:::home/${aws:username}/*"]`)},
		action:   "s3:GetObject", res: "arn:aws:s3:::public/x", want: ImplicitDeny},
	{name: "variable/deny-unresolved-does-not-apply", ref: refVariables + ", note: 'If AWS cannot resolve a variable this might cause the entire statement to be invalid'",
		identity: []string{allowAll, stmt(`"Effect":"Deny"`, `"Action":"s3:*"`, `"NotResource":"arn:aws:s3:::home/${aws:username}/*"`)},
		action:   "s3:GetObject", res: "arn:aws:s3:::home/alice/x", want: Allow},
	{name: "variable/deny-resolved-applies", ref: refVariables + ", variables in NotResource of a Deny",
		identity: []string{allowAll, stmt(`"Effect":"Deny"`, `"Action":"s3:*"`, `"NotResource":"arn:aws:s3:::home/${aws:username}/*"`)},
		action:   "s3:GetObject", res: "arn:aws:s3:::home/alice/x", ctx: kv("aws:username", "bob"), want: ExplicitDeny},
	{name: "variable/identitystore-attribute-resource", ref: refGatehouse + ", ${identitystore:UserAttribute/<attr>} in Resource",
		identity: []string{stmt(`"Effect":"Allow"`, `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::dept-${identitystore:UserAttribute/department}/*"`)},
		action:   "s3:GetObject", res: "arn:aws:s3:::dept-finance/q3.xlsx", ctx: kv("identitystore:UserAttribute/department", "finance"), want: Allow},

	// Resource-based policies combined with the identity side (same account).
	{name: "resource-policy/grants-in-same-account", ref: refEvalLogic + ", same account: an allow in either an identity-based or a resource-based policy is enough",
		identity: []string{allowEC2}, resource: `{"Version":"2012-10-17","Statement":[{"Sid":"Bob","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}`,
		caller: &Caller{Account: account, ARN: userBobArn}, action: "s3:GetObject", res: bucketObjects,
		want: Allow, layer: LayerResource, decidedBy: "resource#0", sid: "Bob"},
	{name: "resource-policy/explicit-deny", ref: refEvalLogic + ", an explicit deny in a resource-based policy overrides identity allows",
		identity: []string{allowAll}, resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
		caller: &Caller{Account: account, ARN: userBobArn}, action: "s3:GetObject", res: bucketObjects, ctx: kv("aws:SecureTransport", "false"),
		want: ExplicitDeny, layer: LayerResource},
	{name: "resource-policy/other-principal", ref: refPrincipal + ", the statement applies only to the listed principal",
		identity: []string{allowEC2}, resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"s3:GetObject","Resource":"*"}]}`,
		caller: &Caller{Account: account, ARN: userBobArn}, action: "s3:GetObject", res: bucketObjects, want: ImplicitDeny, layer: LayerIdentity},
	{name: "resource-policy/boundary-still-caps", ref: refBoundaries + " (Gatehouse keeps boundary and session caps on resource-policy grants; see docs/policy.md)",
		identity: []string{allowEC2}, boundary: allowEC2, resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject","Resource":"*"}]}`,
		caller: &Caller{Account: account, ARN: roleArn, SessionARN: sessionArn}, action: "s3:GetObject", res: bucketObjects, want: ImplicitDeny, layer: LayerBoundary},
}

func TestEvaluateGolden(t *testing.T) {
	for _, tc := range evalCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ref == "" {
				t.Fatal("golden case without a documentation reference")
			}
			var set Set
			for i, d := range tc.identity {
				set.Identity = append(set.Identity, Policy{Name: fmt.Sprintf("identity[%d]", i), Document: mustParse(t, d, IdentityBased)})
			}
			if tc.boundary != "" {
				set.Boundary = &Policy{Name: "boundary", Document: mustParse(t, tc.boundary, IdentityBased)}
			}
			for i, d := range tc.session {
				set.Session = append(set.Session, Policy{Name: fmt.Sprintf("session[%d]", i), Document: mustParse(t, d, IdentityBased)})
			}
			compiled, err := Compile(set)
			if err != nil {
				t.Fatal(err)
			}
			var rp *ResourcePolicy
			if tc.resource != "" {
				rp, err = CompileResourcePolicy(Policy{Name: "resource", Document: mustParse(t, tc.resource, ResourceBased)})
				if err != nil {
					t.Fatal(err)
				}
			}
			req := &Request{Action: tc.action, Resource: tc.res, Context: buildContext(tc.ctx), Caller: tc.caller}
			got := compiled.EvaluateWithResource(req, rp)
			check(t, tc.ref, got, tc.want, tc.layer, tc.decidedBy, tc.sid)
			if n := testing.AllocsPerRun(10, func() { compiled.EvaluateWithResource(req, rp) }); n != 0 {
				t.Errorf("evaluation allocates %.1f times", n)
			}
		})
	}
}

func check(t *testing.T, ref string, got Result, want Decision, layer Layer, decidedBy, sid string) {
	t.Helper()
	if got.Decision != want {
		t.Errorf("decision = %v, want %v (result: %s)\nrule: %s", got.Decision, want, got, ref)
	}
	if layer != 0 && got.Layer != layer {
		t.Errorf("layer = %v, want %v (result: %s)\nrule: %s", got.Layer, layer, got, ref)
	}
	if decidedBy != "" {
		if by := fmt.Sprintf("%s#%d", got.Policy, got.Statement); by != decidedBy {
			t.Errorf("decided by %s, want %s (result: %s)", by, decidedBy, got)
		}
	}
	if sid != "" && got.Sid != sid {
		t.Errorf("sid = %q, want %q (result: %s)", got.Sid, sid, got)
	}
	if got.Decision == ImplicitDeny && (got.Policy != "" || got.Statement != -1) {
		t.Errorf("implicit deny names a statement: %s", got)
	}
}

// principalCase is one row of the resource-policy principal table.
type principalCase struct {
	name   string
	ref    string
	policy string
	caller *Caller
	want   Decision
}

var principalCases = []principalCase{
	{"account-id", refPrincipal + ", 'AWS account principals': an account ID covers every principal in the account",
		`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject","Resource":"*"}`,
		&Caller{Account: account, ARN: userBobArn}, Allow},
	{"account-root-arn", refPrincipal + ", 'AWS account principals': arn:aws:iam::123456789012:root is the account",
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"*"}`,
		&Caller{Account: account, ARN: roleArn, SessionARN: sessionArn}, Allow},
	{"other-account", refPrincipal + ", 'AWS account principals'",
		`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject","Resource":"*"}`,
		&Caller{Account: otherAccount, ARN: "arn:aws:iam::210987654321:user/eve"}, ImplicitDeny},
	{"user-arn", refPrincipal + ", 'IAM user principals'",
		`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice","arn:aws:iam::123456789012:user/bob"]},"Action":"s3:GetObject","Resource":"*"}`,
		&Caller{Account: account, ARN: userBobArn}, Allow},
	{"role-arn-covers-session", refPrincipal + ", 'IAM role principals': the role ARN grants to the role's sessions",
		`{"Effect":"Allow","Principal":{"AWS":"` + roleArn + `"},"Action":"s3:GetObject","Resource":"*"}`,
		&Caller{Account: account, ARN: roleArn, SessionARN: sessionArn}, Allow},
	{"session-arn", refPrincipal + ", 'Role session principals': an assumed-role session ARN",
		`{"Effect":"Allow","Principal":{"AWS":"` + sessionArn + `"},"Action":"s3:GetObject","Resource":"*"}`,
		&Caller{Account: account, ARN: roleArn, SessionARN: sessionArn}, Allow},
	{"wildcard-anonymous", refPrincipal + ", 'All principals': \"Principal\": \"*\" includes anonymous users",
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`, nil, Allow},
	{"aws-wildcard", refPrincipal + ", 'All principals': {\"AWS\": \"*\"} is equivalent to \"*\"",
		`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*"}`, &Caller{Account: otherAccount}, Allow},
	{"anonymous-not-account", refPrincipal + ", an account principal does not cover anonymous callers",
		`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject","Resource":"*"}`, nil, ImplicitDeny},
	{"service", refPrincipal + ", 'AWS service principals'",
		`{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetObject","Resource":"*"}`,
		&Caller{Service: "cloudtrail.amazonaws.com"}, Allow},
	{"federated", refPrincipal + ", 'Federated user principals'",
		`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"},"Action":"s3:GetObject","Resource":"*"}`,
		&Caller{Federated: "arn:aws:iam::123456789012:saml-provider/Okta"}, Allow},
	{"canonical-user", refPrincipal + ", 'Canonical user principals'",
		`{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"*"}`,
		&Caller{CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, Allow},
	{"notprincipal-deny-excluded", refNotPrin + ", 'NotPrincipal with Deny': list the principal and its account to exempt it",
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/bob","123456789012"]},"Action":"s3:*","Resource":"*"}`,
		&Caller{Account: account, ARN: userBobArn}, Allow},
	{"notprincipal-deny-user-only", refNotPrin + ", 'NotPrincipal with Deny': without the account ARN the account's principals are denied",
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"s3:*","Resource":"*"}`,
		&Caller{Account: account, ARN: userBobArn}, ExplicitDeny},
	{"notprincipal-deny-session-needs-all", refNotPrin + ", 'NotPrincipal with Deny': for a role session list the session ARN, the role ARN and the account",
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":["` + roleArn + `","arn:aws:iam::123456789012:root"]},"Action":"s3:*","Resource":"*"}`,
		&Caller{Account: account, ARN: roleArn, SessionARN: sessionArn}, ExplicitDeny},
	{"notprincipal-deny-session-all-listed", refNotPrin + ", 'NotPrincipal with Deny': session ARN, role ARN and account all listed",
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":["` + sessionArn + `","` + roleArn + `","arn:aws:iam::123456789012:root"]},"Action":"s3:*","Resource":"*"}`,
		&Caller{Account: account, ARN: roleArn, SessionARN: sessionArn}, Allow},
	{"notprincipal-deny-others", refNotPrin + ", 'NotPrincipal with Deny': everyone not listed is denied",
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/bob","123456789012"]},"Action":"s3:*","Resource":"*"}`,
		&Caller{Account: otherAccount, ARN: "arn:aws:iam::210987654321:user/eve"}, ExplicitDeny},
	{"notprincipal-deny-anonymous", refNotPrin + ", anonymous callers are never on the NotPrincipal list",
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}`,
		nil, ExplicitDeny},
}

func TestResourcePolicyPrincipals(t *testing.T) {
	for _, tc := range principalCases {
		t.Run(tc.name, func(t *testing.T) {
			doc := mustParse(t, `{"Version":"2012-10-17","Statement":[`+tc.policy+`]}`, ResourceBased)
			rp, err := CompileResourcePolicy(Policy{Name: "bucket", Document: doc})
			if err != nil {
				t.Fatal(err)
			}
			got := rp.Evaluate(&Request{Action: "s3:GetObject", Resource: bucketObjects, Caller: tc.caller})
			check(t, tc.ref, got, tc.want, 0, "", "")
			if got.Decision != ImplicitDeny && got.Layer != LayerResource {
				t.Errorf("layer = %v, want resource", got.Layer)
			}
		})
	}
}
