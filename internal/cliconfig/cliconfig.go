// Package cliconfig writes what a person needs to point their own,
// unmodified AWS CLI and SDKs at Gatehouse: an ~/.aws/config sso-session
// with one profile per account and role they can reach (as aws-sso-util's
// "populate" does), the per-service endpoint variables that current SDKs
// and CLIs read (AWS_ENDPOINT_URL_SSO_OIDC, _SSO, _STS), and, for AWS CLI
// v2 releases older than 2.13, which ignore those variables, an
// AWS_DATA_PATH directory whose endpoint rulesets send sso-oidc, sso and
// sts to Gatehouse.
package cliconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Role is one account and role the person can reach.
type Role struct {
	AccountID   string
	AccountName string
	RoleName    string
}

// Config describes the configuration to write.
type Config struct {
	// BaseURL is Gatehouse's public URL (every API is at its root).
	BaseURL string
	Region  string
	// SessionName names the sso-session section (default "gatehouse").
	SessionName string
	Roles       []Role
}

// Services are the endpoint variable suffixes and the botocore service
// names (with their API versions) that a sign-in through Gatehouse uses.
var Services = []struct {
	Env, Botocore, APIVersion string
}{
	{"SSO_OIDC", "sso-oidc", "2019-06-10"},
	{"SSO", "sso", "2019-06-10"},
	{"STS", "sts", "2011-06-15"},
}

func (c Config) session() string {
	if c.SessionName == "" {
		return "gatehouse"
	}
	return c.SessionName
}

// StartURL is the start URL the CLI asks for.
func (c Config) StartURL() string { return strings.TrimSuffix(c.BaseURL, "/") + "/start" }

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// ProfileName names a profile "<account name>.<role>", as aws-sso-util
// does, with characters the config file format does not like replaced.
func ProfileName(r Role) string {
	acct := r.AccountName
	if acct == "" {
		acct = r.AccountID
	}
	return strings.Trim(unsafeName.ReplaceAllString(acct, "-"), "-") + "." + unsafeName.ReplaceAllString(r.RoleName, "-")
}

// AWSConfig returns the ~/.aws/config text: the sso-session and a profile
// per role, sorted by profile name.
func (c Config) AWSConfig() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[sso-session %s]\n", c.session())
	fmt.Fprintf(&b, "sso_start_url = %s\n", c.StartURL())
	fmt.Fprintf(&b, "sso_region = %s\n", c.Region)
	fmt.Fprintf(&b, "sso_registration_scopes = sso:account:access\n")
	roles := append([]Role(nil), c.Roles...)
	sort.Slice(roles, func(i, j int) bool { return ProfileName(roles[i]) < ProfileName(roles[j]) })
	for _, r := range roles {
		fmt.Fprintf(&b, "\n[profile %s]\n", ProfileName(r))
		fmt.Fprintf(&b, "sso_session = %s\n", c.session())
		fmt.Fprintf(&b, "sso_account_id = %s\n", r.AccountID)
		fmt.Fprintf(&b, "sso_role_name = %s\n", r.RoleName)
		fmt.Fprintf(&b, "region = %s\n", c.Region)
	}
	return b.String()
}

// Env returns the lines that point current SDKs and CLIs at Gatehouse
// ("export NAME=value", one per line). dataPath, when set, adds
// AWS_DATA_PATH for CLI v2 before 2.13.
func (c Config) Env(dataPath string) string {
	var b strings.Builder
	for _, s := range Services {
		fmt.Fprintf(&b, "export AWS_ENDPOINT_URL_%s=%s\n", s.Env, c.BaseURL)
	}
	if dataPath != "" {
		fmt.Fprintf(&b, "export AWS_DATA_PATH=%s\n", dataPath)
	}
	return b.String()
}

// Ruleset returns an endpoint ruleset (botocore's endpoint-rule-set-1
// format) that resolves every request to url, unless the caller passes an
// explicit endpoint (--endpoint-url).
func Ruleset(url string) ([]byte, error) {
	rs := map[string]any{
		"version": "1.0",
		"parameters": map[string]any{
			"Region":       map[string]any{"builtIn": "AWS::Region", "required": false, "type": "String", "documentation": "The AWS region."},
			"UseDualStack": map[string]any{"builtIn": "AWS::UseDualStack", "required": true, "default": false, "type": "Boolean", "documentation": "Unused."},
			"UseFIPS":      map[string]any{"builtIn": "AWS::UseFIPS", "required": true, "default": false, "type": "Boolean", "documentation": "Unused."},
			"Endpoint":     map[string]any{"builtIn": "SDK::Endpoint", "required": false, "type": "String", "documentation": "An explicit endpoint."},
		},
		"rules": []any{
			map[string]any{
				"conditions": []any{map[string]any{"fn": "isSet", "argv": []any{map[string]any{"ref": "Endpoint"}}}},
				"endpoint":   map[string]any{"url": map[string]any{"ref": "Endpoint"}, "properties": map[string]any{}, "headers": map[string]any{}},
				"type":       "endpoint",
			},
			map[string]any{
				"conditions": []any{},
				"endpoint":   map[string]any{"url": url, "properties": map[string]any{}, "headers": map[string]any{}},
				"type":       "endpoint",
			},
		},
	}
	return json.MarshalIndent(rs, "", "  ")
}

// WriteDataPath writes the AWS_DATA_PATH directory: an endpoint ruleset
// override for sso-oidc, sso and sts under dir/<service>/<api version>/.
func (c Config) WriteDataPath(dir string) error {
	rs, err := Ruleset(c.BaseURL)
	if err != nil {
		return err
	}
	for _, s := range Services {
		d := filepath.Join(dir, s.Botocore, s.APIVersion)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("cliconfig: %w", err)
		}
		if err := os.WriteFile(filepath.Join(d, "endpoint-rule-set-1.json"), rs, 0o644); err != nil {
			return fmt.Errorf("cliconfig: %w", err)
		}
	}
	return nil
}
