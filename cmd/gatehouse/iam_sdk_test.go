package main

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
)

const readBucketPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team-bucket/*"}]}`

func TestIAMPoliciesWithGoSDK(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	c := iamsdk.NewFromConfig(app.awsConfig())
	account := app.Instance.OwnerAccountID

	created, err := c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{
		PolicyName: aws.String("TeamBucketRead"), Path: aws.String("/team/"), PolicyDocument: aws.String(readBucketPolicy),
		Description: aws.String("read the team bucket"), Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("platform")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.Policy.Arn)
	if arn != "arn:aws:iam::"+account+":policy/team/TeamBucketRead" || aws.ToString(created.Policy.DefaultVersionId) != "v1" ||
		!strings.HasPrefix(aws.ToString(created.Policy.PolicyId), "ANPA") || created.Policy.CreateDate == nil {
		t.Fatalf("CreatePolicy = %+v", created.Policy)
	}
	_, err = c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("teambucketread"), PolicyDocument: aws.String(readBucketPolicy)})
	var exists *iamtypes.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("duplicate policy: %v", err)
	}
	_, err = c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("Bad"),
		PolicyDocument: aws.String(strings.Replace(readBucketPolicy, "2012-10-17", "2025-01-01", 1))})
	var malformed *iamtypes.MalformedPolicyDocumentException
	if !errors.As(err, &malformed) || !strings.Contains(err.Error(), "2012-10-17") {
		t.Fatalf("bad version: %v", err)
	}

	got, err := c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: &arn})
	if err != nil || aws.ToString(got.Policy.Description) != "read the team bucket" || len(got.Policy.Tags) != 1 {
		t.Fatalf("GetPolicy = %+v, %v", got, err)
	}
	v, err := c.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: &arn, VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
	if err != nil || doc != readBucketPolicy || !v.PolicyVersion.IsDefaultVersion {
		t.Fatalf("GetPolicyVersion = %q, %v", doc, err)
	}

	// Versions: up to five, the default cannot be deleted.
	for i := 2; i <= 5; i++ {
		if _, err := c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: aws.String(readBucketPolicy),
			SetAsDefault: i == 3}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: aws.String(readBucketPolicy)})
	var limit *iamtypes.LimitExceededException
	if !errors.As(err, &limit) {
		t.Fatalf("sixth version: %v", err)
	}
	vs, err := c.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: &arn})
	if err != nil || len(vs.Versions) != 5 || aws.ToString(vs.Versions[0].VersionId) != "v5" {
		t.Fatalf("ListPolicyVersions = %+v, %v", vs, err)
	}
	_, err = c.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: aws.String("v3")})
	var conflict *iamtypes.DeleteConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("deleting the default version: %v", err)
	}
	if _, err := c.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: &arn, VersionId: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"v2", "v3", "v4", "v5"} {
		if _, err := c.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: &id}); err != nil {
			t.Fatal(err)
		}
	}

	// Listing: the account's own, and AWS-managed from the catalogue.
	local, err := c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	if err != nil || len(local.Policies) != 1 || local.IsTruncated {
		t.Fatalf("local policies = %+v, %v", local, err)
	}
	awsPage, err := c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(10)})
	if err != nil || len(awsPage.Policies) != 10 || !awsPage.IsTruncated || awsPage.Marker == nil {
		t.Fatalf("AWS policies = %+v, %v", awsPage, err)
	}
	s3, err := c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3FullAccess")})
	if err != nil || aws.ToString(s3.Policy.PolicyName) != "AmazonS3FullAccess" {
		t.Fatalf("AWS-managed GetPolicy = %+v, %v", s3, err)
	}

	// Tags.
	if _, err := c.TagPolicy(ctx, &iamsdk.TagPolicyInput{PolicyArn: &arn, Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagPolicy(ctx, &iamsdk.UntagPolicyInput{PolicyArn: &arn, TagKeys: []string{"owner"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListPolicyTags(ctx, &iamsdk.ListPolicyTagsInput{PolicyArn: &arn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}

	// A permission set referencing the policy provisions with it; one
	// referencing a missing policy fails the way AWS does.
	sso := ssoadmin.NewFromConfig(app.awsConfig())
	inst := app.Instance.ARN
	ps, err := sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst, Name: aws.String("TeamRead")})
	if err != nil {
		t.Fatal(err)
	}
	psArn := aws.ToString(ps.PermissionSet.PermissionSetArn)
	for _, ref := range []types.CustomerManagedPolicyReference{{Name: aws.String("TeamBucketRead"), Path: aws.String("/team/")}, {Name: aws.String("Missing")}} {
		if _, err := sso.AttachCustomerManagedPolicyReferenceToPermissionSet(ctx, &ssoadmin.AttachCustomerManagedPolicyReferenceToPermissionSetInput{
			InstanceArn: &inst, PermissionSetArn: &psArn, CustomerManagedPolicyReference: &ref}); err != nil {
			t.Fatal(err)
		}
	}
	pp, err := sso.ProvisionPermissionSet(ctx, &ssoadmin.ProvisionPermissionSetInput{InstanceArn: &inst, PermissionSetArn: &psArn,
		TargetId: &account, TargetType: types.ProvisionTargetTypeAwsAccount})
	if err != nil {
		t.Fatal(err)
	}
	st := waitProvisioning(t, sso, inst, aws.ToString(pp.PermissionSetProvisioningStatus.RequestId))
	if st.Status != types.StatusValuesFailed || !strings.Contains(aws.ToString(st.FailureReason), "policy/Missing") {
		t.Fatalf("provisioning with a missing policy = %+v", st)
	}
	if _, err := sso.DetachCustomerManagedPolicyReferenceFromPermissionSet(ctx, &ssoadmin.DetachCustomerManagedPolicyReferenceFromPermissionSetInput{
		InstanceArn: &inst, PermissionSetArn: &psArn, CustomerManagedPolicyReference: &types.CustomerManagedPolicyReference{Name: aws.String("Missing")}}); err != nil {
		t.Fatal(err)
	}
	pp, err = sso.ProvisionPermissionSet(ctx, &ssoadmin.ProvisionPermissionSetInput{InstanceArn: &inst, PermissionSetArn: &psArn,
		TargetId: &account, TargetType: types.ProvisionTargetTypeAwsAccount})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitProvisioning(t, sso, inst, aws.ToString(pp.PermissionSetProvisioningStatus.RequestId)); st.Status != types.StatusValuesSucceeded {
		t.Fatalf("provisioning = %+v", st)
	}

	// The role shows in IAM, with the policy attached.
	roles, err := c.ListRoles(ctx, &iamsdk.ListRolesInput{PathPrefix: aws.String("/aws-reserved/")})
	if err != nil || len(roles.Roles) != 1 {
		t.Fatalf("ListRoles = %+v, %v", roles, err)
	}
	r := roles.Roles[0]
	name := aws.ToString(r.RoleName)
	if !strings.HasPrefix(name, "AWSReservedSSO_TeamRead_") || aws.ToString(r.Path) != "/aws-reserved/sso.amazonaws.com/" ||
		!strings.HasPrefix(aws.ToString(r.RoleId), "AROA") || aws.ToString(r.Arn) != "arn:aws:iam::"+account+":role/aws-reserved/sso.amazonaws.com/"+name {
		t.Fatalf("role = %+v", r)
	}
	role, err := c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: &name})
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
	if !strings.Contains(trust, "sts:AssumeRoleWithSAML") {
		t.Fatalf("trust policy = %s", trust)
	}
	attached, err := c.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: &name})
	if err != nil || len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyArn) != arn {
		t.Fatalf("attached = %+v, %v", attached, err)
	}
	got, _ = c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: &arn})
	if aws.ToInt32(got.Policy.AttachmentCount) != 1 {
		t.Fatalf("AttachmentCount = %d", aws.ToInt32(got.Policy.AttachmentCount))
	}
	_, err = c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: &arn})
	if !errors.As(err, &conflict) {
		t.Fatalf("deleting an attached policy: %v", err)
	}

	// Errors.
	_, err = c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("nope")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Fatalf("unknown role: %v", err)
	}
	_, err = c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + account + ":policy/Nope")})
	if !errors.As(err, &nse) {
		t.Fatalf("unknown policy: %v", err)
	}
	_, err = c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{MaxItems: aws.Int32(1001)})
	wantCode(t, err, "ValidationError", "maxItems")
	_, err = c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{Marker: aws.String("forged")})
	wantCode(t, err, "InvalidInput", "Marker")
	_, err = c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("x")})
	wantCode(t, err, "NotImplemented", "CreateGroup")

	// The audit trail names the caller.
	found := false
	for _, ev := range app.auditEvents(t) {
		if ev["eventSource"] == "iam.amazonaws.com" && ev["eventName"] == "CreatePolicy" && ev["errorCode"] == nil {
			ui := ev["userIdentity"].(map[string]any)
			found = ui["arn"] == "arn:aws:iam::"+account+":user/gatehouse-admin"
		}
	}
	if !found {
		t.Fatal("no audit event for CreatePolicy naming the admin")
	}
}
