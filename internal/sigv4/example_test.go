package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// maxBody bounds what a JSON-protocol adapter reads before verifying.
const maxBody = 1 << 20

// Example shows an HTTP adapter for a JSON-protocol service: read the body
// with a bound, verify, and answer failures in AWS's shape.
func Example() {
	signedAt := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	secrets := sigv4.SecretLookupFunc(func(_ context.Context, id string) (string, error) {
		if id == "AKIDEXAMPLE" {
			return "secret", nil
		}
		return "", fmt.Errorf("access key %s: %w", id, sigv4.ErrUnknownAccessKey)
	})
	v, err := sigv4.NewVerifier(sigv4.Config{
		Secrets: secrets,
		Service: "identitystore",
		Regions: []string{"us-east-1"},
		Now:     func() time.Time { return signedAt.Add(time.Minute) },
	})
	if err != nil {
		panic(err)
	}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		res, err := v.Verify(r.Context(), r, sigv4.FullBody(body))
		if err != nil {
			// Log err (it carries the internal cause); send only the wire form.
			wire := sigv4.JSONWire(err)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Header().Set("X-Amzn-Errortype", wire.Code)
			w.WriteHeader(wire.Status)
			json.NewEncoder(w).Encode(map[string]string{"__type": wire.Code, "Message": wire.Message})
			return
		}
		// The caller, not Verify, checks res.SecurityToken against the
		// session of res.AccessKeyID.
		fmt.Fprintf(w, "hello %s in %s", res.AccessKeyID, res.Scope.Region)
	})

	send := func(secret string) {
		req, _ := http.NewRequest(http.MethodPost, "https://identitystore.us-east-1.amazonaws.com/", strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", "AWSIdentityStore.ListUsers")
		creds := sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: secret}
		if err := (sigv4.Signer{}).Sign(req, sha256Hex(`{}`), creds, "us-east-1", "identitystore", signedAt); err != nil {
			panic(err)
		}
		srv := httptest.NewRequest(req.Method, req.URL.String(), strings.NewReader(`{}`))
		srv.Header = req.Header
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, srv)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	send("secret")
	send("wrong")
	// Output:
	// 200 hello AKIDEXAMPLE in us-east-1
	// 403 {"Message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.","__type":"InvalidSignatureException"}
}

// ExampleResult_Payload shows an S3-style upload whose body is read after
// verification: a declared SHA-256 or an aws-chunked body is checked while
// it streams.
func ExampleResult_Payload() {
	signedAt := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	v, _ := sigv4.NewVerifier(sigv4.Config{
		Secrets:                 sigv4.SecretLookupFunc(func(context.Context, string) (string, error) { return "secret", nil }),
		Service:                 "s3",
		Regions:                 []string{"us-east-1"},
		Now:                     func() time.Time { return signedAt },
		Path:                    sigv4.PathAsSent,
		UnsignedPayload:         true,
		StreamingPayload:        true,
		RequireContentSHA256:    true,
		RequireSignedAmzHeaders: true,
	})
	req := httptest.NewRequest(http.MethodPut, "https://bucket.s3.amazonaws.com/key", strings.NewReader("tampered"))
	req.Header.Set("X-Amz-Content-Sha256", sha256Hex("data"))
	creds := sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
	_ = sigv4.Signer{Path: sigv4.PathAsSent}.Sign(req, sha256Hex("data"), creds, "us-east-1", "s3", signedAt)

	res, err := v.Verify(context.Background(), req, sigv4.StreamedBody())
	if err != nil {
		panic(err)
	}
	_, err = io.Copy(io.Discard, res.Payload(req.Body))
	var e *sigv4.Error
	if errors.As(err, &e) {
		w := sigv4.S3Wire(err)
		fmt.Println(e.Kind, w.Status, w.Code)
	}
	// Output:
	// ContentSHA256Mismatch 400 XAmzContentSHA256Mismatch
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
