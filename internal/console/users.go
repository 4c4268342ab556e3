package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (h *Handler) userRoutes() {
	h.get("/admin/users", h.users)
	h.get("/admin/users/new", h.newUserPage)
	h.post("/admin/users", h.createUser)
	h.get("/admin/users/{id}", h.user)
	h.get("/admin/users/{id}/edit", h.editUserPage)
	h.post("/admin/users/{id}/edit", h.editUser)
	h.get("/admin/users/{id}/confirm", h.confirmUser)
	h.post("/admin/users/{id}/status", h.setUserStatus)
	h.post("/admin/users/{id}/delete", h.deleteUser)
	h.post("/admin/users/{id}/reset-password", h.resetPassword)
	h.post("/admin/users/{id}/invite", h.invite)
	h.post("/admin/users/{id}/unlock", h.unlock)
	h.post("/admin/users/{id}/devices/{device}/delete", h.deleteDevice)
	h.post("/admin/users/{id}/sessions/delete", h.endSessions)
	h.post("/admin/users/{id}/console-access", h.putConsoleAccess)
	h.post("/admin/users/{id}/console-access/delete", h.deleteConsoleAccess)
	h.post("/admin/users/{id}/groups", h.addUserToGroups)
}

// pageSize is how many rows a list shows.
const pageSize = 50

// ---- list and search ----

type userRow struct {
	ID, UserName, DisplayName, Email, Status string
}

type usersData struct {
	Query, By string
	Rows      []userRow
	NextURL   string
	First     bool
}

// users lists the users in user name order, or those whose user name or
// email starts with the query, walking an index a page at a time.
func (h *Handler) users(x *req) {
	x.section = "users"
	q := x.r.URL.Query()
	d := usersData{Query: strings.TrimSpace(q.Get("q")), By: searchBy(q.Get("by")), First: q.Get("after") == ""}
	if len(d.Query) > 128 {
		d.Query = d.Query[:128]
	}
	after := q.Get("after")
	if len(after) > 1024 {
		after = ""
	}
	var filters []map[string]string
	if d.Query != "" {
		filters = []map[string]string{{"attributePath": map[string]string{"user_name": "UserName", "email": "Emails.Value"}[d.By],
			"attributeValue": d.Query, "match": "prefix"}}
	}
	list, more, err := h.searchUsers(x, d.By, d.Query, after, pageSize, filters)
	if err != nil {
		x.fail(err)
		return
	}
	d.Rows = userRows(list)
	if more {
		v := url.Values{"after": {directory.SearchKey(list[len(list)-1], d.By)}, "by": {d.By}}
		if d.Query != "" {
			v.Set("q", d.Query)
		}
		d.NextURL = "/admin/users?" + v.Encode()
	}
	x.render(http.StatusOK, "c-users", page{Title: "Users", Notice: x.notice(), Data: d})
}

// searchBy is the attribute a user search of a link goes by: the email
// address when it asks for it, else the user name.
func searchBy(v string) string {
	if v == directory.SearchEmail {
		return v
	}
	return directory.SearchUserName
}

// searchUsers returns up to limit users whose user name or email address
// (by) starts with query, from the search key after on, and whether more
// follow. No API searches by prefix, so this is a read authorised and
// audited as ListUsers; filters, when not nil, are recorded as that
// request's filters.
func (h *Handler) searchUsers(x *req, by, query, after string, limit int, filters []map[string]string) (list []store.User, more bool, err error) {
	params := map[string]any{"identityStoreId": h.o.Instance.IdentityStoreID, "maxResults": limit}
	if filters != nil {
		params["filters"] = filters
	}
	err = x.read("identitystore.amazonaws.com", "ListUsers", "identitystore:ListUsers", []string{h.storeARN(), allUsers}, params,
		func(ctx context.Context) (err error) {
			list, more, err = h.o.Directory.SearchUsers(ctx, by, query, after, limit)
			return err
		})
	return list, more, err
}

// userRows are the rows of a list of users, each with its first email
// address.
func userRows(list []store.User) []userRow {
	var rows []userRow
	for _, u := range list {
		email := ""
		if len(u.Profile.Emails) > 0 {
			email = u.Profile.Emails[0].Value
		}
		rows = append(rows, userRow{ID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, Email: email, Status: u.Status})
	}
	return rows
}

// ---- create ----

type newUserData struct {
	Form   url.Values
	Groups []wireGroup
	// MoreGroups says not every group is offered; add the user to others
	// from the group's page.
	MoreGroups bool
}

type groupsOut struct {
	Groups    []wireGroup `json:"Groups"`
	NextToken string      `json:"NextToken"`
}

// groupChoices returns the first groups to offer in a form.
func (x *req) groupChoices() ([]wireGroup, bool, error) {
	var out groupsOut
	err := x.call(isvc+"ListGroups", map[string]any{"IdentityStoreId": x.h.o.Instance.IdentityStoreID, "MaxResults": 100}, &out)
	return out.Groups, out.NextToken != "", err
}

func (h *Handler) newUserPage(x *req) {
	x.section = "users"
	h.showNewUser(x, http.StatusOK, url.Values{"invite": {"email"}}, "", nil)
}

func (h *Handler) showNewUser(x *req, status int, form url.Values, msg string, errs map[string]string) {
	groups, more, err := x.groupChoices()
	if err != nil {
		x.fail(err)
		return
	}
	x.render(status, "c-user-new", page{Title: "Add user", Message: msg, Errors: errs,
		Data: newUserData{Form: form, Groups: groups, MoreGroups: more}})
}

type createdData struct {
	UserID, UserName string
	Invited          bool
	Email            string
	OneTimePassword  string
	Groups           []string
	GroupErrors      []string
}

func (h *Handler) createUser(x *req) {
	x.section = "users"
	f := x.r.PostForm
	in := userFromForm(f)
	var out struct {
		UserID string `json:"UserId"`
	}
	body := struct {
		IdentityStoreID string `json:"IdentityStoreId"`
		wireUser
	}{h.o.Instance.IdentityStoreID, in}
	if err := x.call(isvc+"CreateUser", body, &out); err != nil {
		msg, errs := fieldErrors(err, userFields)
		x.formRefused(err, msg, errs, func(msg string, errs map[string]string) {
			h.showNewUser(x, http.StatusBadRequest, f, msg, errs)
		})
		return
	}
	d := createdData{UserID: out.UserID, UserName: in.UserName, Email: in.PrimaryEmail()}
	// Groups first: a failure there still leaves the user to sign in.
	for _, g := range f["group"] {
		if !groupIDPattern.MatchString(g) {
			continue
		}
		if err := x.addMember(g, out.UserID); err != nil {
			_, msg := h.describe(err)
			d.GroupErrors = append(d.GroupErrors, g+": "+msg)
			continue
		}
		d.Groups = append(d.Groups, g)
	}
	switch f.Get("invite") {
	case "otp":
		var r struct {
			OneTimePassword string `json:"OneTimePassword"`
		}
		if err := x.call(admin+"ResetUserPassword", map[string]string{"IdentityStoreId": h.o.Instance.IdentityStoreID,
			"UserId": out.UserID, "Mode": "ONE_TIME_PASSWORD"}, &r); err != nil {
			x.fail(err)
			return
		}
		d.OneTimePassword = r.OneTimePassword
	case "none":
	default:
		if d.Email != "" {
			if err := x.call(admin+"InviteUser", map[string]string{"IdentityStoreId": h.o.Instance.IdentityStoreID, "UserId": out.UserID}, nil); err != nil {
				x.fail(err)
				return
			}
			d.Invited = true
		}
	}
	x.render(http.StatusCreated, "c-user-created", page{Title: "User added", Data: d})
}

// ---- detail ----

var (
	userIDPattern  = regexp.MustCompile(`^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$`)
	groupIDPattern = userIDPattern
)

type userData struct {
	User        wireUser
	Email       string
	Groups      []groupRef
	MoreGroups  bool
	Assignments []assignmentRow
	MoreAssign  bool
	Devices     []wireDevice
	Sessions    []wireSession
	Access      *wireConsoleAccess
	// Hidden explains, by section, why the administrator sees no data
	// there (the call was refused).
	Hidden map[string]string
	Form   url.Values
}

type groupRef struct {
	ID, Name, MembershipID string
}

// assignmentRow is an account assignment with the names resolved.
type assignmentRow struct {
	AccountID, PermissionSetID, PermissionSetName, PermissionSetArn string
	PrincipalType, PrincipalID, PrincipalName                       string
}

func (h *Handler) describeUser(x *req, id string) (wireUser, error) {
	var u wireUser
	err := x.call(isvc+"DescribeUser", map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "UserId": id,
		"Extensions": []string{enterprise}}, &u)
	return u, err
}

// userOfPath returns the user named by the path's {id}. When it is no
// user or cannot be read, the error page has been shown and ok is false.
func (h *Handler) userOfPath(x *req) (u wireUser, ok bool) {
	id := x.r.PathValue("id")
	if !userIDPattern.MatchString(id) {
		x.fail(notFound("USER"))
		return u, false
	}
	u, err := h.describeUser(x, id)
	if err != nil {
		x.fail(err)
		return u, false
	}
	return u, true
}

func (h *Handler) user(x *req) {
	x.section = "users"
	id := x.r.PathValue("id")
	u, ok := h.userOfPath(x)
	if !ok {
		return
	}
	d := userData{User: u, Email: u.PrimaryEmail(), Form: url.Values{}, Hidden: map[string]string{}}
	storeID := h.o.Instance.IdentityStoreID
	// Each section is its own call; a section the administrator may not
	// read says so instead of failing the page.
	hide := func(section string, err error) bool {
		if err == nil {
			return false
		}
		if Code(err) == "AccessDeniedException" {
			_, d.Hidden[section] = h.describe(err)
			return true
		}
		x.fail(err)
		return true
	}
	var ms membershipsOut
	names := names{x: x}
	err := x.call(isvc+"ListGroupMembershipsForMember", map[string]any{"IdentityStoreId": storeID,
		"MemberId": map[string]string{"UserId": id}, "MaxResults": pageSize}, &ms)
	if hide("groups", err) && d.Hidden["groups"] == "" {
		return
	}
	for _, m := range ms.GroupMemberships {
		d.Groups = append(d.Groups, groupRef{ID: m.GroupID, Name: names.group(m.GroupID), MembershipID: m.MembershipID})
	}
	d.MoreGroups = ms.NextToken != ""
	var as assignmentsOut
	err = x.call(sso+"ListAccountAssignmentsForPrincipal", map[string]any{"InstanceArn": h.o.Instance.ARN,
		"PrincipalId": id, "PrincipalType": "USER", "MaxResults": pageSize}, &as)
	if hide("assignments", err) && d.Hidden["assignments"] == "" {
		return
	}
	d.Assignments, d.MoreAssign = names.assignments(as.AccountAssignments), as.NextToken != ""
	var devs struct {
		MfaDevices []wireDevice `json:"MfaDevices"`
	}
	ref := map[string]string{"IdentityStoreId": storeID, "UserId": id}
	if hide("devices", x.call(admin+"ListMfaDevices", ref, &devs)) && d.Hidden["devices"] == "" {
		return
	}
	d.Devices = devs.MfaDevices
	var sess struct {
		Sessions []wireSession `json:"Sessions"`
	}
	if hide("sessions", x.call(admin+"ListUserSessions", ref, &sess)) && d.Hidden["sessions"] == "" {
		return
	}
	d.Sessions = sess.Sessions
	var acc struct {
		ConsoleAccess wireConsoleAccess `json:"ConsoleAccess"`
	}
	switch err := x.call(admin+"DescribeConsoleAccess", ref, &acc); Code(err) {
	case "":
		d.Access = &acc.ConsoleAccess
		d.Form.Set("accessLevel", acc.ConsoleAccess.AccessLevel)
		d.Form.Set("policyArns", strings.Join(acc.ConsoleAccess.PolicyARNs, "\n"))
	case "ResourceNotFoundException":
	default:
		if hide("console", err) && d.Hidden["console"] == "" {
			return
		}
	}
	x.render(http.StatusOK, "c-user", page{Title: u.UserName, Notice: x.notice(), Data: d})
}

// ---- edit ----

func (h *Handler) editUserPage(x *req) {
	x.section = "users"
	u, ok := h.userOfPath(x)
	if !ok {
		return
	}
	x.render(http.StatusOK, "c-user-edit", page{Title: "Edit " + u.UserName, Data: editUserData{User: u, Form: formFromUser(u)}})
}

type editUserData struct {
	User wireUser
	Form url.Values
}

func (h *Handler) editUser(x *req) {
	x.section = "users"
	id := x.r.PathValue("id")
	u, err := h.describeUser(x, id)
	if err != nil {
		x.fail(err)
		return
	}
	ops := updateOps(u, x.r.PostForm)
	if len(ops) == 0 {
		x.done("/admin/users/"+url.PathEscape(id), "Nothing changed.")
		return
	}
	if err := x.call(isvc+"UpdateUser", map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "UserId": id, "Operations": ops}, nil); err != nil {
		msg, errs := fieldErrors(err, userFields)
		x.formRefused(err, msg, errs, func(msg string, errs map[string]string) {
			x.render(http.StatusBadRequest, "c-user-edit", page{Title: "Edit " + u.UserName, Message: msg, Errors: errs,
				Data: editUserData{User: u, Form: x.r.PostForm}})
		})
		return
	}
	x.done("/admin/users/"+url.PathEscape(id), "The user was updated.")
}

// ---- actions ----

// confirmView is what the confirmation page asks.
type confirmView struct {
	Question string
	Details  []string
	Action   string
	Button   string
	Cancel   string
	Hidden   []hidden
}

type hidden struct{ Name, Value string }

// confirmUser asks before a destructive action on a user.
func (h *Handler) confirmUser(x *req) {
	x.section = "users"
	id := x.r.PathValue("id")
	u, ok := h.userOfPath(x)
	if !ok {
		return
	}
	base := "/admin/users/" + url.PathEscape(id)
	v := confirmView{Cancel: base}
	title := ""
	switch x.r.URL.Query().Get("action") {
	case "delete":
		title = "Delete user " + u.UserName
		v.Question = "Delete the user " + u.UserName + " (" + u.DisplayName + ")? This cannot be undone."
		v.Details = []string{"The user's group memberships, account assignments, sessions, MFA devices and console access are deleted with the user."}
		v.Action, v.Button = base+"/delete", "Delete user"
	case "disable":
		title = "Disable user " + u.UserName
		v.Question = "Disable the user " + u.UserName + "? The user is signed out everywhere at once and cannot sign in until enabled again."
		v.Details = []string{"Tokens of the AWS CLI and temporary credentials issued to the user stop working."}
		v.Action, v.Button = base+"/status", "Disable user"
		v.Hidden = []hidden{{"status", "DISABLED"}}
	case "end-sessions":
		title = "End the sessions of " + u.UserName
		v.Question = "End every portal session of " + u.UserName + "? The user must sign in again."
		v.Action, v.Button = base+"/sessions/delete", "End all sessions"
	case "remove-device":
		dev := x.r.URL.Query().Get("device")
		if !devicePattern.MatchString(dev) {
			x.fail(notFound("MFA_DEVICE"))
			return
		}
		title = "Remove an MFA device of " + u.UserName
		v.Question = "Remove this MFA device of " + u.UserName + "? The user is told by email."
		v.Action, v.Button = base+"/devices/"+dev+"/delete", "Remove device"
	case "one-time-password":
		title = "Generate a one-time password for " + u.UserName
		v.Question = "Replace the password of " + u.UserName + " with a one-time password? The user is signed out everywhere and chooses a new password at the next sign-in."
		v.Action, v.Button = base+"/reset-password", "Generate one-time password"
		v.Hidden = []hidden{{"mode", "ONE_TIME_PASSWORD"}}
	case "revoke-console":
		title = "Revoke console access of " + u.UserName
		v.Question = "Revoke the admin console access of " + u.UserName + "?"
		v.Action, v.Button = base+"/console-access/delete", "Revoke access"
	default:
		x.fail(notFound("ACTION"))
		return
	}
	x.render(http.StatusOK, "c-confirm", page{Title: title, Data: v})
}

var devicePattern = regexp.MustCompile(`^mfa-[0-9a-f]{24}$`)

// userAction calls a GatehouseAdmin operation on the user of the path
// and sends the browser back to the user with a notice.
func (h *Handler) userAction(x *req, op string, extra map[string]string, notice string) {
	x.section = "users"
	id := x.r.PathValue("id")
	in := map[string]string{"IdentityStoreId": h.o.Instance.IdentityStoreID, "UserId": id}
	for k, v := range extra {
		in[k] = v
	}
	if err := x.call(admin+op, in, nil); err != nil {
		x.fail(err)
		return
	}
	x.done("/admin/users/"+url.PathEscape(id), notice)
}

func (h *Handler) setUserStatus(x *req) {
	x.section = "users"
	id := x.r.PathValue("id")
	status := x.r.PostFormValue("status")
	if status != "ENABLED" && status != "DISABLED" {
		x.fail(invalid("The status must be ENABLED or DISABLED."))
		return
	}
	if err := x.call(isvc+"UpdateUser", map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "UserId": id,
		"Operations": []attributeOp{{AttributePath: "userStatus", AttributeValue: status}}}, nil); err != nil {
		x.fail(err)
		return
	}
	msg := "The user was enabled."
	if status == "DISABLED" {
		msg = "The user was disabled and signed out everywhere."
	}
	x.done("/admin/users/"+url.PathEscape(id), msg)
}

func (h *Handler) deleteUser(x *req) {
	x.section = "users"
	id := x.r.PathValue("id")
	if err := x.call(isvc+"DeleteUser", map[string]string{"IdentityStoreId": h.o.Instance.IdentityStoreID, "UserId": id}, nil); err != nil {
		x.fail(err)
		return
	}
	x.done("/admin/users", "The user was deleted.")
}

func (h *Handler) resetPassword(x *req) {
	x.section = "users"
	id := x.r.PathValue("id")
	mode := x.r.PostFormValue("mode")
	var out struct {
		OneTimePassword string `json:"OneTimePassword"`
	}
	if err := x.call(admin+"ResetUserPassword", map[string]string{"IdentityStoreId": h.o.Instance.IdentityStoreID, "UserId": id, "Mode": mode}, &out); err != nil {
		x.fail(err)
		return
	}
	if out.OneTimePassword == "" {
		x.done("/admin/users/"+url.PathEscape(id), "A password reset link was emailed to the user; it is valid for one hour.")
		return
	}
	// Shown once, on this answer only (never in a URL or a log).
	x.render(http.StatusOK, "c-otp", page{Title: "One-time password", Data: createdData{UserID: id, OneTimePassword: out.OneTimePassword}})
}

func (h *Handler) invite(x *req) {
	h.userAction(x, "InviteUser", nil, "An invitation was emailed to the user; it is valid for 7 days and replaces any earlier one.")
}

func (h *Handler) unlock(x *req) {
	h.userAction(x, "UnlockUser", nil, "The user's failed sign-in counters were cleared.")
}

func (h *Handler) deleteDevice(x *req) {
	h.userAction(x, "DeleteMfaDevice", map[string]string{"DeviceId": x.r.PathValue("device")}, "The MFA device was removed.")
}

func (h *Handler) endSessions(x *req) {
	extra := map[string]string{}
	if s := x.r.PostFormValue("session"); s != "" {
		extra["SessionId"] = s
	}
	h.userAction(x, "DeleteUserSessions", extra, "The sessions were ended.")
}

func (h *Handler) putConsoleAccess(x *req) {
	x.section = "users"
	id := x.r.PathValue("id")
	level := x.r.PostFormValue("accessLevel")
	in := map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "UserId": id, "AccessLevel": level}
	if level == "POLICY" {
		in["PolicyArns"] = splitLines(x.r.PostFormValue("policyArns"))
	}
	if err := x.call(admin+"PutConsoleAccess", in, nil); err != nil {
		x.fail(err)
		return
	}
	x.done("/admin/users/"+url.PathEscape(id), "Console access was granted.")
}

func (h *Handler) deleteConsoleAccess(x *req) {
	h.userAction(x, "DeleteConsoleAccess", nil, "Console access was revoked.")
}

// addUserToGroups adds the user of the path to the groups chosen.
func (h *Handler) addUserToGroups(x *req) {
	x.section = "users"
	id := x.r.PathValue("id")
	n := 0
	for _, g := range x.r.PostForm["group"] {
		if err := x.addMember(g, id); err != nil {
			x.fail(err)
			return
		}
		n++
	}
	x.done("/admin/users/"+url.PathEscape(id), plural(n, "group membership", "group memberships")+" added.")
}

// splitLines returns the non-empty lines (or comma-separated items) of s.
func splitLines(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
