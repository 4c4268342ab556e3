// Package ssooidc is the sso-oidc API (REST-JSON): RegisterClient,
// StartDeviceAuthorization and CreateToken, on the shared listener at the
// paths AWS uses (/client/register, /device_authorization, /token). The
// rules live in internal/oauth; this package only speaks the wire,
// including the OAuth error bodies ({"error": …, "error_description": …})
// that the SDKs' pollers read.
package ssooidc

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/store"
)

// EventSource is the CloudTrail source of sso-oidc calls.
const EventSource = "sso-oauth.amazonaws.com"

// Service returns the sso-oidc REST-JSON service.
func Service(o *oauth.Service, model *awsapi.ModelValidator) *awsapi.RESTService {
	a := &api{o: o}
	return &awsapi.RESTService{
		EventSource: EventSource,
		Model:       model,
		MapFault:    MapFault,
		Hidden:      []string{"deviceCode", "code"},
		Operations: map[string]awsapi.Operation{
			"RegisterClient":           awsapi.Op(false, a.registerClient),
			"StartDeviceAuthorization": awsapi.Op(false, a.startDeviceAuthorization),
			"CreateToken":              awsapi.Op(false, a.createToken),
		},
	}
}

type api struct{ o *oauth.Service }

// oauthCodes are the OAuth "error" values of the exceptions (RFC 6749,
// RFC 8628), as AWS sends them.
var oauthCodes = map[string]string{
	oauth.ExcInvalidRequest:        "invalid_request",
	oauth.ExcInvalidClient:         "invalid_client",
	oauth.ExcInvalidGrant:          "invalid_grant",
	oauth.ExcUnauthorizedClient:    "unauthorized_client",
	oauth.ExcUnsupportedGrantType:  "unsupported_grant_type",
	oauth.ExcInvalidScope:          "invalid_scope",
	oauth.ExcAuthorizationPending:  "authorization_pending",
	oauth.ExcSlowDown:              "slow_down",
	oauth.ExcAccessDenied:          "access_denied",
	oauth.ExcExpiredToken:          "expired_token",
	oauth.ExcInvalidClientMetadata: "invalid_client_metadata",
	oauth.ExcInvalidRedirectURI:    "invalid_redirect_uri",
	"InternalServerException":      "server_error",
}

// statuses are the HTTP statuses of the exceptions (from the model).
var statuses = map[string]int{oauth.ExcInvalidClient: http.StatusUnauthorized, "InternalServerException": http.StatusInternalServerError}

// MapFault turns faults into sso-oidc exceptions with OAuth bodies.
func MapFault(f *fault.Error) *awsapi.Error {
	code := f.Code
	msg := f.Message
	switch {
	case f.Kind == fault.Internal:
		code, msg = "InternalServerException", awsapi.InternalMessage
	case f.Reason == "validation" || code == "":
		// Model validation and other client mistakes: sso-oidc has no
		// ValidationException.
		code = oauth.ExcInvalidRequest
	}
	if _, known := oauthCodes[code]; !known {
		code = oauth.ExcInvalidRequest
	}
	status := http.StatusBadRequest
	if s, ok := statuses[code]; ok {
		status = s
	}
	return &awsapi.Error{Status: status, Code: code, Message: msg,
		Fields: map[string]any{"error": oauthCodes[code], "error_description": msg}}
}

// ---- RegisterClient ----

type registerIn struct {
	ClientName   string   `json:"clientName"`
	ClientType   string   `json:"clientType"`
	Scopes       []string `json:"scopes"`
	RedirectURIs []string `json:"redirectUris"`
	GrantTypes   []string `json:"grantTypes"`
	IssuerURL    string   `json:"issuerUrl"`
}

type registerOut struct {
	ClientID              string `json:"clientId"`
	ClientSecret          string `json:"clientSecret"`
	ClientIDIssuedAt      int64  `json:"clientIdIssuedAt"`
	ClientSecretExpiresAt int64  `json:"clientSecretExpiresAt"`
}

func (a *api) registerClient(ctx context.Context, in *registerIn) (*registerOut, error) {
	c, err := a.o.RegisterClient(ctx, oauth.Registration{Name: in.ClientName, Type: in.ClientType, Scopes: in.Scopes,
		GrantTypes: in.GrantTypes, RedirectURIs: in.RedirectURIs, IssuerURL: in.IssuerURL},
		func(tx store.Tx, c oauth.Client) error {
			// The secret never reaches the audit record.
			return audit.Stage(ctx, tx, map[string]any{"clientId": c.ID, "clientSecret": audit.Hidden,
				"clientSecretExpiresAt": c.ExpiresAt.Unix()})
		})
	if err != nil {
		return nil, err
	}
	return &registerOut{ClientID: c.ID, ClientSecret: c.Secret.Reveal(), ClientIDIssuedAt: c.IssuedAt.Unix(),
		ClientSecretExpiresAt: c.ExpiresAt.Unix()}, nil
}

// ---- StartDeviceAuthorization ----

type startIn struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	StartURL     string `json:"startUrl"`
}

type startOut struct {
	DeviceCode              string `json:"deviceCode"`
	UserCode                string `json:"userCode"`
	VerificationURI         string `json:"verificationUri"`
	VerificationURIComplete string `json:"verificationUriComplete"`
	ExpiresIn               int    `json:"expiresIn"`
	Interval                int    `json:"interval"`
}

func (a *api) startDeviceAuthorization(ctx context.Context, in *startIn) (*startOut, error) {
	d, err := a.o.StartDeviceAuthorization(ctx, in.ClientID, in.ClientSecret, in.StartURL, func(tx store.Tx) error {
		return audit.Stage(ctx, tx, map[string]any{"deviceCode": audit.Hidden, "userCode": audit.Hidden})
	})
	if err != nil {
		return nil, err
	}
	return &startOut{DeviceCode: d.DeviceCode.Reveal(), UserCode: d.UserCode, VerificationURI: d.VerificationURI,
		VerificationURIComplete: d.VerificationURIComplete, ExpiresIn: d.ExpiresIn, Interval: d.Interval}, nil
}

// ---- CreateToken ----

type tokenIn struct {
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	GrantType    string   `json:"grantType"`
	DeviceCode   string   `json:"deviceCode"`
	Code         string   `json:"code"`
	RefreshToken string   `json:"refreshToken"`
	Scope        []string `json:"scope"`
	RedirectURI  string   `json:"redirectUri"`
	CodeVerifier string   `json:"codeVerifier"`
}

type tokenOut struct {
	AccessToken  string `json:"accessToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
	RefreshToken string `json:"refreshToken,omitempty"`
}

func (a *api) createToken(ctx context.Context, in *tokenIn) (*tokenOut, error) {
	set, err := a.o.CreateToken(ctx, oauth.TokenRequest{ClientID: in.ClientID, ClientSecret: in.ClientSecret,
		GrantType: in.GrantType, DeviceCode: in.DeviceCode, Code: in.Code, RedirectURI: in.RedirectURI,
		CodeVerifier: in.CodeVerifier, RefreshToken: in.RefreshToken, Scopes: in.Scope},
		func(tx store.Tx, set oauth.TokenSet) error {
			if ev, ok := audit.FromContext(ctx); ok {
				ev.AdditionalEventData = map[string]any{"UserId": set.UserID, "TokenFamily": set.FamilyID, "ClientId": in.ClientID}
			}
			return audit.Stage(ctx, tx, map[string]any{"accessToken": audit.Hidden, "refreshToken": audit.Hidden,
				"tokenType": "Bearer", "expiresIn": set.ExpiresIn})
		})
	if err != nil {
		return nil, err
	}
	return &tokenOut{AccessToken: set.AccessToken.Reveal(), TokenType: "Bearer", ExpiresIn: set.ExpiresIn,
		RefreshToken: set.RefreshToken.Reveal()}, nil
}
