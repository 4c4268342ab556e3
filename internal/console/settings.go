package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/signin"
)

func (h *Handler) settingsRoutes() {
	h.get("/admin/settings", h.settings)
	h.post("/admin/settings/authentication", h.saveAuthentication)
	h.post("/admin/settings/session", h.saveSession)
	h.post("/admin/settings/abac", h.saveABAC)
	h.get("/admin/settings/confirm", h.confirmSettings)
	h.post("/admin/settings/abac/delete", h.deleteABAC)
	h.post("/admin/settings/test-email", h.testEmail)
	h.post("/admin/settings/console-access", h.grantConsoleAccess)
}

type settingsData struct {
	Settings   signin.Settings
	Form       url.Values
	PortalURL  string
	PublicURL  string
	ABAC       bool
	Admins     []adminRow
	MoreAdmins bool
	// AdminsHidden explains why the administrators are not listed.
	AdminsHidden string
}

type adminRow struct {
	UserID, UserName, Level string
	Policies                []string
}

func (h *Handler) settings(x *req) {
	x.section = "settings"
	h.showSettings(x, http.StatusOK, nil, "", nil)
}

// showSettings renders the settings page; form, when set, overrides the
// stored values (a refused change shown again).
func (h *Handler) showSettings(x *req, status int, form url.Values, msg string, errs map[string]string) {
	var st struct {
		Settings signin.Settings `json:"Settings"`
	}
	if err := x.call(admin+"DescribeSignInSettings", map[string]string{"IdentityStoreId": h.o.Instance.IdentityStoreID}, &st); err != nil {
		x.fail(err)
		return
	}
	s := st.Settings
	d := settingsData{Settings: s, PortalURL: strings.TrimSuffix(h.o.PublicURL, "/") + "/start", PublicURL: h.o.PublicURL, Form: url.Values{
		"mfaMode": {s.MFAMode}, "noDevice": {s.NoDeviceBehavior}, "passwordPolicy": {s.PasswordPolicy},
		"webauthnUV": {s.WebAuthnUserVerification}, "lockoutThreshold": {strconv.Itoa(s.LockoutThreshold)},
		"sessionMinutes":     {strconv.Itoa(s.SessionDurationMinutes)},
		"usersManageDevices": {strconv.FormatBool(s.UsersManageDevices)}, "emailOTP": {strconv.FormatBool(s.InviteUsersCreatedByAPI)},
		"typeTOTP": {strconv.FormatBool(slices.Contains(s.AllowedMFATypes, signin.TypeTOTP))}, "typeWebAuthn": {strconv.FormatBool(slices.Contains(s.AllowedMFATypes, signin.TypeWebAuthn))},
	}}
	var abac struct {
		InstanceAccessControlAttributeConfiguration struct {
			AccessControlAttributes []struct {
				Key   string `json:"Key"`
				Value struct {
					Source []string `json:"Source"`
				} `json:"Value"`
			} `json:"AccessControlAttributes"`
		} `json:"InstanceAccessControlAttributeConfiguration"`
	}
	switch err := x.call(sso+"DescribeInstanceAccessControlAttributeConfiguration", map[string]string{"InstanceArn": h.o.Instance.ARN}, &abac); Code(err) {
	case "":
		d.ABAC = true
		var lines []string
		for _, a := range abac.InstanceAccessControlAttributeConfiguration.AccessControlAttributes {
			lines = append(lines, a.Key+"="+strings.Join(a.Value.Source, ","))
		}
		d.Form.Set("abac", strings.Join(lines, "\n"))
	case "ResourceNotFoundException":
	default:
		x.fail(err)
		return
	}
	var grants struct {
		ConsoleAccess []wireConsoleAccess `json:"ConsoleAccess"`
		NextToken     string              `json:"NextToken"`
	}
	switch err := x.call(admin+"ListConsoleAccess", map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "MaxResults": pageSize}, &grants); Code(err) {
	case "":
		n := names{x: x}
		for _, g := range grants.ConsoleAccess {
			d.Admins = append(d.Admins, adminRow{UserID: g.UserID, UserName: n.user(g.UserID), Level: g.AccessLevel, Policies: g.PolicyARNs})
		}
		d.MoreAdmins = grants.NextToken != ""
	case "AccessDeniedException":
		_, d.AdminsHidden = h.describe(err)
	default:
		x.fail(err)
		return
	}
	for k, v := range form {
		d.Form[k] = v
	}
	x.render(status, "c-settings", page{Title: "Settings", Notice: x.notice(), Message: msg, Errors: errs, Data: d})
}

func (h *Handler) saveAuthentication(x *req) {
	x.section = "settings"
	f := x.r.PostForm
	patch := map[string]any{
		"MfaMode": f.Get("mfaMode"), "NoMfaDeviceBehavior": f.Get("noDevice"), "PasswordPolicy": f.Get("passwordPolicy"),
		"WebAuthnUserVerification": f.Get("webauthnUV"),
		"UsersCanManageMfaDevices": f.Get("usersManageDevices") == "true", "InviteUsersCreatedByApi": f.Get("emailOTP") == "true",
	}
	var types []string
	if f.Get("typeTOTP") == "true" {
		types = append(types, signin.TypeTOTP)
	}
	if f.Get("typeWebAuthn") == "true" {
		types = append(types, signin.TypeWebAuthn)
	}
	patch["AllowedMfaTypes"] = types
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("lockoutThreshold")))
	if err != nil {
		h.showSettings(x, http.StatusBadRequest, f, "The settings were not saved.", map[string]string{"lockoutThreshold": "Enter a whole number from 1 to 100."})
		return
	}
	patch["LockoutThreshold"] = n
	h.updateSettings(x, patch, f, "The authentication settings were saved.")
}

func (h *Handler) saveSession(x *req) {
	x.section = "settings"
	f := x.r.PostForm
	n, err := strconv.Atoi(f.Get("sessionMinutes"))
	if err != nil {
		h.showSettings(x, http.StatusBadRequest, f, "The settings were not saved.", map[string]string{"sessionMinutes": "Choose a session duration."})
		return
	}
	h.updateSettings(x, map[string]any{"SessionDurationMinutes": n}, f, "The session duration was saved; it applies to sessions that start from now on.")
}

// settingFields maps the messages of UpdateSignInSettings (which name the
// setting) to the form's fields.
var settingFields = map[string]string{
	"MfaMode": "mfaMode", "AllowedMfaTypes": "typeTOTP", "NoMfaDeviceBehavior": "noDevice", "WebAuthnUserVerification": "webauthnUV",
	"SessionDurationMinutes": "sessionMinutes", "PasswordPolicy": "passwordPolicy", "LockoutThreshold": "lockoutThreshold",
}

func (h *Handler) updateSettings(x *req, patch map[string]any, f url.Values, notice string) {
	if err := x.call(admin+"UpdateSignInSettings", map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "Settings": patch}, nil); err != nil {
		msg, ok := x.changeRefusal(err)
		if !ok {
			return
		}
		errs := map[string]string{}
		for setting, field := range settingFields {
			if strings.HasPrefix(msg, setting) {
				errs[field] = msg
			}
		}
		h.showSettings(x, http.StatusBadRequest, f, "The settings were not saved: "+msg, errs)
		return
	}
	x.done("/admin/settings", notice)
}

// changeRefusal returns the message of a refused settings change, to show
// on the settings page next to the field it concerns. A denial or a
// failure on the server's side gets the error page instead: then ok is
// false.
func (x *req) changeRefusal(err error) (msg string, ok bool) {
	status, msg := x.h.describe(err)
	if Code(err) == "AccessDeniedException" || status >= 500 {
		x.fail(err)
		return "", false
	}
	return msg, true
}

// saveABAC writes the attributes for access control, "key=source" per
// line (sources like ${path:enterprise.department}).
func (h *Handler) saveABAC(x *req) {
	x.section = "settings"
	f := x.r.PostForm
	var attrs []map[string]any
	for _, line := range strings.Split(f.Get("abac"), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			h.showSettings(x, http.StatusBadRequest, f, "The attributes were not saved.", map[string]string{"abac": "Write one attribute per line as key=${path:…}."})
			return
		}
		attrs = append(attrs, map[string]any{"Key": strings.TrimSpace(k), "Value": map[string]any{"Source": []string{strings.TrimSpace(v)}}})
	}
	in := map[string]any{"InstanceArn": h.o.Instance.ARN,
		"InstanceAccessControlAttributeConfiguration": map[string]any{"AccessControlAttributes": attrs}}
	op := "UpdateInstanceAccessControlAttributeConfiguration"
	if f.Get("exists") != "true" {
		op = "CreateInstanceAccessControlAttributeConfiguration"
	}
	if err := x.call(sso+op, in, nil); err != nil {
		msg, ok := x.changeRefusal(err)
		if !ok {
			return
		}
		h.showSettings(x, http.StatusBadRequest, f, "The attributes were not saved.", map[string]string{"abac": msg})
		return
	}
	x.done("/admin/settings", "The attributes for access control were saved.")
}

func (h *Handler) confirmSettings(x *req) {
	x.section = "settings"
	if x.r.URL.Query().Get("action") != "delete-abac" {
		x.fail(notFound("ACTION"))
		return
	}
	x.render(http.StatusOK, "c-confirm", page{Title: "Disable attributes for access control", Data: confirmView{
		Question: "Delete every attribute for access control? Sessions stop carrying them as session tags.",
		Action:   "/admin/settings/abac/delete", Button: "Delete attributes", Cancel: "/admin/settings",
	}})
}

func (h *Handler) deleteABAC(x *req) {
	x.section = "settings"
	if err := x.call(sso+"DeleteInstanceAccessControlAttributeConfiguration", map[string]string{"InstanceArn": h.o.Instance.ARN}, nil); err != nil {
		x.fail(err)
		return
	}
	x.done("/admin/settings", "The attributes for access control were deleted.")
}

func (h *Handler) testEmail(x *req) {
	x.section = "settings"
	to := strings.TrimSpace(x.r.PostFormValue("testEmail"))
	if err := x.call(admin+"SendTestEmail", map[string]string{"IdentityStoreId": h.o.Instance.IdentityStoreID, "EmailAddress": to}, nil); err != nil {
		status, msg := h.describe(err)
		if Code(err) == "AccessDeniedException" || status == http.StatusInternalServerError {
			x.fail(err)
			return
		}
		h.showSettings(x, http.StatusBadRequest, x.r.PostForm, "The test message was not sent.", map[string]string{"testEmail": msg})
		return
	}
	x.done("/admin/settings", "A test message was sent to "+to+".")
}

// grantConsoleAccess grants console access to a user named by user name.
func (h *Handler) grantConsoleAccess(x *req) {
	x.section = "settings"
	f := x.r.PostForm
	var id struct {
		UserID string `json:"UserId"`
	}
	err := x.call(isvc+"GetUserId", map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID,
		"AlternateIdentifier": map[string]any{"UniqueAttribute": map[string]string{"AttributePath": "userName", "AttributeValue": strings.TrimSpace(f.Get("adminUser"))}}}, &id)
	if err != nil {
		if Code(err) == "AccessDeniedException" {
			x.fail(err)
			return
		}
		h.showSettings(x, http.StatusBadRequest, f, "Console access was not granted.", map[string]string{"adminUser": "No user has this user name."})
		return
	}
	in := map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID, "UserId": id.UserID, "AccessLevel": f.Get("adminLevel")}
	if f.Get("adminLevel") == "POLICY" {
		in["PolicyArns"] = splitLines(f.Get("adminPolicies"))
	}
	if err := x.call(admin+"PutConsoleAccess", in, nil); err != nil {
		msg, ok := x.changeRefusal(err)
		if !ok {
			return
		}
		h.showSettings(x, http.StatusBadRequest, f, "Console access was not granted.", map[string]string{"adminPolicies": msg})
		return
	}
	x.done("/admin/settings", "Console access was granted.")
}
