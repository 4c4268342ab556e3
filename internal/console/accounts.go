package console

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/directory"
)

func (h *Handler) accountRoutes() {
	h.get("/admin/accounts", h.accounts)
	h.get("/admin/accounts/{id}", h.account)
	h.get("/admin/accounts/{id}/confirm-remove", h.confirmRemoveAssignment)
	h.post("/admin/accounts/{id}/assignments/delete", h.removeAssignment)
	h.get("/admin/assign", h.assign)
	h.post("/admin/assign", h.submitAssign)
	h.get("/admin/status/assignments", h.assignmentStatus)
}

// orgPage is the organizations API's page size limit.
const orgPage = 20

var (
	accountIDPattern = regexp.MustCompile(`^\d{12}$`)
	parentIDPattern  = regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
)

type crumb struct{ ID, Name string }

type accountsData struct {
	Parent    crumb
	Path      []crumb
	Units     []wireOU
	MoreUnits bool
	Accounts  []wireAccount
	NextURL   string
	First     bool
}

// accounts shows one level of the organization tree: the organizational
// units and the accounts under a parent (the root by default).
func (h *Handler) accounts(x *req) {
	x.section = "accounts"
	q := x.r.URL.Query()
	parent := q.Get("parent")
	var roots struct {
		Roots []wireOU `json:"Roots"`
	}
	if err := x.call(orgs+"ListRoots", map[string]any{}, &roots); err != nil {
		x.fail(err)
		return
	}
	if len(roots.Roots) == 0 {
		x.fail(notFound("ROOT"))
		return
	}
	root := roots.Roots[0]
	d := accountsData{First: q.Get("token") == ""}
	if parent == "" || parent == root.ID {
		d.Parent = crumb{root.ID, "Root"}
	} else {
		if !parentIDPattern.MatchString(parent) {
			x.fail(notFound("ORGANIZATIONAL_UNIT"))
			return
		}
		ou, err := x.describeOU(parent)
		if err != nil {
			x.fail(err)
			return
		}
		d.Parent = crumb{parent, ou.Name}
		// The path up to the root, a parent at a time (OUs nest at most
		// five deep).
		child := parent
		for range 6 {
			var ps struct {
				Parents []struct{ ID, Type string } `json:"Parents"`
			}
			if err := x.call(orgs+"ListParents", map[string]string{"ChildId": child}, &ps); err != nil || len(ps.Parents) == 0 {
				break
			}
			p := ps.Parents[0]
			if p.Type == "ROOT" {
				d.Path = append([]crumb{{p.ID, "Root"}}, d.Path...)
				break
			}
			up, err := x.describeOU(p.ID)
			if err != nil {
				break
			}
			d.Path = append([]crumb{{p.ID, up.Name}}, d.Path...)
			child = p.ID
		}
	}
	var units struct {
		OrganizationalUnits []wireOU `json:"OrganizationalUnits"`
		NextToken           string   `json:"NextToken"`
	}
	if err := x.call(orgs+"ListOrganizationalUnitsForParent", map[string]any{"ParentId": d.Parent.ID, "MaxResults": orgPage}, &units); err != nil {
		x.fail(err)
		return
	}
	d.Units, d.MoreUnits = units.OrganizationalUnits, units.NextToken != ""
	in := map[string]any{"ParentId": d.Parent.ID, "MaxResults": orgPage}
	setPageToken(in, q)
	var accts struct {
		Accounts  []wireAccount `json:"Accounts"`
		NextToken string        `json:"NextToken"`
	}
	if err := x.call(orgs+"ListAccountsForParent", in, &accts); err != nil {
		x.fail(err)
		return
	}
	d.Accounts = accts.Accounts
	if accts.NextToken != "" {
		d.NextURL = "/admin/accounts?" + url.Values{"parent": {d.Parent.ID}, "token": {accts.NextToken}}.Encode()
	}
	x.render(http.StatusOK, "c-accounts", page{Title: "AWS accounts", Notice: x.notice(), Data: d})
}

// describeOU returns an organizational unit (DescribeOrganizationalUnit).
func (x *req) describeOU(id string) (wireOU, error) {
	var out struct {
		OrganizationalUnit wireOU `json:"OrganizationalUnit"`
	}
	err := x.call(orgs+"DescribeOrganizationalUnit", map[string]string{"OrganizationalUnitId": id}, &out)
	return out.OrganizationalUnit, err
}

type accountData struct {
	Account     wireAccount
	Assignments []assignmentRow
	// MoreSets says the account holds more permission sets than shown.
	MoreSets bool
}

// account shows an account and its assignments: per permission set
// provisioned to it, who has it.
func (h *Handler) account(x *req) {
	x.section = "accounts"
	id := x.r.PathValue("id")
	if !accountIDPattern.MatchString(id) {
		x.fail(notFound("ACCOUNT"))
		return
	}
	var a struct {
		Account wireAccount `json:"Account"`
	}
	if err := x.call(orgs+"DescribeAccount", map[string]string{"AccountId": id}, &a); err != nil {
		x.fail(err)
		return
	}
	d := accountData{Account: a.Account}
	var sets struct {
		PermissionSets []string `json:"PermissionSets"`
		NextToken      string   `json:"NextToken"`
	}
	if err := x.call(sso+"ListPermissionSetsProvisionedToAccount", map[string]any{"InstanceArn": h.o.Instance.ARN, "AccountId": id, "MaxResults": 20}, &sets); err != nil {
		x.fail(err)
		return
	}
	d.MoreSets = sets.NextToken != ""
	n := names{x: x}
	for _, ps := range sets.PermissionSets {
		var as assignmentsOut
		if err := x.call(sso+"ListAccountAssignments", map[string]any{"InstanceArn": h.o.Instance.ARN, "AccountId": id,
			"PermissionSetArn": ps, "MaxResults": 100}, &as); err != nil {
			x.fail(err)
			return
		}
		d.Assignments = append(d.Assignments, n.assignments(as.AccountAssignments)...)
	}
	x.render(http.StatusOK, "c-account", page{Title: "Account " + a.Account.Name, Notice: x.notice(), Data: d})
}

var principalPattern = regexp.MustCompile(`^(USER|GROUP):([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$`)

// assignmentFromQuery reads an assignment named by ps, type and principal.
func assignmentFromValues(v url.Values) (psid, typ, principal string, ok bool) {
	psid, typ, principal = v.Get("ps"), v.Get("type"), v.Get("principal")
	ok = psIDPattern.MatchString(psid) && principalPattern.MatchString(typ+":"+principal)
	return
}

func (h *Handler) confirmRemoveAssignment(x *req) {
	x.section = "accounts"
	id := x.r.PathValue("id")
	psid, typ, principal, ok := assignmentFromValues(x.r.URL.Query())
	if !accountIDPattern.MatchString(id) || !ok {
		x.fail(notFound("ACCOUNT_ASSIGNMENT"))
		return
	}
	n := names{x: x}
	who, set := n.principal(typ, principal), n.permissionSet(h.psARN(psid))
	x.render(http.StatusOK, "c-confirm", page{Title: "Remove access", Data: confirmView{
		Question: "Remove the access of " + strings.ToLower(typ) + " " + who + " to account " + id + " with permission set " + set + "?",
		Details:  []string{"When no assignment of the permission set is left in the account, its role is removed from the account."},
		Action:   "/admin/accounts/" + id + "/assignments/delete", Button: "Remove access", Cancel: "/admin/accounts/" + id,
		Hidden: []hidden{{"ps", psid}, {"type", typ}, {"principal", principal}},
	}})
}

func (h *Handler) removeAssignment(x *req) {
	x.section = "accounts"
	id := x.r.PathValue("id")
	psid, typ, principal, _ := assignmentFromValues(x.r.PostForm)
	var out struct {
		AccountAssignmentDeletionStatus assignmentStatus `json:"AccountAssignmentDeletionStatus"`
	}
	if err := x.call(sso+"DeleteAccountAssignment", map[string]string{"InstanceArn": h.o.Instance.ARN, "TargetId": id, "TargetType": "AWS_ACCOUNT",
		"PermissionSetArn": h.psARN(psid), "PrincipalType": typ, "PrincipalId": principal}, &out); err != nil {
		x.fail(err)
		return
	}
	http.Redirect(x.w, x.r, "/admin/status/assignments?"+url.Values{"kind": {"delete"}, "req": {out.AccountAssignmentDeletionStatus.RequestID},
		"account": {id}}.Encode(), http.StatusSeeOther)
}

// ---- the "Assign users or groups" flow ----

// The flow is a sequence of GET pages (choosing changes nothing) that
// carry the choices so far as query parameters: accounts, then users and
// groups, then permission sets, then a review whose form is the only
// POST. Each page offers one page of choices with a search; choices on
// one page are kept when moving on.

// maxAssignments bounds what one submission creates.
const maxAssignments = 100

type choice struct {
	Value, Label string
	Checked      bool
}

type assignData struct {
	Step     string
	Accounts []string
	// Principals are "USER:<id>" or "GROUP:<id>".
	Principals []string
	Sets       []string
	// Choices of the current step, with a search and paging.
	Choices   []choice
	Groups    []choice
	Query, By string
	NextURL   string
	// Review rows: account × principal × permission set.
	Review  []assignmentRow
	Total   int
	TooMany bool
}

func filterValues(vs []string, re *regexp.Regexp, limit int) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range vs {
		if re.MatchString(v) && !seen[v] && len(out) < limit {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// carry returns the query of the choices so far, without the step's own.
func (d assignData) carry(without string) url.Values {
	v := url.Values{}
	if without != "account" {
		v["account"] = d.Accounts
	}
	if without != "principal" {
		v["principal"] = d.Principals
	}
	if without != "ps" {
		v["ps"] = d.Sets
	}
	return v
}

func (h *Handler) assign(x *req) {
	x.section = "accounts"
	q := x.r.URL.Query()
	d := assignData{Step: q.Get("step"),
		Accounts:   filterValues(q["account"], accountIDPattern, maxAssignments),
		Principals: filterValues(q["principal"], principalPattern, maxAssignments),
		Sets:       filterValues(q["ps"], psIDPattern, maxAssignments),
		Query:      strings.TrimSpace(q.Get("q")), By: q.Get("by"),
	}
	switch d.Step {
	case "", "accounts":
		d.Step = "accounts"
		in := map[string]any{"MaxResults": orgPage}
		setPageToken(in, q)
		var out struct {
			Accounts  []wireAccount `json:"Accounts"`
			NextToken string        `json:"NextToken"`
		}
		if err := x.call(orgs+"ListAccounts", in, &out); err != nil {
			x.fail(err)
			return
		}
		for _, a := range out.Accounts {
			d.Choices = append(d.Choices, choice{Value: a.ID, Label: a.Name + " (" + a.ID + ")", Checked: slices.Contains(d.Accounts, a.ID)})
		}
		if out.NextToken != "" {
			v := d.carry("")
			v.Set("step", "accounts")
			v.Set("token", out.NextToken)
			d.NextURL = "/admin/assign?" + v.Encode()
		}
	case "principals":
		d.By = searchBy(d.By)
		list, more, err := h.searchUsers(x, d.By, d.Query, q.Get("after"), 20, nil)
		if err != nil {
			x.fail(err)
			return
		}
		for _, u := range list {
			v := "USER:" + u.ID
			d.Choices = append(d.Choices, choice{Value: v, Label: u.UserName + " (" + u.DisplayName + ")", Checked: slices.Contains(d.Principals, v)})
		}
		if more {
			v := d.carry("")
			v.Set("step", "principals")
			v.Set("q", d.Query)
			v.Set("by", d.By)
			v.Set("after", directory.SearchKey(list[len(list)-1], d.By))
			d.NextURL = "/admin/assign?" + v.Encode()
		}
		groups, _, err := x.groupChoices()
		if err != nil {
			x.fail(err)
			return
		}
		for _, g := range groups {
			v := "GROUP:" + g.GroupID
			d.Groups = append(d.Groups, choice{Value: v, Label: g.DisplayName, Checked: slices.Contains(d.Principals, v)})
		}
	case "permission-sets":
		var out struct {
			PermissionSets []string `json:"PermissionSets"`
		}
		if err := x.call(sso+"ListPermissionSets", map[string]any{"InstanceArn": h.o.Instance.ARN, "MaxResults": 100}, &out); err != nil {
			x.fail(err)
			return
		}
		n := names{x: x}
		for _, arn := range out.PermissionSets {
			id := psID(arn)
			d.Choices = append(d.Choices, choice{Value: id, Label: n.permissionSet(arn), Checked: slices.Contains(d.Sets, id)})
		}
	case "review":
		d.Total = len(d.Accounts) * len(d.Principals) * len(d.Sets)
		d.TooMany = d.Total > maxAssignments
		if !d.TooMany {
			n := names{x: x}
			for _, a := range d.Accounts {
				for _, p := range d.Principals {
					typ, id, _ := strings.Cut(p, ":")
					for _, ps := range d.Sets {
						d.Review = append(d.Review, assignmentRow{AccountID: a, PermissionSetID: ps, PermissionSetName: n.permissionSet(h.psARN(ps)),
							PrincipalType: typ, PrincipalID: id, PrincipalName: n.principal(typ, id)})
					}
				}
			}
		}
	default:
		x.fail(notFound("STEP"))
		return
	}
	x.render(http.StatusOK, "c-assign", page{Title: "Assign users or groups", Data: d})
}

// submitAssign creates every chosen assignment, one
// CreateAccountAssignment each, and shows their status.
func (h *Handler) submitAssign(x *req) {
	x.section = "accounts"
	f := x.r.PostForm
	accounts := filterValues(f["account"], accountIDPattern, maxAssignments)
	principals := filterValues(f["principal"], principalPattern, maxAssignments)
	sets := filterValues(f["ps"], psIDPattern, maxAssignments)
	if n := len(accounts) * len(principals) * len(sets); n == 0 || n > maxAssignments {
		x.fail(invalid("Choose at least one account, one user or group and one permission set, and at most 100 assignments at a time."))
		return
	}
	status := url.Values{"kind": {"create"}}
	for _, a := range accounts {
		for _, p := range principals {
			typ, id, _ := strings.Cut(p, ":")
			for _, ps := range sets {
				var out struct {
					AccountAssignmentCreationStatus assignmentStatus `json:"AccountAssignmentCreationStatus"`
				}
				if err := x.call(sso+"CreateAccountAssignment", map[string]string{"InstanceArn": h.o.Instance.ARN, "TargetId": a,
					"TargetType": "AWS_ACCOUNT", "PermissionSetArn": h.psARN(ps), "PrincipalType": typ, "PrincipalId": id}, &out); err != nil {
					x.fail(err)
					return
				}
				status.Add("req", out.AccountAssignmentCreationStatus.RequestID)
			}
		}
	}
	http.Redirect(x.w, x.r, "/admin/status/assignments?"+status.Encode(), http.StatusSeeOther)
}

type statusData struct {
	Kind    string
	Rows    []statusRow
	Pending bool
	Account string
}

type statusRow struct {
	Status, FailureReason string
	assignmentRow
}

// assignmentStatus shows asynchronous assignment requests until they are
// done, refreshing itself meanwhile.
func (h *Handler) assignmentStatus(x *req) {
	x.section = "accounts"
	q := x.r.URL.Query()
	d := statusData{Kind: q.Get("kind"), Account: q.Get("account")}
	if !accountIDPattern.MatchString(d.Account) {
		d.Account = ""
	}
	op, member, field := "DescribeAccountAssignmentCreationStatus", "AccountAssignmentCreationStatus", "AccountAssignmentCreationRequestId"
	if d.Kind == "delete" {
		op, member, field = "DescribeAccountAssignmentDeletionStatus", "AccountAssignmentDeletionStatus", "AccountAssignmentDeletionRequestId"
	} else {
		d.Kind = "create"
	}
	n := names{x: x}
	for _, id := range filterValues(q["req"], requestIDPattern, maxAssignments) {
		var out map[string]assignmentStatus
		if err := x.call(sso+op, map[string]string{"InstanceArn": h.o.Instance.ARN, field: id}, &out); err != nil {
			x.fail(err)
			return
		}
		st := out[member]
		if st.Status == "IN_PROGRESS" {
			d.Pending = true
		}
		d.Rows = append(d.Rows, statusRow{Status: st.Status, FailureReason: st.FailureReason, assignmentRow: assignmentRow{AccountID: st.TargetID,
			PermissionSetID: psID(st.PermissionSetArn), PermissionSetName: n.permissionSet(st.PermissionSetArn),
			PrincipalType: st.PrincipalType, PrincipalID: st.PrincipalID, PrincipalName: n.principal(st.PrincipalType, st.PrincipalID)}})
	}
	p := page{Title: "Assignment status", Data: d}
	if d.Pending {
		p.Refresh = 2
	}
	x.render(http.StatusOK, "c-assign-status", p)
}
