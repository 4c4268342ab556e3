package sigv4

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The differential test signs random requests with aws-sdk-go-v2 (the
// reference), sends them through net/http's wire format, and checks that
// every one verifies and that every single-byte change to the body, a
// signed header, the query, the path, the date or the signature does not.

const differentialRequests = 10_000

type diffMode struct {
	s3, presign bool
}

func (m diffMode) String() string {
	return fmt.Sprintf("s3=%v/presign=%v", m.s3, m.presign)
}

func TestDifferentialSDK(t *testing.T) {
	modes := []diffMode{{false, false}, {false, true}, {true, false}, {true, true}}
	for mi, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(mi), 0x5167))
			now := testTime
			v := newTestVerifier(t, mode.s3, now.Add(time.Duration(rng.IntN(60))*time.Second))
			literal := 0
			for i := range differentialRequests / len(modes) {
				g := newGenerated(t, rng, mode, now)
				exhaustive := i < 12
				if !g.check(t, v, rng, exhaustive) {
					literal++
				}
				if t.Failed() {
					t.Fatalf("request %d:\n%s", i, g.describe())
				}
			}
			// aws-sdk-go-v2 signs un-normalised paths as sent; make sure
			// the generator exercised that.
			if !mode.s3 && literal == 0 {
				t.Error("no request with an un-normalised path")
			}
		})
	}
}

// generated is one random request, signed by the SDK and read back as a
// server sees it.
type generated struct {
	mode     diffMode
	server   *http.Request
	body     []byte
	unsigned bool // UNSIGNED-PAYLOAD: the body is not covered
	wirePath string
	headers  []string // canonical names of the generated headers
}

func (g *generated) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", g.server.Method, g.server.RequestURI)
	for k, v := range g.server.Header {
		fmt.Fprintf(&b, "%s: %q\n", k, v)
	}
	fmt.Fprintf(&b, "body %q\n", g.body)
	return b.String()
}

var pathSegments = []string{
	"a", "bucket", "Key.txt", "x~y_z-1.2", "%20", "a%20b", "%E2%82%AC", "%e2%82%ac", "%2F", "%2f", "%25", "%2525",
	"..", ".", "", "", "!$&'()*+,;=:@", "%3F", "%23", "A-Z", "%7E", "~",
}

func randomPath(rng *rand.Rand) string {
	var b strings.Builder
	for range 1 + rng.IntN(6) {
		b.WriteByte('/')
		for range 1 + rng.IntN(2) {
			b.WriteString(pathSegments[rng.IntN(len(pathSegments))])
		}
	}
	if rng.IntN(4) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}

const textAlphabet = "abcXYZ019 -_.~!*'();:@&=+$,/?#[]%\"<>\\^`{|}"

func randomText(rng *rand.Rand, max int) string {
	var b strings.Builder
	for range rng.IntN(max + 1) {
		switch rng.IntN(12) {
		case 0:
			b.WriteString("é")
		case 1:
			b.WriteString("日本")
		default:
			b.WriteByte(textAlphabet[rng.IntN(len(textAlphabet))])
		}
	}
	return b.String()
}

func randomQuery(rng *rand.Rand) string {
	var pairs []string
	keys := []string{"k", "prefix", "list-type", "a b", "ключ"}
	for range rng.IntN(6) {
		var k string
		if rng.IntN(3) == 0 {
			k = keys[rng.IntN(len(keys))] // duplicates
		} else {
			k = "k" + randomText(rng, 5)
		}
		switch rng.IntN(4) {
		case 0:
			pairs = append(pairs, url.QueryEscape(k)) // no '='
		case 1:
			pairs = append(pairs, url.QueryEscape(k)+"=") // empty value
		default:
			pairs = append(pairs, url.QueryEscape(k)+"="+url.QueryEscape(randomText(rng, 12)))
		}
	}
	return strings.Join(pairs, "&")
}

const valueAlphabet = "abcXYZ019!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

func randomHeaderValue(rng *rand.Rand) string {
	var b strings.Builder
	if rng.IntN(4) == 0 {
		b.WriteString(strings.Repeat(" ", 1+rng.IntN(3)))
	}
	for range rng.IntN(16) {
		switch rng.IntN(10) {
		case 0:
			b.WriteString(strings.Repeat(" ", 1+rng.IntN(4)))
		case 1:
			b.WriteString("ü")
		default:
			b.WriteByte(valueAlphabet[rng.IntN(len(valueAlphabet))])
		}
	}
	if rng.IntN(4) == 0 {
		b.WriteString("  \t")
	}
	return b.String()
}

func newGenerated(t *testing.T, rng *rand.Rand, mode diffMode, now time.Time) *generated {
	t.Helper()
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}
	method := methods[rng.IntN(len(methods))]
	var body []byte
	if method != http.MethodGet && rng.IntN(5) != 0 {
		body = make([]byte, rng.IntN(600))
		for i := range body {
			body[i] = byte(rng.Uint32())
		}
	}
	g := &generated{mode: mode, body: body, wirePath: randomPath(rng)}
	raw := "https://svc.example.com" + g.wirePath
	query := randomQuery(rng)
	if mode.presign {
		if query != "" {
			query += "&"
		}
		query += "X-Amz-Expires=" + strconv.Itoa(700+rng.IntN(3000))
	}
	if query != "" {
		raw += "?" + query
	}
	r, err := http.NewRequest(method, raw, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.URL.EscapedPath(); got != g.wirePath {
		t.Fatalf("generator: escaped path %q != %q", got, g.wirePath)
	}
	names := []string{"X-Test-One", "X-Test-Two", "Content-Type", "X-Amz-Meta-Note", "X-Custom"}
	for _, n := range names[:rng.IntN(len(names)+1)] {
		for range 1 + rng.IntN(2) {
			r.Header.Add(n, randomHeaderValue(rng))
		}
		g.headers = append(g.headers, n)
	}
	creds := sdkCreds
	if rng.IntN(4) == 0 {
		creds = aws.Credentials{AccessKeyID: testASIA, SecretAccessKey: testASIASec, SessionToken: testToken}
	}
	service := testService
	if mode.s3 {
		service = "s3"
	}
	payload := sha256Hex(body)
	if mode.s3 && (mode.presign || rng.IntN(3) == 0) {
		payload, g.unsigned = UnsignedPayload, true
	}
	if mode.s3 && !mode.presign {
		r.Header.Set("X-Amz-Content-Sha256", payload)
	}
	signAt := now.Add(-time.Duration(rng.IntN(600)) * time.Second)

	if mode.presign {
		u, hdr, err := newSDKSigner(mode.s3).PresignHTTP(context.Background(), creds, r, payload, service, testRegion, signAt)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := http.NewRequest(method, u, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range hdr {
			if k != "Host" && k != "Content-Length" {
				pr.Header[k] = vs
			}
		}
		r = pr
	} else {
		sdkSign(t, r, payload, service, signAt, mode.s3, creds)
	}
	g.server, _ = roundTrip(t, r)
	if p := requestPath(g.server); p != g.wirePath {
		t.Fatalf("server path %q != sent %q", p, g.wirePath)
	}
	return g
}

// target returns a copy of the server request with another path and query.
func (g *generated) target(path, rawQuery string) *http.Request {
	r := g.server.Clone(context.Background())
	r.URL.RawQuery = rawQuery
	r.RequestURI = path
	if rawQuery != "" {
		r.RequestURI += "?" + rawQuery
	}
	return r
}

// check verifies g and its mutations, and reports whether the signature
// covered the normalised path.
func (g *generated) check(t *testing.T, v *Verifier, rng *rand.Rand, exhaustive bool) bool {
	t.Helper()
	ctx := context.Background()
	res, err := v.Verify(ctx, g.server, FullBody(g.body))
	if err != nil {
		t.Errorf("SDK-signed request rejected: %v", err)
		if e, ok := err.(*Error); ok && e.CanonicalRequest != "" {
			t.Logf("canonical request:\n%s", e.CanonicalRequest)
		}
		return true
	}
	if res.Presigned != g.mode.presign || res.Scope.Region != testRegion {
		t.Errorf("result = %+v", res)
	}

	// The same query, encoded differently and reordered, is the same request.
	if alt := reencodeQuery(rng, g.server.URL.RawQuery); alt != g.server.URL.RawQuery {
		if _, err := v.Verify(ctx, g.target(g.wirePath, alt), FullBody(g.body)); err != nil {
			t.Errorf("re-encoded query %q rejected: %v", alt, err)
		}
	}

	fail := func(what string, r *http.Request, body []byte) {
		t.Helper()
		if _, err := v.Verify(ctx, r, FullBody(body)); err == nil {
			t.Errorf("%s: accepted", what)
		} else if _, ok := KindOf(err); !ok {
			t.Errorf("%s: untyped error %v", what, err)
		}
	}
	positions := func(n int) []int {
		if n == 0 {
			return nil
		}
		if exhaustive {
			all := make([]int, n)
			for i := range all {
				all[i] = i
			}
			return all
		}
		return []int{rng.IntN(n)}
	}

	// Body.
	if !g.unsigned {
		for _, i := range positions(len(g.body)) {
			b := bytes.Clone(g.body)
			b[i] ^= byte(1 + rng.IntN(255))
			fail(fmt.Sprintf("body byte %d", i), g.server, b)
		}
	}
	// Signed header values.
	for _, name := range g.headers {
		vals := g.server.Header.Values(name)
		if len(vals) == 0 {
			continue
		}
		vi := rng.IntN(len(vals))
		val := vals[vi]
		var idx []int
		for _, i := range positions(len(val)) {
			if val[i] != ' ' && val[i] != '\t' {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			r := g.server.Clone(ctx)
			r.Header[name][vi] = val + "x"
			fail("header "+name+" extended", r, g.body)
		}
		for _, i := range idx {
			r := g.server.Clone(ctx)
			b := []byte(val)
			b[i] = otherByte(rng, b[i], valueAlphabet)
			r.Header[name][vi] = string(b)
			fail(fmt.Sprintf("header %s byte %d", name, i), r, g.body)
		}
		if !exhaustive {
			break
		}
	}
	// Query: change one byte of a decoded name or value.
	pairs := splitQuery(g.server.URL.RawQuery)
	for _, pi := range positions(len(pairs)) {
		for side := range 2 {
			s := pairs[pi][side]
			for _, i := range positions(len(s)) {
				mut := clonePairs(pairs)
				b := []byte(s)
				b[i] = otherByte(rng, b[i], textAlphabet)
				mut[pi][side] = string(b)
				fail(fmt.Sprintf("query pair %d side %d byte %d", pi, side, i), g.target(g.wirePath, joinQuery(mut)), g.body)
			}
		}
	}
	if len(pairs) > 0 {
		fail("query pair dropped", g.target(g.wirePath, joinQuery(pairs[1:])), g.body)
	}
	fail("query pair added", g.target(g.wirePath, joinQuery(append(clonePairs(pairs), [2]string{"extra", "1"}))), g.body)
	// Path; its leading '/' is required by HTTP itself.
	for _, i := range positions(len(g.wirePath) - 1) {
		fail(fmt.Sprintf("path byte %d", i+1), g.target(mutatePath(rng, g.wirePath, i+1), g.server.URL.RawQuery), g.body)
	}
	fail("method", func() *http.Request {
		r := g.server.Clone(ctx)
		r.Method = map[bool]string{true: http.MethodHead, false: http.MethodGet}[r.Method == http.MethodGet]
		return r
	}(), g.body)
	// Date and signature.
	if g.mode.presign {
		for _, name := range []string{"X-Amz-Date", "X-Amz-Signature", "X-Amz-Expires", "X-Amz-Credential", "X-Amz-SignedHeaders"} {
			pi := indexPair(pairs, name)
			for _, i := range positions(len(pairs[pi][1])) {
				mut := clonePairs(pairs)
				b := []byte(mut[pi][1])
				b[i] = otherByte(rng, b[i], "0123456789abcdef")
				mut[pi][1] = string(b)
				fail(fmt.Sprintf("%s byte %d", name, i), g.target(g.wirePath, joinQuery(mut)), g.body)
			}
		}
	} else {
		date := g.server.Header.Get("X-Amz-Date")
		for _, i := range positions(len(date)) {
			if date[i] < '0' || date[i] > '9' {
				continue
			}
			r := g.server.Clone(ctx)
			b := []byte(date)
			b[i] = otherByte(rng, b[i], "0123456789")
			r.Header.Set("X-Amz-Date", string(b))
			fail(fmt.Sprintf("date byte %d", i), r, g.body)
		}
		authz := g.server.Header.Get("Authorization")
		sigAt := strings.LastIndex(authz, "Signature=") + len("Signature=")
		for _, i := range positions(len(authz) - sigAt) {
			r := g.server.Clone(ctx)
			b := []byte(authz)
			b[sigAt+i] = otherByte(rng, b[sigAt+i], "0123456789abcdefABCDEF")
			r.Header.Set("Authorization", string(b))
			fail(fmt.Sprintf("signature byte %d", i), r, g.body)
		}
	}
	return res.NormalizedPathSigned
}

// otherByte returns a byte from alphabet different from c.
func otherByte(rng *rand.Rand, c byte, alphabet string) byte {
	for {
		if d := alphabet[rng.IntN(len(alphabet))]; d != c {
			return d
		}
	}
}

// mutatePath changes byte i of a wire path into a different byte that
// keeps the path well formed: hex digits of an escape stay hex digits.
func mutatePath(rng *rand.Rand, p string, i int) string {
	b := []byte(p)
	inEscape := (i >= 1 && b[i-1] == '%') || (i >= 2 && b[i-2] == '%')
	switch {
	case inEscape:
		b[i] = otherByte(rng, b[i], "0123456789ABCDEFabcdef")
	case b[i] == '%':
		// Turning '%' into another byte would leave bare hex; drop the escape.
		return p[:i] + "x" + p[i+3:]
	default:
		b[i] = otherByte(rng, b[i], "abcXYZ019-._~/")
	}
	return string(b)
}

func splitQuery(raw string) [][2]string {
	var pairs [][2]string
	for _, seg := range strings.Split(raw, "&") {
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			panic("test query is not decodable: " + raw)
		}
		pairs = append(pairs, [2]string{dk, dv})
	}
	return pairs
}

func joinQuery(pairs [][2]string) string {
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = enc(p[0]) + "=" + enc(p[1])
	}
	return strings.Join(parts, "&")
}

func clonePairs(p [][2]string) [][2]string { return append([][2]string(nil), p...) }

func indexPair(pairs [][2]string, key string) int {
	for i, p := range pairs {
		if p[0] == key {
			return i
		}
	}
	panic("no query parameter " + key)
}

// reencodeQuery spells the same parameters differently: shuffled, with
// '+' for spaces, lowercase hex and needlessly escaped letters.
func reencodeQuery(rng *rand.Rand, raw string) string {
	pairs := splitQuery(raw)
	rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
	enc := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == ' ' && rng.IntN(2) == 0:
				b.WriteByte('+')
			case unreserved[c] && rng.IntN(4) != 0:
				b.WriteByte(c)
			case rng.IntN(2) == 0:
				fmt.Fprintf(&b, "%%%02x", c)
			default:
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		return b.String()
	}
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = enc(p[0]) + "=" + enc(p[1])
	}
	return strings.Join(parts, "&")
}
