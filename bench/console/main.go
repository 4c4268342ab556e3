// Command console measures the admin console's users and audit pages at
// Identity Center's scale (200,000 users, 1,000,000 audit events) against
// the same pages on a small instance.
//
//	go run ./bench/console -bin /path/to/gatehouse [-users 200000 -events 1000000 -requests 200]
//
// It bootstraps two instances with the real binary, bulk-loads users and
// audit events directly through the store (as an import would), then
// starts the binary on each, signs a console administrator in over HTTP
// (password, then an authenticator app, as a browser would) and requests
// each page one at a time. Each page reports its own server time in a
// Server-Timing header (from the session lookup to the rendered page);
// the figures are those, with the client's round trip beside them.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ids "github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/gatehouse/gatehouse/bench/internal/benchserver"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

func main() {
	bin := flag.String("bin", "", "gatehouse binary")
	users := flag.Int("users", 200000, "users to load")
	events := flag.Int("events", 1000000, "audit events to load")
	requests := flag.Int("requests", 200, "timed requests per page")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "-bin is required")
		os.Exit(2)
	}
	work, err := os.MkdirTemp("", "gatehouse-console")
	check(err)
	// check panics; the data directories go either way.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintln(os.Stderr, r)
			os.Exit(1)
		}
	}()
	defer os.RemoveAll(work)

	small, large := filepath.Join(work, "small"), filepath.Join(work, "large")
	for _, dir := range []string{small, large} {
		p := start(*bin, dir)
		p.Stop()
	}
	t0 := time.Now()
	check(load(small, 100, 1000))
	check(load(large, *users, *events))
	fmt.Printf("loaded %d users and %d audit events in %v\n", *users, *events, time.Since(t0).Round(time.Second))
	if fi, _ := os.Stat(filepath.Join(large, "gatehouse.db")); fi != nil {
		fmt.Printf("database file: %d MiB\n", fi.Size()>>20)
	}

	pages := []string{"users", "users: search", "users: page 1000", "audit", "audit: by event", "audit: by user", "audit: failures", "audit: one day", "audit: event detail", "dashboard"}
	res := map[string][2][]time.Duration{}
	rtt := map[string][2][]time.Duration{}
	for i, dir := range []string{small, large} {
		n := 100
		if i == 1 {
			n = *users
		}
		server, client := measureAt(*bin, dir, n, *requests)
		for page, d := range server {
			r := res[page]
			r[i] = d
			res[page] = r
			c := rtt[page]
			c[i] = client[page]
			rtt[page] = c
		}
	}
	fmt.Printf("\nserver time per page (Server-Timing), p50 / p99, and the client's p50 round trip\n")
	fmt.Printf("%-22s %22s %22s %8s %20s\n", "page", "small", "large", "ratio", "client small / large")
	for _, page := range pages {
		a, b := res[page][0], res[page][1]
		if len(a) == 0 || len(b) == 0 {
			continue
		}
		fmt.Printf("%-22s %22s %22s %7.2fx %20s\n", page, fmt.Sprintf("%v / %v", pct(a, .5), pct(a, .99)), fmt.Sprintf("%v / %v", pct(b, .5), pct(b, .99)),
			float64(pct(b, .5))/float64(pct(a, .5)), fmt.Sprintf("%v / %v", pct(rtt[page][0], .5), pct(rtt[page][1], .5)))
	}
}

// check stops the run on an error (main reports it after cleaning up).
func check(err error) {
	if err != nil {
		panic(err)
	}
}

func start(bin, dir string) *benchserver.Server {
	p, err := benchserver.Start(bin, dir, nil)
	check(err)
	return p
}

// eventNames are the audit events loaded, with how often each occurs.
var eventNames = []struct {
	source, name string
	weight       int
}{
	{"identitystore.amazonaws.com", "ListUsers", 20}, {"identitystore.amazonaws.com", "DescribeUser", 20},
	{"identitystore.amazonaws.com", "GetUserId", 10}, {"identitystore.amazonaws.com", "CreateUser", 3},
	{"identitystore.amazonaws.com", "UpdateUser", 3}, {"identitystore.amazonaws.com", "CreateGroupMembership", 4},
	{"sso.amazonaws.com", "ListPermissionSets", 5}, {"sso.amazonaws.com", "CreateAccountAssignment", 2},
	{"signin.amazonaws.com", "CredentialChallenge", 10}, {"signin.amazonaws.com", "CredentialVerification", 15},
	{"signin.amazonaws.com", "UserAuthentication", 7}, {"sso.amazonaws.com", "GetRoleCredentials", 1},
}

// load writes users and audit events straight into the store in large
// transactions, with the keys the services would compute. Events span the
// last 30 days in sequence order; 3% fail; principals are 2,000 users.
func load(dir string, users, events int) error {
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
	principals := make([]string, 0, 2000)
	const chunk = 2000
	for start := 0; start < users; start += chunk {
		err := db.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+chunk, users); i++ {
				name := fmt.Sprintf("user%06d", i)
				id := arn.NewResourceID(in.IdentityStoreID)
				if len(principals) < cap(principals) {
					principals = append(principals, id)
				}
				u := store.User{ID: id, UserName: name, UserNameKey: directory.Key(name), EmailKey: name + "@example.com",
					DisplayName: "User " + name, Status: "ENABLED",
					Profile: store.UserProfile{Name: &store.Name{GivenName: "User", FamilyName: name},
						Emails: []store.Email{{Value: name + "@example.com", Type: "work"}}, Title: "Engineer"},
					CreatedAt: now, UpdatedAt: now, CreatedBy: "bench", UpdatedBy: "bench", Version: 1}
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
	total := 0
	for _, e := range eventNames {
		total += e.weight
	}
	rng := rand.New(rand.NewPCG(1, 2))
	span := 30 * 24 * time.Hour
	first := now.Add(-span)
	const evChunk = 5000
	for start := 0; start < events; start += evChunk {
		err := db.Update(ctx, func(tx store.Tx) error {
			batch := make([]store.AuditEvent, 0, evChunk)
			for i := start; i < min(start+evChunk, events); i++ {
				at := first.Add(time.Duration(int64(span) / int64(events) * int64(i)))
				w := rng.IntN(total)
				e := eventNames[0]
				for _, c := range eventNames {
					if w < c.weight {
						e = c
						break
					}
					w -= c.weight
				}
				who := principals[rng.IntN(len(principals))]
				code := ""
				if rng.IntN(100) < 3 {
					code = "AccessDeniedException"
					if e.source == "signin.amazonaws.com" {
						code = "Failure"
					}
				}
				id := arn.NewTimeUUID(at)
				doc := fmt.Sprintf(`{"eventVersion":"1.11","userIdentity":{"type":"IdentityCenterUser","principalId":%q,"userName":"bench",`+
					`"onBehalfOf":{"userId":%q,"identityStoreArn":"arn:aws:identitystore::%s:identitystore/%s"}},"eventTime":%q,`+
					`"eventSource":%q,"eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"192.0.2.%d","userAgent":"aws-cli/2.15.0",`+
					`"requestParameters":{"identityStoreId":%q},"responseElements":null,"requestID":%q,"eventID":%q,"readOnly":true,`+
					`"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":%q,"eventCategory":"Management"}`,
					who, who, in.OwnerAccountID, in.IdentityStoreID, at.Format(time.RFC3339), e.source, e.name, rng.IntN(250),
					in.IdentityStoreID, arn.NewUUID(), id, in.OwnerAccountID)
				batch = append(batch, store.AuditEvent{EventID: id, Time: at, Source: e.source, Name: e.name, Principal: who, ErrorCode: code, Document: []byte(doc)})
			}
			return tx.AppendAuditEvents(ctx, batch...)
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
		switch k {
		case "aws_access_key_id":
			key = v
		case "aws_secret_access_key":
			secret = v
		}
	}
	return key, secret
}

// browser is a cookie-keeping client that posts forms as a page would.
type browser struct {
	c    *http.Client
	base string
	csrf string
}

var csrfRE = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	var req *http.Request
	if method == http.MethodPost {
		form.Set("csrf", b.csrf)
		req, _ = http.NewRequest(method, b.base+path, strings.NewReader(form.Encode()))
		// No Origin: the instance's public URL is the default one, not
		// the benchmark's port, and a request without Origin is allowed.
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, _ = http.NewRequest(method, b.base+path, nil)
	}
	res, err := b.c.Do(req)
	check(err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return res, string(body)
}

// signInAdmin creates a console administrator with the API and signs it
// in: one-time password, a new password, an authenticator app.
func signInAdmin(p *benchserver.Server, dir string) *browser {
	key, secret := readCreds(dir)
	ctx := context.Background()
	c := ids.New(ids.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
	out, err := c.CreateUser(ctx, &ids.CreateUserInput{IdentityStoreId: &p.StoreID, UserName: aws.String("bench-admin"),
		DisplayName: aws.String("Bench Admin"), Name: &types.Name{GivenName: aws.String("Bench"), FamilyName: aws.String("Admin")},
		Emails: []types.Email{{Value: aws.String("bench-admin@example.com"), Primary: true}}})
	check(err)
	otp := adminCall(p, key, secret, "ResetUserPassword", fmt.Sprintf(`{"IdentityStoreId":%q,"UserId":%q,"Mode":"ONE_TIME_PASSWORD"}`, p.StoreID, *out.UserId))
	adminCall(p, key, secret, "PutConsoleAccess", fmt.Sprintf(`{"IdentityStoreId":%q,"UserId":%q,"AccessLevel":"FULL"}`, p.StoreID, *out.UserId))
	pw := regexp.MustCompile(`"OneTimePassword":"([^"]+)"`).FindStringSubmatch(otp)[1]
	jar, _ := cookiejar.New(nil)
	b := &browser{base: p.URL, c: &http.Client{Jar: jar}}
	b.do(http.MethodGet, "/start/login", nil)
	b.do(http.MethodPost, "/start/login", url.Values{"username": {"bench-admin"}})
	b.do(http.MethodPost, "/start/password", url.Values{"password": {pw}})
	const newPW = "bench console lantern harbour"
	_, reg := b.do(http.MethodPost, "/start/change-password", url.Values{"password": {newPW}, "confirm": {newPW}})
	m := regexp.MustCompile(`id="totp-secret" class="secret">([A-Z2-7]+)<`).FindStringSubmatch(reg)
	if m == nil {
		check(fmt.Errorf("no TOTP registration page after the password change:\n%s", reg))
	}
	seed, err := mfa.DecodeSecret(m[1])
	check(err)
	b.do(http.MethodPost, "/start/mfa/register/totp", url.Values{"code": {mfa.Code(seed, mfa.Step(time.Now()))}, "name": {"bench"}})
	if res, _ := b.do(http.MethodGet, "/admin/", nil); res.StatusCode != 200 {
		check(fmt.Errorf("the console answers %d after signing in", res.StatusCode))
	}
	return b
}

func adminCall(p *benchserver.Server, key, secret, op, body string) string {
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "GatehouseAdmin."+op)
	check(sign(req, key, secret, body))
	res, err := http.DefaultClient.Do(req)
	check(err)
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		check(fmt.Errorf("%s: %d %s", op, res.StatusCode, out))
	}
	return string(out)
}

// sign signs a GatehouseAdmin request with SigV4.
func sign(req *http.Request, key, secret, body string) error {
	sum := sha256.Sum256([]byte(body))
	return v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), "gatehouse", "us-east-1", time.Now())
}

// measureAt starts the binary on dir, measures, and stops it even when a
// check fails.
func measureAt(bin, dir string, users, requests int) (map[string][]time.Duration, map[string][]time.Duration) {
	p := start(bin, dir)
	defer p.Stop()
	return measure(p, dir, users, requests)
}

var durRE = regexp.MustCompile(`app;dur=([0-9.]+)`)

// measure requests each page one at a time and returns the server's times
// (Server-Timing) and the client's round trips.
func measure(p *benchserver.Server, dir string, users, requests int) (map[string][]time.Duration, map[string][]time.Duration) {
	b := signInAdmin(p, dir)
	// Paths that depend on the data, found untimed.
	_, page := b.do(http.MethodGet, "/admin/users", nil)
	deep := ""
	for range min(1000, users/50) - 1 {
		m := regexp.MustCompile(`href="(/admin/users\?after=[^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			break
		}
		deep = strings.ReplaceAll(m[1], "&amp;", "&")
		_, page = b.do(http.MethodGet, deep, nil)
	}
	if deep == "" {
		deep = "/admin/users"
	}
	_, audit := b.do(http.MethodGet, "/admin/audit", nil)
	seq := regexp.MustCompile(`href="/admin/audit/(\d+)"`).FindStringSubmatch(audit)
	_, ev := b.do(http.MethodGet, "/admin/audit/"+seq[1], nil)
	// The page escapes the event's quotes.
	principal := regexp.MustCompile(`userId(?:&#34;|"): (?:&#34;|")([^&"]+)`).FindStringSubmatch(ev)
	if principal == nil {
		check(fmt.Errorf("no user id in the event page"))
	}
	day := time.Now().UTC().Add(-15 * 24 * time.Hour)
	paths := map[string]func(i int) string{
		"users": func(int) string { return "/admin/users" },
		// Prefixes that match 100 users each on both instances, so that
		// every search fills a page.
		"users: search": func(i int) string {
			return fmt.Sprintf("/admin/users?by=user_name&q=user%04d", (i*37)%max(users/100, 1))
		},
		"users: page 1000": func(int) string { return deep },
		"audit":            func(int) string { return "/admin/audit" },
		"audit: by event":  func(i int) string { return "/admin/audit?event=" + eventNames[i%len(eventNames)].name },
		"audit: by user":   func(int) string { return "/admin/audit?user=" + url.QueryEscape(principal[1]) },
		"audit: failures":  func(int) string { return "/admin/audit?outcome=failure" },
		"audit: one day": func(int) string {
			return "/admin/audit?from=" + day.Format("2006-01-02T15:04") + "&to=" + day.Add(24*time.Hour).Format("2006-01-02T15:04")
		},
		"audit: event detail": func(int) string { return "/admin/audit/" + seq[1] },
		"dashboard":           func(int) string { return "/admin/" },
	}
	server, client := map[string][]time.Duration{}, map[string][]time.Duration{}
	for name, path := range paths {
		for i := range requests {
			t := time.Now()
			res, _ := b.do(http.MethodGet, path(i), nil)
			rt := time.Since(t)
			if res.StatusCode != 200 {
				check(fmt.Errorf("%s %s: %d", name, path(i), res.StatusCode))
			}
			m := durRE.FindStringSubmatch(res.Header.Get("Server-Timing"))
			if m == nil {
				check(fmt.Errorf("%s: no Server-Timing", name))
			}
			ms, _ := strconv.ParseFloat(m[1], 64)
			server[name] = append(server[name], time.Duration(ms*float64(time.Millisecond)))
			client[name] = append(client[name], rt)
		}
	}
	return server, client
}

func pct(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))].Round(10 * time.Microsecond)
}
