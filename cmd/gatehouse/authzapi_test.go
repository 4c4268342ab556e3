package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/awsapi/authzapi"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// authzCall calls a GatehouseAuthz operation signed with the given key.
func authzCall(t *testing.T, base, id, secret, token, op string, in any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "GatehouseAuthz."+op)
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "gatehouse", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// forwardedFacts is what a service sends of a request it received.
func forwardedFacts(r *http.Request) map[string]any {
	h := map[string][]string{"Host": {r.Host}}
	for k, vs := range r.Header {
		h[k] = vs
	}
	return map[string]any{"Method": r.Method, "Path": r.URL.EscapedPath(), "Query": r.URL.RawQuery, "Headers": h}
}

// TestAuthorizationAPI asks Gatehouse for decisions as another service
// would: for a signed request it received (AuthorizeRequest), and for an
// explicit principal (Authorize, by access key and by role).
func TestAuthorizationAPI(t *testing.T) {
	app := startS3App(t)
	e := newEntitledUser(t, app.portalApp, "hana")
	app.setPolicies(t, e, tutorialPolicy)
	id, secret, token := app.roleCredentials(t, e)
	call := func(op string, in any) (int, map[string]any) {
		return authzCall(t, app.URL, app.KeyID, app.Secret, "", op, in)
	}

	// A request the user signed for S3, as a service in front of S3-like
	// storage received it.
	signed := func() *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "http://storage.example:9000/reports/2026/q1.csv?versionId=3", nil)
		r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token}
		if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		return r
	}
	in := map[string]any{"Request": forwardedFacts(signed()), "SigningName": "s3", "Action": "s3:GetObjectVersion",
		"Resource": "arn:aws:s3:::reports/2026/q1.csv", "Context": map[string][]string{"aws:SourceIp": {"192.0.2.10"}}}
	code, out := call("AuthorizeRequest", in)
	if code != 200 || out["Decision"] != "Allow" || out["Allowed"] != true || out["Authenticated"] != true {
		t.Fatalf("AuthorizeRequest: %d %v", code, out)
	}
	st := out["DecidingStatement"].(map[string]any)
	if st["Policy"] != authz.InlinePolicyName || st["Sid"] != "S3OnlyWithMFA" || st["Index"] != float64(0) || st["Layer"] != "identity" {
		t.Fatalf("deciding statement %v", st)
	}
	if p := out["Principal"].(map[string]any); p["AccessKeyId"] != id || p["MfaPresent"] != true || !strings.Contains(p["Arn"].(string), ":assumed-role/AWSReservedSSO_") {
		t.Fatalf("principal %v", p)
	}
	// The same request changed after signing.
	r := signed()
	r.URL.RawQuery = "versionId=4"
	in["Request"] = forwardedFacts(r)
	code, out = call("AuthorizeRequest", in)
	if code != 200 || out["Authenticated"] != false || out["Allowed"] != false {
		t.Fatalf("tampered AuthorizeRequest: %d %v", code, out)
	}
	if e := out["Error"].(map[string]any); e["Code"] != "SignatureDoesNotMatch" || e["HttpStatus"] != float64(403) {
		t.Fatalf("tampered request's error %v", e)
	}
	// Keys Gatehouse derives from the session cannot be supplied.
	in["Request"] = forwardedFacts(signed())
	in["Context"] = map[string][]string{"aws:MultiFactorAuthPresent": {"true"}}
	if code, out := call("AuthorizeRequest", in); code != 400 || out["__type"] != "ValidationException" {
		t.Fatalf("a session key in the context: %d %v", code, out)
	}

	// Authorize with the access key alone.
	code, out = call("Authorize", map[string]any{"Principal": map[string]any{"AccessKeyId": id}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/k"})
	if code != 200 || out["Decision"] != "Allow" {
		t.Fatalf("Authorize by key: %d %v", code, out)
	}
	// A role named by ARN: the caller supplies the session's facts.
	roleARN := out["Principal"].(map[string]any)["PrincipalArn"].(string)
	for mfa, want := range map[string]string{"true": "Allow", "false": "ImplicitDeny"} {
		code, out := call("Authorize", map[string]any{"Principal": map[string]any{"RoleArn": roleARN}, "Action": "s3:ListBucket",
			"Resource": "arn:aws:s3:::b", "Context": map[string][]string{"aws:MultiFactorAuthPresent": {mfa}}})
		if code != 200 || out["Decision"] != want {
			t.Fatalf("Authorize by role with MFA %s: %d %v", mfa, code, out)
		}
	}
	if code, out := call("Authorize", map[string]any{"Principal": map[string]any{"RoleArn": roleARN}, "Action": "s3:ListBucket",
		"Resource": "arn:aws:s3:::b", "Context": map[string][]string{"aws:PrincipalArn": {"arn:aws:iam::1:role/x"}}}); code != 400 {
		t.Fatalf("a principal key in the context: %d %v", code, out)
	}
	if code, out := call("Authorize", map[string]any{"Principal": map[string]any{"AccessKeyId": "ASIAAAAAAAAAAAAAAAAA"}, "Action": "s3:ListBucket", "Resource": "*"}); code != 400 || out["__type"] != "ResourceNotFoundException" {
		t.Fatalf("an unknown key: %d %v", code, out)
	}

	// Only administrators ask.
	if code, out := authzCall(t, app.URL, id, secret, token, "Authorize", map[string]any{"Principal": map[string]any{"AccessKeyId": id},
		"Action": "s3:ListBucket", "Resource": "*"}); code != 400 || out["__type"] != "AccessDeniedException" {
		t.Fatalf("a role session as the caller: %d %v", code, out)
	}

	// Every decision is audited with the subject and the statement.
	var ev map[string]any
	for _, x := range app.auditEvents(t) {
		if aed, _ := x["additionalEventData"].(map[string]any); x["eventName"] == "AuthorizeRequest" && aed["subject"] != nil {
			ev = x
			break
		}
	}
	if ev == nil {
		t.Fatal("no audit event of AuthorizeRequest")
	}
	aed := ev["additionalEventData"].(map[string]any)
	if ev["userIdentity"].(map[string]any)["accessKeyId"] != app.KeyID || aed["subject"].(map[string]any)["accessKeyId"] != id ||
		aed["authorization"].([]any)[0].(map[string]any)["sid"] != "S3OnlyWithMFA" {
		t.Fatalf("audit of AuthorizeRequest: %v", ev)
	}

	// A service in front of its own files, as docs/authorization-api.md's
	// example: the user reads with the S3 SDK, the service asks Gatehouse.
	client := &authzapi.Client{Endpoint: app.URL, Region: "us-east-1", Credentials: sigv4.Credentials{AccessKeyID: app.KeyID, SecretAccessKey: app.Secret}}
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := client.AuthorizeRequest(r.Context(), r, "", "s3", "s3:GetObject", "arn:aws:s3:::"+strings.TrimPrefix(r.URL.Path, "/"), nil)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		case out.Error != nil:
			http.Error(w, out.Error.Code, out.Error.HTTPStatus)
		case !out.Allowed:
			http.Error(w, "AccessDenied", http.StatusForbidden)
		default:
			w.Write([]byte("report for " + out.Principal.UserName))
		}
	}))
	defer service.Close()
	user := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(service.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: aws.NewCredentialsCache(staticCreds{id, secret, token})})
	got, err := user.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("reports"), Key: aws.String("2026/q1 final.csv")})
	if err != nil {
		t.Fatalf("GetObject through the service: %v", err)
	}
	b, _ := io.ReadAll(got.Body)
	if string(b) != "report for hana" {
		t.Fatalf("the service answered %q", b)
	}
	if _, err := app.s3Client(id, "wrong"+secret[5:], token).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("reports"), Key: aws.String("x")}); err == nil {
		t.Fatal("the gateway accepted a wrong secret")
	}
	bad := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(service.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: aws.NewCredentialsCache(staticCreds{id, "wrong" + secret[5:], token})})
	if _, err := bad.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("reports"), Key: aws.String("x")}); errCode(err) != "SignatureDoesNotMatch" && !strings.Contains(err.Error(), "403") {
		t.Fatalf("the service with a wrong secret: %v", err)
	}

	// After revocation the user's signed requests are denied.
	if code, out := app.adminCall(t, "DeleteUserSessions", map[string]any{"UserId": e.userID}); code != 200 {
		t.Fatalf("DeleteUserSessions: %d %v", code, out)
	}
	in["Context"] = nil
	in["Request"] = forwardedFacts(signed())
	code, out = call("AuthorizeRequest", in)
	if code != 200 || out["Allowed"] != false || out["Reason"] != "the session's credentials were revoked" {
		t.Fatalf("AuthorizeRequest after revocation: %d %v", code, out)
	}
}

// BenchmarkAuthorizeRequest measures the authorization API as a service
// calls it on every request: a forwarded S3 request signed by a key of
// Gatehouse, verified, decided and audited, over loopback with the
// service's own signed call. Run with -benchtime and -cpu to see the
// latency a service adds per request.
func BenchmarkAuthorizeRequest(b *testing.B) {
	app := startApp(b)
	client := &authzapi.Client{Endpoint: app.URL, Region: "us-east-1", Credentials: sigv4.Credentials{AccessKeyID: app.KeyID, SecretAccessKey: app.Secret}}
	creds := aws.Credentials{AccessKeyID: app.KeyID, SecretAccessKey: app.Secret}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	ctx := context.Background()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, _ := http.NewRequest(http.MethodGet, "http://storage.example/reports/q1.csv", nil)
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			if err := signer.SignHTTP(ctx, creds, r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
				b.Fatal(err)
			}
			out, err := client.AuthorizeRequest(ctx, r, "", "s3", "s3:GetObject", "arn:aws:s3:::reports/q1.csv", nil)
			if err != nil || !out.Allowed {
				b.Fatalf("%+v %v", out, err)
			}
		}
	})
}
