package sqlstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
)

// These benchmarks compare the SQLite drivers on Gatehouse's own queries:
//
//	go test -run - -bench . ./internal/store/sqlstore/                    # modernc.org/sqlite (pure Go)
//	go test -run - -bench . -tags cgo_sqlite ./internal/store/sqlstore/   # mattn/go-sqlite3 (cgo)

func benchUser(i int64) store.User {
	now := time.Now()
	return store.User{
		ID: fmt.Sprintf("u-%012d", i), UserName: fmt.Sprint("user", i), UserNameKey: fmt.Sprint("user", i),
		EmailKey: fmt.Sprintf("user%d@example.com", i), DisplayName: "User", Status: "ENABLED",
		Profile:   store.UserProfile{Name: &store.Name{GivenName: "G", FamilyName: "F"}, Emails: []store.Email{{Value: fmt.Sprintf("user%d@example.com", i)}}},
		CreatedAt: now, UpdatedAt: now, CreatedBy: "bench", UpdatedBy: "bench", Version: 1,
	}
}

func openBench(b *testing.B, n int) *sqlstore.DB {
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	const chunk = 1000
	for start := 0; start < n; start += chunk {
		err := db.Update(context.Background(), func(tx store.Tx) error {
			for i := start; i < min(start+chunk, n); i++ {
				if err := tx.CreateUser(context.Background(), benchUser(int64(i))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// BenchmarkCreateUserParallel measures durable single-user transactions from
// many goroutines (the group-commit path).
func BenchmarkCreateUserParallel(b *testing.B) {
	db := openBench(b, 0)
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			u := benchUser(n.Add(1))
			if err := db.Update(context.Background(), func(tx store.Tx) error { return tx.CreateUser(context.Background(), u) }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCreateUserSerial measures one writer waiting for each commit.
func BenchmarkCreateUserSerial(b *testing.B) {
	db := openBench(b, 0)
	for i := 0; b.Loop(); i++ {
		u := benchUser(int64(i))
		if err := db.Update(context.Background(), func(tx store.Tx) error { return tx.CreateUser(context.Background(), u) }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetUserByKey(b *testing.B) {
	db := openBench(b, 10000)
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1) % 10000
			if _, err := db.GetUserByKey(context.Background(), "user_name", fmt.Sprint("user", i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkListUsersPage(b *testing.B) {
	db := openBench(b, 10000)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		after := fmt.Sprintf("u-%012d", (i*97)%9900)
		if users, err := db.ListUsers(context.Background(), store.ListQuery{After: after, Limit: 50}); err != nil || len(users) != 50 {
			b.Fatal(len(users), err)
		}
	}
}

// BenchmarkListUsersPageRaw is BenchmarkListUsersPage with the profiles
// left encoded (ListRawUsers), as ListUsers pages read them.
func BenchmarkListUsersPageRaw(b *testing.B) {
	db := openBench(b, 10000)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		after := fmt.Sprintf("u-%012d", (i*97)%9900)
		if users, err := db.ListRawUsers(context.Background(), store.ListQuery{After: after, Limit: 50}); err != nil || len(users) != 50 {
			b.Fatal(len(users), err)
		}
	}
}
