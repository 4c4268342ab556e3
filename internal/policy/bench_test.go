package policy

import (
	"fmt"
	"strings"
	"testing"
)

// benchPolicies is a realistic permission set: 5 policies, 20 statements,
// most with conditions, several denies, variables in resources and
// conditions. The benchmark request is allowed by the 2nd statement of the
// 4th policy, so every deny and most allows are examined.
var benchPolicies = []string{
	// 1: read-only plus an MFA guard.
	`{"Version":"2012-10-17","Statement":[
	  {"Sid":"Describe","Effect":"Allow","Action":["ec2:Describe*","elasticloadbalancing:Describe*","cloudwatch:Get*","cloudwatch:List*"],"Resource":"*"},
	  {"Sid":"OwnIAM","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"arn:aws:iam::123456789012:user/${aws:username}"},
	  {"Sid":"RegionEC2","Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}},
	  {"Sid":"NoMFANoDelete","Effect":"Deny","Action":["iam:Delete*","s3:DeleteBucket"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}},
	  {"Sid":"Logs","Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:123456789012:log-group:/team/*"}]}`,
	// 2: network and time guards.
	`{"Version":"2012-10-17","Statement":[
	  {"Sid":"CorpNetwork","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24","2001:db8::/32"]},"Bool":{"aws:ViaAWSService":"false"}}},
	  {"Sid":"OldSessions","Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2024-01-01T00:00:00Z"}}},
	  {"Sid":"Lambda","Effect":"Allow","Action":["lambda:Get*","lambda:List*","lambda:InvokeFunction"],"Resource":"arn:aws:lambda:*:123456789012:function:team-*"},
	  {"Sid":"Tags","Effect":"Allow","Action":["ec2:CreateTags"],"Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","owner"]}}}]}`,
	// 3: DynamoDB and KMS with ABAC.
	`{"Version":"2012-10-17","Statement":[
	  {"Sid":"Dynamo","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query","dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:*:123456789012:table/team-*","Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:userid}"]}}},
	  {"Sid":"KMS","Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}},
	  {"Sid":"NoKeyDelete","Effect":"Deny","Action":["kms:ScheduleKeyDeletion","kms:DisableKey"],"Resource":"*"},
	  {"Sid":"SSM","Effect":"Allow","Action":"ssm:GetParameter*","Resource":"arn:aws:ssm:*:123456789012:parameter/team/${aws:PrincipalTag/team}/*"}]}`,
	// 4: S3 home folders.
	`{"Version":"2012-10-17","Statement":[
	  {"Sid":"ListHome","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::team-bucket","Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}},
	  {"Sid":"HomeObjects","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::team-bucket/home/${aws:username}/*","Condition":{"Bool":{"aws:SecureTransport":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"43200"}}},
	  {"Sid":"NoPublic","Effect":"Deny","Action":["s3:PutBucketPolicy","s3:PutBucketAcl"],"Resource":"*"},
	  {"Sid":"Shared","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team-bucket/shared/*"}]}`,
	// 5: region lock and identity checks.
	`{"Version":"2012-10-17","Statement":[
	  {"Sid":"RegionLock","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*","support:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1","us-east-1"]}}},
	  {"Sid":"OnlyOurRoles","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/AWSReservedSSO_*"}}},
	  {"Sid":"Deadline","Effect":"Allow","Action":"athena:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`,
}

func benchSet(tb testing.TB) *Compiled {
	tb.Helper()
	var s Set
	n := 0
	for i, p := range benchPolicies {
		doc, err := Parse([]byte(p), IdentityBased)
		if err != nil {
			tb.Fatalf("policy %d: %v", i, err)
		}
		n += len(doc.Statements)
		s.Identity = append(s.Identity, Policy{Name: fmt.Sprintf("policy%d", i+1), Document: doc})
	}
	if n != 20 {
		tb.Fatalf("fixture has %d statements, want 20", n)
	}
	c, err := Compile(s)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func benchContext(ctx *Context) {
	ctx.Reset()
	ctx.Add(KeyPrincipalArn, "arn:aws:iam::123456789012:role/AWSReservedSSO_Dev_0123456789abcdef")
	ctx.Add(KeyPrincipalAccount, "123456789012")
	ctx.Add(KeyUserID, "AROAEXAMPLEID:alice")
	ctx.Add(KeyUsername, "alice")
	ctx.Add("aws:PrincipalTag/team", "blue")
	ctx.Add(KeyMultiFactorAuthPresent, "true")
	ctx.Add(KeyMultiFactorAuthAge, "300")
	ctx.Add(KeyTokenIssueTime, "2024-06-01T08:00:00Z")
	ctx.Add(KeyCurrentTime, "2024-06-01T09:30:00Z")
	ctx.Add(KeyEpochTime, "1717234200")
	ctx.Add(KeySourceIP, "10.20.30.40")
	ctx.Add(KeySecureTransport, "true")
	ctx.Add("aws:ViaAWSService", "false")
	ctx.Add(KeyRequestedRegion, "eu-west-1")
}

var benchRequest = Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::team-bucket/home/alice/report.csv"}

func TestBenchFixtureDecision(t *testing.T) {
	c := benchSet(t)
	var ctx Context
	benchContext(&ctx)
	req := benchRequest
	req.Context = &ctx
	res := c.Evaluate(&req)
	if res.Decision != Allow || res.Policy != "policy4" || res.Sid != "HomeObjects" {
		t.Fatalf("fixture decision = %s, want Allow by policy4 HomeObjects", res)
	}
	if allocs := testing.AllocsPerRun(100, func() { c.Evaluate(&req) }); allocs != 0 {
		t.Errorf("Evaluate allocates %.1f times per call, want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() { benchContext(&ctx) }); allocs != 0 {
		t.Errorf("refilling a warm Context allocates %.1f times, want 0", allocs)
	}
}

// BenchmarkEvaluate evaluates the 5-policy / 20-statement fixture with a
// reused Context.
func BenchmarkEvaluate(b *testing.B) {
	c := benchSet(b)
	var ctx Context
	benchContext(&ctx)
	req := benchRequest
	req.Context = &ctx
	b.ReportAllocs()
	for b.Loop() {
		if c.Evaluate(&req).Decision != Allow {
			b.Fatal("not allowed")
		}
	}
}

// BenchmarkEvaluateWithContextFill also refills the Context every time, as
// a server does per request.
func BenchmarkEvaluateWithContextFill(b *testing.B) {
	c := benchSet(b)
	var ctx Context
	req := benchRequest
	req.Context = &ctx
	b.ReportAllocs()
	for b.Loop() {
		benchContext(&ctx)
		if c.Evaluate(&req).Decision != Allow {
			b.Fatal("not allowed")
		}
	}
}

// BenchmarkCompile parses nothing: it compiles the already-parsed fixture.
func BenchmarkCompile(b *testing.B) {
	var s Set
	for i, p := range benchPolicies {
		s.Identity = append(s.Identity, Policy{Name: fmt.Sprintf("policy%d", i+1), Document: mustParse(b, p, IdentityBased)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse parses the fixture's five documents.
func BenchmarkParse(b *testing.B) {
	docs := make([][]byte, len(benchPolicies))
	for i, p := range benchPolicies {
		docs[i] = []byte(p)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			if _, err := Parse(d, IdentityBased); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// The baseline performs the work Evaluate does for the fixture request —
// the same wildcard matches, in the same order, and one map lookup per
// condition key with a plain string comparison — with no engine around it:
// patterns are pre-lowered, variables pre-substituted, and every condition
// is reduced to string equality or a glob.

type baselineCond struct {
	key  string
	vals []string
	like bool
	neg  bool
}

type baselineStmt struct {
	actions   []string
	notAction bool
	resources []string
	conds     []baselineCond
}

// simpleGlob is the textbook iterative glob over bytes.
func simpleGlob(p, s string) bool {
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func baselineMatchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if simpleGlob(p, s) {
			return true
		}
	}
	return false
}

func (st *baselineStmt) applies(action, resource string, ctx map[string]string) bool {
	if baselineMatchAny(st.actions, action) == st.notAction {
		return false
	}
	if !baselineMatchAny(st.resources, resource) {
		return false
	}
	for _, c := range st.conds {
		v, ok := ctx[c.key]
		if !ok {
			return false
		}
		hit := false
		for _, want := range c.vals {
			if c.like && simpleGlob(want, v) || !c.like && want == v {
				hit = true
				break
			}
		}
		if hit == c.neg {
			return false
		}
	}
	return true
}

func baselineFixture() (denies, allows []baselineStmt, ctx map[string]string) {
	ctx = map[string]string{
		"aws:principalarn": "arn:aws:iam::123456789012:role/AWSReservedSSO_Dev_0123456789abcdef", "aws:principalaccount": "123456789012",
		"aws:userid": "AROAEXAMPLEID:alice", "aws:username": "alice", "aws:principaltag/team": "blue",
		"aws:multifactorauthpresent": "true", "aws:multifactorauthage": "300", "aws:tokenissuetime": "2024-06-01T08:00:00Z",
		"aws:currenttime": "2024-06-01T09:30:00Z", "aws:epochtime": "1717234200", "aws:sourceip": "10.20.30.40",
		"aws:securetransport": "true", "aws:viaawsservice": "false", "aws:requestedregion": "eu-west-1",
	}
	all := []string{"*"}
	denies = []baselineStmt{
		{actions: []string{"iam:delete*", "s3:deletebucket"}, resources: all, conds: []baselineCond{{key: "aws:multifactorauthpresent", vals: []string{"false"}}}},
		{actions: all, resources: all, conds: []baselineCond{{key: "aws:sourceip", vals: []string{"10.*", "192.0.2.*", "2001:db8:*"}, like: true, neg: true}, {key: "aws:viaawsservice", vals: []string{"false"}}}},
		{actions: all, resources: all, conds: []baselineCond{{key: "aws:tokenissuetime", vals: []string{"2024-01-01T00:00:00Z"}}}},
		{actions: []string{"kms:schedulekeydeletion", "kms:disablekey"}, resources: all},
		{actions: []string{"s3:putbucketpolicy", "s3:putbucketacl"}, resources: all},
		{actions: []string{"iam:*", "sts:*", "organizations:*", "support:*"}, notAction: true, resources: all, conds: []baselineCond{{key: "aws:requestedregion", vals: []string{"eu-west-1", "eu-central-1", "us-east-1"}, neg: true}}},
	}
	allows = []baselineStmt{
		{actions: []string{"ec2:describe*", "elasticloadbalancing:describe*", "cloudwatch:get*", "cloudwatch:list*"}, resources: all},
		{actions: []string{"iam:get*", "iam:list*"}, resources: []string{"arn:aws:iam::123456789012:user/alice"}},
		{actions: []string{"ec2:*"}, resources: all, conds: []baselineCond{{key: "aws:requestedregion", vals: []string{"eu-west-1", "eu-central-1"}}}},
		{actions: []string{"logs:*"}, resources: []string{"arn:aws:logs:*:123456789012:log-group:/team/*"}},
		{actions: []string{"lambda:get*", "lambda:list*", "lambda:invokefunction"}, resources: []string{"arn:aws:lambda:*:123456789012:function:team-*"}},
		{actions: []string{"ec2:createtags"}, resources: all},
		{actions: []string{"dynamodb:getitem", "dynamodb:query", "dynamodb:putitem"}, resources: []string{"arn:aws:dynamodb:*:123456789012:table/team-*"}},
		{actions: []string{"kms:decrypt", "kms:generatedatakey"}, resources: all},
		{actions: []string{"ssm:getparameter*"}, resources: []string{"arn:aws:ssm:*:123456789012:parameter/team/blue/*"}},
		{actions: []string{"s3:listbucket"}, resources: []string{"arn:aws:s3:::team-bucket"}},
		{actions: []string{"s3:getobject", "s3:putobject"}, resources: []string{"arn:aws:s3:::team-bucket/home/alice/*"},
			conds: []baselineCond{{key: "aws:securetransport", vals: []string{"true"}}, {key: "aws:multifactorauthage", vals: []string{"300"}}}},
	}
	return denies, allows, ctx
}

func baselineEvaluate(denies, allows []baselineStmt, action, resource string, ctx map[string]string) bool {
	for i := range denies {
		if denies[i].applies(action, resource, ctx) {
			return false
		}
	}
	for i := range allows {
		if allows[i].applies(action, resource, ctx) {
			return true
		}
	}
	return false
}

// BenchmarkBaseline is the yardstick for BenchmarkEvaluate.
func BenchmarkBaseline(b *testing.B) {
	denies, allows, ctx := baselineFixture()
	// The engine folds case while matching; the baseline gets its action
	// lowered for free.
	action := strings.ToLower(benchRequest.Action)
	if !baselineEvaluate(denies, allows, action, benchRequest.Resource, ctx) {
		b.Fatal("baseline does not allow the fixture request")
	}
	b.ReportAllocs()
	for b.Loop() {
		if !baselineEvaluate(denies, allows, action, benchRequest.Resource, ctx) {
			b.Fatal("not allowed")
		}
	}
}
