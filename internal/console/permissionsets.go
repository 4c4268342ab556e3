package console

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/gatehouse/gatehouse/internal/managedpolicy"
)

func (h *Handler) permissionSetRoutes() {
	h.get("/admin/permission-sets", h.permissionSets)
	h.get("/admin/permission-sets/new", h.newPermissionSetPage)
	h.post("/admin/permission-sets", h.createPermissionSet)
	h.get("/admin/permission-sets/{id}", h.permissionSet)
	h.post("/admin/permission-sets/{id}/edit", h.editPermissionSet)
	h.get("/admin/permission-sets/{id}/confirm", h.confirmPermissionSet)
	h.post("/admin/permission-sets/{id}/delete", h.deletePermissionSet)
	h.get("/admin/permission-sets/{id}/managed-policies", h.managedPoliciesPage)
	h.post("/admin/permission-sets/{id}/managed-policies", h.attachManagedPolicies)
	h.post("/admin/permission-sets/{id}/managed-policies/detach", h.detachManagedPolicy)
	h.post("/admin/permission-sets/{id}/customer-policies", h.attachCustomerPolicy)
	h.post("/admin/permission-sets/{id}/customer-policies/detach", h.detachCustomerPolicy)
	h.post("/admin/permission-sets/{id}/inline", h.putInlinePolicy)
	h.post("/admin/permission-sets/{id}/inline/delete", h.deleteInlinePolicy)
	h.post("/admin/permission-sets/{id}/boundary", h.putBoundary)
	h.post("/admin/permission-sets/{id}/boundary/delete", h.deleteBoundary)
	h.post("/admin/permission-sets/{id}/tags", h.tagPermissionSet)
	h.post("/admin/permission-sets/{id}/tags/delete", h.untagPermissionSet)
	h.post("/admin/permission-sets/{id}/provision", h.provision)
	h.get("/admin/status/provisioning/{request}", h.provisioningStatus)
}

// Predefined permission sets: AWS's job-function and full-access managed
// policies that the Identity Center console offers by name.
var predefined = []struct{ Name, Description string }{
	{"AdministratorAccess", "Full access to AWS services and resources."},
	{"PowerUserAccess", "Full access except the management of users and groups."},
	{"ReadOnlyAccess", "Read-only access to AWS services and resources."},
	{"ViewOnlyAccess", "View resources and basic metadata across AWS services."},
	{"Billing", "Grants permissions for billing and cost management."},
	{"DatabaseAdministrator", "Grants full access to AWS database services."},
	{"DataScientist", "Grants permissions to AWS data analytics services."},
	{"NetworkAdministrator", "Grants full access to AWS network services."},
	{"SecurityAudit", "Read access to security configuration metadata."},
	{"SupportUser", "Grants permissions to troubleshoot and resolve issues."},
	{"SystemAdministrator", "Grants full access to AWS services needed for system administration."},
}

// predefinedARN finds the managed policy of a predefined permission set.
func (h *Handler) predefinedARN(name string) (string, bool) {
	cat := h.o.Access.Catalogue()
	for _, prefix := range []string{"arn:aws:iam::aws:policy/", "arn:aws:iam::aws:policy/job-function/"} {
		if p, ok := cat.Get(prefix + name); ok {
			return p.ARN, true
		}
	}
	return "", false
}

var psIDPattern = regexp.MustCompile(`^ps-[0-9a-f]{16}$`)

// ---- list ----

type psRow struct {
	ID string
	wirePermissionSet
}

type psListData struct {
	Rows    []psRow
	NextURL string
	First   bool
}

func (h *Handler) permissionSets(x *req) {
	x.section = "permission-sets"
	q := x.r.URL.Query()
	in := map[string]any{"InstanceArn": h.o.Instance.ARN, "MaxResults": pageSize}
	setPageToken(in, q)
	var out struct {
		PermissionSets []string `json:"PermissionSets"`
		NextToken      string   `json:"NextToken"`
	}
	if err := x.call(sso+"ListPermissionSets", in, &out); err != nil {
		x.fail(err)
		return
	}
	d := psListData{First: q.Get("token") == ""}
	for _, arn := range out.PermissionSets {
		ps, err := h.describePS(x, arn)
		if err != nil {
			x.fail(err)
			return
		}
		d.Rows = append(d.Rows, psRow{ID: psID(arn), wirePermissionSet: ps})
	}
	if out.NextToken != "" {
		d.NextURL = "/admin/permission-sets?token=" + url.QueryEscape(out.NextToken)
	}
	x.render(http.StatusOK, "c-permission-sets", page{Title: "Permission sets", Notice: x.notice(), Data: d})
}

func (h *Handler) describePS(x *req, arn string) (wirePermissionSet, error) {
	var out struct {
		PermissionSet wirePermissionSet `json:"PermissionSet"`
	}
	err := x.call(sso+"DescribePermissionSet", map[string]string{"InstanceArn": h.o.Instance.ARN, "PermissionSetArn": arn}, &out)
	return out.PermissionSet, err
}

// ---- create ----

type psNewData struct {
	Form       url.Values
	Predefined []struct{ Name, Description string }
}

var psFields = map[string]bool{"name": true, "description": true, "sessionDuration": true, "relayState": true, "tags": true}

func (h *Handler) newPermissionSetPage(x *req) {
	x.section = "permission-sets"
	form := url.Values{"type": {"predefined"}, "predefined": {"AdministratorAccess"}, "sessionDuration": {"PT1H"}}
	x.render(http.StatusOK, "c-ps-new", page{Title: "Create permission set", Data: psNewData{Form: form, Predefined: predefined}})
}

// parseTags reads "key=value" lines.
func parseTags(s string) ([]map[string]string, bool) {
	var tags []map[string]string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, false
		}
		tags = append(tags, map[string]string{"Key": strings.TrimSpace(k), "Value": strings.TrimSpace(v)})
	}
	return tags, true
}

func (h *Handler) createPermissionSet(x *req) {
	x.section = "permission-sets"
	f := x.r.PostForm
	fail := func(msg string, errs map[string]string) {
		x.render(http.StatusBadRequest, "c-ps-new", page{Title: "Create permission set", Message: msg, Errors: errs,
			Data: psNewData{Form: f, Predefined: predefined}})
	}
	name, policyARN := strings.TrimSpace(f.Get("name")), ""
	if f.Get("type") == "predefined" {
		arn, ok := h.predefinedARN(f.Get("predefined"))
		if !ok {
			fail("Choose one of the predefined permission sets.", nil)
			return
		}
		name, policyARN = f.Get("predefined"), arn
	}
	in := map[string]any{"InstanceArn": h.o.Instance.ARN, "Name": name}
	for form, member := range map[string]string{"description": "Description", "sessionDuration": "SessionDuration", "relayState": "RelayState"} {
		if v := strings.TrimSpace(f.Get(form)); v != "" {
			in[member] = v
		}
	}
	tags, ok := parseTags(f.Get("tags"))
	if !ok {
		fail("Check the highlighted fields.", map[string]string{"tags": "Write one tag per line as key=value."})
		return
	}
	if len(tags) > 0 {
		in["Tags"] = tags
	}
	var out struct {
		PermissionSet wirePermissionSet `json:"PermissionSet"`
	}
	if err := x.call(sso+"CreatePermissionSet", in, &out); err != nil {
		msg, errs := psFieldErrors(err)
		x.formRefused(err, msg, errs, fail)
		return
	}
	arn := out.PermissionSet.PermissionSetArn
	if policyARN != "" {
		if err := x.call(sso+"AttachManagedPolicyToPermissionSet", map[string]string{"InstanceArn": h.o.Instance.ARN,
			"PermissionSetArn": arn, "ManagedPolicyArn": policyARN}, nil); err != nil {
			x.fail(err)
			return
		}
	}
	x.done("/admin/permission-sets/"+psID(arn), "The permission set was created.")
}

// psFieldErrors places sso-admin's messages ("…at 'sessionDuration'…",
// a conflict on the name) next to their fields.
func psFieldErrors(err error) (string, map[string]string) {
	if Code(err) == "ConflictException" {
		return "", map[string]string{"name": "Another permission set already has this name (names are compared without case)."}
	}
	msg, errs := fieldErrors(err, psFields)
	if msg != "" && errs == nil {
		for field := range psFields {
			if strings.Contains(msg, field) {
				return "", map[string]string{field: msg}
			}
		}
	}
	return msg, errs
}

// ---- detail ----

type psData struct {
	ID          string
	PS          wirePermissionSet
	Managed     []struct{ Name, Arn string }
	Customer    []struct{ Name, Path string }
	Inline      string
	Boundary    *boundary
	Tags        []struct{ Key, Value string }
	Accounts    []provisionedAccount
	MoreAccts   bool
	Outdated    int
	Form        url.Values
	InlineError string
	Assignments int
}

type boundary struct {
	ManagedPolicyArn               string `json:"ManagedPolicyArn"`
	CustomerManagedPolicyReference *struct {
		Name string `json:"Name"`
		Path string `json:"Path"`
	} `json:"CustomerManagedPolicyReference"`
}

type provisionedAccount struct {
	ID       string
	Outdated bool
}

func (h *Handler) loadPS(x *req, id string) (psData, error) {
	d := psData{ID: id, Form: url.Values{}}
	if !psIDPattern.MatchString(id) {
		return d, notFound("PERMISSION_SET")
	}
	arn := h.psARN(id)
	ref := map[string]string{"InstanceArn": h.o.Instance.ARN, "PermissionSetArn": arn}
	var err error
	if d.PS, err = h.describePS(x, arn); err != nil {
		return d, err
	}
	var managed struct {
		AttachedManagedPolicies []struct{ Name, Arn string } `json:"AttachedManagedPolicies"`
	}
	if err := x.call(sso+"ListManagedPoliciesInPermissionSet", ref, &managed); err != nil {
		return d, err
	}
	d.Managed = managed.AttachedManagedPolicies
	var customer struct {
		CustomerManagedPolicyReferences []struct{ Name, Path string } `json:"CustomerManagedPolicyReferences"`
	}
	if err := x.call(sso+"ListCustomerManagedPolicyReferencesInPermissionSet", ref, &customer); err != nil {
		return d, err
	}
	d.Customer = customer.CustomerManagedPolicyReferences
	var inline struct {
		InlinePolicy string `json:"InlinePolicy"`
	}
	if err := x.call(sso+"GetInlinePolicyForPermissionSet", ref, &inline); err != nil {
		return d, err
	}
	d.Inline = inline.InlinePolicy
	var b struct {
		PermissionsBoundary boundary `json:"PermissionsBoundary"`
	}
	switch err := x.call(sso+"GetPermissionsBoundaryForPermissionSet", ref, &b); Code(err) {
	case "":
		d.Boundary = &b.PermissionsBoundary
	case "ResourceNotFoundException":
	default:
		return d, err
	}
	var tags struct {
		Tags []struct{ Key, Value string } `json:"Tags"`
	}
	if err := x.call(sso+"ListTagsForResource", map[string]string{"InstanceArn": h.o.Instance.ARN, "ResourceArn": arn}, &tags); err != nil {
		return d, err
	}
	d.Tags = tags.Tags
	var all, old struct {
		AccountIds []string `json:"AccountIds"`
		NextToken  string   `json:"NextToken"`
	}
	if err := x.call(sso+"ListAccountsForProvisionedPermissionSet", map[string]any{"InstanceArn": h.o.Instance.ARN,
		"PermissionSetArn": arn, "MaxResults": 100}, &all); err != nil {
		return d, err
	}
	if err := x.call(sso+"ListAccountsForProvisionedPermissionSet", map[string]any{"InstanceArn": h.o.Instance.ARN,
		"PermissionSetArn": arn, "ProvisioningStatus": "LATEST_PERMISSION_SET_NOT_PROVISIONED", "MaxResults": 100}, &old); err != nil {
		return d, err
	}
	outdated := map[string]bool{}
	for _, a := range old.AccountIds {
		outdated[a] = true
	}
	d.Outdated = len(old.AccountIds)
	for _, a := range all.AccountIds {
		d.Accounts = append(d.Accounts, provisionedAccount{ID: a, Outdated: outdated[a]})
	}
	d.MoreAccts = all.NextToken != ""
	if d.Boundary != nil {
		if d.Boundary.ManagedPolicyArn != "" {
			d.Form.Set("boundaryType", "managed")
			d.Form.Set("boundaryArn", d.Boundary.ManagedPolicyArn)
		} else if r := d.Boundary.CustomerManagedPolicyReference; r != nil {
			d.Form.Set("boundaryType", "customer")
			d.Form.Set("boundaryName", r.Name)
			d.Form.Set("boundaryPath", r.Path)
		}
	}
	d.Form.Set("description", d.PS.Description)
	d.Form.Set("sessionDuration", d.PS.SessionDuration)
	d.Form.Set("relayState", d.PS.RelayState)
	d.Form.Set("inline", d.Inline)
	return d, nil
}

func (h *Handler) permissionSet(x *req) {
	x.section = "permission-sets"
	d, err := h.loadPS(x, x.r.PathValue("id"))
	if err != nil {
		x.fail(err)
		return
	}
	x.render(http.StatusOK, "c-ps", page{Title: d.PS.Name, Notice: x.notice(), Data: d})
}

// psError shows the permission set page again with a refusal next to the
// form it came from (field names of that form).
func (h *Handler) psError(x *req, err error, form url.Values, errs func(msg string) map[string]string) {
	if Code(err) == "AccessDeniedException" {
		x.fail(err)
		return
	}
	var ce *CallError
	status, msg := h.describe(err)
	if status == http.StatusInternalServerError || !asCallError(err, &ce) {
		x.fail(err)
		return
	}
	d, lerr := h.loadPS(x, x.r.PathValue("id"))
	if lerr != nil {
		x.fail(lerr)
		return
	}
	for k, v := range form {
		d.Form[k] = v
	}
	x.render(http.StatusBadRequest, "c-ps", page{Title: d.PS.Name, Message: "The change was not saved: " + msg, Errors: errs(msg), Data: d})
}

func asCallError(err error, ce **CallError) bool {
	c, ok := err.(*CallError)
	if ok {
		*ce = c
	}
	return ok
}

func (h *Handler) psRef(x *req) map[string]any {
	return map[string]any{"InstanceArn": h.o.Instance.ARN, "PermissionSetArn": h.psARN(x.r.PathValue("id"))}
}

func (h *Handler) psBack(x *req, notice string) {
	x.done("/admin/permission-sets/"+url.PathEscape(x.r.PathValue("id")), notice)
}

// psAction calls an sso-admin operation on the permission set of the path,
// with the extra members, and sends the browser back to it with a notice.
// A refusal gets the error page; or, when errs is set, the permission
// set's page again, with the refusal next to the fields errs names for it
// in the form the change came from (psError).
func (h *Handler) psAction(x *req, op string, extra map[string]any, notice string, errs func(msg string) map[string]string) {
	x.section = "permission-sets"
	in := h.psRef(x)
	maps.Copy(in, extra)
	if err := x.call(sso+op, in, nil); err != nil {
		if errs == nil {
			x.fail(err)
		} else {
			h.psError(x, err, x.r.PostForm, errs)
		}
		return
	}
	h.psBack(x, notice)
}

func (h *Handler) editPermissionSet(x *req) {
	x.section = "permission-sets"
	f := x.r.PostForm
	in := h.psRef(x)
	// Empty fields are left out: UpdatePermissionSet changes what it is
	// given, as with the API (an empty relay state is not a valid one).
	for form, member := range map[string]string{"description": "Description", "sessionDuration": "SessionDuration", "relayState": "RelayState"} {
		if v := strings.TrimSpace(f.Get(form)); v != "" {
			in[member] = v
		}
	}
	if err := x.call(sso+"UpdatePermissionSet", in, nil); err != nil {
		h.psError(x, err, f, func(msg string) map[string]string {
			_, errs := psFieldErrors(err)
			return errs
		})
		return
	}
	h.psBack(x, "The permission set was updated. Re-provision it to update the accounts that hold it.")
}

func (h *Handler) confirmPermissionSet(x *req) {
	x.section = "permission-sets"
	id := x.r.PathValue("id")
	if !psIDPattern.MatchString(id) {
		x.fail(notFound("PERMISSION_SET"))
		return
	}
	ps, err := h.describePS(x, h.psARN(id))
	if err != nil {
		x.fail(err)
		return
	}
	base := "/admin/permission-sets/" + id
	v := confirmView{Cancel: base}
	title := ""
	switch x.r.URL.Query().Get("action") {
	case "delete":
		title = "Delete permission set " + ps.Name
		v.Question = "Delete the permission set " + ps.Name + "? This cannot be undone."
		v.Details = []string{"A permission set that is still assigned to accounts cannot be deleted; remove its assignments first."}
		v.Action, v.Button = base+"/delete", "Delete permission set"
	case "delete-inline":
		title = "Delete the inline policy of " + ps.Name
		v.Question = "Delete the inline policy of " + ps.Name + "?"
		v.Action, v.Button = base+"/inline/delete", "Delete inline policy"
	case "delete-boundary":
		title = "Delete the permissions boundary of " + ps.Name
		v.Question = "Delete the permissions boundary of " + ps.Name + "?"
		v.Action, v.Button = base+"/boundary/delete", "Delete boundary"
	default:
		x.fail(notFound("ACTION"))
		return
	}
	x.render(http.StatusOK, "c-confirm", page{Title: title, Data: v})
}

func (h *Handler) deletePermissionSet(x *req) {
	x.section = "permission-sets"
	if err := x.call(sso+"DeletePermissionSet", h.psRef(x), nil); err != nil {
		x.fail(err)
		return
	}
	x.done("/admin/permission-sets", "The permission set was deleted.")
}

// ---- policies ----

type catalogueData struct {
	ID, Name, Query string
	Policies        []managedpolicy.Policy
	Attached        []string
	More            bool
}

// managedPoliciesPage searches the AWS managed policy catalogue (IAM's
// ListPolicies with the AWS scope) to attach policies.
func (h *Handler) managedPoliciesPage(x *req) {
	x.section = "permission-sets"
	d, err := h.loadPS(x, x.r.PathValue("id"))
	if err != nil {
		x.fail(err)
		return
	}
	c := catalogueData{ID: d.ID, Name: d.PS.Name, Query: strings.TrimSpace(x.r.URL.Query().Get("q"))}
	if len(c.Query) > 128 {
		c.Query = c.Query[:128]
	}
	for _, m := range d.Managed {
		c.Attached = append(c.Attached, m.Arn)
	}
	err = x.read("iam.amazonaws.com", "ListPolicies", "iam:ListPolicies", nil, map[string]any{"scope": "AWS", "search": c.Query},
		func(context.Context) error {
			c.Policies, c.More = searchCatalogue(h.o.Access.Catalogue(), c.Query, pageSize)
			return nil
		})
	if err != nil {
		x.fail(err)
		return
	}
	x.render(http.StatusOK, "c-ps-catalogue", page{Title: "Attach AWS managed policies", Data: c})
}

// searchCatalogue returns up to limit policies whose name contains q
// (case-insensitive), in name order. The catalogue is in memory (about
// 1,500 policies), so a scan is cheap.
func searchCatalogue(cat *managedpolicy.Catalogue, q string, limit int) ([]managedpolicy.Policy, bool) {
	q = strings.ToLower(q)
	var out []managedpolicy.Policy
	after := ""
	for {
		batch, more := cat.List("", after, 500)
		for _, p := range batch {
			if q == "" || strings.Contains(strings.ToLower(p.Name), q) {
				if len(out) == limit {
					return out, true
				}
				out = append(out, p)
			}
		}
		if !more || len(batch) == 0 {
			return out, false
		}
		after = batch[len(batch)-1].Name
	}
}

func (h *Handler) attachManagedPolicies(x *req) {
	x.section = "permission-sets"
	n := 0
	for _, arn := range x.r.PostForm["policy"] {
		in := h.psRef(x)
		in["ManagedPolicyArn"] = arn
		if err := x.call(sso+"AttachManagedPolicyToPermissionSet", in, nil); err != nil && Code(err) != "ConflictException" {
			x.fail(err)
			return
		}
		n++
	}
	h.psBack(x, plural(n, "policy", "policies")+" attached.")
}

func (h *Handler) detachManagedPolicy(x *req) {
	h.psAction(x, "DetachManagedPolicyFromPermissionSet", map[string]any{"ManagedPolicyArn": x.r.PostFormValue("arn")}, "The policy was detached.", nil)
}

func (h *Handler) attachCustomerPolicy(x *req) {
	f := x.r.PostForm
	ref := map[string]string{"Name": strings.TrimSpace(f.Get("customerName"))}
	if p := strings.TrimSpace(f.Get("customerPath")); p != "" {
		ref["Path"] = p
	}
	h.psAction(x, "AttachCustomerManagedPolicyReferenceToPermissionSet", map[string]any{"CustomerManagedPolicyReference": ref},
		"The customer managed policy reference was attached.", func(msg string) map[string]string {
			if strings.Contains(strings.ToLower(msg), "path") {
				return map[string]string{"customerPath": msg}
			}
			return map[string]string{"customerName": msg}
		})
}

func (h *Handler) detachCustomerPolicy(x *req) {
	ref := map[string]string{"Name": x.r.PostFormValue("name"), "Path": x.r.PostFormValue("path")}
	h.psAction(x, "DetachCustomerManagedPolicyReferenceFromPermissionSet", map[string]any{"CustomerManagedPolicyReference": ref},
		"The customer managed policy reference was detached.", nil)
}

// putInlinePolicy saves the inline policy; the policy engine validates it
// (PutInlinePolicyToPermissionSet) and its precise message is shown next
// to the editor, with the document as typed.
func (h *Handler) putInlinePolicy(x *req) {
	x.section = "permission-sets"
	f := x.r.PostForm
	doc := strings.TrimSpace(f.Get("inline"))
	if doc == "" {
		h.psError(x, formError("The policy document is empty."), f, func(string) map[string]string {
			return map[string]string{"inline": "Write a policy document, or delete the inline policy instead."}
		})
		return
	}
	h.psAction(x, "PutInlinePolicyToPermissionSet", map[string]any{"InlinePolicy": doc},
		"The inline policy was saved. Re-provision the permission set to update its accounts.",
		func(msg string) map[string]string { return map[string]string{"inline": msg} })
}

func (h *Handler) deleteInlinePolicy(x *req) {
	h.psAction(x, "DeleteInlinePolicyFromPermissionSet", nil, "The inline policy was deleted.", nil)
}

func (h *Handler) putBoundary(x *req) {
	f := x.r.PostForm
	b := map[string]any{}
	if f.Get("boundaryType") == "customer" {
		ref := map[string]string{"Name": strings.TrimSpace(f.Get("boundaryName"))}
		if p := strings.TrimSpace(f.Get("boundaryPath")); p != "" {
			ref["Path"] = p
		}
		b["CustomerManagedPolicyReference"] = ref
	} else {
		b["ManagedPolicyArn"] = strings.TrimSpace(f.Get("boundaryArn"))
	}
	h.psAction(x, "PutPermissionsBoundaryToPermissionSet", map[string]any{"PermissionsBoundary": b}, "The permissions boundary was set.",
		func(msg string) map[string]string {
			if f.Get("boundaryType") == "customer" {
				return map[string]string{"boundaryName": msg}
			}
			return map[string]string{"boundaryArn": msg}
		})
}

func (h *Handler) deleteBoundary(x *req) {
	h.psAction(x, "DeletePermissionsBoundaryFromPermissionSet", nil, "The permissions boundary was deleted.", nil)
}

func (h *Handler) tagPermissionSet(x *req) {
	x.section = "permission-sets"
	f := x.r.PostForm
	in := map[string]any{"InstanceArn": h.o.Instance.ARN, "ResourceArn": h.psARN(x.r.PathValue("id")),
		"Tags": []map[string]string{{"Key": strings.TrimSpace(f.Get("tagKey")), "Value": strings.TrimSpace(f.Get("tagValue"))}}}
	if err := x.call(sso+"TagResource", in, nil); err != nil {
		h.psError(x, err, f, func(msg string) map[string]string {
			if strings.Contains(msg, "value") || strings.Contains(msg, "Value") {
				return map[string]string{"tagValue": msg}
			}
			return map[string]string{"tagKey": msg}
		})
		return
	}
	h.psBack(x, "The tag was added.")
}

func (h *Handler) untagPermissionSet(x *req) {
	x.section = "permission-sets"
	in := map[string]any{"InstanceArn": h.o.Instance.ARN, "ResourceArn": h.psARN(x.r.PathValue("id")), "TagKeys": []string{x.r.PostFormValue("key")}}
	if err := x.call(sso+"UntagResource", in, nil); err != nil {
		x.fail(err)
		return
	}
	h.psBack(x, "The tag was removed.")
}

// ---- provisioning ----

// provision re-provisions the permission set to every account that holds
// it (or one), then shows the asynchronous status until it is done.
func (h *Handler) provision(x *req) {
	x.section = "permission-sets"
	in := h.psRef(x)
	if acct := x.r.PostFormValue("account"); acct != "" {
		in["TargetType"], in["TargetId"] = "AWS_ACCOUNT", acct
	} else {
		in["TargetType"] = "ALL_PROVISIONED_ACCOUNTS"
	}
	var out struct {
		PermissionSetProvisioningStatus provisioningStatus `json:"PermissionSetProvisioningStatus"`
	}
	if err := x.call(sso+"ProvisionPermissionSet", in, &out); err != nil {
		x.fail(err)
		return
	}
	http.Redirect(x.w, x.r, "/admin/status/provisioning/"+url.PathEscape(out.PermissionSetProvisioningStatus.RequestID), http.StatusSeeOther)
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

type provisioningData struct {
	Status provisioningStatus
	PSID   string
	PSName string
}

func (h *Handler) provisioningStatus(x *req) {
	x.section = "permission-sets"
	id := x.r.PathValue("request")
	if !requestIDPattern.MatchString(id) {
		x.fail(notFound("REQUEST"))
		return
	}
	var out struct {
		PermissionSetProvisioningStatus provisioningStatus `json:"PermissionSetProvisioningStatus"`
	}
	if err := x.call(sso+"DescribePermissionSetProvisioningStatus", map[string]string{"InstanceArn": h.o.Instance.ARN,
		"ProvisionPermissionSetRequestId": id}, &out); err != nil {
		x.fail(err)
		return
	}
	st := out.PermissionSetProvisioningStatus
	n := names{x: x}
	p := page{Title: "Provisioning", Data: provisioningData{Status: st, PSID: psID(st.PermissionSetArn), PSName: n.permissionSet(st.PermissionSetArn)}}
	if st.Status == "IN_PROGRESS" {
		p.Refresh = 2
	}
	x.render(http.StatusOK, "c-provisioning", p)
}
