package awsmodel

import (
	"errors"
	"slices"
	"testing"
)

func TestLoadAll(t *testing.T) {
	want := []string{"iam", "identitystore", "organizations", "sso", "sso-admin", "sso-oidc", "sts"}
	if got := Services(); !slices.Equal(got, want) {
		t.Fatalf("Services() = %v, want %v", got, want)
	}
	meta := map[string]Metadata{
		"identitystore": {Protocol: ProtocolJSON, JSONVersion: "1.1", TargetPrefix: "AWSIdentityStore", SigningName: "identitystore", EndpointPrefix: "identitystore", APIVersion: "2020-06-15"},
		"sso-admin":     {Protocol: ProtocolJSON, JSONVersion: "1.1", TargetPrefix: "SWBExternalService", SigningName: "sso", EndpointPrefix: "sso", APIVersion: "2020-07-20"},
		"organizations": {Protocol: ProtocolJSON, JSONVersion: "1.1", TargetPrefix: "AWSOrganizationsV20161128", SigningName: "organizations", EndpointPrefix: "organizations", APIVersion: "2016-11-28"},
		"sso-oidc":      {Protocol: ProtocolRESTJSON, JSONVersion: "1.1", SigningName: "sso-oauth", EndpointPrefix: "oidc", APIVersion: "2019-06-10"},
		"sso":           {Protocol: ProtocolRESTJSON, JSONVersion: "1.1", SigningName: "awsssoportal", EndpointPrefix: "portal.sso", APIVersion: "2019-06-10"},
		"sts":           {Protocol: ProtocolQuery, SigningName: "sts", EndpointPrefix: "sts", APIVersion: "2011-06-15"},
		"iam":           {Protocol: ProtocolQuery, SigningName: "iam", EndpointPrefix: "iam", APIVersion: "2010-05-08"},
	}
	for _, name := range want {
		svc := mustLoad(t, name)
		got := svc.Metadata()
		w := meta[name]
		if got.Protocol != w.Protocol || got.JSONVersion != w.JSONVersion || got.TargetPrefix != w.TargetPrefix ||
			got.SigningName != w.SigningName || got.EndpointPrefix != w.EndpointPrefix || got.APIVersion != w.APIVersion {
			t.Errorf("%s metadata = %+v", name, got)
		}
		if len(svc.Operations()) == 0 {
			t.Errorf("%s has no operations", name)
		}
		// Every reference resolves and every operation is well formed.
		for _, op := range svc.Operations() {
			if op.Method == "" || op.RequestURI == "" {
				t.Errorf("%s.%s: no http binding", name, op.Name)
			}
			for _, e := range op.Errors {
				if !e.Exception {
					t.Errorf("%s.%s: error %s is not an exception shape", name, op.Name, e.Name)
				}
			}
		}
	}
	if _, err := Load("s3"); !errors.Is(err, ErrUnknownService) {
		t.Errorf("Load(s3) = %v", err)
	}
}

func TestOperationLookup(t *testing.T) {
	svc := mustLoad(t, "identitystore")
	op, ok := svc.OperationForTarget("AWSIdentityStore.CreateUser")
	if !ok || op.Name != "CreateUser" || op.Input.Name != "CreateUserRequest" || op.Output.Name != "CreateUserResponse" {
		t.Fatalf("OperationForTarget: %v %v", op, ok)
	}
	if op.Method != "POST" || op.RequestURI != "/" {
		t.Errorf("http = %s %s", op.Method, op.RequestURI)
	}
	var errs []string
	for _, e := range op.Errors {
		errs = append(errs, e.Name)
	}
	if !slices.Contains(errs, "ValidationException") || !slices.Contains(errs, "ConflictException") {
		t.Errorf("errors = %v", errs)
	}
	for _, bad := range []string{"SWBExternalService.CreateUser", "AWSIdentityStore.Nope", "CreateUser", ""} {
		if _, ok := svc.OperationForTarget(bad); ok {
			t.Errorf("OperationForTarget(%q) succeeded", bad)
		}
	}
	sts := mustLoad(t, "sts")
	ar, _ := sts.Operation("AssumeRole")
	if ar.OutputResultWrapper != "AssumeRoleResult" {
		t.Errorf("result wrapper = %q", ar.OutputResultWrapper)
	}
	if _, ok := sts.OperationForTarget("AWSSecurityTokenServiceV20110615.AssumeRole"); ok {
		t.Error("query services have no target prefix")
	}
}

func TestShapes(t *testing.T) {
	svc := mustLoad(t, "identitystore")
	sh, ok := svc.Shape("CreateUserRequest")
	if !ok || sh.Type != TypeStructure {
		t.Fatal("CreateUserRequest")
	}
	// Model order is kept.
	var names []string
	for _, m := range sh.Members[:4] {
		names = append(names, m.Name)
	}
	if !slices.Equal(names, []string{"IdentityStoreId", "UserName", "Name", "DisplayName"}) {
		t.Errorf("member order %v", names)
	}
	if !sh.Members[0].Required || sh.Members[1].Required {
		t.Error("required flags")
	}
	un := sh.Members[1].Shape
	if !un.Sensitive || un.Pattern == "" || *un.Min != 1 || *un.Max != 128 {
		t.Errorf("UserName shape %+v", un)
	}
	ai, _ := svc.Shape("AlternateIdentifier")
	av, _ := svc.Shape("AttributeValue")
	if !ai.Union || !av.Document {
		t.Error("union/document flags")
	}
	ve, _ := svc.Shape("ValidationException")
	if !ve.Exception || ve.ErrorCode != "" && ve.HTTPStatusCode != 400 {
		t.Errorf("ValidationException %+v", ve)
	}
	iam := mustLoad(t, "iam")
	nse, _ := iam.Shape("NoSuchEntityException")
	if nse.ErrorCode != "NoSuchEntity" || nse.HTTPStatusCode != 404 || !nse.SenderFault {
		t.Errorf("NoSuchEntityException error data: %q %d %v", nse.ErrorCode, nse.HTTPStatusCode, nse.SenderFault)
	}
}
