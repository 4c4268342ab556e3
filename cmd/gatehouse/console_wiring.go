package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/console"
	"github.com/gatehouse/gatehouse/internal/consoleadmin"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/instance"
	"github.com/gatehouse/gatehouse/internal/store"
)

// newConsoleGrants builds the console grants (issue 8). Console
// administrators act with policy documents: AWS managed ones from the
// catalogue, customer managed ones of the management account, read with
// IAM's own service. Deleting a user deletes the user's grant.
func newConsoleGrants(cfg Config, db store.Store, inst instance.Instance, dir *directory.Service, acc *accessServices,
	log *slog.Logger, now func() time.Time) (*consoleadmin.Service, error) {
	g, err := consoleadmin.New(consoleadmin.Options{Store: db, Documents: policyDocuments{iam: acc.iam, account: inst.OwnerAccountID},
		AccountID: inst.OwnerAccountID, Region: cfg.Region, Log: log, Now: now})
	if err != nil {
		return nil, err
	}
	dir.AddHook(g)
	return g, nil
}

// policyDocuments resolves managed policy ARNs to their default version's
// document through the IAM service of the management account.
type policyDocuments struct {
	iam     *iam.Service
	account string
}

func (p policyDocuments) PolicyDocument(ctx context.Context, arn string) (string, error) {
	pol, err := p.iam.GetPolicy(ctx, p.account, arn)
	if err != nil {
		return "", err
	}
	v, err := p.iam.GetPolicyVersion(ctx, p.account, arn, pol.DefaultVersion)
	if err != nil {
		return "", err
	}
	return v.Document, nil
}

// newConsole builds the admin console at /admin/ on the services the API
// uses: it calls the router's operations in process.
func newConsole(cfg Config, log *slog.Logger, db store.Store, inst instance.Instance, dir *directory.Service, acc *accessServices,
	sign *signinParts, router *awsapi.JSONRouter, grants *consoleadmin.Service, now func() time.Time) (http.Handler, error) {
	return console.New(console.Options{
		Web: sign.portal, Router: router, Grants: grants, Directory: dir, Access: acc.access, Org: acc.org,
		Audit: audit.NewLog(db), Instance: inst, Region: cfg.Region, PublicURL: cfg.PublicURL, Log: log, Now: now,
	})
}
