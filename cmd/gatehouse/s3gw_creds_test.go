package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/tempcred"
)

// TestS3GatewayTemporaryCredentials covers the temporary-credential rows
// of SECURITY.md #48 and #50 against the gateway: an ASIA key without its
// session token or with another session's token, an expired session, and
// a user whose sessions an administrator revoked — whose very next request
// is denied and audited.
func TestS3GatewayTemporaryCredentials(t *testing.T) {
	app := startS3App(t)
	ctx := context.Background()
	e := newEntitledUser(t, app.portalApp, "gail")
	app.setPolicies(t, e, tutorialPolicy)
	id1, secret1, token1 := app.roleCredentials(t, e)
	_, _, token2 := app.roleCredentials(t, e)

	good := app.s3Client(id1, secret1, token1)
	if _, err := good.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("gail")}); err != nil {
		t.Fatal(err)
	}
	if _, err := good.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("gail"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatal(err)
	}
	list := func(c *s3.Client) error {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("gail")})
		return err
	}
	wantAPIError(t, "an ASIA key without its session token", list(app.s3Client(id1, secret1, "")), "InvalidToken")
	wantAPIError(t, "another session's token", list(app.s3Client(id1, secret1, token2)), "InvalidToken")
	wantAPIError(t, "a forged token", list(app.s3Client(id1, secret1, token1+"A")), "InvalidToken")

	// An expired session: credentials minted by the real tempcred service
	// with a clock three hours behind, for one hour.
	who, err := app.stsWith(id1, secret1, token1).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	roleName := strings.Split(aws.ToString(who.Arn), "/")[1]
	roleID, _, _ := strings.Cut(aws.ToString(who.UserId), ":")
	keys, _, err := keyring.LoadOrCreate(app.Config.KeyringFile)
	if err != nil {
		t.Fatal(err)
	}
	past := tempcred.New(app.app.store, keys, app.app.cred.roles, tempcred.Options{Now: func() time.Time { return time.Now().Add(-3 * time.Hour) }})
	var old tempcred.Credentials
	if err := app.app.store.Update(ctx, func(tx store.Tx) (err error) {
		old, err = past.Mint(ctx, tx, tempcred.Request{UserID: e.userID, UserName: e.userName, SessionID: "expired-test",
			AccountID: e.accountID, PermissionSetID: permissionSetID(e.permissionSetARN), RoleName: roleName, RoleID: roleID,
			Duration: time.Hour, MFAPresent: true, AuthTime: time.Now().Add(-3 * time.Hour)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, "an expired session", list(app.s3Client(old.AccessKeyID, old.SecretAccessKey.Reveal(), old.SessionToken.Reveal())), "ExpiredToken")

	// Revocation: the administrator ends the user's sessions; the next
	// signed request with credentials issued before is denied.
	if err := list(good); err != nil {
		t.Fatal(err)
	}
	if code, out := app.adminCall(t, "DeleteUserSessions", map[string]any{"UserId": e.userID}); code != 200 {
		t.Fatalf("DeleteUserSessions: %d %v", code, out)
	}
	wantAPIError(t, "the revoked session's next request", list(good), "AccessDenied")
	var ev map[string]any
	for _, x := range app.auditEvents(t) {
		if x["eventName"] == "ListObjectsV2" && x["errorCode"] == "AccessDenied" {
			ev = x
			break
		}
	}
	if ev == nil {
		t.Fatal("the revoked request was not audited")
	}
	d := ev["additionalEventData"].(map[string]any)["authorization"].([]any)[0].(map[string]any)
	if d["reason"] != "the session's credentials were revoked" || ev["userIdentity"].(map[string]any)["accessKeyId"] != id1 {
		t.Fatalf("audit of the revoked request: %v", ev)
	}
}

// permissionSetID returns the ps-… id of a permission set ARN.
func permissionSetID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }
