// Package access is the heart of Identity Center: permission sets (what a
// person may do in an account and for how long), the policies on them,
// account assignments (who gets which permission set in which account),
// provisioning of permission sets into accounts as AWSReservedSSO_ roles,
// and the attributes-for-access-control configuration.
//
// Account assignment creation and deletion and permission set provisioning
// are asynchronous, as in AWS: a call records an IN_PROGRESS operation and
// a background worker finishes it. The operation record is the queue, so a
// restarted process or another replica finishes pending work. Provisioning
// of one (permission set, account) pair runs in one transaction that reads
// and rewrites the role, so concurrent provisionings serialise without lost
// updates (SQLite has one writer; PostgreSQL retries serialization
// failures).
package access

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/managedpolicy"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/worker"
)

// Resource types named in NotFound faults.
const (
	ResourcePermissionSet = "PERMISSION_SET"
	ResourceInstance      = "INSTANCE"
	ResourceAccount       = "ACCOUNT"
	ResourcePrincipal     = "PRINCIPAL"
	ResourceAssignment    = "ACCOUNT_ASSIGNMENT"
	ResourceOperation     = "REQUEST"
	ResourcePolicy        = "POLICY"
)

// Statuses of asynchronous operations.
const (
	StatusInProgress = "IN_PROGRESS"
	StatusSucceeded  = "SUCCEEDED"
	StatusFailed     = "FAILED"
)

// Principal and target types.
const (
	PrincipalUser  = "USER"
	PrincipalGroup = "GROUP"

	TargetAccount     = "AWS_ACCOUNT"
	TargetAllAccounts = "ALL_PROVISIONED_ACCOUNTS"
)

// RolePath is the IAM path of provisioned roles.
const RolePath = "/aws-reserved/sso.amazonaws.com/"

// Limits are the quotas of one instance.
type Limits struct {
	PermissionSets int
	// PoliciesPerSet bounds AWS-managed and customer-managed policies
	// attached to one permission set, together.
	PoliciesPerSet  int
	TagsPerResource int
	// InlinePolicyBytes bounds an inline policy document.
	InlinePolicyBytes int
	Attributes        int
}

// DefaultLimits are Identity Center's quotas.
var DefaultLimits = Limits{PermissionSets: 3500, PoliciesPerSet: 20, TagsPerResource: 50, InlinePolicyBytes: 32768, Attributes: 50}

// Options configure the service.
type Options struct {
	Now    func() time.Time
	Log    *slog.Logger
	Limits Limits
	// Poll is how often the worker looks for operations queued elsewhere.
	Poll time.Duration
	// Workers bounds how many operations one replica finishes at once.
	Workers int
}

// Service manages permission sets, assignments and provisioning for the
// instance.
type Service struct {
	store      store.Store
	catalogue  *managedpolicy.Catalogue
	instanceID string
	now        func() time.Time
	log        *slog.Logger
	limits     Limits
	workers    int
	loop       *worker.Loop
	handoff    handoffQueue
	poll       time.Duration
	lastClaim  atomic.Value // time.Time of the last claim from the store
}

// New returns the access service of the instance instanceID. Call Start to
// run its worker.
func New(s store.Store, catalogue *managedpolicy.Catalogue, instanceID string, o Options) *Service {
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
	if o.Workers <= 0 {
		o.Workers = 8
	}
	svc := &Service{store: s, catalogue: catalogue, instanceID: instanceID, now: o.Now, log: o.Log, limits: o.Limits, workers: o.Workers, poll: o.Poll}
	svc.lastClaim.Store(time.Time{})
	svc.loop = worker.New("sso-operations", svc.step, o.Poll, o.Log)
	return svc
}

// Start runs the worker that finishes asynchronous operations.
func (s *Service) Start() { s.loop.Start() }

// Stop stops the worker; unfinished operations stay queued.
func (s *Service) Stop() { s.loop.Stop() }

// Catalogue returns the AWS-managed policy catalogue in use.
func (s *Service) Catalogue() *managedpolicy.Catalogue { return s.catalogue }

// ---- ARNs ----

// InstanceARN returns the ARN of the instance.
func (s *Service) InstanceARN() string { return arn.InstanceARN(s.instanceID) }

// PermissionSetARN returns the ARN of a permission set.
func (s *Service) PermissionSetARN(id string) string {
	return "arn:aws:sso:::permissionSet/" + s.instanceID + "/" + id
}

// CheckInstance verifies that a caller-supplied instance ARN is this
// instance.
func (s *Service) CheckInstance(instanceARN string) error {
	if instanceARN != s.InstanceARN() {
		return fault.NotFoundf(ResourceInstance, instanceARN, "Could not find Instance with InstanceArn %s", instanceARN)
	}
	return nil
}

// PermissionSetID returns the id of a permission set ARN of this instance.
func (s *Service) PermissionSetID(psARN string) (string, error) {
	id, ok := strings.CutPrefix(psARN, "arn:aws:sso:::permissionSet/"+s.instanceID+"/")
	if !ok || !strings.HasPrefix(id, "ps-") || strings.Contains(id, "/") {
		return "", permissionSetNotFound(psARN)
	}
	return id, nil
}

// ---- faults ----

func permissionSetNotFound(ref string) error {
	return fault.NotFoundf(ResourcePermissionSet, ref, "Could not find PermissionSet with PermissionSetArn %s", ref)
}

func quota(format string, args ...any) error { return fault.New(fault.QuotaExceeded, format, args...) }

// translate maps a store "not found" to the fault notFound builds.
func translate(err error, notFound func() error) error {
	if errors.Is(err, store.ErrNotFound) && notFound != nil {
		return notFound()
	}
	return err
}

// ---- identifiers ----

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// newPermissionSetID returns ps- and 16 hex digits.
func newPermissionSetID() string { return "ps-" + randomHex(8) }

// newRequestID returns a version 7 UUID: time-ordered, so that operation
// ids list in creation order, and in the shape the model's UUId pattern
// accepts.
func newRequestID(at time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := uint64(at.UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(b[0:6], ts[2:8])
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// uniqueIDAlphabet is the alphabet of IAM unique ids after their prefix.
const uniqueIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newRoleID returns an IAM role unique id: AROA and 17 characters.
func newRoleID() string {
	b := make([]byte, 17)
	_, _ = rand.Read(b)
	for i, v := range b {
		b[i] = uniqueIDAlphabet[v%32]
	}
	return "AROA" + string(b)
}

// clamp applies a listing's default and maximum page size.
func clamp(limit int) int {
	if limit <= 0 || limit > 100 {
		return 100
	}
	return limit
}

func page[T any](rows []T, limit int) ([]T, bool) {
	if len(rows) > limit {
		return rows[:limit], true
	}
	return rows, false
}

// ---- instance ----

// Instance returns the instance record.
func (s *Service) Instance(ctx context.Context) (store.Instance, error) {
	return s.store.GetInstance(ctx)
}

// UpdateInstanceName renames the instance.
func (s *Service) UpdateInstanceName(ctx context.Context, name string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.SetInstanceName(ctx, name); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// ---- tags ----

// instanceTagID is the resource id under which the instance's tags are
// stored.
const instanceTagID = "instance"

// tagTarget returns the tag-store id of a taggable ARN: the instance or a
// permission set of this instance.
func (s *Service) tagTarget(ctx context.Context, r store.Reader, resourceARN string) (string, error) {
	if resourceARN == s.InstanceARN() {
		return instanceTagID, nil
	}
	id, err := s.PermissionSetID(resourceARN)
	if err != nil {
		return "", fault.NotFoundf("RESOURCE", resourceARN, "Could not find resource with ResourceArn %s", resourceARN)
	}
	if _, err := r.GetPermissionSet(ctx, id); err != nil {
		return "", translate(err, func() error { return permissionSetNotFound(resourceARN) })
	}
	return id, nil
}

func checkTags(tags []store.Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if seen[t.Key] {
			return fault.Invalidf("Duplicate tag key %s", t.Key)
		}
		seen[t.Key] = true
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return fault.Invalidf("Tag keys that begin with aws: are reserved for AWS use")
		}
	}
	return nil
}

func (s *Service) putTags(ctx context.Context, tx store.Tx, id string, tags []store.Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	if err := tx.PutSSOTags(ctx, id, tags); err != nil {
		return err
	}
	all, err := tx.ListSSOTags(ctx, id)
	if err != nil {
		return err
	}
	if len(all) > s.limits.TagsPerResource {
		return quota("The resource would have more than %d tags", s.limits.TagsPerResource)
	}
	return nil
}

// TagResource adds or replaces tags of the instance or a permission set.
func (s *Service) TagResource(ctx context.Context, resourceARN string, tags []store.Tag) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		id, err := s.tagTarget(ctx, tx, resourceARN)
		if err != nil {
			return err
		}
		if err := s.putTags(ctx, tx, id, tags); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// UntagResource removes tags by key.
func (s *Service) UntagResource(ctx context.Context, resourceARN string, keys []string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		id, err := s.tagTarget(ctx, tx, resourceARN)
		if err != nil {
			return err
		}
		if err := tx.DeleteSSOTags(ctx, id, keys); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// ListTags returns the tags of the instance or a permission set.
func (s *Service) ListTags(ctx context.Context, resourceARN string) ([]store.Tag, error) {
	id, err := s.tagTarget(ctx, s.store, resourceARN)
	if err != nil {
		return nil, err
	}
	return s.store.ListSSOTags(ctx, id)
}
