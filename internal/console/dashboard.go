package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Targets of the operations the console calls.
const (
	isvc  = "AWSIdentityStore."
	sso   = "SWBExternalService."
	orgs  = "AWSOrganizationsV20161128."
	admin = "GatehouseAdmin."
)

func (h *Handler) routes() {
	h.get("/admin/{$}", h.dashboard)
	h.get("/admin", func(x *req) { http.Redirect(x.w, x.r, "/admin/", http.StatusSeeOther) })
	h.userRoutes()
	h.groupRoutes()
	h.permissionSetRoutes()
	h.accountRoutes()
	h.settingsRoutes()
	h.auditRoutes()
}

type instanceOut struct {
	InstanceArn     string  `json:"InstanceArn"`
	IdentityStoreID string  `json:"IdentityStoreId"`
	OwnerAccountID  string  `json:"OwnerAccountId"`
	Name            string  `json:"Name"`
	Status          string  `json:"Status"`
	CreatedDate     float64 `json:"CreatedDate"`
}

type dashboardData struct {
	Instance  instanceOut
	Region    string
	PortalURL string
	Counts    struct{ Users, Groups, PermissionSets, Accounts int }
	SignIns   []eventRow
	Failures  []eventRow
	Outdated  []outdatedRow
	// MoreOutdated says the list was cut.
	MoreOutdated bool
}

type outdatedRow struct {
	PermissionSetID, PermissionSetName, AccountID string
}

func (h *Handler) dashboard(x *req) {
	x.section = "dashboard"
	var d dashboardData
	d.Region, d.PortalURL = h.o.Region, strings.TrimSuffix(h.o.PublicURL, "/")+"/start"
	if err := x.call(sso+"DescribeInstance", map[string]string{"InstanceArn": h.o.Instance.ARN}, &d.Instance); err != nil {
		x.fail(err)
		return
	}
	// Counts, each authorised as the listing it summarises.
	counts := []struct {
		source, name, action string
		resources            []string
		n                    *int
		count                func(context.Context) (int, error)
	}{
		{"identitystore.amazonaws.com", "ListUsers", "identitystore:ListUsers", []string{h.storeARN(), allUsers}, &d.Counts.Users, h.o.Directory.CountUsers},
		{"identitystore.amazonaws.com", "ListGroups", "identitystore:ListGroups", []string{h.storeARN(), allGroups}, &d.Counts.Groups, h.o.Directory.CountGroups},
		{"sso.amazonaws.com", "ListPermissionSets", "sso:ListPermissionSets", []string{h.o.Instance.ARN}, &d.Counts.PermissionSets, h.o.Access.CountPermissionSets},
		{"organizations.amazonaws.com", "ListAccounts", "organizations:ListAccounts", nil, &d.Counts.Accounts, h.o.Org.CountAccounts},
	}
	for _, c := range counts {
		err := x.read(c.source, c.name, c.action, c.resources, map[string]any{"count": true}, func(ctx context.Context) (err error) {
			*c.n, err = c.count(ctx)
			return err
		})
		if err != nil {
			x.fail(err)
			return
		}
	}
	// Recent sign-ins and failures, from the audit log.
	err := x.read("cloudtrail.amazonaws.com", "LookupEvents", "cloudtrail:LookupEvents", nil,
		map[string]any{"lookupAttributes": []map[string]string{{"attributeKey": "EventSource", "attributeValue": "signin.amazonaws.com"}}},
		func(ctx context.Context) error {
			ok, _, err := h.o.Audit.Search(ctx, store.AuditSearch{EventName: "UserAuthentication", Outcome: store.AuditSuccess, Limit: 8})
			if err != nil {
				return err
			}
			bad, _, err := h.o.Audit.Search(ctx, store.AuditSearch{EventName: "CredentialVerification", Outcome: store.AuditFailure, Limit: 8})
			if err != nil {
				return err
			}
			d.SignIns, d.Failures = eventRows(ok), eventRows(bad)
			return nil
		})
	if err != nil {
		x.fail(err)
		return
	}
	// Accounts whose permission sets changed since they were provisioned.
	err = x.read("sso.amazonaws.com", "ListAccountsForProvisionedPermissionSet", "sso:ListAccountsForProvisionedPermissionSet",
		[]string{h.o.Instance.ARN}, map[string]any{"provisioningStatus": store.RoleOutdated},
		func(ctx context.Context) error {
			roles, more, err := h.o.Access.ListOutdatedRoles(ctx, "", "", 10)
			if err != nil {
				return err
			}
			d.MoreOutdated = more
			names := map[string]string{}
			for _, r := range roles {
				name, ok := names[r.PermissionSetID]
				if !ok {
					if ps, err := h.o.Access.GetPermissionSet(ctx, r.PermissionSetID); err == nil {
						name = ps.Name
					}
					names[r.PermissionSetID] = name
				}
				d.Outdated = append(d.Outdated, outdatedRow{PermissionSetID: r.PermissionSetID, PermissionSetName: name, AccountID: r.AccountID})
			}
			return nil
		})
	if err != nil {
		x.fail(err)
		return
	}
	x.render(http.StatusOK, "c-dashboard", page{Title: "Dashboard", Notice: x.notice(), Data: d})
}

// eventRow is an audit event as lists show it.
type eventRow struct {
	Seq       int64
	Time      string
	Name      string
	Source    string
	User      string
	SourceIP  string
	ErrorCode string
	Failed    bool
	Reason    string
}

func eventRows(evs []store.AuditEvent) []eventRow {
	out := make([]eventRow, 0, len(evs))
	for _, e := range evs {
		var doc struct {
			UserIdentity struct {
				UserName string `json:"userName"`
				ARN      string `json:"arn"`
			} `json:"userIdentity"`
			SourceIP            string         `json:"sourceIPAddress"`
			ErrorMessage        string         `json:"errorMessage"`
			ServiceEventDetails map[string]any `json:"serviceEventDetails"`
		}
		_ = json.Unmarshal(e.Document, &doc)
		who := doc.UserIdentity.UserName
		if who == "" {
			who = doc.UserIdentity.ARN
		}
		reason, _ := doc.ServiceEventDetails["FailureReason"].(string)
		out = append(out, eventRow{Seq: e.Seq, Time: e.Time.UTC().Format("2006-01-02 15:04:05 UTC"), Name: e.Name, Source: e.Source,
			User: who, SourceIP: doc.SourceIP, ErrorCode: e.ErrorCode, Failed: e.ErrorCode != "", Reason: reason})
	}
	return out
}
