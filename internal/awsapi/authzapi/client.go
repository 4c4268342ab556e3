package authzapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// Client calls the authorization API: what a Go service in front of its
// own resources embeds to ask Gatehouse for every request's decision.
type Client struct {
	// Endpoint is Gatehouse's main listener, e.g. https://sso.example.com.
	Endpoint string
	// Credentials are the calling service's administrator key.
	Credentials sigv4.Credentials
	// Region is Gatehouse's region.
	Region string
	// HTTP sends the calls; nil means http.DefaultClient.
	HTTP *http.Client
}

// APIError is an error answer of the API.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message) }

// AuthorizeRequest asks for the decision on r, a request the service
// received signed with SigV4 for signingName, to perform action on
// resource. keys are the service's own condition keys (aws:SourceIp, …).
// payloadHash is the hex SHA-256 of the body the service read, or "" for
// S3-style requests whose X-Amz-Content-Sha256 header says what was signed.
func (c *Client) AuthorizeRequest(ctx context.Context, r *http.Request, payloadHash, signingName, action, resource string, keys map[string][]string) (*Output, error) {
	headers := map[string][]string{"Host": {r.Host}}
	for k, vs := range r.Header {
		headers[k] = vs
	}
	path, query := r.URL.EscapedPath(), r.URL.RawQuery
	if uri := r.RequestURI; strings.HasPrefix(uri, "/") {
		// A server-side request: the request line exactly as sent.
		path, query, _ = strings.Cut(uri, "?")
	}
	in := AuthorizeRequestInput{
		Request:     SignedRequest{Method: r.Method, Path: path, Query: query, Headers: headers, PayloadHash: payloadHash},
		SigningName: signingName, Action: action, Resource: resource, Context: keys,
	}
	var out Output
	if err := c.call(ctx, "AuthorizeRequest", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Authorize asks for the decision of an explicit principal.
func (c *Client) Authorize(ctx context.Context, in AuthorizeInput) (*Output, error) {
	var out Output
	if err := c.call(ctx, "Authorize", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.Endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", TargetPrefix+"."+op)
	sum := sha256.Sum256(body)
	if err := (sigv4.Signer{}).Sign(req, hex.EncodeToString(sum[:]), c.Credentials, c.Region, SigningName, time.Now()); err != nil {
		return err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("authzapi: %s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("authzapi: %s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"Message"`
		}
		_ = json.Unmarshal(raw, &e)
		return &APIError{Status: resp.StatusCode, Code: e.Type, Message: e.Message}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return errors.Join(fmt.Errorf("authzapi: %s: decode the answer", op), err)
	}
	return nil
}
