// Package sts is the part of AWS STS that Gatehouse serves (Query
// protocol, XML): GetCallerIdentity, which answers who signed the request
// (an administrator's access key or a role session of temporary
// credentials), and GetAccessKeyInfo. Authentication (SigV4, the session
// token, expiry, revocation) happens in the router before an operation
// runs.
package sts

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
)

// EventSource is the CloudTrail source of STS calls.
const EventSource = "sts.amazonaws.com"

// KeyAccounts names the account an access key id belongs to.
type KeyAccounts interface {
	// KeyAccount returns the account of a key Gatehouse issued, or
	// ok=false.
	KeyAccount(ctx context.Context, accessKeyID string) (account string, ok bool, err error)
}

// Service returns the STS Query service.
func Service(keys KeyAccounts, model *awsapi.ModelValidator) *awsapi.QueryService {
	a := &api{keys: keys}
	return &awsapi.QueryService{
		SigningName: "sts",
		EventSource: EventSource,
		Model:       model,
		MapFault:    mapFault,
		Operations: map[string]awsapi.Operation{
			"GetCallerIdentity": awsapi.Op(true, a.getCallerIdentity),
			"GetAccessKeyInfo":  awsapi.Op(true, a.getAccessKeyInfo),
		},
	}
}

type api struct{ keys KeyAccounts }

func mapFault(f *fault.Error) *awsapi.Error {
	e := awsapi.DefaultFaultMapper(f)
	if f.Kind == fault.Invalid && f.Code == "" {
		e.Code = "InvalidParameterValue"
	}
	return e
}

type empty struct{}

type callerIdentity struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	ARN     string `xml:"Arn"`
}

func (a *api) getCallerIdentity(ctx context.Context, _ *empty) (*callerIdentity, error) {
	c, _ := awsapi.CallerFrom(ctx)
	return &callerIdentity{UserID: c.PrincipalID, Account: c.AccountID, ARN: c.PrincipalARN}, nil
}

type keyInfoIn struct {
	AccessKeyID string `json:"AccessKeyId"`
}

type keyInfoOut struct {
	Account string `xml:"Account"`
}

func (a *api) getAccessKeyInfo(ctx context.Context, in *keyInfoIn) (*keyInfoOut, error) {
	if !strings.HasPrefix(in.AccessKeyID, "AKIA") && !strings.HasPrefix(in.AccessKeyID, "ASIA") {
		return nil, fault.Invalidf("The access key ID %s is not valid.", in.AccessKeyID)
	}
	acct, ok, err := a.keys.KeyAccount(ctx, in.AccessKeyID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fault.Invalidf("The access key ID %s was not issued by Gatehouse.", in.AccessKeyID)
	}
	return &keyInfoOut{Account: acct}, nil
}
