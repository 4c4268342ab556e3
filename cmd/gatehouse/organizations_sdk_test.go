package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	orgs "github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// waitAccount polls DescribeCreateAccountStatus until the request leaves
// IN_PROGRESS, as a client of the real API must.
func waitAccount(t *testing.T, c *orgs.Client, id string) *types.CreateAccountStatus {
	t.Helper()
	for range 500 {
		out, err := c.DescribeCreateAccountStatus(context.Background(), &orgs.DescribeCreateAccountStatusInput{CreateAccountRequestId: &id})
		if err != nil {
			t.Fatal(err)
		}
		if out.CreateAccountStatus.State != types.CreateAccountStateInProgress {
			return out.CreateAccountStatus
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("create account request %s still in progress", id)
	return nil
}

// createAccount creates a member account and waits for it.
func createAccount(t *testing.T, c *orgs.Client, name, email string) string {
	t.Helper()
	out, err := c.CreateAccount(context.Background(), &orgs.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(email)})
	if err != nil {
		t.Fatal(err)
	}
	st := waitAccount(t, c, aws.ToString(out.CreateAccountStatus.Id))
	if st.State != types.CreateAccountStateSucceeded {
		t.Fatalf("create account %s: %+v", name, st)
	}
	return aws.ToString(st.AccountId)
}

func TestOrganizationsWithGoSDK(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	c := orgs.NewFromConfig(app.awsConfig())
	mgmt := app.Instance.OwnerAccountID

	desc, err := c.DescribeOrganization(ctx, &orgs.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.Organization.MasterAccountId) != mgmt || desc.Organization.FeatureSet != types.OrganizationFeatureSetAll {
		t.Fatalf("DescribeOrganization = %+v", desc.Organization)
	}
	roots, err := c.ListRoots(ctx, &orgs.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 {
		t.Fatalf("ListRoots = %+v, %v", roots, err)
	}
	rootID := aws.ToString(roots.Roots[0].Id)

	// The management account exists from the first start.
	m, err := c.DescribeAccount(ctx, &orgs.DescribeAccountInput{AccountId: &mgmt})
	if err != nil {
		t.Fatal(err)
	}
	if m.Account.Status != types.AccountStatusActive || m.Account.JoinedMethod != types.AccountJoinedMethodCreated {
		t.Fatalf("management account = %+v", m.Account)
	}

	// CreateAccount is asynchronous.
	created, err := c.CreateAccount(ctx, &orgs.CreateAccountInput{
		AccountName: aws.String("Sandbox"), Email: aws.String("sandbox@example.com"),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.CreateAccountStatus.State != types.CreateAccountStateInProgress {
		t.Fatalf("CreateAccount state = %s, want IN_PROGRESS", created.CreateAccountStatus.State)
	}
	st := waitAccount(t, c, aws.ToString(created.CreateAccountStatus.Id))
	if st.State != types.CreateAccountStateSucceeded || len(aws.ToString(st.AccountId)) != 12 || st.CompletedTimestamp == nil {
		t.Fatalf("create status = %+v", st)
	}
	sandbox := aws.ToString(st.AccountId)
	tags, err := c.ListTagsForResource(ctx, &orgs.ListTagsForResourceInput{ResourceId: &sandbox})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "dev" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}

	// The same email again fails asynchronously, as in AWS.
	dup, err := c.CreateAccount(ctx, &orgs.CreateAccountInput{AccountName: aws.String("Other"), Email: aws.String("SANDBOX@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitAccount(t, c, aws.ToString(dup.CreateAccountStatus.Id)); st.State != types.CreateAccountStateFailed ||
		st.FailureReason != types.CreateAccountFailureReasonEmailAlreadyExists {
		t.Fatalf("duplicate email status = %+v", st)
	}
	failed, err := c.ListCreateAccountStatus(ctx, &orgs.ListCreateAccountStatusInput{States: []types.CreateAccountState{types.CreateAccountStateFailed}})
	if err != nil || len(failed.CreateAccountStatuses) != 1 {
		t.Fatalf("failed requests = %+v, %v", failed, err)
	}

	// Organizational units, moves, children and parents.
	ou, err := c.CreateOrganizationalUnit(ctx, &orgs.CreateOrganizationalUnitInput{ParentId: &rootID, Name: aws.String("Workloads")})
	if err != nil {
		t.Fatal(err)
	}
	ouID := aws.ToString(ou.OrganizationalUnit.Id)
	_, err = c.CreateOrganizationalUnit(ctx, &orgs.CreateOrganizationalUnitInput{ParentId: &rootID, Name: aws.String("workloads")})
	var dupOU *types.DuplicateOrganizationalUnitException
	if !errors.As(err, &dupOU) {
		t.Fatalf("duplicate OU: %v", err)
	}
	if _, err := c.MoveAccount(ctx, &orgs.MoveAccountInput{AccountId: &sandbox, SourceParentId: &rootID, DestinationParentId: &ouID}); err != nil {
		t.Fatal(err)
	}
	_, err = c.MoveAccount(ctx, &orgs.MoveAccountInput{AccountId: &sandbox, SourceParentId: &rootID, DestinationParentId: &ouID})
	var srcNF *types.SourceParentNotFoundException
	if !errors.As(err, &srcNF) {
		t.Fatalf("move from the wrong parent: %v", err)
	}
	kids, err := c.ListChildren(ctx, &orgs.ListChildrenInput{ParentId: &ouID, ChildType: types.ChildTypeAccount})
	if err != nil || len(kids.Children) != 1 || aws.ToString(kids.Children[0].Id) != sandbox {
		t.Fatalf("children of OU = %+v, %v", kids, err)
	}
	parents, err := c.ListParents(ctx, &orgs.ListParentsInput{ChildId: &sandbox})
	if err != nil || aws.ToString(parents.Parents[0].Id) != ouID || parents.Parents[0].Type != types.ParentTypeOrganizationalUnit {
		t.Fatalf("parents = %+v, %v", parents, err)
	}
	inOU, err := c.ListAccountsForParent(ctx, &orgs.ListAccountsForParentInput{ParentId: &ouID})
	if err != nil || len(inOU.Accounts) != 1 {
		t.Fatalf("accounts for OU = %+v, %v", inOU, err)
	}
	if _, err := c.DescribeOrganizationalUnit(ctx, &orgs.DescribeOrganizationalUnitInput{OrganizationalUnitId: &ouID}); err != nil {
		t.Fatal(err)
	}
	ous, err := c.ListOrganizationalUnitsForParent(ctx, &orgs.ListOrganizationalUnitsForParentInput{ParentId: &rootID})
	if err != nil || len(ous.OrganizationalUnits) != 1 {
		t.Fatalf("OUs = %+v, %v", ous, err)
	}

	// Paging through accounts one at a time.
	var all []string
	p := orgs.NewListAccountsPaginator(c, &orgs.ListAccountsInput{MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Accounts {
			all = append(all, aws.ToString(a.Id))
		}
	}
	if len(all) != 2 {
		t.Fatalf("accounts = %v, want management and sandbox", all)
	}

	// Errors.
	_, err = c.DescribeAccount(ctx, &orgs.DescribeAccountInput{AccountId: aws.String("000000000001")})
	var anf *types.AccountNotFoundException
	if !errors.As(err, &anf) {
		t.Fatalf("unknown account: %v", err)
	}
	_, err = c.DescribeAccount(ctx, &orgs.DescribeAccountInput{AccountId: aws.String("12")})
	wantCode(t, err, "ValidationException", "accountId")
	_, err = c.ListAccounts(ctx, &orgs.ListAccountsInput{MaxResults: aws.Int32(21)})
	wantCode(t, err, "ValidationException", "maxResults")
	_, err = c.ListAccounts(ctx, &orgs.ListAccountsInput{NextToken: aws.String("garbage")})
	var bad *types.InvalidInputException
	if !errors.As(err, &bad) || bad.Reason != types.InvalidInputExceptionReasonInvalidPaginationToken {
		t.Fatalf("bad token: %v", err)
	}
	_, err = c.ListChildren(ctx, &orgs.ListChildrenInput{ParentId: aws.String("ou-abcd-12345678"), ChildType: types.ChildTypeAccount})
	var pnf *types.ParentNotFoundException
	if !errors.As(err, &pnf) {
		t.Fatalf("unknown parent: %v", err)
	}
	if _, err := c.UntagResource(ctx, &orgs.UntagResourceInput{ResourceId: &sandbox, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
}
