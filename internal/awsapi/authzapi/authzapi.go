// Package authzapi serves Gatehouse's authorization API: other services
// ask Gatehouse for its decision instead of evaluating IAM policies
// themselves. It is a JSON 1.1 service with the target prefix
// "GatehouseAuthz" on the main listener, signed with SigV4 (signing name
// "gatehouse") by the calling service's administrator key, with two
// operations:
//
//   - AuthorizeRequest takes the facts of a SigV4-signed request the
//     service received (method, path and query as sent, headers, payload
//     hash), verifies its signature as the service itself would, resolves
//     the signer (Gatehouse-issued temporary credentials or an
//     administrator key), and decides an action on a resource with the
//     signer's session facts and the service's context keys.
//   - Authorize decides for an explicit principal: an access key id, or a
//     provisioned role whose session facts the caller supplies.
//
// Both answer the decision (Allow, ExplicitDeny, ImplicitDeny) and the
// statement that decided, and the call's audit event records it.
// docs/authorization-api.md documents the API with an example in Go.
package authzapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// TargetPrefix and SigningName of the service.
const (
	TargetPrefix = "GatehouseAuthz"
	SigningName  = "gatehouse"
)

// Action is the IAM action a caller needs to use the API.
const Action = "gatehouse:Authorize"

// Limits of an input.
const (
	maxContextKeys   = 100
	maxContextValues = 50
	maxHeaders       = 200
)

type api struct {
	az       *authz.Service
	resolver *authz.Resolver
	region   string
	now      func() time.Time

	mu        sync.Mutex
	verifiers map[verifierKey]*sigv4.Verifier
}

type verifierKey struct{ service, region string }

// Service returns the API's service description for the JSON router.
// region is the default Region of forwarded requests' signatures;
// authorizer decides who may call (ManagementAccountOnly: administrators).
func Service(az *authz.Service, resolver *authz.Resolver, region string, authorizer awsapi.Authorizer, now func() time.Time) *awsapi.JSONService {
	if now == nil {
		now = time.Now
	}
	a := &api{az: az, resolver: resolver, region: region, now: now, verifiers: map[verifierKey]*sigv4.Verifier{}}
	return &awsapi.JSONService{
		TargetPrefix: TargetPrefix,
		SigningName:  SigningName,
		EventSource:  "gatehouse.amazonaws.com",
		Operations: map[string]awsapi.Operation{
			"Authorize":        awsapi.Op(true, awsapi.Guard(authorizer, Action, nil, a.authorize)),
			"AuthorizeRequest": awsapi.Op(true, awsapi.Guard(authorizer, Action, nil, a.authorizeRequest)),
		},
	}
}

// PrincipalRef names the principal of Authorize: exactly one of an access
// key id and a role ARN.
type PrincipalRef struct {
	AccessKeyID string `json:"AccessKeyId,omitempty"`
	RoleArn     string `json:"RoleArn,omitempty"`
}

// AuthorizeInput is the input of Authorize.
type AuthorizeInput struct {
	Principal PrincipalRef `json:"Principal"`
	Action    string       `json:"Action"`
	Resource  string       `json:"Resource"`
	// Context holds condition keys and their values. Keys Gatehouse knows
	// from the principal's session (aws:PrincipalArn, aws:PrincipalTag/*,
	// aws:MultiFactorAuthPresent, …) are refused for access-key
	// principals; for a role they may describe the session.
	Context map[string][]string `json:"Context,omitempty"`
}

// SignedRequest is what a service received: the request line, the
// headers and the payload hash, without the body.
type SignedRequest struct {
	Method string `json:"Method"`
	// Path and Query are exactly as sent (still percent-encoded).
	Path    string              `json:"Path"`
	Query   string              `json:"Query,omitempty"`
	Headers map[string][]string `json:"Headers"`
	// PayloadHash is the body's lowercase hex SHA-256, which the service
	// computed. For S3-style requests it may be left out: the
	// X-Amz-Content-Sha256 header's value is then what was signed
	// (UNSIGNED-PAYLOAD, STREAMING-*), and checking the body against it
	// stays the service's job.
	PayloadHash string `json:"PayloadHash,omitempty"`
}

// AuthorizeRequestInput is the input of AuthorizeRequest.
type AuthorizeRequestInput struct {
	Request SignedRequest `json:"Request"`
	// SigningName is the service name the client signed for, e.g. "s3"
	// (S3's signing rules then apply) or "execute-api".
	SigningName string `json:"SigningName"`
	// Region is the Region the client signed for; default Gatehouse's.
	Region   string              `json:"Region,omitempty"`
	Action   string              `json:"Action"`
	Resource string              `json:"Resource"`
	Context  map[string][]string `json:"Context,omitempty"`
}

// Statement names the statement that decided.
type Statement struct {
	Policy string `json:"Policy"`
	// Layer is identity, boundary, session or resource.
	Layer string `json:"Layer"`
	// Index is the statement's position in the policy's Statement array.
	Index int    `json:"Index"`
	Sid   string `json:"Sid,omitempty"`
}

// PrincipalOut describes the principal a decision was made for.
type PrincipalOut struct {
	Type         string `json:"Type"`
	Arn          string `json:"Arn"`
	PrincipalArn string `json:"PrincipalArn"`
	AccountID    string `json:"AccountId"`
	AccessKeyID  string `json:"AccessKeyId,omitempty"`
	UserName     string `json:"UserName,omitempty"`
	UserID       string `json:"UserId,omitempty"`
	MfaPresent   *bool  `json:"MfaPresent,omitempty"`
}

// Output is the answer of both operations.
type Output struct {
	// Decision is Allow, ExplicitDeny or ImplicitDeny.
	Decision string `json:"Decision"`
	Allowed  bool   `json:"Allowed"`
	// DecidingStatement is the statement that allowed or explicitly
	// denied; absent for an implicit deny, whose Layer then says which
	// layer lacked an allow.
	DecidingStatement *Statement `json:"DecidingStatement,omitempty"`
	Layer             string     `json:"Layer,omitempty"`
	// Reason explains a deny that no statement made (revoked or expired
	// credentials, a role no longer provisioned, a failed signature).
	Reason    string        `json:"Reason,omitempty"`
	Principal *PrincipalOut `json:"Principal,omitempty"`

	// AuthorizeRequest only: whether the forwarded request's signature and
	// credentials held, and if not the error the service should answer,
	// in its protocol's words.
	Authenticated *bool         `json:"Authenticated,omitempty"`
	Error         *RequestError `json:"Error,omitempty"`
}

// RequestError is the error a service should answer a request with.
type RequestError struct {
	HTTPStatus int    `json:"HttpStatus"`
	Code       string `json:"Code"`
	Message    string `json:"Message"`
}

// AdministratorsOnly lets the long-term administrator keys of the
// management account call the API. Role sessions are refused even in that
// account: a user's own credentials must not ask about other principals
// (delegated administration will widen this with IAM policies).
type AdministratorsOnly struct{ AccountID string }

// Authorize implements awsapi.Authorizer.
func (a AdministratorsOnly) Authorize(_ context.Context, r awsapi.AuthzRequest) error {
	if r.Caller.AccountID != a.AccountID || r.Caller.Type != "IAMUser" || r.Caller.Session != nil {
		return fault.Deniedf("User: %s is not authorized to perform: %s", r.Caller.PrincipalARN, r.Action)
	}
	return nil
}

// principalKeys are the condition keys Gatehouse derives from a
// principal; a caller may not set them.
var principalKeys = []string{"aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid",
	"aws:username", "aws:principalisawsservice", "aws:currenttime", "aws:epochtime"}

// sessionKeys are the keys of a session's facts: set by Gatehouse for
// access-key principals, by the caller for role principals.
var sessionKeys = []string{"aws:multifactorauthpresent", "aws:multifactorauthage", "aws:tokenissuetime"}

func checkContext(ctx map[string][]string, allowSession bool) error {
	if len(ctx) > maxContextKeys {
		return fault.Invalidf("Context has %d keys; at most %d are allowed", len(ctx), maxContextKeys)
	}
	for k, vs := range ctx {
		lk := strings.ToLower(k)
		prefix, name, ok := strings.Cut(lk, ":")
		if !ok || prefix == "" || name == "" {
			return fault.Invalidf("Context key %q needs a service prefix, as in aws:SourceIp", k)
		}
		if len(vs) == 0 || len(vs) > maxContextValues {
			return fault.Invalidf("Context key %s needs 1 to %d values", k, maxContextValues)
		}
		for _, p := range principalKeys {
			if lk == p {
				return fault.Invalidf("Context key %s is derived by Gatehouse from the principal and cannot be given", k)
			}
		}
		if allowSession {
			continue
		}
		if strings.HasPrefix(lk, "aws:principaltag/") {
			return fault.Invalidf("Context key %s is derived by Gatehouse from the session and cannot be given", k)
		}
		for _, p := range sessionKeys {
			if lk == p {
				return fault.Invalidf("Context key %s is derived by Gatehouse from the session and cannot be given", k)
			}
		}
	}
	return nil
}

func checkActionResource(action, resource string) error {
	svc, name, ok := strings.Cut(action, ":")
	if !ok || svc == "" || name == "" || strings.ContainsAny(action, "*?") {
		return fault.Invalidf("Action %q must be service:Action without wildcards", action)
	}
	if resource != "*" && !strings.HasPrefix(resource, "arn:") {
		return fault.Invalidf("Resource %q must be an ARN or *", resource)
	}
	return nil
}

func (a *api) authorize(ctx context.Context, in *AuthorizeInput) (*Output, error) {
	if err := checkActionResource(in.Action, in.Resource); err != nil {
		return nil, err
	}
	ref := in.Principal
	var p *authz.Principal
	switch {
	case ref.AccessKeyID != "" && ref.RoleArn == "":
		if err := checkContext(in.Context, false); err != nil {
			return nil, err
		}
		cred, err := a.resolver.Lookup(ctx, ref.AccessKeyID)
		if errors.Is(err, authz.ErrUnknownKey) {
			return nil, fault.NotFoundf("ACCESS_KEY", ref.AccessKeyID, "The access key %s does not exist", ref.AccessKeyID)
		}
		if err != nil {
			return nil, err
		}
		p = &cred.Principal
		// The caller vouches that the key signed its request; the session
		// must still be live.
		switch err := cred.CheckSession(a.now()); {
		case errors.Is(err, authz.ErrExpired):
			return a.deny(ctx, p, in.Action, in.Resource, "the session has expired"), nil
		case errors.Is(err, authz.ErrRevoked):
			return a.deny(ctx, p, in.Action, in.Resource, "the session's credentials were revoked"), nil
		case err != nil:
			return nil, err
		}
	case ref.RoleArn != "" && ref.AccessKeyID == "":
		if err := checkContext(in.Context, true); err != nil {
			return nil, err
		}
		var err error
		p, err = a.az.RolePrincipal(ctx, ref.RoleArn)
		if errors.Is(err, authz.ErrNotProvisioned) {
			return nil, fault.NotFoundf("ROLE", ref.RoleArn, "The role %s is not provisioned", ref.RoleArn)
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, fault.Invalidf("Principal needs exactly one of AccessKeyId and RoleArn")
	}
	return a.decide(ctx, p, in.Action, in.Resource, in.Context, nil)
}

func (a *api) authorizeRequest(ctx context.Context, in *AuthorizeRequestInput) (*Output, error) {
	if err := checkActionResource(in.Action, in.Resource); err != nil {
		return nil, err
	}
	if err := checkContext(in.Context, false); err != nil {
		return nil, err
	}
	if in.SigningName == "" || strings.ContainsAny(in.SigningName, "/ ") {
		return nil, fault.Invalidf("SigningName is required, e.g. s3")
	}
	region := in.Region
	if region == "" {
		region = a.region
	}
	s3 := in.SigningName == "s3"
	r, err := buildRequest(in.Request)
	if err != nil {
		return nil, err
	}
	var payload sigv4.Payload
	switch ph := in.Request.PayloadHash; {
	case ph != "" && isHex64(ph):
		payload = sigv4.BodySHA256(ph)
	case ph != "":
		return nil, fault.Invalidf("PayloadHash must be the body's lowercase hex SHA-256")
	case s3:
		payload = sigv4.StreamedBody()
	default:
		return nil, fault.Invalidf("PayloadHash is required for services other than s3")
	}
	v, err := a.verifier(in.SigningName, region)
	if err != nil {
		return nil, err
	}
	memo := &lookupMemo{}
	res, err := v.Verify(context.WithValue(ctx, memoKey{}, memo), r, payload)
	if err != nil {
		if k, _ := sigv4.KindOf(err); k == sigv4.Internal {
			return nil, err
		}
		return a.unauthenticated(ctx, wire(err, s3)), nil
	}
	cred := memo.cred
	if cred == nil {
		return nil, errors.New("authzapi: verified request without a credential")
	}
	switch err := cred.Check(res.SecurityToken, a.now()); {
	case errors.Is(err, authz.ErrInvalidToken):
		return a.unauthenticated(ctx, wire(&sigv4.Error{Kind: sigv4.InvalidSecurityToken, Message: "The security token included in the request is invalid."}, s3)), nil
	case errors.Is(err, authz.ErrExpired):
		e := &sigv4.Error{Kind: sigv4.ExpiredToken, Message: "The security token included in the request is expired"}
		w := wire(e, s3)
		if s3 {
			w.Message = "The provided token has expired."
		}
		return a.unauthenticated(ctx, w), nil
	case errors.Is(err, authz.ErrRevoked):
		out := a.deny(ctx, &cred.Principal, in.Action, in.Resource, "the session's credentials were revoked")
		out.Authenticated = ptr(true)
		return out, nil
	case err != nil:
		return nil, err
	}
	extra := func(c *policy.Context) {
		if s3 {
			if res.Presigned {
				c.Add("s3:authType", "REST-QUERY-STRING")
			} else {
				c.Add("s3:authType", "REST-HEADER")
			}
			c.Add("s3:signatureversion", sigv4.Algorithm)
		}
	}
	out, err := a.decide(ctx, &cred.Principal, in.Action, in.Resource, in.Context, extra)
	if err != nil {
		return nil, err
	}
	out.Authenticated = ptr(true)
	return out, nil
}

func (a *api) decide(ctx context.Context, p *authz.Principal, action, resource string, keys map[string][]string, extra func(*policy.Context)) (*Output, error) {
	c := a.az.GetContext()
	defer a.az.PutContext(c)
	a.az.AddPrincipalKeys(c, p, a.now())
	for k, vs := range keys {
		for _, v := range vs {
			c.Add(k, v)
		}
	}
	if extra != nil {
		extra(c)
	}
	ds, err := a.az.Evaluate(ctx, p, []authz.Check{{Action: action, Resource: resource}}, c, nil)
	if err != nil {
		return nil, err
	}
	if ev, ok := audit.FromContext(ctx); ok {
		authz.AnnotateSubject(ev, p, ds)
		ev.RequestParameters = map[string]any{"action": action, "resource": resource, "principal": p.ARN}
	}
	return output(p, ds[0]), nil
}

// deny answers a deny that no statement made, audited like a decision.
func (a *api) deny(ctx context.Context, p *authz.Principal, action, resource, reason string) *Output {
	ds := authz.DenyAll([]authz.Check{{Action: action, Resource: resource}}, reason, nil)
	if ev, ok := audit.FromContext(ctx); ok {
		authz.AnnotateSubject(ev, p, ds)
		ev.RequestParameters = map[string]any{"action": action, "resource": resource, "principal": p.ARN}
	}
	return output(p, ds[0])
}

func output(p *authz.Principal, d authz.Decision) *Output {
	out := &Output{Decision: d.Decision.String(), Allowed: d.Allowed(), Reason: d.Reason, Principal: principalOut(p)}
	if d.Policy != "" && d.Statement >= 0 {
		out.DecidingStatement = &Statement{Policy: d.Policy, Layer: d.Layer.String(), Index: d.Statement, Sid: d.Sid}
	} else if d.Layer != 0 {
		out.Layer = d.Layer.String()
	}
	return out
}

func principalOut(p *authz.Principal) *PrincipalOut {
	out := &PrincipalOut{Type: p.Kind.String(), Arn: p.ARN, PrincipalArn: p.PrincipalARN, AccountID: p.AccountID,
		AccessKeyID: p.AccessKeyID, UserName: p.UserName, UserID: p.UserID}
	if p.Kind == authz.KindRoleSession {
		out.MfaPresent = ptr(p.MFAPresent)
	}
	return out
}

// unauthenticated answers a forwarded request whose signature or
// credentials failed, and records the failure in the call's audit event.
func (a *api) unauthenticated(ctx context.Context, w sigv4.Wire) *Output {
	if ev, ok := audit.FromContext(ctx); ok {
		if ev.AdditionalEventData == nil {
			ev.AdditionalEventData = map[string]any{}
		}
		ev.AdditionalEventData["authenticationError"] = w.Code
	}
	return &Output{Decision: policy.ImplicitDeny.String(), Reason: "the request's signature or credentials did not hold",
		Authenticated: ptr(false), Error: &RequestError{HTTPStatus: w.Status, Code: w.Code, Message: w.Message}}
}

func wire(err error, s3 bool) sigv4.Wire {
	if s3 {
		return sigv4.S3Wire(err)
	}
	return sigv4.JSONWire(err)
}

func ptr[T any](v T) *T { return &v }

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// buildRequest turns the forwarded facts into the request the verifier
// reads: the path and query exactly as sent, the Host header as the host.
func buildRequest(s SignedRequest) (*http.Request, error) {
	if s.Method == "" || !strings.HasPrefix(s.Path, "/") || strings.ContainsAny(s.Path, "? \r\n") || strings.ContainsAny(s.Query, " \r\n#") {
		return nil, fault.Invalidf("Request needs a Method and a Path that starts with / (the query goes in Query)")
	}
	if len(s.Headers) > maxHeaders {
		return nil, fault.Invalidf("Request has more than %d headers", maxHeaders)
	}
	uri := s.Path
	if s.Query != "" {
		uri += "?" + s.Query
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, fault.Invalidf("Request Path and Query do not form a request URI")
	}
	r := &http.Request{Method: s.Method, URL: u, RequestURI: uri, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	var hosts []string
	for k, vs := range s.Headers {
		if strings.EqualFold(k, "Host") {
			hosts = append(hosts, vs...)
			continue
		}
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	switch len(hosts) {
	case 0:
		return nil, fault.Invalidf("Request needs its Host header")
	case 1:
		r.Host = hosts[0]
	default:
		// Leave them for the verifier, which refuses a repeated Host.
		r.Host = hosts[0]
		r.Header["Host"] = hosts
	}
	if cl := r.Header.Get("Content-Length"); cl != "" {
		fmt.Sscan(cl, &r.ContentLength)
	}
	return r, nil
}

// lookupMemo carries the credential the verifier looked up to the code
// after it.
type lookupMemo struct{ cred *authz.Credential }

type memoKey struct{}

func (a *api) verifier(service, region string) (*sigv4.Verifier, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := verifierKey{service, region}
	if v, ok := a.verifiers[k]; ok {
		return v, nil
	}
	if len(a.verifiers) > 64 {
		clear(a.verifiers)
	}
	cfg := sigv4.Config{
		Service: service, Regions: []string{region}, Now: a.now,
		Secrets: sigv4.SecretLookupFunc(func(ctx context.Context, id string) (string, error) {
			cred, err := a.resolver.Lookup(ctx, id)
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
		}),
	}
	if service == "s3" {
		cfg.Path, cfg.UnsignedPayload, cfg.StreamingPayload = sigv4.PathAsSent, true, true
		cfg.RequireContentSHA256, cfg.RequireSignedAmzHeaders = true, true
	}
	v, err := sigv4.NewVerifier(cfg)
	if err != nil {
		return nil, fmt.Errorf("authzapi: verifier for %s: %w", service, err)
	}
	a.verifiers[k] = v
	return v, nil
}
