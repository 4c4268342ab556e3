package awsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// allowAll authenticates every request as one admin. It stands in for
// SigV4Auth, which has its own tests; here the router's handling of what
// comes after authentication is under test.
type allowAll struct{}

func (allowAll) Authenticate(*http.Request, []byte, string) (awsapi.Caller, *awsapi.Error) {
	return awsapi.Caller{Type: "IAMUser", PrincipalARN: "arn:aws:iam::111122223333:user/admin", AccountID: "111122223333"}, nil
}

type denyAll struct{}

func (denyAll) Authenticate(*http.Request, []byte, string) (awsapi.Caller, *awsapi.Error) {
	return awsapi.Caller{}, &awsapi.Error{Status: 400, Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid."}
}

type fixture struct {
	db      *sqlstore.DB
	handler http.Handler
	router  *awsapi.JSONRouter
}

func newFixture(t testing.TB, ops map[string]awsapi.Operation) *fixture {
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	v, err := awsapi.NewModelValidator("identitystore")
	if err != nil {
		t.Fatal(err)
	}
	r := &awsapi.JSONRouter{
		Services: map[string]*awsapi.JSONService{"AWSIdentityStore": {
			TargetPrefix: "AWSIdentityStore", SigningName: "identitystore", EventSource: "identitystore.amazonaws.com",
			Validator: v, Operations: ops,
		}},
		Auth:  allowAll{},
		Audit: audit.NewRecorder(db),
		Log:   slog.New(slog.DiscardHandler), Region: "us-east-1", AccountID: "111122223333",
	}
	return &fixture{db: db, router: r, handler: reqinfo.Middleware{}.Wrap(r)}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (f *fixture) call(t testing.TB, target string, body []byte) reply {
	req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", awsapi.JSONContentType)
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	r := reply{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	json.Unmarshal(rec.Body.Bytes(), &r.body)
	return r
}

func (r reply) want(t *testing.T, status int, code, msgPart string) {
	t.Helper()
	if r.status != status || r.body["__type"] != code || r.header.Get("X-Amzn-ErrorType") != code {
		t.Fatalf("got %d %v (%s), want %d %s", r.status, r.body["__type"], r.raw, status, code)
	}
	if msgPart != "" && !strings.Contains(r.body["Message"].(string), msgPart) {
		t.Fatalf("message %q does not contain %q", r.body["Message"], msgPart)
	}
	if r.header.Get("x-amzn-RequestId") == "" {
		t.Fatal("no x-amzn-RequestId")
	}
}

const validListUsers = `{"IdentityStoreId":"d-0123456789"}`

func TestRouterErrors(t *testing.T) {
	secret := errors.New("pq: relation \"users\" does not exist at /srv/db.go:42")
	f := newFixture(t, map[string]awsapi.Operation{
		"ListUsers":    {ReadOnly: true, Call: func(context.Context, []byte) (any, error) { return map[string]any{"Users": []any{}}, nil }},
		"ListGroups":   {ReadOnly: true, Call: func(context.Context, []byte) (any, error) { panic("boom: secret detail") }},
		"DescribeUser": {ReadOnly: true, Call: func(context.Context, []byte) (any, error) { return nil, secret }},
		"DescribeGroup": {ReadOnly: true, Call: func(context.Context, []byte) (any, error) {
			return nil, fault.NotFoundf("GROUP", "g-1", "GROUP not found.")
		}},
	})

	ok := f.call(t, "AWSIdentityStore.ListUsers", []byte(validListUsers))
	if ok.status != 200 || ok.header.Get("Content-Type") != awsapi.JSONContentType {
		t.Fatalf("ListUsers = %d %s", ok.status, ok.raw)
	}

	f.call(t, "AWSIdentityStore.ListUsers", bytes.Repeat([]byte("x"), awsapi.MaxBodyBytes+1)).want(t, 413, "SerializationException", "larger than")
	f.call(t, "AWSIdentityStore.ListUsers", []byte(`{"IdentityStoreId":`)).want(t, 400, "SerializationException", "")
	f.call(t, "AWSIdentityStore.ListUsers", []byte(`{"IdentityStoreId":5}`)).want(t, 400, "SerializationException", "")
	f.call(t, "AWSIdentityStore.ListUsers", []byte(`{}`)).want(t, 400, "ValidationException", "Member must not be null")
	f.call(t, "AWSIdentityStore.NoSuchThing", []byte(`{}`)).want(t, 400, "UnknownOperationException", "")
	f.call(t, "AWSIdentityStore.CreateUser", []byte(`{}`)).want(t, 501, "NotImplementedException", "CreateUser")

	p := f.call(t, "AWSIdentityStore.ListGroups", []byte(validListUsers))
	p.want(t, 500, "InternalServerException", "internal error")
	if strings.Contains(p.raw, "boom") || strings.Contains(p.raw, "secret") {
		t.Fatalf("panic text leaked: %s", p.raw)
	}
	in := f.call(t, "AWSIdentityStore.DescribeUser", []byte(`{"IdentityStoreId":"d-0123456789","UserId":"0123456789-8b0ce7a2-3f5b-4b7e-9d8e-2a1b3c4d5e6f"}`))
	in.want(t, 500, "InternalServerException", "")
	if strings.Contains(in.raw, "relation") || strings.Contains(in.raw, "db.go") {
		t.Fatalf("internal error text leaked: %s", in.raw)
	}
	nf := f.call(t, "AWSIdentityStore.DescribeGroup", []byte(`{"IdentityStoreId":"d-0123456789","GroupId":"0123456789-8b0ce7a2-3f5b-4b7e-9d8e-2a1b3c4d5e6f"}`))
	nf.want(t, 400, "ResourceNotFoundException", "GROUP not found.")
	if nf.body["ResourceType"] != "GROUP" || nf.body["ResourceId"] != "g-1" {
		t.Fatalf("not-found body = %v", nf.body)
	}

	// Every call above left exactly one event, failures included.
	evs, err := f.db.ListAuditEvents(context.Background(), store.AuditQuery{Limit: 100})
	if err != nil || len(evs) != 10 {
		t.Fatalf("%d audit events, want 10 (%v)", len(evs), err)
	}
	for _, e := range evs {
		if strings.Contains(string(e.Document), "relation") || strings.Contains(string(e.Document), "boom") {
			t.Fatalf("internal detail in the audit record: %s", e.Document)
		}
	}
}

func TestRouterUnauthenticated(t *testing.T) {
	called := false
	f := newFixture(t, map[string]awsapi.Operation{
		"ListUsers": {ReadOnly: true, Call: func(context.Context, []byte) (any, error) { called = true; return struct{}{}, nil }},
	})
	f.router.Auth = denyAll{}
	f.call(t, "AWSIdentityStore.ListUsers", []byte(validListUsers)).want(t, 400, "UnrecognizedClientException", "security token")
	if called {
		t.Fatal("an unauthenticated call reached the operation")
	}
}

// TestRouterFailsClosedWithoutAudit: when the audit event cannot be written,
// a read is not answered.
func TestRouterFailsClosedWithoutAudit(t *testing.T) {
	f := newFixture(t, map[string]awsapi.Operation{
		"ListUsers": {ReadOnly: true, Call: func(context.Context, []byte) (any, error) { return map[string]string{"secret": "data"}, nil }},
	})
	f.db.Close()
	r := f.call(t, "AWSIdentityStore.ListUsers", []byte(validListUsers))
	r.want(t, 500, "InternalServerException", "")
	if strings.Contains(r.raw, "data") {
		t.Fatal("data was returned without an audit record")
	}
}

// FuzzJSONRouter: no body or target ever crashes the router or makes it
// answer with an internal error; every answer is JSON with a request id.
func FuzzJSONRouter(f *testing.F) {
	for _, seed := range []string{validListUsers, `{}`, `[]`, `null`, `{"IdentityStoreId":"d-0123456789","MaxResults":0}`,
		`{"IdentityStoreId":"d-0123456789","NextToken":"` + strings.Repeat("A", 100) + `"}`, "\xff\xfe", `{"a":` + strings.Repeat("[", 200)} {
		f.Add("ListUsers", []byte(seed))
	}
	f.Add("Bogus", []byte(`{}`))
	fx := newFixture(f, map[string]awsapi.Operation{
		"ListUsers": awsapi.Op(true, func(ctx context.Context, in *struct {
			IdentityStoreID string `json:"IdentityStoreId"`
			MaxResults      *int   `json:"MaxResults"`
		}) (*struct{ N int }, error) {
			return &struct{ N int }{N: 1}, nil
		}),
	})
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		r := fx.call(t, "AWSIdentityStore."+op, body)
		if r.status >= 500 && r.status != 501 {
			t.Fatalf("status %d for %q %q: %s", r.status, op, body, r.raw)
		}
		if r.header.Get("x-amzn-RequestId") == "" {
			t.Fatal("no request id")
		}
		if r.status != 200 && r.body["__type"] == nil {
			t.Fatalf("error without __type: %s", r.raw)
		}
	})
}

// TestRouterEncodedOutput: an output the operation encoded itself is sent
// as it is, over the wire and through Invoke, with the content type and
// the read's audit event (which records no response) of any other output.
func TestRouterEncodedOutput(t *testing.T) {
	const body = `{"Users":[{"IdentityStoreId":"d-0123456789","UserId":"u-1","Title":"\u003cé\u003e"}],"NextToken":"t"}`
	f := newFixture(t, map[string]awsapi.Operation{
		"ListUsers": awsapi.Op(true, func(context.Context, *struct{}) (*awsapi.EncodedOutput, error) {
			return &awsapi.EncodedOutput{JSON: []byte(body)}, nil
		}),
	})
	r := f.call(t, "AWSIdentityStore.ListUsers", []byte(validListUsers))
	if r.status != http.StatusOK || r.raw != body || r.header.Get("Content-Type") != awsapi.JSONContentType {
		t.Fatalf("got %d %q %s", r.status, r.header.Get("Content-Type"), r.raw)
	}
	raw, werr := f.router.Invoke(context.Background(), awsapi.Invocation{Target: "AWSIdentityStore.ListUsers",
		Input: json.RawMessage(validListUsers), Caller: awsapi.Caller{Type: "IAMUser"}})
	if werr != nil || string(raw) != body {
		t.Fatalf("Invoke = %s, %v", raw, werr)
	}
	if enc, err := json.Marshal(awsapi.EncodedOutput{JSON: []byte(body)}); err != nil || string(enc) != body {
		t.Fatalf("json.Marshal = %s, %v", enc, err)
	}
	evs, err := f.db.ListAuditEvents(context.Background(), store.AuditQuery{Limit: 10})
	if err != nil || len(evs) != 2 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	for _, e := range evs {
		var doc map[string]any
		if err := json.Unmarshal(e.Document, &doc); err != nil {
			t.Fatal(err)
		}
		if resp, ok := doc["responseElements"]; !ok || resp != nil || doc["readOnly"] != true || e.ErrorCode != "" {
			t.Errorf("event %s", e.Document)
		}
	}
}
