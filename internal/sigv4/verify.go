package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// SecretLookup finds the secret access key of an access key ID. It returns
// an error wrapping ErrUnknownAccessKey (or one with a NotFound() bool
// method that reports true) when the key does not exist or is not active;
// any other error is treated as an internal failure.
type SecretLookup interface {
	SecretAccessKey(ctx context.Context, accessKeyID string) (string, error)
}

// SecretLookupFunc adapts a function to SecretLookup.
type SecretLookupFunc func(ctx context.Context, accessKeyID string) (string, error)

// SecretAccessKey calls f.
func (f SecretLookupFunc) SecretAccessKey(ctx context.Context, accessKeyID string) (string, error) {
	return f(ctx, accessKeyID)
}

// ErrUnknownAccessKey is what a SecretLookup wraps when it does not know
// an access key.
var ErrUnknownAccessKey = errors.New("unknown access key")

// Config configures a Verifier.
type Config struct {
	// Secrets finds secret access keys. Required.
	Secrets SecretLookup
	// Service is the signing name the credential scope must carry, such as
	// "identitystore" or "s3". Required.
	Service string
	// Regions lists the Regions a credential scope may name. Required.
	Regions []string
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// Path says how the canonical URI is built: PathNormalized for every
	// service but S3, PathAsSent for S3.
	Path PathStyle
	// UnsignedPayload accepts X-Amz-Content-Sha256: UNSIGNED-PAYLOAD and
	// makes it the default payload hash of presigned URLs (S3).
	UnsignedPayload bool
	// StreamingPayload accepts the STREAMING-* payload hashes of
	// aws-chunked uploads (S3); Result.Payload decodes such bodies.
	StreamingPayload bool
	// RequireContentSHA256 requires X-Amz-Content-Sha256 on header-signed
	// requests (S3).
	RequireContentSHA256 bool
	// RequireSignedAmzHeaders requires every x-amz-* header present to be
	// signed (S3).
	RequireSignedAmzHeaders bool

	// KeyCacheSize bounds the cache of derived signing keys; 0 means 256
	// and a negative value disables the cache.
	KeyCacheSize int
	// MaxChunkSize bounds one aws-chunked chunk, and so the memory one
	// upload holds; 0 means 16 MiB.
	MaxChunkSize int
}

// DefaultMaxChunkSize is the default bound on an aws-chunked chunk.
const DefaultMaxChunkSize = 16 << 20

// Verifier verifies SigV4-signed requests. It is safe for concurrent use.
type Verifier struct {
	cfg     Config
	now     func() time.Time
	regions []string
	keys    *keyCache
	bufs    sync.Pool // *[]byte scratch for canonical requests
}

// NewVerifier checks cfg and returns a Verifier.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Secrets == nil {
		return nil, errors.New("sigv4: Config.Secrets is required")
	}
	if cfg.Service == "" {
		return nil, errors.New("sigv4: Config.Service is required")
	}
	if len(cfg.Regions) == 0 {
		return nil, errors.New("sigv4: Config.Regions is required")
	}
	if cfg.Path > PathAsSent {
		return nil, fmt.Errorf("sigv4: unknown PathStyle %d", cfg.Path)
	}
	v := &Verifier{cfg: cfg, now: cfg.Now, regions: slices.Clone(cfg.Regions)}
	if v.now == nil {
		v.now = time.Now
	}
	size := cfg.KeyCacheSize
	if size == 0 {
		size = 256
	}
	v.keys = newKeyCache(size)
	if v.cfg.MaxChunkSize <= 0 {
		v.cfg.MaxChunkSize = DefaultMaxChunkSize
	}
	v.bufs.New = func() any { b := make([]byte, 0, 1024); return &b }
	return v, nil
}

// Payload tells Verify what it knows of the request body. Build one with
// FullBody, BodySHA256 or StreamedBody.
type Payload struct {
	kind payloadKind
	body []byte
	hash string
}

type payloadKind uint8

const (
	payloadNone payloadKind = iota
	payloadBody
	payloadHash
	payloadStreamed
)

// FullBody is a body the caller has read completely (and bounded); Verify
// hashes it.
func FullBody(b []byte) Payload { return Payload{kind: payloadBody, body: b} }

// BodySHA256 is a body whose lowercase hex SHA-256 the caller computed.
func BodySHA256(hexHash string) Payload { return Payload{kind: payloadHash, hash: hexHash} }

// StreamedBody is a body not read yet. The payload hash then comes from
// X-Amz-Content-Sha256 (or UNSIGNED-PAYLOAD for presigned S3 URLs), and
// the caller must read the body through Result.Payload, which checks it.
func StreamedBody() Payload { return Payload{kind: payloadStreamed} }

// Result describes a verified request.
type Result struct {
	// AccessKeyID is the signing access key.
	AccessKeyID string
	// Scope is the credential scope.
	Scope Scope
	// SigningTime is X-Amz-Date (or Date).
	SigningTime time.Time
	// SecurityToken is X-Amz-Security-Token, if any. Verify does not
	// check it; the caller must check that it belongs to AccessKeyID.
	SecurityToken string
	// SignedHeaders lists the signed header names, lowercase and sorted.
	SignedHeaders []string
	// Presigned reports query-string authentication.
	Presigned bool
	// Expires is when a presigned URL stops being valid.
	Expires time.Time
	// PayloadHash is the payload hash that was signed: hex, or one of
	// UnsignedPayload and the Streaming* values.
	PayloadHash string
	// Signature is the request's (seed) signature, hex.
	Signature string
	// SigningKey is the derived key, needed to verify aws-chunked chunks.
	SigningKey SigningKey
	// NormalizedPathSigned reports, for PathNormalized, that the signature
	// covers the normalised path (or the path was already normal). When
	// false the client signed the path as sent (aws-sdk-go-v2).
	NormalizedPathSigned bool

	// DecodedContentLength is X-Amz-Decoded-Content-Length, or -1.
	DecodedContentLength int64
	// Trailers lists X-Amz-Trailer's names, lowercase.
	Trailers []string

	verifiedBody bool // the body was hashed and matched already
	maxChunk     int
}

// LogValue keeps the signing key out of logs.
func (r *Result) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key_id", r.AccessKeyID),
		slog.String("scope", r.Scope.String()),
		slog.Bool("presigned", r.Presigned),
		slog.String("payload_hash", r.PayloadHash),
		slog.Bool("security_token", r.SecurityToken != ""),
	)
}

// Verify checks the signature on r. The payload says what is known of the
// body. On success it returns what was verified; on failure an *Error
// (which wraps any internal cause, such as a lookup failure).
func (v *Verifier) Verify(ctx context.Context, r *http.Request, p Payload) (*Result, error) {
	now := v.now().UTC()
	query, qerr := parseQuery(rawQuery(r))

	a, err := v.parse(r, query, qerr, now)
	if err != nil {
		return nil, err
	}
	if err := checkHost(r); err != nil {
		return nil, a.mark(err)
	}
	switch p.kind {
	case payloadBody:
		// Hash once; both the canonical request and the check of a
		// declared hash may need it.
		p = Payload{kind: payloadHash, hash: sha256Hex(p.body)}
	case payloadHash:
		if !isLowerHex64(p.hash) {
			return nil, internalError(errors.New("BodySHA256 needs 64 lowercase hex digits"))
		}
	case payloadNone:
		return nil, internalError(errors.New("the Payload is the zero value; use FullBody, BodySHA256 or StreamedBody"))
	}
	ph, err := v.payloadHash(r, a, p)
	if err != nil {
		return nil, a.mark(err)
	}
	if a.token == "" && strings.HasPrefix(a.accessKeyID, "ASIA") {
		// ASIA keys are temporary by AWS's convention: without their
		// session token they mean nothing.
		return nil, a.mark(newError(MissingSecurityToken,
			"The security token included in the request is invalid.",
			"The provided token is malformed or otherwise invalid."))
	}

	secret, err := v.cfg.Secrets.SecretAccessKey(ctx, a.accessKeyID)
	if err != nil {
		if isNotFound(err) {
			e := newError(UnknownAccessKey,
				"The security token included in the request is invalid.",
				"The AWS Access Key Id you provided does not exist in our records.")
			e.Err = fmt.Errorf("access key %s: %w", a.accessKeyID, err)
			return nil, a.mark(e)
		}
		return nil, a.mark(internalError(fmt.Errorf("look up access key %s: %w", a.accessKeyID, err)))
	}
	key := v.keys.get(secret, a.scope)

	bufp := v.bufs.Get().(*[]byte)
	defer func() {
		// Keep ordinary buffers only; one request with huge headers
		// must not pin its memory in the pool.
		if cap(*bufp) <= 64<<10 {
			*bufp = (*bufp)[:0]
			v.bufs.Put(bufp)
		}
	}()

	skip := ""
	if a.presigned {
		skip = "X-Amz-Signature"
	}
	ch := canonicalHasher{h: sha256.New()}
	ch.tail = buildTail((*bufp)[:0], query, skip, r, a.signed, a.signedRaw, ph)
	*bufp = ch.tail
	primary, alternate := canonicalURIs(requestPath(r), v.cfg.Path)
	scope := a.scope.String()

	var stsBuf [192]byte
	sts := appendStringToSign(stsBuf[:0], a.amzDate, scope, ch.hash(r.Method, primary))
	ok := signatureMatches(key, sts, a.signature)
	normalized := true
	if !ok && alternate != "" {
		var alt [192]byte
		if signatureMatches(key, appendStringToSign(alt[:0], a.amzDate, scope, ch.hash(r.Method, alternate)), a.signature) {
			ok, normalized = true, false
		}
	}
	if !ok {
		e := newError(SignatureMismatch,
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
		e.CanonicalRequest = ch.text(r.Method, primary)
		e.StringToSign = string(sts)
		return nil, a.mark(e)
	}

	res := &Result{
		AccessKeyID:          a.accessKeyID,
		Scope:                a.scope,
		SigningTime:          a.t,
		SecurityToken:        a.token,
		SignedHeaders:        a.signed,
		Presigned:            a.presigned,
		PayloadHash:          ph,
		Signature:            a.signature,
		SigningKey:           key,
		NormalizedPathSigned: normalized,
		DecodedContentLength: -1,
		maxChunk:             v.cfg.MaxChunkSize,
	}
	if a.presigned {
		res.Expires = a.t.Add(a.expires)
	}
	if err := v.checkBody(r, res, p); err != nil {
		return nil, a.mark(err)
	}
	return res, nil
}

// checkBody compares a body the caller already has with the declared
// payload hash, and records what Result.Payload needs for the rest. It
// runs after the signature check so that unauthenticated callers learn
// nothing about the body.
func (v *Verifier) checkBody(r *http.Request, res *Result, p Payload) error {
	ph := res.PayloadHash
	if isLowerHex64(ph) {
		if p.kind == payloadHash {
			if p.hash != ph {
				return newError(ContentSHA256Mismatch,
					"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
					"The provided 'x-amz-content-sha256' header does not match what was computed.")
			}
			res.verifiedBody = true
		}
		return nil
	}
	if !isStreaming(ph) {
		return nil
	}
	if vals := r.Header.Values("X-Amz-Decoded-Content-Length"); len(vals) > 0 {
		n, ok := parseDecimal(vals[0])
		if len(vals) > 1 || !ok {
			return newError(IncompleteBody,
				"X-Amz-Decoded-Content-Length is not a valid length.",
				"You did not provide the number of bytes specified by the Content-Length HTTP header.")
		}
		res.DecodedContentLength = n
	}
	for _, t := range r.Header.Values("X-Amz-Trailer") {
		for name := range strings.SplitSeq(t, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				if _, ok := newChecksum(name); !ok {
					msg := "The trailer " + name + " is not a supported checksum."
					return newError(UnsupportedChecksum, msg, msg)
				}
				res.Trailers = append(res.Trailers, name)
			}
		}
	}
	if ph == StreamingPayload && len(res.Trailers) > 0 {
		return newError(UnsupportedChecksum,
			"X-Amz-Trailer requires a STREAMING-*-TRAILER payload.",
			"The value specified in the x-amz-trailer header is not supported")
	}
	return nil
}

// internalError hides cause from the caller behind AWS's generic text.
func internalError(cause error) *Error {
	e := newError(Internal, internalMessage, "We encountered an internal error. Please try again.")
	e.Err = cause
	return e
}

func isStreaming(ph string) bool {
	return ph == StreamingPayload || ph == StreamingPayloadTrailer || ph == StreamingUnsignedPayloadTrailer
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func isNotFound(err error) bool {
	if errors.Is(err, ErrUnknownAccessKey) {
		return true
	}
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

// rawQuery returns the query as sent.
func rawQuery(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.RawQuery
}

// checkHost rejects a request that names its host more than once.
// net/http refuses repeated Host lines and moves the header into r.Host,
// so a Host left in Header means a request built some other way; it must
// agree with r.Host or we would sign one host and route to another.
func checkHost(r *http.Request) error {
	n := 0
	for k, vals := range r.Header {
		if !strings.EqualFold(k, "Host") {
			continue
		}
		for _, v := range vals {
			n++
			if n > 1 || (r.Host != "" && v != r.Host) {
				// AWS's text for this is unknown; net/http answers a bare
				// "400 Bad Request: too many Host headers" before us.
				return newError(DuplicateHost, "Multiple 'Host' headers are not allowed.", "Multiple 'Host' headers are not allowed.")
			}
		}
	}
	return nil
}

// payloadHash decides the payload hash that goes in the canonical request.
func (v *Verifier) payloadHash(r *http.Request, a *authInfo, p Payload) (string, error) {
	declared, err := singleHeader(r, "X-Amz-Content-Sha256")
	if err != nil {
		return "", err
	}
	if declared == "" && a.presigned {
		for _, q := range a.query {
			if q.key == "X-Amz-Content-Sha256" {
				declared = q.value
			}
		}
	}
	if declared != "" {
		switch {
		case isLowerHex64(declared):
			return declared, nil
		case declared == UnsignedPayload && v.cfg.UnsignedPayload:
			return declared, nil
		case isStreaming(declared) && v.cfg.StreamingPayload:
			if a.presigned {
				// A presigned URL cannot chain chunk signatures; S3
				// refuses this combination.
				return "", newError(InvalidContentSHA256,
					"Streaming payloads cannot be used with query-string authentication.",
					"x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.")
			}
			return declared, nil
		}
		// S3's text; the other services do not define the header.
		return "", newError(InvalidContentSHA256,
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.",
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.")
	}
	if a.presigned && v.cfg.UnsignedPayload {
		// S3 presigned URLs sign no payload unless they say otherwise.
		return UnsignedPayload, nil
	}
	if !a.presigned && v.cfg.RequireContentSHA256 {
		return "", newError(MissingContentSHA256,
			"Missing required header for this request: x-amz-content-sha256",
			"Missing required header for this request: x-amz-content-sha256")
	}
	if p.kind == payloadHash {
		return p.hash, nil
	}
	return "", newError(MissingContentSHA256,
		"Missing required header for this request: x-amz-content-sha256",
		"Missing required header for this request: x-amz-content-sha256")
}

// singleHeader returns the only value of a header, "" if absent, and an
// error if it is repeated: two values of a header that steers
// verification would leave it ambiguous which one counted.
func singleHeader(r *http.Request, name string) (string, error) {
	vals := r.Header.Values(name)
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
		return vals[0], nil
	}
	msg := "The request contains more than one '" + name + "' header."
	return "", newError(MalformedAuthorization, msg, msg)
}

func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
