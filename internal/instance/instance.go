// Package instance creates the Identity Center instance on first start
// (instance ARN, identity store id, management account) together with the
// bootstrap administrator's access key, and reads it back afterwards.
package instance

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/store"
)

// AdminUserName is the IAM user name of the bootstrap administrator.
const AdminUserName = "gatehouse-admin"

// Instance is the running instance.
type Instance struct {
	store.Instance
	ARN string
}

// IdentityStoreARN returns the ARN CloudTrail uses for the identity store.
func (in Instance) IdentityStoreARN() string {
	return "arn:aws:identitystore::" + in.OwnerAccountID + ":identitystore/" + in.IdentityStoreID
}

// Bootstrap holds what first start created and must be shown once.
type Bootstrap struct {
	AdminKey accesskey.Key
}

// Ensure returns the instance, creating it (and the bootstrap
// administrator key) if the store has none. When several replicas start at
// once exactly one creates it; the others read it. boot is non-nil only for
// the caller that created the instance.
func Ensure(ctx context.Context, s store.Store, keys *accesskey.Service, now func() time.Time) (Instance, *Bootstrap, error) {
	if in, err := s.GetInstance(ctx); err == nil {
		return Instance{Instance: in, ARN: arn.InstanceARN(in.InstanceID)}, nil, nil
	}
	at := now().UTC()
	in := store.Instance{
		InstanceID:      arn.NewInstanceID(),
		IdentityStoreID: arn.NewIdentityStoreID(),
		OwnerAccountID:  arn.NewAccountID(),
		Status:          "ACTIVE",
		CreatedAt:       at.Truncate(time.Second),
	}
	var boot *Bootstrap
	err := s.Update(ctx, func(tx store.Tx) error {
		boot = nil
		created, err := tx.CreateInstance(ctx, in)
		if err != nil || !created {
			return err
		}
		key, err := keys.Create(ctx, tx, "arn:aws:iam::"+in.OwnerAccountID+":user/"+AdminUserName, in.OwnerAccountID)
		if err != nil {
			return err
		}
		ev := audit.NewEvent(at, "sso.amazonaws.com", "CreateInstance")
		ev.EventType = "AwsServiceEvent"
		ev.UserIdentity = audit.UserIdentity{Type: "AWSService", PrincipalID: "gatehouse"}
		ev.RecipientAccountID = in.OwnerAccountID
		ev.ServiceEventDetails = map[string]any{
			"instanceArn": arn.InstanceARN(in.InstanceID), "identityStoreId": in.IdentityStoreID,
			"bootstrapAccessKeyId": key.ID,
		}
		if err := audit.Stage(audit.NewContext(ctx, ev), tx, nil); err != nil {
			return err
		}
		boot = &Bootstrap{AdminKey: key}
		return nil
	})
	if err != nil {
		return Instance{}, nil, fmt.Errorf("instance: create: %w", err)
	}
	stored, err := s.GetInstance(ctx)
	if err != nil {
		return Instance{}, nil, fmt.Errorf("instance: read back: %w", err)
	}
	return Instance{Instance: stored, ARN: arn.InstanceARN(stored.InstanceID)}, boot, nil
}
