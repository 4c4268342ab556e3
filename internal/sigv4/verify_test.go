package sigv4

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestVerifySDKJSONRequest(t *testing.T) {
	body := `{"IdentityStoreId":"d-1234567890","MaxResults":10}`
	r := jsonRequest(t, body)
	sdkSign(t, r, sha256Hex([]byte(body)), testService, testTime, false, sdkCreds)
	sr, got := roundTrip(t, r)
	v := newTestVerifier(t, false, testTime.Add(time.Minute))
	res, err := v.Verify(context.Background(), sr, FullBody(got))
	if err != nil {
		t.Fatal(err)
	}
	if res.AccessKeyID != testAKID || res.Scope != (Scope{"20250101", testRegion, testService}) || res.Presigned {
		t.Fatalf("result = %+v", res)
	}
}

func TestVerifySDKPresigned(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	r.URL.RawQuery += "&X-Amz-Expires=60"
	signer := newSDKSigner(false)
	u, hdr, err := signer.PresignHTTP(context.Background(), sdkCreds, r, EmptySHA256, testService, testRegion, testTime)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, vs := range hdr {
		if k != "Host" {
			pr.Header[k] = vs
		}
	}
	sr, body := roundTrip(t, pr)
	v := newTestVerifier(t, false, testTime.Add(30*time.Second))
	res, err := v.Verify(context.Background(), sr, FullBody(body))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Presigned || !res.Expires.Equal(testTime.Add(time.Minute)) {
		t.Fatalf("result = %+v", res)
	}
	v = newTestVerifier(t, false, testTime.Add(61*time.Second))
	_, err = v.Verify(context.Background(), sr, FullBody(body))
	wantKind(t, err, RequestExpired)
}

// TestRequestTargetForms checks the path taken from each request-target
// form net/http hands a handler.
func TestRequestTargetForms(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"/a%2Fb/c?x=1", "/a%2Fb/c"},
		{"http://h.example/a/../b?x", "/a/../b"},
		{"https://h.example", "/"},
		{"?x=1", "/"},
		{"*", "/"},
	} {
		r := &http.Request{RequestURI: tc.uri, URL: &url.URL{}}
		if got := requestPath(r); got != tc.want {
			t.Errorf("requestPath(%q) = %q, want %q", tc.uri, got, tc.want)
		}
	}
	// An absolute-form request, as sent to a proxy, verifies too.
	r := jsonRequest(t, tableBody)
	r.URL.Path = "/x/../y"
	sdkSign(t, r, sha256Hex([]byte(tableBody)), testService, testTime, false, sdkCreds)
	wire := "POST https://identitystore.us-east-1.amazonaws.com/x/../y HTTP/1.1\r\nHost: identitystore.us-east-1.amazonaws.com\r\n"
	for k, vs := range r.Header {
		for _, v := range vs {
			wire += k + ": " + v + "\r\n"
		}
	}
	wire += "Content-Length: " + strconv.Itoa(len(tableBody)) + "\r\n\r\n" + tableBody
	sr, err := http.ReadRequest(bufio.NewReader(strings.NewReader(wire)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newTestVerifier(t, false, testTime).Verify(context.Background(), sr, FullBody([]byte(tableBody))); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyConcurrent shares one Verifier (and its key cache and buffer
// pool) between goroutines; run with -race.
func TestVerifyConcurrent(t *testing.T) {
	v := newTestVerifier(t, false, tableNow)
	var reqs []*http.Request
	for _, at := range []time.Time{tableSignAt, tableSignAt.Add(time.Second), tableSignAt.Add(-24 * time.Hour)} {
		reqs = append(reqs, tableRequest(t, at, sdkCreds, testService, testRegion))
	}
	done := make(chan error)
	for g := range 8 {
		go func() {
			var err error
			for i := range 200 {
				r := reqs[(g+i)%len(reqs)]
				_, e := v.Verify(context.Background(), r, FullBody([]byte(tableBody)))
				if stale := r.Header.Get("X-Amz-Date") < "20250101"; stale != (e != nil) {
					err = fmt.Errorf("request dated %s: %v", r.Header.Get("X-Amz-Date"), e)
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
