package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	orgs "github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	satypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
)

// realAccess is what grantRealAccess made for a user: two member accounts
// with the AdministratorAccess permission set assigned on both.
type realAccess struct {
	production, development string
	permissionSet           string
}

// grantRealAccess sets up, through the real organizations and sso-admin
// APIs, the accounts and the assignment a portal journey shows: accounts
// "Production" and "Development", a permission set "AdministratorAccess"
// with the AWS-managed AdministratorAccess policy, assigned to the user on
// both and provisioned.
func grantRealAccess(t *testing.T, app *portalApp, userID string) realAccess {
	t.Helper()
	ctx := context.Background()
	oc := orgs.NewFromConfig(app.awsConfig())
	ra := realAccess{
		production:    createAccount(t, oc, "Production", "prod-"+userID[:8]+"@example.com"),
		development:   createAccount(t, oc, "Development", "dev-"+userID[:8]+"@example.com"),
		permissionSet: "AdministratorAccess",
	}
	sa := ssoadmin.NewFromConfig(app.awsConfig())
	inst := app.Instance.ARN
	ps, err := sa.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst,
		Name: aws.String(ra.permissionSet), SessionDuration: aws.String("PT4H")})
	if err != nil {
		t.Fatal(err)
	}
	psARN := ps.PermissionSet.PermissionSetArn
	if _, err := sa.AttachManagedPolicyToPermissionSet(ctx, &ssoadmin.AttachManagedPolicyToPermissionSetInput{InstanceArn: &inst,
		PermissionSetArn: psARN, ManagedPolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	for _, account := range []string{ra.production, ra.development} {
		out, err := sa.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: &inst,
			PermissionSetArn: psARN, TargetId: aws.String(account), TargetType: satypes.TargetTypeAwsAccount,
			PrincipalType: satypes.PrincipalTypeUser, PrincipalId: aws.String(userID)})
		if err != nil {
			t.Fatal(err)
		}
		if st := waitCreation(t, sa, inst, aws.ToString(out.AccountAssignmentCreationStatus.RequestId)); st.Status != satypes.StatusValuesSucceeded {
			t.Fatalf("assignment on %s: %+v", account, st)
		}
	}
	return ra
}

var exportLine = regexp.MustCompile(`export (AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN)="([^"]+)"`)

// checkShownCredentials reads the bash exports the portal showed and checks
// that they are real: STS answers with the role session of the user.
func checkShownCredentials(t *testing.T, app *portalApp, bash, account, permissionSet, userName string) {
	t.Helper()
	vals := map[string]string{}
	for _, m := range exportLine.FindAllStringSubmatch(bash, -1) {
		vals[m[1]] = m[2]
	}
	id := vals["AWS_ACCESS_KEY_ID"]
	if !strings.HasPrefix(id, "ASIA") || len(id) != 20 || vals["AWS_SECRET_ACCESS_KEY"] == "" || vals["AWS_SESSION_TOKEN"] == "" {
		t.Fatalf("the portal's exports are not temporary credentials:\n%s", bash)
	}
	who, err := app.stsWith(id, vals["AWS_SECRET_ACCESS_KEY"], vals["AWS_SESSION_TOKEN"]).GetCallerIdentity(context.Background(), nil)
	if err != nil {
		t.Fatalf("STS refused the credentials the portal showed: %v", err)
	}
	arn := aws.ToString(who.Arn)
	if aws.ToString(who.Account) != account || !strings.Contains(arn, ":assumed-role/AWSReservedSSO_"+permissionSet+"_") || !strings.HasSuffix(arn, "/"+userName) {
		t.Fatalf("GetCallerIdentity = %s in %s, want a role session of %s for %s in %s", arn, aws.ToString(who.Account), permissionSet, userName, account)
	}
}
