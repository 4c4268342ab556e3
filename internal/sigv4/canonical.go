package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm this package speaks.
const Algorithm = "AWS4-HMAC-SHA256"

// Special X-Amz-Content-Sha256 values that stand in for the payload hash.
const (
	// UnsignedPayload leaves the body out of the signature (S3).
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// StreamingPayload announces an aws-chunked body whose chunks are
	// signed in a chain from the request's signature.
	StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// StreamingPayloadTrailer is StreamingPayload followed by signed
	// trailing headers (checksums).
	StreamingPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	// StreamingUnsignedPayloadTrailer announces an aws-chunked body whose
	// chunks and trailers are not signed.
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	// EmptySHA256 is the hex SHA-256 of an empty body.
	EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Limits AWS applies to signing times.
const (
	// MaxClockSkew is how far a header-signed request's date may be from
	// our clock, and how far in the future a presigned URL may be dated.
	MaxClockSkew = 15 * time.Minute
	// MaxPresignExpiry is the longest X-Amz-Expires: seven days, because a
	// derived signing key is only good for that long.
	MaxPresignExpiry = 7 * 24 * time.Hour
)

// TimeFormat is the ISO 8601 basic format of X-Amz-Date.
const TimeFormat = "20060102T150405Z"

const (
	dateFormat = "20060102"
	terminator = "aws4_request"
)

// PathStyle says how the canonical URI is derived from the request path.
type PathStyle uint8

const (
	// PathNormalized is AWS's rule for every service except S3: dot
	// segments and empty segments are removed from the path as sent, and
	// the result is URI-encoded again, so "%" becomes "%25".
	//
	// aws-sdk-go-v2 encodes again but does not normalise, while botocore
	// and the JavaScript SDK do both. So that every SDK works unmodified,
	// the verifier also accepts a signature over the un-normalised path
	// when the two differ; handlers must then treat the request as
	// addressed to the normalised path, as AWS does.
	PathNormalized PathStyle = iota
	// PathAsSent is S3's rule: the path is signed exactly as it was sent,
	// without normalisation or a second encoding.
	PathAsSent
)

// Scope is the credential scope of a signature.
type Scope struct {
	// Date is the day in YYYYMMDD form.
	Date string
	// Region is the AWS Region, such as us-east-1.
	Region string
	// Service is the signing name of the service, such as identitystore.
	Service string
}

// String returns the scope in its signed form, date/region/service/aws4_request.
func (s Scope) String() string {
	return s.Date + "/" + s.Region + "/" + s.Service + "/" + terminator
}

// SigningKey is a derived SigV4 signing key. It grants signing for one
// scope, so it is as sensitive as a short-lived secret: its String and
// LogValue forms are redacted.
type SigningKey []byte

// String returns a redacted placeholder.
func (SigningKey) String() string { return "[redacted]" }

// GoString returns a redacted placeholder, also for %#v.
func (SigningKey) GoString() string { return "[redacted]" }

// LogValue keeps the key out of slog output.
func (SigningKey) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// DeriveSigningKey derives the signing key for secret and scope, as
// HMAC chains over the date, Region, service and terminator.
func DeriveSigningKey(secret string, scope Scope) SigningKey {
	k := hmacSHA256([]byte("AWS4"+secret), scope.Date)
	k = hmacSHA256(k, scope.Region)
	k = hmacSHA256(k, scope.Service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signHex returns the hex HMAC-SHA256 of stringToSign under key.
func signHex(key SigningKey, stringToSign []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(stringToSign)
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
}

// signatureMatches reports, in constant time, whether sigHex is the
// signature of stringToSign under key. Only lowercase hex is accepted, as
// every SDK sends it: one signature, one spelling.
func signatureMatches(key SigningKey, stringToSign []byte, sigHex string) bool {
	if !isLowerHex64(sigHex) {
		return false
	}
	var got [sha256.Size]byte
	for i := range got {
		got[i] = unhex(sigHex[2*i])<<4 | unhex(sigHex[2*i+1])
	}
	m := hmac.New(sha256.New, key)
	m.Write(stringToSign)
	var want [sha256.Size]byte
	return hmac.Equal(m.Sum(want[:0]), got[:])
}

// appendStringToSign appends the string to sign for a canonical request
// whose SHA-256 is crHash.
func appendStringToSign(dst []byte, amzDate, scope string, crHash []byte) []byte {
	dst = append(dst, Algorithm...)
	dst = append(dst, '\n')
	dst = append(dst, amzDate...)
	dst = append(dst, '\n')
	dst = append(dst, scope...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, crHash)
}

// unreserved reports the RFC 3986 unreserved characters, the only ones
// SigV4 leaves unencoded.
var unreserved = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['.'], t['_'], t['~'] = true, true, true, true
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendEscaped appends s URI-encoded the SigV4 way: every byte outside
// the unreserved set becomes %XX with uppercase hex; '/' is kept when
// keepSlash is set.
func appendEscaped(dst []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] || (keepSlash && c == '/') {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
	}
	return dst
}

// escaped returns s encoded, without allocating when nothing needs it.
func escaped(s string, keepSlash bool) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !unreserved[c] && !(keepSlash && c == '/') {
			return string(appendEscaped(make([]byte, 0, len(s)+16), s, keepSlash))
		}
	}
	return s
}

// normalizePath removes "." and ".." segments and empty segments from a
// path, the way botocore and the JavaScript SDK do before signing for
// services other than S3. The path is taken as sent (still
// percent-encoded), so "%2E%2E" is an ordinary segment.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	if !needsNormalizing(p) {
		return p
	}
	segs := strings.Split(p, "/")
	out := segs[:0]
	for _, s := range segs {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	var b strings.Builder
	b.Grow(len(p))
	if p[0] == '/' {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(out, "/"))
	if len(out) > 0 && p[len(p)-1] == '/' {
		b.WriteByte('/')
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// needsNormalizing reports whether p has an empty, "." or ".." segment.
func needsNormalizing(p string) bool {
	start := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		seg := p[start:i]
		// An empty first segment is the leading slash, an empty last one
		// the trailing slash; both are kept.
		if (seg == "" && start != 0 && i != len(p)) || seg == "." || seg == ".." {
			return true
		}
		start = i + 1
	}
	return false
}

// requestPath returns the path as the client sent it, still encoded.
// Server requests keep the request-target in RequestURI; client-side
// requests (tests, forwarding) use URL.Opaque or the escaped path, as
// aws-sdk-go-v2 does.
func requestPath(r *http.Request) string {
	if uri := r.RequestURI; uri != "" {
		if i := strings.IndexByte(uri, '?'); i >= 0 {
			uri = uri[:i]
		}
		if uri == "" {
			return "/"
		}
		if uri[0] == '/' {
			return uri
		}
		// The absolute form a client sends to a proxy:
		// scheme://authority/path.
		if i := strings.Index(uri, "://"); i > 0 && !strings.Contains(uri[:i], "/") {
			if j := strings.IndexByte(uri[i+3:], '/'); j >= 0 {
				return uri[i+3+j:]
			}
			return "/"
		}
	}
	if r.URL == nil {
		return "/"
	}
	if op := r.URL.Opaque; op != "" {
		if i := strings.IndexByte(op, '?'); i >= 0 {
			op = op[:i]
		}
		op = strings.TrimPrefix(op, "//")
		if i := strings.IndexByte(op, '/'); i >= 0 {
			return op[i:]
		}
		return "/"
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// canonicalURIs returns the canonical URI for the path as sent and, for
// PathNormalized when normalisation changes the path, the un-normalised
// form aws-sdk-go-v2 signs.
func canonicalURIs(wire string, style PathStyle) (primary, alternate string) {
	if wire == "" {
		wire = "/"
	}
	if style == PathAsSent {
		return wire, ""
	}
	norm := normalizePath(wire)
	primary = escaped(norm, true)
	if norm != wire {
		alternate = escaped(wire, true)
	}
	return primary, alternate
}

// queryParam is one decoded query parameter.
type queryParam struct {
	key, value string
}

var errBadEscape = errors.New("invalid percent-encoding")

// parseQuery decodes a raw query string into parameters in order. '+' is
// a space, as in HTML forms and in net/url, through which aws-sdk-go-v2
// reads the query it signs. Empty segments
// are skipped; a segment without '=' has an empty value. An invalid
// escape is an error: signing bytes we would later read differently is
// how signature confusion starts.
func parseQuery(raw string) ([]queryParam, error) {
	if raw == "" {
		return nil, nil
	}
	params := make([]queryParam, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		dk, err := unescapeQuery(k)
		if err != nil {
			return nil, err
		}
		dv, err := unescapeQuery(v)
		if err != nil {
			return nil, err
		}
		params = append(params, queryParam{dk, dv})
	}
	return params, nil
}

func unescapeQuery(s string) (string, error) {
	n := 0
	plus := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", errBadEscape
			}
			n++
			i += 2
		case '+':
			plus = true
		}
	}
	if n == 0 && !plus {
		return s, nil
	}
	b := make([]byte, 0, len(s)-2*n)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// appendCanonicalQuery appends the canonical query string: each name and
// value encoded, pairs sorted by encoded name then encoded value (AWS
// sorts after encoding), joined by '&'. A parameter named skip is left
// out (X-Amz-Signature for presigned URLs).
func appendCanonicalQuery(dst []byte, params []queryParam, skip string) []byte {
	if len(params) == 0 {
		return dst
	}
	enc := make([]queryParam, 0, len(params))
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, queryParam{escaped(p.key, false), escaped(p.value, false)})
	}
	slices.SortFunc(enc, func(a, b queryParam) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	for i, p := range enc {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, p.key...)
		dst = append(dst, '=')
		dst = append(dst, p.value...)
	}
	return dst
}

// appendHeaderValue appends one header value trimmed and with runs of
// spaces collapsed, as aws-sdk-go-v2 does. (botocore and the JavaScript
// SDK also turn inner tabs into spaces; no SDK sends them in practice.)
func appendHeaderValue(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// appendCanonicalHeaders appends "name:value\n" for each signed header,
// in the (sorted) order given. Several values are joined with commas. A
// signed header that is absent is signed as empty, as AWS does.
func appendCanonicalHeaders(dst []byte, r *http.Request, signed []string) []byte {
	for _, name := range signed {
		dst = append(dst, name...)
		dst = append(dst, ':')
		dst = appendHeaderValues(dst, r, name)
		dst = append(dst, '\n')
	}
	return dst
}

// appendHeaderValues appends the canonical values of the named (lowercase)
// header. Host comes from the request line or Host header, which net/http
// moves out of Header; Content-Length and Transfer-Encoding fall back to
// the fields net/http keeps them in for requests built in process.
func appendHeaderValues(dst []byte, r *http.Request, name string) []byte {
	if name == "host" {
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		return appendHeaderValue(dst, h)
	}
	var match string
	found := 0
	for k := range r.Header {
		if len(k) == len(name) && strings.EqualFold(k, name) {
			match = k
			found++
		}
	}
	switch found {
	case 0:
		switch {
		case name == "content-length" && r.ContentLength > 0:
			return strconv.AppendInt(dst, r.ContentLength, 10)
		case name == "transfer-encoding" && len(r.TransferEncoding) > 0:
			return append(dst, strings.Join(r.TransferEncoding, ",")...)
		}
		return dst
	case 1:
		return appendValues(dst, r.Header[match], false)
	}
	// Keys that differ only in case exist only in requests built in
	// process; take them in sorted order so map order cannot matter.
	keys := make([]string, 0, found)
	for k := range r.Header {
		if len(k) == len(name) && strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for i, k := range keys {
		dst = appendValues(dst, r.Header[k], i > 0)
	}
	return dst
}

func appendValues(dst []byte, vals []string, comma bool) []byte {
	for _, v := range vals {
		if comma {
			dst = append(dst, ',')
		}
		dst = appendHeaderValue(dst, v)
		comma = true
	}
	return dst
}

// validHeaderName reports whether s is a lowercase HTTP token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseSignedHeaders splits a SignedHeaders list. Names must be lowercase
// tokens in strictly ascending order: every SDK sends them so, and
// accepting other orders would let two lists mean one canonical request.
func parseSignedHeaders(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	names := strings.Split(s, ";")
	for i, n := range names {
		if !validHeaderName(n) || (i > 0 && names[i-1] >= n) {
			return nil, false
		}
	}
	return names, true
}

// canonicalHasher hashes canonical requests that share everything but the
// URI, so the alternate URI costs one more hash and no rebuilding.
type canonicalHasher struct {
	h    hash.Hash
	sum  [sha256.Size]byte
	tail []byte // "\n" + query + "\n" + headers + "\n" + signed + "\n" + payload
}

func (c *canonicalHasher) hash(method, uri string) []byte {
	c.h.Reset()
	c.h.Write([]byte(method))
	c.h.Write([]byte{'\n'})
	c.h.Write([]byte(uri))
	c.h.Write(c.tail)
	return c.h.Sum(c.sum[:0])
}

func (c *canonicalHasher) text(method, uri string) string {
	return method + "\n" + uri + string(c.tail)
}

// buildTail appends everything of the canonical request after the URI.
func buildTail(dst []byte, query []queryParam, skip string, r *http.Request, signed []string, signedRaw, payloadHash string) []byte {
	dst = append(dst, '\n')
	dst = appendCanonicalQuery(dst, query, skip)
	dst = append(dst, '\n')
	dst = appendCanonicalHeaders(dst, r, signed)
	dst = append(dst, '\n')
	dst = append(dst, signedRaw...)
	dst = append(dst, '\n')
	dst = append(dst, payloadHash...)
	return dst
}

// isLowerHex64 reports whether s is 64 lowercase hex digits.
func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
