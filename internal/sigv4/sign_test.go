package sigv4

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestSignerMatchesSDK signs the same random requests with Signer and with
// aws-sdk-go-v2 and expects identical Authorization headers. (Only paths
// that are already normal: for others the SDK does not normalise and we
// do, as AWS specifies.)
func TestSignerMatchesSDK(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 2000 {
		s3 := i%2 == 0
		path := randomPath(rng)
		if !s3 && normalizePath(path) != path {
			continue
		}
		build := func() *http.Request {
			r, err := http.NewRequest(http.MethodPut, "https://svc.example.com"+path+"?"+randomQueryFixed(i), strings.NewReader("body"))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "text/plain")
			r.Header.Add("X-Test", " a  b ")
			r.Header.Add("X-Test", "c")
			return r
		}
		creds := aws.Credentials{AccessKeyID: testASIA, SecretAccessKey: testASIASec, SessionToken: testToken}
		service := map[bool]string{true: "s3", false: testService}[s3]
		ours, theirs := build(), build()
		style := map[bool]PathStyle{true: PathAsSent, false: PathNormalized}[s3]
		err := Signer{Path: style}.Sign(ours, sha256Hex([]byte("body")), Credentials{testASIA, testASIASec, testToken}, testRegion, service, testTime)
		if err != nil {
			t.Fatal(err)
		}
		sdkSign(t, theirs, sha256Hex([]byte("body")), service, testTime, s3, creds)
		if a, b := ours.Header.Get("Authorization"), theirs.Header.Get("Authorization"); a != b {
			t.Fatalf("%s %s:\n ours %s\nsdk's %s", path, ours.URL.RawQuery, a, b)
		}
	}
}

func randomQueryFixed(seed int) string {
	return randomQuery(rand.New(rand.NewPCG(uint64(seed), 1)))
}

func TestSignThenVerify(t *testing.T) {
	ctx := context.Background()
	for _, s3 := range []bool{false, true} {
		v := newTestVerifier(t, s3, testTime)
		service := map[bool]string{true: "s3", false: testService}[s3]
		style := map[bool]PathStyle{true: PathAsSent, false: PathNormalized}[s3]
		body := []byte("hello")
		r, _ := http.NewRequest(http.MethodPost, "https://h.example/a/../b//c%2F?x=1&y", bytes.NewReader(body))
		if s3 {
			r.Header.Set("X-Amz-Content-Sha256", sha256Hex(body))
		}
		creds := Credentials{testASIA, testASIASec, testToken}
		if err := (Signer{Path: style}).Sign(r, sha256Hex(body), creds, testRegion, service, testTime); err != nil {
			t.Fatal(err)
		}
		sr, got := roundTrip(t, r)
		res, err := v.Verify(ctx, sr, FullBody(got))
		if err != nil {
			t.Fatalf("s3=%v: %v", s3, err)
		}
		if res.SecurityToken != testToken || (!s3 && !res.NormalizedPathSigned) {
			t.Fatalf("result %+v", res)
		}

		// Presigned, with a token, and a signed header that must come along.
		r, _ = http.NewRequest(http.MethodGet, "https://h.example/k%20ey?list=1", nil)
		r.Header.Set("X-Custom", "v")
		u, err := Signer{Path: style}.Presign(r, map[bool]string{true: UnsignedPayload, false: EmptySHA256}[s3], creds, testRegion, service, testTime, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := http.NewRequest(http.MethodGet, u, nil)
		pr.Header.Set("X-Custom", "v")
		sr, _ = roundTrip(t, pr)
		res, err = v.Verify(ctx, sr, FullBody(nil))
		if err != nil || !res.Presigned || res.SecurityToken != testToken {
			t.Fatalf("presigned s3=%v: %v %+v", s3, err, res)
		}
		sr.Header.Set("X-Custom", "w")
		_, err = v.Verify(ctx, sr, FullBody(nil))
		wantKind(t, err, SignatureMismatch)
	}
}

// TestDateHeader signs with the Date header instead of X-Amz-Date, which
// AWS accepts.
func TestDateHeader(t *testing.T) {
	r := jsonRequest(t, tableBody)
	r.Header.Set("Date", testTime.Format(http.TimeFormat))
	scope := Scope{"20250101", testRegion, testService}
	signed := []string{"content-type", "date", "host", "x-amz-target"}
	sig := Signer{}.signature(r, nil, "", signed, sha256Hex([]byte(tableBody)), testTime.Format(TimeFormat), scope, testSecret)
	r.Header.Set("Authorization", Algorithm+" Credential="+testAKID+"/"+scope.String()+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	sr, body := roundTrip(t, r)
	v := newTestVerifier(t, false, testTime)
	if _, err := v.Verify(context.Background(), sr, FullBody(body)); err != nil {
		t.Fatal(err)
	}
	sr.Header.Set("Date", testTime.Add(time.Second).Format(http.TimeFormat))
	_, err := v.Verify(context.Background(), sr, FullBody(body))
	wantKind(t, err, SignatureMismatch)
}

// TestStreamedHashedBody declares the body's hash and checks it while the
// body streams, as S3 does.
func TestStreamedHashedBody(t *testing.T) {
	body := []byte(strings.Repeat("payload ", 1000))
	r, _ := http.NewRequest(http.MethodPut, "https://b.s3.amazonaws.com/k", bytes.NewReader(body))
	r.Header.Set("X-Amz-Content-Sha256", sha256Hex(body))
	sdkSign(t, r, sha256Hex(body), "s3", testTime, true, sdkCreds)
	res, err := newTestVerifier(t, true, testTime).Verify(context.Background(), r, StreamedBody())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Payload(bytes.NewReader(body)))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read: %v", err)
	}
	bad := bytes.Clone(body)
	bad[500] ^= 1
	_, err = io.ReadAll(res.Payload(bytes.NewReader(bad)))
	wantKind(t, err, ContentSHA256Mismatch)
	// An unsigned payload passes through untouched.
	r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
	sdkSign(t, r, UnsignedPayload, "s3", testTime, true, sdkCreds)
	res, err = newTestVerifier(t, true, testTime).Verify(context.Background(), r, StreamedBody())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(res.Payload(bytes.NewReader(bad))); err != nil || !bytes.Equal(got, bad) {
		t.Fatalf("unsigned payload: %v", err)
	}
}

func TestSignerRejectsBadInput(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "https://h.example/", nil)
	creds := Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	for name, err := range map[string]error{
		"no secret":    Signer{}.Sign(r, EmptySHA256, Credentials{AccessKeyID: testAKID}, testRegion, testService, testTime),
		"bad hash":     Signer{}.Sign(r, "abc", creds, testRegion, testService, testTime),
		"slash region": Signer{}.Sign(r, EmptySHA256, creds, "us/east", testService, testTime),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, exp := range []time.Duration{0, time.Millisecond, MaxPresignExpiry + time.Second} {
		if _, err := (Signer{}).Presign(r, EmptySHA256, creds, testRegion, testService, testTime, exp); err == nil {
			t.Errorf("expiry %v accepted", exp)
		}
	}
}

func TestKeyCache(t *testing.T) {
	c := newKeyCache(2)
	s1 := Scope{"20250101", "us-east-1", "s3"}
	s2 := Scope{"20250102", "us-east-1", "s3"}
	s3 := Scope{"20250103", "us-east-1", "s3"}
	for _, s := range []Scope{s1, s2, s3, s1} {
		if got, want := c.get(testSecret, s), DeriveSigningKey(testSecret, s); !bytes.Equal(got, want) {
			t.Fatalf("%v: wrong key", s)
		}
	}
	if len(c.keys) > 2 {
		t.Fatalf("cache holds %d keys", len(c.keys))
	}
	if bytes.Equal(c.get("other", s1), c.get(testSecret, s1)) {
		t.Fatal("rotated secret hit the cache")
	}
	if got := DeriveSigningKey(testSecret, s1).String(); got != "[redacted]" {
		t.Fatalf("signing key prints as %q", got)
	}
}

func TestNewVerifierConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Secrets: testSecrets},
		{Secrets: testSecrets, Service: "s3"},
		{Secrets: testSecrets, Service: "s3", Regions: []string{"us-east-1"}, Path: 9},
	} {
		if _, err := NewVerifier(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
