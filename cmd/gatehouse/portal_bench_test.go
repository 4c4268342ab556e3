package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/store"
)

// BenchmarkPortalAccounts measures the server time of the portal's account
// page (first page, 50 accounts, and a search) for a user who reaches 7,000
// accounts through 50 groups, next to the same page for a user with 5
// accounts, in one organization of 7,000 accounts. The data is written
// straight to the store (creating 7,000 accounts through the Organizations
// API is not what is measured).
func BenchmarkPortalAccounts(b *testing.B) {
	app := startPortalApp(b)
	ctx := context.Background()
	now := time.Now().UTC()
	big := app.createUser(b, "many", "many@example.com")
	small := app.createUser(b, "few", "few@example.com")
	const accounts, groups = 7000, 50
	err := app.app.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreatePermissionSet(ctx, store.PermissionSet{ID: "ps-00000000000000aa", Name: "Developer", NameKey: "developer",
			SessionDuration: "PT1H", CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
			return err
		}
		for g := range groups {
			gid := fmt.Sprintf("bench-group-%02d", g)
			if err := tx.CreateGroup(ctx, store.Group{ID: gid, DisplayName: gid, DisplayNameKey: gid, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
				return err
			}
			if err := tx.CreateMembership(ctx, store.Membership{ID: "bench-m-" + gid, GroupID: gid, UserID: big, CreatedAt: now}); err != nil {
				return err
			}
		}
		for i := range accounts {
			id := fmt.Sprintf("5%011d", i)
			// Names in an order unrelated to ids.
			name := fmt.Sprintf("team-%04d-%s", (i*7919)%accounts, []string{"prod", "dev", "stage"}[i%3])
			if err := tx.CreateAccount(ctx, store.Account{ID: id, Name: name, Email: "aws+" + id + "@example.com",
				EmailKey: "aws+" + id + "@example.com", Status: "ACTIVE", JoinedMethod: "CREATED", JoinedAt: now, ParentID: "r-bench"}); err != nil {
				return err
			}
			a := store.AccountAssignment{AccountID: id, PermissionSetID: "ps-00000000000000aa", PrincipalType: "GROUP",
				PrincipalID: fmt.Sprintf("bench-group-%02d", i%groups), CreatedAt: now}
			if _, err := tx.CreateAccountAssignment(ctx, a); err != nil {
				return err
			}
			if i%1400 == 0 {
				a.PrincipalType, a.PrincipalID = "USER", small
				if _, err := tx.CreateAccountAssignment(ctx, a); err != nil {
					return err
				}
			}
		}
		for user, tok := range map[string]string{big: "bench-session-many", small: "bench-session-few"} {
			sum := sha256.Sum256([]byte(tok))
			if err := tx.CreatePortalSession(ctx, store.PortalSession{ID: "ps-" + tok, TokenHash: hex.EncodeToString(sum[:]), UserID: user,
				MFAMethod: "TOTP", CreatedAt: now, AuthTime: now, ExpiresAt: now.Add(8 * time.Hour), LastSeenAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	page := func(token, path string) (time.Duration, string) {
		req := httptest.NewRequest(http.MethodGet, app.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: "gh_session", Value: token})
		rec := httptest.NewRecorder()
		t0 := time.Now()
		app.app.handler.ServeHTTP(rec, req)
		d := time.Since(t0)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d", path, rec.Code)
		}
		return d, rec.Body.String()
	}
	if _, body := page("bench-session-many", "/start/accounts"); !strings.Contains(body, "50+ accounts") || strings.Count(body, `<li><a href="/start/accounts/`) != 50 {
		b.Fatalf("the 7,000-account page does not list 50 of 50+ accounts")
	}
	if _, body := page("bench-session-few", "/start/accounts"); !strings.Contains(body, "5 accounts") {
		b.Fatalf("the 5-account page does not list 5 accounts")
	}
	median := func(token, path string) float64 {
		var ds []time.Duration
		for range 200 {
			d, _ := page(token, path)
			ds = append(ds, d)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	if os.Getenv("GATEHOUSE_BENCH_PARTS") != "" {
		acc := app.app.cred.roles
		for _, u := range []string{big, small} {
			t0 := time.Now()
			for range 200 {
				if _, err := acc.AccountsFor(ctx, u, portal.AccountQuery{Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("AccountsFor %s: %v per call", u, time.Since(t0)/200)
		}
	}
	b.ResetTimer()
	bigMs, smallMs := median("bench-session-many", "/start/accounts"), median("bench-session-few", "/start/accounts")
	searchMs := median("bench-session-many", "/start/accounts?q=team-42")
	b.StopTimer()
	b.ReportMetric(bigMs, "ms-7000")
	b.ReportMetric(smallMs, "ms-5")
	b.ReportMetric(searchMs, "ms-7000-search")
	b.ReportMetric(bigMs/smallMs, "ratio")
}
