package awsapi

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/awsapi/awsmodel"
)

func TestFormTree(t *testing.T) {
	m, err := awsmodel.Load("iam")
	if err != nil {
		t.Fatal(err)
	}
	op, _ := m.Operation("CreatePolicy")
	form, _ := url.ParseQuery("Action=CreatePolicy&Version=2010-05-08&PolicyName=P&PolicyDocument=%7B%7D&Path=%2Fa%2F" +
		"&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1")
	got := formTree(op.Input, form, "")
	want := map[string]any{"PolicyName": "P", "PolicyDocument": "{}", "Path": "/a/",
		"Tags": []any{map[string]any{"Key": "a", "Value": "1"}, map[string]any{"Key": "b", "Value": "2"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("formTree = %#v\nwant %#v", got, want)
	}
	if err := m.ValidateInput("CreatePolicy", got); err != nil {
		t.Fatalf("valid input refused: %v", err)
	}

	op, _ = m.Operation("ListPolicies")
	form, _ = url.ParseQuery("MaxItems=10&OnlyAttached=true&Scope=Local")
	got = formTree(op.Input, form, "")
	if got["MaxItems"] != int64(10) || got["OnlyAttached"] != true {
		t.Fatalf("scalars = %#v", got)
	}
	// Text that does not parse stays text for the validator to report.
	form, _ = url.ParseQuery("MaxItems=ten")
	if err := m.ValidateInput("ListPolicies", formTree(op.Input, form, "")); err == nil {
		t.Fatal("MaxItems=ten accepted")
	}
	form, _ = url.ParseQuery("MaxItems=1001")
	err = m.ValidateInput("ListPolicies", formTree(op.Input, form, ""))
	if err == nil || !strings.Contains(err.Error(), "maxItems") || !strings.HasPrefix(err.Error(), "ValidationError") {
		t.Fatalf("MaxItems=1001: %v", err)
	}

	// An empty list is sent as "Name=".
	op, _ = m.Operation("UntagPolicy")
	form, _ = url.ParseQuery("PolicyArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2FP&TagKeys=")
	if got := formTree(op.Input, form, ""); !reflect.DeepEqual(got["TagKeys"], []any{}) {
		t.Fatalf("empty list = %#v", got["TagKeys"])
	}
}

func TestEncodeQueryResponse(t *testing.T) {
	type member struct {
		Items []string `xml:"member"`
	}
	out := struct {
		Name  string   `xml:"Name"`
		When  *XMLTime `xml:"When"`
		Names member   `xml:"Names"`
		Flag  bool     `xml:"Flag"`
	}{Name: "a<b", When: XMLTimePtr(time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)), Names: member{Items: []string{"x", "y"}}, Flag: true}
	b, err := encodeQueryResponse("GetThing", "GetThingResult", "https://iam.amazonaws.com/doc/2010-05-08/", "req-1", out)
	if err != nil {
		t.Fatal(err)
	}
	want := `<GetThingResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetThingResult><Name>a&lt;b</Name>` +
		`<When>2026-01-02T03:04:05Z</When><Names><member>x</member><member>y</member></Names><Flag>true</Flag></GetThingResult>` +
		`<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetThingResponse>`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	b, _ = encodeQueryResponse("DeleteThing", "", "ns", "req-2", nil)
	if string(b) != `<DeleteThingResponse xmlns="ns"><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DeleteThingResponse>` {
		t.Fatalf("no result: %s", b)
	}
}

func TestScopeService(t *testing.T) {
	for auth, want := range map[string]string{
		"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=abc": "iam",
		"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request,SignedHeaders=host,Signature=abc":   "sts",
		"":                                  "",
		"AWS4-HMAC-SHA256 Credential=bogus": "",
	} {
		r, _ := newTestRequest(auth)
		if got := scopeService(r); got != want {
			t.Errorf("scopeService(%q) = %q, want %q", auth, got, want)
		}
	}
}

func newTestRequest(auth string) (*http.Request, error) {
	r, err := http.NewRequest(http.MethodPost, "http://localhost/", strings.NewReader("Action=GetUser"))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r, nil
}

// TestEncodeQueryResponseReuse checks that pooled encoders give every
// response the same bytes as a fresh one would.
func TestEncodeQueryResponseReuse(t *testing.T) {
	type result struct {
		Account string `xml:"Account"`
		Arn     string `xml:"Arn"`
	}
	var first []byte
	for i := range 5 {
		doc, err := encodeQueryResponse("GetCallerIdentity", "GetCallerIdentityResult", "https://sts.amazonaws.com/doc/2011-06-15/",
			"req-1", result{Account: "123456789012", Arn: "arn:aws:iam::123456789012:user/a&b"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = doc
			continue
		}
		if string(doc) != string(first) {
			t.Fatalf("response %d = %s, want %s", i, doc, first)
		}
	}
	want := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/a&amp;b</Arn></GetCallerIdentityResult>` +
		`<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	if string(first) != want {
		t.Fatalf("response = %s, want %s", first, want)
	}
	if _, err := encodeQueryResponse("X", "XResult", "", "r", make(chan int)); err == nil {
		t.Fatal("encoding a channel succeeded")
	}
	doc, err := encodeQueryResponse("X", "", "", "r", nil)
	if err != nil || string(doc) != `<XResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></XResponse>` {
		t.Fatalf("after a failed encoding: %s, %v", doc, err)
	}
}
