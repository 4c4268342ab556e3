package main

import (
	"context"
	"crypto/sha1" //nolint:gosec // the AWS CLI names its token cache files by SHA-1; not a security use
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"

	"github.com/gatehouse/gatehouse/internal/cliconfig"
)

// cliConfigCommand prints what a person needs to use their own AWS CLI with
// Gatehouse: the ~/.aws/config sso-session (and, with --profiles, one
// profile per account and role, read with the token of an earlier
// `aws sso login --sso-session NAME`), the endpoint variables, and with
// --data-path an AWS_DATA_PATH directory for CLI v2 before 2.13.
func cliConfigCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cli-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "", "Gatehouse's public URL (required), e.g. https://gatehouse.example.com")
	region := fs.String("region", "us-east-1", "the region Gatehouse answers for")
	session := fs.String("sso-session", "gatehouse", "name of the sso-session section")
	dataPath := fs.String("data-path", "", "write endpoint rulesets for AWS CLI v2 before 2.13 into this directory")
	profiles := fs.Bool("profiles", false, "add a profile per account and role, using the cached token of `aws sso login --sso-session NAME`")
	cacheDir := fs.String("sso-cache", "", "the AWS CLI's token cache (default ~/.aws/sso/cache)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("cli-config needs --url and no other arguments")
	}
	cfg := cliconfig.Config{BaseURL: strings.TrimSuffix(*base, "/"), Region: *region, SessionName: *session}
	if *profiles {
		dir := *cacheDir
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return err
			}
			dir = filepath.Join(home, ".aws", "sso", "cache")
		}
		roles, err := listRoles(context.Background(), cfg, dir)
		if err != nil {
			return err
		}
		cfg.Roles = roles
	}
	if *dataPath != "" {
		abs, err := filepath.Abs(*dataPath)
		if err != nil {
			return err
		}
		if err := cfg.WriteDataPath(abs); err != nil {
			return err
		}
		*dataPath = abs
	}
	fmt.Fprintf(stdout, "# ~/.aws/config\n%s\n", cfg.AWSConfig())
	fmt.Fprintf(stdout, "# Environment (current AWS CLI v2, boto3, the Go and JavaScript SDKs)\n%s", cfg.Env(""))
	if *dataPath != "" {
		fmt.Fprintf(stdout, "# AWS CLI v2 before 2.13 ignores AWS_ENDPOINT_URL_*; it reads the rulesets written to %s\nexport AWS_DATA_PATH=%s\n", *dataPath, *dataPath)
	} else {
		fmt.Fprintf(stdout, "# AWS CLI v2 before 2.13: run again with --data-path DIR and export AWS_DATA_PATH=DIR\n")
	}
	return nil
}

// cachedToken is the part of the AWS CLI's token cache file read here.
type cachedToken struct {
	AccessToken string `json:"accessToken"`
	ExpiresAt   string `json:"expiresAt"`
}

// listRoles lists the accounts and roles of the cached token's user
// through the portal API.
func listRoles(ctx context.Context, cfg cliconfig.Config, cacheDir string) ([]cliconfig.Role, error) {
	sum := sha1.Sum([]byte(cfg.SessionName)) //nolint:gosec // the CLI's cache file name
	path := filepath.Join(cacheDir, hex.EncodeToString(sum[:])+".json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("no cached token for sso-session %q (%v); run `aws sso login --sso-session %s` first", cfg.SessionName, err, cfg.SessionName)
	}
	var tok cachedToken
	if err := json.Unmarshal(raw, &tok); err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("%s is not an AWS CLI token cache file", path)
	}
	if exp, err := time.Parse(time.RFC3339, tok.ExpiresAt); err == nil && time.Now().After(exp) {
		return nil, fmt.Errorf("the cached token expired at %s; run `aws sso login --sso-session %s` again", exp, cfg.SessionName)
	}
	c := sso.NewFromConfig(aws.Config{Region: cfg.Region, BaseEndpoint: aws.String(cfg.BaseURL)})
	var roles []cliconfig.Role
	accts := sso.NewListAccountsPaginator(c, &sso.ListAccountsInput{AccessToken: &tok.AccessToken})
	for accts.HasMorePages() {
		page, err := accts.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		for _, a := range page.AccountList {
			rp := sso.NewListAccountRolesPaginator(c, &sso.ListAccountRolesInput{AccessToken: &tok.AccessToken, AccountId: a.AccountId})
			for rp.HasMorePages() {
				rpage, err := rp.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("list roles of %s: %w", aws.ToString(a.AccountId), err)
				}
				for _, r := range rpage.RoleList {
					roles = append(roles, cliconfig.Role{AccountID: aws.ToString(a.AccountId), AccountName: aws.ToString(a.AccountName),
						RoleName: aws.ToString(r.RoleName)})
				}
			}
		}
	}
	return roles, nil
}
