package awsmodel

import (
	"net/http"
	"net/url"
	"testing"
)

func TestRouteHTTP(t *testing.T) {
	oidc := mustLoad(t, "sso-oidc")
	portal := mustLoad(t, "sso")
	cases := []struct {
		svc    *Service
		method string
		target string
		want   string // "" means no route
	}{
		{oidc, "POST", "/client/register", "RegisterClient"},
		{oidc, "POST", "/device_authorization", "StartDeviceAuthorization"},
		{oidc, "POST", "/token", "CreateToken"},
		{oidc, "POST", "/token?aws_iam=t", "CreateTokenWithIAM"},
		{oidc, "GET", "/token", ""},
		{oidc, "POST", "/client/register/extra", ""},
		{portal, "GET", "/federation/credentials?role_name=Admin&account_id=123456789012", "GetRoleCredentials"},
		{portal, "GET", "/assignment/accounts", "ListAccounts"},
		{portal, "GET", "/assignment/roles", "ListAccountRoles"},
		{portal, "POST", "/logout", "Logout"},
		{portal, "GET", "/", ""},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		op, _, ok := tc.svc.RouteHTTP(tc.method, u.Path, u.Query())
		got := ""
		if ok {
			got = op.Name
		}
		if got != tc.want {
			t.Errorf("%s %s %s: got %q, want %q", tc.svc.Name(), tc.method, tc.target, got, tc.want)
		}
	}
}

func TestOperationBindings(t *testing.T) {
	portal := mustLoad(t, "sso")
	op, _ := portal.Operation("GetRoleCredentials")
	want := map[string]struct {
		loc  Location
		name string
	}{
		"roleName":    {LocationQuery, "role_name"},
		"accountId":   {LocationQuery, "account_id"},
		"accessToken": {LocationHeader, "x-amz-sso_bearer_token"},
	}
	for _, m := range op.Input.Members {
		w, ok := want[m.Name]
		if !ok || m.Location != w.loc || m.LocationName != w.name || !m.Required {
			t.Errorf("member %s: %q %q required=%v", m.Name, m.Location, m.LocationName, m.Required)
		}
	}
}

func TestValidateHTTP(t *testing.T) {
	portal := mustLoad(t, "sso")
	oidc := mustLoad(t, "sso-oidc")
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	cases := []struct {
		name     string
		svc      *Service
		op       string
		req      HTTPRequest
		wantCode string
		wantMsg  string
	}{
		{"credentials ok", portal, "GetRoleCredentials", HTTPRequest{
			Query:  url.Values{"role_name": {"Admin"}, "account_id": {"123456789012"}},
			Header: hdr("x-amz-sso_bearer_token", "token"),
		}, "", ""},
		{"credentials missing everything", portal, "GetRoleCredentials", HTTPRequest{}, CodeValidationException,
			"3 validation errors detected: Value at 'accessToken' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'accountId' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'roleName' failed to satisfy constraint: Member must not be null"},
		{"max_result not a number", portal, "ListAccounts", HTTPRequest{
			Query:  url.Values{"max_result": {"ten"}},
			Header: hdr("x-amz-sso_bearer_token", "token"),
		}, CodeSerializationException, ""},
		{"max_result out of range", portal, "ListAccounts", HTTPRequest{
			Query:  url.Values{"max_result": {"0"}},
			Header: hdr("x-amz-sso_bearer_token", "token"),
		}, CodeValidationException,
			one("Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1")},
		{"body member ignored in header op", portal, "Logout", HTTPRequest{
			Header: hdr("x-amz-sso_bearer_token", "token"),
			Body:   []byte(`{"accessToken":5}`),
		}, "", ""},
		{"register client", oidc, "RegisterClient", HTTPRequest{Body: []byte(`{"clientName":"botocore","clientType":"public","scopes":["sso:account:access"]}`)}, "", ""},
		{"register client missing", oidc, "RegisterClient", HTTPRequest{Body: []byte(`{}`)}, CodeValidationException,
			"2 validation errors detected: Value null at 'clientName' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'clientType' failed to satisfy constraint: Member must not be null"},
		{"register client bad type", oidc, "RegisterClient", HTTPRequest{Body: []byte(`{"clientName":1,"clientType":"public"}`)}, CodeSerializationException,
			"NUMBER_VALUE can not be converted to a String"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, tc.svc.ValidateHTTP(tc.op, tc.req), tc.wantCode, tc.wantMsg)
		})
	}
	// For body-only REST operations ValidateJSON is equivalent, and an
	// empty body is {}.
	checkErr(t, oidc.ValidateJSON("RegisterClient", nil), CodeValidationException,
		"2 validation errors detected: Value null at 'clientName' failed to satisfy constraint: Member must not be null; "+
			"Value null at 'clientType' failed to satisfy constraint: Member must not be null")
}
