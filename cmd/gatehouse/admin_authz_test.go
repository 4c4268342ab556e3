package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idtypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"

	"github.com/gatehouse/gatehouse/internal/awsapi/awsmodel"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// adminRule is the authorization entry of one operation: a valid input and
// the IAM action and resources (in order) the call must be authorised on.
// Placeholders in braces are filled from the running instance.
type adminRule struct {
	input     string
	action    string
	resources []string
}

// adminRules lists, per service, every operation Gatehouse serves. Each
// entry is the Service Authorization Reference's action and resources for
// the operation (docs/delegated-admin.md has the same table).
// TestEveryAdminOperationIsAuthorized calls every operation of each
// service's model: an operation that is served must be in this table and
// must be refused to an administrator without policies, with these
// decisions in its audit event; an operation that is not served must
// answer NotImplemented. A new operation cannot be added unguarded.
var adminRules = map[string]map[string]adminRule{
	"sso-admin": {
		"ListInstances":    {`{}`, "sso:ListInstances", []string{"*"}},
		"DescribeInstance": {`{"InstanceArn":"{instance}"}`, "sso:DescribeInstance", []string{"{instance}"}},
		"UpdateInstance":   {`{"InstanceArn":"{instance}","Name":"renamed"}`, "sso:UpdateInstance", []string{"{instance}"}},
		"CreatePermissionSet": {`{"InstanceArn":"{instance}","Name":"New","Tags":[{"Key":"team","Value":"platform"}]}`,
			"sso:CreatePermissionSet", []string{"{instance}", "arn:aws:sso:::permissionSet/{instanceId}/*"}},
		"DescribePermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}"}`, "sso:DescribePermissionSet", []string{"{instance}", "{ps}"}},
		"UpdatePermissionSet":   {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}","SessionDuration":"PT2H"}`, "sso:UpdatePermissionSet", []string{"{instance}", "{ps}"}},
		"DeletePermissionSet":   {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}"}`, "sso:DeletePermissionSet", []string{"{instance}", "{ps}"}},
		"ListPermissionSets":    {`{"InstanceArn":"{instance}"}`, "sso:ListPermissionSets", []string{"{instance}"}},
		"ListPermissionSetsProvisionedToAccount": {`{"InstanceArn":"{instance}","AccountId":"{account}"}`,
			"sso:ListPermissionSetsProvisionedToAccount", []string{"{instance}", "arn:aws:sso:::account/{account}"}},
		"TagResource": {`{"InstanceArn":"{instance}","ResourceArn":"{ps}","Tags":[{"Key":"team","Value":"data"}]}`,
			"sso:TagResource", []string{"{ps}"}},
		"UntagResource":       {`{"InstanceArn":"{instance}","ResourceArn":"{ps}","TagKeys":["team"]}`, "sso:UntagResource", []string{"{ps}"}},
		"ListTagsForResource": {`{"InstanceArn":"{instance}","ResourceArn":"{ps}"}`, "sso:ListTagsForResource", []string{"{ps}"}},
		"AttachManagedPolicyToPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}","ManagedPolicyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`,
			"sso:AttachManagedPolicyToPermissionSet", []string{"{instance}", "{ps}"}},
		"DetachManagedPolicyFromPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}","ManagedPolicyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`,
			"sso:DetachManagedPolicyFromPermissionSet", []string{"{instance}", "{ps}"}},
		"ListManagedPoliciesInPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}"}`,
			"sso:ListManagedPoliciesInPermissionSet", []string{"{instance}", "{ps}"}},
		"AttachCustomerManagedPolicyReferenceToPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}","CustomerManagedPolicyReference":{"Name":"Team"}}`,
			"sso:AttachCustomerManagedPolicyReferenceToPermissionSet", []string{"{instance}", "{ps}"}},
		"DetachCustomerManagedPolicyReferenceFromPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}","CustomerManagedPolicyReference":{"Name":"Team"}}`,
			"sso:DetachCustomerManagedPolicyReferenceFromPermissionSet", []string{"{instance}", "{ps}"}},
		"ListCustomerManagedPolicyReferencesInPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}"}`,
			"sso:ListCustomerManagedPolicyReferencesInPermissionSet", []string{"{instance}", "{ps}"}},
		"PutInlinePolicyToPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}","InlinePolicy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"}`,
			"sso:PutInlinePolicyToPermissionSet", []string{"{instance}", "{ps}"}},
		"GetInlinePolicyForPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}"}`,
			"sso:GetInlinePolicyForPermissionSet", []string{"{instance}", "{ps}"}},
		"DeleteInlinePolicyFromPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}"}`,
			"sso:DeleteInlinePolicyFromPermissionSet", []string{"{instance}", "{ps}"}},
		"PutPermissionsBoundaryToPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}","PermissionsBoundary":{"ManagedPolicyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}`,
			"sso:PutPermissionsBoundaryToPermissionSet", []string{"{instance}", "{ps}"}},
		"GetPermissionsBoundaryForPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}"}`,
			"sso:GetPermissionsBoundaryForPermissionSet", []string{"{instance}", "{ps}"}},
		"DeletePermissionsBoundaryFromPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}"}`,
			"sso:DeletePermissionsBoundaryFromPermissionSet", []string{"{instance}", "{ps}"}},
		"CreateAccountAssignment": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}","TargetId":"{account}","TargetType":"AWS_ACCOUNT","PrincipalType":"USER","PrincipalId":"{user}"}`,
			"sso:CreateAccountAssignment", []string{"{instance}", "{ps}", "arn:aws:sso:::account/{account}"}},
		"DeleteAccountAssignment": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}","TargetId":"{account}","TargetType":"AWS_ACCOUNT","PrincipalType":"USER","PrincipalId":"{user}"}`,
			"sso:DeleteAccountAssignment", []string{"{instance}", "{ps}", "arn:aws:sso:::account/{account}"}},
		"DescribeAccountAssignmentCreationStatus": {`{"InstanceArn":"{instance}","AccountAssignmentCreationRequestId":"0a2b3c4d-0000-4000-8000-000000000000"}`,
			"sso:DescribeAccountAssignmentCreationStatus", []string{"{instance}"}},
		"DescribeAccountAssignmentDeletionStatus": {`{"InstanceArn":"{instance}","AccountAssignmentDeletionRequestId":"0a2b3c4d-0000-4000-8000-000000000000"}`,
			"sso:DescribeAccountAssignmentDeletionStatus", []string{"{instance}"}},
		"ListAccountAssignmentCreationStatus": {`{"InstanceArn":"{instance}"}`, "sso:ListAccountAssignmentCreationStatus", []string{"{instance}"}},
		"ListAccountAssignmentDeletionStatus": {`{"InstanceArn":"{instance}"}`, "sso:ListAccountAssignmentDeletionStatus", []string{"{instance}"}},
		"ListAccountAssignments": {`{"InstanceArn":"{instance}","AccountId":"{account}","PermissionSetArn":"{ps}"}`,
			"sso:ListAccountAssignments", []string{"{instance}", "{ps}", "arn:aws:sso:::account/{account}"}},
		"ListAccountAssignmentsForPrincipal": {`{"InstanceArn":"{instance}","PrincipalId":"{user}","PrincipalType":"USER"}`,
			"sso:ListAccountAssignmentsForPrincipal", []string{"{instance}"}},
		"ListAccountsForProvisionedPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}"}`,
			"sso:ListAccountsForProvisionedPermissionSet", []string{"{instance}", "{ps}"}},
		"ProvisionPermissionSet": {`{"InstanceArn":"{instance}","PermissionSetArn":"{ps}","TargetType":"AWS_ACCOUNT","TargetId":"{account}"}`,
			"sso:ProvisionPermissionSet", []string{"{instance}", "{ps}", "arn:aws:sso:::account/{account}"}},
		"DescribePermissionSetProvisioningStatus": {`{"InstanceArn":"{instance}","ProvisionPermissionSetRequestId":"0a2b3c4d-0000-4000-8000-000000000000"}`,
			"sso:DescribePermissionSetProvisioningStatus", []string{"{instance}"}},
		"ListPermissionSetProvisioningStatus": {`{"InstanceArn":"{instance}"}`, "sso:ListPermissionSetProvisioningStatus", []string{"{instance}"}},
		"CreateInstanceAccessControlAttributeConfiguration": {`{"InstanceArn":"{instance}","InstanceAccessControlAttributeConfiguration":{"AccessControlAttributes":[{"Key":"team","Value":{"Source":["${path:enterprise.department}"]}}]}}`,
			"sso:CreateInstanceAccessControlAttributeConfiguration", []string{"{instance}"}},
		"UpdateInstanceAccessControlAttributeConfiguration": {`{"InstanceArn":"{instance}","InstanceAccessControlAttributeConfiguration":{"AccessControlAttributes":[{"Key":"team","Value":{"Source":["${path:enterprise.department}"]}}]}}`,
			"sso:UpdateInstanceAccessControlAttributeConfiguration", []string{"{instance}"}},
		"DescribeInstanceAccessControlAttributeConfiguration": {`{"InstanceArn":"{instance}"}`,
			"sso:DescribeInstanceAccessControlAttributeConfiguration", []string{"{instance}"}},
		"DeleteInstanceAccessControlAttributeConfiguration": {`{"InstanceArn":"{instance}"}`,
			"sso:DeleteInstanceAccessControlAttributeConfiguration", []string{"{instance}"}},
	},
	"identitystore": {
		"CreateUser": {`{"IdentityStoreId":"{store}","UserName":"carol","DisplayName":"Carol","Name":{"GivenName":"C","FamilyName":"D"}}`,
			"identitystore:CreateUser", []string{"{storeArn}"}},
		"DescribeUser": {`{"IdentityStoreId":"{store}","UserId":"{user}"}`, "identitystore:DescribeUser", []string{"{storeArn}", "arn:aws:identitystore:::user/{user}"}},
		"UpdateUser": {`{"IdentityStoreId":"{store}","UserId":"{user}","Operations":[{"AttributePath":"displayName","AttributeValue":"Bob"}]}`,
			"identitystore:UpdateUser", []string{"{storeArn}", "arn:aws:identitystore:::user/{user}"}},
		"DeleteUser": {`{"IdentityStoreId":"{store}","UserId":"{user}"}`, "identitystore:DeleteUser", []string{"{storeArn}", "arn:aws:identitystore:::user/{user}"}},
		"ListUsers":  {`{"IdentityStoreId":"{store}"}`, "identitystore:ListUsers", []string{"{storeArn}", "arn:aws:identitystore:::user/*"}},
		"GetUserId": {`{"IdentityStoreId":"{store}","AlternateIdentifier":{"UniqueAttribute":{"AttributePath":"userName","AttributeValue":"bob"}}}`,
			"identitystore:GetUserId", []string{"{storeArn}", "arn:aws:identitystore:::user/*"}},
		"CreateGroup":   {`{"IdentityStoreId":"{store}","DisplayName":"Ops"}`, "identitystore:CreateGroup", []string{"{storeArn}"}},
		"DescribeGroup": {`{"IdentityStoreId":"{store}","GroupId":"{group}"}`, "identitystore:DescribeGroup", []string{"{storeArn}", "arn:aws:identitystore:::group/{group}"}},
		"UpdateGroup": {`{"IdentityStoreId":"{store}","GroupId":"{group}","Operations":[{"AttributePath":"description","AttributeValue":"d"}]}`,
			"identitystore:UpdateGroup", []string{"{storeArn}", "arn:aws:identitystore:::group/{group}"}},
		"DeleteGroup": {`{"IdentityStoreId":"{store}","GroupId":"{group}"}`, "identitystore:DeleteGroup", []string{"{storeArn}", "arn:aws:identitystore:::group/{group}"}},
		"ListGroups":  {`{"IdentityStoreId":"{store}"}`, "identitystore:ListGroups", []string{"{storeArn}", "arn:aws:identitystore:::group/*"}},
		"GetGroupId": {`{"IdentityStoreId":"{store}","AlternateIdentifier":{"UniqueAttribute":{"AttributePath":"displayName","AttributeValue":"Developers"}}}`,
			"identitystore:GetGroupId", []string{"{storeArn}", "arn:aws:identitystore:::group/*"}},
		"CreateGroupMembership": {`{"IdentityStoreId":"{store}","GroupId":"{group}","MemberId":{"UserId":"{user}"}}`,
			"identitystore:CreateGroupMembership", []string{"{storeArn}", "arn:aws:identitystore:::group/{group}", "arn:aws:identitystore:::user/{user}"}},
		"DeleteGroupMembership": {`{"IdentityStoreId":"{store}","MembershipId":"{membership}"}`, "identitystore:DeleteGroupMembership",
			[]string{"{storeArn}", "arn:aws:identitystore:::membership/{membership}", "arn:aws:identitystore:::group/{group}", "arn:aws:identitystore:::user/{user}"}},
		"DescribeGroupMembership": {`{"IdentityStoreId":"{store}","MembershipId":"{membership}"}`, "identitystore:DescribeGroupMembership",
			[]string{"{storeArn}", "arn:aws:identitystore:::membership/{membership}", "arn:aws:identitystore:::group/{group}", "arn:aws:identitystore:::user/{user}"}},
		"GetGroupMembershipId": {`{"IdentityStoreId":"{store}","GroupId":"{group}","MemberId":{"UserId":"{user}"}}`, "identitystore:GetGroupMembershipId",
			[]string{"{storeArn}", "arn:aws:identitystore:::group/{group}", "arn:aws:identitystore:::membership/*", "arn:aws:identitystore:::user/{user}"}},
		"ListGroupMemberships": {`{"IdentityStoreId":"{store}","GroupId":"{group}"}`, "identitystore:ListGroupMemberships",
			[]string{"{storeArn}", "arn:aws:identitystore:::membership/*", "arn:aws:identitystore:::group/{group}"}},
		"ListGroupMembershipsForMember": {`{"IdentityStoreId":"{store}","MemberId":{"UserId":"{user}"}}`, "identitystore:ListGroupMembershipsForMember",
			[]string{"{storeArn}", "arn:aws:identitystore:::membership/*", "arn:aws:identitystore:::user/{user}"}},
		"IsMemberInGroups": {`{"IdentityStoreId":"{store}","MemberId":{"UserId":"{user}"},"GroupIds":["{group}"]}`, "identitystore:IsMemberInGroups",
			[]string{"{storeArn}", "arn:aws:identitystore:::membership/*", "arn:aws:identitystore:::user/{user}", "arn:aws:identitystore:::group/{group}"}},
	},
	"organizations": {
		"DescribeOrganization":        {`{}`, "organizations:DescribeOrganization", []string{"*"}},
		"ListRoots":                   {`{}`, "organizations:ListRoots", []string{"*"}},
		"CreateAccount":               {`{"Email":"new@example.com","AccountName":"New","Tags":[{"Key":"team","Value":"platform"}]}`, "organizations:CreateAccount", []string{"*"}},
		"DescribeCreateAccountStatus": {`{"CreateAccountRequestId":"car-0123456789abcdef0123456789abcdef"}`, "organizations:DescribeCreateAccountStatus", []string{"*"}},
		"ListCreateAccountStatus":     {`{}`, "organizations:ListCreateAccountStatus", []string{"*"}},
		"DescribeAccount":             {`{"AccountId":"{account}"}`, "organizations:DescribeAccount", []string{"{orgPrefix}:account/{org}/{account}"}},
		"ListAccounts":                {`{}`, "organizations:ListAccounts", []string{"*"}},
		"ListAccountsForParent":       {`{"ParentId":"{root}"}`, "organizations:ListAccountsForParent", []string{"{orgPrefix}:root/{org}/{root}"}},
		"CreateOrganizationalUnit":    {`{"ParentId":"{root}","Name":"Sandbox"}`, "organizations:CreateOrganizationalUnit", []string{"{orgPrefix}:root/{org}/{root}"}},
		"DescribeOrganizationalUnit":  {`{"OrganizationalUnitId":"ou-abcd-12345678"}`, "organizations:DescribeOrganizationalUnit", []string{"{orgPrefix}:ou/{org}/ou-abcd-12345678"}},
		"ListOrganizationalUnitsForParent": {`{"ParentId":"{root}"}`, "organizations:ListOrganizationalUnitsForParent",
			[]string{"{orgPrefix}:root/{org}/{root}"}},
		"ListChildren": {`{"ParentId":"{root}","ChildType":"ACCOUNT"}`, "organizations:ListChildren", []string{"{orgPrefix}:root/{org}/{root}"}},
		"ListParents":  {`{"ChildId":"{account}"}`, "organizations:ListParents", []string{"{orgPrefix}:account/{org}/{account}"}},
		"MoveAccount": {`{"AccountId":"{account}","SourceParentId":"{root}","DestinationParentId":"ou-abcd-12345678"}`, "organizations:MoveAccount",
			[]string{"{orgPrefix}:account/{org}/{account}", "{orgPrefix}:root/{org}/{root}", "{orgPrefix}:ou/{org}/ou-abcd-12345678"}},
		"TagResource":         {`{"ResourceId":"{account}","Tags":[{"Key":"team","Value":"platform"}]}`, "organizations:TagResource", []string{"{orgPrefix}:account/{org}/{account}"}},
		"UntagResource":       {`{"ResourceId":"{account}","TagKeys":["team"]}`, "organizations:UntagResource", []string{"{orgPrefix}:account/{org}/{account}"}},
		"ListTagsForResource": {`{"ResourceId":"{account}"}`, "organizations:ListTagsForResource", []string{"{orgPrefix}:account/{org}/{account}"}},
	},
	"iam": {
		"CreatePolicy":             {"PolicyName=Team&PolicyDocument={doc}", "iam:CreatePolicy", []string{"{iam}:policy/Team"}},
		"GetPolicy":                {"PolicyArn={iam}:policy/Team", "iam:GetPolicy", []string{"{iam}:policy/Team"}},
		"DeletePolicy":             {"PolicyArn={iam}:policy/Team", "iam:DeletePolicy", []string{"{iam}:policy/Team"}},
		"ListPolicies":             {"", "iam:ListPolicies", []string{"*"}},
		"CreatePolicyVersion":      {"PolicyArn={iam}:policy/Team&PolicyDocument={doc}", "iam:CreatePolicyVersion", []string{"{iam}:policy/Team"}},
		"GetPolicyVersion":         {"PolicyArn={iam}:policy/Team&VersionId=v1", "iam:GetPolicyVersion", []string{"{iam}:policy/Team"}},
		"DeletePolicyVersion":      {"PolicyArn={iam}:policy/Team&VersionId=v1", "iam:DeletePolicyVersion", []string{"{iam}:policy/Team"}},
		"ListPolicyVersions":       {"PolicyArn={iam}:policy/Team", "iam:ListPolicyVersions", []string{"{iam}:policy/Team"}},
		"SetDefaultPolicyVersion":  {"PolicyArn={iam}:policy/Team&VersionId=v1", "iam:SetDefaultPolicyVersion", []string{"{iam}:policy/Team"}},
		"TagPolicy":                {"PolicyArn={iam}:policy/Team&Tags.member.1.Key=team&Tags.member.1.Value=x", "iam:TagPolicy", []string{"{iam}:policy/Team"}},
		"UntagPolicy":              {"PolicyArn={iam}:policy/Team&TagKeys.member.1=team", "iam:UntagPolicy", []string{"{iam}:policy/Team"}},
		"ListPolicyTags":           {"PolicyArn={iam}:policy/Team", "iam:ListPolicyTags", []string{"{iam}:policy/Team"}},
		"GetRole":                  {"RoleName=AWSReservedSSO_X_0123456789abcdef", "iam:GetRole", []string{"{iam}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X_0123456789abcdef"}},
		"ListRoles":                {"", "iam:ListRoles", []string{"*"}},
		"ListRolePolicies":         {"RoleName=R", "iam:ListRolePolicies", []string{"{iam}:role/aws-reserved/sso.amazonaws.com/R"}},
		"GetRolePolicy":            {"RoleName=R&PolicyName=AwsSSOInlinePolicy", "iam:GetRolePolicy", []string{"{iam}:role/aws-reserved/sso.amazonaws.com/R"}},
		"ListAttachedRolePolicies": {"RoleName=R", "iam:ListAttachedRolePolicies", []string{"{iam}:role/aws-reserved/sso.amazonaws.com/R"}},
		"CreateUser":               {"UserName=someone&Path=/ops/", "iam:CreateUser", []string{"{iam}:user/ops/someone"}},
		"GetUser":                  {"UserName=someone", "iam:GetUser", []string{"{iam}:user/someone"}},
		"ListUsers":                {"", "iam:ListUsers", []string{"*"}},
		"DeleteUser":               {"UserName=someone", "iam:DeleteUser", []string{"{iam}:user/someone"}},
		"TagUser":                  {"UserName=someone&Tags.member.1.Key=team&Tags.member.1.Value=x", "iam:TagUser", []string{"{iam}:user/someone"}},
		"UntagUser":                {"UserName=someone&TagKeys.member.1=team", "iam:UntagUser", []string{"{iam}:user/someone"}},
		"ListUserTags":             {"UserName=someone", "iam:ListUserTags", []string{"{iam}:user/someone"}},
		"PutUserPolicy":            {"UserName=someone&PolicyName=p&PolicyDocument={doc}", "iam:PutUserPolicy", []string{"{iam}:user/someone"}},
		"GetUserPolicy":            {"UserName=someone&PolicyName=p", "iam:GetUserPolicy", []string{"{iam}:user/someone"}},
		"DeleteUserPolicy":         {"UserName=someone&PolicyName=p", "iam:DeleteUserPolicy", []string{"{iam}:user/someone"}},
		"ListUserPolicies":         {"UserName=someone", "iam:ListUserPolicies", []string{"{iam}:user/someone"}},
		"AttachUserPolicy": {"UserName=someone&PolicyArn=arn:aws:iam::aws:policy/ReadOnlyAccess", "iam:AttachUserPolicy",
			[]string{"{iam}:user/someone"}},
		"DetachUserPolicy": {"UserName=someone&PolicyArn=arn:aws:iam::aws:policy/ReadOnlyAccess", "iam:DetachUserPolicy",
			[]string{"{iam}:user/someone"}},
		"ListAttachedUserPolicies": {"UserName=someone", "iam:ListAttachedUserPolicies", []string{"{iam}:user/someone"}},
		"PutUserPermissionsBoundary": {"UserName=someone&PermissionsBoundary=arn:aws:iam::aws:policy/ReadOnlyAccess", "iam:PutUserPermissionsBoundary",
			[]string{"{iam}:user/someone"}},
		"DeleteUserPermissionsBoundary": {"UserName=someone", "iam:DeleteUserPermissionsBoundary", []string{"{iam}:user/someone"}},
		"CreateAccessKey":               {"UserName=someone", "iam:CreateAccessKey", []string{"{iam}:user/someone"}},
		"ListAccessKeys":                {"UserName=someone", "iam:ListAccessKeys", []string{"{iam}:user/someone"}},
		"UpdateAccessKey":               {"UserName=someone&AccessKeyId=AKIAAAAAAAAAAAAAAAAA&Status=Inactive", "iam:UpdateAccessKey", []string{"{iam}:user/someone"}},
		"DeleteAccessKey":               {"UserName=someone&AccessKeyId=AKIAAAAAAAAAAAAAAAAA", "iam:DeleteAccessKey", []string{"{iam}:user/someone"}},
		"SimulateCustomPolicy":          {"PolicyInputList.member.1={doc}&ActionNames.member.1=s3:GetObject", "iam:SimulateCustomPolicy", []string{"*"}},
		"SimulatePrincipalPolicy": {"PolicySourceArn={iam}:user/someone&ActionNames.member.1=s3:GetObject", "iam:SimulatePrincipalPolicy",
			[]string{"{iam}:user/someone"}},
	},
}

// adminTarget is how a service is called: its JSON target prefix, or
// Query for IAM.
var adminTarget = map[string]string{
	"sso-admin": "SWBExternalService", "identitystore": "AWSIdentityStore", "organizations": "AWSOrganizationsV20161128", "iam": "",
}

// signingName is the SigV4 service of each API.
var signingName = map[string]string{"sso-admin": "sso", "identitystore": "identitystore", "organizations": "organizations", "iam": "iam"}

// adminCall sends one signed call and returns the HTTP status, the error
// code ("" on success) and the request id.
func adminCall(t *testing.T, app *testApp, keyID, secret, service, op, input string) (int, string, string) {
	t.Helper()
	var (
		body []byte
		req  *http.Request
		err  error
	)
	if target := adminTarget[service]; target != "" {
		body = []byte(input)
		req, err = http.NewRequest(http.MethodPost, app.URL+"/", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target+"."+op)
	} else {
		form := "Action=" + op + "&Version=2010-05-08"
		if input != "" {
			// Values are URL-escaped here so the table stays readable.
			for _, kv := range strings.Split(input, "&") {
				k, v, _ := strings.Cut(kv, "=")
				form += "&" + k + "=" + url.QueryEscape(v)
			}
		}
		body = []byte(form)
		req, err = http.NewRequest(http.MethodPost, app.URL+"/", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	sum := sha256.Sum256(body)
	if err := (sigv4.Signer{}).Sign(req, hex.EncodeToString(sum[:]), sigv4.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		"us-east-1", signingName[service], time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	reqID := resp.Header.Get("x-amzn-RequestId")
	if resp.StatusCode < 300 {
		return resp.StatusCode, "", reqID
	}
	if adminTarget[service] != "" {
		var e struct {
			Type string `json:"__type"`
		}
		_ = json.Unmarshal(out, &e)
		return resp.StatusCode, e.Type, reqID
	}
	var e struct {
		Error struct {
			Code string `xml:"Code"`
		} `xml:"Error"`
	}
	_ = xml.Unmarshal(out, &e)
	return resp.StatusCode, e.Error.Code, reqID
}

// delegatedAdmin creates an IAM user with the bootstrap key and returns an
// access key of it; policy, if not empty, is its inline policy "admin".
func delegatedAdmin(t *testing.T, app *testApp, name, policy string) (string, string) {
	t.Helper()
	ctx := context.Background()
	c := iamsdk.NewFromConfig(app.awsConfig())
	if _, err := c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if policy != "" {
		if _, err := c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("admin"),
			PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
}

func TestEveryAdminOperationIsAuthorized(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	cfg := app.awsConfig()
	inst, acct := app.Instance.ARN, app.Instance.OwnerAccountID

	// Real resources, so that inputs are valid and resources resolve.
	ps, err := ssoadmin.NewFromConfig(cfg).CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst, Name: aws.String("Platform")})
	if err != nil {
		t.Fatal(err)
	}
	ids := identitystore.NewFromConfig(cfg)
	storeID := app.Instance.IdentityStoreID
	u, err := ids.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: &storeID, UserName: aws.String("bob"), DisplayName: aws.String("Bob"),
		Name: &idtypes.Name{GivenName: aws.String("Bob"), FamilyName: aws.String("B")}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: &storeID, DisplayName: aws.String("Developers")})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ids.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: &storeID, GroupId: g.GroupId,
		MemberId: &idtypes.MemberIdMemberUserId{Value: aws.ToString(u.UserId)}})
	if err != nil {
		t.Fatal(err)
	}
	orgs := organizations.NewFromConfig(cfg)
	o, err := orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	roots, err := orgs.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	fill := strings.NewReplacer("{instance}", inst, "{instanceId}", app.Instance.InstanceID, "{ps}", aws.ToString(ps.PermissionSet.PermissionSetArn),
		"{account}", acct, "{store}", storeID, "{storeArn}", "arn:aws:identitystore::"+acct+":identitystore/"+storeID,
		"{user}", aws.ToString(u.UserId), "{group}", aws.ToString(g.GroupId), "{membership}", aws.ToString(m.MembershipId),
		"{orgPrefix}", "arn:aws:organizations::"+acct, "{org}", aws.ToString(o.Organization.Id), "{root}", aws.ToString(roots.Roots[0].Id),
		"{iam}", "arn:aws:iam::"+acct, "{doc}", doc).Replace

	// An administrator without any policy: every call is refused.
	keyID, secret := delegatedAdmin(t, app, "nobody", "")
	type call struct{ service, op, reqID string }
	var denied []call
	for _, service := range []string{"sso-admin", "identitystore", "organizations", "iam"} {
		model, err := awsmodel.Load(service)
		if err != nil {
			t.Fatal(err)
		}
		served := 0
		for _, mop := range model.Operations() {
			rule, listed := adminRules[service][mop.Name]
			input := "{}"
			if adminTarget[service] == "" {
				input = ""
			}
			if listed {
				input = fill(rule.input)
			}
			status, code, reqID := adminCall(t, app, keyID, secret, service, mop.Name, input)
			if strings.HasPrefix(code, "NotImplemented") {
				if listed {
					t.Errorf("%s %s has an authorization entry but is not served", service, mop.Name)
				}
				continue
			}
			served++
			if !listed {
				t.Errorf("%s %s is served (answered %d %s) but has no authorization entry", service, mop.Name, status, code)
				continue
			}
			if code != "AccessDeniedException" && code != "AccessDenied" {
				t.Errorf("%s %s as an administrator without policies: %d %s, want AccessDenied", service, mop.Name, status, code)
				continue
			}
			denied = append(denied, call{service, mop.Name, reqID})
		}
		if served != len(adminRules[service]) {
			t.Errorf("%s: %d operations served, %d in the table", service, served, len(adminRules[service]))
		}
	}

	// Each denial is audited with a decision per resource, naming the
	// action and the resource of the table.
	events := map[string]map[string]any{}
	for _, ev := range app.auditEvents(t) {
		if id, _ := ev["requestID"].(string); id != "" {
			events[id] = ev
		}
	}
	for _, c := range denied {
		rule := adminRules[c.service][c.op]
		ev := events[c.reqID]
		if ev == nil {
			t.Errorf("%s %s: no audit event for request %s", c.service, c.op, c.reqID)
			continue
		}
		data, _ := ev["additionalEventData"].(map[string]any)
		decisions, _ := data["authorization"].([]any)
		var gotActions, gotResources []string
		for _, d := range decisions {
			d := d.(map[string]any)
			gotActions = append(gotActions, d["action"].(string))
			gotResources = append(gotResources, d["resource"].(string))
			if d["decision"] != "ImplicitDeny" {
				t.Errorf("%s %s: decision %v", c.service, c.op, d)
			}
		}
		want := make([]string, len(rule.resources))
		for i, r := range rule.resources {
			want[i] = fill(r)
		}
		if !slices.Equal(gotResources, want) || len(gotActions) == 0 || slices.ContainsFunc(gotActions, func(a string) bool { return a != rule.action }) {
			t.Errorf("%s %s: audited %v on %v, want %s on %v", c.service, c.op, gotActions, gotResources, rule.action, want)
		}
		if ev["errorCode"] != "AccessDeniedException" && ev["errorCode"] != "AccessDenied" {
			t.Errorf("%s %s: audit errorCode %v", c.service, c.op, ev["errorCode"])
		}
	}
}
