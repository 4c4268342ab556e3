package s3gw

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// requestFacts are what the gateway knows of a request beyond its
// operation, for the condition keys.
type requestFacts struct {
	r        *http.Request
	query    url.Values
	sig      *sigv4.Result
	sourceIP string
	region   string
	now      time.Time
}

// headerKeys maps request headers to the S3 condition keys that carry
// their values on write operations (PutObject, CopyObject,
// CreateMultipartUpload).
var headerKeys = []struct{ header, key string }{
	{"X-Amz-Acl", "s3:x-amz-acl"},
	{"X-Amz-Grant-Full-Control", "s3:x-amz-grant-full-control"},
	{"X-Amz-Grant-Read", "s3:x-amz-grant-read"},
	{"X-Amz-Grant-Read-Acp", "s3:x-amz-grant-read-acp"},
	{"X-Amz-Grant-Write", "s3:x-amz-grant-write"},
	{"X-Amz-Grant-Write-Acp", "s3:x-amz-grant-write-acp"},
	{"X-Amz-Metadata-Directive", "s3:x-amz-metadata-directive"},
	{"X-Amz-Server-Side-Encryption", "s3:x-amz-server-side-encryption"},
	{"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "s3:x-amz-server-side-encryption-aws-kms-key-id"},
	{"X-Amz-Server-Side-Encryption-Customer-Algorithm", "s3:x-amz-server-side-encryption-customer-algorithm"},
	{"X-Amz-Storage-Class", "s3:x-amz-storage-class"},
	{"X-Amz-Website-Redirect-Location", "s3:x-amz-website-redirect-location"},
	{"X-Amz-Object-Lock-Mode", "s3:object-lock-mode"},
	{"X-Amz-Object-Lock-Retain-Until-Date", "s3:object-lock-retain-until-date"},
	{"X-Amz-Object-Lock-Legal-Hold", "s3:object-lock-legal-hold"},
	{"If-None-Match", "s3:if-none-match"},
	{"If-Match", "s3:if-match"},
}

// aclKeys are the header keys of ACL-setting operations.
var aclKeys = headerKeys[:6]

// addRequestKeys adds the condition keys of the request itself: the
// global ones every service has, S3's authentication keys, and the keys
// of the operation.
func addRequestKeys(c *policy.Context, op *Operation, f *requestFacts) {
	r := f.r
	c.Add(policy.KeySourceIP, f.sourceIP)
	c.AddBool(policy.KeySecureTransport, r.TLS != nil)
	c.Add(policy.KeyRequestedRegion, f.region)
	if ua := r.UserAgent(); ua != "" {
		c.Add("aws:UserAgent", ua)
	}
	if ref := r.Referer(); ref != "" {
		c.Add("aws:Referer", ref)
	}
	if f.sig.Presigned {
		c.Add("s3:authType", "REST-QUERY-STRING")
	} else {
		c.Add("s3:authType", "REST-HEADER")
	}
	c.Add("s3:signatureversion", sigv4.Algorithm)
	age := max(f.now.Sub(f.sig.SigningTime).Milliseconds(), 0)
	c.Add("s3:signatureAge", strconv.FormatInt(age, 10))
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" {
		c.Add("s3:x-amz-content-sha256", v)
	}
	if r.TLS != nil {
		switch r.TLS.Version {
		case tls.VersionTLS12:
			c.Add("s3:TlsVersion", "1.2")
		case tls.VersionTLS13:
			c.Add("s3:TlsVersion", "1.3")
		}
	}
	if op.VersionID != "" {
		c.Add("s3:VersionId", op.VersionID)
	}

	spec := op.spec
	if spec.listKeys {
		for _, k := range []string{"prefix", "delimiter", "max-keys"} {
			// A parameter sent empty is present with the empty value; one
			// not sent leaves its key absent (docs/s3-gateway.md).
			if vs, ok := f.query[k]; ok {
				c.Add("s3:"+k, vs[0])
			}
		}
	}
	switch {
	case spec.writeKeys:
		addHeaderKeys(c, r.Header, headerKeys)
		if op.copySource != nil {
			c.Add("s3:x-amz-copy-source", op.copySource.Bucket+"/"+op.copySource.Key)
		}
		if tags := r.Header.Get("X-Amz-Tagging"); tags != "" {
			addRequestTags(c, tags)
		}
	case spec.name == "PutObjectAcl" || spec.name == "PutBucketAcl" || spec.name == "CreateBucket":
		addHeaderKeys(c, r.Header, aclKeys)
		if spec.name == "CreateBucket" {
			if v := r.Header.Get("X-Amz-Object-Ownership"); v != "" {
				c.Add("s3:x-amz-object-ownership", v)
			}
		}
	}
}

func addHeaderKeys(c *policy.Context, h http.Header, keys []struct{ header, key string }) {
	for _, hk := range keys {
		if v := h.Get(hk.header); v != "" {
			c.Add(hk.key, v)
		}
	}
}

// addRequestTags adds the tags of an x-amz-tagging header ("k1=v1&k2=v2",
// URL-encoded) as s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys.
func addRequestTags(c *policy.Context, header string) {
	q, err := url.ParseQuery(header)
	if err != nil {
		return
	}
	for k, vs := range q {
		c.Add("s3:RequestObjectTagKeys", k)
		for _, v := range vs {
			c.Add("s3:RequestObjectTag/"+k, v)
		}
	}
}
