package ssoadmin

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ---- account assignments ----

// AccountAssignmentOperationStatus is the model's status object of an
// assignment creation or deletion.
type AccountAssignmentOperationStatus struct {
	Status           string       `json:"Status"`
	RequestID        string       `json:"RequestId"`
	FailureReason    string       `json:"FailureReason,omitempty"`
	TargetID         string       `json:"TargetId,omitempty"`
	TargetType       string       `json:"TargetType,omitempty"`
	PermissionSetArn string       `json:"PermissionSetArn,omitempty"`
	PrincipalType    string       `json:"PrincipalType,omitempty"`
	PrincipalID      string       `json:"PrincipalId,omitempty"`
	CreatedDate      *awsapi.Time `json:"CreatedDate,omitempty"`
}

func (a *api) assignmentStatus(op store.SSOOperation) *AccountAssignmentOperationStatus {
	return &AccountAssignmentOperationStatus{
		Status: op.Status, RequestID: op.RequestID, FailureReason: op.FailureReason, TargetID: op.TargetID,
		TargetType: op.TargetType, PermissionSetArn: a.acc.PermissionSetARN(op.PermissionSetID),
		PrincipalType: op.PrincipalType, PrincipalID: op.PrincipalID, CreatedDate: awsapi.TimePtr(op.CreatedAt),
	}
}

type assignmentIn struct {
	psRef
	TargetID      string `json:"TargetId"`
	TargetType    string `json:"TargetType"`
	PrincipalType string `json:"PrincipalType"`
	PrincipalID   string `json:"PrincipalId"`
}

func (in *assignmentIn) scope() awsapi.Scope {
	return awsapi.Scope{Resources: resources(in.InstanceArn, in.PermissionSetArn, accountARN(in.TargetID))}
}

func (a *api) assignment(in *assignmentIn) (access.Assignment, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return access.Assignment{}, err
	}
	return access.Assignment{AccountID: in.TargetID, PermissionSetID: id, PrincipalType: in.PrincipalType, PrincipalID: in.PrincipalID}, nil
}

type creationStatusOut struct {
	AccountAssignmentCreationStatus *AccountAssignmentOperationStatus `json:"AccountAssignmentCreationStatus"`
}

type deletionStatusOut struct {
	AccountAssignmentDeletionStatus *AccountAssignmentOperationStatus `json:"AccountAssignmentDeletionStatus"`
}

func (a *api) createAccountAssignment(ctx context.Context, in *assignmentIn) (*creationStatusOut, error) {
	as, err := a.assignment(in)
	if err != nil {
		return nil, err
	}
	op, err := a.acc.CreateAccountAssignment(ctx, as)
	if err != nil {
		return nil, err
	}
	return &creationStatusOut{AccountAssignmentCreationStatus: a.assignmentStatus(op)}, nil
}

func (a *api) deleteAccountAssignment(ctx context.Context, in *assignmentIn) (*deletionStatusOut, error) {
	as, err := a.assignment(in)
	if err != nil {
		return nil, err
	}
	op, err := a.acc.DeleteAccountAssignment(ctx, as)
	if err != nil {
		return nil, err
	}
	return &deletionStatusOut{AccountAssignmentDeletionStatus: a.assignmentStatus(op)}, nil
}

type describeStatusIn struct {
	InstanceArn                        string `json:"InstanceArn"`
	AccountAssignmentCreationRequestID string `json:"AccountAssignmentCreationRequestId"`
	AccountAssignmentDeletionRequestID string `json:"AccountAssignmentDeletionRequestId"`
	ProvisionPermissionSetRequestID    string `json:"ProvisionPermissionSetRequestId"`
}

func (in *describeStatusIn) scope() awsapi.Scope {
	return awsapi.Scope{Resources: resources(in.InstanceArn)}
}

func (a *api) describeCreationStatus(ctx context.Context, in *describeStatusIn) (*creationStatusOut, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	op, err := a.acc.Operation(ctx, store.OpCreateAssignment, in.AccountAssignmentCreationRequestID)
	if err != nil {
		return nil, err
	}
	return &creationStatusOut{AccountAssignmentCreationStatus: a.assignmentStatus(op)}, nil
}

func (a *api) describeDeletionStatus(ctx context.Context, in *describeStatusIn) (*deletionStatusOut, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	op, err := a.acc.Operation(ctx, store.OpDeleteAssignment, in.AccountAssignmentDeletionRequestID)
	if err != nil {
		return nil, err
	}
	return &deletionStatusOut{AccountAssignmentDeletionStatus: a.assignmentStatus(op)}, nil
}

type statusFilter struct {
	Status string `json:"Status"`
}

type listStatusIn struct {
	InstanceArn string        `json:"InstanceArn"`
	MaxResults  *int          `json:"MaxResults"`
	NextToken   string        `json:"NextToken"`
	Filter      *statusFilter `json:"Filter"`
}

func (in *listStatusIn) scope() awsapi.Scope {
	return awsapi.Scope{Resources: resources(in.InstanceArn)}
}

// operationStatusMetadata is the model's AccountAssignmentOperationStatusMetadata
// and PermissionSetProvisioningStatusMetadata.
type operationStatusMetadata struct {
	Status      string       `json:"Status"`
	RequestID   string       `json:"RequestId"`
	CreatedDate *awsapi.Time `json:"CreatedDate,omitempty"`
}

func (a *api) listOperations(ctx context.Context, kind string, in *listStatusIn) ([]operationStatusMetadata, string, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, "", err
	}
	status := ""
	if in.Filter != nil {
		status = in.Filter.Status
	}
	return awsapi.ListPage(a.pages, "ListOperations:"+kind+":"+status, in.NextToken, in.MaxResults,
		func(after string, max int) ([]store.SSOOperation, bool, error) {
			return a.acc.ListOperations(ctx, kind, status, after, max)
		},
		func(op store.SSOOperation) string { return op.RequestID },
		func(op store.SSOOperation) (operationStatusMetadata, error) {
			return operationStatusMetadata{Status: op.Status, RequestID: op.RequestID, CreatedDate: awsapi.TimePtr(op.CreatedAt)}, nil
		})
}

type listCreationStatusOut struct {
	AccountAssignmentsCreationStatus []operationStatusMetadata `json:"AccountAssignmentsCreationStatus"`
	NextToken                        string                    `json:"NextToken,omitempty"`
}

func (a *api) listCreationStatus(ctx context.Context, in *listStatusIn) (*listCreationStatusOut, error) {
	ops, next, err := a.listOperations(ctx, store.OpCreateAssignment, in)
	if err != nil {
		return nil, err
	}
	return &listCreationStatusOut{AccountAssignmentsCreationStatus: ops, NextToken: next}, nil
}

type listDeletionStatusOut struct {
	AccountAssignmentsDeletionStatus []operationStatusMetadata `json:"AccountAssignmentsDeletionStatus"`
	NextToken                        string                    `json:"NextToken,omitempty"`
}

func (a *api) listDeletionStatus(ctx context.Context, in *listStatusIn) (*listDeletionStatusOut, error) {
	ops, next, err := a.listOperations(ctx, store.OpDeleteAssignment, in)
	if err != nil {
		return nil, err
	}
	return &listDeletionStatusOut{AccountAssignmentsDeletionStatus: ops, NextToken: next}, nil
}

// accountAssignment is the model's AccountAssignment (and
// AccountAssignmentForPrincipal, which has the same members).
type accountAssignment struct {
	AccountID        string `json:"AccountId"`
	PermissionSetArn string `json:"PermissionSetArn"`
	PrincipalType    string `json:"PrincipalType"`
	PrincipalID      string `json:"PrincipalId"`
}

type listAssignmentsOut struct {
	AccountAssignments []accountAssignment `json:"AccountAssignments"`
	NextToken          string              `json:"NextToken,omitempty"`
}

// assignmentPage is one page of a listing of assignments, which resumes
// after an assignment's key.
func (a *api) assignmentPage(scope, token string, max *int,
	fetch func(after store.AssignmentKey, max int) ([]store.AccountAssignment, bool, error)) (*listAssignmentsOut, error) {
	var out listAssignmentsOut
	var err error
	out.AccountAssignments, out.NextToken, err = awsapi.ListPage(a.pages, scope, token, max,
		func(after string, max int) ([]store.AccountAssignment, bool, error) {
			return fetch(parseAssignmentPosition(after), max)
		},
		func(x store.AccountAssignment) string { return assignmentPosition(x.Key()) },
		func(x store.AccountAssignment) (accountAssignment, error) {
			return accountAssignment{
				AccountID: x.AccountID, PermissionSetArn: a.acc.PermissionSetARN(x.PermissionSetID), PrincipalType: x.PrincipalType, PrincipalID: x.PrincipalID,
			}, nil
		})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type listAssignmentsIn struct {
	psRef
	AccountID  string `json:"AccountId"`
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

func (in *listAssignmentsIn) scope() awsapi.Scope {
	return awsapi.Scope{Resources: resources(in.InstanceArn, in.PermissionSetArn, accountARN(in.AccountID))}
}

func (a *api) listAccountAssignments(ctx context.Context, in *listAssignmentsIn) (*listAssignmentsOut, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	return a.assignmentPage("ListAccountAssignments:"+in.AccountID+":"+id, in.NextToken, in.MaxResults,
		func(after store.AssignmentKey, max int) ([]store.AccountAssignment, bool, error) {
			return a.acc.ListAccountAssignments(ctx, in.AccountID, id, after, max)
		})
}

type assignmentsForPrincipalIn struct {
	InstanceArn   string `json:"InstanceArn"`
	PrincipalID   string `json:"PrincipalId"`
	PrincipalType string `json:"PrincipalType"`
	Filter        *struct {
		AccountID string `json:"AccountId"`
	} `json:"Filter"`
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

func (in *assignmentsForPrincipalIn) scope() awsapi.Scope {
	return awsapi.Scope{Resources: resources(in.InstanceArn)}
}

func (a *api) listAccountAssignmentsForPrincipal(ctx context.Context, in *assignmentsForPrincipalIn) (*listAssignmentsOut, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	account := ""
	if in.Filter != nil {
		account = in.Filter.AccountID
	}
	return a.assignmentPage("ListAccountAssignmentsForPrincipal:"+in.PrincipalType+":"+in.PrincipalID+":"+account, in.NextToken, in.MaxResults,
		func(after store.AssignmentKey, max int) ([]store.AccountAssignment, bool, error) {
			return a.acc.ListAccountAssignmentsForPrincipal(ctx, in.PrincipalType, in.PrincipalID, account, after, max)
		})
}

// ---- provisioning ----

// PermissionSetProvisioningStatus is the model's status object.
type PermissionSetProvisioningStatus struct {
	Status           string       `json:"Status"`
	RequestID        string       `json:"RequestId"`
	AccountID        string       `json:"AccountId,omitempty"`
	PermissionSetArn string       `json:"PermissionSetArn,omitempty"`
	FailureReason    string       `json:"FailureReason,omitempty"`
	CreatedDate      *awsapi.Time `json:"CreatedDate,omitempty"`
}

func (a *api) provisioningStatus(op store.SSOOperation) *PermissionSetProvisioningStatus {
	return &PermissionSetProvisioningStatus{
		Status: op.Status, RequestID: op.RequestID, AccountID: op.TargetID, PermissionSetArn: a.acc.PermissionSetARN(op.PermissionSetID),
		FailureReason: op.FailureReason, CreatedDate: awsapi.TimePtr(op.CreatedAt),
	}
}

type provisionIn struct {
	psRef
	TargetID   string `json:"TargetId"`
	TargetType string `json:"TargetType"`
}

// scope names the target account, or every account ("account/*") when the
// permission set is provisioned to all the accounts it is assigned in.
func (in *provisionIn) scope() awsapi.Scope {
	acct := accountARN(in.TargetID)
	if in.TargetID == "" {
		acct = accountARN("*")
	}
	return awsapi.Scope{Resources: resources(in.InstanceArn, in.PermissionSetArn, acct)}
}

type provisioningStatusOut struct {
	PermissionSetProvisioningStatus *PermissionSetProvisioningStatus `json:"PermissionSetProvisioningStatus"`
}

func (a *api) provisionPermissionSet(ctx context.Context, in *provisionIn) (*provisioningStatusOut, error) {
	id, err := a.permissionSet(in.psRef)
	if err != nil {
		return nil, err
	}
	account := in.TargetID
	switch in.TargetType {
	case access.TargetAccount:
		if account == "" {
			return nil, invalid("TargetId is required when TargetType is AWS_ACCOUNT")
		}
	case access.TargetAllAccounts:
		if account != "" {
			return nil, invalid("TargetId must not be given when TargetType is ALL_PROVISIONED_ACCOUNTS")
		}
	}
	op, err := a.acc.ProvisionPermissionSet(ctx, id, account)
	if err != nil {
		return nil, err
	}
	return &provisioningStatusOut{PermissionSetProvisioningStatus: a.provisioningStatus(op)}, nil
}

func (a *api) describeProvisioningStatus(ctx context.Context, in *describeStatusIn) (*provisioningStatusOut, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	op, err := a.acc.Operation(ctx, store.OpProvision, in.ProvisionPermissionSetRequestID)
	if err != nil {
		return nil, err
	}
	return &provisioningStatusOut{PermissionSetProvisioningStatus: a.provisioningStatus(op)}, nil
}

type listProvisioningStatusOut struct {
	PermissionSetsProvisioningStatus []operationStatusMetadata `json:"PermissionSetsProvisioningStatus"`
	NextToken                        string                    `json:"NextToken,omitempty"`
}

func (a *api) listProvisioningStatus(ctx context.Context, in *listStatusIn) (*listProvisioningStatusOut, error) {
	ops, next, err := a.listOperations(ctx, store.OpProvision, in)
	if err != nil {
		return nil, err
	}
	return &listProvisioningStatusOut{PermissionSetsProvisioningStatus: ops, NextToken: next}, nil
}

// ---- attributes for access control ----

type accessControlAttributeValue struct {
	Source []string `json:"Source"`
}

type accessControlAttribute struct {
	Key   string                      `json:"Key"`
	Value accessControlAttributeValue `json:"Value"`
}

type attributeConfiguration struct {
	AccessControlAttributes []accessControlAttribute `json:"AccessControlAttributes"`
}

type abacIn struct {
	InstanceArn                                 string                 `json:"InstanceArn"`
	InstanceAccessControlAttributeConfiguration attributeConfiguration `json:"InstanceAccessControlAttributeConfiguration"`
}

func (in *abacIn) scope() awsapi.Scope { return awsapi.Scope{Resources: resources(in.InstanceArn)} }

func attributesIn(c attributeConfiguration) []access.Attribute {
	out := make([]access.Attribute, len(c.AccessControlAttributes))
	for i, a := range c.AccessControlAttributes {
		out[i] = access.Attribute{Key: a.Key, Sources: a.Value.Source}
	}
	return out
}

func (a *api) createABAC(ctx context.Context, in *abacIn) (*empty, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	return &empty{}, a.acc.CreateAttributeConfig(ctx, attributesIn(in.InstanceAccessControlAttributeConfiguration))
}

func (a *api) updateABAC(ctx context.Context, in *abacIn) (*empty, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	return &empty{}, a.acc.UpdateAttributeConfig(ctx, attributesIn(in.InstanceAccessControlAttributeConfiguration))
}

func (a *api) deleteABAC(ctx context.Context, in *abacIn) (*empty, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	return &empty{}, a.acc.DeleteAttributeConfig(ctx)
}

type describeABACOut struct {
	Status                                      string                 `json:"Status"`
	StatusReason                                string                 `json:"StatusReason,omitempty"`
	InstanceAccessControlAttributeConfiguration attributeConfiguration `json:"InstanceAccessControlAttributeConfiguration"`
}

func (a *api) describeABAC(ctx context.Context, in *abacIn) (*describeABACOut, error) {
	if err := a.acc.CheckInstance(in.InstanceArn); err != nil {
		return nil, err
	}
	c, err := a.acc.DescribeAttributeConfig(ctx)
	if err != nil {
		return nil, err
	}
	out := &describeABACOut{Status: c.Status, InstanceAccessControlAttributeConfiguration: attributeConfiguration{
		AccessControlAttributes: make([]accessControlAttribute, len(c.Attributes)),
	}}
	for i, attr := range c.Attributes {
		out.InstanceAccessControlAttributeConfiguration.AccessControlAttributes[i] = accessControlAttribute{
			Key: attr.Key, Value: accessControlAttributeValue{Source: attr.Sources},
		}
	}
	return out, nil
}
