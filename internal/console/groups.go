package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/gatehouse/gatehouse/internal/directory"
)

func (h *Handler) groupRoutes() {
	h.get("/admin/groups", h.groups)
	h.get("/admin/groups/new", h.newGroupPage)
	h.post("/admin/groups", h.createGroup)
	h.get("/admin/groups/{id}", h.group)
	h.get("/admin/groups/{id}/edit", h.editGroupPage)
	h.post("/admin/groups/{id}/edit", h.editGroup)
	h.get("/admin/groups/{id}/confirm", h.confirmGroup)
	h.post("/admin/groups/{id}/delete", h.deleteGroup)
	h.get("/admin/groups/{id}/add-members", h.addMembersPage)
	h.post("/admin/groups/{id}/members", h.addMembers)
	h.get("/admin/groups/{id}/remove-members", h.confirmRemoveMembers)
	h.post("/admin/groups/{id}/members/remove", h.removeMembers)
}

var groupFields = map[string]bool{"displayName": true, "description": true}

// tokenPattern bounds a page token taken from a link.
var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_=+/-]{1,1000}$`)

// setPageToken passes the page token of the link (q's "token") on to a
// listing's input as its NextToken; a token that is not one is left out,
// so the listing starts at its first page.
func setPageToken(in map[string]any, q url.Values) {
	if t := q.Get("token"); tokenPattern.MatchString(t) {
		in["NextToken"] = t
	}
}

type groupsData struct {
	Name    string
	Rows    []wireGroup
	NextURL string
	First   bool
}

func (h *Handler) groups(x *req) {
	x.section = "groups"
	q := x.r.URL.Query()
	d := groupsData{Name: strings.TrimSpace(q.Get("name")), First: q.Get("token") == ""}
	in := map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "MaxResults": pageSize}
	setPageToken(in, q)
	if d.Name != "" {
		in["Filters"] = []map[string]string{{"AttributePath": "DisplayName", "AttributeValue": d.Name}}
	}
	var out groupsOut
	if err := x.call(isvc+"ListGroups", in, &out); err != nil {
		x.fail(err)
		return
	}
	d.Rows = out.Groups
	if out.NextToken != "" {
		v := url.Values{"token": {out.NextToken}}
		if d.Name != "" {
			v.Set("name", d.Name)
		}
		d.NextURL = "/admin/groups?" + v.Encode()
	}
	x.render(http.StatusOK, "c-groups", page{Title: "Groups", Notice: x.notice(), Data: d})
}

type groupFormData struct {
	Group wireGroup
	Form  url.Values
}

func (h *Handler) newGroupPage(x *req) {
	x.section = "groups"
	x.render(http.StatusOK, "c-group-form", page{Title: "Create group", Data: groupFormData{Form: url.Values{}}})
}

func (h *Handler) createGroup(x *req) {
	x.section = "groups"
	f := x.r.PostForm
	in := map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "DisplayName": strings.TrimSpace(f.Get("displayName"))}
	if d := strings.TrimSpace(f.Get("description")); d != "" {
		in["Description"] = d
	}
	var out struct {
		GroupID string `json:"GroupId"`
	}
	if err := x.call(isvc+"CreateGroup", in, &out); err != nil {
		h.groupFormError(x, err, groupFormData{Form: f}, "Create group")
		return
	}
	x.done("/admin/groups/"+url.PathEscape(out.GroupID), "The group was created.")
}

func (h *Handler) groupFormError(x *req, err error, d groupFormData, title string) {
	msg, errs := fieldErrors(err, groupFields)
	x.formRefused(err, msg, errs, func(msg string, errs map[string]string) {
		x.render(http.StatusBadRequest, "c-group-form", page{Title: title, Message: msg, Errors: errs, Data: d})
	})
}

func (h *Handler) describeGroup(x *req, id string) (wireGroup, error) {
	var g wireGroup
	if !groupIDPattern.MatchString(id) {
		return g, notFound("GROUP")
	}
	err := x.call(isvc+"DescribeGroup", map[string]string{"IdentityStoreId": h.o.Instance.IdentityStoreID, "GroupId": id}, &g)
	return g, err
}

// groupOfPath returns the group named by the path's {id}. When it is no
// group or cannot be read, the error page has been shown and ok is false.
func (h *Handler) groupOfPath(x *req) (g wireGroup, ok bool) {
	g, err := h.describeGroup(x, x.r.PathValue("id"))
	if err != nil {
		x.fail(err)
		return g, false
	}
	return g, true
}

// addMember adds a user to a group (CreateGroupMembership).
func (x *req) addMember(groupID, userID string) error {
	return x.call(isvc+"CreateGroupMembership", map[string]any{"IdentityStoreId": x.h.o.Instance.IdentityStoreID,
		"GroupId": groupID, "MemberId": map[string]string{"UserId": userID}}, nil)
}

type memberRow struct {
	MembershipID, UserID, UserName string
}

type groupData struct {
	Group       wireGroup
	Members     []memberRow
	NextURL     string
	First       bool
	Assignments []assignmentRow
	MoreAssign  bool
	// AssignHidden explains why the assignments are not shown.
	AssignHidden string
}

func (h *Handler) group(x *req) {
	x.section = "groups"
	id := x.r.PathValue("id")
	g, ok := h.groupOfPath(x)
	if !ok {
		return
	}
	d := groupData{Group: g, First: x.r.URL.Query().Get("token") == ""}
	in := map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "GroupId": id, "MaxResults": pageSize}
	setPageToken(in, x.r.URL.Query())
	var ms membershipsOut
	if err := x.call(isvc+"ListGroupMemberships", in, &ms); err != nil {
		x.fail(err)
		return
	}
	n := names{x: x}
	for _, m := range ms.GroupMemberships {
		d.Members = append(d.Members, memberRow{MembershipID: m.MembershipID, UserID: m.MemberID.UserID, UserName: n.user(m.MemberID.UserID)})
	}
	if ms.NextToken != "" {
		d.NextURL = "/admin/groups/" + url.PathEscape(id) + "?token=" + url.QueryEscape(ms.NextToken)
	}
	var as assignmentsOut
	switch err := x.call(sso+"ListAccountAssignmentsForPrincipal", map[string]any{"InstanceArn": h.o.Instance.ARN,
		"PrincipalId": id, "PrincipalType": "GROUP", "MaxResults": pageSize}, &as); Code(err) {
	case "":
		d.Assignments, d.MoreAssign = n.assignments(as.AccountAssignments), as.NextToken != ""
	case "AccessDeniedException":
		// A section the administrator may not read says so.
		_, d.AssignHidden = h.describe(err)
	default:
		x.fail(err)
		return
	}
	x.render(http.StatusOK, "c-group", page{Title: g.DisplayName, Notice: x.notice(), Data: d})
}

func (h *Handler) editGroupPage(x *req) {
	x.section = "groups"
	g, ok := h.groupOfPath(x)
	if !ok {
		return
	}
	form := url.Values{"displayName": {g.DisplayName}, "description": {g.Description}}
	x.render(http.StatusOK, "c-group-form", page{Title: "Edit group " + g.DisplayName, Data: groupFormData{Group: g, Form: form}})
}

func (h *Handler) editGroup(x *req) {
	x.section = "groups"
	id := x.r.PathValue("id")
	g, ok := h.groupOfPath(x)
	if !ok {
		return
	}
	f := x.r.PostForm
	var ops []attributeOp
	if name := strings.TrimSpace(f.Get("displayName")); name != g.DisplayName {
		ops = append(ops, attributeOp{AttributePath: "displayName", AttributeValue: name})
	}
	if desc := strings.TrimSpace(f.Get("description")); desc != g.Description {
		if desc == "" {
			ops = append(ops, attributeOp{AttributePath: "description"})
		} else {
			ops = append(ops, attributeOp{AttributePath: "description", AttributeValue: desc})
		}
	}
	if len(ops) == 0 {
		x.done("/admin/groups/"+url.PathEscape(id), "Nothing changed.")
		return
	}
	if err := x.call(isvc+"UpdateGroup", map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "GroupId": id, "Operations": ops}, nil); err != nil {
		h.groupFormError(x, err, groupFormData{Group: g, Form: f}, "Edit group "+g.DisplayName)
		return
	}
	x.done("/admin/groups/"+url.PathEscape(id), "The group was updated.")
}

func (h *Handler) confirmGroup(x *req) {
	x.section = "groups"
	id := x.r.PathValue("id")
	g, ok := h.groupOfPath(x)
	if !ok {
		return
	}
	if x.r.URL.Query().Get("action") != "delete" {
		x.fail(notFound("ACTION"))
		return
	}
	base := "/admin/groups/" + url.PathEscape(id)
	x.render(http.StatusOK, "c-confirm", page{Title: "Delete group " + g.DisplayName, Data: confirmView{
		Question: "Delete the group " + g.DisplayName + "? This cannot be undone.",
		Details:  []string{"Its memberships and its account assignments are deleted with it; its members keep their other access."},
		Action:   base + "/delete", Button: "Delete group", Cancel: base,
	}})
}

func (h *Handler) deleteGroup(x *req) {
	x.section = "groups"
	if err := x.call(isvc+"DeleteGroup", map[string]string{"IdentityStoreId": h.o.Instance.IdentityStoreID, "GroupId": x.r.PathValue("id")}, nil); err != nil {
		x.fail(err)
		return
	}
	x.done("/admin/groups", "The group was deleted.")
}

type addMembersData struct {
	Group   wireGroup
	Query   string
	By      string
	Rows    []userRow
	NextURL string
}

// addMembersPage searches users to add to a group, a page at a time.
func (h *Handler) addMembersPage(x *req) {
	x.section = "groups"
	id := x.r.PathValue("id")
	g, ok := h.groupOfPath(x)
	if !ok {
		return
	}
	q := x.r.URL.Query()
	d := addMembersData{Group: g, Query: strings.TrimSpace(q.Get("q")), By: searchBy(q.Get("by"))}
	list, more, err := h.searchUsers(x, d.By, d.Query, q.Get("after"), pageSize, nil)
	if err != nil {
		x.fail(err)
		return
	}
	d.Rows = userRows(list)
	if more {
		d.NextURL = "/admin/groups/" + url.PathEscape(id) + "/add-members?" + url.Values{"q": {d.Query}, "by": {d.By},
			"after": {directory.SearchKey(list[len(list)-1], d.By)}}.Encode()
	}
	x.render(http.StatusOK, "c-group-add", page{Title: "Add users to " + g.DisplayName, Data: d})
}

// addMembers adds the chosen users, one CreateGroupMembership each.
func (h *Handler) addMembers(x *req) {
	x.section = "groups"
	id := x.r.PathValue("id")
	n := 0
	var failed []string
	for _, u := range x.r.PostForm["user"] {
		switch err := x.addMember(id, u); Code(err) {
		case "":
			n++
		case "ConflictException":
			// Already a member: nothing to do.
		case "AccessDeniedException":
			x.fail(err)
			return
		default:
			_, msg := h.describe(err)
			failed = append(failed, msg)
		}
	}
	notice := plural(n, "member", "members") + " added."
	if len(failed) > 0 {
		notice += " Not added: " + strings.Join(failed, "; ")
	}
	x.done("/admin/groups/"+url.PathEscape(id), notice)
}

var membershipPattern = regexp.MustCompile(`^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$`)

// confirmRemoveMembers asks before removing the chosen memberships.
func (h *Handler) confirmRemoveMembers(x *req) {
	x.section = "groups"
	id := x.r.PathValue("id")
	g, ok := h.groupOfPath(x)
	if !ok {
		return
	}
	base := "/admin/groups/" + url.PathEscape(id)
	v := confirmView{Action: base + "/members/remove", Button: "Remove members", Cancel: base}
	for _, m := range x.r.URL.Query()["m"] {
		if membershipPattern.MatchString(m) && len(v.Hidden) < pageSize {
			v.Hidden = append(v.Hidden, hidden{"m", m})
		}
	}
	if len(v.Hidden) == 0 {
		x.done(base, "Choose the members to remove first.")
		return
	}
	v.Question = "Remove " + plural(len(v.Hidden), "member", "members") + " from the group " + g.DisplayName + "?"
	v.Details = []string{"They lose the AWS account access they have through this group."}
	x.render(http.StatusOK, "c-confirm", page{Title: "Remove members from " + g.DisplayName, Data: v})
}

func (h *Handler) removeMembers(x *req) {
	x.section = "groups"
	id := x.r.PathValue("id")
	n := 0
	for _, m := range x.r.PostForm["m"] {
		if err := x.call(isvc+"DeleteGroupMembership", map[string]string{"IdentityStoreId": h.o.Instance.IdentityStoreID, "MembershipId": m}, nil); err != nil {
			x.fail(err)
			return
		}
		n++
	}
	x.done("/admin/groups/"+url.PathEscape(id), plural(n, "member", "members")+" removed.")
}
