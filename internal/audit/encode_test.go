package audit

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/jsonw"
)

// plainEvent has Event's fields and tags but not its MarshalJSON: what
// encoding/json makes of an event is the reference for the hand encoder.
type plainEvent Event

func reference(t testing.TB, e *Event) string {
	t.Helper()
	b, err := json.Marshal((*plainEvent)(e))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// decision stands in for authz.AuditDecision: a struct that appends itself.
type decision struct {
	Action string `json:"action"`
	N      *int   `json:"n,omitempty"`
}

func (d decision) AppendJSON(b []byte) []byte {
	b = append(b, `{"action":`...)
	b = jsonw.AppendString(b, d.Action)
	if d.N != nil {
		b = append(b, `,"n":`...)
		b = append(b, []byte(json.Number(itoa(*d.N)))...)
	}
	return append(b, '}')
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

var awkward = []string{
	"", "plain", `quote " and backslash \`, "<script>&amp;</script>", "tab\tnewline\nreturn\rbell\a\b\f\x00\x1f",
	"héllo wörld ✓ 𝄞", "bad \xff utf8 \xc3", "line\u2028sep\u2029", "\x7f del",
}

func TestEventEncodingMatchesEncodingJSON(t *testing.T) {
	seven := 7
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	var cases []*Event
	for _, s := range awkward {
		e := NewEvent(at, "identitystore.amazonaws.com", "GetUserId")
		e.UserIdentity = UserIdentity{Type: "IAMUser", PrincipalID: s, ARN: "arn:aws:iam::123456789012:user/" + s, AccountID: "123456789012",
			AccessKeyID: "AKIA", UserName: s, OnBehalfOf: &OnBehalfOf{UserID: s, IdentityStoreARN: "arn"}, CredentialID: s}
		e.SourceIPAddress, e.UserAgent, e.RequestID, e.AWSRegion = "127.0.0.1", s, s, "us-east-1"
		e.RequestParameters = map[string]any{"identityStoreId": "d-1", s: s, "nested": map[string]any{"list": []any{s, 1, true, nil, 2.5}},
			"strs": []string{s, "b"}, "m": map[string]string{s: s, "a": "b"}, "num": json.Number("12"), "n": 3, "i64": int64(-4)}
		e.ResponseElements = map[string]string{"userId": s}
		e.AdditionalEventData = map[string]any{"authorization": []decision{{Action: s}, {Action: "x", N: &seven}},
			"none": []decision(nil), "struct": struct {
				A string `json:"a"`
			}{s}}
		e.ServiceEventDetails = map[string]any{"FailureReason": s}
		e.SessionCredentialFromConsole = "true"
		cases = append(cases, e)
	}
	failed := NewEvent(at, "sso.amazonaws.com", "GetRoleCredentials")
	failed.Fail("AccessDeniedException", "no <access> & more")
	failed.AdditionalEventData = map[string]any{} // empty: omitted
	cases = append(cases, failed)
	raw := NewEvent(at, "s", "n")
	raw.RequestParameters = JSON(`{"a":"b","c":[1,2]}`)
	raw.ResponseElements = JSON(nil)
	cases = append(cases, raw)

	for i, e := range cases {
		got, err := e.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if want := reference(t, e); string(got) != want {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// benchEvent is the event of a typical read: a GetUserId call by an
// administrator, its request parameters and its authorization decisions.
func benchEvent() *Event {
	e := NewEvent(time.Now(), "identitystore.amazonaws.com", "GetUserId")
	e.UserIdentity = UserIdentity{Type: "IAMUser", PrincipalID: "AIDAEXAMPLE", ARN: "arn:aws:iam::123456789012:user/admin",
		AccountID: "123456789012", AccessKeyID: "AKIAEXAMPLEEXAMPLE12", UserName: "admin"}
	e.SourceIPAddress, e.UserAgent, e.RequestID, e.AWSRegion = "127.0.0.1", "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.26 api/identitystore#1.28.1",
		"5bc4b8d3-1b6c-4f1e-9d3a-3e9f2d1c0b7a", "us-east-1"
	e.ReadOnly, e.RecipientAccountID = true, "123456789012"
	e.RequestParameters = map[string]any{"identityStoreId": "d-1234567890",
		"alternateIdentifier": map[string]any{"uniqueAttribute": map[string]any{"attributePath": "userName", "attributeValue": Hidden}}}
	e.AdditionalEventData = map[string]any{"authorization": []decision{
		{Action: "identitystore:GetUserId"}, {Action: "identitystore:GetUserId"}}}
	return e
}

func BenchmarkEventRecord(b *testing.B) {
	e := benchEvent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.record(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventEncodingJSON is the same event through encoding/json, for
// comparison.
func BenchmarkEventEncodingJSON(b *testing.B) {
	e := benchEvent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal((*plainEvent)(e)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventRecordEncodedParameters is BenchmarkEventRecord with the
// request parameters already encoded, as the JSON router passes them.
func BenchmarkEventRecordEncodedParameters(b *testing.B) {
	e := benchEvent()
	p, err := json.Marshal(e.RequestParameters)
	if err != nil {
		b.Fatal(err)
	}
	e.RequestParameters = JSON(p)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.record(); err != nil {
			b.Fatal(err)
		}
	}
}
