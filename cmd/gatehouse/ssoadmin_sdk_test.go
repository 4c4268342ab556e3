package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ids "github.com/aws/aws-sdk-go-v2/service/identitystore"
	idtypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
)

// The tutorial's inline policy: S3 only with MFA.
const mfaS3Policy = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "S3WithMFA",
    "Effect": "Allow",
    "Action": "s3:*",
    "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}
  }]
}`

// poll retries fn until it reports done, as a client of an asynchronous
// API must; a test that never finishes fails instead of hanging.
func poll(t *testing.T, what string, fn func() (bool, error)) {
	t.Helper()
	for range 1000 {
		done, err := fn()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if done {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: still in progress", what)
}

func waitCreation(t *testing.T, c *ssoadmin.Client, inst, id string) *types.AccountAssignmentOperationStatus {
	t.Helper()
	var st *types.AccountAssignmentOperationStatus
	poll(t, "assignment creation "+id, func() (bool, error) {
		out, err := c.DescribeAccountAssignmentCreationStatus(context.Background(), &ssoadmin.DescribeAccountAssignmentCreationStatusInput{
			InstanceArn: &inst, AccountAssignmentCreationRequestId: &id})
		if err != nil {
			return false, err
		}
		st = out.AccountAssignmentCreationStatus
		return st.Status != types.StatusValuesInProgress, nil
	})
	return st
}

func waitDeletion(t *testing.T, c *ssoadmin.Client, inst, id string) *types.AccountAssignmentOperationStatus {
	t.Helper()
	var st *types.AccountAssignmentOperationStatus
	poll(t, "assignment deletion "+id, func() (bool, error) {
		out, err := c.DescribeAccountAssignmentDeletionStatus(context.Background(), &ssoadmin.DescribeAccountAssignmentDeletionStatusInput{
			InstanceArn: &inst, AccountAssignmentDeletionRequestId: &id})
		if err != nil {
			return false, err
		}
		st = out.AccountAssignmentDeletionStatus
		return st.Status != types.StatusValuesInProgress, nil
	})
	return st
}

func waitProvisioning(t *testing.T, c *ssoadmin.Client, inst, id string) *types.PermissionSetProvisioningStatus {
	t.Helper()
	var st *types.PermissionSetProvisioningStatus
	poll(t, "provisioning "+id, func() (bool, error) {
		out, err := c.DescribePermissionSetProvisioningStatus(context.Background(), &ssoadmin.DescribePermissionSetProvisioningStatusInput{
			InstanceArn: &inst, ProvisionPermissionSetRequestId: &id})
		if err != nil {
			return false, err
		}
		st = out.PermissionSetProvisioningStatus
		return st.Status != types.StatusValuesInProgress, nil
	})
	return st
}

func TestSSOAdminTutorialWithGoSDK(t *testing.T) {
	ssoAdminTutorial(t, startApp(t))
}

// TestSSOAdminTutorialOnPostgres runs the same flow with PostgreSQL as the
// store (skipped without a server, failed under CI).
func TestSSOAdminTutorialOnPostgres(t *testing.T) {
	ssoAdminTutorial(t, startApp(t, withPostgres(postgresDSN(t))))
}

func ssoAdminTutorial(t *testing.T, app *testApp) {
	ctx := context.Background()
	c := ssoadmin.NewFromConfig(app.awsConfig())
	idc := ids.NewFromConfig(app.awsConfig())
	account := app.Instance.OwnerAccountID
	sid := app.Instance.IdentityStoreID

	insts, err := c.ListInstances(ctx, &ssoadmin.ListInstancesInput{})
	if err != nil || len(insts.Instances) != 1 {
		t.Fatalf("ListInstances = %+v, %v", insts, err)
	}
	im := insts.Instances[0]
	if aws.ToString(im.InstanceArn) != app.Instance.ARN || aws.ToString(im.IdentityStoreId) != sid ||
		aws.ToString(im.OwnerAccountId) != account || im.Status != types.InstanceStatusActive || im.CreatedDate == nil {
		t.Fatalf("instance = %+v", im)
	}
	inst := aws.ToString(im.InstanceArn)
	if _, err := c.UpdateInstance(ctx, &ssoadmin.UpdateInstanceInput{InstanceArn: &inst, Name: aws.String("corp-sso")}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeInstance(ctx, &ssoadmin.DescribeInstanceInput{InstanceArn: &inst})
	if err != nil || aws.ToString(d.Name) != "corp-sso" {
		t.Fatalf("DescribeInstance = %+v, %v", d, err)
	}

	// The tutorial: DeveloperAccess for two hours.
	created, err := c.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{
		InstanceArn: &inst, Name: aws.String("DeveloperAccess"), Description: aws.String("Developers"),
		SessionDuration: aws.String("PT2H"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ps := aws.ToString(created.PermissionSet.PermissionSetArn)
	if !strings.HasPrefix(ps, "arn:aws:sso:::permissionSet/"+app.Instance.InstanceID+"/ps-") ||
		aws.ToString(created.PermissionSet.SessionDuration) != "PT2H" || created.PermissionSet.CreatedDate == nil {
		t.Fatalf("CreatePermissionSet = %+v", created.PermissionSet)
	}
	if _, err := c.AttachManagedPolicyToPermissionSet(ctx, &ssoadmin.AttachManagedPolicyToPermissionSetInput{
		InstanceArn: &inst, PermissionSetArn: &ps, ManagedPolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3FullAccess"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutInlinePolicyToPermissionSet(ctx, &ssoadmin.PutInlinePolicyToPermissionSetInput{
		InstanceArn: &inst, PermissionSetArn: &ps, InlinePolicy: aws.String(mfaS3Policy),
	}); err != nil {
		t.Fatal(err)
	}
	inline, err := c.GetInlinePolicyForPermissionSet(ctx, &ssoadmin.GetInlinePolicyForPermissionSetInput{InstanceArn: &inst, PermissionSetArn: &ps})
	if err != nil || aws.ToString(inline.InlinePolicy) != mfaS3Policy {
		t.Fatalf("inline policy = %v, %v", inline, err)
	}
	mp, err := c.ListManagedPoliciesInPermissionSet(ctx, &ssoadmin.ListManagedPoliciesInPermissionSetInput{InstanceArn: &inst, PermissionSetArn: &ps})
	if err != nil || len(mp.AttachedManagedPolicies) != 1 || aws.ToString(mp.AttachedManagedPolicies[0].Name) != "AmazonS3FullAccess" {
		t.Fatalf("managed policies = %+v, %v", mp, err)
	}

	// A group with a member, assigned to the account.
	g, err := idc.CreateGroup(ctx, &ids.CreateGroupInput{IdentityStoreId: &sid, DisplayName: aws.String("Developers")})
	if err != nil {
		t.Fatal(err)
	}
	group := aws.ToString(g.GroupId)
	u, err := idc.CreateUser(ctx, newUserInput(sid, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	user := aws.ToString(u.UserId)
	if _, err := idc.CreateGroupMembership(ctx, &ids.CreateGroupMembershipInput{IdentityStoreId: &sid, GroupId: &group,
		MemberId: &idtypes.MemberIdMemberUserId{Value: user}}); err != nil {
		t.Fatal(err)
	}
	ca, err := c.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{
		InstanceArn: &inst, PermissionSetArn: &ps, TargetId: &account, TargetType: types.TargetTypeAwsAccount,
		PrincipalType: types.PrincipalTypeGroup, PrincipalId: &group,
	})
	if err != nil {
		t.Fatal(err)
	}
	if ca.AccountAssignmentCreationStatus.Status != types.StatusValuesInProgress || aws.ToString(ca.AccountAssignmentCreationStatus.RequestId) == "" {
		t.Fatalf("CreateAccountAssignment = %+v", ca.AccountAssignmentCreationStatus)
	}
	if st := waitCreation(t, c, inst, aws.ToString(ca.AccountAssignmentCreationStatus.RequestId)); st.Status != types.StatusValuesSucceeded {
		t.Fatalf("assignment = %+v", st)
	}

	// The role is provisioned.
	prov, err := c.ListPermissionSetsProvisionedToAccount(ctx, &ssoadmin.ListPermissionSetsProvisionedToAccountInput{InstanceArn: &inst, AccountId: &account})
	if err != nil || len(prov.PermissionSets) != 1 || prov.PermissionSets[0] != ps {
		t.Fatalf("provisioned to account = %+v, %v", prov, err)
	}
	accts, err := c.ListAccountsForProvisionedPermissionSet(ctx, &ssoadmin.ListAccountsForProvisionedPermissionSetInput{
		InstanceArn: &inst, PermissionSetArn: &ps, ProvisioningStatus: types.ProvisioningStatusLatestPermissionSetProvisioned})
	if err != nil || len(accts.AccountIds) != 1 || accts.AccountIds[0] != account {
		t.Fatalf("accounts for permission set = %+v, %v", accts, err)
	}
	role := findRole(t, app, "DeveloperAccess")
	if !strings.HasPrefix(role.name, "AWSReservedSSO_DeveloperAccess_") || len(role.name) != len("AWSReservedSSO_DeveloperAccess_")+16 {
		t.Fatalf("role name %q", role.name)
	}

	// Assignments, also as the user sees them through the group.
	la, err := c.ListAccountAssignments(ctx, &ssoadmin.ListAccountAssignmentsInput{InstanceArn: &inst, AccountId: &account, PermissionSetArn: &ps})
	if err != nil || len(la.AccountAssignments) != 1 || aws.ToString(la.AccountAssignments[0].PrincipalId) != group {
		t.Fatalf("assignments = %+v, %v", la, err)
	}
	fp, err := c.ListAccountAssignmentsForPrincipal(ctx, &ssoadmin.ListAccountAssignmentsForPrincipalInput{
		InstanceArn: &inst, PrincipalType: types.PrincipalTypeUser, PrincipalId: &user, Filter: &types.ListAccountAssignmentsFilter{AccountId: &account}})
	if err != nil || len(fp.AccountAssignments) != 1 || fp.AccountAssignments[0].PrincipalType != types.PrincipalTypeGroup {
		t.Fatalf("assignments for user = %+v, %v", fp, err)
	}

	// Editing the set leaves the account out of date until provisioned.
	if _, err := c.UpdatePermissionSet(ctx, &ssoadmin.UpdatePermissionSetInput{InstanceArn: &inst, PermissionSetArn: &ps,
		SessionDuration: aws.String("PT4H")}); err != nil {
		t.Fatal(err)
	}
	stale, err := c.ListAccountsForProvisionedPermissionSet(ctx, &ssoadmin.ListAccountsForProvisionedPermissionSetInput{
		InstanceArn: &inst, PermissionSetArn: &ps, ProvisioningStatus: types.ProvisioningStatusLatestPermissionSetNotProvisioned})
	if err != nil || len(stale.AccountIds) != 1 {
		t.Fatalf("outdated accounts = %+v, %v", stale, err)
	}
	pp, err := c.ProvisionPermissionSet(ctx, &ssoadmin.ProvisionPermissionSetInput{InstanceArn: &inst, PermissionSetArn: &ps,
		TargetType: types.ProvisionTargetTypeAllProvisionedAccounts})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitProvisioning(t, c, inst, aws.ToString(pp.PermissionSetProvisioningStatus.RequestId)); st.Status != types.StatusValuesSucceeded {
		t.Fatalf("provisioning = %+v", st)
	}
	stale, _ = c.ListAccountsForProvisionedPermissionSet(ctx, &ssoadmin.ListAccountsForProvisionedPermissionSetInput{
		InstanceArn: &inst, PermissionSetArn: &ps, ProvisioningStatus: types.ProvisioningStatusLatestPermissionSetNotProvisioned})
	if len(stale.AccountIds) != 0 {
		t.Fatalf("still outdated after provisioning: %v", stale.AccountIds)
	}
	if again := findRole(t, app, "DeveloperAccess"); again.name != role.name || again.sessionDuration != "PT4H" {
		t.Fatalf("role after re-provisioning = %+v (was %+v)", again, role)
	}
	list, err := c.ListPermissionSetProvisioningStatus(ctx, &ssoadmin.ListPermissionSetProvisioningStatusInput{InstanceArn: &inst,
		Filter: &types.OperationStatusFilter{Status: types.StatusValuesSucceeded}})
	if err != nil || len(list.PermissionSetsProvisioningStatus) != 1 {
		t.Fatalf("provisioning statuses = %+v, %v", list, err)
	}

	// Errors a real admin runs into.
	_, err = c.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst, Name: aws.String("DeveloperAccess")})
	wantCode(t, err, "ConflictException", "already exists")
	_, err = c.DeletePermissionSet(ctx, &ssoadmin.DeletePermissionSetInput{InstanceArn: &inst, PermissionSetArn: &ps})
	wantCode(t, err, "ConflictException", "assign")
	_, err = c.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: &inst,
		PermissionSetArn: aws.String("arn:aws:sso:::permissionSet/" + app.Instance.InstanceID + "/ps-0000000000000000")})
	wantCode(t, err, "ResourceNotFoundException", "")
	_, err = c.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: &inst, PermissionSetArn: aws.String("arn:aws:sso:::permissionSet/nope")})
	wantCode(t, err, "ValidationException", "permissionSetArn")
	_, err = c.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst, Name: aws.String("Bad"), SessionDuration: aws.String("2 hours")})
	wantCode(t, err, "ValidationException", "sessionDuration")
	for _, dur := range []string{"PT10M", "PT13H"} {
		_, err = c.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst, Name: aws.String("Bad"), SessionDuration: &dur})
		wantCode(t, err, "ValidationException", "sessionDuration")
	}
	_, err = c.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst, Name: aws.String("Sensitive"), SessionDuration: aws.String("PT15M")})
	if err != nil {
		t.Fatalf("PT15M (Gatehouse's floor) refused: %v", err)
	}
	_, err = c.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst, Name: aws.String(strings.Repeat("x", 33))})
	wantCode(t, err, "ValidationException", "name")
	_, err = c.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst, Name: aws.String("has space")})
	wantCode(t, err, "ValidationException", "name")
	_, err = c.ListPermissionSets(ctx, &ssoadmin.ListPermissionSetsInput{InstanceArn: &inst, MaxResults: aws.Int32(101)})
	wantCode(t, err, "ValidationException", "maxResults")
	_, err = c.PutInlinePolicyToPermissionSet(ctx, &ssoadmin.PutInlinePolicyToPermissionSetInput{InstanceArn: &inst, PermissionSetArn: &ps,
		InlinePolicy: aws.String(strings.Replace(mfaS3Policy, "2012-10-17", "2025-01-01", 1))})
	wantCode(t, err, "ValidationException", `"2012-10-17" and "2008-10-17"`)
	_, err = c.AttachManagedPolicyToPermissionSet(ctx, &ssoadmin.AttachManagedPolicyToPermissionSetInput{InstanceArn: &inst, PermissionSetArn: &ps,
		ManagedPolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	wantCode(t, err, "ResourceNotFoundException", "NoSuchPolicy")
	_, err = c.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: &inst, PermissionSetArn: &ps,
		TargetId: &account, TargetType: types.TargetTypeAwsAccount, PrincipalType: types.PrincipalTypeUser,
		PrincipalId: aws.String(strings.TrimPrefix(sid, "d-") + "-00000000-0000-4000-8000-000000000000")})
	wantCode(t, err, "ResourceNotFoundException", "")

	// Delete everything.
	da, err := c.DeleteAccountAssignment(ctx, &ssoadmin.DeleteAccountAssignmentInput{InstanceArn: &inst, PermissionSetArn: &ps,
		TargetId: &account, TargetType: types.TargetTypeAwsAccount, PrincipalType: types.PrincipalTypeGroup, PrincipalId: &group})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitDeletion(t, c, inst, aws.ToString(da.AccountAssignmentDeletionStatus.RequestId)); st.Status != types.StatusValuesSucceeded {
		t.Fatalf("deletion = %+v", st)
	}
	prov, _ = c.ListPermissionSetsProvisionedToAccount(ctx, &ssoadmin.ListPermissionSetsProvisionedToAccountInput{InstanceArn: &inst, AccountId: &account})
	if len(prov.PermissionSets) != 0 {
		t.Fatalf("role left after the last assignment went: %v", prov.PermissionSets)
	}
	if _, err := c.DeletePermissionSet(ctx, &ssoadmin.DeletePermissionSetInput{InstanceArn: &inst, PermissionSetArn: &ps}); err != nil {
		t.Fatal(err)
	}
	if _, err := idc.DeleteGroup(ctx, &ids.DeleteGroupInput{IdentityStoreId: &sid, GroupId: &group}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: &inst, PermissionSetArn: &ps})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("deleted permission set: %v", err)
	}
}

// provisionedRole is what a test checks of a provisioned role.
type provisionedRole struct {
	name            string
	sessionDuration string
}

// findRole returns the role of the named permission set in the management
// account, read from the store.
func findRole(t *testing.T, app *testApp, psName string) provisionedRole {
	t.Helper()
	roles, err := app.app.store.ListRolesInAccount(context.Background(), app.Instance.OwnerAccountID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if strings.HasPrefix(r.RoleName, "AWSReservedSSO_"+psName+"_") {
			return provisionedRole{name: r.RoleName, sessionDuration: r.Policies.SessionDuration}
		}
	}
	t.Fatalf("no role for %s in %v", psName, roles)
	return provisionedRole{}
}

// TestSSOAdminConcurrentAssignments: 50 concurrent CreateAccountAssignment
// calls for the same (group, permission set, account), through the API,
// create exactly one assignment, and every call's request succeeds.
func TestSSOAdminConcurrentAssignments(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	c := ssoadmin.NewFromConfig(app.awsConfig())
	inst, account, sid := app.Instance.ARN, app.Instance.OwnerAccountID, app.Instance.IdentityStoreID
	ps, err := c.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst, Name: aws.String("Oncall")})
	if err != nil {
		t.Fatal(err)
	}
	psArn := aws.ToString(ps.PermissionSet.PermissionSetArn)
	g, err := ids.NewFromConfig(app.awsConfig()).CreateGroup(ctx, &ids.CreateGroupInput{IdentityStoreId: &sid, DisplayName: aws.String("Oncall")})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	reqs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out, err := c.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: &inst, PermissionSetArn: &psArn,
				TargetId: &account, TargetType: types.TargetTypeAwsAccount, PrincipalType: types.PrincipalTypeGroup, PrincipalId: g.GroupId})
			if err != nil {
				t.Error(err)
				return
			}
			reqs[i] = aws.ToString(out.AccountAssignmentCreationStatus.RequestId)
		})
	}
	wg.Wait()
	for _, id := range reqs {
		if st := waitCreation(t, c, inst, id); st.Status != types.StatusValuesSucceeded {
			t.Fatalf("request %s = %+v", id, st)
		}
	}
	la, err := c.ListAccountAssignments(ctx, &ssoadmin.ListAccountAssignmentsInput{InstanceArn: &inst, AccountId: &account, PermissionSetArn: &psArn})
	if err != nil || len(la.AccountAssignments) != 1 {
		t.Fatalf("assignments = %+v, %v; want exactly one", la, err)
	}
	all, err := c.ListAccountAssignmentCreationStatus(ctx, &ssoadmin.ListAccountAssignmentCreationStatusInput{InstanceArn: &inst,
		Filter: &types.OperationStatusFilter{Status: types.StatusValuesSucceeded}})
	if err != nil || len(all.AccountAssignmentsCreationStatus) != n {
		t.Fatalf("succeeded creation requests = %d, %v; want %d", len(all.AccountAssignmentsCreationStatus), err, n)
	}

	// Each call is in the audit trail under the administrator's identity.
	calls := 0
	for _, ev := range app.auditEvents(t) {
		if ev["eventSource"] == "sso.amazonaws.com" && ev["eventName"] == "CreateAccountAssignment" {
			calls++
			if ui := ev["userIdentity"].(map[string]any); ui["arn"] != "arn:aws:iam::"+account+":user/gatehouse-admin" {
				t.Fatalf("audit identity = %v", ui)
			}
		}
	}
	if calls != n {
		t.Fatalf("%d CreateAccountAssignment audit events, want %d", calls, n)
	}
}
