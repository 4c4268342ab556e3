package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	iamapi "github.com/gatehouse/gatehouse/internal/awsapi/iam"
	"github.com/gatehouse/gatehouse/internal/awsapi/organizations"
	"github.com/gatehouse/gatehouse/internal/awsapi/ssoadmin"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/instance"
	"github.com/gatehouse/gatehouse/internal/managedpolicy"
	"github.com/gatehouse/gatehouse/internal/org"
	"github.com/gatehouse/gatehouse/internal/store"
)

// accessServices are the services of issue 3: the organization and its
// accounts, permission sets with their assignments and provisioning, and
// the per-account IAM policy stores. Their background workers run between
// start and stop.
type accessServices struct {
	inst   instance.Instance
	org    *org.Service
	access *access.Service
	iam    *iam.Service
	log    *slog.Logger
}

// managementAccountName and managementAccountEmail describe the management
// account created on first start; AWS would know them from sign-up.
const (
	managementAccountName  = "Management account"
	managementAccountEmail = "management@gatehouse.invalid"
)

func newAccessServices(ctx context.Context, db store.Store, inst instance.Instance, dir *directory.Service,
	keys *accesskey.Service, log *slog.Logger, now func() time.Time) (*accessServices, error) {
	o := org.New(db, org.Options{Now: now, Log: log})
	if _, err := o.Ensure(ctx, org.Management{AccountID: inst.OwnerAccountID, Name: managementAccountName, Email: managementAccountEmail}); err != nil {
		return nil, err
	}
	catalogue, err := managedpolicy.Load()
	if err != nil {
		return nil, err
	}
	acc := access.New(db, catalogue, inst.InstanceID, access.Options{Now: now, Log: log})
	// Deleting a user or group deletes its assignments in the same
	// transaction.
	dir.AddHook(acc)
	// IAM users of the management account are delegated administrators;
	// the bootstrap administrator is not one of them (docs/delegated-admin.md).
	users := iam.New(db, catalogue, inst.InstanceID, iam.Options{Now: now, Log: log, AccessKeys: keys,
		BootstrapUser: instance.AdminUserName, BootstrapCreated: inst.CreatedAt})
	return &accessServices{inst: inst, org: o, access: acc, iam: users, log: log}, nil
}

// jsonServices returns the JSON 1.1 services to register; admin
// authorises every call.
func (s *accessServices) jsonServices(pager *awsapi.Pager, models modelSet, admin awsapi.Authorizer) []*awsapi.JSONService {
	return []*awsapi.JSONService{
		organizations.Service(s.org, pager, models.validator("organizations"), admin),
		ssoadmin.Service(s.access, s.inst.IdentityStoreID, pager, models.validator("sso-admin"), admin),
	}
}

// queryRouter returns the Query protocol router (IAM here; STS joins it
// later), sharing the JSON router's authenticator and audit recorder.
func (s *accessServices) queryRouter(json *awsapi.JSONRouter, pager *awsapi.Pager, models modelSet, authz awsapi.Authorizer) *awsapi.QueryRouter {
	auth, ok := json.Auth.(awsapi.QueryAuthenticator)
	if !ok {
		s.log.Error("the JSON router's authenticator cannot verify Query requests; IAM is not served")
		return nil
	}
	svc := iamapi.Service(s.iam, pager, models["iam"], authz)
	return &awsapi.QueryRouter{
		Services: map[string]*awsapi.QueryService{svc.SigningName: svc},
		Auth:     auth, Audit: json.Audit, Log: json.Log, Region: json.Region, AccountID: json.AccountID,
	}
}

func (s *accessServices) start() {
	s.org.Start()
	s.access.Start()
}

func (s *accessServices) stop() {
	s.access.Stop()
	s.org.Stop()
}
