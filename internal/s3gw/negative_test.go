package s3gw

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// TestGatewaySignatureNegatives is SECURITY.md #48 against the gateway:
// every way a signed request can be changed after signing, or signed
// outside its validity, is refused with S3's error, and nothing reaches
// the upstream. (The cases of temporary credentials — a missing or foreign
// session token, an expired session — are in cmd/gatehouse, where real
// sessions are issued.)
func TestGatewaySignatureNegatives(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	if _, err := e.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("neg")}); err != nil {
		t.Fatal(err)
	}
	creds := sigv4.Credentials{AccessKeyID: e.adminID, SecretAccessKey: e.adminSecret}
	signer := sigv4.Signer{Path: sigv4.PathAsSent}
	body := []byte("signed body")
	// put returns a PUT of body to key, header-signed at t, to be changed
	// by the case before it is sent.
	put := func(key string, at time.Time) *http.Request {
		r, _ := http.NewRequest(http.MethodPut, e.URL+"/neg/"+key+"?x-id=PutObject", bytes.NewReader(body))
		r.Header.Set("X-Amz-Content-Sha256", sha256Hex(body))
		r.Header.Set("X-Amz-Meta-Color", "blue")
		if err := signer.Sign(r, sha256Hex(body), creds, testRegion, "s3", at); err != nil {
			t.Fatal(err)
		}
		return r
	}
	presign := func(key string, at time.Time, expires time.Duration) string {
		r, _ := http.NewRequest(http.MethodGet, e.URL+"/neg/"+key, nil)
		u, err := signer.Presign(r, sigv4.UnsignedPayload, creds, testRegion, "s3", at, expires)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	setAuth := func(r *http.Request, from, to string) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), from, to, 1))
	}
	now := time.Now()
	scopeDate := now.UTC().Format("20060102")
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		{"body changed", func() *http.Request {
			r := put("k1", now)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader("signed bodY")), int64(len(body))
			return r
		}, 400, "XAmzContentSHA256Mismatch"},
		{"body hash header changed", func() *http.Request {
			r := put("k2", now)
			r.Header.Set("X-Amz-Content-Sha256", sha256Hex([]byte("other")))
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"signed header changed", func() *http.Request {
			r := put("k3", now)
			r.Header.Set("X-Amz-Meta-Color", "red")
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"unsigned x-amz header added", func() *http.Request {
			r := put("k4", now)
			r.Header.Set("X-Amz-Acl", "public-read")
			return r
		}, 403, "AccessDenied"},
		{"query changed", func() *http.Request {
			r := put("k5", now)
			r.URL.RawQuery = "x-id=PutObjecT"
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"query added", func() *http.Request {
			r := put("k6", now)
			r.URL.RawQuery += "&acl"
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"path changed", func() *http.Request {
			r := put("k7", now)
			r.URL.Path = "/neg/k8"
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"path re-encoded", func() *http.Request {
			r := put("a+b", now)
			r.URL.RawPath, r.URL.Path = "/neg/a%2Bb", "/neg/a+b"
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"signature changed", func() *http.Request {
			r := put("k9", now)
			a := r.Header.Get("Authorization")
			last := a[len(a)-1]
			r.Header.Set("Authorization", a[:len(a)-1]+string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", last)+1)%16]))
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"secret of another key", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.URL+"/neg/k", nil)
			r.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
			// Change the first character (to one it is not, so the secret
			// always differs).
			wrong := "x" + e.adminSecret[1:]
			if e.adminSecret[0] == 'x' {
				wrong = "y" + e.adminSecret[1:]
			}
			_ = signer.Sign(r, sigv4.EmptySHA256, sigv4.Credentials{AccessKeyID: e.adminID, SecretAccessKey: wrong}, testRegion, "s3", now)
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"unknown access key", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.URL+"/neg/k", nil)
			r.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
			_ = signer.Sign(r, sigv4.EmptySHA256, sigv4.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: e.adminSecret}, testRegion, "s3", now)
			return r
		}, 403, "InvalidAccessKeyId"},
		{"session token with a long-term key", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.URL+"/neg/k", nil)
			r.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
			_ = signer.Sign(r, sigv4.EmptySHA256, sigv4.Credentials{AccessKeyID: e.adminID, SecretAccessKey: e.adminSecret, SessionToken: "forged"}, testRegion, "s3", now)
			return r
		}, 400, "InvalidToken"},
		{"date 16 minutes early", func() *http.Request { return put("k10", now.Add(-16*time.Minute)) }, 403, "RequestTimeTooSkewed"},
		{"date 16 minutes late", func() *http.Request { return put("k11", now.Add(16*time.Minute)) }, 403, "RequestTimeTooSkewed"},
		{"scope of another date", func() *http.Request {
			r := put("k12", now)
			setAuth(r, "/"+scopeDate+"/", "/"+now.Add(-48*time.Hour).UTC().Format("20060102")+"/")
			return r
		}, 400, "AuthorizationHeaderMalformed"},
		{"scope of another region", func() *http.Request {
			r := put("k13", now)
			setAuth(r, "/"+testRegion+"/", "/eu-west-1/")
			return r
		}, 400, "AuthorizationHeaderMalformed"},
		{"scope of another service", func() *http.Request {
			r := put("k14", now)
			setAuth(r, "/s3/aws4_request", "/sqs/aws4_request")
			return r
		}, 400, "AuthorizationHeaderMalformed"},
		{"host not signed", func() *http.Request {
			r := put("k15", now)
			setAuth(r, "SignedHeaders=content-length;host;", "SignedHeaders=content-length;")
			return r
		}, 403, "AccessDenied"},
		{"no signature at all", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.URL+"/neg/k", nil)
			return r
		}, 403, "AccessDenied"},
		{"presigned, expires 604801", func() *http.Request {
			u := presign("k", now, time.Hour)
			r, _ := http.NewRequest(http.MethodGet, strings.Replace(u, "X-Amz-Expires=3600", "X-Amz-Expires=604801", 1), nil)
			return r
		}, 400, "AuthorizationQueryParametersError"},
		{"presigned, expired", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, presign("k", now.Add(-2*time.Minute), time.Minute), nil)
			return r
		}, 403, "AccessDenied"},
		{"presigned, path changed", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, strings.Replace(presign("k", now, time.Minute), "/neg/k?", "/neg/j?", 1), nil)
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"presigned, parameter added", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, presign("k", now, time.Minute)+"&versionId=1", nil)
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"header and query signatures together", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, presign("k", now, time.Minute), nil)
			r.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
			_ = signer.Sign(r, sigv4.EmptySHA256, creds, testRegion, "s3", now)
			return r
		}, 400, "AuthorizationHeaderMalformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := do(t, tt.req())
			if code != tt.status || !strings.Contains(body, "<Code>"+tt.code+"</Code>") {
				t.Fatalf("got %d %s, want %d %s", code, body, tt.status, tt.code)
			}
		})
	}
	// Nothing of the refused PUTs reached the upstream.
	list, err := e.motoClient().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("neg")})
	if err != nil || len(list.Contents) != 0 {
		t.Fatalf("the upstream holds %d objects after refused requests (%v)", len(list.Contents), err)
	}
	// Each refusal was audited.
	failures := 0
	for _, ev := range e.events() {
		if ev["errorCode"] != nil {
			failures++
		}
	}
	if failures < len(tests) {
		t.Fatalf("%d audited failures for %d refused requests", failures, len(tests))
	}
}

// TestGatewayDuplicateHost sends two Host lines; the request never reaches
// the gateway's handler.
func TestGatewayDuplicateHost(t *testing.T) {
	e := newEnv(t, "")
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /neg/k HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nX-Amz-Content-Sha256: %s\r\n\r\n", sigv4.EmptySHA256)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 {
		t.Fatalf("two Host headers: %d", resp.StatusCode)
	}
}

// TestGatewaySDKSignedDifferential signs random requests with
// aws-sdk-go-v2's signer (an independent implementation): every one is
// accepted, and the same request with one byte of its path, query, a
// signed header or the signature changed is refused.
func TestGatewaySDKSignedDifferential(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	if _, err := e.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("diff")}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	const alphabet = "abcXYZ019-_.~ !$&'()*+,;=:@%/é"
	randKey := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(24) {
			b.WriteString(string([]rune(alphabet)[rng.IntN(len([]rune(alphabet)))]))
		}
		k := strings.ReplaceAll(b.String(), "//", "/x/")
		k = strings.TrimPrefix(k, "/")
		for _, seg := range strings.Split(k, "/") {
			if seg == "." || seg == ".." {
				k = strings.ReplaceAll(k, ".", "d")
			}
		}
		if k == "" {
			k = "k"
		}
		return k
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: e.adminID, SecretAccessKey: e.adminSecret}
	build := func(key string, q url.Values, meta string) *http.Request {
		u := e.URL + "/diff/" + escapeKey(key)
		if len(q) > 0 {
			u += "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
		}
		r, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
		r.Header.Set("X-Amz-Meta-Probe", meta)
		if err := signer.SignHTTP(ctx, creds, r, sigv4.EmptySHA256, "s3", testRegion, e.clock.now()); err != nil {
			t.Fatal(err)
		}
		return r
	}
	const n = 150
	for i := range n {
		key := randKey()
		q := url.Values{}
		if rng.IntN(2) == 0 {
			q.Set("response-content-type", "text/"+strconv.Itoa(rng.IntN(1000)))
		}
		if rng.IntN(3) == 0 {
			q.Set("partNumber", "1")
		}
		meta := fmt.Sprintf("v%d", rng.IntN(1e6))
		r := build(key, q, meta)
		code, body := do(t, r)
		// The object does not exist: the upstream's NoSuchKey proves the
		// request passed the gateway.
		if code != 404 || !strings.Contains(body, "NoSuchKey") {
			t.Fatalf("request %d (%q): %d %s", i, key, code, body)
		}
		// One change after signing.
		m := build(key, q, meta)
		switch i % 4 {
		case 0: // the path
			m.URL.RawPath = ""
			m.URL.Path = "/diff/" + key + "x"
		case 1: // the query
			m.URL.RawQuery += "&response-expires=1"
		case 2: // a signed header
			m.Header.Set("X-Amz-Meta-Probe", meta+"0")
		case 3: // the signature
			a := m.Header.Get("Authorization")
			j := len(a) - 1 - rng.IntN(64)
			c := "0123456789abcdef"[(strings.IndexByte("0123456789abcdef", a[j])+1+rng.IntN(15))%16]
			m.Header.Set("Authorization", a[:j]+string(c)+a[j+1:])
		}
		if code, body := do(t, m); code != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
			t.Fatalf("request %d mutated (%d): %d %s", i, i%4, code, body)
		}
	}
}
