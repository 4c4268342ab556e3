package awsapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestInvoke: an in-process call is validated by the model, runs the
// operation with the invoker's caller, maps faults and is audited exactly
// like the same call over the wire, with what Prepare adds.
func TestInvoke(t *testing.T) {
	type in struct {
		IdentityStoreID string `json:"IdentityStoreId"`
		UserID          string `json:"UserId"`
	}
	var seen awsapi.Caller
	f := newFixture(t, map[string]awsapi.Operation{
		"DescribeUser": awsapi.Op(true, func(ctx context.Context, i *in) (*map[string]string, error) {
			seen, _ = awsapi.CallerFrom(ctx)
			if strings.HasSuffix(i.UserID, "0") {
				return nil, fault.NotFoundf("USER", i.UserID, "USER not found.")
			}
			return &map[string]string{"UserId": i.UserID, "UserName": "alice"}, nil
		}),
	})
	caller := awsapi.Caller{Type: "IdentityCenterUser", PrincipalARN: "arn:aws:identitystore:::user/u-1", PrincipalID: "u-1", AccountID: "111122223333", UserName: "boss"}
	mark := func(ev *audit.Event) { ev.SessionCredentialFromConsole = "true" }
	raw, werr := f.router.Invoke(context.Background(), awsapi.Invocation{Target: "AWSIdentityStore.DescribeUser",
		Input: in{IdentityStoreID: "d-1234567890", UserID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeee1"}, Caller: caller, Prepare: mark})
	if werr != nil {
		t.Fatalf("Invoke: %v", werr)
	}
	var out map[string]string
	if err := json.Unmarshal(raw, &out); err != nil || out["UserName"] != "alice" || seen.PrincipalID != "u-1" {
		t.Fatalf("output %s, caller %+v", raw, seen)
	}
	// The model's validation, with AWS's message.
	_, werr = f.router.Invoke(context.Background(), awsapi.Invocation{Target: "AWSIdentityStore.DescribeUser",
		Input: in{IdentityStoreID: "nope", UserID: "x"}, Caller: caller, Prepare: mark})
	if werr == nil || werr.Code != "ValidationException" || !strings.Contains(werr.Message, "identityStoreId") {
		t.Fatalf("invalid input: %v", werr)
	}
	// A fault is mapped like the service maps it.
	_, werr = f.router.Invoke(context.Background(), awsapi.Invocation{Target: "AWSIdentityStore.DescribeUser",
		Input: in{IdentityStoreID: "d-1234567890", UserID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeee0"}, Caller: caller, Prepare: mark})
	if werr == nil || werr.Code != "ResourceNotFoundException" || werr.Status != 400 {
		t.Fatalf("not found: %v", werr)
	}
	if _, werr := f.router.Invoke(context.Background(), awsapi.Invocation{Target: "Nope.Op", Caller: caller}); werr == nil || werr.Code != "UnknownOperationException" {
		t.Fatalf("unknown service: %v", werr)
	}
	// Three events, each with the invoker's identity and the mark.
	evs, err := f.db.ListAuditEvents(context.Background(), store.AuditQuery{Limit: 10})
	if err != nil || len(evs) != 3 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	codes := ""
	for _, e := range evs {
		var doc map[string]any
		json.Unmarshal(e.Document, &doc)
		if doc["sessionCredentialFromConsole"] != "true" || doc["userIdentity"].(map[string]any)["userName"] != "boss" || doc["eventName"] != "DescribeUser" {
			t.Errorf("event %s", e.Document)
		}
		codes += e.ErrorCode + ","
	}
	if codes != "ResourceNotFoundException,ValidationException,," {
		t.Errorf("error codes %q", codes)
	}
}
