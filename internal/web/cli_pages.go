package web

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/cliconfig"
	"github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/signin"
)

// "Configure your CLI": the ~/.aws/config sso-session with a profile per
// account and role the person reaches, the endpoint variables, and the
// endpoint ruleset that AWS CLI v2 before 2.13 needs (as a download, and
// as the `gatehouse cli-config` command that writes the whole directory).

func (h *Handler) cliRoutes() {
	h.mux.HandleFunc("GET /start/cli", h.authed(h.cliPage))
	h.mux.HandleFunc("GET /start/cli/endpoint-rule-set-1.json", h.authed(h.cliRuleset))
}

type cliData struct {
	Config, Env, StartURL, BaseURL string
	Services                       []string
}

func (h *Handler) cliConfig(r *http.Request, s signin.Session) (cliconfig.Config, error) {
	cfg := cliconfig.Config{BaseURL: strings.TrimSuffix(h.o.PublicURL, "/"), Region: h.o.Region}
	after := ""
	for {
		page, err := h.o.Access.AccountsFor(r.Context(), s.User.ID, portal.AccountQuery{After: after, Limit: 100})
		if err != nil {
			return cfg, err
		}
		for _, a := range page.Accounts {
			roles, err := h.o.Access.RolesFor(r.Context(), s.User.ID, a.ID)
			if err != nil {
				return cfg, err
			}
			for _, role := range roles {
				cfg.Roles = append(cfg.Roles, cliconfig.Role{AccountID: a.ID, AccountName: a.Name, RoleName: role.Name})
			}
		}
		if page.Next == "" {
			return cfg, nil
		}
		after = page.Next
	}
}

func (h *Handler) cliPage(w http.ResponseWriter, r *http.Request, s signin.Session) {
	cfg, err := h.cliConfig(r, s)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	d := cliData{Config: cfg.AWSConfig(), Env: cfg.Env(""), StartURL: cfg.StartURL(), BaseURL: cfg.BaseURL}
	for _, svc := range cliconfig.Services {
		d.Services = append(d.Services, svc.Botocore+"/"+svc.APIVersion)
	}
	p := h.authedPage(s, "Configure your CLI")
	p.Data = d
	h.render(w, http.StatusOK, "cli", p)
}

func (h *Handler) cliRuleset(w http.ResponseWriter, r *http.Request, _ signin.Session) {
	rs, err := cliconfig.Ruleset(strings.TrimSuffix(h.o.PublicURL, "/"))
	if err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="endpoint-rule-set-1.json"`)
	w.Write(rs)
}
