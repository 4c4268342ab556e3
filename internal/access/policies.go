package access

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ValidatePolicyDocument checks an identity-based policy document: the IAM
// grammar, the Version ("2012-10-17" or "2008-10-17") and the size limit.
// The fault's message names the offending element.
func ValidatePolicyDocument(doc string, maxBytes int) error {
	if len(doc) > maxBytes {
		return fault.Invalidf("The policy document is %d bytes; the maximum is %d bytes", len(doc), maxBytes)
	}
	if _, err := policy.Parse([]byte(doc), policy.IdentityBased); err != nil {
		var ve *policy.ValidationError
		if errors.As(err, &ve) {
			return fault.Invalidf("The policy document is not valid: %s", ve.Error())
		}
		return fault.Invalidf("The policy document is not valid: %s", err.Error())
	}
	return nil
}

// policyCount returns how many managed and customer-managed policies a
// permission set has.
func policyCount(ctx context.Context, r store.Reader, psID string) (int, error) {
	m, err := r.ListManagedPolicyAttachments(ctx, psID)
	if err != nil {
		return 0, err
	}
	c, err := r.ListCustomerPolicyRefs(ctx, psID)
	if err != nil {
		return 0, err
	}
	return len(m) + len(c), nil
}

func (s *Service) managedPolicy(arn string) (string, error) {
	p, ok := s.catalogue.Get(arn)
	if !ok {
		return "", fault.NotFoundf(ResourcePolicy, arn, "Policy %s does not exist or is not attachable", arn)
	}
	return p.Name, nil
}

// AttachManagedPolicy attaches an AWS-managed policy of the catalogue.
func (s *Service) AttachManagedPolicy(ctx context.Context, psID, arn string) error {
	name, err := s.managedPolicy(arn)
	if err != nil {
		return err
	}
	return s.changePermissionSet(ctx, psID, func(tx store.Tx, ps *store.PermissionSet) error {
		n, err := policyCount(ctx, tx, psID)
		if err != nil {
			return err
		}
		if n >= s.limits.PoliciesPerSet {
			return quota("A permission set can have at most %d managed and customer managed policies", s.limits.PoliciesPerSet)
		}
		err = tx.AttachManagedPolicy(ctx, store.ManagedPolicyAttachment{PermissionSetID: psID, ARN: arn, Name: name, AttachedAt: s.now().UTC()})
		if _, ok := store.IsConflict(err); ok {
			return fault.Conflictf("", "Managed policy %s is already attached to the permission set", arn)
		}
		return err
	})
}

// DetachManagedPolicy detaches an AWS-managed policy.
func (s *Service) DetachManagedPolicy(ctx context.Context, psID, arn string) error {
	return s.changePermissionSet(ctx, psID, func(tx store.Tx, ps *store.PermissionSet) error {
		err := tx.DetachManagedPolicy(ctx, psID, arn)
		return translate(err, func() error {
			return fault.NotFoundf(ResourcePolicy, arn, "Managed policy %s is not attached to the permission set", arn)
		})
	})
}

// ListManagedPolicies returns the AWS-managed policies of a permission set.
func (s *Service) ListManagedPolicies(ctx context.Context, psID string) ([]store.ManagedPolicyAttachment, error) {
	if _, err := s.GetPermissionSet(ctx, psID); err != nil {
		return nil, err
	}
	return s.store.ListManagedPolicyAttachments(ctx, psID)
}

// normalizeRef applies the default path "/".
func normalizeRef(ref store.CustomerPolicyRef) store.CustomerPolicyRef {
	if ref.Path == "" {
		ref.Path = "/"
	}
	return ref
}

// AttachCustomerManagedPolicy attaches a customer-managed policy reference,
// resolved in each account at provisioning time.
func (s *Service) AttachCustomerManagedPolicy(ctx context.Context, psID string, ref store.CustomerPolicyRef) error {
	ref = normalizeRef(ref)
	return s.changePermissionSet(ctx, psID, func(tx store.Tx, ps *store.PermissionSet) error {
		n, err := policyCount(ctx, tx, psID)
		if err != nil {
			return err
		}
		if n >= s.limits.PoliciesPerSet {
			return quota("A permission set can have at most %d managed and customer managed policies", s.limits.PoliciesPerSet)
		}
		err = tx.AttachCustomerPolicyRef(ctx, psID, ref)
		if _, ok := store.IsConflict(err); ok {
			return fault.Conflictf("", "Customer managed policy %s%s is already attached to the permission set", ref.Path, ref.Name)
		}
		return err
	})
}

// DetachCustomerManagedPolicy detaches a customer-managed policy reference.
func (s *Service) DetachCustomerManagedPolicy(ctx context.Context, psID string, ref store.CustomerPolicyRef) error {
	ref = normalizeRef(ref)
	return s.changePermissionSet(ctx, psID, func(tx store.Tx, ps *store.PermissionSet) error {
		return translate(tx.DetachCustomerPolicyRef(ctx, psID, ref), func() error {
			return fault.NotFoundf(ResourcePolicy, ref.Path+ref.Name, "Customer managed policy %s%s is not attached to the permission set", ref.Path, ref.Name)
		})
	})
}

// ListCustomerManagedPolicies returns the customer-managed policy
// references of a permission set.
func (s *Service) ListCustomerManagedPolicies(ctx context.Context, psID string) ([]store.CustomerPolicyRef, error) {
	if _, err := s.GetPermissionSet(ctx, psID); err != nil {
		return nil, err
	}
	return s.store.ListCustomerPolicyRefs(ctx, psID)
}

// PutInlinePolicy sets the inline policy after validating it as an IAM
// policy document.
func (s *Service) PutInlinePolicy(ctx context.Context, psID, doc string) error {
	if err := ValidatePolicyDocument(doc, s.limits.InlinePolicyBytes); err != nil {
		return err
	}
	return s.changePermissionSet(ctx, psID, func(tx store.Tx, ps *store.PermissionSet) error {
		ps.InlinePolicy = doc
		return nil
	})
}

// GetInlinePolicy returns the inline policy, or "" when there is none.
func (s *Service) GetInlinePolicy(ctx context.Context, psID string) (string, error) {
	ps, err := s.GetPermissionSet(ctx, psID)
	return ps.InlinePolicy, err
}

// DeleteInlinePolicy removes the inline policy.
func (s *Service) DeleteInlinePolicy(ctx context.Context, psID string) error {
	return s.changePermissionSet(ctx, psID, func(tx store.Tx, ps *store.PermissionSet) error {
		ps.InlinePolicy = ""
		return nil
	})
}

// PutPermissionsBoundary sets the permissions boundary: exactly one of an
// AWS-managed policy or a customer-managed policy reference.
func (s *Service) PutPermissionsBoundary(ctx context.Context, psID string, b store.Boundary) error {
	switch {
	case b.ManagedPolicyARN != "" && b.CustomerPolicy != nil:
		return fault.Invalidf("permissionsBoundary: specify either a ManagedPolicyArn or a CustomerManagedPolicyReference, not both")
	case b.ManagedPolicyARN == "" && b.CustomerPolicy == nil:
		return fault.Invalidf("permissionsBoundary: specify a ManagedPolicyArn or a CustomerManagedPolicyReference")
	case b.ManagedPolicyARN != "":
		if _, err := s.managedPolicy(b.ManagedPolicyARN); err != nil {
			return err
		}
	default:
		ref := normalizeRef(*b.CustomerPolicy)
		b.CustomerPolicy = &ref
	}
	return s.changePermissionSet(ctx, psID, func(tx store.Tx, ps *store.PermissionSet) error {
		ps.Boundary = &b
		return nil
	})
}

// GetPermissionsBoundary returns the permissions boundary.
func (s *Service) GetPermissionsBoundary(ctx context.Context, psID string) (store.Boundary, error) {
	ps, err := s.GetPermissionSet(ctx, psID)
	if err != nil {
		return store.Boundary{}, err
	}
	if ps.Boundary == nil {
		return store.Boundary{}, boundaryNotFound(s.PermissionSetARN(psID))
	}
	return *ps.Boundary, nil
}

func boundaryNotFound(psARN string) error {
	return fault.NotFoundf(ResourcePolicy, psARN, "The permission set %s has no permissions boundary", psARN)
}

// DeletePermissionsBoundary removes the permissions boundary.
func (s *Service) DeletePermissionsBoundary(ctx context.Context, psID string) error {
	return s.changePermissionSet(ctx, psID, func(tx store.Tx, ps *store.PermissionSet) error {
		if ps.Boundary == nil {
			return boundaryNotFound(s.PermissionSetARN(psID))
		}
		ps.Boundary = nil
		return nil
	})
}

// customerPolicyARN is the ARN a customer-managed policy reference resolves
// to in an account.
func customerPolicyARN(accountID string, ref store.CustomerPolicyRef) string {
	return "arn:aws:iam::" + accountID + ":policy" + ref.Path + ref.Name
}

// resolveError is a provisioning failure caused by the account's state (a
// missing customer-managed policy), reported as the operation's
// FailureReason rather than as an error of Gatehouse.
type resolveError struct{ reason string }

func (e *resolveError) Error() string { return e.reason }

// resolveCustomerPolicy finds a customer-managed policy in an account and
// captures its default version.
func resolveCustomerPolicy(ctx context.Context, r store.Reader, accountID string, ref store.CustomerPolicyRef) (store.CapturedPolicy, error) {
	polARN := customerPolicyARN(accountID, ref)
	missing := &resolveError{reason: "Received a 404 status error: The customer managed policy " + polARN +
		" does not exist in account " + accountID + ". Create it in the account, then provision the permission set again."}
	p, err := r.GetIAMPolicy(ctx, accountID, strings.ToLower(ref.Name))
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.Path != ref.Path) {
		return store.CapturedPolicy{}, missing
	}
	if err != nil {
		return store.CapturedPolicy{}, err
	}
	v, err := r.GetIAMPolicyVersion(ctx, p.ID, p.DefaultVersion)
	if err != nil {
		return store.CapturedPolicy{}, err
	}
	return store.CapturedPolicy{Name: p.Name, ARN: polARN, Path: p.Path, VersionID: v.VersionID, Document: v.Document}, nil
}

// effectivePolicies resolves what a permission set grants in an account:
// the managed policies, the customer-managed policies as they stand in that
// account, the inline policy and the boundary.
func (s *Service) effectivePolicies(ctx context.Context, r store.Reader, ps store.PermissionSet, accountID string) (store.RolePolicies, error) {
	out := store.RolePolicies{SessionDuration: ps.SessionDuration, Inline: ps.InlinePolicy}
	managed, err := r.ListManagedPolicyAttachments(ctx, ps.ID)
	if err != nil {
		return out, err
	}
	for _, m := range managed {
		p, ok := s.catalogue.Get(m.ARN)
		if !ok {
			return out, &resolveError{reason: "The managed policy " + m.ARN + " is no longer available"}
		}
		out.Managed = append(out.Managed, store.CapturedPolicy{Name: p.Name, ARN: p.ARN, Path: p.Path, VersionID: p.DefaultVersionID})
	}
	refs, err := r.ListCustomerPolicyRefs(ctx, ps.ID)
	if err != nil {
		return out, err
	}
	for _, ref := range refs {
		c, err := resolveCustomerPolicy(ctx, r, accountID, ref)
		if err != nil {
			return out, err
		}
		out.CustomerManaged = append(out.CustomerManaged, c)
	}
	if b := ps.Boundary; b != nil {
		if b.ManagedPolicyARN != "" {
			p, ok := s.catalogue.Get(b.ManagedPolicyARN)
			if !ok {
				return out, &resolveError{reason: "The managed policy " + b.ManagedPolicyARN + " is no longer available"}
			}
			out.Boundary = &store.CapturedPolicy{Name: p.Name, ARN: p.ARN, Path: p.Path, VersionID: p.DefaultVersionID}
		} else {
			c, err := resolveCustomerPolicy(ctx, r, accountID, *b.CustomerPolicy)
			if err != nil {
				return out, err
			}
			out.Boundary = &c
		}
	}
	return out, nil
}

// ManagedDocument returns the document of an AWS-managed policy captured in
// a role.
func (s *Service) ManagedDocument(arn string) (string, bool) {
	p, ok := s.catalogue.Get(arn)
	return p.Document, ok
}

// utcNow returns the service's clock in UTC.
func (s *Service) utcNow() time.Time { return s.now().UTC() }
