package awsmodel_test

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/awsapi/awsmodel"
)

// A JSON 1.1 dispatcher loads the model once, maps X-Amz-Target to an
// operation and validates the body before calling the domain service.
func Example_jsonDispatcher() {
	svc, err := awsmodel.Load("identitystore")
	if err != nil {
		fmt.Println(err) // the models are embedded: this only fails on a bad build
		return
	}

	// Per request:
	target := "AWSIdentityStore.CreateUser"
	body := []byte(`{"IdentityStoreId":"abc","UserName":"jane"}`)

	op, ok := svc.OperationForTarget(target)
	if !ok {
		fmt.Println("answer UnknownOperationException")
		return
	}
	if err := svc.ValidateJSON(op.Name, body); err != nil {
		var e *awsmodel.Error
		if errors.As(err, &e) {
			// Write {"__type": e.Code, "message": e.Message} with status
			// e.StatusCode() and header x-amzn-ErrorType: e.Code.
			fmt.Println(e.StatusCode(), e.Code)
			fmt.Println(e.Message)
		}
		return
	}
	// Decode body into the operation's Go type and call the service.
	// Output:
	// 400 ValidationException
	// 1 validation error detected: Value 'abc' at 'identityStoreId' failed to satisfy constraint: Member must satisfy regular expression pattern: d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}
}

// A Query protocol adapter (STS, IAM) turns form parameters into a tree and
// validates it; violations come back as ValidationError.
func Example_queryProtocol() {
	svc, err := awsmodel.Load("sts")
	if err != nil {
		fmt.Println(err)
		return
	}
	form := url.Values{"Action": {"AssumeRole"}, "RoleArn": {"arn:aws:iam::123456789012:role/Admin"},
		"RoleSessionName": {"alice"}, "DurationSeconds": {"86400"}}
	in := map[string]any{}
	for k, v := range form {
		if k != "Action" && k != "Version" {
			in[k] = v[0]
		}
	}
	err = svc.ValidateInput(form.Get("Action"), in)
	var e *awsmodel.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code)
		fmt.Println(e.Message)
	}
	// Output:
	// ValidationError
	// 1 validation error detected: Value '86400' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200
}

// A REST-JSON adapter routes by method and path, then validates the
// members bound to the query string, headers and body together.
func Example_restJSON() {
	svc, err := awsmodel.Load("sso")
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := url.Parse("/federation/credentials?role_name=Admin&account_id=123456789012")
	op, labels, ok := svc.RouteHTTP("GET", u.Path, u.Query())
	if !ok {
		return
	}
	err = svc.ValidateHTTP(op.Name, awsmodel.HTTPRequest{Labels: labels, Query: u.Query()})
	fmt.Println(op.Name)
	fmt.Println(err)
	// Output:
	// GetRoleCredentials
	// ValidationException: 1 validation error detected: Value at 'accessToken' failed to satisfy constraint: Member must not be null
}
