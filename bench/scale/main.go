// Command scale measures identitystore latency and server memory at the
// scale Identity Center promises (200,000 users, 100,000 groups, 1,000,000
// memberships) against the same calls on a nearly empty instance.
//
//	go run ./bench/scale -bin /path/to/gatehouse [-users 200000 -groups 100000 -per-user 5]
//
// It bootstraps two instances with the real binary, bulk-loads one of them
// directly through the store (as an import would), then starts the binary
// on each and times GetUserId, DescribeUser and IsMemberInGroups through the
// AWS SDK, one call at a time.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ids "github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/gatehouse/gatehouse/bench/internal/benchserver"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

func main() {
	bin := flag.String("bin", "", "gatehouse binary")
	users := flag.Int("users", 200000, "users to load")
	groups := flag.Int("groups", 100000, "groups to load")
	perUser := flag.Int("per-user", 5, "memberships per user")
	calls := flag.Int("calls", 2000, "timed calls per operation")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "-bin is required")
		os.Exit(2)
	}
	work, err := os.MkdirTemp("", "gatehouse-scale")
	check(err)
	defer os.RemoveAll(work)

	small, large := filepath.Join(work, "small"), filepath.Join(work, "large")
	for _, dir := range []string{small, large} {
		p := start(*bin, dir)
		p.Stop()
	}
	t0 := time.Now()
	check(load(small, 100, 10, 2))
	check(load(large, *users, *groups, *perUser))
	fmt.Printf("loaded %d users, %d groups, %d memberships in %v\n", *users, *groups, *users**perUser, time.Since(t0).Round(time.Second))
	fi, _ := os.Stat(filepath.Join(large, "gatehouse.db"))
	if fi != nil {
		fmt.Printf("database file: %d MiB\n", fi.Size()>>20)
	}

	fmt.Printf("\n%-18s %24s %24s %8s\n", "operation", "small p50 / p99", "large p50 / p99", "ratio")
	res := map[string][2][]time.Duration{}
	var rss, hwm [2]string
	for i, dir := range []string{small, large} {
		p := start(*bin, dir)
		n := 100
		if i == 1 {
			n = *users
		}
		for op, d := range measure(p, dir, n, *calls) {
			r := res[op]
			r[i] = d
			res[op] = r
		}
		rss[i], hwm[i] = memory(p.Pid())
		p.Stop()
	}
	for _, op := range []string{"GetUserId", "DescribeUser", "IsMemberInGroups"} {
		a, b := res[op][0], res[op][1]
		fmt.Printf("%-18s %24s %24s %7.2fx\n", op, fmt.Sprintf("%v / %v", pct(a, .5), pct(a, .99)), fmt.Sprintf("%v / %v", pct(b, .5), pct(b, .99)),
			float64(pct(b, .5))/float64(pct(a, .5)))
	}
	fmt.Printf("\nserver memory after the calls: small RSS %s (peak %s); large RSS %s (peak %s)\n", rss[0], hwm[0], rss[1], hwm[1])
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func start(bin, dir string) *benchserver.Server {
	p, err := benchserver.Start(bin, dir, nil)
	check(err)
	return p
}

// load writes users, groups and memberships straight into the store in
// large transactions, with the keys the directory service would compute.
func load(dir string, users, groups, perUser int) error {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Path: filepath.Join(dir, "gatehouse.db")})
	if err != nil {
		return err
	}
	defer db.Close()
	in, err := db.GetInstance(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	userIDs := make([]string, users)
	groupIDs := make([]string, groups)
	const chunk = 2000
	for start := 0; start < users; start += chunk {
		err := db.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+chunk, users); i++ {
				name := fmt.Sprintf("user%06d", i)
				userIDs[i] = arn.NewResourceID(in.IdentityStoreID)
				u := store.User{ID: userIDs[i], UserName: name, UserNameKey: directory.Key(name), EmailKey: name + "@example.com",
					DisplayName: "User " + name, Status: "ENABLED",
					Profile: store.UserProfile{Name: &store.Name{GivenName: "User", FamilyName: name},
						Emails: []store.Email{{Value: name + "@example.com", Type: "work"}}, Title: "Engineer"},
					CreatedAt: now, UpdatedAt: now, CreatedBy: "scale", UpdatedBy: "scale", Version: 1}
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for start := 0; start < groups; start += chunk {
		err := db.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+chunk, groups); i++ {
				name := fmt.Sprintf("group%06d", i)
				groupIDs[i] = arn.NewResourceID(in.IdentityStoreID)
				if err := tx.CreateGroup(ctx, store.Group{ID: groupIDs[i], DisplayName: name, DisplayNameKey: directory.Key(name),
					CreatedAt: now, UpdatedAt: now, CreatedBy: "scale", UpdatedBy: "scale", Version: 1}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for start := 0; start < users; start += chunk / perUser {
		err := db.Update(ctx, func(tx store.Tx) error {
			for u := start; u < min(start+chunk/perUser, users); u++ {
				for k := range perUser {
					g := (u*perUser + k*7919) % groups
					if err := tx.CreateMembership(ctx, store.Membership{ID: arn.NewResourceID(in.IdentityStoreID),
						GroupID: groupIDs[g], UserID: userIDs[u], CreatedAt: now, CreatedBy: "scale"}); err != nil {
						if _, ok := store.IsConflict(err); ok {
							continue
						}
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func readCreds(dir string) (string, string) {
	b, err := os.ReadFile(filepath.Join(dir, "admin-credentials"))
	check(err)
	var key, secret string
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " = ")
		if k == "aws_access_key_id" {
			key = v
		}
		if k == "aws_secret_access_key" {
			secret = v
		}
	}
	return key, secret
}

// measure times each operation one call at a time on random users.
func measure(p *benchserver.Server, dir string, users, calls int) map[string][]time.Duration {
	key, secret := readCreds(dir)
	c := ids.New(ids.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
	ctx := context.Background()
	sid := p.StoreID
	out := map[string][]time.Duration{}
	// Resolve a sample of user and group ids first (untimed).
	var userIDs []string
	for i := range 200 {
		r, err := c.GetUserId(ctx, &ids.GetUserIdInput{IdentityStoreId: &sid, AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{
			Value: types.UniqueAttribute{AttributePath: aws.String("userName"), AttributeValue: document.NewLazyDocument(fmt.Sprintf("user%06d", (i*7717)%users))}}})
		check(err)
		userIDs = append(userIDs, *r.UserId)
	}
	groupPage, err := c.ListGroupMembershipsForMember(ctx, &ids.ListGroupMembershipsForMemberInput{IdentityStoreId: &sid, MemberId: &types.MemberIdMemberUserId{Value: userIDs[0]}})
	check(err)
	var groupIDs []string
	for _, m := range groupPage.GroupMemberships {
		groupIDs = append(groupIDs, *m.GroupId)
	}
	timed := func(name string, fn func(i int) error) {
		for i := range calls {
			t := time.Now()
			check(fn(i))
			out[name] = append(out[name], time.Since(t))
		}
	}
	timed("GetUserId", func(i int) error {
		_, err := c.GetUserId(ctx, &ids.GetUserIdInput{IdentityStoreId: &sid, AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{
			Value: types.UniqueAttribute{AttributePath: aws.String("userName"), AttributeValue: document.NewLazyDocument(fmt.Sprintf("user%06d", (i*104729)%users))}}})
		return err
	})
	timed("DescribeUser", func(i int) error {
		_, err := c.DescribeUser(ctx, &ids.DescribeUserInput{IdentityStoreId: &sid, UserId: &userIDs[i%len(userIDs)]})
		return err
	})
	timed("IsMemberInGroups", func(i int) error {
		_, err := c.IsMemberInGroups(ctx, &ids.IsMemberInGroupsInput{IdentityStoreId: &sid, MemberId: &types.MemberIdMemberUserId{Value: userIDs[i%len(userIDs)]}, GroupIds: groupIDs})
		return err
	})
	return out
}

func pct(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1))].Round(time.Microsecond)
}

func memory(pid int) (rss, hwm string) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?", "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "VmRSS:" {
			rss = f[1] + " kB"
		}
		if len(f) >= 3 && f[0] == "VmHWM:" {
			hwm = f[1] + " kB"
		}
	}
	return rss, hwm
}
