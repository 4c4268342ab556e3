package s3gw

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/authz"
)

// level is what an S3 request addresses.
type level uint8

const (
	levelService level = iota // no bucket: ListBuckets
	levelBucket               // a bucket
	levelObject               // an object (bucket and key)
)

// opSpec describes one S3 REST operation: how to recognise it (method,
// level, identifying query subresource) and the IAM action it needs, as
// the Service Authorization Reference ("Actions, resources, and condition
// keys for Amazon S3") and each operation's API page document it.
type opSpec struct {
	name   string
	method string
	level  level
	// sub is the query parameter that identifies the operation ("acl",
	// "uploads", …); empty for the plain form. subValue, when set, is the
	// value it must have (list-type=2).
	sub      string
	subValue string
	// also lists further parameters that must be present (partNumber with
	// uploadId for UploadPart).
	also []string
	// action is the IAM action; versionAction replaces it when the request
	// names a versionId.
	action, versionAction string
	// params are the other query parameters the operation accepts. Any
	// parameter outside them (and the signing ones) makes the request
	// unrecognised, so that the upstream can never read a request as
	// another operation than the one we authorised.
	params   []string
	readOnly bool
	// listKeys says the request's s3:prefix, s3:delimiter and s3:max-keys
	// are condition keys (ListBucket, ListBucketVersions).
	listKeys bool
	// objectTags says s3:ExistingObjectTag/<key> applies.
	objectTags bool
	// writeKeys says the PutObject request headers are condition keys
	// (s3:x-amz-acl, s3:x-amz-server-side-encryption, …).
	writeKeys bool
	// body says the gateway reads the (small) request body before
	// deciding: DeleteObjects names its objects there, CreateBucket its
	// location constraint, PutObjectTagging the request tags.
	body bodyUse
}

// bodyUse says what the gateway needs from a request body before deciding.
type bodyUse uint8

const (
	bodyStream         bodyUse = iota // forwarded as it streams
	bodyDeleteObjects                 // the <Delete> document: one check per key
	bodyLocation                      // CreateBucketConfiguration: s3:LocationConstraint
	bodyTagging                       // <Tagging>: s3:RequestObjectTag/*
	bodyBucketTagging                 // <Tagging> of a bucket: aws:RequestTag/*, aws:TagKeys
	bodyNotImplemented                // never forwarded
)

// getObjectParams are the query parameters of GetObject and HeadObject.
var getObjectParams = []string{"versionId", "partNumber", "response-cache-control", "response-content-disposition",
	"response-content-encoding", "response-content-language", "response-content-type", "response-expires"}

var listObjectsParams = []string{"delimiter", "encoding-type", "marker", "max-keys", "prefix"}

var listObjectsV2Params = []string{"continuation-token", "delimiter", "encoding-type", "fetch-owner", "max-keys", "prefix", "start-after"}

// bucketConfig returns the Get/Put(/Delete) operations of a bucket
// configuration subresource. del is the action of its Delete operation
// ("" when there is none); S3 mostly authorises a delete with the Put
// action.
func bucketConfig(sub, name, get, put, del string, params ...string) []opSpec {
	out := []opSpec{
		{name: "GetBucket" + name, method: http.MethodGet, level: levelBucket, sub: sub, action: get, params: params, readOnly: true},
		{name: "PutBucket" + name, method: http.MethodPut, level: levelBucket, sub: sub, action: put, params: params},
	}
	if del != "" {
		out = append(out, opSpec{name: "DeleteBucket" + name, method: http.MethodDelete, level: levelBucket, sub: sub, action: del, params: params})
	}
	return out
}

// specs is the S3 REST API. Operations Gatehouse does not forward (browser
// POST uploads, S3 Express sessions, Object Lambda responses) are absent
// and answered NotImplemented.
var specs = func() []opSpec {
	s := []opSpec{
		// Service.
		{name: "ListBuckets", method: http.MethodGet, level: levelService, action: "s3:ListAllMyBuckets",
			params: []string{"max-buckets", "continuation-token", "prefix", "bucket-region"}, readOnly: true},

		// Buckets.
		{name: "CreateBucket", method: http.MethodPut, level: levelBucket, action: "s3:CreateBucket", body: bodyLocation},
		{name: "DeleteBucket", method: http.MethodDelete, level: levelBucket, action: "s3:DeleteBucket"},
		{name: "HeadBucket", method: http.MethodHead, level: levelBucket, action: "s3:ListBucket", readOnly: true},
		{name: "ListObjects", method: http.MethodGet, level: levelBucket, action: "s3:ListBucket", params: listObjectsParams, readOnly: true, listKeys: true},
		{name: "ListObjectsV2", method: http.MethodGet, level: levelBucket, sub: "list-type", subValue: "2", action: "s3:ListBucket", params: listObjectsV2Params, readOnly: true, listKeys: true},
		{name: "ListObjectVersions", method: http.MethodGet, level: levelBucket, sub: "versions", action: "s3:ListBucketVersions",
			params: []string{"delimiter", "encoding-type", "key-marker", "max-keys", "prefix", "version-id-marker"}, readOnly: true, listKeys: true},
		{name: "ListMultipartUploads", method: http.MethodGet, level: levelBucket, sub: "uploads", action: "s3:ListBucketMultipartUploads",
			params: []string{"delimiter", "encoding-type", "key-marker", "max-uploads", "prefix", "upload-id-marker"}, readOnly: true},
		{name: "GetBucketLocation", method: http.MethodGet, level: levelBucket, sub: "location", action: "s3:GetBucketLocation", readOnly: true},
		{name: "GetBucketPolicyStatus", method: http.MethodGet, level: levelBucket, sub: "policyStatus", action: "s3:GetBucketPolicyStatus", readOnly: true},
		{name: "DeleteObjects", method: http.MethodPost, level: levelBucket, sub: "delete", action: "s3:DeleteObject", versionAction: "s3:DeleteObjectVersion", body: bodyDeleteObjects},

		// Objects.
		{name: "GetObject", method: http.MethodGet, level: levelObject, action: "s3:GetObject", versionAction: "s3:GetObjectVersion", params: getObjectParams, readOnly: true, objectTags: true},
		{name: "HeadObject", method: http.MethodHead, level: levelObject, action: "s3:GetObject", versionAction: "s3:GetObjectVersion", params: getObjectParams, readOnly: true, objectTags: true},
		{name: "PutObject", method: http.MethodPut, level: levelObject, action: "s3:PutObject", writeKeys: true},
		{name: "DeleteObject", method: http.MethodDelete, level: levelObject, action: "s3:DeleteObject", versionAction: "s3:DeleteObjectVersion", params: []string{"versionId"}},
		{name: "GetObjectTagging", method: http.MethodGet, level: levelObject, sub: "tagging", action: "s3:GetObjectTagging", versionAction: "s3:GetObjectVersionTagging", params: []string{"versionId"}, readOnly: true, objectTags: true},
		{name: "PutObjectTagging", method: http.MethodPut, level: levelObject, sub: "tagging", action: "s3:PutObjectTagging", versionAction: "s3:PutObjectVersionTagging", params: []string{"versionId"}, objectTags: true, body: bodyTagging},
		{name: "DeleteObjectTagging", method: http.MethodDelete, level: levelObject, sub: "tagging", action: "s3:DeleteObjectTagging", versionAction: "s3:DeleteObjectVersionTagging", params: []string{"versionId"}, objectTags: true},
		{name: "GetObjectAcl", method: http.MethodGet, level: levelObject, sub: "acl", action: "s3:GetObjectAcl", versionAction: "s3:GetObjectVersionAcl", params: []string{"versionId"}, readOnly: true, objectTags: true},
		{name: "PutObjectAcl", method: http.MethodPut, level: levelObject, sub: "acl", action: "s3:PutObjectAcl", versionAction: "s3:PutObjectVersionAcl", params: []string{"versionId"}, objectTags: true},
		{name: "GetObjectRetention", method: http.MethodGet, level: levelObject, sub: "retention", action: "s3:GetObjectRetention", params: []string{"versionId"}, readOnly: true},
		{name: "PutObjectRetention", method: http.MethodPut, level: levelObject, sub: "retention", action: "s3:PutObjectRetention", params: []string{"versionId"}},
		{name: "GetObjectLegalHold", method: http.MethodGet, level: levelObject, sub: "legal-hold", action: "s3:GetObjectLegalHold", params: []string{"versionId"}, readOnly: true},
		{name: "PutObjectLegalHold", method: http.MethodPut, level: levelObject, sub: "legal-hold", action: "s3:PutObjectLegalHold", params: []string{"versionId"}},
		{name: "GetObjectAttributes", method: http.MethodGet, level: levelObject, sub: "attributes", action: "s3:GetObjectAttributes", versionAction: "s3:GetObjectVersionAttributes", params: []string{"versionId"}, readOnly: true},
		{name: "GetObjectTorrent", method: http.MethodGet, level: levelObject, sub: "torrent", action: "s3:GetObjectTorrent", readOnly: true},
		{name: "RestoreObject", method: http.MethodPost, level: levelObject, sub: "restore", action: "s3:RestoreObject", params: []string{"versionId"}},
		{name: "SelectObjectContent", method: http.MethodPost, level: levelObject, sub: "select", also: []string{"select-type"}, action: "s3:GetObject", readOnly: true},

		// Multipart uploads.
		{name: "CreateMultipartUpload", method: http.MethodPost, level: levelObject, sub: "uploads", action: "s3:PutObject", writeKeys: true},
		{name: "UploadPart", method: http.MethodPut, level: levelObject, sub: "uploadId", also: []string{"partNumber"}, action: "s3:PutObject"},
		{name: "CompleteMultipartUpload", method: http.MethodPost, level: levelObject, sub: "uploadId", action: "s3:PutObject"},
		{name: "AbortMultipartUpload", method: http.MethodDelete, level: levelObject, sub: "uploadId", action: "s3:AbortMultipartUpload"},
		{name: "ListParts", method: http.MethodGet, level: levelObject, sub: "uploadId", action: "s3:ListMultipartUploadParts", params: []string{"max-parts", "part-number-marker"}, readOnly: true},
	}
	s = append(s, bucketConfig("acl", "Acl", "s3:GetBucketAcl", "s3:PutBucketAcl", "")...)
	s = append(s, bucketConfig("policy", "Policy", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy")...)
	s = append(s, bucketConfig("versioning", "Versioning", "s3:GetBucketVersioning", "s3:PutBucketVersioning", "")...)
	s = append(s, bucketConfig("tagging", "Tagging", "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:PutBucketTagging")...)
	s = append(s, bucketConfig("cors", "Cors", "s3:GetBucketCORS", "s3:PutBucketCORS", "s3:PutBucketCORS")...)
	s = append(s, bucketConfig("lifecycle", "LifecycleConfiguration", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:PutLifecycleConfiguration")...)
	s = append(s, bucketConfig("website", "Website", "s3:GetBucketWebsite", "s3:PutBucketWebsite", "s3:DeleteBucketWebsite")...)
	s = append(s, bucketConfig("logging", "Logging", "s3:GetBucketLogging", "s3:PutBucketLogging", "")...)
	s = append(s, bucketConfig("notification", "NotificationConfiguration", "s3:GetBucketNotification", "s3:PutBucketNotification", "")...)
	s = append(s, bucketConfig("replication", "Replication", "s3:GetReplicationConfiguration", "s3:PutReplicationConfiguration", "s3:PutReplicationConfiguration")...)
	s = append(s, bucketConfig("encryption", "Encryption", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:PutEncryptionConfiguration")...)
	s = append(s, bucketConfig("requestPayment", "RequestPayment", "s3:GetBucketRequestPayment", "s3:PutBucketRequestPayment", "")...)
	s = append(s, bucketConfig("accelerate", "AccelerateConfiguration", "s3:GetAccelerateConfiguration", "s3:PutAccelerateConfiguration", "")...)
	s = append(s, bucketConfig("ownershipControls", "OwnershipControls", "s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls", "s3:PutBucketOwnershipControls")...)
	s = append(s, bucketConfig("publicAccessBlock", "PublicAccessBlock", "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock")...)
	// GetObjectLockConfiguration and PutObjectLockConfiguration act on the
	// bucket.
	s = append(s,
		opSpec{name: "GetObjectLockConfiguration", method: http.MethodGet, level: levelBucket, sub: "object-lock", action: "s3:GetBucketObjectLockConfiguration", readOnly: true},
		opSpec{name: "PutObjectLockConfiguration", method: http.MethodPut, level: levelBucket, sub: "object-lock", action: "s3:PutBucketObjectLockConfiguration"},
	)
	// Configurations addressed by id; a GET without an id lists them.
	for _, c := range []struct{ sub, name, get, put string }{
		{"analytics", "AnalyticsConfiguration", "s3:GetAnalyticsConfiguration", "s3:PutAnalyticsConfiguration"},
		{"inventory", "InventoryConfiguration", "s3:GetInventoryConfiguration", "s3:PutInventoryConfiguration"},
		{"metrics", "MetricsConfiguration", "s3:GetMetricsConfiguration", "s3:PutMetricsConfiguration"},
		{"intelligent-tiering", "IntelligentTieringConfiguration", "s3:GetIntelligentTieringConfiguration", "s3:PutIntelligentTieringConfiguration"},
	} {
		s = append(s,
			opSpec{name: "GetBucket" + c.name, method: http.MethodGet, level: levelBucket, sub: c.sub, also: []string{"id"}, action: c.get, readOnly: true},
			opSpec{name: "ListBucket" + c.name + "s", method: http.MethodGet, level: levelBucket, sub: c.sub, action: c.get, params: []string{"continuation-token"}, readOnly: true},
			opSpec{name: "PutBucket" + c.name, method: http.MethodPut, level: levelBucket, sub: c.sub, also: []string{"id"}, action: c.put},
			opSpec{name: "DeleteBucket" + c.name, method: http.MethodDelete, level: levelBucket, sub: c.sub, also: []string{"id"}, action: c.put},
		)
	}
	// PutBucketTagging reads the tags it sets.
	for i := range s {
		if s[i].name == "PutBucketTagging" {
			s[i].body = bodyBucketTagging
		}
	}
	return s
}()

// subresources are the query parameters that select an operation. A
// request naming one the matched operation does not expect is refused.
var subresources = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range specs {
		if s.sub != "" {
			m[s.sub] = true
		}
		for _, a := range s.also {
			m[a] = true
		}
	}
	// Subresources of operations Gatehouse does not serve.
	for _, k := range []string{"metadataTable", "metadataConfiguration", "abac", "session", "renameObject", "mtime", "encryptionConfiguration"} {
		m[k] = true
	}
	return m
}()

// presignParams are the query parameters of query-string authentication.
// They are checked by the verifier and never forwarded.
var presignParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"}

// isPresignParam reports whether a query parameter belongs to the
// signature of a presigned URL.
func isPresignParam(k string) bool {
	return slices.ContainsFunc(presignParams, func(p string) bool { return strings.EqualFold(p, k) })
}

// globalParams may accompany any operation: "x-id" is added by the AWS
// SDK for Go v2 and names the operation for tracing only.
var globalParams = []string{"x-id"}

// Operation is an S3 request recognised and mapped to the checks that
// authorise it.
type Operation struct {
	// Name is the S3 API operation, e.g. "GetObject".
	Name   string
	Bucket string
	Key    string
	// VersionID is the versionId query parameter, if any.
	VersionID string
	// Checks are what the principal must be allowed, all of them.
	Checks   []authz.Check
	ReadOnly bool

	spec *opSpec
	// copySource is the object a copy reads, if any.
	copySource *copySource
}

type copySource struct {
	Bucket, Key, VersionID string
}

// Arn formats S3 resource ARNs.
type Arn struct{ Partition string }

// Bucket returns the ARN of a bucket.
func (a Arn) Bucket(bucket string) string { return "arn:" + a.Partition + ":s3:::" + bucket }

// Object returns the ARN of an object.
func (a Arn) Object(bucket, key string) string {
	return "arn:" + a.Partition + ":s3:::" + bucket + "/" + key
}

// classify recognises an S3 request and lists the checks it needs. query
// holds the decoded parameters without the signing ones.
func classify(method string, t target, query url.Values, h http.Header, arns Arn) (*Operation, *s3Error) {
	lv := levelService
	switch {
	case t.Key != "":
		lv = levelObject
	case t.Bucket != "":
		lv = levelBucket
	}
	var spec *opSpec
	for i := range specs {
		s := &specs[i]
		if s.method != method || s.level != lv || !matches(s, query) {
			continue
		}
		spec = s
		break
	}
	if spec == nil {
		if method == http.MethodPost && lv == levelBucket && len(query) == 0 {
			return nil, errNotImplemented("POST Object (browser-based uploads) is not supported by the Gatehouse S3 gateway.")
		}
		return nil, errNotImplemented("The request is not an S3 operation the Gatehouse S3 gateway supports.")
	}
	for k, vs := range query {
		if len(vs) > 1 {
			// One value per parameter: two would leave it to the
			// upstream which one counts.
			return nil, &s3Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: "The query parameter " + k + " is repeated."}
		}
	}
	op := &Operation{Name: spec.name, Bucket: t.Bucket, Key: t.Key, ReadOnly: spec.readOnly, spec: spec}
	op.VersionID = query.Get("versionId")
	resource := "*"
	switch lv {
	case levelBucket:
		resource = arns.Bucket(t.Bucket)
	case levelObject:
		resource = arns.Object(t.Bucket, t.Key)
	}
	action := spec.action
	if _, ok := query["versionId"]; ok && spec.versionAction != "" {
		action = spec.versionAction
	}
	if spec.body != bodyDeleteObjects {
		op.Checks = append(op.Checks, authz.Check{Action: action, Resource: resource})
	}

	// Headers that make an operation do more than its name says need the
	// permissions of what they do.
	switch spec.name {
	case "PutObject", "UploadPart":
		if src := h.Get("X-Amz-Copy-Source"); src != "" {
			cs, err := parseCopySource(src)
			if err != nil {
				return nil, err
			}
			op.copySource = cs
			if spec.name == "PutObject" {
				op.Name = "CopyObject"
			} else {
				op.Name = "UploadPartCopy"
			}
			srcAction := "s3:GetObject"
			if cs.VersionID != "" {
				srcAction = "s3:GetObjectVersion"
			}
			op.Checks = append(op.Checks, authz.Check{Action: srcAction, Resource: arns.Object(cs.Bucket, cs.Key)})
		}
	default:
		if h.Get("X-Amz-Copy-Source") != "" {
			return nil, &s3Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: "x-amz-copy-source is not valid for " + spec.name + "."}
		}
	}
	switch spec.name {
	case "PutObject", "CreateMultipartUpload":
		if hasGrant(h) {
			op.Checks = append(op.Checks, authz.Check{Action: "s3:PutObjectAcl", Resource: resource})
		}
		if h.Get("X-Amz-Tagging") != "" && (op.copySource == nil || strings.EqualFold(h.Get("X-Amz-Tagging-Directive"), "REPLACE")) {
			op.Checks = append(op.Checks, authz.Check{Action: "s3:PutObjectTagging", Resource: resource})
		}
		if h.Get("X-Amz-Object-Lock-Mode") != "" || h.Get("X-Amz-Object-Lock-Retain-Until-Date") != "" {
			op.Checks = append(op.Checks, authz.Check{Action: "s3:PutObjectRetention", Resource: resource})
		}
		if h.Get("X-Amz-Object-Lock-Legal-Hold") != "" {
			op.Checks = append(op.Checks, authz.Check{Action: "s3:PutObjectLegalHold", Resource: resource})
		}
	case "CreateBucket":
		if hasGrant(h) {
			op.Checks = append(op.Checks, authz.Check{Action: "s3:PutBucketAcl", Resource: resource})
		}
		if strings.EqualFold(h.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true") {
			op.Checks = append(op.Checks,
				authz.Check{Action: "s3:PutBucketObjectLockConfiguration", Resource: resource},
				authz.Check{Action: "s3:PutBucketVersioning", Resource: resource})
		}
		if h.Get("X-Amz-Object-Ownership") != "" {
			op.Checks = append(op.Checks, authz.Check{Action: "s3:PutBucketOwnershipControls", Resource: resource})
		}
	case "DeleteObject", "PutObjectRetention":
		if strings.EqualFold(h.Get("X-Amz-Bypass-Governance-Retention"), "true") {
			op.Checks = append(op.Checks, authz.Check{Action: "s3:BypassGovernanceRetention", Resource: resource})
		}
	}
	return op, nil
}

// matches reports whether query selects s: its subresource (and the
// parameters that go with it) is present, no other subresource is, and
// every other parameter is one s accepts.
func matches(s *opSpec, query url.Values) bool {
	if s.sub != "" {
		vs, ok := query[s.sub]
		if !ok || (s.subValue != "" && (len(vs) != 1 || vs[0] != s.subValue)) {
			return false
		}
	}
	for _, a := range s.also {
		if _, ok := query[a]; !ok {
			return false
		}
	}
	for k := range query {
		switch {
		case k == s.sub || slices.Contains(s.also, k):
		case slices.Contains(s.params, k), slices.Contains(globalParams, k):
		case subresources[k]:
			return false
		default:
			return false
		}
	}
	return true
}

// hasGrant reports whether a request sets an ACL through headers.
func hasGrant(h http.Header) bool {
	for _, k := range []string{"X-Amz-Acl", "X-Amz-Grant-Full-Control", "X-Amz-Grant-Read", "X-Amz-Grant-Read-Acp", "X-Amz-Grant-Write", "X-Amz-Grant-Write-Acp"} {
		if h.Get(k) != "" {
			return true
		}
	}
	return false
}

// parseCopySource reads x-amz-copy-source: "bucket/key" or "/bucket/key",
// URL-encoded, with an optional "?versionId=…".
func parseCopySource(v string) (*copySource, *s3Error) {
	bad := &s3Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"}
	path, rawQuery, _ := strings.Cut(v, "?")
	path = strings.TrimPrefix(path, "/")
	bucket, rawKey, ok := strings.Cut(path, "/")
	if !ok || bucket == "" || rawKey == "" {
		return nil, bad
	}
	key, err := url.PathUnescape(rawKey)
	if err != nil {
		return nil, bad
	}
	if strings.HasPrefix(bucket, "arn:") {
		return nil, errNotImplemented("Copy sources named by access point ARN are not supported by the Gatehouse S3 gateway.")
	}
	if err := checkBucket(bucket); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	cs := &copySource{Bucket: bucket, Key: key}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil || len(q) != 1 || len(q["versionId"]) != 1 {
			return nil, bad
		}
		cs.VersionID = q.Get("versionId")
	}
	return cs, nil
}
