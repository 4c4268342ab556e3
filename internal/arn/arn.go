// Package arn parses and formats Amazon Resource Names and generates the
// AWS-shaped identifiers Gatehouse hands out (instance ids, identity store
// ids, account ids, resource UUIDs, access keys).
//
// Real clients validate many of these shapes with the patterns of the AWS
// service models, so the formats here follow those patterns exactly.
package arn

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// ARN is a parsed Amazon Resource Name:
// arn:partition:service:region:account:resource.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	// Resource is everything after the fifth colon, colons included.
	Resource string
}

// Parse splits s into its ARN fields. It checks only the frame (prefix and
// number of fields); each service validates its own resource part.
func Parse(s string) (ARN, error) {
	if !strings.HasPrefix(s, "arn:") {
		return ARN{}, errors.New("arn: missing \"arn:\" prefix")
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return ARN{}, errors.New("arn: not enough sections")
	}
	if parts[1] == "" || parts[2] == "" {
		return ARN{}, errors.New("arn: empty partition or service")
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, nil
}

// String formats the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// randomHex returns n random bytes as lower-case hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b)
}

// NewInstanceID returns an Identity Center instance id: ssoins- and 16 hex digits.
func NewInstanceID() string { return "ssoins-" + randomHex(8) }

// InstanceARN formats the ARN of an Identity Center instance.
func InstanceARN(instanceID string) string { return "arn:aws:sso:::instance/" + instanceID }

// NewIdentityStoreID returns an identity store id: d- and 10 hex digits.
func NewIdentityStoreID() string { return "d-" + randomHex(5) }

// NewAccountID returns a random 12-digit AWS account id. The first digit is
// never 0 so that tools which treat account ids as numbers keep all 12 digits.
func NewAccountID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	out := make([]byte, 12)
	for i, v := range b {
		out[i] = '0' + v%10
	}
	if out[0] == '0' {
		out[0] = '1' + b[0]%9
	}
	return string(out)
}

// NewUUID returns a random (version 4) UUID in its canonical lower-case form.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(&b)
}

// formatUUID writes the 8-4-4-4-12 hex form. Every request takes one or
// two UUIDs (request id, event id), so this avoids fmt's reflection.
func formatUUID(b *[16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:16])
	return string(out[:])
}

// NewTimeUUID returns a version 7 UUID: its first 48 bits are the Unix time
// in milliseconds, so ids made later sort later. Used where ids are inserted
// into an index at a high rate (audit event ids): appending to a B-tree
// touches one page, scattering random ids touches one page each.
func NewTimeUUID(now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[6:])
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(&b)
}

// NewResourceID returns an identity store resource id (user, group or
// membership) the way Identity Center forms them: the identity store's hex
// part, a dash and a UUID, as in "906722b2be-1a2b3c4d-...".
func NewResourceID(identityStoreID string) string {
	return strings.TrimPrefix(identityStoreID, "d-") + "-" + NewUUID()
}

// keyAlphabet is the alphabet of AWS access key ids after their prefix.
const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// NewAccessKeyID returns a 20-character access key id with the given
// 4-character prefix: "AKIA" for long-term keys, "ASIA" for temporary ones.
func NewAccessKeyID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	out := make([]byte, 0, 20)
	out = append(out, prefix...)
	for _, v := range b {
		out = append(out, keyAlphabet[v%32])
	}
	return string(out)
}

// secretAlphabet is the alphabet of AWS secret access keys.
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// NewSecretAccessKey returns a 40-character secret access key.
func NewSecretAccessKey() string {
	b := make([]byte, 40)
	_, _ = rand.Read(b)
	for i, v := range b {
		b[i] = secretAlphabet[v%64]
	}
	return string(b)
}
