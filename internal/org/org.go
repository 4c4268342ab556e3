// Package org is the AWS Organizations subset Identity Center needs: the
// organization of the instance, its management account (created on first
// start), member accounts, organizational units and their tags.
//
// CreateAccount is asynchronous, as in AWS: the call records a request in
// the IN_PROGRESS state and a background worker creates the account. The
// request record is the queue, so a restarted process or another replica
// finishes what one left behind.
package org

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/worker"
)

// Account statuses, joined methods and CreateAccount states, as
// Organizations spells them.
const (
	StatusActive = "ACTIVE"

	JoinedCreated = "CREATED"
	JoinedInvited = "INVITED"

	StateInProgress = "IN_PROGRESS"
	StateSucceeded  = "SUCCEEDED"
	StateFailed     = "FAILED"
)

// Child and parent types.
const (
	TypeAccount = "ACCOUNT"
	TypeOU      = "ORGANIZATIONAL_UNIT"
	TypeRoot    = "ROOT"
)

// Limits are the quotas of the organization.
type Limits struct {
	// Accounts bounds the accounts, the management account included.
	Accounts int
	// OrgUnits bounds the organizational units.
	OrgUnits int
	// OUDepth bounds how deep units nest under the root.
	OUDepth int
	// TagsPerResource bounds the tags of one account, unit or root.
	TagsPerResource int
}

// DefaultLimits are AWS's quotas, with the account quota raised to what
// Identity Center supports.
var DefaultLimits = Limits{Accounts: 7000, OrgUnits: 1000, OUDepth: 5, TagsPerResource: 50}

// Options configure the service.
type Options struct {
	Now    func() time.Time
	Log    *slog.Logger
	Limits Limits
	// Poll is how often the worker looks for requests queued elsewhere.
	Poll time.Duration
}

// Service manages the organization.
type Service struct {
	store  store.Store
	now    func() time.Time
	log    *slog.Logger
	limits Limits
	loop   *worker.Loop
	org    store.Organization
}

// New returns the organization service. Call Ensure before use and Start
// to run its worker.
func New(s store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	svc := &Service{store: s, now: o.Now, log: o.Log, limits: o.Limits}
	svc.loop = worker.New("create-account", svc.step, o.Poll, o.Log)
	return svc
}

// Start runs the CreateAccount worker.
func (s *Service) Start() { s.loop.Start() }

// Stop stops the worker; requests in progress stay queued.
func (s *Service) Stop() { s.loop.Stop() }

// Management describes the management account created on first start.
type Management struct {
	AccountID string
	Name      string
	Email     string
}

// Ensure returns the organization, creating it with its root and its
// management account when the store has none. Concurrent callers (replicas
// starting together) agree on one organization.
func (s *Service) Ensure(ctx context.Context, m Management) (store.Organization, error) {
	if o, err := s.store.GetOrganization(ctx); err == nil {
		s.org = o
		return o, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Organization{}, fmt.Errorf("org: read organization: %w", err)
	}
	at := s.now().UTC().Truncate(time.Second)
	o := store.Organization{
		ID: "o-" + randomLower(10), RootID: "r-" + randomLower(4), ManagementAccountID: m.AccountID,
		FeatureSet: "ALL", CreatedAt: at,
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		created, err := tx.CreateOrganization(ctx, o)
		if err != nil || !created {
			return err
		}
		if err := tx.CreateAccount(ctx, store.Account{
			ID: m.AccountID, Name: m.Name, Email: m.Email, EmailKey: emailKey(m.Email), Status: StatusActive,
			JoinedMethod: JoinedCreated, JoinedAt: at, ParentID: o.RootID,
		}); err != nil {
			return err
		}
		ev := audit.NewEvent(at, "organizations.amazonaws.com", "CreateOrganization")
		ev.EventType = "AwsServiceEvent"
		ev.UserIdentity = audit.UserIdentity{Type: "AWSService", PrincipalID: "gatehouse"}
		ev.RecipientAccountID = m.AccountID
		ev.ServiceEventDetails = map[string]any{"organizationId": o.ID, "rootId": o.RootID, "managementAccountId": m.AccountID}
		return audit.Stage(audit.NewContext(ctx, ev), tx, nil)
	})
	if err != nil {
		return store.Organization{}, fmt.Errorf("org: create organization: %w", err)
	}
	stored, err := s.store.GetOrganization(ctx)
	if err != nil {
		return store.Organization{}, fmt.Errorf("org: read back organization: %w", err)
	}
	s.org = stored
	return stored, nil
}

// Organization returns the organization (after Ensure).
func (s *Service) Organization() store.Organization { return s.org }

// AccountARN, OrgUnitARN, RootARN and OrganizationARN format the ARNs of
// the organization's resources.
func (s *Service) AccountARN(id string) string {
	return "arn:aws:organizations::" + s.org.ManagementAccountID + ":account/" + s.org.ID + "/" + id
}

// OrgUnitARN returns the ARN of an organizational unit.
func (s *Service) OrgUnitARN(id string) string {
	return "arn:aws:organizations::" + s.org.ManagementAccountID + ":ou/" + s.org.ID + "/" + id
}

// RootARN returns the ARN of the root.
func (s *Service) RootARN() string {
	return "arn:aws:organizations::" + s.org.ManagementAccountID + ":root/" + s.org.ID + "/" + s.org.RootID
}

// OrganizationARN returns the ARN of the organization.
func (s *Service) OrganizationARN() string {
	return "arn:aws:organizations::" + s.org.ManagementAccountID + ":organization/" + s.org.ID
}

// ---- faults ----

func withCode(kind fault.Kind, code, format string, args ...any) *fault.Error {
	f := fault.New(kind, format, args...)
	f.Code = code
	return f
}

func accountNotFound(id string) error {
	f := withCode(fault.NotFound, "AccountNotFoundException", "You specified an account that doesn't exist.")
	f.ResourceType, f.ResourceID = TypeAccount, id
	return f
}

func parentNotFound(code string) error {
	return withCode(fault.NotFound, code, "We can't find a root or OU with the ParentId that you specified.")
}

func ouNotFound(id string) error {
	f := withCode(fault.NotFound, "OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified.")
	f.ResourceType, f.ResourceID = TypeOU, id
	return f
}

func constraint(reason, format string, args ...any) error {
	f := withCode(fault.QuotaExceeded, "ConstraintViolationException", format, args...)
	f.Reason = reason
	return f
}

// InvalidInput returns the InvalidInputException fault with a reason.
func InvalidInput(reason, format string, args ...any) error {
	f := withCode(fault.Invalid, "InvalidInputException", format, args...)
	f.Reason = reason
	return f
}

// ---- identifiers ----

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomLower(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	for i, v := range b {
		b[i] = lowerAlnum[int(v)%len(lowerAlnum)]
	}
	return string(b)
}

// newRequestID returns a CreateAccount request id whose first characters
// are the creation time, so that ids list in creation order.
func newRequestID(at time.Time) string {
	var ts [8]byte
	n := uint64(at.UnixNano())
	for i := 7; i >= 0; i-- {
		ts[i] = byte(n)
		n >>= 8
	}
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	return "car-" + hex.EncodeToString(ts[:]) + hex.EncodeToString(rnd)
}

// emailKey normalizes an email address for uniqueness: NFKC, then lower
// case, as AWS treats addresses case-insensitively. (A cases.Caser would
// fold more, but it keeps state and cannot be shared between goroutines.)
func emailKey(email string) string {
	return strings.ToLower(norm.NFKC.String(strings.TrimSpace(email)))
}

func nameKey(name string) string { return strings.ToLower(norm.NFKC.String(name)) }

// clamp applies a listing's default and maximum page size.
func clamp(limit, max int) int {
	if limit <= 0 || limit > max {
		return max
	}
	return limit
}

// page trims a fetch of limit+1 rows to limit and says whether more follow.
func page[T any](rows []T, limit int) ([]T, bool) {
	if len(rows) > limit {
		return rows[:limit], true
	}
	return rows, false
}

// ---- tags ----

// checkTags validates tags given to a create or tag call.
func checkTags(tags []store.Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if seen[t.Key] {
			return InvalidInput("DUPLICATE_TAG_KEY", "You specified a duplicate tag key: %s.", t.Key)
		}
		seen[t.Key] = true
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return InvalidInput("INVALID_SYSTEM_TAGS_PARAMETER", "Tag keys that begin with aws: are reserved for AWS.")
		}
	}
	return nil
}

// tagResource adds tags inside tx, enforcing the per-resource limit.
func (s *Service) tagResource(ctx context.Context, tx store.Tx, id string, tags []store.Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	if err := tx.PutOrgTags(ctx, id, tags); err != nil {
		return err
	}
	all, err := tx.ListOrgTags(ctx, id)
	if err != nil {
		return err
	}
	if len(all) > s.limits.TagsPerResource {
		return constraint("MAX_TAG_LIMIT_EXCEEDED", "You have exceeded the number of tags allowed on this resource (%d).", s.limits.TagsPerResource)
	}
	return nil
}

// newAccountID returns a random 12-digit account id.
func newAccountID() string { return arn.NewAccountID() }
