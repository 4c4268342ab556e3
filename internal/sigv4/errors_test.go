package sigv4

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The signing time of the error table, and the clock unless a case moves it.
var (
	tableSignAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tableNow    = tableSignAt.Add(time.Minute)
)

const tableBody = `{"IdentityStoreId":"d-1234567890"}`

// tableRequest is an SDK-signed identitystore request, read back as a
// server sees it.
func tableRequest(t *testing.T, signAt time.Time, creds aws.Credentials, service, region string) *http.Request {
	t.Helper()
	r := jsonRequest(t, tableBody)
	signer := newSDKSigner(false)
	if err := signer.SignHTTP(context.Background(), creds, r, sha256Hex([]byte(tableBody)), service, region, signAt); err != nil {
		t.Fatal(err)
	}
	sr, _ := roundTrip(t, r)
	return sr
}

// presignedRequest is an SDK-presigned request with the given X-Amz-Expires.
func presignedRequest(t *testing.T, signAt time.Time, expires string) *http.Request {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires="+expires, nil)
	u, _, err := newSDKSigner(false).PresignHTTP(context.Background(), sdkCreds, r, EmptySHA256, testService, testRegion, signAt)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := http.NewRequest(http.MethodGet, u, nil)
	sr, _ := roundTrip(t, pr)
	return sr
}

// editAuthz rewrites the Authorization header.
func editAuthz(r *http.Request, old, new string) *http.Request {
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
	return r
}

// editQuery rewrites a query parameter (or drops it when value is "").
func editQuery(r *http.Request, key, value string) *http.Request {
	q := splitQuery(r.URL.RawQuery)
	var out [][2]string
	for _, p := range q {
		if p[0] == key {
			if value == "" {
				continue
			}
			p[1] = value
		}
		out = append(out, p)
	}
	r.URL.RawQuery = joinQuery(out)
	r.RequestURI = r.URL.Path + "?" + r.URL.RawQuery
	return r
}

func TestVerifyErrorKinds(t *testing.T) {
	sess := aws.Credentials{AccessKeyID: testASIA, SecretAccessKey: testASIASec, SessionToken: testToken}
	tests := []struct {
		name    string
		now     time.Time // zero means tableNow
		s3      bool
		req     func(t *testing.T) *http.Request
		payload func() Payload // nil means the table body
		kind    Kind
		message string // if set, the exact Message
	}{
		{
			name: "no authentication",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.Header.Del("Authorization")
				return r
			},
			kind: MissingAuthentication, message: "Missing Authentication Token",
		},
		{
			name: "no Credential",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				return editAuthz(r, "Credential=", "Kredential=")
			},
			kind: MalformedAuthorization,
		},
		{
			name: "Credential missing",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 "+a[strings.Index(a, "SignedHeaders="):])
				return r
			},
			kind: IncompleteSignature,
		},
		{
			name: "SignedHeaders missing",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				a := r.Header.Get("Authorization")
				i, j := strings.Index(a, "SignedHeaders="), strings.Index(a, "Signature=")
				r.Header.Set("Authorization", a[:i]+a[j:])
				return r
			},
			kind: IncompleteSignature,
		},
		{
			name: "Signature missing",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
				return r
			},
			kind: IncompleteSignature,
		},
		{
			name: "everything missing",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256")
				r.Header.Del("X-Amz-Date")
				return r
			},
			kind: IncompleteSignature,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
				"(Hashed with SHA-256 and encoded with Base64) Authorization=YI2YWea8FSxnksZL2ETHbs5elHm9HQufxTLK0W0ffV0=",
		},
		{
			name: "bad algorithm",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				return editAuthz(r, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")
			},
			kind: UnsupportedAlgorithm,
		},
		{
			name: "bearer token",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.Header.Set("Authorization", "Bearer abc")
				return r
			},
			kind: UnsupportedAlgorithm,
		},
		{
			name: "repeated Signature",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.Header.Set("Authorization", r.Header.Get("Authorization")+", Signature=00")
				return r
			},
			kind: MalformedAuthorization,
		},
		{
			name: "credential with four parts",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				return editAuthz(r, "/aws4_request", "")
			},
			kind:    MalformedAuthorization,
			message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20250101/us-east-1/identitystore'",
		},
		{
			name: "X-Amz-Date not basic ISO 8601",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.Header.Set("X-Amz-Date", "2025-01-01T00:00:00Z")
				return r
			},
			kind:    MalformedAuthorization,
			message: "Date must be in ISO-8601 'basic format'. Got '2025-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			name: "date 16 minutes old",
			now:  tableSignAt.Add(16 * time.Minute),
			req: func(t *testing.T) *http.Request {
				return tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
			},
			kind:    RequestTimeTooSkewed,
			message: "Signature expired: 20250101T000000Z is now earlier than 20250101T000100Z (20250101T001600Z - 15 min.)",
		},
		{
			name: "date 30 minutes old",
			now:  tableSignAt.Add(30 * time.Minute),
			req: func(t *testing.T) *http.Request {
				return tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
			},
			kind:    RequestTimeTooSkewed,
			message: "Signature expired: 20250101T000000Z is now earlier than 20250101T001500Z (20250101T003000Z - 15 min.)",
		},
		{
			name: "date 16 minutes ahead",
			now:  tableSignAt.Add(-16 * time.Minute),
			req: func(t *testing.T) *http.Request {
				return tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
			},
			kind:    RequestTimeTooSkewed,
			message: "Signature not yet current: 20250101T000000Z is still later than 20241231T235900Z (20241231T234400Z + 15 min.)",
		},
		{
			name: "scope date",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				return editAuthz(r, "/20250101/", "/20250102/")
			},
			kind:    WrongDate,
			message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20250102' != '20250101', from '20250101T000000Z'. ",
		},
		{
			name: "scope region",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				return editAuthz(r, "/us-east-1/", "/ap-south-2/")
			},
			kind: WrongRegion, message: "Credential should be scoped to a valid region. ",
		},
		{
			name: "scope service",
			req: func(t *testing.T) *http.Request {
				return tableRequest(t, tableSignAt, sdkCreds, "sso", testRegion)
			},
			kind: WrongService, message: "Credential should be scoped to correct service: 'identitystore'. ",
		},
		{
			name: "scope region and service",
			req: func(t *testing.T) *http.Request {
				return tableRequest(t, tableSignAt, sdkCreds, "sso", "ap-south-2")
			},
			kind: WrongRegion, message: "Credential should be scoped to a valid region. Credential should be scoped to correct service: 'identitystore'. ",
		},
		{
			name: "scope terminator",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				return editAuthz(r, "/aws4_request", "/aws5_request")
			},
			kind: WrongTerminator,
		},
		{
			name: "unknown key",
			req: func(t *testing.T) *http.Request {
				return tableRequest(t, tableSignAt, aws.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: "x"}, testService, testRegion)
			},
			kind: UnknownAccessKey, message: "The security token included in the request is invalid.",
		},
		{
			name: "lookup failure",
			req: func(t *testing.T) *http.Request {
				return tableRequest(t, tableSignAt, aws.Credentials{AccessKeyID: "AKIDBROKEN", SecretAccessKey: "x"}, testService, testRegion)
			},
			kind: Internal,
		},
		{
			name: "wrong secret",
			req: func(t *testing.T) *http.Request {
				return tableRequest(t, tableSignAt, aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "wrong"}, testService, testRegion)
			},
			kind: SignatureMismatch,
			message: "The request signature we calculated does not match the signature you provided. " +
				"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
		},
		{
			name: "host not signed",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				return editAuthz(r, "host;", "")
			},
			kind: UnsignedHeader, message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name: "signed headers unsorted",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				return editAuthz(r, "SignedHeaders=content-length;content-type;host", "SignedHeaders=content-type;content-length;host")
			},
			kind: MalformedAuthorization,
		},
		{
			name: "two Host headers",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.Header["Host"] = []string{r.Host, "evil.example"}
				return r
			},
			kind: DuplicateHost,
		},
		{
			name: "Host header disagrees with the request host",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.Header["Host"] = []string{"evil.example"}
				return r
			},
			kind: DuplicateHost,
		},
		{
			name: "another host",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.Host = "evil.example"
				return r
			},
			kind: SignatureMismatch,
		},
		{
			name: "temporary key without token",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sess, testService, testRegion)
				r.Header.Del("X-Amz-Security-Token")
				return r
			},
			kind: MissingSecurityToken,
		},
		{
			name: "token added after signing",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, aws.Credentials{AccessKeyID: testASIA, SecretAccessKey: testASIASec}, testService, testRegion)
				r.Header.Set("X-Amz-Security-Token", testToken)
				return r
			},
			kind: UnsignedHeader,
		},
		{
			name: "another session's token",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sess, testService, testRegion)
				r.Header.Set("X-Amz-Security-Token", "another-token")
				return r
			},
			kind: SignatureMismatch,
		},
		{
			name: "body changed",
			req: func(t *testing.T) *http.Request {
				return tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
			},
			payload: func() Payload { return FullBody([]byte(strings.Replace(tableBody, "d-", "x-", 1))) },
			kind:    SignatureMismatch,
		},
		{
			name: "body unknown",
			req: func(t *testing.T) *http.Request {
				return tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
			},
			payload: StreamedBody,
			kind:    MissingContentSHA256,
		},
		{
			name: "unsigned payload outside S3",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
				return r
			},
			kind: InvalidContentSHA256,
		},
		{
			name: "header and query authentication",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.URL.RawQuery = "X-Amz-Signature=00"
				return r
			},
			kind: MalformedAuthorization,
		},
		{
			name: "bad query escape",
			req: func(t *testing.T) *http.Request {
				r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
				r.URL.RawQuery = "a=%zz"
				return r
			},
			kind: MalformedQueryString,
		},
		{
			name:    "presigned expires 604801",
			req:     func(t *testing.T) *http.Request { return presignedRequest(t, tableSignAt, "604801") },
			kind:    InvalidExpires,
			message: "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
		},
		{
			name: "presigned expires 0",
			req:  func(t *testing.T) *http.Request { return presignedRequest(t, tableSignAt, "0") },
			kind: InvalidExpires,
		},
		{
			name: "presigned expires -1",
			req:  func(t *testing.T) *http.Request { return presignedRequest(t, tableSignAt, "-1") },
			kind: InvalidExpires,
		},
		{
			name: "presigned expires not a number",
			req:  func(t *testing.T) *http.Request { return presignedRequest(t, tableSignAt, "1e3") },
			kind: InvalidExpires,
		},
		{
			name: "presigned expired",
			now:  tableSignAt.Add(61 * time.Second),
			req:  func(t *testing.T) *http.Request { return presignedRequest(t, tableSignAt, "60") },
			kind: RequestExpired,
		},
		{
			name: "presigned 16 minutes ahead",
			now:  tableSignAt.Add(-16 * time.Minute),
			req:  func(t *testing.T) *http.Request { return presignedRequest(t, tableSignAt, "3600") },
			kind: RequestNotYetValid,
		},
		{
			name: "presigned without signature",
			req: func(t *testing.T) *http.Request {
				return editQuery(presignedRequest(t, tableSignAt, "60"), "X-Amz-Signature", "")
			},
			kind:    IncompleteSignature,
			message: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.",
		},
		{
			name: "presigned without expires",
			req: func(t *testing.T) *http.Request {
				return editQuery(presignedRequest(t, tableSignAt, "60"), "X-Amz-Expires", "")
			},
			kind: IncompleteSignature,
		},
		{
			name: "presigned algorithm",
			req: func(t *testing.T) *http.Request {
				return editQuery(presignedRequest(t, tableSignAt, "60"), "X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256")
			},
			kind: UnsupportedAlgorithm,
		},
		{
			name: "presigned region",
			req: func(t *testing.T) *http.Request {
				return editQuery(presignedRequest(t, tableSignAt, "60"), "X-Amz-Credential", testAKID+"/20250101/mars-1/identitystore/aws4_request")
			},
			kind: WrongRegion,
		},
		{
			name: "presigned without host",
			req: func(t *testing.T) *http.Request {
				return editQuery(presignedRequest(t, tableSignAt, "60"), "X-Amz-SignedHeaders", "x-amz-date")
			},
			kind: UnsignedHeader,
		},
		{
			name: "S3 without x-amz-content-sha256",
			s3:   true,
			req: func(t *testing.T) *http.Request {
				r, _ := http.NewRequest(http.MethodGet, "https://b.s3.amazonaws.com/k", nil)
				sdkSign(t, r, EmptySHA256, "s3", tableSignAt, true, sdkCreds)
				return r
			},
			kind: MissingContentSHA256,
		},
		{
			name: "S3 bad x-amz-content-sha256",
			s3:   true,
			req: func(t *testing.T) *http.Request {
				r, _ := http.NewRequest(http.MethodGet, "https://b.s3.amazonaws.com/k", nil)
				r.Header.Set("X-Amz-Content-Sha256", strings.ToUpper(EmptySHA256))
				sdkSign(t, r, EmptySHA256, "s3", tableSignAt, true, sdkCreds)
				return r
			},
			kind: InvalidContentSHA256,
		},
		{
			name: "S3 body does not match x-amz-content-sha256",
			s3:   true,
			req: func(t *testing.T) *http.Request {
				r, _ := http.NewRequest(http.MethodPut, "https://b.s3.amazonaws.com/k", strings.NewReader("data"))
				r.Header.Set("X-Amz-Content-Sha256", EmptySHA256)
				sdkSign(t, r, EmptySHA256, "s3", tableSignAt, true, sdkCreds)
				sr, _ := roundTrip(t, r)
				return sr
			},
			payload: func() Payload { return FullBody([]byte("data")) },
			kind:    ContentSHA256Mismatch,
		},
		{
			name: "S3 unsigned x-amz- header",
			s3:   true,
			req: func(t *testing.T) *http.Request {
				r, _ := http.NewRequest(http.MethodGet, "https://b.s3.amazonaws.com/k", nil)
				r.Header.Set("X-Amz-Content-Sha256", EmptySHA256)
				sdkSign(t, r, EmptySHA256, "s3", tableSignAt, true, sdkCreds)
				r.Header.Set("X-Amz-Meta-Late", "1")
				return r
			},
			kind: UnsignedHeader,
		},
		{
			name: "S3 presigned streaming",
			s3:   true,
			req: func(t *testing.T) *http.Request {
				r, _ := http.NewRequest(http.MethodPut, "https://b.s3.amazonaws.com/k?X-Amz-Expires=60", nil)
				r.Header.Set("X-Amz-Content-Sha256", StreamingPayload)
				u, hdr, err := newSDKSigner(true).PresignHTTP(context.Background(), sdkCreds, r, StreamingPayload, "s3", testRegion, tableSignAt)
				if err != nil {
					t.Fatal(err)
				}
				pr, _ := http.NewRequest(http.MethodPut, u, nil)
				pr.Header.Set("X-Amz-Content-Sha256", hdr.Get("X-Amz-Content-Sha256"))
				return pr
			},
			kind: InvalidContentSHA256,
		},
	}
	seen := map[Kind]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = tableNow
			}
			payload := FullBody([]byte(tableBody))
			if tc.payload != nil {
				payload = tc.payload()
			}
			if tc.s3 && tc.payload == nil {
				payload = StreamedBody()
			}
			_, err := newTestVerifier(t, tc.s3, now).Verify(context.Background(), tc.req(t), payload)
			wantKind(t, err, tc.kind)
			e := err.(*Error)
			if tc.message != "" && e.Message != tc.message {
				t.Errorf("message:\n got %q\nwant %q", e.Message, tc.message)
			}
			for _, w := range []Wire{JSONWire(err), QueryWire(err), S3Wire(err)} {
				if w.Code == "" || w.Message == "" || w.Status < 400 {
					t.Errorf("wire form %+v", w)
				}
			}
			seen[tc.kind] = true
		})
	}
	for k := MissingAuthentication; k <= ContentSHA256Mismatch; k++ {
		if !seen[k] && k != InvalidSecurityToken && k != ExpiredToken {
			t.Errorf("no case for %v", k)
		}
	}
}

func TestClockBoundaries(t *testing.T) {
	r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
	for _, d := range []time.Duration{-MaxClockSkew, MaxClockSkew} {
		if _, err := newTestVerifier(t, false, tableSignAt.Add(d)).Verify(context.Background(), r, FullBody([]byte(tableBody))); err != nil {
			t.Errorf("clock %v from the signature: %v", d, err)
		}
	}
	for _, d := range []time.Duration{-MaxClockSkew - time.Second, MaxClockSkew + time.Second} {
		_, err := newTestVerifier(t, false, tableSignAt.Add(d)).Verify(context.Background(), r, FullBody([]byte(tableBody)))
		wantKind(t, err, RequestTimeTooSkewed)
	}
	p := presignedRequest(t, tableSignAt, "604800")
	for _, now := range []time.Time{tableSignAt.Add(-MaxClockSkew), tableSignAt.Add(MaxPresignExpiry)} {
		if _, err := newTestVerifier(t, false, now).Verify(context.Background(), p, FullBody(nil)); err != nil {
			t.Errorf("presigned at %v: %v", now, err)
		}
	}
	_, err := newTestVerifier(t, false, tableSignAt.Add(MaxPresignExpiry+time.Second)).Verify(context.Background(), p, FullBody(nil))
	wantKind(t, err, RequestExpired)
}

// TestDuplicateHostOnTheWire sends two Host lines. net/http refuses them
// itself in its server loop; http.ReadRequest alone does not, and the
// verifier must not either accept them.
func TestDuplicateHostOnTheWire(t *testing.T) {
	r := tableRequest(t, tableSignAt, sdkCreds, testService, testRegion)
	var b strings.Builder
	b.WriteString("POST / HTTP/1.1\r\nHost: " + r.Host + "\r\nHost: evil.example\r\n")
	for k, vs := range r.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n" + tableBody)
	sr, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		return // refused by net/http
	}
	_, err = newTestVerifier(t, false, tableNow).Verify(context.Background(), sr, FullBody([]byte(tableBody)))
	if err == nil {
		t.Fatalf("two Host headers accepted (r.Host %q, Header %q)", sr.Host, sr.Header["Host"])
	}
}

func TestWireMapping(t *testing.T) {
	mk := func(k Kind, presigned bool) error {
		e := newError(k, "msg", "")
		e.Presigned = presigned
		return e
	}
	tests := []struct {
		err                error
		json, query, s3    string
		jsonStatus, s3Stat int
	}{
		{mk(SignatureMismatch, false), "InvalidSignatureException", "SignatureDoesNotMatch", "SignatureDoesNotMatch", 403, 403},
		{mk(MissingAuthentication, false), "MissingAuthenticationTokenException", "MissingAuthenticationToken", "AccessDenied", 403, 403},
		{mk(IncompleteSignature, false), "IncompleteSignatureException", "IncompleteSignature", "AuthorizationHeaderMalformed", 400, 400},
		{mk(IncompleteSignature, true), "IncompleteSignatureException", "IncompleteSignature", "AuthorizationQueryParametersError", 400, 400},
		{mk(UnknownAccessKey, false), "UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId", 403, 403},
		{mk(RequestTimeTooSkewed, false), "InvalidSignatureException", "SignatureDoesNotMatch", "RequestTimeTooSkewed", 403, 403},
		{mk(ExpiredToken, false), "ExpiredTokenException", "ExpiredToken", "ExpiredToken", 403, 400},
		{errors.New("database on fire"), "InternalFailure", "InternalFailure", "InternalError", 500, 500},
	}
	for _, tc := range tests {
		j, q, s := JSONWire(tc.err), QueryWire(tc.err), S3Wire(tc.err)
		if j.Code != tc.json || q.Code != tc.query || s.Code != tc.s3 || j.Status != tc.jsonStatus || s.Status != tc.s3Stat {
			t.Errorf("%v: got %+v %+v %+v", tc.err, j, q, s)
		}
		if strings.Contains(j.Message+q.Message+s.Message, "fire") {
			t.Errorf("internal cause leaked: %+v", j)
		}
	}
	if m := QueryWire(mk(MissingAuthentication, false)).Message; m != "Request is missing Authentication Token" {
		t.Errorf("query message %q", m)
	}
	for k := Kind(0); k < kindCount; k++ {
		c := wireTable[k]
		if c.json.code == "" || c.query.code == "" || c.s3.code == "" || k.String() == "" {
			t.Errorf("%v lacks a wire code", k)
		}
	}
}
