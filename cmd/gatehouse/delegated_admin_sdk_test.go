package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idtypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/smithy-go"
)

// TestDelegatedAdminLimitedToGroup is SECURITY.md row 23: an
// administrator limited to group G manages G's memberships, and is refused
// (AccessDeniedException, audited, nothing leaked in the message) every
// other group, also when it names another group's membership by id.
func TestDelegatedAdminLimitedToGroup(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	storeID, acct := app.Instance.IdentityStoreID, app.Instance.OwnerAccountID
	boot := identitystore.NewFromConfig(app.awsConfig())
	group := func(name string) string {
		g, err := boot.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: &storeID, DisplayName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(g.GroupId)
	}
	mine, other := group("Engineering"), group("Finance")
	u, err := boot.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: &storeID, UserName: aws.String("ann"), DisplayName: aws.String("Ann"),
		Name: &idtypes.Name{GivenName: aws.String("Ann"), FamilyName: aws.String("A")}})
	if err != nil {
		t.Fatal(err)
	}
	otherMembership, err := boot.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: &storeID, GroupId: &other,
		MemberId: &idtypes.MemberIdMemberUserId{Value: aws.ToString(u.UserId)}})
	if err != nil {
		t.Fatal(err)
	}

	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"OneGroup","Effect":"Allow",
		"Action":["identitystore:DescribeGroup","identitystore:CreateGroupMembership","identitystore:DeleteGroupMembership",
		          "identitystore:DescribeGroupMembership","identitystore:ListGroupMemberships"],
		"Resource":["arn:aws:identitystore::` + acct + `:identitystore/` + storeID + `","arn:aws:identitystore:::group/` + mine + `",
		            "arn:aws:identitystore:::user/*","arn:aws:identitystore:::membership/*"]}]}`
	keyID, secret := delegatedAdmin(t, app, "engineering-admin", policy)
	cfg := app.awsConfig()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(keyID, secret, "")
	c := identitystore.NewFromConfig(cfg)

	if _, err := c.DescribeGroup(ctx, &identitystore.DescribeGroupInput{IdentityStoreId: &storeID, GroupId: &mine}); err != nil {
		t.Fatalf("own group: %v", err)
	}
	m, err := c.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: &storeID, GroupId: &mine,
		MemberId: &idtypes.MemberIdMemberUserId{Value: aws.ToString(u.UserId)}})
	if err != nil {
		t.Fatalf("membership in own group: %v", err)
	}
	if _, err := c.DescribeGroupMembership(ctx, &identitystore.DescribeGroupMembershipInput{IdentityStoreId: &storeID, MembershipId: m.MembershipId}); err != nil {
		t.Fatalf("own membership: %v", err)
	}

	denied := func(what string, err error) string {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
			t.Fatalf("%s: %v, want AccessDeniedException", what, err)
		}
		return ae.ErrorMessage()
	}
	denied("describe another group", func() error {
		_, err := c.DescribeGroup(ctx, &identitystore.DescribeGroupInput{IdentityStoreId: &storeID, GroupId: &other})
		return err
	}())
	denied("add to another group", func() error {
		_, err := c.CreateGroupMembership(ctx, &identitystore.CreateGroupMembershipInput{IdentityStoreId: &storeID, GroupId: &other,
			MemberId: &idtypes.MemberIdMemberUserId{Value: aws.ToString(u.UserId)}})
		return err
	}())
	// Another group's membership by id: its group is looked up, and the
	// message names only what the caller sent.
	msg := denied("delete another group's membership", func() error {
		_, err := c.DeleteGroupMembership(ctx, &identitystore.DeleteGroupMembershipInput{IdentityStoreId: &storeID, MembershipId: otherMembership.MembershipId})
		return err
	}())
	if strings.Contains(msg, other) || !strings.Contains(msg, "identitystore:DeleteGroupMembership") {
		t.Fatalf("denial message %q names the other group or not the action", msg)
	}
	denied("describe another group's membership", func() error {
		_, err := c.DescribeGroupMembership(ctx, &identitystore.DescribeGroupMembershipInput{IdentityStoreId: &storeID, MembershipId: otherMembership.MembershipId})
		return err
	}())
	denied("list users", func() error {
		_, err := c.ListUsers(ctx, &identitystore.ListUsersInput{IdentityStoreId: &storeID})
		return err
	}())
	if _, err := boot.DescribeGroupMembership(ctx, &identitystore.DescribeGroupMembershipInput{IdentityStoreId: &storeID, MembershipId: otherMembership.MembershipId}); err != nil {
		t.Fatalf("the other membership is gone: %v", err)
	}

	// The denial of the other group's membership is audited with the
	// group it was refused on.
	found := false
	for _, ev := range app.auditEvents(t) {
		if ev["eventName"] != "DeleteGroupMembership" || ev["errorCode"] != "AccessDeniedException" {
			continue
		}
		for _, d := range jsonAt(ev, "additionalEventData", "authorization").([]any) {
			if jsonStr(d, "resource") == "arn:aws:identitystore:::group/"+other && jsonStr(d, "decision") == "ImplicitDeny" {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("no audited decision on the other group")
	}

	// The authorization API decides for the delegated administrator's key
	// with its own policies, not the bootstrap administrator's.
	for action, want := range map[string]string{"identitystore:DescribeGroup": "Allow", "s3:GetObject": "ImplicitDeny"} {
		resource := "arn:aws:identitystore:::group/" + mine
		if strings.HasPrefix(action, "s3:") {
			resource = "arn:aws:s3:::bucket/key"
		}
		code, out := authzCall(t, app.URL, app.KeyID, app.Secret, "", "Authorize",
			map[string]any{"Principal": map[string]any{"AccessKeyId": keyID}, "Action": action, "Resource": resource})
		if code != 200 || out["Decision"] != want {
			t.Errorf("Authorize %s for the delegated administrator = %d %v, want %s", action, code, out, want)
		}
	}
}
