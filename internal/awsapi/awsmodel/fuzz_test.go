package awsmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// FuzzValidateJSON feeds arbitrary bodies to every identitystore and
// sso-admin operation. Validation must never panic, must answer with nil or
// an *Error, and must agree with encoding/json that malformed JSON is a
// message-less SerializationException. The seed corpus is in
// testdata/fuzz/FuzzValidateJSON; plain `go test` replays it.
func FuzzValidateJSON(f *testing.F) {
	var ops []struct {
		svc *Service
		op  string
	}
	for _, name := range []string{"identitystore", "sso-admin", "sso-oidc"} {
		svc := mustLoad(f, name)
		for _, op := range svc.Operations() {
			ops = append(ops, struct {
				svc *Service
				op  string
			}{svc, op.Name})
		}
	}
	f.Add(uint16(0), []byte(createUserBody))
	f.Add(uint16(3), []byte(`{"IdentityStoreId":"d-1234567890","Filters":[{"AttributePath":"UserName","AttributeValue":"x"}]}`))
	f.Fuzz(func(t *testing.T, which uint16, body []byte) {
		target := ops[int(which)%len(ops)]
		err := target.svc.ValidateJSON(target.op, body)
		// The one-parse variant agrees, and its redaction is valid JSON.
		red, rerr := target.svc.ValidateJSONRedacted(target.op, body, "HIDDEN")
		if fmt.Sprint(rerr) != fmt.Sprint(err) {
			t.Fatalf("%s: ValidateJSONRedacted: %v, ValidateJSON: %v", target.op, rerr, err)
		}
		if rerr == nil && red != nil && !json.Valid(red) {
			t.Fatalf("%s: redacted %q is not JSON", target.op, red)
		}
		valid := json.Valid(body)
		if target.svc.Metadata().Protocol == ProtocolRESTJSON && isBlank(body) {
			valid = true // REST-JSON treats an empty body as {}
		}
		if err == nil {
			if !valid {
				t.Fatalf("%s accepted invalid JSON %q", target.op, body)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: non-AWS error %v", target.op, err)
		}
		if !valid && (e.Code != CodeSerializationException || e.Message != "") {
			t.Fatalf("%s: invalid JSON %q gave %v", target.op, body, e)
		}
		if e.Code != CodeSerializationException {
			if len(e.Violations) == 0 || len(e.Violations) > maxViolations || ValidationMessage(e.Violations) != e.Message {
				t.Fatalf("%s: inconsistent validation error %v", target.op, e)
			}
		}
		// Deterministic.
		if err2 := target.svc.ValidateJSON(target.op, body); err2.Error() != err.Error() {
			t.Fatalf("%s: %v then %v", target.op, err, err2)
		}
	})
}
