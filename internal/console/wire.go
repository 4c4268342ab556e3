package console

import (
	"encoding/json"

	"github.com/gatehouse/gatehouse/internal/store"
)

// The shapes of the operations' inputs and outputs the console reads, as
// the service models name their members. Inputs are sent as maps or these
// structs, encoded to JSON exactly as a client would.

// enterprise is the identity store's enterprise extension.
const enterprise = "aws:identitystore:enterprise"

type wireUser struct {
	UserID            string                     `json:"UserId,omitempty"`
	UserName          string                     `json:"UserName,omitempty"`
	Name              *store.Name                `json:"Name,omitempty"`
	DisplayName       string                     `json:"DisplayName,omitempty"`
	NickName          string                     `json:"NickName,omitempty"`
	ProfileURL        string                     `json:"ProfileUrl,omitempty"`
	Emails            []store.Email              `json:"Emails,omitempty"`
	Addresses         []store.Address            `json:"Addresses,omitempty"`
	PhoneNumbers      []store.PhoneNumber        `json:"PhoneNumbers,omitempty"`
	UserType          string                     `json:"UserType,omitempty"`
	Title             string                     `json:"Title,omitempty"`
	PreferredLanguage string                     `json:"PreferredLanguage,omitempty"`
	Locale            string                     `json:"Locale,omitempty"`
	Timezone          string                     `json:"Timezone,omitempty"`
	UserStatus        string                     `json:"UserStatus,omitempty"`
	Website           string                     `json:"Website,omitempty"`
	Extensions        map[string]json.RawMessage `json:"Extensions,omitempty"`
	CreatedAt         float64                    `json:"CreatedAt,omitempty"`
	UpdatedAt         float64                    `json:"UpdatedAt,omitempty"`
	CreatedBy         string                     `json:"CreatedBy,omitempty"`
	UpdatedBy         string                     `json:"UpdatedBy,omitempty"`
}

// PrimaryEmail returns the user's first email address.
func (u wireUser) PrimaryEmail() string {
	for _, e := range u.Emails {
		if e.Value != "" {
			return e.Value
		}
	}
	return ""
}

type wireGroup struct {
	GroupID     string  `json:"GroupId"`
	DisplayName string  `json:"DisplayName"`
	Description string  `json:"Description"`
	CreatedAt   float64 `json:"CreatedAt,omitempty"`
	UpdatedAt   float64 `json:"UpdatedAt,omitempty"`
}

type wireMembership struct {
	MembershipID string `json:"MembershipId"`
	GroupID      string `json:"GroupId"`
	MemberID     struct {
		UserID string `json:"UserId"`
	} `json:"MemberId"`
}

type membershipsOut struct {
	GroupMemberships []wireMembership `json:"GroupMemberships"`
	NextToken        string           `json:"NextToken"`
}

type wireAssignment struct {
	AccountID        string `json:"AccountId"`
	PermissionSetArn string `json:"PermissionSetArn"`
	PrincipalID      string `json:"PrincipalId"`
	PrincipalType    string `json:"PrincipalType"`
}

type assignmentsOut struct {
	AccountAssignments []wireAssignment `json:"AccountAssignments"`
	NextToken          string           `json:"NextToken"`
}

type wirePermissionSet struct {
	PermissionSetArn string  `json:"PermissionSetArn"`
	Name             string  `json:"Name"`
	Description      string  `json:"Description"`
	SessionDuration  string  `json:"SessionDuration"`
	RelayState       string  `json:"RelayState"`
	CreatedDate      float64 `json:"CreatedDate"`
}

type wireDevice struct {
	DeviceID   string  `json:"DeviceId"`
	Type       string  `json:"Type"`
	Name       string  `json:"Name"`
	CreatedAt  float64 `json:"CreatedAt"`
	LastUsedAt float64 `json:"LastUsedAt"`
}

type wireSession struct {
	SessionID  string  `json:"SessionId"`
	CreatedAt  float64 `json:"CreatedAt"`
	ExpiresAt  float64 `json:"ExpiresAt"`
	LastSeenAt float64 `json:"LastSeenAt"`
	SourceIP   string  `json:"SourceIpAddress"`
	UserAgent  string  `json:"UserAgent"`
	Method     string  `json:"AuthenticationMethod"`
}

type wireConsoleAccess struct {
	UserID      string   `json:"UserId"`
	AccessLevel string   `json:"AccessLevel"`
	PolicyARNs  []string `json:"PolicyArns"`
	GrantedAt   float64  `json:"GrantedAt"`
	GrantedBy   string   `json:"GrantedBy"`
}

type wireAccount struct {
	ID     string `json:"Id"`
	Arn    string `json:"Arn"`
	Name   string `json:"Name"`
	Email  string `json:"Email"`
	Status string `json:"Status"`
}

type wireOU struct {
	ID   string `json:"Id"`
	Arn  string `json:"Arn"`
	Name string `json:"Name"`
}

// assignmentStatus is AccountAssignmentOperationStatus.
type assignmentStatus struct {
	Status           string  `json:"Status"`
	RequestID        string  `json:"RequestId"`
	FailureReason    string  `json:"FailureReason"`
	TargetID         string  `json:"TargetId"`
	TargetType       string  `json:"TargetType"`
	PermissionSetArn string  `json:"PermissionSetArn"`
	PrincipalType    string  `json:"PrincipalType"`
	PrincipalID      string  `json:"PrincipalId"`
	CreatedDate      float64 `json:"CreatedDate"`
}

// provisioningStatus is PermissionSetProvisioningStatus.
type provisioningStatus struct {
	Status           string  `json:"Status"`
	RequestID        string  `json:"RequestId"`
	AccountID        string  `json:"AccountId"`
	PermissionSetArn string  `json:"PermissionSetArn"`
	FailureReason    string  `json:"FailureReason"`
	CreatedDate      float64 `json:"CreatedDate"`
}
