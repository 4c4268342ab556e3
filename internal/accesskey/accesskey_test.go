package accesskey_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

func TestCreateLookupDeactivate(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Path: filepath.Join(t.TempDir(), "k.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	svc := accesskey.New(db, keyring.NewForTest(), clock)

	var k accesskey.Key
	err = db.Update(ctx, func(tx store.Tx) (err error) {
		k, err = svc.Create(ctx, tx, "arn:aws:iam::111122223333:user/gatehouse-admin", "111122223333")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := db.GetAccessKey(ctx, k.ID)
	if bytes.Contains(rec.SecretSealed, []byte(k.Secret.Reveal())) {
		t.Fatal("the store holds the secret in plaintext")
	}
	got, err := svc.Lookup(ctx, k.ID)
	if err != nil || got.Secret != k.Secret || got.UserName() != "gatehouse-admin" {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	if _, err := svc.Lookup(ctx, "AKIANOSUCHKEY0000000"); !errors.Is(err, accesskey.ErrUnknown) {
		t.Fatalf("unknown key: %v", err)
	}

	// Deactivation through another service instance (another replica) is
	// seen here once the cache entry expires.
	other := accesskey.New(db, keyring.NewForTest(), clock)
	actx := audit.NewContext(ctx, audit.NewEvent(now, "iam.amazonaws.com", "UpdateAccessKey"))
	if err := other.SetStatus(actx, k.ID, accesskey.Inactive); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Lookup(ctx, k.ID); err != nil {
		t.Fatal("within the cache bound the key still resolves (documented)")
	}
	now = now.Add(accesskey.CacheTTL + time.Millisecond)
	if _, err := svc.Lookup(ctx, k.ID); !errors.Is(err, accesskey.ErrUnknown) {
		t.Fatalf("after the cache bound an inactive key resolved: %v", err)
	}
}
