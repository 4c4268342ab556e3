package awsmodel

import "testing"

// BenchmarkValidateCreateUser measures the per-request cost of validating
// a fully populated identitystore CreateUser body, the largest common
// request.
func BenchmarkValidateCreateUser(b *testing.B) {
	svc := mustLoad(b, "identitystore")
	body := []byte(createUserBody)
	if err := svc.ValidateJSON("CreateUser", body); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := svc.ValidateJSON("CreateUser", body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateCreateUserInvalid measures a body that fails
// validation, which also builds the message.
func BenchmarkValidateCreateUserInvalid(b *testing.B) {
	svc := mustLoad(b, "identitystore")
	body := []byte(`{"IdentityStoreId":"abc","UserName":"","Emails":[{"Value":""}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := svc.ValidateJSON("CreateUser", body); err == nil {
			b.Fatal("no error")
		}
	}
}

// BenchmarkLoadIAM measures parsing the largest embedded model.
func BenchmarkLoadIAM(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load("iam"); err != nil {
			b.Fatal(err)
		}
	}
}
