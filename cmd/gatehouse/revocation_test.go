package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/sso/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	satypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// roleCredentials runs a device login on app and gets the user's role
// credentials from replica (another process on the same database).
func roleCredentials(t *testing.T, app, replica *portalApp, e *entitled) *ssotypes.RoleCredentials {
	t.Helper()
	_, tok := deviceLogin(t, app, e, []string{"sso:account:access"})
	rc, err := replica.portalClient().GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
		AccessToken: tok.AccessToken, AccountId: &e.accountID, RoleName: &e.permissionSet})
	if err != nil {
		t.Fatal(err)
	}
	return rc.RoleCredentials
}

func callerIdentity(app *portalApp, c *ssotypes.RoleCredentials) error {
	_, err := app.stsWith(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)).
		GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	return err
}

// revokedWithin checks that credentials that worked fail with AccessDenied
// on the replica that revoked at once, and on the other replica within
// the documented propagation bound (the credential cache TTL, 1 s here).
func revokedWithin(t *testing.T, what string, here, there *portalApp, c *ssotypes.RoleCredentials, bound time.Duration) {
	t.Helper()
	wantAPIError(t, what+" on the replica that revoked", callerIdentity(here, c), "AccessDenied")
	start := time.Now()
	for {
		err := callerIdentity(there, c)
		if errCode(err) == "AccessDenied" {
			t.Logf("%s: the other replica refused after %v (bound %v)", what, time.Since(start).Round(time.Millisecond), bound)
			return
		}
		if err != nil {
			t.Fatalf("%s on the other replica: %v", what, err)
		}
		if time.Since(start) > bound+time.Second {
			t.Fatalf("%s: the other replica still accepts the credentials %v after the revocation (bound %v)", what, time.Since(start), bound)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRevocationAcrossReplicas: two Gatehouse replicas share PostgreSQL
// (and the keyring). Credentials issued by one and in use on both stop
// working on both when the user is disabled, when an administrator revokes
// the user's sessions, and when the assignment is removed (SECURITY.md
// #20, #44, #50).
func TestRevocationAcrossReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	shared := t.TempDir()
	const bound = time.Second
	onPG := func(c *Config) {
		c.Database = DatabaseConfig{Driver: "postgres", DSN: dsn}
		c.DataDir = shared
		c.Tokens.CredentialCacheTTL = bound.String()
	}
	a := startPortalApp(t, onPG)
	b := startPortalApp(t, onPG)
	b.KeyID, b.Secret = a.KeyID, a.Secret
	ctx := context.Background()

	check := func(c *ssotypes.RoleCredentials) {
		t.Helper()
		for _, r := range []*portalApp{a, b} {
			if err := callerIdentity(r, c); err != nil {
				t.Fatalf("fresh credentials: %v", err)
			}
		}
	}

	// Disabling the user (on A).
	frank := newEntitledUser(t, a, "frank")
	c1 := roleCredentials(t, a, b, frank)
	check(c1)
	if err := disableUser(newIdentityClient(a), a, frank.userID); err != nil {
		t.Fatal(err)
	}
	revokedWithin(t, "disabled user", a, b, c1, bound)

	// An administrator revoking the user's sessions (on B).
	gina := newEntitledUser(t, a, "gina")
	c2 := roleCredentials(t, a, a, gina)
	check(c2)
	if code, out := b.adminCall(t, "DeleteUserSessions", map[string]any{"UserId": gina.userID}); code != 200 {
		t.Fatalf("DeleteUserSessions: %d %v", code, out)
	}
	revokedWithin(t, "revoked sessions", b, a, c2, bound)

	// Removing the assignment (on A; the worker of either replica finishes
	// it).
	hugo := newEntitledUser(t, a, "hugo")
	c3 := roleCredentials(t, a, b, hugo)
	check(c3)
	sa := ssoadmin.NewFromConfig(a.awsConfig())
	inst := a.Instance.ARN
	da, err := sa.DeleteAccountAssignment(ctx, &ssoadmin.DeleteAccountAssignmentInput{InstanceArn: &inst,
		PermissionSetArn: &hugo.permissionSetARN, TargetId: &hugo.accountID, TargetType: satypes.TargetTypeAwsAccount,
		PrincipalType: satypes.PrincipalTypeUser, PrincipalId: &hugo.userID})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitDeletion(t, sa, inst, aws.ToString(da.AccountAssignmentDeletionStatus.RequestId)); st.Status != satypes.StatusValuesSucceeded {
		t.Fatalf("deletion: %+v", st)
	}
	// Nothing cached the old answer on A's side beyond the bound either.
	time.Sleep(bound)
	revokedWithin(t, "removed assignment", a, b, c3, bound)
	// And the portal refuses new credentials for it.
	_, tok := deviceLogin(t, a, hugo, []string{"sso:account:access"})
	_, err = b.portalClient().GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken,
		AccountId: &hugo.accountID, RoleName: &hugo.permissionSet})
	wantAPIError(t, "credentials for a removed assignment", err, "ForbiddenException")
}
