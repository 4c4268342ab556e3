package sigv4

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// benchBody is a 300-byte JSON request body.
var benchBody = []byte(`{"IdentityStoreId":"d-1234567890","Filters":[{"AttributePath":"UserName","AttributeValue":"someone@example.com"}],"MaxResults":50,"NextToken":"` +
	strings.Repeat("t", 300-145) + `"}`)

// BenchmarkVerifyHeader verifies a typical JSON-protocol request: POST /
// with X-Amz-Target, a session token and a 300-byte body, signed by
// aws-sdk-go-v2 and read back as net/http's server presents it.
func BenchmarkVerifyHeader(b *testing.B) {
	if len(benchBody) != 300 {
		b.Fatalf("body is %d bytes", len(benchBody))
	}
	r, _ := http.NewRequest(http.MethodPost, "https://identitystore.us-east-1.amazonaws.com/", bytes.NewReader(benchBody))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AWSIdentityStore.ListUsers")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.0 os/linux lang/go#1.26 md/GOOS#linux api/identitystore#1.0")
	r.Header.Set("Amz-Sdk-Invocation-Id", "0b6a5c5e-1f9e-4bd0-a5b4-9d7e3b0f2b7f")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	sdkSign(b, r, sha256Hex(benchBody), testService, testTime, false, sdkCreds)
	sr, body := roundTrip(b, r)
	v := newTestVerifier(b, false, testTime)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, sr, FullBody(body)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPresigned verifies an STS-style presigned URL.
func BenchmarkVerifyPresigned(b *testing.B) {
	r, _ := http.NewRequest(http.MethodGet, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=900", nil)
	u, _, err := newSDKSigner(false).PresignHTTP(context.Background(), sdkCreds, r, EmptySHA256, testService, testRegion, testTime)
	if err != nil {
		b.Fatal(err)
	}
	pr, _ := http.NewRequest(http.MethodGet, u, nil)
	sr, _ := roundTrip(b, pr)
	v := newTestVerifier(b, false, testTime)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, sr, FullBody(nil)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChunkReader decodes a signed 1 MiB upload in 64 KiB chunks.
func BenchmarkChunkReader(b *testing.B) {
	scope := Scope{"20250101", testRegion, "s3"}
	key := DeriveSigningKey(testSecret, scope)
	seed := strings.Repeat("ab", 32)
	data := bytes.Repeat([]byte("x"), 1<<20)
	body := encodeChunked(data, []int{64 << 10}, StreamingPayload, key, seed, testTime, scope, nil, nil)
	cfg := ChunkConfig{PayloadHash: StreamingPayload, SigningKey: key, SeedSignature: seed, SigningTime: testTime, Scope: scope, DecodedLength: int64(len(data))}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		cr, err := NewChunkReader(bytes.NewReader(body), cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, cr); err != nil {
			b.Fatal(err)
		}
	}
}
