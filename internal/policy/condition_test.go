package policy

import (
	"testing"
)

// condCase is one row of the condition golden table: a Condition element in
// an Allow statement, a request context, and whether the statement applies.
type condCase struct {
	name string
	ref  string // documentation page and rule
	// version is the policy Version; "" means 2012-10-17, "none" omits it.
	version string
	cond    string
	ctx     [][2]string
	want    bool
}

func (c condCase) policyVersion() string {
	switch c.version {
	case "":
		return Version2012
	case "none":
		return ""
	}
	return c.version
}

var conditionCases = []condCase{
	// String operators.
	{"StringEquals/match", refOperators + ", 'String condition operators': StringEquals is exact, case-sensitive matching",
		"", `{"StringEquals":{"aws:username":"bob"}}`, kv("aws:username", "bob"), true},
	{"StringEquals/case-differs", refOperators + ", 'String condition operators': StringEquals is case-sensitive",
		"", `{"StringEquals":{"aws:username":"bob"}}`, kv("aws:username", "Bob"), false},
	{"StringEquals/missing-key", refOperators + ", 'Important': a key absent from the request context makes the condition false",
		"", `{"StringEquals":{"aws:username":"bob"}}`, nil, false},
	{"StringEquals/values-ORed", refMultiLogic + ", 'multiple values for a context key are evaluated using a logical OR'",
		"", `{"StringEquals":{"aws:username":["alice","bob"]}}`, kv("aws:username", "bob"), true},
	{"StringEquals/empty-string", refOperators + ", 'String condition operators': exact matching includes the empty string",
		"", `{"StringEquals":{"aws:username":""}}`, kv("aws:username", ""), true},
	{"StringNotEquals/different", refOperators + ", 'String condition operators': StringNotEquals is negated matching",
		"", `{"StringNotEquals":{"aws:username":"bob"}}`, kv("aws:username", "alice"), true},
	{"StringNotEquals/same", refOperators + ", 'String condition operators': StringNotEquals is negated matching",
		"", `{"StringNotEquals":{"aws:username":"bob"}}`, kv("aws:username", "bob"), false},
	{"StringNotEquals/missing-key-true", refOperators + ", 'Important': a negated operator such as StringNotLike is true when the key is absent",
		"", `{"StringNotEquals":{"aws:username":"bob"}}`, nil, true},
	{"StringNotEquals/values-NORed-hit", refMultiLogic + ", 'a single negated matching condition operator with multiple values ... logical NOR'",
		"", `{"StringNotEquals":{"aws:username":["alice","bob"]}}`, kv("aws:username", "bob"), false},
	{"StringNotEquals/values-NORed-miss", refMultiLogic + ", 'a single negated matching condition operator with multiple values ... logical NOR'",
		"", `{"StringNotEquals":{"aws:username":["alice","bob"]}}`, kv("aws:username", "carol"), true},
	{"StringEqualsIgnoreCase/match", refOperators + ", 'String condition operators': StringEqualsIgnoreCase ignores case",
		"", `{"StringEqualsIgnoreCase":{"aws:username":"BOB"}}`, kv("aws:username", "bob"), true},
	{"StringEqualsIgnoreCase/unicode", refOperators + ", 'String condition operators': StringEqualsIgnoreCase ignores case",
		"", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/city":"MÜNCHEN"}}`, kv("aws:PrincipalTag/city", "münchen"), true},
	{"StringEqualsIgnoreCase/mismatch", refOperators + ", 'String condition operators': StringEqualsIgnoreCase ignores case only",
		"", `{"StringEqualsIgnoreCase":{"aws:username":"BOB"}}`, kv("aws:username", "rob"), false},
	{"StringNotEqualsIgnoreCase/same", refOperators + ", 'String condition operators': StringNotEqualsIgnoreCase",
		"", `{"StringNotEqualsIgnoreCase":{"aws:username":"BOB"}}`, kv("aws:username", "bob"), false},
	{"StringNotEqualsIgnoreCase/missing-key-true", refOperators + ", 'Important': negated operators are true when the key is absent",
		"", `{"StringNotEqualsIgnoreCase":{"aws:username":"BOB"}}`, nil, true},
	{"StringLike/star-crosses-slash", refOperators + ", 'String condition operators': StringLike multi-character wildcard (*) anywhere in the string",
		"", `{"StringLike":{"s3:prefix":"home/*"}}`, kv("s3:prefix", "home/bob/photos"), true},
	{"StringLike/question-mark", refOperators + ", 'String condition operators': StringLike single-character wildcard (?)",
		"", `{"StringLike":{"aws:username":"?ob"}}`, kv("aws:username", "bob"), true},
	{"StringLike/question-needs-one-char", refOperators + ", 'String condition operators': ? matches exactly one character",
		"", `{"StringLike":{"aws:username":"?bob"}}`, kv("aws:username", "bob"), false},
	{"StringLike/case-sensitive", refOperators + ", 'String condition operators': StringLike is case-sensitive matching",
		"", `{"StringLike":{"s3:prefix":"Home/*"}}`, kv("s3:prefix", "home/x"), false},
	{"StringLike/no-partial-without-wildcard", refOperators + ", 'String condition operators': you must specify wildcards to achieve partial string matches",
		"", `{"StringLike":{"s3:prefix":"home"}}`, kv("s3:prefix", "home/x"), false},
	{"StringLike/missing-key", refOperators + ", 'Important': a key absent from the request context makes the condition false",
		"", `{"StringLike":{"s3:prefix":"*"}}`, nil, false},
	{"StringNotLike/no-match", refOperators + ", 'String condition operators': StringNotLike is negated matching",
		"", `{"StringNotLike":{"s3:prefix":"home/*"}}`, kv("s3:prefix", "other/x"), true},
	{"StringNotLike/match", refOperators + ", 'String condition operators': StringNotLike is negated matching",
		"", `{"StringNotLike":{"s3:prefix":["tmp/*","home/*"]}}`, kv("s3:prefix", "home/x"), false},
	{"StringNotLike/missing-key-true", refOperators + ", 'Important': StringNotLike is true when the key is absent",
		"", `{"StringNotLike":{"s3:prefix":"home/*"}}`, nil, true},

	// Numeric operators.
	{"NumericLessThan/less", refOperators + ", 'Numeric condition operators': NumericLessThan",
		"", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, kv("aws:MultiFactorAuthAge", "120"), true},
	{"NumericLessThan/equal", refOperators + ", 'Numeric condition operators': NumericLessThan is strict",
		"", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, kv("aws:MultiFactorAuthAge", "3600"), false},
	{"NumericLessThan/missing-key", refOperators + ", 'Important': a key absent from the request context makes the condition false",
		"", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, nil, false},
	{"NumericLessThanEquals/equal", refOperators + ", 'Numeric condition operators': NumericLessThanEquals",
		"", `{"NumericLessThanEquals":{"aws:MultiFactorAuthAge":3600}}`, kv("aws:MultiFactorAuthAge", "3600"), true},
	{"NumericGreaterThan/decimal", refOperators + ", 'Numeric condition operators': integer or decimal values",
		"", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, kv("s3:max-keys", "10.5"), true},
	{"NumericGreaterThan/equal", refOperators + ", 'Numeric condition operators': NumericGreaterThan is strict",
		"", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, kv("s3:max-keys", "10"), false},
	{"NumericGreaterThanEquals/compared-as-values", refOperators + ", 'Numeric condition operators': values compare as numbers, so 1.20 equals 1.2",
		"", `{"NumericGreaterThanEquals":{"tls:version":"1.2"}}`, kv("tls:version", "1.20"), true},
	{"NumericEquals/leading-zero", refOperators + ", 'Numeric condition operators': values compare as numbers",
		"", `{"NumericEquals":{"s3:max-keys":"10"}}`, kv("s3:max-keys", "010.0"), true},
	{"NumericEquals/exact-beyond-float", refOperators + ", 'Numeric condition operators': matching is exact (no float rounding)",
		"", `{"NumericEquals":{"ex:n":"9007199254740993"}}`, kv("ex:n", "9007199254740992"), false},
	{"NumericLessThan/negative", refOperators + ", 'Numeric condition operators': signed values",
		"", `{"NumericLessThan":{"ex:n":"-1"}}`, kv("ex:n", "-2"), true},
	{"NumericEquals/not-a-number", refOperators + ", 'Numeric condition operators': a request value that is not a number does not match",
		"", `{"NumericEquals":{"s3:max-keys":"10"}}`, kv("s3:max-keys", "ten"), false},
	{"NumericNotEquals/different", refOperators + ", 'Numeric condition operators': NumericNotEquals is negated matching",
		"", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, kv("s3:max-keys", "11"), true},
	{"NumericNotEquals/same", refOperators + ", 'Numeric condition operators': NumericNotEquals is negated matching",
		"", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, kv("s3:max-keys", "10"), false},
	{"NumericNotEquals/missing-key-true", refOperators + ", 'Important': negated operators are true when the key is absent",
		"", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, nil, true},

	// Date operators.
	{"DateGreaterThan/after", refOperators + ", 'Date condition operators': DateGreaterThan",
		"", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, kv("aws:CurrentTime", "2020-01-01T00:00:01Z"), true},
	{"DateGreaterThan/equal", refOperators + ", 'Date condition operators': DateGreaterThan is strict",
		"", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, kv("aws:CurrentTime", "2020-01-01T00:00:00Z"), false},
	{"DateLessThan/epoch-request", refOperators + ", 'Date condition operators': W3C ISO 8601 dates or epoch (UNIX) time",
		"", `{"DateLessThan":{"aws:EpochTime":"2020-01-01T00:00:00Z"}}`, kv("aws:EpochTime", "1577836799"), true},
	{"DateEquals/epoch-policy", refOperators + ", 'Date condition operators': W3C ISO 8601 dates or epoch (UNIX) time",
		"", `{"DateEquals":{"aws:CurrentTime":"1577836800"}}`, kv("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
	{"DateEquals/epoch-json-number", refOperators + ", 'Date condition operators': epoch time may be written as a number",
		"", `{"DateEquals":{"aws:EpochTime":1577836800}}`, kv("aws:EpochTime", "1577836800"), true},
	{"DateEquals/timezone-offset", refOperators + ", 'Date condition operators': W3C ISO 8601 with a time zone designator",
		"", `{"DateEquals":{"aws:CurrentTime":"2020-01-01T01:00:00+01:00"}}`, kv("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
	{"DateGreaterThanEquals/date-only", refOperators + ", 'Date condition operators': W3C ISO 8601 complete date (YYYY-MM-DD)",
		"", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01"}}`, kv("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
	{"DateLessThanEquals/equal", refOperators + ", 'Date condition operators': DateLessThanEquals",
		"", `{"DateLessThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, kv("aws:CurrentTime", "2020-01-01T00:00:00.000Z"), true},
	{"DateEquals/second-precision", refOperators + ", 'Date condition operators' (precision to the second; see docs/policy.md)",
		"", `{"DateEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, kv("aws:CurrentTime", "2020-01-01T00:00:00.999Z"), true},
	{"DateLessThan/not-a-date", refOperators + ", 'Date condition operators': a request value that is not a date does not match",
		"", `{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, kv("aws:CurrentTime", "yesterday"), false},
	{"DateNotEquals/missing-key-true", refOperators + ", 'Important': negated operators are true when the key is absent",
		"", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, nil, true},
	{"DateNotEquals/same", refOperators + ", 'Date condition operators': DateNotEquals is negated matching",
		"", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, kv("aws:CurrentTime", "1577836800"), false},
	{"DateGreaterThan/missing-key", refOperators + ", 'Important': a key absent from the request context makes the condition false",
		"", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, nil, false},

	// Boolean operator.
	{"Bool/true", refOperators + ", 'Boolean condition operators': Bool",
		"", `{"Bool":{"aws:SecureTransport":"true"}}`, kv("aws:SecureTransport", "true"), true},
	{"Bool/case-insensitive", refOperators + ", 'Boolean condition operators': true/false compare case-insensitively",
		"", `{"Bool":{"aws:SecureTransport":"True"}}`, kv("aws:SecureTransport", "TRUE"), true},
	{"Bool/json-boolean", refOperators + ", 'Boolean condition operators': the value may be a JSON boolean",
		"", `{"Bool":{"aws:SecureTransport":true}}`, kv("aws:SecureTransport", "true"), true},
	{"Bool/false", refOperators + ", 'Boolean condition operators': Bool",
		"", `{"Bool":{"aws:SecureTransport":"true"}}`, kv("aws:SecureTransport", "false"), false},
	{"Bool/missing-key", refOperators + ", 'Important': a key absent from the request context makes the condition false",
		"", `{"Bool":{"aws:SecureTransport":"false"}}`, nil, false},
	{"Bool/variable", refOperators + ", 'Boolean condition operators': policy variables supported",
		"", `{"Bool":{"aws:SecureTransport":"${aws:PrincipalTag/needs-tls}"}}`, kv("aws:SecureTransport", "true", "aws:PrincipalTag/needs-tls", "TRUE"), true},

	// Binary operator.
	{"BinaryEquals/match", refOperators + ", 'Binary condition operators': base64-encoded binary value",
		"", `{"BinaryEquals":{"ex:blob":"QmluYXJ5VmFsdWU="}}`, kv("ex:blob", "QmluYXJ5VmFsdWU="), true},
	{"BinaryEquals/mismatch", refOperators + ", 'Binary condition operators': byte-for-byte comparison",
		"", `{"BinaryEquals":{"ex:blob":"QmluYXJ5VmFsdWU="}}`, kv("ex:blob", "Zm9v"), false},
	{"BinaryEquals/missing-key", refOperators + ", 'Important': a key absent from the request context makes the condition false",
		"", `{"BinaryEquals":{"ex:blob":"QmluYXJ5VmFsdWU="}}`, nil, false},

	// IP address operators.
	{"IpAddress/in-cidr", refOperators + ", 'IP address condition operators': IpAddress with an RFC 4632 CIDR block",
		"", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv("aws:SourceIp", "203.0.113.7"), true},
	{"IpAddress/outside", refOperators + ", 'IP address condition operators': IpAddress",
		"", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv("aws:SourceIp", "198.51.100.1"), false},
	{"IpAddress/ipv6", refOperators + ", 'IP address condition operators': IPv6 ranges such as 2001:DB8:1234:5678::/64",
		"", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, kv("aws:SourceIp", "2001:db8:1234:5678::abcd"), true},
	{"IpAddress/ipv6-outside", refOperators + ", 'IP address condition operators': IPv6",
		"", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, kv("aws:SourceIp", "2001:db8:1234:5679::1"), false},
	{"IpAddress/single-address", refOperators + ", 'IP address condition operators': a single address without a prefix length",
		"", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, kv("aws:SourceIp", "203.0.113.7"), true},
	{"IpAddress/host-bits-ignored", refOperators + ", 'IP address condition operators': CIDR block",
		"", `{"IpAddress":{"aws:SourceIp":"203.0.113.77/24"}}`, kv("aws:SourceIp", "203.0.113.1"), true},
	{"IpAddress/ipv4-mapped-request", refOperators + ", 'IP address condition operators': the request address is compared as an address",
		"", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv("aws:SourceIp", "::ffff:203.0.113.7"), true},
	{"IpAddress/v4-vs-v6", refOperators + ", 'IP address condition operators': an IPv6 address is not in an IPv4 range",
		"", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, kv("aws:SourceIp", "2001:db8::1"), false},
	{"IpAddress/garbage-request", refOperators + ", 'IP address condition operators': a request value that is not an address does not match",
		"", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, kv("aws:SourceIp", "localhost"), false},
	{"NotIpAddress/outside", refOperators + ", 'IP address condition operators': NotIpAddress",
		"", `{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`, kv("aws:SourceIp", "198.51.100.1"), true},
	{"NotIpAddress/inside", refOperators + ", 'IP address condition operators': NotIpAddress",
		"", `{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`, kv("aws:SourceIp", "2001:db8::5"), false},
	{"NotIpAddress/missing-key-true", refOperators + ", 'Important': negated operators are true when the key is absent",
		"", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, true},

	// ARN operators.
	{"ArnLike/role-wildcard", refOperators + ", 'Amazon Resource Name (ARN) condition operators': ArnLike",
		"", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/*"}}`, kv("aws:PrincipalArn", "arn:aws:iam::123456789012:role/Admin"), true},
	{"ArnLike/account-wildcard", refOperators + ", 'ARN condition operators': each of the six colon-delimited components is checked separately and can include wildcards",
		"", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:role/Admin"}}`, kv("aws:SourceArn", "arn:aws:iam::123456789012:role/Admin"), true},
	{"ArnLike/wildcard-stays-in-segment", refOperators + ", 'ARN condition operators': each of the six colon-delimited components is checked separately",
		"", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::1*:role/x"}}`, kv("aws:SourceArn", "arn:aws:iam::123:extra:role/x"), false},
	{"StringLike/same-value-crosses-colon", refOperators + ", 'String condition operators': StringLike wildcards match anywhere, unlike ArnLike",
		"", `{"StringLike":{"aws:SourceArn":"arn:aws:iam::1*:role/x"}}`, kv("aws:SourceArn", "arn:aws:iam::123:extra:role/x"), true},
	{"ArnLike/resource-segment-colons", refOperators + ", 'ARN condition operators': the resource component may contain colons",
		"", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:123456789012:log-group:/aws/*"}}`, kv("aws:SourceArn", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda:*"), true},
	{"ArnLike/case-sensitive", refOperators + ", 'ARN condition operators': case-sensitive matching of the ARN",
		"", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/admin"}}`, kv("aws:PrincipalArn", "arn:aws:iam::123456789012:role/Admin"), false},
	{"ArnLike/not-an-arn", refOperators + ", 'ARN condition operators': a request value that is not an ARN does not match",
		"", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket"}}`, kv("aws:SourceArn", "bucket"), false},
	{"ArnEquals/wildcards-like-ArnLike", refOperators + ", 'ARN condition operators': ArnEquals and ArnLike share the same description (segment-wise, wildcards allowed)",
		"", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:topic-?"}}`, kv("aws:SourceArn", "arn:aws:sns:eu-west-1:123456789012:topic-a"), true},
	{"ArnEquals/exact", refOperators + ", 'ARN condition operators': ArnEquals",
		"", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::bucket"}}`, kv("aws:SourceArn", "arn:aws:s3:::bucket"), true},
	{"ArnNotEquals/same", refOperators + ", 'ARN condition operators': ArnNotEquals is negated matching",
		"", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::bucket"}}`, kv("aws:SourceArn", "arn:aws:s3:::bucket"), false},
	{"ArnNotLike/other", refOperators + ", 'ARN condition operators': ArnNotLike is negated matching",
		"", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::bucket*"}}`, kv("aws:SourceArn", "arn:aws:s3:::other"), true},
	{"ArnNotLike/missing-key-true", refOperators + ", 'Important': ArnNotLike is true when the key is absent",
		"", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::bucket*"}}`, nil, true},

	// Null.
	{"Null/true-absent", refOperators + ", 'Condition operator to check existence of condition keys': Null true means the key is absent",
		"", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
	{"Null/true-present", refOperators + ", 'Condition operator to check existence of condition keys': Null true means the key is absent",
		"", `{"Null":{"aws:TokenIssueTime":"true"}}`, kv("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), false},
	{"Null/false-present", refOperators + ", 'Condition operator to check existence of condition keys': Null false means the key exists",
		"", `{"Null":{"aws:TokenIssueTime":false}}`, kv("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), true},
	{"Null/false-absent", refOperators + ", 'Condition operator to check existence of condition keys': Null false means the key exists",
		"", `{"Null":{"aws:TokenIssueTime":"false"}}`, nil, false},
	{"Null/key-case-insensitive", refCondition + ", 'Context key names are not case-sensitive'",
		"", `{"Null":{"AWS:TOKENISSUETIME":"false"}}`, kv("aws:TokenIssueTime", "x"), true},

	// ...IfExists.
	{"StringEqualsIfExists/absent", refOperators + ", '...IfExists condition operators': if the key is not present, the condition is true",
		"", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, nil, true},
	{"StringEqualsIfExists/present-match", refOperators + ", '...IfExists condition operators': if the key is present, process it as specified",
		"", `{"StringEqualsIfExists":{"ec2:InstanceType":["t3.micro","t3.small"]}}`, kv("ec2:InstanceType", "t3.small"), true},
	{"StringEqualsIfExists/present-mismatch", refOperators + ", '...IfExists condition operators': if the key is present, process it as specified",
		"", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, kv("ec2:InstanceType", "m5.large"), false},
	{"StringNotEqualsIfExists/present-equal", refOperators + ", '...IfExists condition operators'",
		"", `{"StringNotEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, kv("ec2:InstanceType", "t3.micro"), false},
	{"StringNotLikeIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"StringNotLikeIfExists":{"ec2:InstanceType":"*.metal"}}`, nil, true},
	{"StringLikeIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"StringLikeIfExists":{"ec2:InstanceType":"t3.*"}}`, nil, true},
	{"StringEqualsIgnoreCaseIfExists/present", refOperators + ", '...IfExists condition operators'",
		"", `{"StringEqualsIgnoreCaseIfExists":{"aws:username":"BOB"}}`, kv("aws:username", "bob"), true},
	{"NumericLessThanIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, nil, true},
	{"NumericLessThanIfExists/present-too-old", refOperators + ", '...IfExists condition operators'",
		"", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, kv("aws:MultiFactorAuthAge", "7200"), false},
	{"DateLessThanIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"DateLessThanIfExists":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, nil, true},
	{"DateGreaterThanIfExists/present", refOperators + ", '...IfExists condition operators'",
		"", `{"DateGreaterThanIfExists":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, kv("aws:TokenIssueTime", "2019-12-31T23:59:59Z"), false},
	{"BoolIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, nil, true},
	{"BinaryEqualsIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"BinaryEqualsIfExists":{"ex:blob":"Zm9v"}}`, nil, true},
	{"IpAddressIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, true},
	{"NotIpAddressIfExists/present-inside", refOperators + ", '...IfExists condition operators'",
		"", `{"NotIpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}`, kv("aws:SourceIp", "203.0.113.9"), false},
	{"ArnLikeIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::b"}}`, nil, true},
	{"ArnNotEqualsIfExists/present-other", refOperators + ", '...IfExists condition operators'",
		"", `{"ArnNotEqualsIfExists":{"aws:SourceArn":"arn:aws:s3:::b"}}`, kv("aws:SourceArn", "arn:aws:s3:::c"), true},
	{"DateNotEqualsIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"DateNotEqualsIfExists":{"aws:CurrentTime":"2020-01-01"}}`, nil, true},
	{"NumericNotEqualsIfExists/present-equal", refOperators + ", '...IfExists condition operators'",
		"", `{"NumericNotEqualsIfExists":{"s3:max-keys":"5"}}`, kv("s3:max-keys", "5"), false},

	{"NumericGreaterThanIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"NumericGreaterThanIfExists":{"s3:max-keys":"5"}}`, nil, true},
	{"NumericEqualsIfExists/present", refOperators + ", '...IfExists condition operators'",
		"", `{"NumericEqualsIfExists":{"s3:max-keys":"5"}}`, kv("s3:max-keys", "5"), true},
	{"NumericGreaterThanEqualsIfExists/present-less", refOperators + ", '...IfExists condition operators'",
		"", `{"NumericGreaterThanEqualsIfExists":{"s3:max-keys":"5"}}`, kv("s3:max-keys", "4"), false},
	{"NumericLessThanEqualsIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"NumericLessThanEqualsIfExists":{"s3:max-keys":"5"}}`, nil, true},
	{"DateLessThanEqualsIfExists/present-equal", refOperators + ", '...IfExists condition operators'",
		"", `{"DateLessThanEqualsIfExists":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, kv("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
	{"DateGreaterThanEqualsIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"DateGreaterThanEqualsIfExists":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, nil, true},
	{"DateEqualsIfExists/present-other", refOperators + ", '...IfExists condition operators'",
		"", `{"DateEqualsIfExists":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, kv("aws:CurrentTime", "2020-01-02T00:00:00Z"), false},
	{"StringNotEqualsIgnoreCaseIfExists/absent", refOperators + ", '...IfExists condition operators'",
		"", `{"StringNotEqualsIgnoreCaseIfExists":{"aws:username":"BOB"}}`, nil, true},
	{"ArnEqualsIfExists/present", refOperators + ", '...IfExists condition operators'",
		"", `{"ArnEqualsIfExists":{"aws:SourceArn":"arn:aws:s3:::b"}}`, kv("aws:SourceArn", "arn:aws:s3:::b"), true},
	{"ArnNotLikeIfExists/present-match", refOperators + ", '...IfExists condition operators'",
		"", `{"ArnNotLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::*"}}`, kv("aws:SourceArn", "arn:aws:s3:::b"), false},

	// Set qualifiers.
	{"ForAllValues:StringEquals/subset", refMultiValue + ", 'ForAllValues': true if every request value matches at least one policy value",
		"", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, kv("aws:TagKeys", "env", "aws:TagKeys", "team"), true},
	{"ForAllValues:StringEquals/not-subset", refMultiValue + ", 'ForAllValues': every request value must match",
		"", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, kv("aws:TagKeys", "env", "aws:TagKeys", "cost"), false},
	{"ForAllValues:StringEquals/absent-true", refMultiValue + ", 'ForAllValues': also returns true if there are no context keys in the request",
		"", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, nil, true},
	{"ForAllValues:StringEquals/single-value-key", refMultiValue + ", 'ForAllValues': a single request value is a set of one",
		"", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, kv("aws:TagKeys", "team"), true},
	{"ForAnyValue:StringEquals/intersects", refMultiValue + ", 'ForAnyValue': true if any request value matches any policy value",
		"", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, kv("aws:TagKeys", "cost", "aws:TagKeys", "team"), true},
	{"ForAnyValue:StringEquals/disjoint", refMultiValue + ", 'ForAnyValue': at least one request value must match",
		"", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, kv("aws:TagKeys", "cost", "aws:TagKeys", "owner"), false},
	{"ForAnyValue:StringEquals/absent-false", refMultiValue + ", 'ForAnyValue': for no matching context key or a null dataset, the condition returns false",
		"", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, nil, false},
	{"ForAllValues:StringNotEquals/none-listed", refMultiLogic + ", negated operators with set qualifiers: every request value must differ from all policy values",
		"", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["admin"]}}`, kv("aws:TagKeys", "env", "aws:TagKeys", "team"), true},
	{"ForAllValues:StringNotEquals/one-listed", refMultiLogic + ", negated operators with set qualifiers",
		"", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["admin"]}}`, kv("aws:TagKeys", "env", "aws:TagKeys", "admin"), false},
	{"ForAllValues:StringNotEquals/absent-true", refMultiValue + ", 'ForAllValues': returns true if there are no context keys in the request",
		"", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["admin"]}}`, nil, true},
	{"ForAnyValue:StringNotEquals/some-unlisted", refMultiLogic + ", negated operators with set qualifiers: some request value differs from all policy values",
		"", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["admin"]}}`, kv("aws:TagKeys", "admin", "aws:TagKeys", "env"), true},
	{"ForAnyValue:StringNotEquals/all-listed", refMultiLogic + ", negated operators with set qualifiers",
		"", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["admin"]}}`, kv("aws:TagKeys", "admin"), false},
	{"ForAnyValue:StringNotEquals/absent-false", refMultiValue + ", 'ForAnyValue': for no matching context key the condition returns false (even for a negated operator)",
		"", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["admin"]}}`, nil, false},
	{"ForAllValues:StringLike/prefix", refMultiValue + ", 'ForAllValues' with StringLike wildcards",
		"", `{"ForAllValues:StringLike":{"aws:TagKeys":"key1*"}}`, kv("aws:TagKeys", "key1a", "aws:TagKeys", "key1b"), true},
	{"ForAllValues:StringLike/one-outside", refMultiValue + ", 'ForAllValues' with StringLike wildcards",
		"", `{"ForAllValues:StringLike":{"aws:TagKeys":"key1*"}}`, kv("aws:TagKeys", "key1a", "aws:TagKeys", "key2"), false},
	{"ForAnyValue:StringLikeIfExists/absent", refOperators + ", '...IfExists condition operators': if the key is not present, the condition is true (followed over set-operator-first evaluators; see docs/policy.md)",
		"", `{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"env*"}}`, nil, true},
	{"ForAllValues:NumericLessThan/all", refMultiValue + ", set qualifiers apply to every operator type",
		"", `{"ForAllValues:NumericLessThan":{"ex:sizes":"10"}}`, kv("ex:sizes", "1", "ex:sizes", "9"), true},
	{"ForAnyValue:ArnLike/one", refMultiValue + ", set qualifiers apply to every operator type",
		"", `{"ForAnyValue:ArnLike":{"ex:arns":"arn:aws:s3:::b*"}}`, kv("ex:arns", "arn:aws:s3:::x", "ex:arns", "arn:aws:s3:::bb"), true},
	{"ForAnyValue:IpAddress/one", refMultiValue + ", set qualifiers apply to every operator type",
		"", `{"ForAnyValue:IpAddress":{"ex:ips":"10.0.0.0/8"}}`, kv("ex:ips", "192.0.2.1", "ex:ips", "10.1.2.3"), true},
	{"ForAllValues:Bool/all", refMultiValue + ", set qualifiers apply to every operator type",
		"", `{"ForAllValues:Bool":{"ex:flags":"true"}}`, kv("ex:flags", "true", "ex:flags", "false"), false},
	{"ForAnyValue:DateGreaterThan/one", refMultiValue + ", set qualifiers apply to every operator type",
		"", `{"ForAnyValue:DateGreaterThan":{"ex:dates":"2020-01-01T00:00:00Z"}}`, kv("ex:dates", "2019-01-01T00:00:00Z", "ex:dates", "2021-01-01T00:00:00Z"), true},
	{"unqualified-multivalued/any-matches", refMultiValue + ", a multivalued key without a set operator: any value may match (see docs/policy.md)",
		"", `{"StringEquals":{"aws:TagKeys":"team"}}`, kv("aws:TagKeys", "env", "aws:TagKeys", "team"), true},
	{"unqualified-multivalued/negated-any-matches", refMultiValue + ", a multivalued key without a set operator: a negated operator requires that none match (see docs/policy.md)",
		"", `{"StringNotEquals":{"aws:TagKeys":"team"}}`, kv("aws:TagKeys", "env", "aws:TagKeys", "team"), false},

	// Multiple keys and operators.
	{"keys-ANDed/one-fails", refMultiLogic + ", 'multiple context keys attached to a single condition operator are evaluated using a logical AND'",
		"", `{"StringEquals":{"aws:username":"bob","aws:RequestedRegion":"eu-west-1"}}`, kv("aws:username", "bob", "aws:RequestedRegion", "us-east-1"), false},
	{"keys-ANDed/both", refMultiLogic + ", multiple context keys are ANDed",
		"", `{"StringEquals":{"aws:username":"bob","aws:RequestedRegion":"eu-west-1"}}`, kv("aws:username", "bob", "aws:RequestedRegion", "eu-west-1"), true},
	{"operators-ANDed/one-fails", refMultiLogic + ", 'multiple condition operators are evaluated using a logical AND'",
		"", `{"StringEquals":{"aws:username":"bob"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, kv("aws:username", "bob", "aws:SourceIp", "192.0.2.1"), false},
	{"operators-ANDed/both", refMultiLogic + ", multiple condition operators are ANDed",
		"", `{"StringEquals":{"aws:username":"bob"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, kv("aws:username", "bob", "aws:SourceIp", "10.9.8.7"), true},
	{"key-name-case-insensitive", refCondition + ", 'Context key names are not case-sensitive': aws:SourceIP equals AWS:SourceIp",
		"", `{"StringEquals":{"AWS:UserName":"bob"}}`, kv("aws:username", "bob"), true},
	{"tag-key-case-insensitive", refCondition + ", 'Context key names are not case-sensitive'",
		"", `{"StringEquals":{"aws:PrincipalTag/Team":"blue"}}`, kv("AWS:PRINCIPALTAG/TEAM", "blue"), true},
	{"value-case-sensitive", refCondition + ", 'case-sensitivity of context key values depends on the condition operator'",
		"", `{"StringEquals":{"aws:PrincipalTag/Team":"blue"}}`, kv("aws:PrincipalTag/Team", "Blue"), false},

	// Policy variables in condition values.
	{"variable/2012-substituted", refVariables + ", 'Using variables in policies': variables are replaced with values from the request context",
		"", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, kv("aws:username", "bob", "s3:prefix", "home/bob/docs"), true},
	{"variable/2012-other-user", refVariables + ", 'Using variables in policies'",
		"", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, kv("aws:username", "bob", "s3:prefix", "home/alice/docs"), false},
	{"variable/2008-literal", refVariables + ", 'policy variables were introduced in version 2012-10-17'; earlier versions treat ${...} as literal text",
		Version2008, `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`, kv("aws:username", "bob", "s3:prefix", "home/bob"), false},
	{"variable/2008-literal-text-matches", refVersion + ", under 2008-10-17 '${aws:username}' is literal text",
		Version2008, `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`, kv("aws:username", "bob", "s3:prefix", "home/${aws:username}"), true},
	{"variable/no-version-is-2008", refVersion + ", 'If you do not include a Version element, the value defaults to 2008-10-17' and variables are literal",
		"none", `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`, kv("aws:username", "bob", "s3:prefix", "home/bob"), false},
	{"variable/name-case-insensitive", refVariables + ", variable names are context key names, which are case-insensitive",
		"", `{"StringEquals":{"s3:prefix":"${AWS:UserName}"}}`, kv("aws:username", "bob", "s3:prefix", "bob"), true},
	{"variable/principal-tag", refVariables + ", 'Using variables in policies': ${aws:PrincipalTag/tag-key}",
		"", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, kv("aws:PrincipalTag/team", "blue", "aws:ResourceTag/team", "blue"), true},
	{"variable/userid", refVariables + ", 'Request information that you can use for policy variables': aws:userid",
		"", `{"StringEquals":{"dynamodb:LeadingKeys":"${aws:userid}"}}`, kv("aws:userid", "AROAEXAMPLE:bob", "dynamodb:LeadingKeys", "AROAEXAMPLE:bob"), true},
	{"variable/current-time", refVariables + ", 'Request information that you can use for policy variables': aws:CurrentTime",
		"", `{"StringEquals":{"ex:stamp":"${aws:CurrentTime}"}}`, kv("aws:CurrentTime", "2024-01-01T00:00:00Z", "ex:stamp", "2024-01-01T00:00:00Z"), true},
	{"variable/default-used", refVariables + ", 'Specifying default values': ${aws:PrincipalTag/team, 'company-wide'}",
		"", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'company-wide'}"}}`, kv("aws:ResourceTag/team", "company-wide"), true},
	{"variable/default-ignored-when-present", refVariables + ", 'Specifying default values': the default applies only when the key is absent",
		"", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'company-wide'}"}}`, kv("aws:PrincipalTag/team", "blue", "aws:ResourceTag/team", "company-wide"), false},
	{"variable/unresolved-statement-invalid", refVariables + ", note: 'If AWS cannot resolve a variable this might cause the entire statement to be invalid'",
		"", `{"StringNotEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, kv("aws:ResourceTag/team", "blue"), false},
	{"variable/multivalued-not-substituted", refMultiValue + ", 'You cannot use a multivalued context key as a policy variable'",
		"", `{"StringLike":{"ex:k":"${aws:TagKeys}"}}`, kv("aws:TagKeys", "a", "aws:TagKeys", "b", "ex:k", "a"), false},
	{"variable/escape-star-equals", refVariables + ", 'Special characters': ${*} stands for a literal *",
		"", `{"StringEquals":{"ex:k":"a${*}b"}}`, kv("ex:k", "a*b"), true},
	{"variable/escape-star-like-literal", refVariables + ", 'Special characters': ${*} is a literal *, not a wildcard",
		"", `{"StringLike":{"ex:k":"a${*}b"}}`, kv("ex:k", "axb"), false},
	{"variable/escape-question", refVariables + ", 'Special characters': ${?} stands for a literal ?",
		"", `{"StringLike":{"ex:k":"what${?}"}}`, kv("ex:k", "what?"), true},
	{"variable/escape-question-not-wildcard", refVariables + ", 'Special characters': ${?} is not a wildcard",
		"", `{"StringLike":{"ex:k":"what${?}"}}`, kv("ex:k", "whats"), false},
	{"variable/escape-dollar", refVariables + ", 'Special characters': ${$} stands for a literal $",
		"", `{"StringEquals":{"ex:k":"${$}{aws:username}"}}`, kv("aws:username", "bob", "ex:k", "${aws:username}"), true},
	{"variable/value-is-literal", refVariables + ", substituted values are literal text (a username of * is not a wildcard; see docs/policy.md)",
		"", `{"StringLike":{"s3:prefix":"home/${aws:username}"}}`, kv("aws:username", "*", "s3:prefix", "home/alice"), false},
	{"variable/ignore-case", refVariables + ", variables in StringEqualsIgnoreCase",
		"", `{"StringEqualsIgnoreCase":{"ex:k":"team-${aws:PrincipalTag/team}"}}`, kv("aws:PrincipalTag/team", "BLUE", "ex:k", "Team-blue"), true},
	{"variable/arn", refOperators + ", 'ARN condition operators': policy variables supported",
		"", `{"ArnLike":{"ec2:SourceInstanceARN":"arn:aws:ec2:*:*:instance/${ec2:InstanceId}"}}`, kv("ec2:InstanceId", "i-123", "ec2:SourceInstanceARN", "arn:aws:ec2:eu-west-1:123456789012:instance/i-123"), true},
	{"variable/identitystore-attribute", refGatehouse + ", ${identitystore:UserAttribute/<attr>} resolves from the request context",
		"", `{"StringEquals":{"aws:ResourceTag/department":"${identitystore:UserAttribute/department}"}}`, kv("identitystore:UserAttribute/department", "finance", "aws:ResourceTag/department", "finance"), true},
	{"variable/identitystore-attribute-key", refGatehouse + ", identitystore:UserAttribute/<attr> is an ordinary condition key",
		"", `{"StringEquals":{"identitystore:UserAttribute/costCenter":"42"}}`, kv("identitystore:UserAttribute/costcenter", "42"), true},
}

func TestConditionGolden(t *testing.T) {
	for _, tc := range conditionCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ref == "" {
				t.Fatal("golden case without a documentation reference")
			}
			doc := mustParse(t, conditionPolicy(tc.policyVersion(), tc.cond), IdentityBased)
			set, err := Compile(Set{Identity: []Policy{{Name: "p", Document: doc}}})
			if err != nil {
				t.Fatal(err)
			}
			res := set.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: buildContext(tc.ctx)})
			if got := res.Decision == Allow; got != tc.want {
				t.Errorf("condition %s with context %v: applies = %v, want %v (%s)\nrule: %s", tc.cond, tc.ctx, got, tc.want, res, tc.ref)
			}
		})
	}
}

// TestEveryOperatorCovered keeps the golden table honest: every operator,
// every IfExists form and both set qualifiers must appear in it.
func TestEveryOperatorCovered(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range conditionCases {
		doc := mustParse(t, conditionPolicy(tc.policyVersion(), tc.cond), IdentityBased)
		for _, c := range doc.Statements[0].Conditions {
			q, base, ok := cutQualifier(c.Operator)
			if ok {
				seen[q] = true
			}
			seen[base] = true
		}
	}
	for _, name := range baseOperatorNames() {
		info, _ := lookupBaseOperator(name)
		if !seen[name] {
			t.Errorf("operator %s has no golden case", name)
		}
		if info.fam != famNull && !seen[name+"IfExists"] {
			t.Errorf("operator %sIfExists has no golden case", name)
		}
	}
	for _, q := range []string{"ForAnyValue:", "ForAllValues:"} {
		if !seen[q] {
			t.Errorf("qualifier %s has no golden case", q)
		}
	}
}

func cutQualifier(op string) (string, string, bool) {
	for _, q := range []string{"ForAnyValue:", "ForAllValues:"} {
		if len(op) > len(q) && op[:len(q)] == q {
			return q, op[len(q):], true
		}
	}
	return "", op, false
}

// TestConditionsDoNotAllocate evaluates every golden condition case with a
// warm context and checks that evaluation allocates nothing. The exceptions
// are request values that fail to parse where the standard library builds
// an error (an IP address that is not one).
func TestConditionsDoNotAllocate(t *testing.T) {
	allowed := map[string]bool{"IpAddress/garbage-request": true}
	for _, tc := range conditionCases {
		doc := mustParse(t, conditionPolicy(tc.policyVersion(), tc.cond), IdentityBased)
		set, err := Compile(Set{Identity: []Policy{{Name: "p", Document: doc}}})
		if err != nil {
			t.Fatal(err)
		}
		req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: buildContext(tc.ctx)}
		if n := testing.AllocsPerRun(20, func() { set.Evaluate(req) }); n != 0 && !allowed[tc.name] {
			t.Errorf("%s: Evaluate allocates %.1f times", tc.name, n)
		}
	}
}
