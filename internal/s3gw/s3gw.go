// Package s3gw is Gatehouse's S3 access gateway: an S3-compatible endpoint
// in front of any S3-compatible upstream, where the temporary credentials
// Gatehouse issues (and administrators' keys) are honoured and the
// permission sets of Identity Center are enforced.
//
// For each request the gateway verifies the SigV4 signature (header or
// presigned, S3's rules: the path as sent, UNSIGNED-PAYLOAD, aws-chunked
// streaming uploads with chunk signatures and checksum trailers), resolves
// the caller and checks its session (token, expiry, revocation), maps the
// S3 operation to the IAM actions and resource ARNs AWS documents for it,
// builds the request context (the session's MFA facts and tags, source IP,
// transport, s3:prefix, s3:x-amz-acl, request and existing object tags, …),
// asks the decision service (internal/authz), records the decision in the
// audit trail, and then either forwards the request re-signed with the
// upstream's own credentials or answers S3's AccessDenied.
//
// Bodies stream: an upload goes to the upstream as it arrives, checked on
// the way (a declared SHA-256, or each chunk's signature), and a download
// comes back the same way; nothing is held whole in memory.
package s3gw

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// Config configures a Gateway.
type Config struct {
	// Upstream is the S3-compatible service behind the gateway, as
	// scheme://host[:port]. Requests go to it path-style.
	Upstream string
	// UpstreamCredentials sign every forwarded request.
	UpstreamCredentials sigv4.Credentials
	// UpstreamRegion is the region forwarded requests are signed for.
	UpstreamRegion string
	// Region is the region clients sign for (Gatehouse's region).
	Region string
	// Domains are the gateway's own host names for virtual-hosted-style
	// requests: with "s3.example.com", a request to
	// "photos.s3.example.com" addresses bucket "photos". Requests to any
	// other host are path-style.
	Domains []string
	// Partition of the resource ARNs; default "aws".
	Partition string

	// Resolver finds the secret and principal of an access key.
	Resolver *authz.Resolver
	// Authz decides.
	Authz *authz.Service
	// Audit records every decision. Required.
	Audit Recorder
	// Transport reaches the upstream; nil means a tuned http.Transport.
	Transport http.RoundTripper
	Log       *slog.Logger
	Now       func() time.Time
	// MaxChunkSize bounds one aws-chunked chunk held while its signature
	// is checked; 0 means sigv4's default (16 MiB).
	MaxChunkSize int
}

// Recorder writes audit events; *audit.Recorder provides it.
type Recorder interface {
	Record(ctx context.Context, e *audit.Event) error
}

// Gateway is the S3 access gateway's http.Handler.
type Gateway struct {
	cfg       Config
	upstream  *url.URL
	verifier  *sigv4.Verifier
	signer    sigv4.Signer
	transport http.RoundTripper
	arns      Arn
	log       *slog.Logger
	now       func() time.Time
	hostID    string
	bufs      sync.Pool // *[]byte copy buffers of copyBufferSize
	smallBufs sync.Pool // *[]byte copy buffers of smallCopyBufferSize
	largeBufs sync.Pool // *[]byte copy buffers of largeCopyBufferSize
	// largeSlots bounds the large buffers in use at once.
	largeSlots chan struct{}
	decisions  sync.Pool // *[]authz.Decision
}

// Response bodies are copied from the upstream to the client through a
// pooled buffer sized by the body. Every byte of a download is read and
// written once more in user space, and each read that comes back with less
// than a buffer's worth means another wake-up of the gateway: a large
// object goes through a large buffer (measured with moto: about 20% less
// CPU per MiB with 1 MiB than with 256 KiB, and no less with 4 MiB;
// docs/benchmarks.md). Small bodies take a small buffer, so that many
// concurrent small GETs hold little memory, and the large buffers are
// bounded in number; a download that finds none free uses the medium one.
const (
	smallCopyBufferSize = 32 << 10
	copyBufferSize      = 256 << 10
	largeCopyBufferSize = 1 << 20
	// largeCopyThreshold is the smallest body that takes a large buffer.
	largeCopyThreshold = 4 << 20
	// maxLargeCopyBuffers bounds the memory of large buffers (64 MiB).
	maxLargeCopyBuffers = 64
)

// copyBuffer returns a buffer for a response body of length n (-1 when
// unknown) and the function that gives it back.
func (g *Gateway) copyBuffer(n int64) ([]byte, func()) {
	pool := &g.bufs
	switch {
	case n >= 0 && n <= smallCopyBufferSize:
		pool = &g.smallBufs
	case n >= largeCopyThreshold:
		select {
		case g.largeSlots <- struct{}{}:
			bp := g.largeBufs.Get().(*[]byte)
			return *bp, func() { g.largeBufs.Put(bp); <-g.largeSlots }
		default:
		}
	}
	bp := pool.Get().(*[]byte)
	return *bp, func() { pool.Put(bp) }
}

// New checks cfg and returns a gateway.
func New(cfg Config) (*Gateway, error) {
	u, err := url.Parse(cfg.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("s3gw: upstream %q must be http(s)://host[:port]", cfg.Upstream)
	}
	if cfg.UpstreamCredentials.AccessKeyID == "" || cfg.UpstreamCredentials.SecretAccessKey == "" {
		return nil, errors.New("s3gw: the upstream's access key id and secret access key are required")
	}
	if cfg.Resolver == nil || cfg.Authz == nil || cfg.Audit == nil {
		return nil, errors.New("s3gw: Config.Resolver, Config.Authz and Config.Audit are required")
	}
	if cfg.Region == "" {
		return nil, errors.New("s3gw: Config.Region is required")
	}
	if cfg.UpstreamRegion == "" {
		cfg.UpstreamRegion = cfg.Region
	}
	if cfg.Partition == "" {
		cfg.Partition = "aws"
	}
	domains := make([]string, len(cfg.Domains))
	for i, d := range cfg.Domains {
		domains[i] = strings.TrimSuffix(strings.ToLower(d), ".")
	}
	cfg.Domains = domains
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Gateway{cfg: cfg, upstream: u, signer: sigv4.Signer{Path: sigv4.PathAsSent}, arns: Arn{Partition: cfg.Partition}, log: cfg.Log, now: cfg.Now}
	g.verifier, err = sigv4.NewVerifier(sigv4.Config{
		Secrets: sigv4.SecretLookupFunc(g.secret),
		Service: "s3", Regions: []string{cfg.Region}, Now: cfg.Now,
		Path: sigv4.PathAsSent, UnsignedPayload: true, StreamingPayload: true,
		RequireContentSHA256: true, RequireSignedAmzHeaders: true, MaxChunkSize: cfg.MaxChunkSize,
	})
	if err != nil {
		return nil, fmt.Errorf("s3gw: %w", err)
	}
	g.transport = cfg.Transport
	if g.transport == nil {
		g.transport = NewTransport()
	}
	var id [24]byte
	_, _ = rand.Read(id[:])
	g.hostID = base64.StdEncoding.EncodeToString(id[:])
	g.bufs.New = func() any { b := make([]byte, copyBufferSize); return &b }
	g.smallBufs.New = func() any { b := make([]byte, smallCopyBufferSize); return &b }
	g.largeBufs.New = func() any { b := make([]byte, largeCopyBufferSize); return &b }
	g.largeSlots = make(chan struct{}, maxLargeCopyBuffers)
	g.decisions.New = func() any { d := make([]authz.Decision, 0, 4); return &d }
	return g, nil
}

// NewTransport returns the transport the gateway uses to reach its
// upstream: many idle connections (every client request is one upstream
// request) and no transparent decompression (bytes pass through as the
// upstream sent them). The connection buffers keep their small default:
// bodies bypass them (responses are read with the gateway's own large
// buffer, request bodies are copied straight to the socket through
// uploadConn's), and an upstream that closes every connection (moto does)
// would otherwise cost two large allocations per request.
func NewTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return uploadConn{c}, nil
		},
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
		ResponseHeaderTimeout: 15 * time.Minute,
	}
}

// uploadConn is a connection to the upstream. The transport sends a
// request body with the connection's ReadFrom, which for a plain TCP
// connection copies through io.Copy's 32 KiB buffer; uploadConn's copies
// a large body through a pooled 256 KiB one, so that an upload of many
// megabytes makes an eighth of the system calls.
type uploadConn struct{ net.Conn }

var uploadBufs = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

func (c uploadConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok && lr.N <= smallCopyBufferSize {
		return io.Copy(writerOnly{c.Conn}, r)
	}
	bp := uploadBufs.Get().(*[]byte)
	defer uploadBufs.Put(bp)
	return io.CopyBuffer(writerOnly{c.Conn}, r, *bp)
}

// lookupMemo carries the credential a verification looked up to the code
// after it, so that each request resolves its access key once.
type lookupMemo struct{ cred *authz.Credential }

type memoKey struct{}

// secret is the verifier's SecretLookup.
func (g *Gateway) secret(ctx context.Context, id string) (string, error) {
	cred, err := g.cfg.Resolver.Lookup(ctx, id)
	if errors.Is(err, authz.ErrUnknownKey) {
		return "", fmt.Errorf("%w: %w", sigv4.ErrUnknownAccessKey, err)
	}
	if err != nil {
		return "", err
	}
	if m, ok := ctx.Value(memoKey{}).(*lookupMemo); ok {
		m.cred = cred
	}
	return cred.Secret, nil
}

// exchange is one request on its way through the gateway.
type exchange struct {
	g     *Gateway
	w     http.ResponseWriter
	r     *http.Request
	info  reqinfo.Info
	ev    *audit.Event
	op    *Operation
	t     target
	query url.Values
	sig   *sigv4.Result
	cred  *authz.Credential
	now   time.Time
	// rawQuery is the query to forward: the client's, without the
	// parameters of a presigned signature.
	rawQuery string
	// body is a request body read before deciding (small documents only).
	body []byte
	// deletes is the parsed body of DeleteObjects; rewritten reports that
	// body was cut down to the keys the caller may delete.
	deletes   *deleteRequest
	rewritten bool
}

// ServeHTTP handles one S3 request.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{g: g, w: w, r: r, info: reqinfo.FromContext(r.Context()), now: g.now()}
	x.ev = audit.NewEvent(x.info.Received, "s3.amazonaws.com", "Unknown")
	x.ev.EventCategory, x.ev.ManagementEvent = "Data", false
	x.ev.AWSRegion, x.ev.SourceIPAddress, x.ev.UserAgent, x.ev.RequestID = g.cfg.Region, x.info.SourceIP, x.info.UserAgent, x.info.RequestID
	x.serve()
}

func (x *exchange) serve() {
	g, r := x.g, x.r
	rawPath, rawQuery := splitRequestURI(r)

	// Recognise the request first so that its audit event names the
	// operation, but answer a failure only after the signature: callers
	// who cannot sign learn nothing about what we serve.
	t, targetErr := resolveTarget(r, rawPath, g.cfg.Domains)
	x.t = t
	var opErr *s3Error
	if targetErr == nil {
		x.query, x.rawQuery, opErr = forwardQuery(rawQuery)
		if opErr == nil {
			x.op, opErr = classify(r.Method, t, x.query, r.Header, g.arns)
		}
	}
	if x.op != nil {
		x.ev.EventName, x.ev.ReadOnly = x.op.Name, x.op.ReadOnly
	}
	x.ev.RequestParameters = x.requestParameters()

	memo := &lookupMemo{}
	sig, err := g.verifier.Verify(context.WithValue(r.Context(), memoKey{}, memo), r, sigv4.StreamedBody())
	if err != nil {
		if k, _ := sigv4.KindOf(err); k == sigv4.Internal {
			g.log.Error("s3 gateway: verification failed", "request_id", x.info.RequestID, "err", err)
		}
		x.fail(fromSigV4(err), nil)
		return
	}
	x.sig = sig
	x.cred = memo.cred
	if x.cred == nil {
		g.log.Error("s3 gateway: verified request without a looked-up credential", "request_id", x.info.RequestID)
		x.fail(errInternal(), nil)
		return
	}
	x.ev.UserIdentity = authz.UserIdentity(&x.cred.Principal)
	x.ev.RecipientAccountID = x.cred.Principal.AccountID
	x.ev.AdditionalEventData = map[string]any{"SignatureVersion": "SigV4", "AuthenticationMethod": authMethod(sig), "x-amz-id-2": g.hostID}

	switch err := x.cred.Check(sig.SecurityToken, x.now); {
	case errors.Is(err, authz.ErrInvalidToken):
		x.fail(&s3Error{Status: http.StatusBadRequest, Code: "InvalidToken", Message: "The provided token is malformed or otherwise invalid."}, nil)
		return
	case errors.Is(err, authz.ErrExpired):
		x.fail(&s3Error{Status: http.StatusBadRequest, Code: "ExpiredToken", Message: "The provided token has expired."}, nil)
		return
	case errors.Is(err, authz.ErrRevoked):
		var checks []authz.Check
		if x.op != nil {
			checks = x.op.Checks
			if len(checks) == 0 {
				// DeleteObjects names its keys in a body not read yet.
				checks = []authz.Check{{Action: x.op.spec.action, Resource: g.arns.Bucket(x.op.Bucket)}}
			}
		}
		x.fail(errAccessDenied(), authz.DenyAll(checks, "the session's credentials were revoked", nil))
		return
	case err != nil:
		x.fail(errInternal(), nil)
		return
	}
	if targetErr != nil {
		x.fail(targetErr, nil)
		return
	}
	if opErr != nil {
		x.fail(opErr, nil)
		return
	}
	if bad := x.checkBodyFraming(); bad != nil {
		x.fail(bad, nil)
		return
	}

	// Operations that name what they act on in their body are read (a
	// bounded, small document) before deciding.
	if x.op.spec.body != bodyStream {
		if serr := x.readSmallBody(); serr != nil {
			x.fail(serr, nil)
			return
		}
	}

	ds, err := x.decide()
	var serr *s3Error
	if errors.As(err, &serr) {
		x.fail(serr, nil)
		return
	}
	if err != nil {
		g.log.Error("s3 gateway: decision failed", "request_id", x.info.RequestID, "operation", x.op.Name, "err", err)
		x.fail(errInternal(), nil)
		return
	}
	defer x.putDecisions(ds)
	if x.op.spec.body == bodyDeleteObjects {
		x.deleteObjects(ds)
		return
	}
	if d := authz.Denied(ds); d != nil {
		x.fail(errAccessDenied(), ds)
		return
	}
	authz.Annotate(x.ev, &x.cred.Principal, ds)
	if !x.op.ReadOnly {
		// A change is recorded before it is made: no audit, no change.
		if err := g.recordNow(r.Context(), x.ev); err != nil {
			g.log.Error("s3 gateway: audit write failed", "request_id", x.info.RequestID, "err", err)
			writeError(x.w, r, errInternal(), x.info.RequestID, g.hostID)
			return
		}
		x.forward(nil)
		return
	}
	// A read changes nothing upstream, so its record is written while the
	// upstream answers; the answer waits for the record (no audit, no
	// answer). The event is not touched again once handed over.
	x.forward(g.enqueue(r.Context(), x.ev))
}

// enqueue hands the event of a read to the recorder and returns a function
// that waits until it is durable. A Journal gathers it with others without
// a goroutine of its own and commits it at the latest when it is waited
// for.
func (g *Gateway) enqueue(ctx context.Context, ev *audit.Event) (wait func() error) {
	if j, ok := g.cfg.Audit.(interface {
		Enqueue(*audit.Event) func() error
	}); ok {
		return j.Enqueue(ev)
	}
	recorded := make(chan error, 1)
	go func() { recorded <- g.cfg.Audit.Record(context.WithoutCancel(ctx), ev) }()
	return func() error { return <-recorded }
}

// recordNow writes an event that must be durable before the gateway goes
// on, without waiting for others to join it when the recorder gathers
// events.
func (g *Gateway) recordNow(ctx context.Context, ev *audit.Event) error {
	if j, ok := g.cfg.Audit.(interface {
		RecordNow(context.Context, *audit.Event) error
	}); ok {
		return j.RecordNow(ctx, ev)
	}
	return g.cfg.Audit.Record(ctx, ev)
}

// fail records a refused request and answers it. The decisions, when the
// refusal is one, go into the audit event with their deciding statements.
func (x *exchange) fail(e *s3Error, ds []authz.Decision) {
	var p *authz.Principal
	if x.cred != nil {
		p = &x.cred.Principal
	}
	if p != nil || ds != nil {
		authz.Annotate(x.ev, p, ds)
	}
	x.ev.Fail(e.Code, e.Message)
	if err := x.g.recordNow(x.r.Context(), x.ev); err != nil {
		x.g.log.Error("s3 gateway: audit write failed", "request_id", x.info.RequestID, "err", err)
		e = errInternal()
	}
	writeError(x.w, x.r, e, x.info.RequestID, x.g.hostID)
}

func authMethod(sig *sigv4.Result) string {
	if sig.Presigned {
		return "QueryString"
	}
	return "AuthHeader"
}

// requestParameters are the audit event's requestParameters, in the shape
// of CloudTrail's S3 data events.
func (x *exchange) requestParameters() map[string]any {
	p := map[string]any{"Host": x.r.Host}
	if x.t.Bucket != "" {
		p["bucketName"] = x.t.Bucket
	}
	if x.t.Key != "" {
		p["key"] = x.t.Key
	}
	for k, vs := range x.query {
		if len(vs) > 0 {
			p[k] = vs[0]
		}
	}
	return p
}

// decide evaluates the operation's checks for the caller.
func (x *exchange) decide() ([]authz.Decision, error) {
	az := x.g.cfg.Authz
	p := &x.cred.Principal
	set, err := az.PolicySetFor(x.r.Context(), p)
	if err != nil && !errors.Is(err, authz.ErrNotProvisioned) {
		return nil, err
	}
	c := az.GetContext()
	defer az.PutContext(c)
	az.AddPrincipalKeys(c, p, x.now)
	addRequestKeys(c, x.op, &requestFacts{r: x.r, query: x.query, sig: x.sig, sourceIP: x.info.SourceIP, region: x.g.cfg.Region, now: x.now})
	if err := x.addBodyKeys(c); err != nil {
		return nil, err
	}
	if set != nil && x.op.spec.objectTags && set.References("s3:ExistingObjectTag/") {
		tags, err := x.g.objectTags(x.r.Context(), x.op.Bucket, x.op.Key, x.op.VersionID)
		if err != nil {
			return nil, err
		}
		for k, v := range tags {
			c.Add("s3:ExistingObjectTag/"+k, v)
		}
	}
	dst := (*x.g.decisions.Get().(*[]authz.Decision))[:0]
	if x.op.spec.body == bodyDeleteObjects {
		return x.decideDeleteObjects(set, p, c, dst)
	}
	return authz.EvaluateSet(set, p, x.op.Checks, c, dst), nil
}

func (x *exchange) putDecisions(ds []authz.Decision) {
	if cap(ds) > 64 {
		return // a large DeleteObjects; let it go
	}
	clear(ds)
	ds = ds[:0]
	x.g.decisions.Put(&ds)
}

// splitRequestURI returns the path and query exactly as the client sent
// them.
func splitRequestURI(r *http.Request) (string, string) {
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' {
		// Absolute-form request lines (proxies) and requests built in
		// process: fall back to the parsed URL.
		return r.URL.EscapedPath(), r.URL.RawQuery
	}
	p, q, _ := strings.Cut(uri, "?")
	return p, q
}

// forwardQuery decodes the query and returns it without the parameters of
// a presigned signature, both decoded and as raw text to forward.
func forwardQuery(raw string) (url.Values, string, *s3Error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, "", &s3Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: "The query string is malformed."}
	}
	presigned := false
	for k := range q {
		if isPresignParam(k) {
			delete(q, k)
			presigned = true
		}
	}
	if !presigned {
		return q, raw, nil
	}
	var kept []string
	for seg := range strings.SplitSeq(raw, "&") {
		k, _, _ := strings.Cut(seg, "=")
		if dk, err := url.QueryUnescape(k); err == nil && isPresignParam(dk) {
			continue
		}
		if seg != "" {
			kept = append(kept, seg)
		}
	}
	return q, strings.Join(kept, "&"), nil
}

// checkBodyFraming refuses bodies the gateway cannot forward: S3 needs a
// Content-Length (or, for aws-chunked uploads, the decoded length).
func (x *exchange) checkBodyFraming() *s3Error {
	r := x.r
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodDelete:
		if r.ContentLength > 0 && x.op.spec.body == bodyStream {
			// Bodies on these methods mean nothing to S3; refuse rather
			// than forward bytes no signature covered the meaning of.
			return &s3Error{Status: http.StatusBadRequest, Code: "InvalidRequest", Message: "A body is not allowed on this request."}
		}
		return nil
	}
	if isStreaming(x.sig.PayloadHash) {
		if x.sig.DecodedContentLength < 0 {
			return &s3Error{Status: http.StatusLengthRequired, Code: "MissingContentLength", Message: "You must provide the Content-Length HTTP header."}
		}
		return nil
	}
	if r.ContentLength < 0 {
		return &s3Error{Status: http.StatusLengthRequired, Code: "MissingContentLength", Message: "You must provide the Content-Length HTTP header."}
	}
	return nil
}

func isStreaming(ph string) bool {
	return ph == sigv4.StreamingPayload || ph == sigv4.StreamingPayloadTrailer || ph == sigv4.StreamingUnsignedPayloadTrailer
}

// maxSmallBody bounds the documents read before deciding. A DeleteObjects
// of 1,000 keys of 1,024 bytes each, escaped, fits.
const maxSmallBody = 4 << 20

// readSmallBody reads and verifies a small request body.
func (x *exchange) readSmallBody() *s3Error {
	if x.op.spec.body == bodyNotImplemented {
		return errNotImplemented("The request is not supported by the Gatehouse S3 gateway.")
	}
	pr := x.sig.Payload(x.r.Body)
	body, err := io.ReadAll(io.LimitReader(pr, maxSmallBody+1))
	if err != nil {
		if _, ok := sigv4.KindOf(err); ok {
			return fromSigV4(err)
		}
		return &s3Error{Status: http.StatusBadRequest, Code: "IncompleteBody", Message: "You did not provide the number of bytes specified by the Content-Length HTTP header."}
	}
	if len(body) > maxSmallBody {
		return &s3Error{Status: http.StatusBadRequest, Code: "MaxMessageLengthExceeded", Message: "Your request was too big."}
	}
	x.body = body
	return nil
}

// forward sends the authorised request to the upstream, re-signed, and
// streams the answer back. audited, when not nil, waits for the request's
// audit record, which is being written meanwhile.
func (x *exchange) forward(audited func() error) {
	g, r := x.g, x.r
	ctx := r.Context()
	if audited != nil {
		// Whatever happens below, the answer waits for the audit record
		// and fails if it could not be written.
		defer func() {
			if audited != nil {
				_ = audited()
			}
		}()
	}
	waitAudit := func() bool {
		if audited == nil {
			return true
		}
		err := audited()
		audited = nil
		if err != nil {
			g.log.Error("s3 gateway: audit write failed", "request_id", x.info.RequestID, "err", err)
			writeError(x.w, r, errInternal(), x.info.RequestID, g.hostID)
			return false
		}
		return true
	}
	out, bodyErr, err := x.upstreamRequest(ctx)
	if err != nil {
		g.log.Error("s3 gateway: build upstream request", "request_id", x.info.RequestID, "err", err)
		if waitAudit() {
			writeError(x.w, r, errInternal(), x.info.RequestID, g.hostID)
		}
		return
	}
	resp, err := g.transport.RoundTrip(out)
	if err != nil {
		if bodyErr != nil && bodyErr.err != nil {
			// The client's body failed its signature or checksum on the
			// way: the upstream got a truncated request and will discard
			// it.
			x.bodyFailed(bodyErrorToS3(bodyErr.err))
			return
		}
		if ctx.Err() == nil {
			g.log.Error("s3 gateway: upstream request failed", "request_id", x.info.RequestID, "operation", x.op.Name, "err", err)
		}
		if waitAudit() {
			writeError(x.w, r, &s3Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "Please reduce your request rate."}, x.info.RequestID, g.hostID)
		}
		return
	}
	defer resp.Body.Close()
	if bodyErr != nil && bodyErr.err != nil {
		// The upstream answered although the body failed verification
		// (it may answer early); never pass that answer on.
		x.bodyFailed(bodyErrorToS3(bodyErr.err))
		return
	}
	if !waitAudit() {
		return
	}
	h := x.w.Header()
	for k, vs := range resp.Header {
		if hopByHop(k) || k == "X-Amzn-Requestid" {
			// The request id of the gateway's answer is the one its audit
			// event carries.
			continue
		}
		h[k] = vs
	}
	x.w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodHead {
		return
	}
	buf, release := g.copyBuffer(resp.ContentLength)
	defer release()
	// writerOnly hides the ResponseWriter's ReadFrom, which would copy
	// through a 32 KiB buffer of its own: the gateway's larger buffer
	// moves a big object in fewer system calls.
	if _, err := io.CopyBuffer(writerOnly{x.w}, resp.Body, buf); err != nil && ctx.Err() == nil {
		// Headers are gone; all we can do is cut the response short so
		// the client sees a length mismatch.
		g.log.Warn("s3 gateway: response copy failed", "request_id", x.info.RequestID, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// bodyFailed answers a request whose body failed verification after the
// decision was recorded, and records the failure in an event of its own
// (the decision's event already said "allowed").
func (x *exchange) bodyFailed(e *s3Error) {
	ev := audit.NewEvent(x.info.Received, x.ev.EventSource, x.ev.EventName)
	ev.EventCategory, ev.ManagementEvent, ev.ReadOnly = x.ev.EventCategory, x.ev.ManagementEvent, x.ev.ReadOnly
	ev.AWSRegion, ev.SourceIPAddress, ev.UserAgent, ev.RequestID = x.ev.AWSRegion, x.ev.SourceIPAddress, x.ev.UserAgent, x.ev.RequestID
	ev.UserIdentity, ev.RecipientAccountID, ev.RequestParameters = x.ev.UserIdentity, x.ev.RecipientAccountID, x.ev.RequestParameters
	ev.AdditionalEventData = map[string]any{"reason": "the request body failed verification; the upstream did not receive it whole"}
	ev.Fail(e.Code, e.Message)
	if err := x.g.recordNow(x.r.Context(), ev); err != nil {
		x.g.log.Error("s3 gateway: audit write failed", "request_id", x.info.RequestID, "err", err)
		e = errInternal()
	}
	writeError(x.w, x.r, e, x.info.RequestID, x.g.hostID)
}

func bodyErrorToS3(err error) *s3Error {
	if _, ok := sigv4.KindOf(err); ok {
		return fromSigV4(err)
	}
	return &s3Error{Status: http.StatusBadRequest, Code: "IncompleteBody", Message: "You did not provide the number of bytes specified by the Content-Length HTTP header."}
}

// writerOnly is an io.Writer and nothing more.
type writerOnly struct{ io.Writer }

// bodyReader remembers the error of the client's body, which the
// transport would otherwise report only as a failed request.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (b *bodyReader) Close() error { return nil }

// requestHeadersNotForwarded are the client's headers that belong to its
// signature, its connection or its body encoding, not to the request.
var requestHeadersNotForwarded = map[string]bool{
	"Authorization": true, "X-Amz-Date": true, "X-Amz-Security-Token": true, "X-Amz-Content-Sha256": true,
	"X-Amz-Decoded-Content-Length": true, "X-Amz-Trailer": true, "Expect": true, "Host": true,
	"Content-Length": true, "Connection": true, "Keep-Alive": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true, "Forwarded": true,
}

// upstreamRequest builds the request to the upstream: path-style, the
// client's query (without presigning) and headers, the body as verified,
// signed with the upstream's credentials.
func (x *exchange) upstreamRequest(ctx context.Context) (*http.Request, *bodyReader, error) {
	r := x.r
	u := &url.URL{Scheme: x.g.upstream.Scheme, Host: x.g.upstream.Host, Opaque: x.t.upstreamPath, RawQuery: x.rawQuery}
	out, err := http.NewRequestWithContext(ctx, r.Method, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	out.URL = u
	out.Host = x.g.upstream.Host
	for k, vs := range r.Header {
		if requestHeadersNotForwarded[k] {
			continue
		}
		out.Header[k] = vs
	}
	payloadHash := sigv4.EmptySHA256
	var br *bodyReader
	switch {
	case x.body != nil:
		sum := sha256.Sum256(x.body)
		payloadHash = hex.EncodeToString(sum[:])
		out.Body = io.NopCloser(bytes.NewReader(x.body))
		out.ContentLength = int64(len(x.body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(x.body)), nil }
		if out.ContentLength == 0 {
			out.Body = http.NoBody
		}
	case isStreaming(x.sig.PayloadHash):
		// aws-chunked: the gateway decodes the chunks and checks their
		// signatures and checksum trailers; the upstream gets the plain
		// bytes, unsigned, with their decoded length.
		removeAwsChunked(out.Header)
		br = &bodyReader{r: &holdback{r: x.sig.Payload(r.Body)}}
		out.Body, out.ContentLength, payloadHash = br, x.sig.DecodedContentLength, sigv4.UnsignedPayload
		if out.ContentLength == 0 {
			out.Body = http.NoBody
		}
	case r.ContentLength > 0:
		br = &bodyReader{r: &holdback{r: x.sig.Payload(r.Body)}}
		out.Body, out.ContentLength = br, r.ContentLength
		payloadHash = x.sig.PayloadHash
		if payloadHash == sigv4.EmptySHA256 {
			// A body declared empty that is not: the check in Payload
			// fails it on the way.
			payloadHash = sigv4.UnsignedPayload
		}
	default:
		out.Body = http.NoBody
		if x.sig.PayloadHash == sigv4.UnsignedPayload {
			payloadHash = sigv4.UnsignedPayload
		}
	}
	out.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if x.body != nil && x.op.spec.body == bodyDeleteObjects && x.bodyRewritten() {
		sum := md5.Sum(x.body)
		out.Header.Set("Content-Md5", base64.StdEncoding.EncodeToString(sum[:]))
		for k := range out.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") || strings.EqualFold(k, "X-Amz-Sdk-Checksum-Algorithm") {
				out.Header.Del(k)
			}
		}
	}
	if err := x.g.signer.Sign(out, payloadHash, x.g.cfg.UpstreamCredentials, x.g.cfg.UpstreamRegion, "s3", x.g.now()); err != nil {
		return nil, nil, err
	}
	return out, br, nil
}

// removeAwsChunked drops what describes the aws-chunked encoding of a
// body the gateway decodes.
func removeAwsChunked(h http.Header) {
	if ce := h.Values("Content-Encoding"); len(ce) > 0 {
		var kept []string
		for _, v := range ce {
			for part := range strings.SplitSeq(v, ",") {
				if p := strings.TrimSpace(part); p != "" && !strings.EqualFold(p, "aws-chunked") {
					kept = append(kept, p)
				}
			}
		}
		h.Del("Content-Encoding")
		if len(kept) > 0 {
			h.Set("Content-Encoding", strings.Join(kept, ","))
		}
	}
	// The checksum arrived as a trailer, which the gateway verified and
	// does not forward; announcing its algorithm would make the upstream
	// wait for it.
	h.Del("X-Amz-Sdk-Checksum-Algorithm")
}

func hopByHop(k string) bool {
	switch k {
	case "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}
