package policy

import (
	"unicode"
	"unicode/utf8"
)

// Well-known condition context keys that Gatehouse callers provide. Keys are
// case-insensitive; these constants use the spelling of the IAM User Guide.
const (
	KeyPrincipalArn           = "aws:PrincipalArn"
	KeyPrincipalAccount       = "aws:PrincipalAccount"
	KeyPrincipalType          = "aws:PrincipalType"
	KeyUserID                 = "aws:userid"
	KeyUsername               = "aws:username"
	KeyPrincipalTagPrefix     = "aws:PrincipalTag/"
	KeyMultiFactorAuthPresent = "aws:MultiFactorAuthPresent"
	KeyMultiFactorAuthAge     = "aws:MultiFactorAuthAge"
	KeyTokenIssueTime         = "aws:TokenIssueTime"
	KeyCurrentTime            = "aws:CurrentTime"
	KeyEpochTime              = "aws:EpochTime"
	KeySourceIP               = "aws:SourceIp"
	KeySecureTransport        = "aws:SecureTransport"
	KeyRequestedRegion        = "aws:RequestedRegion"
	KeyResourceTagPrefix      = "aws:ResourceTag/"
	KeyRequestTagPrefix       = "aws:RequestTag/"
	KeyTagKeys                = "aws:TagKeys"
	KeyS3Prefix               = "s3:prefix"

	// KeyUserAttributePrefix is the Gatehouse extension for attributes of
	// the signed-in Identity Store user: the caller adds
	// "identitystore:UserAttribute/<attr>" keys, and policies use them as
	// condition keys or as variables like ${identitystore:UserAttribute/department}.
	KeyUserAttributePrefix = "identitystore:UserAttribute/"
)

// Context is the request context: condition keys and their values. It is
// designed to be owned by the caller and reused: [Context.Reset] keeps the
// backing storage, so filling and evaluating a warm Context allocates
// nothing. The zero value is an empty context. A Context is not safe for
// concurrent mutation; evaluation only reads it.
type Context struct {
	entries []ctxEntry
	// names holds every key, lowercased, back to back; entries point into it.
	names []byte
	// values holds every value; each entry owns a contiguous range.
	values []string
}

type ctxEntry struct {
	// hash is a hash of the lowercased name, so that Add compares names
	// only when the hashes agree.
	hash               uint32
	nameStart, nameEnd int32
	valStart, valEnd   int32
}

// Reset empties the context, keeping its storage for reuse.
func (c *Context) Reset() {
	c.entries = c.entries[:0]
	c.names = c.names[:0]
	clear(c.values) // drop references so old values can be collected
	c.values = c.values[:0]
}

// Add appends value to key's values, creating the key if needed. Adding a
// second value makes the key multivalued, which the set qualifiers
// ForAllValues and ForAnyValue test; a multivalued key is never substituted
// for a policy variable. Keys are case-insensitive.
func (c *Context) Add(key, value string) {
	h := hashLower(key)
	i := c.findHashed(key, h)
	if i < 0 {
		start := int32(len(c.names))
		c.names = appendLower(c.names, key)
		c.entries = append(c.entries, ctxEntry{
			hash:      h,
			nameStart: start, nameEnd: int32(len(c.names)),
			valStart: int32(len(c.values)), valEnd: int32(len(c.values)) + 1,
		})
		c.values = append(c.values, value)
		return
	}
	e := &c.entries[i]
	if int(e.valEnd) != len(c.values) {
		// The key's values are not at the tail: move them there so that its
		// range stays contiguous. Only happens when keys are interleaved.
		start := int32(len(c.values))
		c.values = append(c.values, c.values[e.valStart:e.valEnd]...)
		e.valStart, e.valEnd = start, int32(len(c.values))
	}
	c.values = append(c.values, value)
	e.valEnd++
}

// AddBool adds "true" or "false" for key, the spelling the Bool operator
// compares against.
func (c *Context) AddBool(key string, v bool) {
	if v {
		c.Add(key, "true")
	} else {
		c.Add(key, "false")
	}
}

// Values returns key's values, or nil when the key is absent. The slice
// aliases the context's storage and is valid until the next mutation.
func (c *Context) Values(key string) []string {
	i := c.find(key)
	if i < 0 {
		return nil
	}
	e := c.entries[i]
	return c.values[e.valStart:e.valEnd:e.valEnd]
}

// Len returns the number of distinct keys.
func (c *Context) Len() int { return len(c.entries) }

// find locates key by case-insensitive comparison without building the
// lowercased key, so Add allocates nothing once the context is warm.
func (c *Context) find(key string) int { return c.findHashed(key, hashLower(key)) }

func (c *Context) findHashed(key string, h uint32) int {
	for i, e := range c.entries {
		if e.hash == h && equalLower(c.names[e.nameStart:e.nameEnd], key) {
			return i
		}
	}
	return -1
}

// hashLower is FNV-1a over the bytes appendLower would produce.
func hashLower(s string) uint32 {
	const prime = 16777619
	h := uint32(2166136261)
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			h = (h ^ uint32(b)) * prime
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], unicode.ToLower(r))
		for _, x := range buf[:n] {
			h = (h ^ uint32(x)) * prime
		}
		i += w
	}
	return h
}

// lookup returns the values of a key that is already lowercased (compiled
// policies lowercase their keys once). The comparison converts the stored
// bytes to a string only for the comparison, which does not allocate.
func (c *Context) lookup(lower string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	for _, e := range c.entries {
		if string(c.names[e.nameStart:e.nameEnd]) == lower {
			if e.valEnd == e.valStart {
				return nil, false
			}
			return c.values[e.valStart:e.valEnd], true
		}
	}
	return nil, false
}

// single returns the value of a single-valued key for variable substitution.
func (c *Context) single(lower string) (string, bool) {
	v, ok := c.lookup(lower)
	if !ok || len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// appendLower appends the lowercase form of s, rune by rune, exactly as
// lowerKey does (invalid UTF-8 becomes U+FFFD in both).
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			dst = append(dst, b)
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += w
	}
	return dst
}

// equalLower reports whether lowered equals the lowercase form of s.
func equalLower(lowered []byte, s string) bool {
	j := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if j >= len(lowered) || lowered[j] != b {
				return false
			}
			j++
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		lr := unicode.ToLower(r)
		n := utf8.RuneLen(lr)
		if n < 0 {
			n = 3 // RuneError is encoded as U+FFFD
			lr = utf8.RuneError
		}
		if j+n > len(lowered) {
			return false
		}
		got, gw := utf8.DecodeRune(lowered[j:])
		if got != lr || gw != n {
			return false
		}
		j += n
		i += w
	}
	return j == len(lowered)
}

// Caller identifies who makes a request, for matching the Principal and
// NotPrincipal elements of resource-based policies. The zero value (or a nil
// *Caller) is an anonymous caller.
type Caller struct {
	// Account is the 12-digit account of an IAM or STS principal.
	Account string
	// ARN is the IAM identity: a user ARN, or for a role session the role
	// ARN (arn:aws:iam::<account>:role/<name>), as in aws:PrincipalArn.
	ARN string
	// SessionARN is the assumed-role session ARN
	// (arn:aws:sts::<account>:assumed-role/<role>/<session>), if any.
	SessionARN string
	// Service is a service principal such as "s3.amazonaws.com".
	Service string
	// Federated is a web-identity or SAML provider principal.
	Federated string
	// CanonicalUser is an S3 canonical user ID.
	CanonicalUser string
}

// Request is one authorization question: may the caller perform Action on
// Resource, given Context? Requests hold only references, so building one
// per call does not allocate when it lives on the stack.
type Request struct {
	// Action is "service:Operation", matched case-insensitively.
	Action string
	// Resource is the ARN of the resource, or "*" for actions that do not
	// act on a specific resource. Matched case-sensitively.
	Resource string
	// Context holds the condition keys; nil means no keys.
	Context *Context
	// Caller is used only by resource-based policies; nil is anonymous.
	Caller *Caller
}
