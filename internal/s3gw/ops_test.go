package s3gw

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestClassify checks the S3 operation → IAM action and resource table.
// The expectations come from the Service Authorization Reference
// ("Actions, resources, and condition keys for Amazon S3", its table of
// API operations) and each operation's API reference page ("To use this
// operation, you must have permission to perform the s3:… action").
func TestClassify(t *testing.T) {
	const b, k = "arn:aws:s3:::photos", "arn:aws:s3:::photos/2024/cat.jpg"
	// c is a check; a local type keeps the table's literals short.
	type c struct{ Action, Resource string }
	tests := []struct {
		method, target string
		header         map[string]string
		op             string
		checks         []c
		err            string // S3 error code
	}{
		{method: "GET", target: "/", op: "ListBuckets", checks: []c{{"s3:ListAllMyBuckets", "*"}}},
		{method: "GET", target: "/?max-buckets=10&x-id=ListBuckets", op: "ListBuckets", checks: []c{{"s3:ListAllMyBuckets", "*"}}},

		// Buckets.
		{method: "PUT", target: "/photos", op: "CreateBucket", checks: []c{{"s3:CreateBucket", b}}},
		{method: "PUT", target: "/photos", header: map[string]string{"X-Amz-Acl": "private"}, op: "CreateBucket",
			checks: []c{{"s3:CreateBucket", b}, {"s3:PutBucketAcl", b}}},
		{method: "PUT", target: "/photos", header: map[string]string{"X-Amz-Bucket-Object-Lock-Enabled": "true", "X-Amz-Object-Ownership": "BucketOwnerEnforced"}, op: "CreateBucket",
			checks: []c{{"s3:CreateBucket", b}, {"s3:PutBucketObjectLockConfiguration", b}, {"s3:PutBucketVersioning", b}, {"s3:PutBucketOwnershipControls", b}}},
		{method: "DELETE", target: "/photos", op: "DeleteBucket", checks: []c{{"s3:DeleteBucket", b}}},
		{method: "HEAD", target: "/photos", op: "HeadBucket", checks: []c{{"s3:ListBucket", b}}},
		{method: "GET", target: "/photos", op: "ListObjects", checks: []c{{"s3:ListBucket", b}}},
		{method: "GET", target: "/photos/", op: "ListObjects", checks: []c{{"s3:ListBucket", b}}},
		{method: "GET", target: "/photos?prefix=2024/&delimiter=/&max-keys=10&marker=a&encoding-type=url", op: "ListObjects", checks: []c{{"s3:ListBucket", b}}},
		{method: "GET", target: "/photos?list-type=2&prefix=a&continuation-token=x&start-after=b&fetch-owner=true", op: "ListObjectsV2", checks: []c{{"s3:ListBucket", b}}},
		{method: "GET", target: "/photos?list-type=3", err: "NotImplemented"},
		{method: "GET", target: "/photos?versions&prefix=a&key-marker=k&version-id-marker=v", op: "ListObjectVersions", checks: []c{{"s3:ListBucketVersions", b}}},
		{method: "GET", target: "/photos?uploads&max-uploads=5", op: "ListMultipartUploads", checks: []c{{"s3:ListBucketMultipartUploads", b}}},
		{method: "GET", target: "/photos?location", op: "GetBucketLocation", checks: []c{{"s3:GetBucketLocation", b}}},
		{method: "GET", target: "/photos?acl", op: "GetBucketAcl", checks: []c{{"s3:GetBucketAcl", b}}},
		{method: "PUT", target: "/photos?acl", op: "PutBucketAcl", checks: []c{{"s3:PutBucketAcl", b}}},
		{method: "GET", target: "/photos?policy", op: "GetBucketPolicy", checks: []c{{"s3:GetBucketPolicy", b}}},
		{method: "PUT", target: "/photos?policy", op: "PutBucketPolicy", checks: []c{{"s3:PutBucketPolicy", b}}},
		{method: "DELETE", target: "/photos?policy", op: "DeleteBucketPolicy", checks: []c{{"s3:DeleteBucketPolicy", b}}},
		{method: "GET", target: "/photos?policyStatus", op: "GetBucketPolicyStatus", checks: []c{{"s3:GetBucketPolicyStatus", b}}},
		{method: "GET", target: "/photos?versioning", op: "GetBucketVersioning", checks: []c{{"s3:GetBucketVersioning", b}}},
		{method: "PUT", target: "/photos?versioning", op: "PutBucketVersioning", checks: []c{{"s3:PutBucketVersioning", b}}},
		{method: "GET", target: "/photos?tagging", op: "GetBucketTagging", checks: []c{{"s3:GetBucketTagging", b}}},
		{method: "PUT", target: "/photos?tagging", op: "PutBucketTagging", checks: []c{{"s3:PutBucketTagging", b}}},
		// "To use this operation, you must have permission to perform the
		// s3:PutBucketTagging action" (DeleteBucketTagging), and likewise
		// for the other deletes that reuse the Put action.
		{method: "DELETE", target: "/photos?tagging", op: "DeleteBucketTagging", checks: []c{{"s3:PutBucketTagging", b}}},
		{method: "DELETE", target: "/photos?cors", op: "DeleteBucketCors", checks: []c{{"s3:PutBucketCORS", b}}},
		{method: "GET", target: "/photos?cors", op: "GetBucketCors", checks: []c{{"s3:GetBucketCORS", b}}},
		{method: "DELETE", target: "/photos?lifecycle", op: "DeleteBucketLifecycleConfiguration", checks: []c{{"s3:PutLifecycleConfiguration", b}}},
		{method: "GET", target: "/photos?lifecycle", op: "GetBucketLifecycleConfiguration", checks: []c{{"s3:GetLifecycleConfiguration", b}}},
		{method: "DELETE", target: "/photos?website", op: "DeleteBucketWebsite", checks: []c{{"s3:DeleteBucketWebsite", b}}},
		{method: "DELETE", target: "/photos?encryption", op: "DeleteBucketEncryption", checks: []c{{"s3:PutEncryptionConfiguration", b}}},
		{method: "DELETE", target: "/photos?replication", op: "DeleteBucketReplication", checks: []c{{"s3:PutReplicationConfiguration", b}}},
		{method: "DELETE", target: "/photos?publicAccessBlock", op: "DeleteBucketPublicAccessBlock", checks: []c{{"s3:PutBucketPublicAccessBlock", b}}},
		{method: "DELETE", target: "/photos?ownershipControls", op: "DeleteBucketOwnershipControls", checks: []c{{"s3:PutBucketOwnershipControls", b}}},
		{method: "GET", target: "/photos?notification", op: "GetBucketNotificationConfiguration", checks: []c{{"s3:GetBucketNotification", b}}},
		{method: "GET", target: "/photos?logging", op: "GetBucketLogging", checks: []c{{"s3:GetBucketLogging", b}}},
		{method: "GET", target: "/photos?requestPayment", op: "GetBucketRequestPayment", checks: []c{{"s3:GetBucketRequestPayment", b}}},
		{method: "GET", target: "/photos?accelerate", op: "GetBucketAccelerateConfiguration", checks: []c{{"s3:GetAccelerateConfiguration", b}}},
		{method: "GET", target: "/photos?object-lock", op: "GetObjectLockConfiguration", checks: []c{{"s3:GetBucketObjectLockConfiguration", b}}},
		{method: "PUT", target: "/photos?object-lock", op: "PutObjectLockConfiguration", checks: []c{{"s3:PutBucketObjectLockConfiguration", b}}},
		{method: "GET", target: "/photos?analytics", op: "ListBucketAnalyticsConfigurations", checks: []c{{"s3:GetAnalyticsConfiguration", b}}},
		{method: "GET", target: "/photos?analytics&id=a", op: "GetBucketAnalyticsConfiguration", checks: []c{{"s3:GetAnalyticsConfiguration", b}}},
		{method: "DELETE", target: "/photos?metrics&id=a", op: "DeleteBucketMetricsConfiguration", checks: []c{{"s3:PutMetricsConfiguration", b}}},
		{method: "PUT", target: "/photos?intelligent-tiering&id=a", op: "PutBucketIntelligentTieringConfiguration", checks: []c{{"s3:PutIntelligentTieringConfiguration", b}}},
		{method: "GET", target: "/photos?inventory&continuation-token=x", op: "ListBucketInventoryConfigurations", checks: []c{{"s3:GetInventoryConfiguration", b}}},
		// DeleteObjects names its objects in the body; the checks are made
		// per key once it is read.
		{method: "POST", target: "/photos?delete", op: "DeleteObjects"},

		// Objects.
		{method: "GET", target: "/photos/2024/cat.jpg", op: "GetObject", checks: []c{{"s3:GetObject", k}}},
		{method: "GET", target: "/photos/2024/cat.jpg?response-content-type=text/plain&partNumber=1", op: "GetObject", checks: []c{{"s3:GetObject", k}}},
		{method: "GET", target: "/photos/2024/cat.jpg?versionId=v1", op: "GetObject", checks: []c{{"s3:GetObjectVersion", k}}},
		{method: "HEAD", target: "/photos/2024/cat.jpg", op: "HeadObject", checks: []c{{"s3:GetObject", k}}},
		{method: "HEAD", target: "/photos/2024/cat.jpg?versionId=v1", op: "HeadObject", checks: []c{{"s3:GetObjectVersion", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg", op: "PutObject", checks: []c{{"s3:PutObject", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg", header: map[string]string{"X-Amz-Tagging": "team=blue", "X-Amz-Grant-Read": "id=x"}, op: "PutObject",
			checks: []c{{"s3:PutObject", k}, {"s3:PutObjectAcl", k}, {"s3:PutObjectTagging", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg", header: map[string]string{"X-Amz-Object-Lock-Mode": "GOVERNANCE", "X-Amz-Object-Lock-Legal-Hold": "ON"}, op: "PutObject",
			checks: []c{{"s3:PutObject", k}, {"s3:PutObjectRetention", k}, {"s3:PutObjectLegalHold", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg", header: map[string]string{"X-Amz-Copy-Source": "/src/a%20b.jpg?versionId=3"}, op: "CopyObject",
			checks: []c{{"s3:PutObject", k}, {"s3:GetObjectVersion", "arn:aws:s3:::src/a b.jpg"}}},
		{method: "PUT", target: "/photos/2024/cat.jpg", header: map[string]string{"X-Amz-Copy-Source": "src/x", "X-Amz-Tagging": "a=b"}, op: "CopyObject",
			checks: []c{{"s3:PutObject", k}, {"s3:GetObject", "arn:aws:s3:::src/x"}}},
		{method: "PUT", target: "/photos/2024/cat.jpg", header: map[string]string{"X-Amz-Copy-Source": "src/x", "X-Amz-Tagging": "a=b", "X-Amz-Tagging-Directive": "REPLACE"}, op: "CopyObject",
			checks: []c{{"s3:PutObject", k}, {"s3:GetObject", "arn:aws:s3:::src/x"}, {"s3:PutObjectTagging", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg", header: map[string]string{"X-Amz-Copy-Source": "nokey"}, err: "InvalidArgument"},
		{method: "PUT", target: "/photos/2024/cat.jpg", header: map[string]string{"X-Amz-Copy-Source": "src/a/../b"}, err: "InvalidArgument"},
		{method: "DELETE", target: "/photos/2024/cat.jpg", op: "DeleteObject", checks: []c{{"s3:DeleteObject", k}}},
		{method: "DELETE", target: "/photos/2024/cat.jpg?versionId=v1", op: "DeleteObject", checks: []c{{"s3:DeleteObjectVersion", k}}},
		{method: "DELETE", target: "/photos/2024/cat.jpg", header: map[string]string{"X-Amz-Bypass-Governance-Retention": "true"}, op: "DeleteObject",
			checks: []c{{"s3:DeleteObject", k}, {"s3:BypassGovernanceRetention", k}}},
		{method: "DELETE", target: "/photos/2024/cat.jpg", header: map[string]string{"X-Amz-Copy-Source": "src/x"}, err: "InvalidArgument"},
		{method: "GET", target: "/photos/2024/cat.jpg?tagging", op: "GetObjectTagging", checks: []c{{"s3:GetObjectTagging", k}}},
		{method: "GET", target: "/photos/2024/cat.jpg?tagging&versionId=v", op: "GetObjectTagging", checks: []c{{"s3:GetObjectVersionTagging", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg?tagging", op: "PutObjectTagging", checks: []c{{"s3:PutObjectTagging", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg?tagging&versionId=v", op: "PutObjectTagging", checks: []c{{"s3:PutObjectVersionTagging", k}}},
		{method: "DELETE", target: "/photos/2024/cat.jpg?tagging", op: "DeleteObjectTagging", checks: []c{{"s3:DeleteObjectTagging", k}}},
		{method: "DELETE", target: "/photos/2024/cat.jpg?tagging&versionId=v", op: "DeleteObjectTagging", checks: []c{{"s3:DeleteObjectVersionTagging", k}}},
		{method: "GET", target: "/photos/2024/cat.jpg?acl", op: "GetObjectAcl", checks: []c{{"s3:GetObjectAcl", k}}},
		{method: "GET", target: "/photos/2024/cat.jpg?acl&versionId=v", op: "GetObjectAcl", checks: []c{{"s3:GetObjectVersionAcl", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg?acl", op: "PutObjectAcl", checks: []c{{"s3:PutObjectAcl", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg?acl&versionId=v", op: "PutObjectAcl", checks: []c{{"s3:PutObjectVersionAcl", k}}},
		{method: "GET", target: "/photos/2024/cat.jpg?retention", op: "GetObjectRetention", checks: []c{{"s3:GetObjectRetention", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg?retention", header: map[string]string{"X-Amz-Bypass-Governance-Retention": "true"}, op: "PutObjectRetention",
			checks: []c{{"s3:PutObjectRetention", k}, {"s3:BypassGovernanceRetention", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg?legal-hold", op: "PutObjectLegalHold", checks: []c{{"s3:PutObjectLegalHold", k}}},
		{method: "GET", target: "/photos/2024/cat.jpg?attributes", op: "GetObjectAttributes", checks: []c{{"s3:GetObjectAttributes", k}}},
		{method: "GET", target: "/photos/2024/cat.jpg?attributes&versionId=v", op: "GetObjectAttributes", checks: []c{{"s3:GetObjectVersionAttributes", k}}},
		{method: "GET", target: "/photos/2024/cat.jpg?torrent", op: "GetObjectTorrent", checks: []c{{"s3:GetObjectTorrent", k}}},
		{method: "POST", target: "/photos/2024/cat.jpg?restore", op: "RestoreObject", checks: []c{{"s3:RestoreObject", k}}},
		{method: "POST", target: "/photos/2024/cat.jpg?select&select-type=2", op: "SelectObjectContent", checks: []c{{"s3:GetObject", k}}},

		// Multipart uploads.
		{method: "POST", target: "/photos/2024/cat.jpg?uploads", op: "CreateMultipartUpload", checks: []c{{"s3:PutObject", k}}},
		{method: "POST", target: "/photos/2024/cat.jpg?uploads", header: map[string]string{"X-Amz-Acl": "public-read"}, op: "CreateMultipartUpload",
			checks: []c{{"s3:PutObject", k}, {"s3:PutObjectAcl", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg?partNumber=1&uploadId=u", op: "UploadPart", checks: []c{{"s3:PutObject", k}}},
		{method: "PUT", target: "/photos/2024/cat.jpg?partNumber=1&uploadId=u", header: map[string]string{"X-Amz-Copy-Source": "src/x"}, op: "UploadPartCopy",
			checks: []c{{"s3:PutObject", k}, {"s3:GetObject", "arn:aws:s3:::src/x"}}},
		{method: "POST", target: "/photos/2024/cat.jpg?uploadId=u", op: "CompleteMultipartUpload", checks: []c{{"s3:PutObject", k}}},
		{method: "DELETE", target: "/photos/2024/cat.jpg?uploadId=u", op: "AbortMultipartUpload", checks: []c{{"s3:AbortMultipartUpload", k}}},
		{method: "GET", target: "/photos/2024/cat.jpg?uploadId=u&max-parts=5", op: "ListParts", checks: []c{{"s3:ListMultipartUploadParts", k}}},

		// What is not recognised is never forwarded.
		{method: "GET", target: "/photos?acl&policy", err: "NotImplemented"},
		{method: "GET", target: "/photos/2024/cat.jpg?acl&tagging", err: "NotImplemented"},
		{method: "GET", target: "/photos?unknown=1", err: "NotImplemented"},
		{method: "GET", target: "/photos/2024/cat.jpg?uploads", err: "NotImplemented"},
		{method: "PUT", target: "/photos/2024/cat.jpg?uploadId=u", err: "NotImplemented"},
		{method: "GET", target: "/photos?metadataTable", err: "NotImplemented"},
		{method: "POST", target: "/photos", err: "NotImplemented"},
		{method: "PATCH", target: "/photos/k", err: "NotImplemented"},
		{method: "GET", target: "/photos?prefix=a&prefix=b", err: "InvalidArgument"},
		{method: "GET", target: "/photos/a/../b", err: "InvalidArgument"},
		{method: "GET", target: "/photos/%2E%2E/other/k", err: "InvalidArgument"},
		{method: "GET", target: "/photos/./k", err: "InvalidArgument"},
		{method: "GET", target: "/a*b/k", err: "InvalidBucketName"},
		{method: "GET", target: "/ab", err: "InvalidBucketName"},
		{method: "GET", target: "/photos/" + strings.Repeat("k", 1025), err: "KeyTooLongError"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			op, err := classifyRequest(r, nil)
			if tt.err != "" {
				if err == nil || err.Code != tt.err {
					t.Fatalf("got %+v, %v; want error %s", op, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if op.Name != tt.op {
				t.Errorf("operation %s, want %s", op.Name, tt.op)
			}
			var got []c
			for _, ch := range op.Checks {
				got = append(got, c(ch))
			}
			if diff := cmp.Diff(tt.checks, got); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
		})
	}
}

// classifyRequest runs addressing and classification as the gateway does.
func classifyRequest(r *http.Request, domains []string) (*Operation, *s3Error) {
	path, rawQuery := splitRequestURI(r)
	t, err := resolveTarget(r, path, domains)
	if err != nil {
		return nil, err
	}
	q, _, err := forwardQuery(rawQuery)
	if err != nil {
		return nil, err
	}
	return classify(r.Method, t, q, r.Header, Arn{Partition: "aws"})
}

func TestAddressing(t *testing.T) {
	domains := []string{"s3.gatehouse.test"}
	tests := []struct {
		host, target    string
		bucket, key, up string
		virtual         bool
		err             string
	}{
		{host: "127.0.0.1:9000", target: "/photos/a/b.jpg", bucket: "photos", key: "a/b.jpg", up: "/photos/a/b.jpg"},
		{host: "s3.gatehouse.test", target: "/photos/a%20b", bucket: "photos", key: "a b", up: "/photos/a%20b"},
		{host: "photos.s3.gatehouse.test", target: "/a%2Fb", bucket: "photos", key: "a/b", up: "/photos/a%2Fb", virtual: true},
		{host: "Photos.S3.Gatehouse.Test:8443", target: "/k", bucket: "photos", key: "k", up: "/photos/k", virtual: true},
		{host: "photos.s3.gatehouse.test", target: "/", bucket: "photos", up: "/photos", virtual: true},
		{host: "my.dotted.bucket.s3.gatehouse.test", target: "/x", bucket: "my.dotted.bucket", key: "x", up: "/my.dotted.bucket/x", virtual: true},
		{host: "s3.gatehouse.test", target: "/", up: "/"},
		{host: "other.example", target: "/photos", bucket: "photos", up: "/photos"},
		{host: "photos.s3.gatehouse.test", target: "/..%2Fsecret", err: "InvalidArgument"},
		{host: "bad_host*.s3.gatehouse.test", target: "/k", err: "InvalidBucketName"},
	}
	for _, tt := range tests {
		t.Run(tt.host+tt.target, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			r.Host = tt.host
			path, _ := splitRequestURI(r)
			got, err := resolveTarget(r, path, domains)
			if tt.err != "" {
				if err == nil || err.Code != tt.err {
					t.Fatalf("got %+v, %v; want %s", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Bucket != tt.bucket || got.Key != tt.key || got.upstreamPath != tt.up || got.virtualHost != tt.virtual {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestForwardQueryDropsPresignParameters(t *testing.T) {
	raw := "X-Amz-Algorithm=AWS4-HMAC-SHA256&versionId=a%2Bb&X-Amz-Credential=AKID%2F20250101%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20250101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok&X-Amz-Signature=abc&response-content-type=text%2Fplain"
	q, fwd, err := forwardQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	if fwd != "versionId=a%2Bb&response-content-type=text%2Fplain" {
		t.Fatalf("forwarded query %q", fwd)
	}
	if len(q) != 2 || q.Get("versionId") != "a+b" {
		t.Fatalf("decoded query %v", q)
	}
	if _, fwd, _ := forwardQuery("list-type=2&prefix=a%2F"); fwd != "list-type=2&prefix=a%2F" {
		t.Fatalf("a query without presigning must pass as sent, got %q", fwd)
	}
}
