// Package gatehouseadmin serves Gatehouse's own administrator operations
// that AWS has no API for (invitations, password resets, MFA devices,
// sessions, sign-in settings) as JSON 1.1 operations with the target
// prefix "GatehouseAdmin", signed with SigV4 like every other call
// (signing name "gatehouse"). They are documented in docs/admin-api.md.
package gatehouseadmin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/signin"
)

// TargetPrefix and SigningName of the service.
const (
	TargetPrefix = "GatehouseAdmin"
	SigningName  = "gatehouse"
)

type api struct {
	dir *directory.Service
	sig *signin.Service
}

// Service returns the service description for the router.
func Service(dir *directory.Service, sig *signin.Service) *awsapi.JSONService {
	a := &api{dir: dir, sig: sig}
	return &awsapi.JSONService{
		TargetPrefix: TargetPrefix,
		SigningName:  SigningName,
		EventSource:  "gatehouse.amazonaws.com",
		Validator:    validator{},
		Operations: map[string]awsapi.Operation{
			"InviteUser":             awsapi.Op(false, a.inviteUser),
			"RevokeInvitation":       awsapi.Op(false, a.revokeInvitation),
			"ResetUserPassword":      awsapi.Op(false, a.resetPassword),
			"UnlockUser":             awsapi.Op(false, a.unlockUser),
			"ListMfaDevices":         awsapi.Op(true, a.listDevices),
			"DeleteMfaDevice":        awsapi.Op(false, a.deleteDevice),
			"ListUserSessions":       awsapi.Op(true, a.listSessions),
			"DeleteUserSessions":     awsapi.Op(false, a.deleteSessions),
			"DescribeSignInSettings": awsapi.Op(true, a.describeSettings),
			"UpdateSignInSettings":   awsapi.Op(false, a.updateSettings),
		},
	}
}

type userRef struct {
	IdentityStoreID string `json:"IdentityStoreId"`
	UserID          string `json:"UserId"`
}

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

func (a *api) updateSettings(ctx context.Context, in *updateSettingsIn) (*settingsOut, error) {
	if err := a.dir.CheckStore(in.IdentityStoreID); err != nil {
		return nil, err
	}
	st, err := a.sig.UpdateSettings(ctx, in.Settings)
	return &settingsOut{Settings: st}, err
}

// validator checks the operations' inputs by hand: every operation needs an
// IdentityStoreId, the user operations a UserId, and unknown members are
// refused, with the messages AWS's validation uses.
type validator struct{}

type field struct {
	name     string
	required bool
	kind     string // "string" or "object"
	pattern  *regexp.Regexp
}

var (
	storeID  = regexp.MustCompile(`^d-[0-9a-f]{10}$|^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$`)
	userID   = regexp.MustCompile(`^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$`)
	deviceID = regexp.MustCompile(`^mfa-[0-9a-f]{24}$`)
	sessID   = regexp.MustCompile(`^ps-[0-9a-f]{24}$`)
	mode     = regexp.MustCompile(`^(EMAIL|ONE_TIME_PASSWORD)$`)
)

var (
	fStore = field{"IdentityStoreId", true, "string", storeID}
	fUser  = field{"UserId", true, "string", userID}
)

var shapes = map[string][]field{
	"InviteUser":             {fStore, fUser},
	"RevokeInvitation":       {fStore, fUser},
	"ResetUserPassword":      {fStore, fUser, {"Mode", true, "string", mode}},
	"UnlockUser":             {fStore, fUser},
	"ListMfaDevices":         {fStore, fUser},
	"DeleteMfaDevice":        {fStore, fUser, {"DeviceId", true, "string", deviceID}},
	"ListUserSessions":       {fStore, fUser},
	"DeleteUserSessions":     {fStore, fUser, {"SessionId", false, "string", sessID}},
	"DescribeSignInSettings": {fStore},
	"UpdateSignInSettings":   {fStore, {"Settings", true, "object", nil}},
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
