package mfa

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// WebAuthn runs registration and assertion ceremonies for one relying
// party (Gatehouse's public URL).
type WebAuthn struct {
	w *webauthn.WebAuthn
}

// NewWebAuthn returns the relying party of publicURL: its host is the RP
// ID and its origin the only accepted origin.
func NewWebAuthn(publicURL, displayName string) (*WebAuthn, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("mfa: public URL %q: %v", publicURL, err)
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: displayName,
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: webauthn relying party: %w", err)
	}
	return &WebAuthn{w: w}, nil
}

// RPID returns the relying party id.
func (a *WebAuthn) RPID() string { return a.w.Config.RPID }

// User is the account a ceremony is for.
type User struct {
	// Handle is the WebAuthn user handle: opaque, stable, no personal data.
	Handle      []byte
	Name        string
	DisplayName string
	// Credentials are the user's registered credentials (JSON of
	// webauthn.Credential, as Register returns them).
	Credentials [][]byte
}

type waUser struct {
	u     User
	creds []webauthn.Credential
}

func (w waUser) WebAuthnID() []byte                         { return w.u.Handle }
func (w waUser) WebAuthnName() string                       { return w.u.Name }
func (w waUser) WebAuthnDisplayName() string                { return w.u.DisplayName }
func (w waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

func (a *WebAuthn) user(u User) (waUser, error) {
	out := waUser{u: u}
	for _, raw := range u.Credentials {
		var c webauthn.Credential
		if err := json.Unmarshal(raw, &c); err != nil {
			return out, fmt.Errorf("mfa: stored credential: %w", err)
		}
		out.creds = append(out.creds, c)
	}
	return out, nil
}

// uv returns the user verification requirement: required demands a PIN or
// biometrics in the ceremony; otherwise it is preferred.
func uv(required bool) protocol.UserVerificationRequirement {
	if required {
		return protocol.VerificationRequired
	}
	return protocol.VerificationPreferred
}

// BeginRegistration returns the options for navigator.credentials.create
// (JSON) and the ceremony state to keep server-side until Finish.
func (a *WebAuthn) BeginRegistration(u User, requireUV bool) (options, state []byte, err error) {
	wu, err := a.user(u)
	if err != nil {
		return nil, nil, err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range wu.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := a.w.BeginRegistration(wu,
		webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: uv(requireUV),
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("mfa: begin registration: %w", err)
	}
	return marshalPair(creation, session)
}

// ErrCeremony wraps every reason a ceremony response is refused; the
// wrapped text is for the audit log, never for the user.
var ErrCeremony = errors.New("mfa: webauthn ceremony refused")

// FinishRegistration verifies the browser's response (the JSON of the
// PublicKeyCredential) against the state from Begin and returns the
// credential to store and its id (base64url).
func (a *WebAuthn) FinishRegistration(u User, state, response []byte) (credential []byte, credentialID string, err error) {
	wu, err := a.user(u)
	if err != nil {
		return nil, "", err
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return nil, "", fmt.Errorf("mfa: registration state: %w", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s", ErrCeremony, describe(err))
	}
	cred, err := a.w.CreateCredential(wu, session, parsed)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s", ErrCeremony, describe(err))
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, "", fmt.Errorf("mfa: encode credential: %w", err)
	}
	return raw, CredentialID(cred.ID), nil
}

// BeginLogin returns the options for navigator.credentials.get, allowing
// only the user's own credentials, and the ceremony state. The state
// records the user verification requirement, which FinishLogin enforces.
func (a *WebAuthn) BeginLogin(u User, requireUV bool) (options, state []byte, err error) {
	wu, err := a.user(u)
	if err != nil {
		return nil, nil, err
	}
	assertion, session, err := a.w.BeginLogin(wu, webauthn.WithUserVerification(uv(requireUV)))
	if err != nil {
		return nil, nil, fmt.Errorf("mfa: begin login: %w", err)
	}
	return marshalPair(assertion, session)
}

// Assertion is a verified assertion.
type Assertion struct {
	// CredentialID names the credential used (base64url).
	CredentialID string
	// SignCount is the counter the authenticator asserted.
	SignCount uint32
	// CounterRegressed is set when the asserted counter is not above the
	// stored one (and they are not both zero): a sign of a cloned key.
	CounterRegressed bool
	// UserVerified reports the UV flag.
	UserVerified bool
}

// FinishLogin verifies an assertion: challenge, origin, RP id hash, user
// presence (and verification when required), that the credential is one of
// the user's, and its signature.
func (a *WebAuthn) FinishLogin(u User, state, response []byte) (Assertion, error) {
	wu, err := a.user(u)
	if err != nil {
		return Assertion{}, err
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return Assertion{}, fmt.Errorf("mfa: login state: %w", err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return Assertion{}, fmt.Errorf("%w: %s", ErrCeremony, describe(err))
	}
	cred, err := a.w.ValidateLogin(wu, session, parsed)
	if err != nil {
		return Assertion{}, fmt.Errorf("%w: %s", ErrCeremony, describe(err))
	}
	return Assertion{
		CredentialID:     CredentialID(cred.ID),
		SignCount:        cred.Authenticator.SignCount,
		CounterRegressed: cred.Authenticator.CloneWarning,
		UserVerified:     cred.Flags.UserVerified,
	}, nil
}

// CredentialID formats a raw credential id as stored.
func CredentialID(id []byte) string { return protocol.URLEncodedBase64(id).String() }

func marshalPair(options any, session *webauthn.SessionData) ([]byte, []byte, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return nil, nil, fmt.Errorf("mfa: encode options: %w", err)
	}
	s, err := json.Marshal(session)
	if err != nil {
		return nil, nil, fmt.Errorf("mfa: encode ceremony state: %w", err)
	}
	return o, s, nil
}

// describe returns the library's detailed reason for a refusal.
func describe(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		var b bytes.Buffer
		b.WriteString(pe.Type)
		if pe.Details != "" {
			b.WriteString(": " + pe.Details)
		}
		if pe.DevInfo != "" {
			b.WriteString(" (" + pe.DevInfo + ")")
		}
		return b.String()
	}
	return err.Error()
}
