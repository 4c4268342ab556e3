// Package portal is the SSO portal API (service "sso", REST-JSON):
// ListAccounts, ListAccountRoles, GetRoleCredentials and Logout, called by
// the AWS CLI and SDKs with the access token of an sso-oidc grant in the
// x-amz-sso_bearer_token header. It authenticates the token with
// internal/oauth, lists what the user reaches with internal/entitlement
// and mints credentials with internal/tempcred.
package portal

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/entitlement"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/oauth"
	gportal "github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/tempcred"
)

// EventSource is the CloudTrail source of portal calls.
const EventSource = "sso.amazonaws.com"

// Service returns the portal REST-JSON service.
func Service(o *oauth.Service, roles *entitlement.Service, issuer *tempcred.Issuer, pager *awsapi.Pager,
	identityStoreARN string, model *awsapi.ModelValidator) *awsapi.RESTService {
	a := &api{o: o, roles: roles, issuer: issuer, pager: pager, storeARN: identityStoreARN}
	return &awsapi.RESTService{
		EventSource: EventSource,
		Model:       model,
		MapFault:    MapFault,
		Operations: map[string]awsapi.Operation{
			"ListAccounts":       awsapi.Op(true, a.listAccounts),
			"ListAccountRoles":   awsapi.Op(true, a.listAccountRoles),
			"GetRoleCredentials": awsapi.Op(false, a.getRoleCredentials),
			"Logout":             awsapi.Op(false, a.logout),
		},
	}
}

type api struct {
	o        *oauth.Service
	roles    *entitlement.Service
	issuer   *tempcred.Issuer
	pager    *awsapi.Pager
	storeARN string
}

// MapFault maps faults to the portal's errors: {"message": …} bodies.
func MapFault(f *fault.Error) *awsapi.Error {
	e := &awsapi.Error{Status: http.StatusBadRequest, Code: "InvalidRequestException", Message: f.Message}
	switch {
	case f.Code == "ForbiddenException":
		e.Status, e.Code = http.StatusForbidden, "ForbiddenException"
	case f.Kind == fault.Unauthenticated:
		e.Status, e.Code = http.StatusUnauthorized, "UnauthorizedException"
	case f.Kind == fault.NotFound:
		e.Status, e.Code = http.StatusNotFound, "ResourceNotFoundException"
	case f.Kind == fault.Throttled:
		e.Status, e.Code = http.StatusTooManyRequests, "TooManyRequestsException"
	case f.Kind == fault.Internal:
		e.Status, e.Code, e.Message = http.StatusInternalServerError, "InternalServerException", awsapi.InternalMessage
	}
	e.Fields = map[string]any{"message": e.Message}
	return e
}

// authenticate resolves the bearer token and names the user in the audit
// event.
func (a *api) authenticate(ctx context.Context, token string) (oauth.Grant, error) {
	g, err := a.o.Authenticate(ctx, token)
	if err != nil {
		return g, err
	}
	if ev, ok := audit.FromContext(ctx); ok {
		ev.UserIdentity = audit.UserIdentity{Type: "IdentityCenterUser", PrincipalID: g.UserID, UserName: g.UserName,
			CredentialID: g.FamilyID, OnBehalfOf: &audit.OnBehalfOf{UserID: g.UserID, IdentityStoreARN: a.storeARN}}
	}
	return g, nil
}

// ---- ListAccounts ----

type listAccountsIn struct {
	AccessToken string `json:"accessToken"`
	NextToken   string `json:"nextToken"`
	MaxResults  int    `json:"maxResults"`
}

type accountInfo struct {
	AccountID    string `json:"accountId"`
	AccountName  string `json:"accountName"`
	EmailAddress string `json:"emailAddress"`
}

type listAccountsOut struct {
	NextToken   *string       `json:"nextToken,omitempty"`
	AccountList []accountInfo `json:"accountList"`
}

func pageSize(n int) int {
	if n <= 0 || n > 100 {
		return 100
	}
	return n
}

func (a *api) listAccounts(ctx context.Context, in *listAccountsIn) (*listAccountsOut, error) {
	g, err := a.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	scope := "sso:ListAccounts:" + g.UserID
	after, err := a.pager.Decode(scope, in.NextToken)
	if err != nil {
		return nil, err
	}
	page, err := a.roles.AccountsFor(ctx, g.UserID, gportal.AccountQuery{After: after, Limit: pageSize(in.MaxResults)})
	if err != nil {
		return nil, err
	}
	out := &listAccountsOut{AccountList: make([]accountInfo, 0, len(page.Accounts))}
	for _, acct := range page.Accounts {
		out.AccountList = append(out.AccountList, accountInfo{AccountID: acct.ID, AccountName: acct.Name, EmailAddress: acct.Email})
	}
	if page.Next != "" {
		tok := a.pager.Encode(scope, page.Next)
		out.NextToken = &tok
	}
	return out, nil
}

// ---- ListAccountRoles ----

type listRolesIn struct {
	AccessToken string `json:"accessToken"`
	AccountID   string `json:"accountId"`
	NextToken   string `json:"nextToken"`
	MaxResults  int    `json:"maxResults"`
}

type roleInfo struct {
	RoleName  string `json:"roleName"`
	AccountID string `json:"accountId"`
}

type listRolesOut struct {
	NextToken *string    `json:"nextToken,omitempty"`
	RoleList  []roleInfo `json:"roleList"`
}

func (a *api) listAccountRoles(ctx context.Context, in *listRolesIn) (*listRolesOut, error) {
	g, err := a.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	scope := "sso:ListAccountRoles:" + g.UserID + ":" + in.AccountID
	after, err := a.pager.Decode(scope, in.NextToken)
	if err != nil {
		return nil, err
	}
	roles, err := a.roles.Roles(ctx, g.UserID, in.AccountID)
	if err != nil {
		return nil, err
	}
	out := &listRolesOut{RoleList: []roleInfo{}}
	n := pageSize(in.MaxResults)
	for _, r := range roles {
		if r.Name <= after {
			continue
		}
		if len(out.RoleList) == n {
			tok := a.pager.Encode(scope, out.RoleList[n-1].RoleName)
			out.NextToken = &tok
			break
		}
		out.RoleList = append(out.RoleList, roleInfo{RoleName: r.Name, AccountID: in.AccountID})
	}
	return out, nil
}

// ---- GetRoleCredentials ----

type credentialsIn struct {
	AccessToken string `json:"accessToken"`
	AccountID   string `json:"accountId"`
	RoleName    string `json:"roleName"`
}

type roleCredentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	// Expiration is in epoch milliseconds, as the portal API sends it.
	Expiration int64 `json:"expiration"`
}

type credentialsOut struct {
	RoleCredentials roleCredentials `json:"roleCredentials"`
}

func (a *api) getRoleCredentials(ctx context.Context, in *credentialsIn) (*credentialsOut, error) {
	g, err := a.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	// The user record Authenticate just read (and checked) serves the
	// session tags; reading it again would only cost time.
	c, err := a.issuer.IssueFor(ctx, gportal.Session{UserID: g.UserID, UserName: g.UserName, SessionID: g.SessionID,
		MFAPresent: g.MFAPresent, AuthTime: g.AuthTime}, g.User, in.AccountID, in.RoleName)
	if err != nil {
		if errors.Is(err, tempcred.ErrNoAccess) {
			return nil, tempcred.ErrNoAccess
		}
		return nil, err
	}
	return &credentialsOut{RoleCredentials: roleCredentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey.Reveal(),
		SessionToken: c.SessionToken.Reveal(), Expiration: c.Expiration.UnixMilli()}}, nil
}

// ---- Logout ----

type logoutIn struct {
	AccessToken string `json:"accessToken"`
}

type logoutOut struct{}

func (a *api) logout(ctx context.Context, in *logoutIn) (*logoutOut, error) {
	g, err := a.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := a.o.Logout(ctx, g, func(tx store.Tx) error { return audit.Stage(ctx, tx, nil) }); err != nil {
		return nil, err
	}
	return &logoutOut{}, nil
}
