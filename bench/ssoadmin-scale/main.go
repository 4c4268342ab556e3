// Command ssoadmin-scale measures sso-admin listing latency at Identity
// Center's scale (3,500 permission sets, 7,000 accounts, 100,000 users,
// 10,000 groups, 200,000 account assignments) against the same calls on a
// small instance, and times re-provisioning one permission set into all
// 7,000 accounts.
//
//	go run ./bench/ssoadmin-scale -bin /path/to/gatehouse [-assignments 200000 -calls 1000]
//
// It bootstraps two instances with the real binary, bulk-loads them
// directly through the store (as an import would: permission sets with an
// AWS-managed policy, accounts, users, groups, memberships, assignments and
// the roles they provision), then starts the binary on each and times the
// calls through the AWS SDK, one call at a time.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/gatehouse/gatehouse/bench/internal/benchserver"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// size is the shape of one instance's data.
type size struct {
	permissionSets, accounts, users, groups, assignments, groupsPerUser int
}

func main() {
	bin := flag.String("bin", "", "gatehouse binary")
	large := size{groupsPerUser: 3}
	flag.IntVar(&large.permissionSets, "permission-sets", 3500, "permission sets")
	flag.IntVar(&large.accounts, "accounts", 7000, "accounts (the management account included)")
	flag.IntVar(&large.users, "users", 100000, "users")
	flag.IntVar(&large.groups, "groups", 10000, "groups")
	flag.IntVar(&large.assignments, "assignments", 200000, "account assignments")
	calls := flag.Int("calls", 1000, "timed calls per operation")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "-bin is required")
		os.Exit(2)
	}
	small := size{permissionSets: 10, accounts: 20, users: 100, groups: 10, assignments: 200, groupsPerUser: 3}
	work, err := os.MkdirTemp("", "gatehouse-ssoadmin-scale")
	check(err)
	workDir = work
	defer os.RemoveAll(work)

	dirs := []string{filepath.Join(work, "small"), filepath.Join(work, "large")}
	loaded := make([]*dataset, 2)
	for i, sz := range []size{small, large} {
		stop(start(*bin, dirs[i])) // first start: instance, organization
		t0 := time.Now()
		loaded[i], err = load(dirs[i], sz)
		check(err)
		fmt.Printf("loaded %d permission sets, %d accounts, %d users, %d groups, %d memberships, %d assignments, %d roles in %v\n",
			sz.permissionSets, sz.accounts, sz.users, sz.groups, loaded[i].memberships, loaded[i].assignments, loaded[i].roles,
			time.Since(t0).Round(time.Second))
	}
	if fi, err := os.Stat(filepath.Join(dirs[1], "gatehouse.db")); err == nil {
		fmt.Printf("database file: %d MiB\n", fi.Size()>>20)
	}

	res := map[string][2][]time.Duration{}
	var reprovision time.Duration
	for i, dir := range dirs {
		p := start(*bin, dir)
		for op, d := range measure(p, dir, loaded[i], *calls) {
			r := res[op]
			r[i] = d
			res[op] = r
		}
		if i == 1 {
			reprovision = reprovisionAll(p, dir, loaded[i])
		}
		stop(p)
	}
	fmt.Printf("\n%-40s %24s %24s %8s\n", "operation", "small p50 / p99", "large p50 / p99", "ratio")
	for _, op := range []string{"ListAccountAssignmentsForPrincipal", "ListPermissionSetsProvisionedToAccount"} {
		a, b := res[op][0], res[op][1]
		fmt.Printf("%-40s %24s %24s %7.2fx\n", op, fmt.Sprintf("%v / %v", pct(a, .5), pct(a, .99)), fmt.Sprintf("%v / %v", pct(b, .5), pct(b, .99)),
			float64(pct(b, .5))/float64(pct(a, .5)))
	}
	fmt.Printf("\nre-provisioning one permission set to all %d accounts (ALL_PROVISIONED_ACCOUNTS): %v\n", large.accounts, reprovision.Round(time.Millisecond))
}

// dataset is what a load produced and measurements need.
type dataset struct {
	instanceARN, instanceID string
	accounts, users         []string
	broad                   string // the permission set provisioned to every account
	memberships             int
	assignments, roles      int
}

func load(dir string, sz size) (*dataset, error) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Path: filepath.Join(dir, "gatehouse.db")})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	in, err := db.GetInstance(ctx)
	if err != nil {
		return nil, err
	}
	o, err := db.GetOrganization(ctx)
	if err != nil {
		return nil, err
	}
	ds := &dataset{instanceARN: arn.InstanceARN(in.InstanceID), instanceID: in.InstanceID}
	now := time.Now().UTC()
	rng := rand.New(rand.NewPCG(1, 2))
	const chunk = 2000
	inChunks := func(n int, fn func(tx store.Tx, i int) error) error {
		for start := 0; start < n; start += chunk {
			err := db.Update(ctx, func(tx store.Tx) error {
				for i := start; i < min(start+chunk, n); i++ {
					if err := fn(tx, i); err != nil {
						return err
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

	ds.accounts = []string{in.OwnerAccountID}
	for len(ds.accounts) < sz.accounts {
		ds.accounts = append(ds.accounts, arn.NewAccountID())
	}
	if err := inChunks(sz.accounts-1, func(tx store.Tx, i int) error {
		id := ds.accounts[i+1]
		email := fmt.Sprintf("account%05d@example.com", i)
		return tx.CreateAccount(ctx, store.Account{ID: id, Name: fmt.Sprint("Account ", i), Email: email, EmailKey: email,
			Status: "ACTIVE", JoinedMethod: "CREATED", JoinedAt: now, ParentID: o.RootID})
	}); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}

	sets := make([]store.PermissionSet, sz.permissionSets)
	if err := inChunks(sz.permissionSets, func(tx store.Tx, i int) error {
		name := fmt.Sprintf("Set%05d", i)
		sets[i] = store.PermissionSet{ID: fmt.Sprintf("ps-%016x", rng.Uint64()), Name: name, NameKey: strings.ToLower(name),
			SessionDuration: "PT1H", Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreatePermissionSet(ctx, sets[i]); err != nil {
			return err
		}
		return tx.AttachManagedPolicy(ctx, store.ManagedPolicyAttachment{PermissionSetID: sets[i].ID,
			ARN: "arn:aws:iam::aws:policy/AmazonS3FullAccess", Name: "AmazonS3FullAccess", AttachedAt: now})
	}); err != nil {
		return nil, fmt.Errorf("permission sets: %w", err)
	}
	ds.broad = sets[0].ID

	ds.users = make([]string, sz.users)
	if err := inChunks(sz.users, func(tx store.Tx, i int) error {
		name := fmt.Sprintf("user%06d", i)
		ds.users[i] = arn.NewResourceID(in.IdentityStoreID)
		return tx.CreateUser(ctx, store.User{ID: ds.users[i], UserName: name, UserNameKey: directory.Key(name), DisplayName: name,
			Status: "ENABLED", Profile: store.UserProfile{Name: &store.Name{GivenName: "User", FamilyName: name}},
			CreatedAt: now, UpdatedAt: now, CreatedBy: "scale", UpdatedBy: "scale", Version: 1})
	}); err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	groups := make([]string, sz.groups)
	if err := inChunks(sz.groups, func(tx store.Tx, i int) error {
		name := fmt.Sprintf("group%06d", i)
		groups[i] = arn.NewResourceID(in.IdentityStoreID)
		return tx.CreateGroup(ctx, store.Group{ID: groups[i], DisplayName: name, DisplayNameKey: directory.Key(name),
			CreatedAt: now, UpdatedAt: now, CreatedBy: "scale", UpdatedBy: "scale", Version: 1})
	}); err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	if err := inChunks(sz.users, func(tx store.Tx, u int) error {
		for k := range sz.groupsPerUser {
			g := (u*sz.groupsPerUser + k*7919) % sz.groups
			err := tx.CreateMembership(ctx, store.Membership{ID: arn.NewResourceID(in.IdentityStoreID), GroupID: groups[g],
				UserID: ds.users[u], CreatedAt: now, CreatedBy: "scale"})
			if _, dup := store.IsConflict(err); dup {
				continue
			} else if err != nil {
				return err
			}
			ds.memberships++
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("memberships: %w", err)
	}

	// Assignments: the broad permission set to one group in every account,
	// the rest spread over permission sets, accounts and principals (70%
	// groups). Each new (permission set, account) pair gets its role.
	roles := map[[2]string]bool{}
	role := func(tx store.Tx, ps store.PermissionSet, acct string) error {
		k := [2]string{ps.ID, acct}
		if roles[k] {
			return nil
		}
		roles[k] = true
		name := "AWSReservedSSO_" + ps.Name + fmt.Sprintf("_%016x", rng.Uint64())
		return tx.PutProvisionedRole(ctx, store.ProvisionedRole{PermissionSetID: ps.ID, AccountID: acct, RoleName: name,
			RoleNameKey: strings.ToLower(name), RoleID: fmt.Sprintf("AROA%017X", rng.Uint64()), Path: "/aws-reserved/sso.amazonaws.com/",
			PermissionSetVersion: 1, Revision: 1, CreatedAt: now, UpdatedAt: now,
			Policies: store.RolePolicies{SessionDuration: "PT1H", Managed: []store.CapturedPolicy{{Name: "AmazonS3FullAccess",
				ARN: "arn:aws:iam::aws:policy/AmazonS3FullAccess", Path: "/", VersionID: "v2"}}}})
	}
	if err := inChunks(sz.assignments, func(tx store.Tx, i int) error {
		var a store.AccountAssignment
		ps := sets[0]
		if i < sz.accounts {
			a = store.AccountAssignment{AccountID: ds.accounts[i], PermissionSetID: ps.ID, PrincipalType: "GROUP", PrincipalID: groups[0]}
		} else {
			ps = sets[1+rng.IntN(len(sets)-1)]
			a = store.AccountAssignment{AccountID: ds.accounts[rng.IntN(len(ds.accounts))], PermissionSetID: ps.ID}
			if rng.IntN(10) < 7 {
				a.PrincipalType, a.PrincipalID = "GROUP", groups[rng.IntN(len(groups))]
			} else {
				a.PrincipalType, a.PrincipalID = "USER", ds.users[rng.IntN(len(ds.users))]
			}
		}
		a.CreatedAt = now
		created, err := tx.CreateAccountAssignment(ctx, a)
		if err != nil {
			return err
		}
		if created {
			ds.assignments++
		}
		return role(tx, ps, a.AccountID)
	}); err != nil {
		return nil, fmt.Errorf("assignments: %w", err)
	}
	ds.roles = len(roles)
	return ds, nil
}

func measure(p *benchserver.Server, dir string, ds *dataset, calls int) map[string][]time.Duration {
	c := client(p, dir)
	ctx := context.Background()
	out := map[string][]time.Duration{}
	timed := func(name string, fn func(i int) error) {
		for i := range calls {
			t := time.Now()
			check(fn(i))
			out[name] = append(out[name], time.Since(t))
		}
	}
	timed("ListAccountAssignmentsForPrincipal", func(i int) error {
		_, err := c.ListAccountAssignmentsForPrincipal(ctx, &ssoadmin.ListAccountAssignmentsForPrincipalInput{
			InstanceArn: &ds.instanceARN, PrincipalType: types.PrincipalTypeUser, PrincipalId: &ds.users[(i*7717)%len(ds.users)]})
		return err
	})
	timed("ListPermissionSetsProvisionedToAccount", func(i int) error {
		_, err := c.ListPermissionSetsProvisionedToAccount(ctx, &ssoadmin.ListPermissionSetsProvisionedToAccountInput{
			InstanceArn: &ds.instanceARN, AccountId: &ds.accounts[(i*104729)%len(ds.accounts)]})
		return err
	})
	return out
}

// reprovisionAll edits the broad permission set, provisions it to all
// provisioned accounts and returns how long that took to finish.
func reprovisionAll(p *benchserver.Server, dir string, ds *dataset) time.Duration {
	c := client(p, dir)
	ctx := context.Background()
	ps := "arn:aws:sso:::permissionSet/" + ds.instanceID + "/" + ds.broad
	_, err := c.UpdatePermissionSet(ctx, &ssoadmin.UpdatePermissionSetInput{InstanceArn: &ds.instanceARN, PermissionSetArn: &ps,
		SessionDuration: aws.String("PT4H")})
	check(err)
	t0 := time.Now()
	out, err := c.ProvisionPermissionSet(ctx, &ssoadmin.ProvisionPermissionSetInput{InstanceArn: &ds.instanceARN, PermissionSetArn: &ps,
		TargetType: types.ProvisionTargetTypeAllProvisionedAccounts})
	check(err)
	for {
		st, err := c.DescribePermissionSetProvisioningStatus(ctx, &ssoadmin.DescribePermissionSetProvisioningStatusInput{
			InstanceArn: &ds.instanceARN, ProvisionPermissionSetRequestId: out.PermissionSetProvisioningStatus.RequestId})
		check(err)
		switch st.PermissionSetProvisioningStatus.Status {
		case types.StatusValuesSucceeded:
			d := time.Since(t0)
			stale, err := c.ListAccountsForProvisionedPermissionSet(ctx, &ssoadmin.ListAccountsForProvisionedPermissionSetInput{
				InstanceArn: &ds.instanceARN, PermissionSetArn: &ps, ProvisioningStatus: types.ProvisioningStatusLatestPermissionSetNotProvisioned})
			check(err)
			if len(stale.AccountIds) != 0 {
				check(fmt.Errorf("accounts still out of date after provisioning: %v", stale.AccountIds))
			}
			return d
		case types.StatusValuesFailed:
			check(fmt.Errorf("provisioning failed: %s", aws.ToString(st.PermissionSetProvisioningStatus.FailureReason)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func client(p *benchserver.Server, dir string) *ssoadmin.Client {
	key, secret := readCreds(dir)
	return ssoadmin.New(ssoadmin.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
}

// workDir holds the instances; it is kept (and named) when the run fails,
// so that the servers' logs can be read. running are the servers to stop
// before exiting.
var (
	workDir string
	running = map[*benchserver.Server]*os.File{}
)

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		for p := range running {
			stop(p)
		}
		if workDir != "" {
			fmt.Fprintf(os.Stderr, "the instances and their logs (server.log) are kept in %s\n", workDir)
		}
		os.Exit(1)
	}
}

func start(bin, dir string) *benchserver.Server {
	logf, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	check(err)
	p, err := benchserver.Start(bin, dir, logf, "--public-url", "http://localhost")
	check(err)
	running[p] = logf
	return p
}

// stop stops a server and closes its log.
func stop(p *benchserver.Server) {
	p.Stop()
	if f := running[p]; f != nil {
		f.Close()
	}
	delete(running, p)
}

func readCreds(dir string) (string, string) {
	b, err := os.ReadFile(filepath.Join(dir, "admin-credentials"))
	check(err)
	var key, secret string
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " = ")
		switch k {
		case "aws_access_key_id":
			key = v
		case "aws_secret_access_key":
			secret = v
		}
	}
	return key, secret
}

func pct(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1))].Round(time.Microsecond)
}
