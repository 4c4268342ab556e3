package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// Instance is the Identity Center instance: one per deployment.
type Instance struct {
	InstanceID      string
	IdentityStoreID string
	OwnerAccountID  string
	Name            string
	Status          string
	CreatedAt       time.Time
}

// AccessKey is a long-term access key of an administrator principal.
type AccessKey struct {
	ID string
	// SecretSealed is the secret access key encrypted by the keyring; the
	// plaintext never reaches the database.
	SecretSealed []byte
	// PrincipalARN is the IAM identity the key signs as, for example
	// arn:aws:iam::123456789012:user/gatehouse-admin.
	PrincipalARN string
	AccountID    string
	// PrincipalID is the unique id of the IAM user the key belongs to
	// (AIDA…); empty for the bootstrap administrator's key.
	PrincipalID string
	Status      string // "Active" or "Inactive", as IAM spells them
	CreatedAt   time.Time
}

// User is a person in the identity store.
type User struct {
	ID string
	// UserName as given; UserNameKey is its normalized form, unique.
	UserName    string
	UserNameKey string
	// EmailKey is the normalized primary email, unique when set.
	EmailKey    string
	DisplayName string
	Status      string // ENABLED or DISABLED
	// Profile holds every other attribute, stored as one JSON document.
	Profile   UserProfile
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
	// Version counts writes; it starts at 1.
	Version int64
}

// RawUser is a User whose profile is left as the store holds it, for
// readers that copy the profile into JSON output without looking inside (a
// page of ListUsers) and so need not pay for decoding it.
type RawUser struct {
	ID          string
	UserName    string
	UserNameKey string
	EmailKey    string
	DisplayName string
	Status      string
	// Profile is the JSON encoding of the user's UserProfile exactly as
	// encoding/json wrote it: a compact object whose members are named by
	// UserProfile's tags, empty members omitted. Readers may rely on this
	// (it is what makes splicing the profile into other JSON safe), so a
	// store must keep the bytes as written, never a normalized form.
	Profile   json.RawMessage
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
	Version   int64
}

// Decode returns the user with its profile decoded, for the readers of raw
// users that need to look inside some profiles after all.
func (u RawUser) Decode() (User, error) {
	out := User{
		ID: u.ID, UserName: u.UserName, UserNameKey: u.UserNameKey, EmailKey: u.EmailKey, DisplayName: u.DisplayName,
		Status: u.Status, CreatedAt: u.CreatedAt, CreatedBy: u.CreatedBy, UpdatedAt: u.UpdatedAt, UpdatedBy: u.UpdatedBy,
		Version: u.Version,
	}
	if err := json.Unmarshal(u.Profile, &out.Profile); err != nil {
		return out, fmt.Errorf("store: decode profile of user %s: %w", u.ID, err)
	}
	return out, nil
}

// UserProfile holds the identity store attributes of a user that need no
// index. Field names follow the identitystore API.
type UserProfile struct {
	Name              *Name                      `json:"Name,omitempty"`
	NickName          string                     `json:"NickName,omitempty"`
	ProfileURL        string                     `json:"ProfileUrl,omitempty"`
	Emails            []Email                    `json:"Emails,omitempty"`
	Addresses         []Address                  `json:"Addresses,omitempty"`
	PhoneNumbers      []PhoneNumber              `json:"PhoneNumbers,omitempty"`
	UserType          string                     `json:"UserType,omitempty"`
	Title             string                     `json:"Title,omitempty"`
	PreferredLanguage string                     `json:"PreferredLanguage,omitempty"`
	Locale            string                     `json:"Locale,omitempty"`
	Timezone          string                     `json:"Timezone,omitempty"`
	Photos            []Photo                    `json:"Photos,omitempty"`
	Website           string                     `json:"Website,omitempty"`
	Birthdate         string                     `json:"Birthdate,omitempty"`
	Roles             []Role                     `json:"Roles,omitempty"`
	Extensions        map[string]json.RawMessage `json:"Extensions,omitempty"`
	ExternalIDs       []ExternalID               `json:"ExternalIds,omitempty"`
}

// Name is a user's structured name.
type Name struct {
	Formatted       string `json:"Formatted,omitempty"`
	FamilyName      string `json:"FamilyName,omitempty"`
	GivenName       string `json:"GivenName,omitempty"`
	MiddleName      string `json:"MiddleName,omitempty"`
	HonorificPrefix string `json:"HonorificPrefix,omitempty"`
	HonorificSuffix string `json:"HonorificSuffix,omitempty"`
}

// Email is an email address of a user.
type Email struct {
	Value   string `json:"Value,omitempty"`
	Type    string `json:"Type,omitempty"`
	Primary *bool  `json:"Primary,omitempty"`
}

// Address is a postal address of a user.
type Address struct {
	StreetAddress string `json:"StreetAddress,omitempty"`
	Locality      string `json:"Locality,omitempty"`
	Region        string `json:"Region,omitempty"`
	PostalCode    string `json:"PostalCode,omitempty"`
	Country       string `json:"Country,omitempty"`
	Formatted     string `json:"Formatted,omitempty"`
	Type          string `json:"Type,omitempty"`
	Primary       *bool  `json:"Primary,omitempty"`
}

// PhoneNumber is a phone number of a user.
type PhoneNumber struct {
	Value   string `json:"Value,omitempty"`
	Type    string `json:"Type,omitempty"`
	Primary *bool  `json:"Primary,omitempty"`
}

// Photo is a photo (data or URL) of a user.
type Photo struct {
	Value   string `json:"Value,omitempty"`
	Type    string `json:"Type,omitempty"`
	Display string `json:"Display,omitempty"`
	Primary *bool  `json:"Primary,omitempty"`
}

// Role is a job role of a user.
type Role struct {
	Value   string `json:"Value,omitempty"`
	Type    string `json:"Type,omitempty"`
	Primary *bool  `json:"Primary,omitempty"`
}

// ExternalID is an identifier issued by an external identity provider.
type ExternalID struct {
	Issuer string `json:"Issuer"`
	ID     string `json:"Id"`
}

// Group is a group of users.
type Group struct {
	ID             string
	DisplayName    string
	DisplayNameKey string
	Description    string
	ExternalIDs    []ExternalID
	CreatedAt      time.Time
	CreatedBy      string
	UpdatedAt      time.Time
	UpdatedBy      string
	Version        int64
}

// Membership says a user belongs to a group.
type Membership struct {
	ID        string
	GroupID   string
	UserID    string
	CreatedAt time.Time
	CreatedBy string
}

// AuditEvent is one stored CloudTrail-shaped event. The store keeps the
// event document as written and indexes a few fields for search.
type AuditEvent struct {
	// Seq is assigned by the store, increasing in commit order per replica.
	Seq       int64
	EventID   string
	Time      time.Time
	Source    string
	Name      string
	Principal string
	ErrorCode string
	// Document is the complete event as JSON.
	Document []byte
}
