package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ids "github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/smithy-go"
)

// apiCode returns the AWS error code of err.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantCode(t *testing.T, err error, code, msgPart string) {
	t.Helper()
	if err == nil {
		t.Fatalf("call succeeded, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error %v, want %s", err, code)
	}
	if msgPart != "" && !strings.Contains(ae.ErrorMessage(), msgPart) {
		t.Fatalf("message %q does not contain %q", ae.ErrorMessage(), msgPart)
	}
}

func newUserInput(store, name string) *ids.CreateUserInput {
	return &ids.CreateUserInput{
		IdentityStoreId: aws.String(store),
		UserName:        aws.String(name),
		DisplayName:     aws.String(strings.ToUpper(name[:1]) + name[1:] + " Example"),
		Name:            &types.Name{GivenName: aws.String(name), FamilyName: aws.String("Example")},
		Emails:          []types.Email{{Value: aws.String(name + "@example.com"), Type: aws.String("work"), Primary: true}},
	}
}

func TestIdentityStoreWithGoSDK(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	c := ids.NewFromConfig(app.awsConfig())
	sid := app.Instance.IdentityStoreID
	s := aws.String(sid)

	// Users: create with every attribute of the model.
	full := newUserInput(sid, "alice")
	full.NickName, full.ProfileUrl, full.UserType = aws.String("Al"), aws.String("https://example.com/alice"), aws.String("Employee")
	full.Title, full.PreferredLanguage, full.Locale, full.Timezone = aws.String("Engineer"), aws.String("en-GB"), aws.String("en_GB"), aws.String("Europe/London")
	full.Website, full.Birthdate = aws.String("https://alice.example"), aws.String("1990-05-04")
	full.Name.MiddleName, full.Name.Formatted = aws.String("Pleasance"), aws.String("Alice P. Example")
	full.Name.HonorificPrefix, full.Name.HonorificSuffix = aws.String("Dr."), aws.String("PhD")
	full.Addresses = []types.Address{{StreetAddress: aws.String("1 Rabbit Hole"), Locality: aws.String("Oxford"), Region: aws.String("Oxon"),
		PostalCode: aws.String("OX1"), Country: aws.String("GB"), Type: aws.String("work"), Primary: true}}
	full.PhoneNumbers = []types.PhoneNumber{{Value: aws.String("+44 1865 000000"), Type: aws.String("work"), Primary: true}}
	full.Photos = []types.Photo{{Value: aws.String("https://example.com/a.png"), Type: aws.String("photo"), Primary: true}}
	full.Roles = []types.Role{{Value: aws.String("Researcher"), Type: aws.String("work"), Primary: true}}
	full.Extensions = map[string]document.Interface{
		"aws:identitystore:enterprise": document.NewLazyDocument(map[string]any{"department": "Research", "costCenter": "42"}),
	}
	created, err := c.CreateUser(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	alice := aws.ToString(created.UserId)
	if aws.ToString(created.IdentityStoreId) != sid || !strings.HasPrefix(alice, strings.TrimPrefix(sid, "d-")+"-") {
		t.Fatalf("CreateUser = %+v", created)
	}

	got, err := c.DescribeUser(ctx, &ids.DescribeUserInput{IdentityStoreId: s, UserId: &alice, Extensions: []string{"aws:identitystore:enterprise"}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.UserName) != "alice" || aws.ToString(got.Name.HonorificSuffix) != "PhD" || aws.ToString(got.Addresses[0].Locality) != "Oxford" ||
		aws.ToString(got.PhoneNumbers[0].Value) != "+44 1865 000000" || aws.ToString(got.Timezone) != "Europe/London" ||
		got.UserStatus != types.UserStatusEnabled || got.CreatedAt == nil || aws.ToString(got.CreatedBy) == "" ||
		aws.ToString(got.Photos[0].Value) == "" || aws.ToString(got.Roles[0].Value) != "Researcher" || aws.ToString(got.Birthdate) != "1990-05-04" {
		t.Fatalf("DescribeUser = %+v", got)
	}
	var ent map[string]any
	if err := got.Extensions["aws:identitystore:enterprise"].UnmarshalSmithyDocument(&ent); err != nil || ent["department"] != "Research" {
		t.Fatalf("enterprise extension = %v, %v", ent, err)
	}
	plain, _ := c.DescribeUser(ctx, &ids.DescribeUserInput{IdentityStoreId: s, UserId: &alice})
	if len(plain.Extensions) != 0 {
		t.Fatal("extensions returned without being asked for")
	}

	// Uniqueness: user name (case and Unicode insensitive), email.
	dup := newUserInput(sid, "ALICE")
	dup.Emails = nil
	_, err = c.CreateUser(ctx, dup)
	wantCode(t, err, "ConflictException", "Duplicate UserName")
	var ce *types.ConflictException
	if !errors.As(err, &ce) || ce.Reason != types.ConflictExceptionReasonUniquenessConstraintViolation {
		t.Fatalf("conflict reason: %v", err)
	}
	dupMail := newUserInput(sid, "alice2")
	dupMail.Emails[0].Value = aws.String("Alice@Example.com")
	_, err = c.CreateUser(ctx, dupMail)
	wantCode(t, err, "ConflictException", "Duplicate Email")

	// Validation straight from the model, with AWS's message format.
	bad := newUserInput(sid, "bob")
	bad.UserName = aws.String(strings.Repeat("b", 129))
	_, err = c.CreateUser(ctx, bad)
	wantCode(t, err, "ValidationException", "at 'userName' failed to satisfy constraint: Member must have length less than or equal to 128")
	_, err = c.CreateUser(ctx, &ids.CreateUserInput{IdentityStoreId: aws.String("not-a-store"), UserName: aws.String("x")})
	wantCode(t, err, "ValidationException", "Value 'not-a-store' at 'identityStoreId' failed to satisfy constraint: Member must satisfy regular expression pattern")
	reserved := newUserInput(sid, "Administrator")
	_, err = c.CreateUser(ctx, reserved)
	wantCode(t, err, "ValidationException", "reserved")
	noName := newUserInput(sid, "carol")
	noName.DisplayName = nil
	_, err = c.CreateUser(ctx, noName)
	wantCode(t, err, "ValidationException", "displayname: The attribute displayname is required")
	_, err = c.ListUsers(ctx, &ids.ListUsersInput{IdentityStoreId: aws.String("d-0000000000")})
	wantCode(t, err, "ResourceNotFoundException", "IDENTITY_STORE")

	// More users for paging and lookups.
	var userIDs = []string{alice}
	for _, n := range []string{"bob", "carol", "dave", "erin"} {
		out, err := c.CreateUser(ctx, newUserInput(sid, n))
		if err != nil {
			t.Fatal(err)
		}
		userIDs = append(userIDs, aws.ToString(out.UserId))
	}
	seen := map[string]bool{}
	pages := 0
	p := ids.NewListUsersPaginator(c, &ids.ListUsersInput{IdentityStoreId: s, MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range page.Users {
			if seen[aws.ToString(u.UserId)] {
				t.Fatalf("user %s listed twice", aws.ToString(u.UserId))
			}
			seen[aws.ToString(u.UserId)] = true
		}
	}
	if len(seen) != 5 || pages != 3 {
		t.Fatalf("paging saw %d users in %d pages, want 5 in 3", len(seen), pages)
	}
	_, err = c.ListUsers(ctx, &ids.ListUsersInput{IdentityStoreId: s, NextToken: aws.String("forged-token-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")})
	wantCode(t, err, "ValidationException", "pagination token")
	_, err = c.ListUsers(ctx, &ids.ListUsersInput{IdentityStoreId: s, MaxResults: aws.Int32(101)})
	wantCode(t, err, "ValidationException", "Member must have value less than or equal to 100")
	filtered, err := c.ListUsers(ctx, &ids.ListUsersInput{IdentityStoreId: s, Filters: []types.Filter{{AttributePath: aws.String("UserName"), AttributeValue: aws.String("carol")}}})
	if err != nil || len(filtered.Users) != 1 || aws.ToString(filtered.Users[0].UserName) != "carol" {
		t.Fatalf("filtered ListUsers = %+v, %v", filtered, err)
	}

	for _, alt := range []types.AlternateIdentifier{
		&types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{AttributePath: aws.String("userName"), AttributeValue: document.NewLazyDocument("ALICE")}},
		&types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{AttributePath: aws.String("emails.value"), AttributeValue: document.NewLazyDocument("alice@example.com")}},
	} {
		out, err := c.GetUserId(ctx, &ids.GetUserIdInput{IdentityStoreId: s, AlternateIdentifier: alt})
		if err != nil || aws.ToString(out.UserId) != alice {
			t.Fatalf("GetUserId = %v, %v", out, err)
		}
	}
	_, err = c.GetUserId(ctx, &ids.GetUserIdInput{IdentityStoreId: s, AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{
		Value: types.UniqueAttribute{AttributePath: aws.String("title"), AttributeValue: document.NewLazyDocument("Engineer")}}})
	wantCode(t, err, "ValidationException", "is not a unique attribute")
	_, err = c.GetUserId(ctx, &ids.GetUserIdInput{IdentityStoreId: s, AlternateIdentifier: &types.AlternateIdentifierMemberExternalId{
		Value: types.ExternalId{Issuer: aws.String("okta"), Id: aws.String("00u1")}}})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ResourceType != types.ResourceTypeUser {
		t.Fatalf("unknown external id: %v", err)
	}

	// UpdateUser with attribute operations.
	_, err = c.UpdateUser(ctx, &ids.UpdateUserInput{IdentityStoreId: s, UserId: &alice, Operations: []types.AttributeOperation{
		{AttributePath: aws.String("displayName"), AttributeValue: document.NewLazyDocument("Alice Liddell")},
		{AttributePath: aws.String("name.familyName"), AttributeValue: document.NewLazyDocument("Liddell")},
		{AttributePath: aws.String("nickName")},
		{AttributePath: aws.String("aws:identitystore:enterprise.division"), AttributeValue: document.NewLazyDocument("Wonderland")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = c.DescribeUser(ctx, &ids.DescribeUserInput{IdentityStoreId: s, UserId: &alice, Extensions: []string{"aws:identitystore:enterprise"}})
	if aws.ToString(got.DisplayName) != "Alice Liddell" || aws.ToString(got.Name.FamilyName) != "Liddell" || got.NickName != nil {
		t.Fatalf("after UpdateUser: %+v", got)
	}
	got.Extensions["aws:identitystore:enterprise"].UnmarshalSmithyDocument(&ent)
	if ent["division"] != "Wonderland" || ent["department"] != "Research" {
		t.Fatalf("enterprise after update = %v", ent)
	}
	_, err = c.UpdateUser(ctx, &ids.UpdateUserInput{IdentityStoreId: s, UserId: &alice, Operations: []types.AttributeOperation{
		{AttributePath: aws.String("userName"), AttributeValue: document.NewLazyDocument("BOB")}}})
	wantCode(t, err, "ConflictException", "Duplicate UserName")
	_, err = c.UpdateUser(ctx, &ids.UpdateUserInput{IdentityStoreId: s, UserId: &alice, Operations: []types.AttributeOperation{
		{AttributePath: aws.String("no.such.path"), AttributeValue: document.NewLazyDocument("x")}}})
	wantCode(t, err, "ValidationException", "Invalid attribute path")
	missing := strings.TrimPrefix(sid, "d-") + "-00000000-0000-4000-8000-000000000000"
	_, err = c.UpdateUser(ctx, &ids.UpdateUserInput{IdentityStoreId: s, UserId: &missing, Operations: []types.AttributeOperation{
		{AttributePath: aws.String("title"), AttributeValue: document.NewLazyDocument("x")}}})
	if !errors.As(err, &nf) || nf.ResourceType != types.ResourceTypeUser || aws.ToString(nf.ResourceId) != missing {
		t.Fatalf("update of a missing user: %v", err)
	}
	_, err = c.DescribeUser(ctx, &ids.DescribeUserInput{IdentityStoreId: s, UserId: &missing})
	wantCode(t, err, "ResourceNotFoundException", "USER not found.")

	// Groups.
	g, err := c.CreateGroup(ctx, &ids.CreateGroupInput{IdentityStoreId: s, DisplayName: aws.String("Developers"), Description: aws.String("All developers")})
	if err != nil {
		t.Fatal(err)
	}
	dev := aws.ToString(g.GroupId)
	_, err = c.CreateGroup(ctx, &ids.CreateGroupInput{IdentityStoreId: s, DisplayName: aws.String("developers")})
	wantCode(t, err, "ConflictException", "Duplicate GroupDisplayName")
	_, err = c.CreateGroup(ctx, &ids.CreateGroupInput{IdentityStoreId: s, DisplayName: aws.String("AWSAdministrators")})
	wantCode(t, err, "ValidationException", "reserved")
	g2, err := c.CreateGroup(ctx, &ids.CreateGroupInput{IdentityStoreId: s, DisplayName: aws.String("Operators")})
	if err != nil {
		t.Fatal(err)
	}
	ops := aws.ToString(g2.GroupId)
	dg, err := c.DescribeGroup(ctx, &ids.DescribeGroupInput{IdentityStoreId: s, GroupId: &dev})
	if err != nil || aws.ToString(dg.DisplayName) != "Developers" || aws.ToString(dg.Description) != "All developers" || dg.CreatedAt == nil {
		t.Fatalf("DescribeGroup = %+v, %v", dg, err)
	}
	gid, err := c.GetGroupId(ctx, &ids.GetGroupIdInput{IdentityStoreId: s, AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{
		Value: types.UniqueAttribute{AttributePath: aws.String("displayName"), AttributeValue: document.NewLazyDocument("Developers")}}})
	if err != nil || aws.ToString(gid.GroupId) != dev {
		t.Fatalf("GetGroupId = %v, %v", gid, err)
	}
	if _, err := c.UpdateGroup(ctx, &ids.UpdateGroupInput{IdentityStoreId: s, GroupId: &dev, Operations: []types.AttributeOperation{
		{AttributePath: aws.String("description"), AttributeValue: document.NewLazyDocument("Builders")}}}); err != nil {
		t.Fatal(err)
	}
	lg, err := c.ListGroups(ctx, &ids.ListGroupsInput{IdentityStoreId: s, MaxResults: aws.Int32(1)})
	if err != nil || len(lg.Groups) != 1 || lg.NextToken == nil {
		t.Fatalf("ListGroups page 1 = %+v, %v", lg, err)
	}
	lg2, err := c.ListGroups(ctx, &ids.ListGroupsInput{IdentityStoreId: s, MaxResults: aws.Int32(1), NextToken: lg.NextToken})
	if err != nil || len(lg2.Groups) != 1 || lg2.NextToken != nil || aws.ToString(lg2.Groups[0].GroupId) == aws.ToString(lg.Groups[0].GroupId) {
		t.Fatalf("ListGroups page 2 = %+v, %v", lg2, err)
	}
	// A token of one listing does not work for another.
	_, err = c.ListUsers(ctx, &ids.ListUsersInput{IdentityStoreId: s, NextToken: lg.NextToken})
	wantCode(t, err, "ValidationException", "pagination token")

	// Memberships.
	member := &types.MemberIdMemberUserId{Value: alice}
	m, err := c.CreateGroupMembership(ctx, &ids.CreateGroupMembershipInput{IdentityStoreId: s, GroupId: &dev, MemberId: member})
	if err != nil {
		t.Fatal(err)
	}
	mid := aws.ToString(m.MembershipId)
	_, err = c.CreateGroupMembership(ctx, &ids.CreateGroupMembershipInput{IdentityStoreId: s, GroupId: &dev, MemberId: member})
	wantCode(t, err, "ConflictException", "")
	_, err = c.CreateGroupMembership(ctx, &ids.CreateGroupMembershipInput{IdentityStoreId: s, GroupId: &dev, MemberId: &types.MemberIdMemberUserId{Value: missing}})
	wantCode(t, err, "ResourceNotFoundException", "Member does not exist")
	for _, u := range userIDs[1:] {
		if _, err := c.CreateGroupMembership(ctx, &ids.CreateGroupMembershipInput{IdentityStoreId: s, GroupId: &dev, MemberId: &types.MemberIdMemberUserId{Value: u}}); err != nil {
			t.Fatal(err)
		}
	}
	dm, err := c.DescribeGroupMembership(ctx, &ids.DescribeGroupMembershipInput{IdentityStoreId: s, MembershipId: &mid})
	if err != nil || aws.ToString(dm.GroupId) != dev || dm.MemberId.(*types.MemberIdMemberUserId).Value != alice {
		t.Fatalf("DescribeGroupMembership = %+v, %v", dm, err)
	}
	gm, err := c.GetGroupMembershipId(ctx, &ids.GetGroupMembershipIdInput{IdentityStoreId: s, GroupId: &dev, MemberId: member})
	if err != nil || aws.ToString(gm.MembershipId) != mid {
		t.Fatalf("GetGroupMembershipId = %+v, %v", gm, err)
	}
	count := 0
	mp := ids.NewListGroupMembershipsPaginator(c, &ids.ListGroupMembershipsInput{IdentityStoreId: s, GroupId: &dev, MaxResults: aws.Int32(2)})
	for mp.HasMorePages() {
		page, err := mp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		count += len(page.GroupMemberships)
	}
	if count != 5 {
		t.Fatalf("group has %d members listed, want 5", count)
	}
	c.CreateGroupMembership(ctx, &ids.CreateGroupMembershipInput{IdentityStoreId: s, GroupId: &ops, MemberId: member})
	forMember, err := c.ListGroupMembershipsForMember(ctx, &ids.ListGroupMembershipsForMemberInput{IdentityStoreId: s, MemberId: member})
	if err != nil || len(forMember.GroupMemberships) != 2 {
		t.Fatalf("ListGroupMembershipsForMember = %+v, %v", forMember, err)
	}
	nobody := strings.TrimPrefix(sid, "d-") + "-11111111-1111-4111-8111-111111111111"
	in, err := c.IsMemberInGroups(ctx, &ids.IsMemberInGroupsInput{IdentityStoreId: s, MemberId: &types.MemberIdMemberUserId{Value: userIDs[1]}, GroupIds: []string{dev, ops, nobody}})
	if err != nil || len(in.Results) != 3 || !in.Results[0].MembershipExists || in.Results[1].MembershipExists || in.Results[2].MembershipExists {
		t.Fatalf("IsMemberInGroups = %+v, %v", in, err)
	}
	_, err = c.IsMemberInGroups(ctx, &ids.IsMemberInGroupsInput{IdentityStoreId: s, MemberId: member, GroupIds: make101(nobody)})
	wantCode(t, err, "ValidationException", "Member must have length less than or equal to 100")

	if _, err := c.DeleteGroupMembership(ctx, &ids.DeleteGroupMembershipInput{IdentityStoreId: s, MembershipId: &mid}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeGroupMembership(ctx, &ids.DescribeGroupMembershipInput{IdentityStoreId: s, MembershipId: &mid})
	wantCode(t, err, "ResourceNotFoundException", "")
	_, err = c.DeleteGroupMembership(ctx, &ids.DeleteGroupMembershipInput{IdentityStoreId: s, MembershipId: &mid})
	wantCode(t, err, "ResourceNotFoundException", "")

	// Deleting a user or a group takes its memberships with it.
	if _, err := c.DeleteUser(ctx, &ids.DeleteUserInput{IdentityStoreId: s, UserId: &userIDs[1]}); err != nil {
		t.Fatal(err)
	}
	afterDelete, _ := c.ListGroupMemberships(ctx, &ids.ListGroupMembershipsInput{IdentityStoreId: s, GroupId: &dev})
	if len(afterDelete.GroupMemberships) != 3 {
		t.Fatalf("%d members after deleting one user, want 3", len(afterDelete.GroupMemberships))
	}
	if _, err := c.DeleteGroup(ctx, &ids.DeleteGroupInput{IdentityStoreId: s, GroupId: &ops}); err != nil {
		t.Fatal(err)
	}
	forMember, _ = c.ListGroupMembershipsForMember(ctx, &ids.ListGroupMembershipsForMemberInput{IdentityStoreId: s, MemberId: member})
	if len(forMember.GroupMemberships) != 0 {
		t.Fatalf("memberships of a deleted group remain: %+v", forMember.GroupMemberships)
	}
	_, err = c.DeleteGroup(ctx, &ids.DeleteGroupInput{IdentityStoreId: s, GroupId: &ops})
	wantCode(t, err, "ResourceNotFoundException", "GROUP not found.")
	_, err = c.DeleteUser(ctx, &ids.DeleteUserInput{IdentityStoreId: s, UserId: &userIDs[1]})
	wantCode(t, err, "ResourceNotFoundException", "USER not found.")
}

func make101(id string) []string {
	out := make([]string, 101)
	for i := range out {
		out[i] = id
	}
	return out
}

func TestIdentityStoreAuthentication(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	sid := aws.String(app.Instance.IdentityStoreID)
	list := func(cfg aws.Config) error {
		_, err := ids.NewFromConfig(cfg).ListUsers(ctx, &ids.ListUsersInput{IdentityStoreId: sid})
		return err
	}
	cfg := app.awsConfig()
	if err := list(cfg); err != nil {
		t.Fatal(err)
	}
	wrongSecret := cfg.Copy()
	wrongSecret.Credentials = credentials.NewStaticCredentialsProvider(app.KeyID, otherLast(app.Secret), "")
	wantCode(t, list(wrongSecret), "InvalidSignatureException", "The request signature we calculated does not match")

	unknown := cfg.Copy()
	unknown.Credentials = credentials.NewStaticCredentialsProvider("AKIAAAAAAAAAAAAAAAAA", app.Secret, "")
	wantCode(t, list(unknown), "UnrecognizedClientException", "The security token included in the request is invalid")

	otherRegion := cfg.Copy()
	otherRegion.Region = "eu-west-1"
	err := list(otherRegion)
	if apiCode(err) == "" {
		t.Fatalf("a signature scoped to another region was accepted: %v", err)
	}

	anonymous := cfg.Copy()
	anonymous.Credentials = aws.AnonymousCredentials{}
	wantCode(t, list(anonymous), "MissingAuthenticationTokenException", "")
}

// TestIdentityStoreAuditTrail checks that every call, failed or not, leaves
// exactly one CloudTrail-shaped event and that sensitive values are hidden.
func TestIdentityStoreAuditTrail(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	c := ids.NewFromConfig(app.awsConfig())
	sid := app.Instance.IdentityStoreID
	if _, err := c.CreateUser(ctx, newUserInput(sid, "secretive")); err != nil {
		t.Fatal(err)
	}
	c.CreateUser(ctx, newUserInput(sid, "secretive")) // fails: duplicate
	c.ListUsers(ctx, &ids.ListUsersInput{IdentityStoreId: aws.String(sid)})

	// Bootstrap writes service events (CreateInstance, …) first; the calls
	// above are the API events.
	all := app.auditEvents(t)
	var events []map[string]any
	for _, e := range all {
		if e["eventType"] == "AwsApiCall" {
			events = append(events, e)
		}
	}
	if all[len(all)-1]["eventName"] != "CreateInstance" {
		t.Fatalf("the oldest event is %v, want the bootstrap CreateInstance", all[len(all)-1]["eventName"])
	}
	names := []string{}
	for _, e := range events {
		names = append(names, fmt.Sprint(e["eventName"], ":", e["errorCode"]))
	}
	want := "ListUsers:<nil> CreateUser:ConflictException CreateUser:<nil>"
	if strings.Join(names, " ") != want {
		t.Fatalf("API events (newest first) = %v, want %s", names, want)
	}
	created := events[2]
	if created["eventSource"] != "identitystore.amazonaws.com" || created["awsRegion"] != "us-east-1" ||
		created["recipientAccountId"] != app.Instance.OwnerAccountID || created["readOnly"] != false {
		t.Fatalf("event = %v", created)
	}
	ui := created["userIdentity"].(map[string]any)
	if ui["type"] != "IAMUser" || ui["accessKeyId"] != app.KeyID || ui["userName"] != "gatehouse-admin" {
		t.Fatalf("userIdentity = %v", ui)
	}
	params := created["requestParameters"].(map[string]any)
	if params["identityStoreId"] != sid || params["userName"] != "HIDDEN_DUE_TO_SECURITY_REASONS" {
		t.Fatalf("requestParameters = %v", params)
	}
	if strings.Contains(fmt.Sprint(events), "secretive@example.com") {
		t.Fatal("an email address reached the audit log")
	}
	if resp := created["responseElements"].(map[string]any); resp["userId"] == nil {
		t.Fatalf("responseElements = %v", resp)
	}
	if events[0]["readOnly"] != true {
		t.Fatal("ListUsers is not marked read-only")
	}
}

type idsAttributeOperation = types.AttributeOperation

func attrOp(path, value string) types.AttributeOperation {
	return types.AttributeOperation{AttributePath: aws.String(path), AttributeValue: document.NewLazyDocument(value)}
}

// otherLast returns s with its last character replaced by a different one.
func otherLast(s string) string {
	if s[len(s)-1] == 'x' {
		return s[:len(s)-1] + "y"
	}
	return s[:len(s)-1] + "x"
}
