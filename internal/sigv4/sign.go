package sigv4

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credentials are an access key pair and, for temporary credentials, the
// session token.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// LogValue keeps the secret and the token out of logs.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID), slog.Bool("session", c.SessionToken != ""))
}

// Signer signs requests the way the AWS SDKs do. The zero Signer signs for
// services other than S3.
type Signer struct {
	// Path says how the canonical URI is built: PathNormalized (the
	// default) for every service but S3, PathAsSent for S3.
	Path PathStyle
	// Unsigned names headers (in any case) to leave unsigned, besides those
	// a proxy or the HTTP transport may change, which are never signed:
	// Authorization, User-Agent, Expect, X-Amzn-Trace-Id and the
	// hop-by-hop headers.
	Unsigned []string
}

// neverSigned lists headers that proxies, the SDKs' own middleware or
// net/http rewrite after signing.
var neverSigned = []string{
	"authorization", "connection", "expect", "keep-alive", "proxy-authorization",
	"proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
	"user-agent", "x-amzn-trace-id",
}

// Sign signs r in place with an Authorization header. It sets X-Amz-Date
// (and X-Amz-Security-Token for temporary credentials) and signs the host
// and every header present except the unsigned ones. payloadHash is the
// lowercase hex SHA-256 of the body or one of the special values
// (UnsignedPayload, Streaming*); Sign does not add X-Amz-Content-Sha256,
// which S3 requests must carry.
func (s Signer) Sign(r *http.Request, payloadHash string, creds Credentials, region, service string, t time.Time) error {
	if err := checkSignInput(payloadHash, creds, region, service); err != nil {
		return err
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	t = t.UTC()
	amzDate := t.Format(TimeFormat)
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Date", amzDate)
	if creds.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	}
	query, err := parseQuery(rawQuery(r))
	if err != nil {
		return fmt.Errorf("sigv4: sign: query: %w", err)
	}
	scope := Scope{Date: t.Format(dateFormat), Region: region, Service: service}
	signed := s.headersToSign(r)
	sig := s.signature(r, query, "", signed, payloadHash, amzDate, scope, creds.SecretAccessKey)
	r.Header.Set("Authorization", Algorithm+" Credential="+creds.AccessKeyID+"/"+scope.String()+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return nil
}

// Presign returns r's URL with query-string authentication valid for
// expires (1 s to 7 days). r is not modified; any headers it carries are
// signed and must accompany the URL. payloadHash is usually
// UnsignedPayload for S3 and the body's hash (EmptySHA256) elsewhere.
func (s Signer) Presign(r *http.Request, payloadHash string, creds Credentials, region, service string, t time.Time, expires time.Duration) (string, error) {
	if err := checkSignInput(payloadHash, creds, region, service); err != nil {
		return "", err
	}
	if expires < time.Second || expires > MaxPresignExpiry || expires%time.Second != 0 {
		return "", fmt.Errorf("sigv4: presign: expiry %v is not whole seconds in 1s..%v", expires, MaxPresignExpiry)
	}
	if r.URL == nil {
		return "", errors.New("sigv4: presign: request has no URL")
	}
	query, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return "", fmt.Errorf("sigv4: presign: query: %w", err)
	}
	for _, q := range query {
		if slices.Contains([]string{qAlgorithm, qCredential, qDate, qExpires, qSignedHeaders, qSignature, qSecurityToken}, q.key) {
			return "", fmt.Errorf("sigv4: presign: the URL already has %s", q.key)
		}
	}
	t = t.UTC()
	amzDate := t.Format(TimeFormat)
	scope := Scope{Date: t.Format(dateFormat), Region: region, Service: service}
	signed := s.headersToSign(r)
	query = append(query,
		queryParam{qAlgorithm, Algorithm},
		queryParam{qCredential, creds.AccessKeyID + "/" + scope.String()},
		queryParam{qDate, amzDate},
		queryParam{qExpires, strconv.FormatInt(int64(expires/time.Second), 10)},
		queryParam{qSignedHeaders, strings.Join(signed, ";")},
	)
	if creds.SessionToken != "" {
		query = append(query, queryParam{qSecurityToken, creds.SessionToken})
	}
	sig := s.signature(r, query, "", signed, payloadHash, amzDate, scope, creds.SecretAccessKey)
	u := *r.URL
	raw := appendCanonicalQuery(nil, query, "")
	raw = append(raw, "&"+qSignature+"="+sig...)
	u.RawQuery = string(raw)
	return u.String(), nil
}

func checkSignInput(payloadHash string, creds Credentials, region, service string) error {
	switch {
	case creds.AccessKeyID == "" || creds.SecretAccessKey == "":
		return errors.New("sigv4: sign: credentials are incomplete")
	case strings.Contains(creds.AccessKeyID, "/"):
		return errors.New("sigv4: sign: access key ID contains '/'")
	case region == "" || service == "" || strings.Contains(region, "/") || strings.Contains(service, "/"):
		return errors.New("sigv4: sign: region and service must be non-empty and without '/'")
	case !isLowerHex64(payloadHash) && payloadHash != UnsignedPayload && !isStreaming(payloadHash):
		return fmt.Errorf("sigv4: sign: payload hash %q is neither a hex SHA-256 nor a special value", payloadHash)
	}
	return nil
}

// headersToSign lists, lowercase and sorted, the host and every present
// header that may be signed.
func (s Signer) headersToSign(r *http.Request) []string {
	names := []string{"host"}
	if r.ContentLength > 0 {
		names = append(names, "content-length")
	}
	for k := range r.Header {
		lk := strings.ToLower(k)
		if lk == "host" || !validHeaderName(lk) || slices.Contains(neverSigned, lk) ||
			slices.ContainsFunc(s.Unsigned, func(u string) bool { return strings.EqualFold(u, lk) }) {
			continue
		}
		names = append(names, lk)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func (s Signer) signature(r *http.Request, query []queryParam, skip string, signed []string, payloadHash, amzDate string, scope Scope, secret string) string {
	ch := canonicalHasher{h: sha256.New()}
	ch.tail = buildTail(nil, query, skip, r, signed, strings.Join(signed, ";"), payloadHash)
	uri, _ := canonicalURIs(requestPath(r), s.Path)
	sts := appendStringToSign(nil, amzDate, scope.String(), ch.hash(r.Method, uri))
	return signHex(signerKeys.get(secret, scope), sts)
}

// signerKeys caches the signing keys of Sign and Presign, as the Verifier
// caches its own: a client signing many requests with one key (the S3
// gateway re-signing for its upstream, a load generator) then pays one
// HMAC per request for the key instead of four.
var signerKeys = newKeyCache(256)
