package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Test credentials. The ASIA pair is temporary and needs its token.
const (
	testAKID    = "AKIDEXAMPLE"
	testSecret  = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testASIA    = "ASIAEXAMPLE"
	testASIASec = "tempSecretEXAMPLE"
	testToken   = "session-token/with+odd=chars"
	testRegion  = "us-east-1"
	testService = "identitystore"
)

// testTime is the signing time of most tests.
var testTime = time.Date(2025, 1, 1, 0, 30, 0, 0, time.UTC)

var testSecrets = SecretLookupFunc(func(_ context.Context, id string) (string, error) {
	switch id {
	case testAKID:
		return testSecret, nil
	case testASIA:
		return testASIASec, nil
	case "AKIDBROKEN":
		return "", io.ErrUnexpectedEOF
	}
	return "", ErrUnknownAccessKey
})

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// newTestVerifier returns a verifier for identitystore (or S3 when s3 is
// set) whose clock reads now.
func newTestVerifier(tb testing.TB, s3 bool, now time.Time) *Verifier {
	tb.Helper()
	cfg := Config{
		Secrets: testSecrets,
		Service: testService,
		Regions: []string{testRegion, "eu-west-1"},
		Now:     fixedClock(now),
	}
	if s3 {
		cfg.Service = "s3"
		cfg.Path = PathAsSent
		cfg.UnsignedPayload = true
		cfg.StreamingPayload = true
		cfg.RequireContentSHA256 = true
		cfg.RequireSignedAmzHeaders = true
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// roundTrip writes r as a client would and parses it as net/http's server
// does, so that verification sees exactly what a handler would.
func roundTrip(tb testing.TB, r *http.Request) (*http.Request, []byte) {
	tb.Helper()
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		tb.Fatalf("write request: %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		tb.Fatalf("read request: %v\n%s", err, wire.String())
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	sr.Body = io.NopCloser(bytes.NewReader(body))
	return sr, body
}

// sdkSign signs r with aws-sdk-go-v2.
func sdkSign(tb testing.TB, r *http.Request, payloadHash, service string, t time.Time, s3 bool, creds aws.Credentials) {
	tb.Helper()
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s3 })
	if err := signer.SignHTTP(context.Background(), creds, r, payloadHash, service, testRegion, t); err != nil {
		tb.Fatal(err)
	}
}

var sdkCreds = aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}

// jsonRequest builds a typical identitystore call.
func jsonRequest(tb testing.TB, body string) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(http.MethodPost, "https://identitystore.us-east-1.amazonaws.com/", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AWSIdentityStore.ListUsers")
	return r
}

func wantKind(tb testing.TB, err error, want Kind) {
	tb.Helper()
	got, ok := KindOf(err)
	if !ok || got != want {
		tb.Fatalf("error = %v; want kind %v", err, want)
	}
}

func newSDKSigner(s3 bool) *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s3 })
}
