package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func runPolicy(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := run(append([]string{"policy"}, args...), &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestPolicyCheck(t *testing.T) {
	out, err := runPolicy("check", "testdata/policies/mfa-s3.json", "testdata/policies/bad-version.json")
	if !errors.Is(err, errInvalid) {
		t.Fatalf("err = %v, want errInvalid", err)
	}
	if !strings.Contains(out, "mfa-s3.json: ok") {
		t.Errorf("valid file not reported ok:\n%s", out)
	}
	if !strings.Contains(out, "bad-version.json:") || !strings.Contains(out, "2012-10-17") {
		t.Errorf("bad version not explained (must name the valid versions):\n%s", out)
	}
}

func TestPolicyEval(t *testing.T) {
	mfa := "testdata/policies/mfa-s3.json"
	cases := []struct {
		name   string
		args   []string
		denied bool
		want   string
	}{
		{"mfa true", []string{"--context", "aws:MultiFactorAuthPresent=true"}, false, `Allow by identity policy "testdata/policies/mfa-s3.json" Statement[0] (Sid "S3WithMFA")`},
		{"mfa absent (IfExists)", nil, false, "Allow"},
		{"mfa false", []string{"--context", "aws:MultiFactorAuthPresent=false"}, true, "ImplicitDeny"},
		{"explicit deny wins", []string{"--policy", "testdata/policies/deny-delete.json", "--action", "s3:DeleteObject"}, true, `ExplicitDeny by identity policy "testdata/policies/deny-delete.json" Statement[0] (Sid "NoDeletes")`},
		{"boundary limits", []string{"--boundary", "testdata/policies/deny-delete.json"}, true, "ImplicitDeny (no allow in boundary policies)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"eval", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k", "--policy", mfa}, c.args...)
			out, err := runPolicy(args...)
			if c.denied != errors.Is(err, errDenied) || (!c.denied && err != nil) {
				t.Fatalf("err = %v, denied want %v\n%s", err, c.denied, out)
			}
			if !strings.Contains(out, c.want) {
				t.Fatalf("output %q does not contain %q", out, c.want)
			}
		})
	}
	if _, err := runPolicy("eval", "--action", "s3:GetObject", "--policy", "testdata/policies/bad-version.json"); err == nil || errors.Is(err, errDenied) {
		t.Fatalf("an invalid policy was evaluated: %v", err)
	}
}
