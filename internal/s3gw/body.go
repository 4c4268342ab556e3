package s3gw

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// holdback passes a body through but keeps its last byte until the body
// has ended cleanly. Verification of a streamed body (a declared SHA-256,
// a chunk signature, a checksum trailer) concludes only at its end; with
// the last byte held, an upstream never receives all Content-Length bytes
// of a body that failed, so it cannot act on one.
type holdback struct {
	r    io.Reader
	held byte
	has  bool
	done bool
	err  error
}

func (h *holdback) Read(p []byte) (int, error) {
	switch {
	case h.err != nil:
		return 0, h.err
	case h.done:
		if h.has {
			h.has = false
			if len(p) == 0 {
				return 0, nil
			}
			p[0] = h.held
			return 1, nil
		}
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	off := 0
	if h.has {
		if len(p) == 1 {
			// No room for new data beside the held byte: read one byte
			// aside to learn whether the body goes on.
			var one [1]byte
			n, err := h.r.Read(one[:])
			switch {
			case err != nil && err != io.EOF:
				h.err = err
				return 0, err
			case n == 1:
				p[0], h.held = h.held, one[0]
				h.done = err == io.EOF
				return 1, nil
			case err == io.EOF:
				h.done, h.has = true, false
				p[0] = h.held
				return 1, nil
			}
			return 0, nil
		}
		p[0], off = h.held, 1
		h.has = false
	}
	n, err := h.r.Read(p[off:])
	total := off + n
	switch {
	case err == io.EOF:
		h.done = true
		if total == 0 {
			return 0, io.EOF
		}
		return total, nil
	case err != nil:
		h.err = err
		return 0, err
	case total == 0:
		return 0, nil
	}
	h.held, h.has = p[total-1], true
	return total - 1, nil
}

// deleteRequest is the <Delete> document of DeleteObjects.
type deleteRequest struct {
	XMLName xml.Name       `xml:"Delete"`
	Quiet   bool           `xml:"Quiet"`
	Objects []deleteObject `xml:"Object"`
}

type deleteObject struct {
	Key              string `xml:"Key"`
	VersionID        string `xml:"VersionId,omitempty"`
	ETag             string `xml:"ETag,omitempty"`
	LastModifiedTime string `xml:"LastModifiedTime,omitempty"`
	Size             string `xml:"Size,omitempty"`
}

// maxDeleteObjects is S3's limit of keys per DeleteObjects.
const maxDeleteObjects = 1000

func errMalformedXML() *s3Error {
	return &s3Error{Status: http.StatusBadRequest, Code: "MalformedXML", Message: "The XML you provided was not well-formed or did not validate against our published schema"}
}

// decideDeleteObjects asks one question per object named in the body:
// s3:DeleteObject, or s3:DeleteObjectVersion for a version.
func (x *exchange) decideDeleteObjects(set *authz.PolicySet, p *authz.Principal, c *policy.Context, dst []authz.Decision) ([]authz.Decision, error) {
	var req deleteRequest
	if err := xml.Unmarshal(x.body, &req); err != nil || len(req.Objects) == 0 || len(req.Objects) > maxDeleteObjects {
		return nil, errMalformedXML()
	}
	x.deletes = &req
	checks := make([]authz.Check, 0, len(req.Objects))
	for _, o := range req.Objects {
		action := x.op.spec.action
		if o.VersionID != "" {
			action = x.op.spec.versionAction
		}
		checks = append(checks, authz.Check{Action: action, Resource: x.g.arns.Object(x.op.Bucket, o.Key)})
	}
	x.op.Checks = checks
	return authz.EvaluateSet(set, p, checks, c, dst), nil
}

// deleteObjects forwards the objects the caller may delete and reports
// AccessDenied for the others in the DeleteResult, as S3 does per key.
func (x *exchange) deleteObjects(ds []authz.Decision) {
	g, r := x.g, x.r
	req := x.deletes
	allowed := make([]deleteObject, 0, len(req.Objects))
	var denied []deleteObject
	for i, o := range req.Objects {
		if ds[i].Allowed() {
			allowed = append(allowed, o)
		} else {
			denied = append(denied, o)
		}
	}
	authz.Annotate(x.ev, &x.cred.Principal, ds)
	if len(allowed) == 0 {
		x.ev.Fail("AccessDenied", msgAccessDenied)
	}
	if err := g.recordNow(r.Context(), x.ev); err != nil {
		g.log.Error("s3 gateway: audit write failed", "request_id", x.info.RequestID, "err", err)
		writeError(x.w, r, errInternal(), x.info.RequestID, g.hostID)
		return
	}
	errs := deniedErrors(denied)
	if len(allowed) == 0 {
		body := []byte(xml.Header + `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + errs + `</DeleteResult>`)
		x.w.Header().Set("Content-Type", "application/xml")
		x.w.Header().Set("X-Amz-Request-Id", x.info.RequestID)
		x.w.WriteHeader(http.StatusOK)
		x.w.Write(body)
		return
	}
	if len(denied) > 0 {
		rewritten, err := xml.Marshal(deleteRequest{Quiet: req.Quiet, Objects: allowed})
		if err != nil {
			writeError(x.w, r, errInternal(), x.info.RequestID, g.hostID)
			return
		}
		x.body, x.rewritten = rewritten, true
	}
	out, _, err := x.upstreamRequest(r.Context())
	if err != nil {
		writeError(x.w, r, errInternal(), x.info.RequestID, g.hostID)
		return
	}
	resp, err := g.transport.RoundTrip(out)
	if err != nil {
		g.log.Error("s3 gateway: upstream request failed", "request_id", x.info.RequestID, "operation", x.op.Name, "err", err)
		writeError(x.w, r, &s3Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "Please reduce your request rate."}, x.info.RequestID, g.hostID)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		writeError(x.w, r, errInternal(), x.info.RequestID, g.hostID)
		return
	}
	if resp.StatusCode == http.StatusOK && errs != "" {
		// Insert the refusals before the result's end tag.
		if i := bytes.LastIndex(body, []byte("</DeleteResult>")); i >= 0 {
			body = append(body[:i:i], append([]byte(errs), body[i:]...)...)
		}
	}
	h := x.w.Header()
	for k, vs := range resp.Header {
		if !hopByHop(k) && k != "Content-Length" {
			h[k] = vs
		}
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	x.w.WriteHeader(resp.StatusCode)
	x.w.Write(body)
}

// deniedErrors renders the <Error> elements of refused keys.
func deniedErrors(objs []deleteObject) string {
	var b strings.Builder
	for _, o := range objs {
		b.WriteString("<Error><Key>")
		xml.EscapeText(&b, []byte(o.Key))
		b.WriteString("</Key>")
		if o.VersionID != "" {
			b.WriteString("<VersionId>")
			xml.EscapeText(&b, []byte(o.VersionID))
			b.WriteString("</VersionId>")
		}
		b.WriteString("<Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
	}
	return b.String()
}

// bodyRewritten reports that a DeleteObjects body was cut down to the
// allowed keys, so its Content-MD5 and checksums must be computed again.
func (x *exchange) bodyRewritten() bool { return x.rewritten }

// tagging is the <Tagging> document of PutObjectTagging and
// PutBucketTagging.
type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Tags    []struct {
		Key   string `xml:"Key"`
		Value string `xml:"Value"`
	} `xml:"TagSet>Tag"`
}

// createBucketConfiguration is CreateBucket's optional body.
type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

// addBodyKeys adds the condition keys a small body carries.
func (x *exchange) addBodyKeys(c *policy.Context) error {
	switch x.op.spec.body {
	case bodyTagging, bodyBucketTagging:
		var t tagging
		if err := xml.Unmarshal(x.body, &t); err != nil {
			return errMalformedXML()
		}
		for _, tag := range t.Tags {
			if x.op.spec.body == bodyTagging {
				c.Add("s3:RequestObjectTag/"+tag.Key, tag.Value)
				c.Add("s3:RequestObjectTagKeys", tag.Key)
			} else {
				c.Add(policy.KeyRequestTagPrefix+tag.Key, tag.Value)
				c.Add(policy.KeyTagKeys, tag.Key)
			}
		}
	case bodyLocation:
		if len(bytes.TrimSpace(x.body)) == 0 {
			return nil
		}
		var cfg createBucketConfiguration
		if err := xml.Unmarshal(x.body, &cfg); err != nil {
			return errMalformedXML()
		}
		if cfg.LocationConstraint != "" {
			c.Add("s3:LocationConstraint", cfg.LocationConstraint)
		}
	}
	return nil
}

// objectTags reads an object's tags from the upstream, for
// s3:ExistingObjectTag conditions. An object that does not exist has none.
func (g *Gateway) objectTags(ctx context.Context, bucket, key, versionID string) (map[string]string, error) {
	q := "tagging"
	if versionID != "" {
		q += "&versionId=" + url.QueryEscape(versionID)
	}
	u := &url.URL{Scheme: g.upstream.Scheme, Host: g.upstream.Host, Opaque: "/" + bucket + "/" + escapeKey(key), RawQuery: q}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.URL = u
	req.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
	if err := g.signer.Sign(req, sigv4.EmptySHA256, g.cfg.UpstreamCredentials, g.cfg.UpstreamRegion, "s3", g.now()); err != nil {
		return nil, err
	}
	resp, err := g.transport.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("s3gw: read tags of %s/%s: %w", bucket, key, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("s3gw: read tags of %s/%s: %w", bucket, key, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, nil
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("s3gw: read tags of %s/%s: upstream answered %d: %.200s", bucket, key, resp.StatusCode, body)
	}
	var t tagging
	if err := xml.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("s3gw: read tags of %s/%s: %w", bucket, key, err)
	}
	tags := make(map[string]string, len(t.Tags))
	for _, tag := range t.Tags {
		tags[tag.Key] = tag.Value
	}
	return tags, nil
}

// escapeKey encodes a key for a path the way the AWS SDKs do: every byte
// but unreserved characters and "/" percent-encoded.
func escapeKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
