// Package ssoadmin serves the IAM Identity Center admin API
// (SWBExternalService.*, JSON 1.1): the instance, permission sets and their
// policies, account assignments, provisioning and attributes for access
// control, on top of the access service.
//
// Operations of the model that belong to later capabilities (applications,
// trusted token issuers, application assignments and grants, regions) are
// not registered, so the router answers them with NotImplementedException.
package ssoadmin

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

type api struct {
	acc             *access.Service
	pages           awsapi.Listings
	authz           awsapi.Authorizer
	identityStoreID string
}

// op builds an operation that asks the authorizer for "sso:<action>" on the
// resources the input names before it runs. The resources and condition
// keys of each input follow the Service Authorization Reference for IAM
// Identity Center: most operations need the instance and the permission
// set, assignments and provisioning the account too; listings are
// authorised on the instance, not per item.
func op[In, Out any](a *api, readOnly bool, action string, fn func(context.Context, *In) (*Out, error)) awsapi.Operation {
	return awsapi.Op(readOnly, awsapi.GuardScope(a.authz, "sso:"+action, scopeOf[In], fn))
}

// scoped is implemented by inputs that name the resources they touch or
// carry condition keys; an input without it is authorised on "*".
type scoped interface{ scope() awsapi.Scope }

func scopeOf[In any](_ context.Context, in *In) awsapi.Scope {
	if r, ok := any(in).(scoped); ok {
		return r.scope()
	}
	return awsapi.Scope{}
}

// accountARN is the sso resource ARN of an AWS account ("" for none).
func accountARN(id string) string {
	if id == "" {
		return ""
	}
	return "arn:aws:sso:::account/" + id
}

// resources lists the ARNs that are set, in order.
func resources(arns ...string) []string {
	out := make([]string, 0, len(arns))
	for _, a := range arns {
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Service returns the sso-admin service description for the router.
func Service(acc *access.Service, identityStoreID string, pager *awsapi.Pager, v awsapi.Validator, authz awsapi.Authorizer) *awsapi.JSONService {
	a := &api{acc: acc, pages: awsapi.Listings{Pager: pager, Service: "sso-admin"}, authz: authz, identityStoreID: identityStoreID}
	return &awsapi.JSONService{
		TargetPrefix: "SWBExternalService",
		SigningName:  "sso",
		EventSource:  "sso.amazonaws.com",
		Validator:    v,
		Operations: map[string]awsapi.Operation{
			"ListInstances":    op(a, true, "ListInstances", a.listInstances),
			"DescribeInstance": op(a, true, "DescribeInstance", a.describeInstance),
			"UpdateInstance":   op(a, false, "UpdateInstance", a.updateInstance),

			"CreatePermissionSet":                    op(a, false, "CreatePermissionSet", a.createPermissionSet),
			"DescribePermissionSet":                  op(a, true, "DescribePermissionSet", a.describePermissionSet),
			"UpdatePermissionSet":                    op(a, false, "UpdatePermissionSet", a.updatePermissionSet),
			"DeletePermissionSet":                    op(a, false, "DeletePermissionSet", a.deletePermissionSet),
			"ListPermissionSets":                     op(a, true, "ListPermissionSets", a.listPermissionSets),
			"ListPermissionSetsProvisionedToAccount": op(a, true, "ListPermissionSetsProvisionedToAccount", a.listPermissionSetsProvisionedToAccount),
			"TagResource":                            op(a, false, "TagResource", a.tagResource),
			"UntagResource":                          op(a, false, "UntagResource", a.untagResource),
			"ListTagsForResource":                    op(a, true, "ListTagsForResource", a.listTagsForResource),

			"AttachManagedPolicyToPermissionSet":                    op(a, false, "AttachManagedPolicyToPermissionSet", a.attachManagedPolicy),
			"DetachManagedPolicyFromPermissionSet":                  op(a, false, "DetachManagedPolicyFromPermissionSet", a.detachManagedPolicy),
			"ListManagedPoliciesInPermissionSet":                    op(a, true, "ListManagedPoliciesInPermissionSet", a.listManagedPolicies),
			"AttachCustomerManagedPolicyReferenceToPermissionSet":   op(a, false, "AttachCustomerManagedPolicyReferenceToPermissionSet", a.attachCustomerPolicy),
			"DetachCustomerManagedPolicyReferenceFromPermissionSet": op(a, false, "DetachCustomerManagedPolicyReferenceFromPermissionSet", a.detachCustomerPolicy),
			"ListCustomerManagedPolicyReferencesInPermissionSet":    op(a, true, "ListCustomerManagedPolicyReferencesInPermissionSet", a.listCustomerPolicies),
			"PutInlinePolicyToPermissionSet":                        op(a, false, "PutInlinePolicyToPermissionSet", a.putInlinePolicy),
			"GetInlinePolicyForPermissionSet":                       op(a, true, "GetInlinePolicyForPermissionSet", a.getInlinePolicy),
			"DeleteInlinePolicyFromPermissionSet":                   op(a, false, "DeleteInlinePolicyFromPermissionSet", a.deleteInlinePolicy),
			"PutPermissionsBoundaryToPermissionSet":                 op(a, false, "PutPermissionsBoundaryToPermissionSet", a.putBoundary),
			"GetPermissionsBoundaryForPermissionSet":                op(a, true, "GetPermissionsBoundaryForPermissionSet", a.getBoundary),
			"DeletePermissionsBoundaryFromPermissionSet":            op(a, false, "DeletePermissionsBoundaryFromPermissionSet", a.deleteBoundary),

			"CreateAccountAssignment":                 op(a, false, "CreateAccountAssignment", a.createAccountAssignment),
			"DeleteAccountAssignment":                 op(a, false, "DeleteAccountAssignment", a.deleteAccountAssignment),
			"DescribeAccountAssignmentCreationStatus": op(a, true, "DescribeAccountAssignmentCreationStatus", a.describeCreationStatus),
			"DescribeAccountAssignmentDeletionStatus": op(a, true, "DescribeAccountAssignmentDeletionStatus", a.describeDeletionStatus),
			"ListAccountAssignmentCreationStatus":     op(a, true, "ListAccountAssignmentCreationStatus", a.listCreationStatus),
			"ListAccountAssignmentDeletionStatus":     op(a, true, "ListAccountAssignmentDeletionStatus", a.listDeletionStatus),
			"ListAccountAssignments":                  op(a, true, "ListAccountAssignments", a.listAccountAssignments),
			"ListAccountAssignmentsForPrincipal":      op(a, true, "ListAccountAssignmentsForPrincipal", a.listAccountAssignmentsForPrincipal),
			"ListAccountsForProvisionedPermissionSet": op(a, true, "ListAccountsForProvisionedPermissionSet", a.listAccountsForProvisionedPermissionSet),
			"ProvisionPermissionSet":                  op(a, false, "ProvisionPermissionSet", a.provisionPermissionSet),
			"DescribePermissionSetProvisioningStatus": op(a, true, "DescribePermissionSetProvisioningStatus", a.describeProvisioningStatus),
			"ListPermissionSetProvisioningStatus":     op(a, true, "ListPermissionSetProvisioningStatus", a.listProvisioningStatus),

			"CreateInstanceAccessControlAttributeConfiguration":   op(a, false, "CreateInstanceAccessControlAttributeConfiguration", a.createABAC),
			"DescribeInstanceAccessControlAttributeConfiguration": op(a, true, "DescribeInstanceAccessControlAttributeConfiguration", a.describeABAC),
			"UpdateInstanceAccessControlAttributeConfiguration":   op(a, false, "UpdateInstanceAccessControlAttributeConfiguration", a.updateABAC),
			"DeleteInstanceAccessControlAttributeConfiguration":   op(a, false, "DeleteInstanceAccessControlAttributeConfiguration", a.deleteABAC),
		},
	}
}

// ---- shared wire types ----

type empty struct{}

// Tag is the model's Tag, which every service with tags shares.
type Tag = awsapi.Tag

// psRef is the part of most inputs that names a permission set.
type psRef struct {
	InstanceArn      string `json:"InstanceArn"`
	PermissionSetArn string `json:"PermissionSetArn"`
}

func (r *psRef) scope() awsapi.Scope {
	return awsapi.Scope{Resources: resources(r.InstanceArn, r.PermissionSetArn)}
}

// permissionSet checks the instance and returns the permission set id.
func (a *api) permissionSet(r psRef) (string, error) {
	if err := a.acc.CheckInstance(r.InstanceArn); err != nil {
		return "", err
	}
	return a.acc.PermissionSetID(r.PermissionSetArn)
}

// assignmentPosition encodes and decodes the position of an assignment
// listing; ids never contain "|".
func assignmentPosition(k store.AssignmentKey) string {
	return strings.Join([]string{k.AccountID, k.PermissionSetID, k.PrincipalType, k.PrincipalID}, "|")
}

func parseAssignmentPosition(s string) store.AssignmentKey {
	p := strings.SplitN(s, "|", 4)
	for len(p) < 4 {
		p = append(p, "")
	}
	return store.AssignmentKey{AccountID: p[0], PermissionSetID: p[1], PrincipalType: p[2], PrincipalID: p[3]}
}

func invalid(msg string) error { return fault.Invalidf("%s", msg) }
