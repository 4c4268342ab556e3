package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ---- RegisterClient ----

// Registration is a RegisterClient request.
type Registration struct {
	Name         string
	Type         string
	Scopes       []string
	GrantTypes   []string
	RedirectURIs []string
	IssuerURL    string
}

// Client is a registered client with its secret, shown once.
type Client struct {
	ID        string
	Secret    keyring.Secret
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// knownScopes are the scopes Gatehouse grants.
var knownScopes = []string{ScopeAccountAccess}

// RegisterClient registers a public client. Registrations are rate
// limited per source address.
func (s *Service) RegisterClient(ctx context.Context, r Registration, stage func(tx store.Tx, c Client) error) (Client, error) {
	if r.Type != "public" {
		return Client{}, oerr(ExcInvalidClientMetadata, "Only public clients can register.")
	}
	for _, sc := range r.Scopes {
		if !slices.Contains(knownScopes, sc) {
			return Client{}, oerr(ExcInvalidScope, "Invalid scope: %s", sc)
		}
	}
	for _, g := range r.GrantTypes {
		switch g {
		case GrantDeviceCode, GrantAuthCode, GrantRefreshToken:
		default:
			return Client{}, oerr(ExcUnsupportedGrantType, "Unsupported grant type: %s", g)
		}
	}
	for _, u := range r.RedirectURIs {
		if _, ok := parseLoopback(u); !ok {
			return Client{}, oerr(ExcInvalidRedirectURI, "Redirect URIs must be http loopback addresses (127.0.0.1, [::1] or localhost).")
		}
	}
	if slices.Contains(r.GrantTypes, GrantAuthCode) && len(r.RedirectURIs) == 0 {
		return Client{}, oerr(ExcInvalidRedirectURI, "The authorization code grant needs a redirect URI.")
	}
	if r.IssuerURL != "" {
		if u, err := url.Parse(r.IssuerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return Client{}, oerr(ExcInvalidRequest, "Invalid issuer URL.")
		}
	}
	now := s.now().UTC().Truncate(time.Second)
	ip := reqinfo.FromContext(ctx).SourceIP
	c := Client{ID: random("", 16), Secret: keyring.Secret(random(prefixSecret, 32)), IssuedAt: now, ExpiresAt: now.Add(ClientSecretTTL)}
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		hits, err := tx.HitRateLimit(ctx, "register:"+ip, now, s.cfg.Limits.Window)
		if err != nil {
			return err
		}
		if hits > s.cfg.Limits.RegistrationsPerIP {
			return errThrottled
		}
		if err := tx.CreateOAuthClient(ctx, store.OAuthClient{ID: c.ID, SecretHash: hash(c.Secret.Reveal()), Name: r.Name,
			Type: r.Type, Scopes: r.Scopes, GrantTypes: r.GrantTypes, RedirectURIs: r.RedirectURIs, IssuerURL: r.IssuerURL,
			SourceIP: ip, CreatedAt: now, ExpiresAt: c.ExpiresAt}); err != nil {
			return err
		}
		return stage(tx, c)
	})
	if errors.Is(err, errThrottled) {
		return Client{}, oerr(ExcSlowDown, "Too many client registrations from this address. Try again later.")
	}
	return c, err
}

var errThrottled = errors.New("oauth: rate limited")

// ---- loopback redirect URIs (RFC 8252 §7.3) ----

// loopback is a parsed loopback redirect URI.
type loopback struct {
	host, port, rest string
}

// parseLoopback accepts only http://127.0.0.1, http://[::1] and
// http://localhost addresses, with an optional port and a path: no user
// information, no fragment, no backslashes, spaces, control characters or
// dot segments, in raw or percent-decoded form. The check is done on the
// raw text, so nothing a URL parser might read differently gets through.
func parseLoopback(raw string) (loopback, bool) {
	if len(raw) > 2048 {
		return loopback{}, false
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' || c == '@' {
			return loopback{}, false
		}
	}
	rest, ok := strings.CutPrefix(raw, "http://")
	if !ok {
		return loopback{}, false
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		return loopback{}, false // a path is required
	}
	authority, tail := rest[:end], rest[end:]
	if tail[0] != '/' || strings.HasPrefix(tail, "//") {
		return loopback{}, false
	}
	var host, port string
	switch {
	case strings.HasPrefix(authority, "[::1]"):
		host, port = "[::1]", strings.TrimPrefix(authority, "[::1]")
	default:
		h, p, hasPort := strings.Cut(authority, ":")
		host = h
		if hasPort {
			port = ":" + p
		}
	}
	if host != "127.0.0.1" && host != "[::1]" && host != "localhost" {
		return loopback{}, false
	}
	if port != "" {
		p := strings.TrimPrefix(port, ":")
		n, err := strconv.Atoi(p)
		if err != nil || len(p) > 5 || n < 1 || n > 65535 || strconv.Itoa(n) != p {
			return loopback{}, false
		}
	}
	path, _, _ := strings.Cut(tail, "?")
	for _, form := range []string{path, unescapeOr(path)} {
		for _, seg := range strings.Split(form, "/") {
			if seg == "." || seg == ".." || strings.Contains(seg, "..;") {
				return loopback{}, false
			}
		}
	}
	return loopback{host: host, port: port, rest: tail}, true
}

func unescapeOr(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return ".."
	}
	return u
}

// redirectMatches compares a presented redirect URI with a registered
// one: equal except for the port of a loopback address, which the client
// picks at run time (RFC 8252 §7.3).
func redirectMatches(registered []string, presented string) bool {
	p, ok := parseLoopback(presented)
	if !ok {
		return false
	}
	for _, r := range registered {
		reg, ok := parseLoopback(r)
		if ok && reg.host == p.host && reg.rest == p.rest {
			return true
		}
	}
	return false
}

// ---- the device authorization grant ----

// userCodeAlphabet has 20 consonants that cannot be confused with each
// other or with digits (RFC 8628 §6.1: 20^8 ≈ 2^34.5 codes).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// NormalizeUserCode upper-cases a typed code and drops dashes and spaces.
func NormalizeUserCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r == '-' || r == ' ' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func newUserCode() string {
	b := make([]byte, 8)
	out := make([]byte, 0, 9)
	for i := 0; i < 8; {
		_, _ = rand.Read(b[:1])
		// Reject bytes that would bias the draw (256 is not a multiple
		// of 20).
		if b[0] >= 240 {
			continue
		}
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, userCodeAlphabet[b[0]%20])
		i++
	}
	return string(out)
}

// DeviceStart is what StartDeviceAuthorization returns.
type DeviceStart struct {
	DeviceCode              keyring.Secret
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string
	ExpiresIn               int
	Interval                int
}

// VerificationPath is the portal page where users enter or confirm a code.
const VerificationPath = "/start/device"

// StartDeviceAuthorization begins a device flow for a client.
func (s *Service) StartDeviceAuthorization(ctx context.Context, clientID, secret, startURL string, stage func(tx store.Tx) error) (DeviceStart, error) {
	if s.cfg.DisableDeviceGrant {
		return DeviceStart{}, oerr(ExcUnauthorizedClient, "The device authorization grant is disabled on this instance.")
	}
	if u, err := url.Parse(startURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return DeviceStart{}, oerr(ExcInvalidRequest, "Invalid start URL.")
	}
	info := reqinfo.FromContext(ctx)
	var out DeviceStart
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		c, err := s.authClient(ctx, tx, clientID, secret)
		if err != nil {
			return err
		}
		if !clientView(c).allows(GrantDeviceCode) {
			return oerr(ExcUnauthorizedClient, "The client is not registered for the device authorization grant.")
		}
		now := s.now().UTC()
		code := random(prefixDevice, 32)
		for range 5 {
			userCode := newUserCode()
			d := store.DeviceAuthorization{CodeHash: hash(code), UserCodeMAC: s.userCodeMAC(NormalizeUserCode(userCode)),
				ClientID: c.ID, StartURL: startURL, Scopes: c.Scopes, Status: store.DevicePending,
				SourceIP: info.SourceIP, UserAgent: truncate(info.UserAgent, 512), Interval: DefaultInterval,
				CreatedAt: now, ExpiresAt: now.Add(DeviceCodeTTL)}
			// A code still in the table (until purged) blocks a new one
			// with the same text.
			if _, err := tx.GetDeviceAuthorizationByUserCode(ctx, d.UserCodeMAC); err == nil {
				continue
			}
			if err := tx.CreateDeviceAuthorization(ctx, d); err != nil {
				return err
			}
			base := strings.TrimSuffix(s.cfg.PublicURL, "/") + VerificationPath
			out = DeviceStart{DeviceCode: keyring.Secret(code), UserCode: userCode, VerificationURI: base,
				VerificationURIComplete: base + "?user_code=" + userCode, ExpiresIn: int(DeviceCodeTTL.Seconds()),
				Interval: DefaultInterval}
			return stage(tx)
		}
		return errors.New("oauth: no free user code after 5 draws")
	})
	return out, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// pollDevice handles one CreateToken poll with a device code.
func (s *Service) pollDevice(ctx context.Context, tx store.Tx, c store.OAuthClient, deviceCode string) (TokenSet, error) {
	if !clientView(c).allows(GrantDeviceCode) {
		return TokenSet{}, oerr(ExcUnauthorizedClient, "The client is not registered for the device authorization grant.")
	}
	d, err := tx.GetDeviceAuthorization(ctx, hash(deviceCode))
	if errors.Is(err, store.ErrNotFound) {
		return TokenSet{}, oerr(ExcInvalidGrant, "Invalid device code provided.")
	}
	if err != nil {
		return TokenSet{}, err
	}
	if d.ClientID != c.ID {
		return TokenSet{}, oerr(ExcInvalidGrant, "Invalid device code provided.")
	}
	now := s.now().UTC()
	if !now.Before(d.ExpiresAt) {
		return TokenSet{}, oerr(ExcExpiredToken, "Device code has expired.")
	}
	switch d.Status {
	case store.DeviceRedeemed:
		return TokenSet{}, oerr(ExcInvalidGrant, "The device code was already used.")
	case store.DeviceDenied:
		return TokenSet{}, oerr(ExcAccessDenied, "The user denied the authorization request.")
	case store.DevicePending:
		// Polling discipline (RFC 8628 §3.5): the CLI polls twice at once
		// (a first attempt, then its loop), so one early poll is let
		// through; a further one gets slow_down and a longer interval.
		from := d.Status
		if !d.LastPollAt.IsZero() && now.Sub(d.LastPollAt) < time.Duration(d.Interval)*time.Second {
			d.FastPolls++
		} else {
			d.FastPolls = 0
		}
		slow := d.FastPolls > 1
		if slow {
			d.Interval += SlowDownStep
			d.FastPolls = 0
		}
		d.LastPollAt = now
		if _, err := tx.UpdateDeviceAuthorization(ctx, d, from); err != nil {
			return TokenSet{}, err
		}
		if slow {
			return TokenSet{}, oerr(ExcSlowDown, "Client is polling too fast; wait %d seconds between requests.", d.Interval)
		}
		return TokenSet{}, oerr(ExcAuthorizationPending, "Authorization is still pending.")
	}
	// Approved: redeem exactly once.
	ps, err := s.grantSession(ctx, tx, d.UserID, d.SessionID)
	if err != nil {
		return TokenSet{}, err
	}
	d.Status = store.DeviceRedeemed
	ok, err := tx.UpdateDeviceAuthorization(ctx, d, store.DeviceApproved)
	if err != nil {
		return TokenSet{}, err
	}
	if !ok {
		return TokenSet{}, oerr(ExcInvalidGrant, "The device code was already used.")
	}
	return s.mintTokens(ctx, tx, c, ps, arn.NewUUID(), d.Scopes)
}

// grantSession checks the user and the portal session a grant is for.
func (s *Service) grantSession(ctx context.Context, tx store.Tx, userID, sessionID string) (store.PortalSession, error) {
	if _, err := s.usableUser(ctx, tx, userID); err != nil {
		return store.PortalSession{}, err
	}
	ps, ok, err := s.liveSession(ctx, tx, userID, sessionID)
	if err != nil {
		return store.PortalSession{}, err
	}
	if !ok {
		return store.PortalSession{}, oerr(ExcInvalidGrant, "The sign-in session that approved this request has ended.")
	}
	return ps, nil
}

// Person is the signed-in portal user acting in the browser.
type Person struct {
	UserID    string
	UserName  string
	SessionID string
}

// PendingDevice is a device authorization waiting for the user, as the
// consent page shows it.
type PendingDevice struct {
	// Handle names the authorization in the consent form; it is no secret
	// and is useless without the signed-in session it is bound to.
	Handle     string
	ClientName string
	SourceIP   string
	UserAgent  string
	Scopes     []string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// ErrBadUserCode is the answer to a code that is wrong, expired or used.
var ErrBadUserCode = fault.Invalidf("The code is not valid, has expired or was already used. Check the code shown by your application and try again.")

// ErrTooManyCodes is the answer once a rate limit on user codes is hit.
var ErrTooManyCodes = fault.New(fault.Throttled, "Too many attempts. Wait a few minutes and try again.")

// LookupUserCode finds the pending authorization of a typed user code for
// the signed-in person. Attempts are limited per source address, per
// session and globally; reaching a limit writes an alert event.
func (s *Service) LookupUserCode(ctx context.Context, p Person, code string) (PendingDevice, error) {
	norm := NormalizeUserCode(code)
	info := reqinfo.FromContext(ctx)
	now := s.now().UTC()
	var (
		out     PendingDevice
		outcome error
	)
	// The counters must commit even when the attempt fails, so failures
	// leave the transaction as outcome, not as its error.
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		out, outcome = PendingDevice{}, nil // a repeated run starts afresh
		l := s.cfg.Limits
		for _, lim := range []struct {
			key string
			max int
		}{{"usercode-ip:" + info.SourceIP, l.UserCodeFailuresPerIP}, {"usercode-session:" + p.SessionID, l.UserCodeFailuresPerSession},
			{"usercode-global", l.UserCodeFailuresGlobal}} {
			n, err := tx.HitRateLimit(ctx, lim.key, now, l.Window)
			if err != nil {
				return err
			}
			if n > lim.max {
				outcome = ErrTooManyCodes
				if n == lim.max+1 {
					ev := s.event(ctx, "UserCodeAttemptsLimited", p)
					ev.ErrorCode, ev.ErrorMessage = "Throttled", "user code attempts over the limit"
					ev.ServiceEventDetails = map[string]any{"Limit": strings.SplitN(lim.key, ":", 2)[0], "Attempts": n}
					return appendEvent(ctx, tx, ev)
				}
				return nil
			}
		}
		outcome = ErrBadUserCode
		if len(norm) != 8 {
			return nil
		}
		d, err := tx.GetDeviceAuthorizationByUserCode(ctx, s.userCodeMAC(norm))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if d.Status != store.DevicePending || !now.Before(d.ExpiresAt) {
			return nil
		}
		c, err := tx.GetOAuthClient(ctx, d.ClientID)
		if err != nil {
			return err
		}
		outcome = nil
		out = PendingDevice{Handle: d.UserCodeMAC, ClientName: c.Name, SourceIP: d.SourceIP, UserAgent: d.UserAgent,
			Scopes: d.Scopes, CreatedAt: d.CreatedAt, ExpiresAt: d.ExpiresAt}
		return nil
	})
	if err != nil {
		return PendingDevice{}, err
	}
	return out, outcome
}

// Decide records the person's approval or denial of a device
// authorization. Exactly one decision wins.
func (s *Service) Decide(ctx context.Context, p Person, handle string, approve bool) error {
	return s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		d, err := tx.GetDeviceAuthorizationByUserCode(ctx, handle)
		if errors.Is(err, store.ErrNotFound) {
			return ErrBadUserCode
		}
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if d.Status != store.DevicePending || !now.Before(d.ExpiresAt) {
			return ErrBadUserCode
		}
		if approve {
			if _, err := s.grantSession(ctx, tx, p.UserID, p.SessionID); err != nil {
				return fault.Deniedf("Your account cannot authorize applications right now.")
			}
		}
		d.Status, d.UserID, d.SessionID, d.DecidedAt = store.DeviceDenied, p.UserID, p.SessionID, now
		name := "DenyDeviceAuthorization"
		if approve {
			d.Status, name = store.DeviceApproved, "ApproveDeviceAuthorization"
		}
		ok, err := tx.UpdateDeviceAuthorization(ctx, d, store.DevicePending)
		if err != nil {
			return err
		}
		if !ok {
			return ErrBadUserCode
		}
		ev := s.event(ctx, name, p)
		ev.AdditionalEventData = map[string]any{"ClientId": d.ClientID, "RequestingIP": d.SourceIP,
			"RequestingUserAgent": d.UserAgent}
		return appendEvent(ctx, tx, ev)
	})
}

// ---- the authorization code grant with PKCE ----

// AuthRequest is a validated /authorize request.
type AuthRequest struct {
	ClientID      string
	ClientName    string
	RedirectURI   string
	State         string
	CodeChallenge string
	Scopes        []string
}

// ErrAuthorize is the error of a malformed authorization request; it is
// shown on Gatehouse's own page, never sent to the redirect URI.
func errAuthorize(format string, args ...any) error {
	e := fault.Invalidf(format, args...)
	e.Code = "invalid_request"
	return e
}

// CheckAuthorize validates the parameters of /authorize: a known client
// registered for the code grant, a redirect URI matching its registration
// (the loopback port may differ), response_type=code and an S256 code
// challenge.
func (s *Service) CheckAuthorize(ctx context.Context, q url.Values) (AuthRequest, error) {
	for k, vs := range q {
		if len(vs) > 1 {
			return AuthRequest{}, errAuthorize("The parameter %s is repeated.", k)
		}
	}
	c, err := s.cfg.Store.GetOAuthClient(ctx, q.Get("client_id"))
	if errors.Is(err, store.ErrNotFound) || err == nil && !s.now().Before(c.ExpiresAt) {
		return AuthRequest{}, errAuthorize("The application is not registered, or its registration expired.")
	}
	if err != nil {
		return AuthRequest{}, err
	}
	if !clientView(c).allows(GrantAuthCode) {
		return AuthRequest{}, errAuthorize("The application is not registered for this kind of sign-in.")
	}
	redirect := q.Get("redirect_uri")
	if !redirectMatches(c.RedirectURIs, redirect) {
		return AuthRequest{}, errAuthorize("The redirect address does not match the application's registration.")
	}
	if q.Get("response_type") != "code" {
		return AuthRequest{}, errAuthorize("Only response_type=code is supported.")
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge == "" {
		return AuthRequest{}, errAuthorize("A PKCE code_challenge is required.")
	}
	if method != "S256" {
		return AuthRequest{}, errAuthorize("The code_challenge_method must be S256.")
	}
	if len(challenge) != 43 || !isBase64URL(challenge) {
		return AuthRequest{}, errAuthorize("The code_challenge is malformed.")
	}
	state := q.Get("state")
	if len(state) > 512 {
		return AuthRequest{}, errAuthorize("The state is too long.")
	}
	scopes := strings.Fields(q.Get("scopes") + " " + q.Get("scope"))
	for _, sc := range scopes {
		if !slices.Contains(c.Scopes, sc) {
			return AuthRequest{}, errAuthorize("The scope %q was not registered by the application.", sc)
		}
	}
	if len(scopes) == 0 {
		scopes = c.Scopes
	}
	return AuthRequest{ClientID: c.ID, ClientName: c.Name, RedirectURI: redirect, State: state, CodeChallenge: challenge, Scopes: scopes}, nil
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isVerifier checks a PKCE code verifier: 43–128 unreserved characters.
func isVerifier(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// Approve issues an authorization code for the person and returns the
// redirect address that carries it.
func (s *Service) Approve(ctx context.Context, p Person, r AuthRequest) (string, error) {
	code := random(prefixCode, 32)
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := s.grantSession(ctx, tx, p.UserID, p.SessionID); err != nil {
			return fault.Deniedf("Your account cannot authorize applications right now.")
		}
		now := s.now().UTC()
		if err := tx.CreateAuthCode(ctx, store.AuthCode{CodeHash: hash(code), ClientID: r.ClientID, RedirectURI: r.RedirectURI,
			CodeChallenge: r.CodeChallenge, Scopes: r.Scopes, UserID: p.UserID, SessionID: p.SessionID,
			CreatedAt: now, ExpiresAt: now.Add(s.cfg.AuthCodeTTL)}); err != nil {
			return err
		}
		ev := s.event(ctx, "CreateAuthorizationCode", p)
		ev.AdditionalEventData = map[string]any{"ClientId": r.ClientID}
		return appendEvent(ctx, tx, ev)
	})
	if err != nil {
		return "", err
	}
	return withQuery(r.RedirectURI, url.Values{"code": {code}, "state": {r.State}}), nil
}

// Deny returns the redirect address that tells the client the person
// refused.
func (s *Service) Deny(ctx context.Context, p Person, r AuthRequest) (string, error) {
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		ev := s.event(ctx, "DenyAuthorizationCode", p)
		ev.AdditionalEventData = map[string]any{"ClientId": r.ClientID}
		return appendEvent(ctx, tx, ev)
	})
	if err != nil {
		return "", err
	}
	return withQuery(r.RedirectURI, url.Values{"error": {"access_denied"}, "state": {r.State}}), nil
}

func withQuery(base string, v url.Values) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + v.Encode()
}

// redeemCode exchanges an authorization code. A second redemption fails
// and revokes the tokens of the first (RFC 9700 §4.8 / RFC 6749 §4.1.2).
func (s *Service) redeemCode(ctx context.Context, tx store.Tx, c store.OAuthClient, code, redirect, verifier string) (TokenSet, bool, error) {
	if !clientView(c).allows(GrantAuthCode) {
		return TokenSet{}, false, oerr(ExcUnauthorizedClient, "The client is not registered for the authorization code grant.")
	}
	invalid := oerr(ExcInvalidGrant, "Invalid authorization code provided.")
	ac, err := tx.GetAuthCode(ctx, hash(code))
	if errors.Is(err, store.ErrNotFound) {
		return TokenSet{}, false, invalid
	}
	if err != nil {
		return TokenSet{}, false, err
	}
	if !ac.RedeemedAt.IsZero() {
		if _, err := tx.DeleteOAuthFamily(ctx, ac.FamilyID); err != nil {
			return TokenSet{}, false, err
		}
		s.log.Warn("authorization code redeemed twice; its tokens are revoked", "client_id", c.ID, "user_id", ac.UserID)
		return TokenSet{}, true, invalid
	}
	if ac.ClientID != c.ID || ac.RedirectURI != redirect || !s.now().Before(ac.ExpiresAt) {
		return TokenSet{}, false, invalid
	}
	if verifier == "" || !isVerifier(verifier) {
		return TokenSet{}, false, invalid
	}
	sum := sha256.Sum256([]byte(verifier))
	if !constantEqual(base64.RawURLEncoding.EncodeToString(sum[:]), ac.CodeChallenge) {
		return TokenSet{}, false, invalid
	}
	ps, err := s.grantSession(ctx, tx, ac.UserID, ac.SessionID)
	if err != nil {
		return TokenSet{}, false, err
	}
	family := arn.NewUUID()
	ok, err := tx.RedeemAuthCode(ctx, ac.CodeHash, family, s.now().UTC())
	if err != nil {
		return TokenSet{}, false, err
	}
	if !ok {
		return TokenSet{}, false, invalid
	}
	set, err := s.mintTokens(ctx, tx, c, ps, family, ac.Scopes)
	return set, false, err
}

// ---- CreateToken ----

// TokenRequest is a CreateToken request.
type TokenRequest struct {
	ClientID     string
	ClientSecret string
	GrantType    string
	DeviceCode   string
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	Scopes       []string
}

// CreateToken runs one token request. stage records the audit event of a
// successful request inside its transaction.
func (s *Service) CreateToken(ctx context.Context, r TokenRequest, stage func(tx store.Tx, set TokenSet) error) (TokenSet, error) {
	var (
		set TokenSet
		// keep reports a failure whose side effects (a polling state, a
		// revoked family) must commit.
		keepErr error
	)
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		keepErr = nil
		c, err := s.authClient(ctx, tx, r.ClientID, r.ClientSecret)
		if err != nil {
			return err
		}
		var revoked bool
		switch r.GrantType {
		case GrantDeviceCode:
			if r.DeviceCode == "" {
				return oerr(ExcInvalidRequest, "deviceCode is required for the device code grant.")
			}
			set, err = s.pollDevice(ctx, tx, c, r.DeviceCode)
			if code := ErrorCode(err); code == ExcAuthorizationPending || code == ExcSlowDown {
				keepErr = err
				return nil
			}
		case GrantAuthCode:
			if r.Code == "" {
				return oerr(ExcInvalidRequest, "code is required for the authorization code grant.")
			}
			set, revoked, err = s.redeemCode(ctx, tx, c, r.Code, r.RedirectURI, r.CodeVerifier)
		case GrantRefreshToken:
			if r.RefreshToken == "" {
				return oerr(ExcInvalidRequest, "refreshToken is required for the refresh token grant.")
			}
			set, revoked, err = s.refresh(ctx, tx, c, r.RefreshToken)
		default:
			return oerr(ExcUnsupportedGrantType, "Unsupported grant type: %s", r.GrantType)
		}
		if err != nil {
			if revoked {
				keepErr = err
				return nil
			}
			return err
		}
		return stage(tx, set)
	})
	if err != nil {
		return TokenSet{}, err
	}
	if keepErr != nil {
		return TokenSet{}, keepErr
	}
	return set, nil
}

// refresh rotates a refresh token. A rotated token presented again after
// ReuseGrace is taken as stolen: the whole family is revoked. Within the
// grace (a client retrying a request that raced) it is refused and the
// family kept: at most one successor ever exists.
func (s *Service) refresh(ctx context.Context, tx store.Tx, c store.OAuthClient, token string) (TokenSet, bool, error) {
	invalid := oerr(ExcInvalidGrant, "Invalid refresh token provided.")
	if !strings.HasPrefix(token, prefixRefresh) {
		return TokenSet{}, false, invalid
	}
	t, err := tx.GetOAuthToken(ctx, hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return TokenSet{}, false, invalid
	}
	if err != nil {
		return TokenSet{}, false, err
	}
	if t.Kind != store.TokenRefresh || t.ClientID != c.ID {
		return TokenSet{}, false, invalid
	}
	now := s.now().UTC()
	if t.Status == store.TokenRotated {
		if now.Sub(t.RotatedAt) <= ReuseGrace {
			return TokenSet{}, false, invalid
		}
		if _, err := tx.DeleteOAuthFamily(ctx, t.FamilyID); err != nil {
			return TokenSet{}, false, err
		}
		ev := s.event(ctx, "RefreshTokenReuseDetected", Person{UserID: t.UserID, SessionID: t.SessionID})
		ev.ErrorCode, ev.ErrorMessage = ExcInvalidGrant, "a rotated refresh token was presented again; its family is revoked"
		ev.AdditionalEventData = map[string]any{"ClientId": c.ID, "TokenFamily": t.FamilyID}
		if err := appendEvent(ctx, tx, ev); err != nil {
			return TokenSet{}, false, err
		}
		s.log.Warn("refresh token reuse detected; family revoked", "client_id", c.ID, "user_id", t.UserID, "family", t.FamilyID)
		return TokenSet{}, true, invalid
	}
	if !now.Before(t.ExpiresAt) {
		return TokenSet{}, false, oerr(ExcInvalidGrant, "The refresh token has expired.")
	}
	ps, err := s.grantSession(ctx, tx, t.UserID, t.SessionID)
	if err != nil {
		return TokenSet{}, false, err
	}
	ok, err := tx.RotateOAuthToken(ctx, t.TokenHash, now)
	if err != nil {
		return TokenSet{}, false, err
	}
	if !ok {
		return TokenSet{}, false, invalid
	}
	set, err := s.mintTokens(ctx, tx, c, ps, t.FamilyID, t.Scopes)
	return set, false, err
}

// ---- audit of portal-side steps ----

func (s *Service) event(ctx context.Context, name string, p Person) *audit.Event {
	info := reqinfo.FromContext(ctx)
	ev := audit.NewEvent(s.now(), "sso.amazonaws.com", name)
	ev.EventType = "AwsServiceEvent"
	ev.AWSRegion, ev.SourceIPAddress, ev.UserAgent = s.cfg.Region, info.SourceIP, info.UserAgent
	ev.RequestID, ev.RecipientAccountID = info.RequestID, s.cfg.AccountID
	ev.UserIdentity = audit.UserIdentity{Type: "Unknown"}
	if p.UserID != "" {
		ev.UserIdentity = audit.UserIdentity{Type: "IdentityCenterUser", PrincipalID: p.UserID, UserName: p.UserName,
			OnBehalfOf: &audit.OnBehalfOf{UserID: p.UserID, IdentityStoreARN: s.cfg.IdentityStoreARN}}
	}
	return ev
}

func appendEvent(ctx context.Context, tx store.Tx, ev *audit.Event) error {
	if err := audit.Stage(audit.NewContext(ctx, ev), tx, nil); err != nil {
		return fmt.Errorf("oauth: audit %s: %w", ev.EventName, err)
	}
	return nil
}

func constantEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
