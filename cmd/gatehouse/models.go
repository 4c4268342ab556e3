package main

import (
	"github.com/gatehouse/gatehouse/internal/awsapi"
)

// modelSet holds the loaded AWS service models.
type modelSet map[string]*awsapi.ModelValidator

func newModels() (modelSet, error) {
	m := modelSet{}
	for _, name := range []string{"identitystore", "organizations", "sso-admin", "iam", "sso-oidc", "sso", "sts"} {
		v, err := awsapi.NewModelValidator(name)
		if err != nil {
			return nil, err
		}
		m[name] = v
	}
	return m, nil
}

func (m modelSet) validator(name string) awsapi.Validator { return m[name] }
