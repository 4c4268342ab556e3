package s3gw

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// target is the bucket and key a request addresses, and the path to send
// the upstream, which is always addressed path-style.
type target struct {
	Bucket string
	// Key is the decoded object key; empty for bucket and service
	// requests.
	Key string
	// upstreamPath is "/", "/bucket" or "/bucket/<key as the client
	// encoded it>".
	upstreamPath string
	// virtualHost reports that the bucket came from the Host header.
	virtualHost bool
}

// resolveTarget finds the bucket and key of r. A Host that is a subdomain
// of one of the gateway's domain names names the bucket (virtual-hosted
// style); otherwise the first path segment does (path style). rawPath is
// the path exactly as the client sent it, which is also what it signed.
func resolveTarget(r *http.Request, rawPath string, domains []string) (target, *s3Error) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	if rawPath == "" || rawPath[0] != '/' {
		return target{}, &s3Error{Status: http.StatusBadRequest, Code: "InvalidURI", Message: "Couldn't parse the specified URI."}
	}
	var t target
	var rawKey string
	for _, d := range domains {
		if bucket, ok := strings.CutSuffix(host, "."+d); ok && bucket != "" {
			t.Bucket, t.virtualHost = bucket, true
			rawKey = rawPath[1:]
			break
		}
	}
	if !t.virtualHost {
		rest := rawPath[1:]
		rawBucket, k, _ := strings.Cut(rest, "/")
		bucket, err := url.PathUnescape(rawBucket)
		if err != nil {
			return target{}, &s3Error{Status: http.StatusBadRequest, Code: "InvalidURI", Message: "Couldn't parse the specified URI."}
		}
		t.Bucket, rawKey = bucket, k
	}
	if t.Bucket == "" {
		if rawKey != "" {
			return target{}, &s3Error{Status: http.StatusBadRequest, Code: "InvalidURI", Message: "Couldn't parse the specified URI."}
		}
		t.upstreamPath = "/"
		return t, nil
	}
	if err := checkBucket(t.Bucket); err != nil {
		return target{}, err
	}
	key, err := url.PathUnescape(rawKey)
	if err != nil {
		return target{}, &s3Error{Status: http.StatusBadRequest, Code: "InvalidURI", Message: "Couldn't parse the specified URI."}
	}
	if serr := checkKey(key); serr != nil {
		return target{}, serr
	}
	t.Key = key
	t.upstreamPath = "/" + t.Bucket
	if key != "" {
		t.upstreamPath += "/" + rawKey
	}
	return t, nil
}

// checkBucket accepts bucket names S3 accepts: 3 to 63 characters of
// lowercase letters, digits, dots and hyphens (and, for buckets made before
// 2018 in us-east-1, uppercase letters and underscores). Anything else
// could not name a bucket, and characters such as "/" or "*" must never
// reach an ARN.
func checkBucket(b string) *s3Error {
	if len(b) < 3 || len(b) > 255 {
		return &s3Error{Status: http.StatusBadRequest, Code: "InvalidBucketName", Message: "The specified bucket is not valid."}
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return &s3Error{Status: http.StatusBadRequest, Code: "InvalidBucketName", Message: "The specified bucket is not valid."}
		}
	}
	return nil
}

// maxKeyBytes is S3's limit on key length.
const maxKeyBytes = 1024

// checkKey refuses keys the gateway cannot forward safely. S3 keys may
// contain "." and ".." segments, but an S3-compatible upstream behind the
// gateway might resolve them as a path would ("a/../../other-bucket/k"),
// reaching an object other than the one authorised; the gateway refuses
// them rather than trust every upstream to keep them literal.
func checkKey(k string) *s3Error {
	if len(k) > maxKeyBytes {
		return &s3Error{Status: http.StatusBadRequest, Code: "KeyTooLongError", Message: "Your key is too long"}
	}
	for seg := range strings.SplitSeq(k, "/") {
		if seg == "." || seg == ".." {
			return &s3Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: "Object keys with \".\" or \"..\" path segments are not accepted by the Gatehouse S3 gateway."}
		}
	}
	if strings.ContainsAny(k, "\\\x00") {
		return &s3Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: "Object keys with backslashes or NUL characters are not accepted by the Gatehouse S3 gateway."}
	}
	return nil
}
