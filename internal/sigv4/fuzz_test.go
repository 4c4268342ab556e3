package sigv4

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The seed corpora live in testdata/fuzz, so plain "go test" replays them.
// Regenerate them with: go test -run TestWriteFuzzCorpus -update-corpus
var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpora in testdata/fuzz")

// fuzzRequest builds a request from fuzzed parts without going through a
// parser that might reject them first.
func fuzzRequest(method, target, authz, amzDate, token string, body []byte) *http.Request {
	path, query, _ := strings.Cut(target, "?")
	r := &http.Request{
		Method:     method,
		URL:        &url.URL{Path: path, RawQuery: query},
		RequestURI: target,
		Host:       "identitystore.us-east-1.amazonaws.com",
		Header: http.Header{
			"Content-Type": {"application/x-amz-json-1.1"},
			"X-Amz-Target": {"AWSIdentityStore.ListUsers"},
		},
		ContentLength: int64(len(body)),
	}
	for k, v := range map[string]string{"Authorization": authz, "X-Amz-Date": amzDate, "X-Amz-Security-Token": token} {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	return r
}

// verifierSeeds returns valid requests: header-signed and presigned.
func verifierSeeds(tb testing.TB) [][6]string {
	tb.Helper()
	var seeds [][6]string
	add := func(r *http.Request, body string) {
		target := r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		seeds = append(seeds, [6]string{r.Method, target, r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Security-Token"), body})
	}
	body := `{"IdentityStoreId":"d-1234567890"}`
	r := fuzzRequest(http.MethodPost, "/", "", "", "", []byte(body))
	if err := (Signer{}).Sign(r, sha256Hex([]byte(body)), Credentials{testAKID, testSecret, ""}, testRegion, testService, testTime); err != nil {
		tb.Fatal(err)
	}
	add(r, body)
	r = fuzzRequest(http.MethodGet, "/a/./b/../c?x=1&y=%20&z", "", "", "", nil)
	if err := (Signer{}).Sign(r, EmptySHA256, Credentials{testASIA, testASIASec, testToken}, testRegion, testService, testTime); err != nil {
		tb.Fatal(err)
	}
	add(r, "")
	r = fuzzRequest(http.MethodGet, "/p?Action=GetCallerIdentity", "", "", "", nil)
	u, err := (Signer{}).Presign(r, EmptySHA256, Credentials{testAKID, testSecret, ""}, testRegion, testService, testTime, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	pu, _ := url.Parse(u)
	r.URL = pu
	r.Header.Del("X-Amz-Date")
	add(r, "")
	return seeds
}

func FuzzVerify(f *testing.F) {
	for _, s := range verifierSeeds(f) {
		f.Add(s[0], s[1], s[2], s[3], s[4], []byte(s[5]))
	}
	v := newTestVerifier(f, false, testTime)
	s3 := newTestVerifier(f, true, testTime)
	f.Fuzz(func(t *testing.T, method, target, authz, amzDate, token string, body []byte) {
		r := fuzzRequest(method, target, authz, amzDate, token, body)
		for _, ver := range []*Verifier{v, s3} {
			for _, p := range []Payload{FullBody(body), StreamedBody(), BodySHA256(EmptySHA256)} {
				res, err := ver.Verify(context.Background(), r, p)
				if err != nil {
					if _, ok := KindOf(err); !ok {
						t.Fatalf("untyped error %v", err)
					}
					_ = JSONWire(err)
					_ = S3Wire(err)
					continue
				}
				if res.AccessKeyID == "" || !slices.Contains(res.SignedHeaders, "host") {
					t.Fatalf("accepted without a key or a signed host: %+v", res)
				}
				_, _ = io.Copy(io.Discard, io.LimitReader(res.Payload(bytes.NewReader(body)), 1<<20))
			}
		}
	})
}

func FuzzCanonical(f *testing.F) {
	f.Add("/a/./b/../c//d/", "b=2&a=1&a=&c", "  a   b\t ")
	f.Add("/%2F%2e%2E/../..", "a+b=c%20d&%41=%zz", "")
	f.Add("", "=&&=x&;=y", "\u00a0x\u00a0")
	f.Add("/日本/€", "ключ=значение&%E2%82%AC", "a,  b")
	f.Fuzz(func(t *testing.T, path, query, value string) {
		// Paths: normalising twice changes nothing and leaves no empty,
		// "." or ".." segment.
		n := normalizePath(path)
		if normalizePath(n) != n || needsNormalizing(n) {
			t.Fatalf("normalizePath(%q) = %q is not normal", path, n)
		}
		primary, alt := canonicalURIs(path, PathNormalized)
		if primary == "" || (alt != "" && alt == primary) {
			t.Fatalf("canonicalURIs(%q) = %q, %q", path, primary, alt)
		}
		// Encoding: the same as aws-sdk-go-v2's (url.QueryEscape with %20).
		if got, want := escaped(value, false), strings.ReplaceAll(url.QueryEscape(value), "+", "%20"); got != want {
			t.Fatalf("escaped(%q) = %q, want %q", value, got, want)
		}
		// Query: canonicalising is idempotent, and agrees with the SDK's
		// route through url.ParseQuery wherever that parses the same way.
		params, err := parseQuery(query)
		if err == nil {
			c := string(appendCanonicalQuery(nil, params, ""))
			again, err := parseQuery(c)
			if err != nil || string(appendCanonicalQuery(nil, again, "")) != c {
				t.Fatalf("canonical query %q of %q is not stable", c, query)
			}
			if vals, err := url.ParseQuery(query); err == nil && !strings.Contains(query, ";") {
				if ref := referenceCanonicalQuery(vals); ref != c {
					t.Fatalf("canonical query of %q: %q, reference %q", query, c, ref)
				}
			}
		}
		// Header values: trimmed, single spaces, idempotent.
		hv := string(appendHeaderValue(nil, value))
		if strings.Contains(hv, "  ") || strings.TrimSpace(hv) != hv || string(appendHeaderValue(nil, hv)) != hv {
			t.Fatalf("header value %q canonicalised to %q", value, hv)
		}
	})
}

// referenceCanonicalQuery is aws-sdk-go-v2's algorithm: encode, then sort
// by name and value.
func referenceCanonicalQuery(vals url.Values) string {
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var pairs []string
	for k, vs := range vals {
		for _, v := range vs {
			pairs = append(pairs, enc(k)+"\x00"+enc(v))
		}
	}
	slices.Sort(pairs)
	for i, p := range pairs {
		pairs[i] = strings.Replace(p, "\x00", "=", 1)
	}
	return strings.Join(pairs, "&")
}

// chunkFuzzConfig is the fixed signing context of FuzzChunkReader; mode
// picks the variant and trailer the announced checksum.
func chunkFuzzConfig(mode, trailer uint8) ChunkConfig {
	scope := Scope{"20250101", testRegion, "s3"}
	phs := []string{StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer}
	names := []string{"", "x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256"}
	cfg := ChunkConfig{
		PayloadHash:   phs[int(mode)%len(phs)],
		SigningKey:    DeriveSigningKey(testSecret, scope),
		SeedSignature: strings.Repeat("5e", 32),
		SigningTime:   testTime,
		Scope:         scope,
		DecodedLength: -1,
		MaxChunkSize:  1 << 16,
	}
	if n := names[int(trailer)%len(names)]; n != "" && cfg.PayloadHash != StreamingPayload {
		cfg.Trailers = []string{n}
	}
	return cfg
}

// chunkSeeds returns valid bodies for each variant and checksum.
func chunkSeeds() []struct {
	body          []byte
	mode, trailer uint8
} {
	var seeds []struct {
		body          []byte
		mode, trailer uint8
	}
	// Small bodies: the fuzzer mutates and minimises them byte by byte.
	data := []byte(strings.Repeat("chunked data ", 16))
	for mode := uint8(0); mode < 3; mode++ {
		for trailer := uint8(0); trailer < 6; trailer++ {
			cfg := chunkFuzzConfig(mode, trailer)
			if mode == 0 && trailer > 0 {
				continue
			}
			tr := map[string]string{}
			for _, n := range cfg.Trailers {
				tr[n] = checksumOf(n, data)
			}
			body := encodeChunked(data, []int{64, 17}, cfg.PayloadHash, cfg.SigningKey, cfg.SeedSignature, cfg.SigningTime, cfg.Scope, tr, cfg.Trailers)
			seeds = append(seeds, struct {
				body          []byte
				mode, trailer uint8
			}{body, mode, trailer})
		}
	}
	return seeds
}

func FuzzChunkReader(f *testing.F) {
	for _, s := range chunkSeeds() {
		f.Add(s.body, s.mode, s.trailer)
	}
	f.Fuzz(func(t *testing.T, body []byte, mode, trailer uint8) {
		cr, err := NewChunkReader(bytes.NewReader(body), chunkFuzzConfig(mode, trailer))
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, cr)
		if err != nil {
			if _, ok := KindOf(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if n > int64(len(body)) {
			t.Fatalf("decoded %d bytes from %d", n, len(body))
		}
	})
}

// TestWriteFuzzCorpus writes the seeds above into testdata/fuzz when run
// with -update-corpus.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite testdata/fuzz")
	}
	write := func(target, name string, values ...any) {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, v := range values {
			switch v := v.(type) {
			case string:
				b.WriteString("string(" + strconv.Quote(v) + ")\n")
			case []byte:
				b.WriteString("[]byte(" + strconv.Quote(string(v)) + ")\n")
			case uint8:
				fmt.Fprintf(&b, "uint8(%d)\n", v)
			}
		}
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range verifierSeeds(t) {
		write("FuzzVerify", fmt.Sprintf("seed-%d", i), s[0], s[1], s[2], s[3], s[4], []byte(s[5]))
	}
	// Near misses: what the table tests reject.
	write("FuzzVerify", "no-signature", "POST", "/", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/identitystore/aws4_request, SignedHeaders=host", "20250101T003000Z", "", []byte("{}"))
	write("FuzzVerify", "presigned-week", "GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20250101%2Fus-east-1%2Fidentitystore%2Faws4_request&X-Amz-Date=20250101T003000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=00", "", "", "", []byte(nil))
	write("FuzzVerify", "query-only-target", "GET", "?X-Amz-Signature=00&X-Amz-Credential=a", "", "", "", []byte(nil))
	write("FuzzVerify", "absolute-target", "GET", "http://h.example/a/../b?x", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/identitystore/aws4_request, SignedHeaders=host, Signature="+strings.Repeat("0", 64), "20250101T003000Z", "", []byte(nil))
	write("FuzzCanonical", "dots", "/a/./b/../c//d/", "b=2&a=1&a=&c", "  a   b\t ")
	write("FuzzCanonical", "escapes", "/%2F%2e%2E/../..", "a+b=c%20d&%41=%zz", "")
	write("FuzzCanonical", "unicode", "/日本/€", "ключ=значение&%E2%82%AC", "a,  b")
	for i, s := range chunkSeeds() {
		write("FuzzChunkReader", fmt.Sprintf("seed-%d", i), s.body, s.mode, s.trailer)
	}
	write("FuzzChunkReader", "truncated", []byte("400;chunk-signature="+strings.Repeat("0", 64)+"\r\nabc"), uint8(0), uint8(0))
	write("FuzzChunkReader", "huge-size", []byte("fffffffffffffff\r\n"), uint8(2), uint8(0))
}

// TestFuzzSeedsVerify keeps the FuzzVerify seeds valid, so the fuzzer
// starts next to requests that pass.
func TestFuzzSeedsVerify(t *testing.T) {
	v := newTestVerifier(t, false, testTime)
	for _, s := range verifierSeeds(t) {
		r := fuzzRequest(s[0], s[1], s[2], s[3], s[4], []byte(s[5]))
		if _, err := v.Verify(context.Background(), r, FullBody([]byte(s[5]))); err != nil {
			t.Errorf("seed %s %s: %v", s[0], s[1], err)
		}
	}
}
