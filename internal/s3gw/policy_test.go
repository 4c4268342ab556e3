package s3gw

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// gatedPolicy allows all of S3 but for what its Deny statements carve out,
// each testing one kind of condition key the gateway supplies.
const gatedPolicy = `{"Version":"2012-10-17","Statement":[
 {"Sid":"Everything","Effect":"Allow","Action":"s3:*","Resource":"*"},
 {"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::pol/secret/*"},
 {"Sid":"OnlyBlueReadable","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/tagged/*",
  "Condition":{"StringNotEquals":{"s3:ExistingObjectTag/color":"blue"}}},
 {"Sid":"PutNeedsTeamTag","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::pol/team/*",
  "Condition":{"Null":{"s3:RequestObjectTag/team":"true"}}},
 {"Sid":"ListOnlyPublic","Effect":"Deny","Action":"s3:ListBucket","Resource":"arn:aws:s3:::pol",
  "Condition":{"StringNotLike":{"s3:prefix":"public/*"}}}
]}`

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestGatewayPolicyDecisions checks that the gateway's condition keys
// reach the policy engine (resource ARNs, s3:prefix, request and existing
// object tags), that a refusal is S3's AccessDenied, that nothing refused
// reaches the upstream, and that the audit event names the statement that
// decided.
func TestGatewayPolicyDecisions(t *testing.T) {
	e := newEnv(t, gatedPolicy)
	ctx := context.Background()
	c, m := e.client(), e.motoClient()
	if _, err := m.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pol")}); err != nil {
		t.Fatal(err)
	}
	seed := func(key, tagging string) {
		t.Helper()
		in := &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String(key), Body: strings.NewReader(key)}
		if tagging != "" {
			in.Tagging = aws.String(tagging)
		}
		if _, err := m.PutObject(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	seed("secret/plans", "")
	seed("tagged/blue", "color=blue")
	seed("tagged/red", "color=red")
	seed("public/a", "")

	// An explicit deny by resource.
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("secret/new"), Body: strings.NewReader("x")})
	if apiCode(err) != "AccessDenied" {
		t.Fatalf("PutObject under secret/: %v", err)
	}
	if _, err := m.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("pol"), Key: aws.String("secret/new")}); err == nil {
		t.Fatal("a refused PutObject reached the upstream")
	}
	ev := e.lastEvent("PutObject")
	d := ev["additionalEventData"].(map[string]any)["authorization"].([]any)[0].(map[string]any)
	if ev["errorCode"] != "AccessDenied" || d["decision"] != "ExplicitDeny" || d["sid"] != "NoSecrets" || d["statement"] != float64(1) ||
		d["resource"] != "arn:aws:s3:::pol/secret/new" {
		t.Fatalf("audit of the refusal: %v", ev)
	}

	// s3:ExistingObjectTag, read from the upstream when a policy asks.
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("tagged/blue")}); err != nil {
		t.Fatalf("GetObject of the blue object: %v", err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("tagged/red")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("GetObject of the red object: %v", err)
	}

	// s3:RequestObjectTag from x-amz-tagging.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("team/untagged"), Body: strings.NewReader("x")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("PutObject without the team tag: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("team/tagged"), Body: strings.NewReader("x"), Tagging: aws.String("team=blue")}); err != nil {
		t.Fatalf("PutObject with the team tag: %v", err)
	}
	// … and from the <Tagging> body of PutObjectTagging (which needs no
	// team tag, being another action).
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("pol"), Key: aws.String("team/tagged"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}}); err != nil {
		t.Fatal(err)
	}
	tagEv := e.lastEvent("PutObjectTagging")
	if tagEv["errorCode"] != nil {
		t.Fatalf("PutObjectTagging: %v", tagEv)
	}

	// s3:prefix.
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("pol"), Prefix: aws.String("public/")}); err != nil {
		t.Fatalf("listing public/: %v", err)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("pol")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("listing everything: %v", err)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("pol"), Prefix: aws.String("secret/")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("listing secret/: %v", err)
	}

	// DeleteObjects: one question per key; the refused key is reported in
	// the result and stays at the upstream.
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("pol"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("public/a")}, {Key: aws.String("secret/plans")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "public/a" || len(out.Errors) != 1 ||
		aws.ToString(out.Errors[0].Key) != "secret/plans" || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects = %+v", out)
	}
	if _, err := m.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("pol"), Key: aws.String("secret/plans")}); err != nil {
		t.Fatalf("the refused key was deleted: %v", err)
	}
	if _, err := m.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("pol"), Key: aws.String("public/a")}); err == nil {
		t.Fatal("the allowed key was not deleted")
	}
	// Every key refused: the gateway answers alone.
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("pol"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("secret/plans")}}}})
	if err != nil || len(out.Errors) != 1 || len(out.Deleted) != 0 {
		t.Fatalf("DeleteObjects of a refused key = %+v, %v", out, err)
	}

	// A HEAD refusal has no body, as in S3.
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("pol"), Key: aws.String("secret/plans")})
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Fatalf("HeadObject of a secret: %v", err)
	}
}
