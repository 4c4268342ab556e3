// Package gatehouseadmin serves Gatehouse's own administrator operations
// that AWS has no API for (invitations, password resets, MFA devices,
// sessions, sign-in settings, console access) as JSON 1.1 operations with
// the target prefix "GatehouseAdmin", signed with SigV4 like every other
// call (signing name "gatehouse"). Each asks the authorizer for
// "gatehouse:<Operation>" on the identity store and the user it names.
// They are documented in docs/admin-api.md.
package gatehouseadmin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/consoleadmin"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TargetPrefix and SigningName of the service.
const (
	TargetPrefix = "GatehouseAdmin"
	SigningName  = "gatehouse"
)

type api struct {
	dir    *directory.Service
	sig    *signin.Service
	grants *consoleadmin.Service
	mailer Mailer
	pages  awsapi.Listings
	authz  awsapi.Authorizer
	// accountID owns the identity store, for its ARN.
	accountID string
}

// Options are what the service is built from.
type Options struct {
	Directory *directory.Service
	Signin    *signin.Service
	Grants    *consoleadmin.Service
	// Mailer sends SendTestEmail's message.
	Mailer Mailer
	Pager  *awsapi.Pager
	Authz  awsapi.Authorizer
	// AccountID is the management account, which owns the identity store.
	AccountID string
}

// Mailer sends a test message at once (*mail.Sender).
type Mailer interface {
	SendTest(ctx context.Context, to string) error
}

// op builds an operation that asks the authorizer for
// "gatehouse:<action>" on the identity store and the user the input names.
func op[In, Out any](a *api, readOnly bool, action string, fn func(context.Context, *In) (*Out, error)) awsapi.Operation {
	return awsapi.Op(readOnly, awsapi.GuardScope(a.authz, "gatehouse:"+action, func(_ context.Context, in *In) awsapi.Scope {
		var arns []string
		if r, ok := any(in).(interface{ ref() userRef }); ok {
			u := r.ref()
			if u.IdentityStoreID != "" {
				arns = append(arns, "arn:aws:identitystore::"+a.accountID+":identitystore/"+u.IdentityStoreID)
			}
			if u.UserID != "" {
				arns = append(arns, consoleadmin.UserARN(u.UserID))
			}
		}
		return awsapi.Scope{Resources: arns}
	}, fn))
}

// Service returns the service description for the router.
func Service(o Options) *awsapi.JSONService {
	a := &api{dir: o.Directory, sig: o.Signin, grants: o.Grants, mailer: o.Mailer,
		pages: awsapi.Listings{Pager: o.Pager, Service: "gatehouse"}, authz: o.Authz, accountID: o.AccountID}
	return &awsapi.JSONService{
		TargetPrefix: TargetPrefix,
		SigningName:  SigningName,
		EventSource:  "gatehouse.amazonaws.com",
		Validator:    validator{},
		Operations: map[string]awsapi.Operation{
			"InviteUser":             op(a, false, "InviteUser", a.inviteUser),
			"RevokeInvitation":       op(a, false, "RevokeInvitation", a.revokeInvitation),
			"ResetUserPassword":      op(a, false, "ResetUserPassword", a.resetPassword),
			"UnlockUser":             op(a, false, "UnlockUser", a.unlockUser),
			"ListMfaDevices":         op(a, true, "ListMfaDevices", a.listDevices),
			"DeleteMfaDevice":        op(a, false, "DeleteMfaDevice", a.deleteDevice),
			"ListUserSessions":       op(a, true, "ListUserSessions", a.listSessions),
			"DeleteUserSessions":     op(a, false, "DeleteUserSessions", a.deleteSessions),
			"DescribeSignInSettings": op(a, true, "DescribeSignInSettings", a.describeSettings),
			"UpdateSignInSettings":   op(a, false, "UpdateSignInSettings", a.updateSettings),
			"PutConsoleAccess":       op(a, false, "PutConsoleAccess", a.putConsoleAccess),
			"DeleteConsoleAccess":    op(a, false, "DeleteConsoleAccess", a.deleteConsoleAccess),
			"DescribeConsoleAccess":  op(a, true, "DescribeConsoleAccess", a.describeConsoleAccess),
			"ListConsoleAccess":      op(a, true, "ListConsoleAccess", a.listConsoleAccess),
			"SendTestEmail":          op(a, false, "SendTestEmail", a.sendTestEmail),
		},
	}
}

type userRef struct {
	IdentityStoreID string `json:"IdentityStoreId"`
	UserID          string `json:"UserId"`
}

func (r userRef) ref() userRef { return r }

func (a *api) check(r userRef) error { return a.dir.CheckStore(r.IdentityStoreID) }

type inviteOut struct {
	UserID    string      `json:"UserId"`
	ExpiresAt awsapi.Time `json:"ExpiresAt"`
}

func (a *api) inviteUser(ctx context.Context, in *userRef) (*inviteOut, error) {
	if err := a.check(*in); err != nil {
		return nil, err
	}
	inv, err := a.sig.Invite(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	return &inviteOut{UserID: inv.UserID, ExpiresAt: awsapi.Time(inv.ExpiresAt)}, nil
}

type empty struct{}

func (a *api) revokeInvitation(ctx context.Context, in *userRef) (*empty, error) {
	if err := a.check(*in); err != nil {
		return nil, err
	}
	return &empty{}, a.sig.RevokeInvitation(ctx, in.UserID)
}

type resetIn struct {
	userRef
	Mode string `json:"Mode"`
}

type resetOut struct {
	OneTimePassword string       `json:"OneTimePassword,omitempty"`
	ExpiresAt       *awsapi.Time `json:"ExpiresAt,omitempty"`
}

func (a *api) resetPassword(ctx context.Context, in *resetIn) (*resetOut, error) {
	if err := a.check(in.userRef); err != nil {
		return nil, err
	}
	r, err := a.sig.AdminResetPassword(ctx, in.UserID, in.Mode)
	if err != nil {
		return nil, err
	}
	return &resetOut{OneTimePassword: r.OneTimePassword, ExpiresAt: awsapi.TimePtr(r.ExpiresAt)}, nil
}

func (a *api) unlockUser(ctx context.Context, in *userRef) (*empty, error) {
	if err := a.check(*in); err != nil {
		return nil, err
	}
	return &empty{}, a.sig.Unlock(ctx, in.UserID)
}

type device struct {
	DeviceID   string       `json:"DeviceId"`
	Type       string       `json:"Type"`
	Name       string       `json:"Name"`
	CreatedAt  awsapi.Time  `json:"CreatedAt"`
	LastUsedAt *awsapi.Time `json:"LastUsedAt,omitempty"`
}

type devicesOut struct {
	MfaDevices []device `json:"MfaDevices"`
}

func (a *api) listDevices(ctx context.Context, in *userRef) (*devicesOut, error) {
	if err := a.check(*in); err != nil {
		return nil, err
	}
	list, err := a.sig.Devices(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	out := &devicesOut{MfaDevices: []device{}}
	for _, d := range list {
		t := "TOTP"
		if d.Kind == signin.KindWebAuthn {
			t = "WEBAUTHN"
		}
		out.MfaDevices = append(out.MfaDevices, device{DeviceID: d.ID, Type: t, Name: d.Name,
			CreatedAt: awsapi.Time(d.CreatedAt), LastUsedAt: awsapi.TimePtr(d.LastUsedAt)})
	}
	return out, nil
}

type deviceRef struct {
	userRef
	DeviceID string `json:"DeviceId"`
}

func (a *api) deleteDevice(ctx context.Context, in *deviceRef) (*empty, error) {
	if err := a.check(in.userRef); err != nil {
		return nil, err
	}
	return &empty{}, a.sig.AdminRemoveDevice(ctx, in.UserID, in.DeviceID)
}

type session struct {
	SessionID  string      `json:"SessionId"`
	CreatedAt  awsapi.Time `json:"CreatedAt"`
	ExpiresAt  awsapi.Time `json:"ExpiresAt"`
	LastSeenAt awsapi.Time `json:"LastSeenAt"`
	SourceIP   string      `json:"SourceIpAddress"`
	UserAgent  string      `json:"UserAgent"`
	MFAMethod  string      `json:"AuthenticationMethod"`
}

type sessionsOut struct {
	Sessions []session `json:"Sessions"`
}

func (a *api) listSessions(ctx context.Context, in *userRef) (*sessionsOut, error) {
	if err := a.check(*in); err != nil {
		return nil, err
	}
	if _, err := a.dir.GetUser(ctx, in.UserID); err != nil {
		return nil, err
	}
	list, err := a.sig.ListSessions(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	out := &sessionsOut{Sessions: []session{}}
	for _, s := range list {
		out.Sessions = append(out.Sessions, session{SessionID: s.ID, CreatedAt: awsapi.Time(s.CreatedAt), ExpiresAt: awsapi.Time(s.ExpiresAt),
			LastSeenAt: awsapi.Time(s.LastSeenAt), SourceIP: s.SourceIP, UserAgent: s.UserAgent, MFAMethod: s.MFAMethod})
	}
	return out, nil
}

type sessionsRef struct {
	userRef
	SessionID string `json:"SessionId"`
}

type deleteSessionsOut struct {
	SessionsEnded int `json:"SessionsEnded"`
}

func (a *api) deleteSessions(ctx context.Context, in *sessionsRef) (*deleteSessionsOut, error) {
	if err := a.check(in.userRef); err != nil {
		return nil, err
	}
	if in.SessionID != "" {
		if err := a.sig.EndSession(ctx, in.UserID, in.SessionID); err != nil {
			return nil, err
		}
		return &deleteSessionsOut{SessionsEnded: 1}, nil
	}
	n, err := a.sig.EndAllSessions(ctx, in.UserID)
	return &deleteSessionsOut{SessionsEnded: n}, err
}

type settingsIn struct {
	IdentityStoreID string `json:"IdentityStoreId"`
}

func (r *settingsIn) ref() userRef { return userRef{IdentityStoreID: r.IdentityStoreID} }

type settingsOut struct {
	Settings signin.Settings `json:"Settings"`
}

func (a *api) describeSettings(ctx context.Context, in *settingsIn) (*settingsOut, error) {
	if err := a.dir.CheckStore(in.IdentityStoreID); err != nil {
		return nil, err
	}
	st, err := a.sig.Settings(ctx)
	return &settingsOut{Settings: st}, err
}

type updateSettingsIn struct {
	IdentityStoreID string               `json:"IdentityStoreId"`
	Settings        signin.SettingsPatch `json:"Settings"`
}

func (r *updateSettingsIn) ref() userRef { return userRef{IdentityStoreID: r.IdentityStoreID} }

func (a *api) updateSettings(ctx context.Context, in *updateSettingsIn) (*settingsOut, error) {
	if err := a.dir.CheckStore(in.IdentityStoreID); err != nil {
		return nil, err
	}
	st, err := a.sig.UpdateSettings(ctx, in.Settings)
	return &settingsOut{Settings: st}, err
}

// ---- console access ----

type consoleAccessIn struct {
	userRef
	AccessLevel string   `json:"AccessLevel"`
	PolicyARNs  []string `json:"PolicyArns"`
}

type consoleAccess struct {
	UserID      string      `json:"UserId"`
	AccessLevel string      `json:"AccessLevel"`
	PolicyARNs  []string    `json:"PolicyArns"`
	GrantedAt   awsapi.Time `json:"GrantedAt"`
	GrantedBy   string      `json:"GrantedBy"`
}

func accessOut(g store.ConsoleGrant) consoleAccess {
	arns := g.PolicyARNs
	if arns == nil {
		arns = []string{}
	}
	return consoleAccess{UserID: g.UserID, AccessLevel: g.Level, PolicyARNs: arns, GrantedAt: awsapi.Time(g.GrantedAt), GrantedBy: g.GrantedBy}
}

type consoleAccessOut struct {
	ConsoleAccess consoleAccess `json:"ConsoleAccess"`
}

func (a *api) putConsoleAccess(ctx context.Context, in *consoleAccessIn) (*consoleAccessOut, error) {
	if err := a.check(in.userRef); err != nil {
		return nil, err
	}
	g, err := a.grants.Put(ctx, in.UserID, in.AccessLevel, in.PolicyARNs)
	if err != nil {
		return nil, err
	}
	return &consoleAccessOut{ConsoleAccess: accessOut(g)}, nil
}

func (a *api) deleteConsoleAccess(ctx context.Context, in *userRef) (*empty, error) {
	if err := a.check(*in); err != nil {
		return nil, err
	}
	return &empty{}, a.grants.Delete(ctx, in.UserID)
}

func (a *api) describeConsoleAccess(ctx context.Context, in *userRef) (*consoleAccessOut, error) {
	if err := a.check(*in); err != nil {
		return nil, err
	}
	g, err := a.grants.Get(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	return &consoleAccessOut{ConsoleAccess: accessOut(g)}, nil
}

type listAccessIn struct {
	IdentityStoreID string `json:"IdentityStoreId"`
	NextToken       string `json:"NextToken"`
	MaxResults      int    `json:"MaxResults"`
}

func (r *listAccessIn) ref() userRef { return userRef{IdentityStoreID: r.IdentityStoreID} }

type listAccessOut struct {
	ConsoleAccess []consoleAccess `json:"ConsoleAccess"`
	NextToken     string          `json:"NextToken,omitempty"`
}

func (a *api) listConsoleAccess(ctx context.Context, in *listAccessIn) (*listAccessOut, error) {
	if err := a.dir.CheckStore(in.IdentityStoreID); err != nil {
		return nil, err
	}
	var out listAccessOut
	var err error
	out.ConsoleAccess, out.NextToken, err = awsapi.ListPage(a.pages, "ListConsoleAccess", in.NextToken, &in.MaxResults,
		func(after string, max int) ([]store.ConsoleGrant, bool, error) { return a.grants.List(ctx, after, max) },
		func(g store.ConsoleGrant) string { return g.UserID },
		func(g store.ConsoleGrant) (consoleAccess, error) { return accessOut(g), nil })
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ---- mail ----

type testEmailIn struct {
	IdentityStoreID string `json:"IdentityStoreId"`
	EmailAddress    string `json:"EmailAddress"`
}

func (r *testEmailIn) ref() userRef { return userRef{IdentityStoreID: r.IdentityStoreID} }

func (a *api) sendTestEmail(ctx context.Context, in *testEmailIn) (*empty, error) {
	if err := a.dir.CheckStore(in.IdentityStoreID); err != nil {
		return nil, err
	}
	if a.mailer == nil {
		return nil, fault.NotImplementedf("Mail is not configured.")
	}
	if err := a.mailer.SendTest(ctx, in.EmailAddress); err != nil {
		// The administrator needs the transport's answer to fix the
		// settings; it names no secret.
		return nil, fault.New(fault.Unavailable, "The test message could not be sent: %v", err)
	}
	return &empty{}, nil
}

// validator checks the operations' inputs by hand: every operation needs an
// IdentityStoreId, the user operations a UserId, and unknown members are
// refused, with the messages AWS's validation uses.
type validator struct{}

type field struct {
	name     string
	required bool
	kind     string // "string", "object", "list" (of strings) or "integer"
	pattern  *regexp.Regexp
	// max bounds a list's length or an integer (from 1).
	max int
}

var (
	storeID  = regexp.MustCompile(`^d-[0-9a-f]{10}$|^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$`)
	userID   = regexp.MustCompile(`^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$`)
	deviceID = regexp.MustCompile(`^mfa-[0-9a-f]{24}$`)
	sessID   = regexp.MustCompile(`^ps-[0-9a-f]{24}$`)
	mode     = regexp.MustCompile(`^(EMAIL|ONE_TIME_PASSWORD)$`)
	level    = regexp.MustCompile(`^(FULL|READ_ONLY|POLICY)$`)
	policy   = regexp.MustCompile(`^arn:aws:iam::(aws|\d{12}):policy/[\w+=,.@/-]{1,512}$`)
	token    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,1000}$`)
	email    = regexp.MustCompile(`^[^@\s]{1,64}@[^@\s]{1,189}$`)
)

var (
	fStore = field{"IdentityStoreId", true, "string", storeID, 0}
	fUser  = field{"UserId", true, "string", userID, 0}
)

var shapes = map[string][]field{
	"InviteUser":             {fStore, fUser},
	"RevokeInvitation":       {fStore, fUser},
	"ResetUserPassword":      {fStore, fUser, {"Mode", true, "string", mode, 0}},
	"UnlockUser":             {fStore, fUser},
	"ListMfaDevices":         {fStore, fUser},
	"DeleteMfaDevice":        {fStore, fUser, {"DeviceId", true, "string", deviceID, 0}},
	"ListUserSessions":       {fStore, fUser},
	"DeleteUserSessions":     {fStore, fUser, {"SessionId", false, "string", sessID, 0}},
	"DescribeSignInSettings": {fStore},
	"UpdateSignInSettings":   {fStore, {"Settings", true, "object", nil, 0}},
	"PutConsoleAccess": {fStore, fUser, {"AccessLevel", true, "string", level, 0},
		{"PolicyArns", false, "list", policy, consoleadmin.MaxPolicies}},
	"DeleteConsoleAccess":   {fStore, fUser},
	"DescribeConsoleAccess": {fStore, fUser},
	"ListConsoleAccess":     {fStore, {"NextToken", false, "string", token, 0}, {"MaxResults", false, "integer", nil, 100}},
	"SendTestEmail":         {fStore, {"EmailAddress", true, "string", email, 0}},
}

func (validator) Known(op string) bool { _, ok := shapes[op]; return ok }

func (validator) Validate(op string, body []byte) *awsapi.Error {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) == 0 {
		m = map[string]json.RawMessage{}
	} else if err := dec.Decode(&m); err != nil {
		return awsapi.NewError(http.StatusBadRequest, "SerializationException", "Malformed request body")
	}
	fields := shapes[op]
	known := map[string]field{}
	for _, f := range fields {
		known[f.name] = f
	}
	for k := range m {
		if _, ok := known[k]; !ok {
			return awsapi.NewError(http.StatusBadRequest, "SerializationException", "Unknown member %s", k)
		}
	}
	for _, f := range fields {
		raw, ok := m[f.name]
		if !ok || string(raw) == "null" {
			if f.required {
				return awsapi.NewError(http.StatusBadRequest, "ValidationException",
					"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lower(f.name))
			}
			continue
		}
		switch f.kind {
		case "string":
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return awsapi.NewError(http.StatusBadRequest, "SerializationException", "Unexpected value type for member %s", f.name)
			}
			if f.pattern != nil && !f.pattern.MatchString(s) {
				return awsapi.NewError(http.StatusBadRequest, "ValidationException",
					"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s",
					s, lower(f.name), f.pattern.String())
			}
		case "object":
			if len(raw) == 0 || raw[0] != '{' {
				return awsapi.NewError(http.StatusBadRequest, "SerializationException", "Unexpected value type for member %s", f.name)
			}
		case "list":
			var list []string
			if err := json.Unmarshal(raw, &list); err != nil {
				return awsapi.NewError(http.StatusBadRequest, "SerializationException", "Unexpected value type for member %s", f.name)
			}
			if len(list) > f.max {
				return awsapi.NewError(http.StatusBadRequest, "ValidationException",
					"1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", lower(f.name), f.max)
			}
			for i, v := range list {
				if !f.pattern.MatchString(v) {
					return awsapi.NewError(http.StatusBadRequest, "ValidationException",
						"1 validation error detected: Value '%s' at '%s.%d.member' failed to satisfy constraint: Member must satisfy regular expression pattern: %s",
						v, lower(f.name), i+1, f.pattern.String())
				}
			}
		case "integer":
			var n int
			if err := json.Unmarshal(raw, &n); err != nil {
				return awsapi.NewError(http.StatusBadRequest, "SerializationException", "Unexpected value type for member %s", f.name)
			}
			if n < 1 || n > f.max {
				return awsapi.NewError(http.StatusBadRequest, "ValidationException",
					"1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value between 1 and %d", n, lower(f.name), f.max)
			}
		}
	}
	return nil
}

// Redact returns the request for the audit record; none of these inputs is
// secret (one-time passwords are outputs, and never recorded).
func (validator) Redact(op string, body []byte) any {
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil
	}
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[lower(k)] = x
	}
	return out
}

func lower(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}
