package instance_test

import (
	"context"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/instance"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

func TestEnsureCreatesOnce(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Path: filepath.Join(t.TempDir(), "i.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := accesskey.New(db, keyring.NewForTest(), nil)

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		boots int
		arns  = map[string]bool{}
	)
	for range 8 {
		wg.Go(func() {
			in, boot, err := instance.Ensure(ctx, db, keys, time.Now)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			arns[in.ARN] = true
			if boot != nil {
				boots++
			}
		})
	}
	wg.Wait()
	if boots != 1 || len(arns) != 1 {
		t.Fatalf("%d bootstraps, %d distinct instances; want 1 and 1", boots, len(arns))
	}
	in, boot, err := instance.Ensure(ctx, db, keys, time.Now)
	if err != nil || boot != nil {
		t.Fatalf("restart: boot=%v err=%v", boot, err)
	}
	for re, v := range map[string]string{
		`^arn:aws:sso:::instance/ssoins-[0-9a-f]{16}$`: in.ARN,
		`^d-[0-9a-f]{10}$`: in.IdentityStoreID,
		`^[0-9]{12}$`:      in.OwnerAccountID,
	} {
		if !regexp.MustCompile(re).MatchString(v) {
			t.Errorf("%q does not match %s", v, re)
		}
	}
	evs, _ := db.ListAuditEvents(ctx, store.AuditQuery{Limit: 10})
	if len(evs) != 1 || evs[0].Name != "CreateInstance" {
		t.Fatalf("audit: %+v", evs)
	}
}
