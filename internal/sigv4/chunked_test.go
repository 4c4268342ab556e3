package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The worked examples of the S3 documentation, "Signature Calculations for
// the Authorization Header: Transferring Payload in Multiple Chunks" and
// "Signature calculations for trailing headers": 65,536 + 1,024 bytes of
// 'a', signed by the documentation's example key at 20130524T000000Z.
const (
	docAKID   = "AKIAIOSFODNN7EXAMPLE"
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var docTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

type docExample struct {
	payloadHash   string
	signedHeaders string
	seed          string
	chunkSigs     [3]string
	trailer       string // trailer lines, including x-amz-trailer-signature
}

var docStreaming = docExample{
	payloadHash:   StreamingPayload,
	signedHeaders: "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
	seed:          "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
	chunkSigs: [3]string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	},
}

var docTrailer = docExample{
	payloadHash:   StreamingPayloadTrailer,
	signedHeaders: "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
	seed:          "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
	chunkSigs: [3]string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	},
	trailer: "x-amz-checksum-crc32c:sOO8/Q==\r\n" +
		"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n",
}

func (d docExample) body() []byte {
	var b bytes.Buffer
	for i, size := range []int{65536, 1024, 0} {
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", size, d.chunkSigs[i])
		if size > 0 || d.trailer == "" {
			b.WriteString(strings.Repeat("a", size) + "\r\n")
		}
	}
	b.WriteString(d.trailer)
	if d.trailer != "" {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func (d docExample) request(tb testing.TB) *http.Request {
	tb.Helper()
	body := d.body()
	r, err := http.NewRequest(http.MethodPut, "https://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("X-Amz-Content-Sha256", d.payloadHash)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	if d.trailer != "" {
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
	}
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+docAKID+"/20130524/us-east-1/s3/aws4_request,SignedHeaders="+
		d.signedHeaders+",Signature="+d.seed)
	return r
}

func docVerifier(tb testing.TB, now time.Time) *Verifier {
	tb.Helper()
	v, err := NewVerifier(Config{
		Secrets: SecretLookupFunc(func(_ context.Context, id string) (string, error) {
			if id == docAKID {
				return docSecret, nil
			}
			return "", ErrUnknownAccessKey
		}),
		Service: "s3", Regions: []string{"us-east-1"}, Now: fixedClock(now),
		Path: PathAsSent, UnsignedPayload: true, StreamingPayload: true,
		RequireContentSHA256: true, RequireSignedAmzHeaders: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestChunkedDocExamples(t *testing.T) {
	for name, d := range map[string]docExample{"streaming": docStreaming, "trailer": docTrailer} {
		t.Run(name, func(t *testing.T) {
			r := d.request(t)
			if d.trailer == "" && r.ContentLength != 66824 {
				t.Fatalf("encoded length %d, the documentation says 66824", r.ContentLength)
			}
			sr, _ := roundTrip(t, r)
			res, err := docVerifier(t, docTime).Verify(context.Background(), sr, StreamedBody())
			if err != nil {
				t.Fatalf("seed signature: %v", err)
			}
			pr := res.Payload(sr.Body)
			got, err := io.ReadAll(pr)
			if err != nil {
				t.Fatalf("payload: %v", err)
			}
			if !bytes.Equal(got, bytes.Repeat([]byte("a"), 66560)) {
				t.Fatalf("decoded %d bytes, not 66560 a's", len(got))
			}
			if d.trailer != "" {
				if v := pr.Trailer().Get("x-amz-checksum-crc32c"); v != "sOO8/Q==" {
					t.Fatalf("trailer = %q", v)
				}
			}
		})
	}
}

// TestChunkedDocMutations changes the documented body in every way that
// must fail: each byte of each signature, data bytes, framing, the
// trailer, and truncation.
func TestChunkedDocMutations(t *testing.T) {
	for name, d := range map[string]docExample{"streaming": docStreaming, "trailer": docTrailer} {
		t.Run(name, func(t *testing.T) {
			res, err := docVerifier(t, docTime).Verify(context.Background(), d.request(t), StreamedBody())
			if err != nil {
				t.Fatal(err)
			}
			body := d.body()
			check := func(desc string, mutated []byte) {
				t.Helper()
				_, err := io.Copy(io.Discard, res.Payload(bytes.NewReader(mutated)))
				if err == nil {
					t.Errorf("%s: accepted", desc)
					return
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Errorf("%s: untyped error %v", desc, err)
				}
			}
			// Every byte outside the chunk data, and a sample of data bytes.
			for i := 0; i < len(body); i++ {
				if inData(body, i) && i%997 != 0 {
					continue
				}
				m := bytes.Clone(body)
				m[i] ^= 0x01
				if m[i] == '\r' || m[i] == '\n' {
					m[i] ^= 0x03
				}
				check(fmt.Sprintf("flip byte %d (%q)", i, body[i]), m)
			}
			for _, n := range []int{0, 1, 10, 65536, len(body) / 2, len(body) - 3, len(body) - 1} {
				check(fmt.Sprintf("truncate to %d", n), body[:n])
			}
			check("extra data", append(bytes.Clone(body), 'x'))
			check("chunk dropped", bytes.Replace(body, []byte("400;chunk-signature="+d.chunkSigs[1]+"\r\n"+strings.Repeat("a", 1024)+"\r\n"), nil, 1))
			check("uppercase signature", bytes.Replace(body, []byte(d.chunkSigs[0]), []byte(strings.ToUpper(d.chunkSigs[0])), 1))
		})
	}
}

// inData reports whether body[i] is chunk data (an 'a' between a header
// line and its CRLF) rather than framing.
func inData(body []byte, i int) bool {
	return body[i] == 'a' && i > 0 && (body[i-1] == 'a' || body[i-1] == '\n') && i+1 < len(body) && (body[i+1] == 'a' || body[i+1] == '\r')
}

// encodeChunked frames data as aws-chunked with the given chunk sizes
// (the last repeats), signing with key from seed in the signed variants.
func encodeChunked(data []byte, sizes []int, payloadHash string, key SigningKey, seed string, tm time.Time, scope Scope, trailers map[string]string, order []string) []byte {
	c := &ChunkReader{key: key, prev: seed, amzDate: tm.UTC().Format(TimeFormat), scope: scope.String()}
	signed := payloadHash != StreamingUnsignedPayloadTrailer
	var b bytes.Buffer
	chunk := func(p []byte) {
		if signed {
			sig := c.chunkSignature(p)
			c.prev = sig
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(p), sig)
		} else {
			fmt.Fprintf(&b, "%x\r\n", len(p))
		}
	}
	for i := 0; len(data) > 0; i++ {
		n := sizes[min(i, len(sizes)-1)]
		n = min(n, len(data))
		chunk(data[:n])
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	chunk(nil)
	if payloadHash == StreamingPayload {
		b.WriteString("\r\n")
		return b.Bytes()
	}
	var canonical []byte
	for _, name := range order {
		line := name + ":" + trailers[name]
		b.WriteString(line + "\r\n")
		canonical = append(canonical, line+"\n"...)
	}
	if payloadHash == StreamingPayloadTrailer {
		sum := sha256Sum(canonical)
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.amzDate + "\n" + c.scope + "\n" + c.prev + "\n" + hex.EncodeToString(sum)
		b.WriteString("x-amz-trailer-signature:" + signHex(key, []byte(sts)) + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func sha256Sum(b []byte) []byte {
	h, _ := newChecksum("x-amz-checksum-sha256")
	h.Write(b)
	return h.Sum(nil)
}

func checksumOf(name string, data []byte) string {
	h, ok := newChecksum(name)
	if !ok {
		panic(name)
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// TestChecksumVectors checks the checksum algorithms against published
// check values ("123456789") and the S3 documentation's CRC32C.
func TestChecksumVectors(t *testing.T) {
	nine := []byte("123456789")
	for name, want := range map[string]string{
		"x-amz-checksum-crc32":     "cbf43926",
		"x-amz-checksum-crc32c":    "e3069283",
		"x-amz-checksum-crc64nvme": "ae8b14860a799888",
		"x-amz-checksum-sha1":      "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
		"x-amz-checksum-sha256":    "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
	} {
		h, _ := newChecksum(name)
		h.Write(nine)
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s(123456789) = %s, want %s", name, got, want)
		}
	}
	if got := checksumOf("x-amz-checksum-crc32c", bytes.Repeat([]byte("a"), 66560)); got != "sOO8/Q==" {
		t.Errorf("crc32c of the documented object = %s", got)
	}
}

// TestChunkedSDKStreamSigner builds bodies whose chunk signatures come from
// aws-sdk-go-v2's StreamSigner (its string to sign for an empty header
// block is S3's chunk string to sign), seeded by an SDK-signed request,
// and checks that they decode and that mutations fail.
func TestChunkedSDKStreamSigner(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	now := testTime
	v := newTestVerifier(t, true, now)
	for iter := 0; iter < 100; iter++ {
		data := make([]byte, rng.IntN(200_000))
		for i := range data {
			data[i] = byte(i*7 + iter)
		}
		// Sizes from one byte up, but at most a few hundred chunks a body.
		chunkSize := max(1+rng.IntN(70_000), len(data)/300)
		r, _ := http.NewRequest(http.MethodPut, "https://bucket.s3.amazonaws.com/key/"+strconv.Itoa(iter), nil)
		r.Header.Set("X-Amz-Content-Sha256", StreamingPayload)
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
		r.Header.Set("Content-Encoding", "aws-chunked")
		sdkSign(t, r, StreamingPayload, "s3", now, true, sdkCreds)
		seedHex := r.Header.Get("Authorization")[strings.LastIndex(r.Header.Get("Authorization"), "=")+1:]
		seed, _ := hex.DecodeString(seedHex)

		ss := v4.NewStreamSigner(aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, "s3", testRegion, seed)
		var body bytes.Buffer
		emit := func(p []byte) {
			sig, err := ss.GetSignature(context.Background(), nil, p, now)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&body, "%x;chunk-signature=%x\r\n", len(p), sig)
			body.Write(p)
			body.WriteString("\r\n")
		}
		for rest := data; len(rest) > 0; {
			n := min(chunkSize, len(rest))
			emit(rest[:n])
			rest = rest[n:]
		}
		emit(nil)

		res, err := v.Verify(context.Background(), r, StreamedBody())
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		got, err := io.ReadAll(res.Payload(bytes.NewReader(body.Bytes())))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("iteration %d: decode: %v (got %d of %d bytes)", iter, err, len(got), len(data))
		}
		m := bytes.Clone(body.Bytes())
		m[rng.IntN(len(m))] ^= byte(1 + rng.IntN(255))
		if _, err := io.Copy(io.Discard, res.Payload(bytes.NewReader(m))); err == nil {
			t.Fatalf("iteration %d: mutated body accepted", iter)
		}
	}
}

// TestChunkedVariants round-trips every variant and checksum through our
// own encoder, and checks the failures specific to trailers.
func TestChunkedVariants(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 5000)
	scope := Scope{"20250101", testRegion, "s3"}
	key := DeriveSigningKey(testSecret, scope)
	seed := strings.Repeat("ab", 32)
	names := []string{"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256"}
	cfg := func(ph string, trailers ...string) ChunkConfig {
		return ChunkConfig{PayloadHash: ph, SigningKey: key, SeedSignature: seed, SigningTime: testTime,
			Scope: scope, Trailers: trailers, DecodedLength: int64(len(data)), MaxChunkSize: 1 << 16}
	}
	decode := func(c ChunkConfig, body []byte) ([]byte, http.Header, error) {
		cr, err := NewChunkReader(bytes.NewReader(body), c)
		if err != nil {
			return nil, nil, err
		}
		got, err := io.ReadAll(cr)
		return got, cr.Trailer(), err
	}
	for _, ph := range []string{StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer} {
		for _, name := range names {
			t.Run(ph+"/"+name, func(t *testing.T) {
				sum := checksumOf(name, data)
				body := encodeChunked(data, []int{8192, 1000}, ph, key, seed, testTime, scope, map[string]string{name: sum}, []string{name})
				got, tr, err := decode(cfg(ph, name), body)
				if err != nil || !bytes.Equal(got, data) || tr.Get(name) != sum {
					t.Fatalf("decode: %v, %d bytes, trailer %q", err, len(got), tr.Get(name))
				}
				bad := encodeChunked(data, []int{8192}, ph, key, seed, testTime, scope, map[string]string{name: checksumOf(name, data[1:])}, []string{name})
				_, _, err = decode(cfg(ph, name), bad)
				wantKind(t, err, ChecksumMismatch)
				// A trailer that was not announced, or one announced but missing.
				_, _, err = decode(cfg(ph), body)
				wantKind(t, err, UnsupportedChecksum)
				none := encodeChunked(data, []int{8192}, ph, key, seed, testTime, scope, nil, nil)
				_, _, err = decode(cfg(ph, name), none)
				wantKind(t, err, UnsupportedChecksum)
				if _, _, err := decode(cfg(ph), none); err != nil {
					t.Fatalf("no trailers: %v", err)
				}
			})
		}
	}
	t.Run("signed trailer tampered", func(t *testing.T) {
		name := names[0]
		body := encodeChunked(data, []int{8192}, StreamingPayloadTrailer, key, seed, testTime, scope, map[string]string{name: checksumOf(name, data)}, []string{name})
		i := bytes.Index(body, []byte("x-amz-trailer-signature:")) + len("x-amz-trailer-signature:")
		body[i] ^= 1
		_, _, err := decode(cfg(StreamingPayloadTrailer, name), body)
		wantKind(t, err, ChunkSignatureMismatch)
	})
	t.Run("limits", func(t *testing.T) {
		body := encodeChunked(data, []int{1 << 17}, StreamingPayload, key, seed, testTime, scope, nil, nil)
		_, _, err := decode(cfg(StreamingPayload), body)
		wantKind(t, err, ChunkTooLarge)
		c := cfg(StreamingPayload)
		c.DecodedLength--
		_, _, err = decode(c, encodeChunked(data, []int{4096}, StreamingPayload, key, seed, testTime, scope, nil, nil))
		wantKind(t, err, IncompleteBody)
		c.DecodedLength += 2
		_, _, err = decode(c, encodeChunked(data, []int{4096}, StreamingPayload, key, seed, testTime, scope, nil, nil))
		wantKind(t, err, IncompleteBody)
		_, _, err = decode(cfg(StreamingPayload), []byte(strings.Repeat("f", 5000)+"\r\n"))
		wantKind(t, err, MalformedChunk)
		if _, err := NewChunkReader(nil, cfg(StreamingPayloadTrailer, "x-amz-checksum-md5")); err == nil {
			t.Fatal("unknown checksum accepted")
		}
	})
}
