package s3gw

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestGatewayWithSDK drives the common S3 operations through the gateway
// with aws-sdk-go-v2, and checks against moto directly that each reached
// the upstream as asked.
func TestGatewayWithSDK(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	c := e.client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatal(err)
	}
	body := []byte("a small object")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("2024/cat one.jpg"), Body: bytes.NewReader(body),
		Tagging: aws.String("team=blue")}); err != nil {
		t.Fatal(err)
	}
	got, err := e.motoClient().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2024/cat one.jpg")})
	if err != nil {
		t.Fatalf("the object did not reach the upstream: %v", err)
	}
	if b, _ := io.ReadAll(got.Body); !bytes.Equal(b, body) {
		t.Fatalf("upstream holds %q", b)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2024/cat one.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(out.Body); !bytes.Equal(b, body) {
		t.Fatalf("GetObject = %q", b)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("2024/cat one.jpg")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(body)) {
		t.Fatalf("HeadObject = %+v, %v", head, err)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos"), Prefix: aws.String("2024/")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("ListObjectsV2 = %+v, %v", list, err)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("photos"), Key: aws.String("copy.jpg"), CopySource: aws.String("photos/2024/cat%20one.jpg")}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("photos"), Key: aws.String("2024/cat one.jpg")})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Value) != "blue" {
		t.Fatalf("GetObjectTagging = %+v, %v", tags, err)
	}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("photos"), Key: aws.String("copy.jpg"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}); err != nil {
		t.Fatal(err)
	}
	buckets, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(buckets.Buckets) != 1 {
		t.Fatalf("ListBuckets = %+v, %v", buckets, err)
	}
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("photos"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("copy.jpg")}, {Key: aws.String("2024/cat one.jpg")}}}})
	if err != nil || len(del.Deleted) != 2 || len(del.Errors) != 0 {
		t.Fatalf("DeleteObjects = %+v, %v", del, err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatal(err)
	}
	var nf *types.NoSuchBucket
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos")}); !errors.As(err, &nf) {
		t.Fatalf("upstream errors must pass through: %v", err)
	}

	// Every request was audited as an S3 data event with its decision.
	ev := e.lastEvent("PutObject")
	if ev["eventSource"] != "s3.amazonaws.com" || ev["eventCategory"] != "Data" || ev["managementEvent"] != false {
		t.Fatalf("PutObject event = %v", ev)
	}
	dec := ev["additionalEventData"].(map[string]any)["authorization"].([]any)
	want := []string{"s3:PutObject", "s3:PutObjectTagging"}
	if len(dec) != 2 {
		t.Fatalf("decisions %v", dec)
	}
	for i, d := range dec {
		d := d.(map[string]any)
		if d["action"] != want[i] || d["decision"] != "Allow" || d["policy"] != "test-admin-policy" || d["statement"] != float64(0) ||
			d["resource"] != "arn:aws:s3:::photos/2024/cat one.jpg" {
			t.Fatalf("decision %d = %v", i, d)
		}
	}
	if ev["userIdentity"].(map[string]any)["accessKeyId"] != e.adminID {
		t.Fatalf("userIdentity = %v", ev["userIdentity"])
	}
	if d := e.lastEvent("DeleteObjects")["additionalEventData"].(map[string]any)["authorization"].([]any); len(d) != 2 {
		t.Fatalf("DeleteObjects decisions %v", d)
	}
}

// TestGatewayMultipartAndVirtualHost uploads in parts through a
// virtual-hosted-style client and reads the object back.
func TestGatewayMultipartAndVirtualHost(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(e.URL, "http://"))
	// Every host name resolves to the gateway, as DNS would for a
	// wildcard record.
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, "127.0.0.1:"+port)
	}}}
	c := s3.New(s3.Options{
		Region: testRegion, BaseEndpoint: aws.String("http://" + testDomain + ":" + port), RetryMaxAttempts: 1, HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider(e.adminID, e.adminSecret, ""),
	})
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vhost")}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("vhost"), Key: aws.String("big/file")})
	if err != nil {
		t.Fatal(err)
	}
	part1 := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16)
	part2 := []byte("the end")
	var parts []types.CompletedPart
	for i, p := range [][]byte{part1, part2} {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("vhost"), Key: aws.String("big/file"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("vhost"), Key: aws.String("big/file"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.motoClient().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("vhost"), Key: aws.String("big/file")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	if !bytes.Equal(b, append(part1, part2...)) {
		t.Fatalf("upstream object is %d bytes, want %d", len(b), len(part1)+len(part2))
	}
	ev := e.lastEvent("UploadPart")
	if p := ev["requestParameters"].(map[string]any); p["bucketName"] != "vhost" || p["key"] != "big/file" || p["Host"] != testDomain+":"+port && p["Host"] != "vhost."+testDomain+":"+port {
		t.Fatalf("UploadPart requestParameters = %v", p)
	}
}

// TestGatewayPresigned uses presigned URLs (UNSIGNED-PAYLOAD by default)
// for a PUT and a GET.
func TestGatewayPresigned(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	if _, err := e.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	ps := s3.NewPresignClient(e.client())
	put, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("p r/x.txt")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("presigned body"))
	for k, vs := range put.SignedHeader {
		req.Header[k] = vs
	}
	if code, body := do(t, req); code != 200 {
		t.Fatalf("presigned PUT: %d %s", code, body)
	}
	get, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String("p r/x.txt")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "presigned body" {
		t.Fatalf("presigned GET: %d %q %v", resp.StatusCode, b, resp.Header)
	}
	if ev := e.lastEvent("GetObject"); ev["additionalEventData"].(map[string]any)["AuthenticationMethod"] != "QueryString" {
		t.Fatalf("GetObject event = %v", ev)
	}
	// The presigned URL with one byte of its signature changed.
	bad := get.URL[:len(get.URL)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", get.URL[len(get.URL)-1])+1)%16])
	resp, err = http.Get(bad)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "<Code>SignatureDoesNotMatch</Code>") {
		t.Fatalf("tampered presigned URL: %d %s", resp.StatusCode, b)
	}
}

// chunkedUpload builds a STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload signed
// by aws-sdk-go-v2: the request by its v4 signer, the chunks by its
// StreamSigner. The body is produced as it is sent, so its size costs no
// memory. tamper, when ≥ 0, flips one byte of the data at that offset
// after signing.
func chunkedUpload(t *testing.T, e *testEnv, url string, size int64, chunk int, tamper int64) *http.Request {
	t.Helper()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPut, url, pr)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingPayload)
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.FormatInt(size, 10))
	nChunks := (size + int64(chunk) - 1) / int64(chunk)
	// Each chunk: hex size, ";chunk-signature=", 64 hex digits, CRLF,
	// data, CRLF; then the final empty chunk and a CRLF.
	framing := func(n int64) int64 { return int64(len(strconv.FormatInt(n, 16))) + 17 + 64 + 2 + n + 2 }
	var encoded int64
	for i := int64(0); i < nChunks; i++ {
		encoded += framing(min(int64(chunk), size-i*int64(chunk)))
	}
	encoded += framing(0)
	req.ContentLength = encoded
	now := e.clock.now()
	creds := aws.Credentials{AccessKeyID: e.adminID, SecretAccessKey: e.adminSecret}
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), creds, req, sigv4.StreamingPayload, "s3", testRegion, now); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	seed, _ := hex.DecodeString(auth[strings.LastIndex(auth, "=")+1:])
	ss := v4.NewStreamSigner(creds, "s3", testRegion, seed)
	go func() {
		buf := make([]byte, chunk)
		var off int64
		emit := func(p []byte) error {
			sig, err := ss.GetSignature(context.Background(), nil, p, now)
			if err != nil {
				return err
			}
			if tamper >= off && tamper < off+int64(len(p)) {
				p[tamper-off] ^= 0x55
			}
			off += int64(len(p))
			if _, err := fmt.Fprintf(pw, "%x;chunk-signature=%x\r\n", len(p), sig); err != nil {
				return err
			}
			if _, err := pw.Write(p); err != nil {
				return err
			}
			_, err = pw.Write([]byte("\r\n"))
			return err
		}
		for off < size {
			n := min(int64(chunk), size-off)
			for i := range buf[:n] {
				buf[i] = byte((off + int64(i)) * 31 >> 3)
			}
			if err := emit(buf[:n]); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		if err := emit(nil); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.Close()
	}()
	return req
}

func expectedChunkedData(size int64) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(int64(i) * 31 >> 3)
	}
	return b
}

// TestGatewayStreamingUpload sends aws-chunked uploads with chunk
// signatures: a good one arrives whole at the upstream, decoded; one whose
// data was changed after signing fails with SignatureDoesNotMatch and
// leaves nothing at the upstream, even when the change is in the last
// chunk.
func TestGatewayStreamingUpload(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	if _, err := e.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("stream")}); err != nil {
		t.Fatal(err)
	}
	const size = 3<<20 + 12345
	req := chunkedUpload(t, e, e.URL+"/stream/good", size, 64<<10, -1)
	if code, body := do(t, req); code != 200 {
		t.Fatalf("chunked upload: %d %s", code, body)
	}
	out, err := e.motoClient().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("stream"), Key: aws.String("good")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	if !bytes.Equal(b, expectedChunkedData(size)) {
		t.Fatalf("upstream object differs (%d bytes)", len(b))
	}
	for _, at := range []int64{0, size / 2, size - 1} {
		req := chunkedUpload(t, e, e.URL+"/stream/bad"+strconv.FormatInt(at, 10), size, 64<<10, at)
		code, body := do(t, req)
		if code != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
			t.Fatalf("tampered at %d: %d %s", at, code, body)
		}
		_, err := e.motoClient().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("stream"), Key: aws.String("bad" + strconv.FormatInt(at, 10))})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "NotFound" {
			t.Fatalf("tampered at %d: the upstream has the object (%v)", at, err)
		}
	}
}

// TestGatewayDeclaredHashMismatch sends a body that does not hash to its
// signed X-Amz-Content-Sha256; the upstream must not store it.
func TestGatewayDeclaredHashMismatch(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	if _, err := e.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("hash")}); err != nil {
		t.Fatal(err)
	}
	signed := bytes.Repeat([]byte("x"), 1<<20)
	sent := bytes.Clone(signed)
	sent[len(sent)-1] = 'y'
	req, _ := http.NewRequest(http.MethodPut, e.URL+"/hash/obj", bytes.NewReader(sent))
	e.sign(req, sha256Hex(signed))
	code, body := do(t, req)
	if code != 400 || !strings.Contains(body, "<Code>XAmzContentSHA256Mismatch</Code>") {
		t.Fatalf("mismatched body: %d %s", code, body)
	}
	if _, err := e.motoClient().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("hash"), Key: aws.String("obj")}); err == nil {
		t.Fatal("the upstream stored a body that failed its hash")
	}
}
