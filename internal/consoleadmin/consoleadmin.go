// Package consoleadmin decides who may use the admin console and what they
// may do there.
//
// A console administrator is a user of the identity store holding a grant.
// For authorisation the user is an IAM-style principal,
// arn:aws:identitystore:::user/<user id>, whose permissions are IAM policy
// documents: a FULL grant acts with AWS's AdministratorAccess, a READ_ONLY
// grant with Gatehouse's read-only console policy (ConsoleReadOnlyPolicy),
// and a POLICY grant with managed policies it names (AWS managed, or
// customer managed in the management account: the same documents a
// delegated administrator's IAM user attaches). Every console action is
// authorised with the IAM action name and resources of the equivalent API
// call, evaluated by the policy engine (internal/policy), so the same
// documents mean the same thing wherever they are used.
//
// Grants are changed through GatehouseAdmin.PutConsoleAccess and
// DeleteConsoleAccess (or the console calling them); each change commits
// with its audit event. Deleting the user deletes the grant in the same
// transaction (the service is a directory hook).
package consoleadmin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Grant levels.
const (
	LevelFull     = "FULL"
	LevelReadOnly = "READ_ONLY"
	LevelPolicy   = "POLICY"
)

// MaxPolicies bounds the policies of a POLICY grant (IAM allows 10
// managed policies per user).
const MaxPolicies = 10

// AdministratorAccessARN is the policy a FULL grant acts with.
const AdministratorAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"

// ReadOnlyPolicyName names ConsoleReadOnlyPolicy in decisions.
const ReadOnlyPolicyName = "GatehouseConsoleReadOnly"

// ConsoleReadOnlyPolicy is what a READ_ONLY grant may do: every read of the
// services the console shows, and nothing else.
const ConsoleReadOnlyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "ConsoleReadOnly",
    "Effect": "Allow",
    "Action": [
      "identitystore:Describe*", "identitystore:List*", "identitystore:Get*", "identitystore:IsMemberInGroups",
      "sso:Describe*", "sso:List*", "sso:Get*",
      "organizations:Describe*", "organizations:List*",
      "iam:Get*", "iam:List*",
      "gatehouse:Describe*", "gatehouse:List*", "gatehouse:Get*",
      "cloudtrail:LookupEvents"
    ],
    "Resource": "*"
  }]
}`

// PolicyDocuments resolves a managed policy ARN to the document of its
// default version: AWS managed from the catalogue, customer managed from
// the management account. A policy that does not exist is a fault.NotFound.
type PolicyDocuments interface {
	PolicyDocument(ctx context.Context, arn string) (string, error)
}

// Options configure the service.
type Options struct {
	Store     store.Store
	Documents PolicyDocuments
	// AccountID is the management account: console administrators act in
	// it (aws:PrincipalAccount).
	AccountID string
	// Region is aws:RequestedRegion and the services' PrimaryRegion.
	Region string
	// CacheTTL bounds how long a compiled grant is reused before its
	// customer-managed documents are read again (default 5 s). The grant
	// itself is read on every decision, so a revocation applies at once.
	CacheTTL time.Duration
	Log      *slog.Logger
	Now      func() time.Time
}

// Service keeps console grants and makes console decisions.
type Service struct {
	o        Options
	readOnly *policy.Document

	mu    sync.Mutex
	cache map[string]*compiled // by user id
}

type compiled struct {
	fingerprint string
	set         *policy.Compiled
	at          time.Time
}

// New returns the service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Documents == nil {
		return nil, errors.New("consoleadmin: Options.Store and Options.Documents are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = 5 * time.Second
	}
	doc, err := policy.Parse([]byte(ConsoleReadOnlyPolicy), policy.IdentityBased)
	if err != nil {
		return nil, fmt.Errorf("consoleadmin: the read-only policy: %w", err)
	}
	return &Service{o: o, readOnly: doc, cache: map[string]*compiled{}}, nil
}

// UserARN is the principal ARN of an identity store user acting in the
// console (the identitystore User resource ARN).
func UserARN(userID string) string { return "arn:aws:identitystore:::user/" + userID }

// ---- grants ----

// Put grants (or changes) a user's console access.
func (s *Service) Put(ctx context.Context, userID, level string, policyARNs []string) (store.ConsoleGrant, error) {
	arns, err := s.check(ctx, level, policyARNs)
	if err != nil {
		return store.ConsoleGrant{}, err
	}
	g := store.ConsoleGrant{UserID: userID, Level: level, PolicyARNs: arns, GrantedAt: s.o.Now().UTC(), GrantedBy: actor(ctx)}
	err = s.o.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.GetUser(ctx, userID); errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("USER", userID, "USER not found.")
		} else if err != nil {
			return err
		}
		if err := tx.PutConsoleGrant(ctx, g); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, map[string]any{"userId": userID, "accessLevel": level, "policyArns": arns})
	})
	if err != nil {
		return store.ConsoleGrant{}, err
	}
	s.forget(userID)
	return g, nil
}

// check validates a grant's level and policies; it returns the policy
// ARNs without duplicates.
func (s *Service) check(ctx context.Context, level string, arns []string) ([]string, error) {
	switch level {
	case LevelFull, LevelReadOnly:
		if len(arns) > 0 {
			return nil, fault.Invalidf("PolicyArns are only allowed with AccessLevel POLICY")
		}
		return []string{}, nil
	case LevelPolicy:
	default:
		return nil, fault.Invalidf("AccessLevel must be one of FULL, READ_ONLY, POLICY")
	}
	var out []string
	for _, a := range arns {
		a = strings.TrimSpace(a)
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 || len(out) > MaxPolicies {
		return nil, fault.Invalidf("AccessLevel POLICY needs 1 to %d PolicyArns", MaxPolicies)
	}
	for _, a := range out {
		doc, err := s.o.Documents.PolicyDocument(ctx, a)
		if fault.Is(err, fault.NotFound) {
			// Named as the grant's API names it, whatever IAM's code.
			return nil, fault.NotFoundf("POLICY", a, "Policy %s does not exist or is not attachable.", a)
		}
		if err != nil {
			return nil, err
		}
		if _, err := policy.Parse([]byte(doc), policy.IdentityBased); err != nil {
			return nil, fault.Invalidf("Policy %s is not a valid identity-based policy: %v", a, err)
		}
	}
	return out, nil
}

// Delete revokes a user's console access.
func (s *Service) Delete(ctx context.Context, userID string) error {
	err := s.o.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteConsoleGrant(ctx, userID); errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("CONSOLE_ACCESS", userID, "The user has no console access.")
		} else if err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
	if err == nil {
		s.forget(userID)
	}
	return err
}

// Get returns a user's grant (a fault.NotFound when there is none).
func (s *Service) Get(ctx context.Context, userID string) (store.ConsoleGrant, error) {
	g, err := s.o.Store.GetConsoleGrant(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return g, fault.NotFoundf("CONSOLE_ACCESS", userID, "The user has no console access.")
	}
	return g, err
}

// List pages through the grants in user id order and says whether more
// follow.
func (s *Service) List(ctx context.Context, after string, limit int) ([]store.ConsoleGrant, bool, error) {
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	gs, err := s.o.Store.ListConsoleGrants(ctx, after, limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(gs) > limit {
		return gs[:limit], true, nil
	}
	return gs, false, nil
}

// actor names who makes the current change, as the directory does.
func actor(ctx context.Context) string {
	if e, ok := audit.FromContext(ctx); ok && e.UserIdentity.ARN != "" {
		return e.UserIdentity.ARN
	}
	return "gatehouse"
}

// ---- directory hook ----

// UserDeleted deletes the user's grant with the user.
func (s *Service) UserDeleted(ctx context.Context, tx store.Tx, userID string) error {
	if err := tx.DeleteConsoleGrant(ctx, userID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// After the commit, as Put and Delete do: a decision read meanwhile
	// would cache the grant from before it.
	tx.AfterCommit(func() { s.forget(userID) })
	return nil
}

// GroupDeleted changes nothing: grants belong to users.
func (s *Service) GroupDeleted(context.Context, store.Tx, string) error { return nil }

// UserDisabled keeps the grant: a disabled user cannot sign in, and the
// grant applies again if the user is enabled.
func (s *Service) UserDisabled(context.Context, store.Tx, string) error { return nil }

// ---- decisions ----

// Principal is a console administrator making a request: the facts the
// decision's condition keys come from.
type Principal struct {
	UserID     string
	UserName   string
	MFAPresent bool
	AuthTime   time.Time
	SourceIP   string
	// SecureTransport is whether the request came over https.
	SecureTransport bool
}

// ARN returns the principal's ARN.
func (p Principal) ARN() string { return UserARN(p.UserID) }

// Decision is the answer for one resource.
type Decision struct {
	Resource string
	policy.Result
}

// Decide evaluates action on every resource (none means "*") for p, with
// the policies of p's grant; keys are the condition keys the request
// supplies (aws:RequestTag/…, …). Without a grant every decision is an
// implicit deny. The request is allowed only if every decision allows.
func (s *Service) Decide(ctx context.Context, p Principal, action string, resources []string, keys map[string][]string) ([]Decision, error) {
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	set, err := s.policySet(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]Decision, 0, len(resources))
	if set == nil {
		for _, r := range resources {
			out = append(out, Decision{Resource: r, Result: policy.Result{Decision: policy.ImplicitDeny, Layer: policy.LayerIdentity, Statement: -1}})
		}
		return out, nil
	}
	var c policy.Context
	s.addKeys(&c, p)
	if s.o.Region != "" {
		if svc, _, ok := strings.Cut(action, ":"); ok && (svc == "sso" || svc == "identitystore") {
			c.Add(svc+":PrimaryRegion", s.o.Region)
		}
	}
	for k, vs := range keys {
		for _, v := range vs {
			c.Add(k, v)
		}
	}
	for _, r := range resources {
		out = append(out, Decision{Resource: r, Result: set.Evaluate(&policy.Request{Action: action, Resource: r, Context: &c})})
	}
	return out, nil
}

// Authorize returns nil when p may perform action on every resource, and
// otherwise a fault.Denied whose message is IAM's.
func (s *Service) Authorize(ctx context.Context, p Principal, action string, resources []string, keys map[string][]string) error {
	ds, err := s.Decide(ctx, p, action, resources, keys)
	if err != nil {
		return err
	}
	return Denial(p, action, ds)
}

// Denial returns nil when every decision allows, and otherwise the
// fault.Denied of the first that does not, with IAM's message.
func Denial(p Principal, action string, ds []Decision) error {
	for _, d := range ds {
		on := ""
		if d.Resource != "*" && d.Resource != "" {
			on = " on resource: " + d.Resource
		}
		switch d.Decision {
		case policy.Allow:
			continue
		case policy.ExplicitDeny:
			return fault.Deniedf("User: %s is not authorized to perform: %s%s with an explicit deny in an identity-based policy",
				p.ARN(), action, on)
		default:
			return fault.Deniedf("User: %s is not authorized to perform: %s%s because no identity-based policy allows the %s action",
				p.ARN(), action, on, action)
		}
	}
	return nil
}

// HasAccess reports whether a user holds a grant at all.
func (s *Service) HasAccess(ctx context.Context, userID string) (bool, error) {
	_, err := s.o.Store.GetConsoleGrant(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *Service) addKeys(c *policy.Context, p Principal) {
	now := s.o.Now()
	c.Add(policy.KeyPrincipalArn, p.ARN())
	c.Add(policy.KeyPrincipalAccount, s.o.AccountID)
	c.Add(policy.KeyPrincipalType, "User")
	c.Add("aws:PrincipalIsAWSService", "false")
	c.Add(policy.KeyUserID, p.UserID)
	c.Add(policy.KeyUsername, p.UserName)
	c.AddBool(policy.KeyMultiFactorAuthPresent, p.MFAPresent)
	if p.MFAPresent && !p.AuthTime.IsZero() {
		c.Add(policy.KeyMultiFactorAuthAge, strconv.FormatInt(max(int64(now.Sub(p.AuthTime)/time.Second), 0), 10))
	}
	c.Add(policy.KeyCurrentTime, now.UTC().Format(time.RFC3339))
	c.Add(policy.KeyEpochTime, strconv.FormatInt(now.Unix(), 10))
	if p.SourceIP != "" {
		c.Add(policy.KeySourceIP, p.SourceIP)
	}
	c.AddBool(policy.KeySecureTransport, p.SecureTransport)
	c.Add("aws:ViaAWSService", "false")
	if s.o.Region != "" {
		c.Add(policy.KeyRequestedRegion, s.o.Region)
	}
}

// policySet returns the compiled policies of a user's grant, or nil when
// the user has none. The grant is read every time (a revocation applies at
// once); the compiled set is reused while the grant is unchanged and
// younger than CacheTTL.
func (s *Service) policySet(ctx context.Context, userID string) (*policy.Compiled, error) {
	g, err := s.o.Store.GetConsoleGrant(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("consoleadmin: read the grant of %s: %w", userID, err)
	}
	fp := g.Level + "\x00" + strings.Join(g.PolicyARNs, "\x00") + "\x00" + g.GrantedAt.String()
	now := s.o.Now()
	s.mu.Lock()
	c := s.cache[userID]
	s.mu.Unlock()
	if c != nil && c.fingerprint == fp && now.Sub(c.at) < s.o.CacheTTL {
		return c.set, nil
	}
	set, err := s.compile(ctx, g)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.cache) > 10000 {
		clear(s.cache) // bounded; active administrators come back at once
	}
	s.cache[userID] = &compiled{fingerprint: fp, set: set, at: now}
	s.mu.Unlock()
	return set, nil
}

func (s *Service) compile(ctx context.Context, g store.ConsoleGrant) (*policy.Compiled, error) {
	var pols []policy.Policy
	switch g.Level {
	case LevelFull:
		doc, err := s.document(ctx, AdministratorAccessARN)
		if err != nil {
			return nil, err
		}
		pols = append(pols, policy.Policy{Name: AdministratorAccessARN, Document: doc})
	case LevelReadOnly:
		pols = append(pols, policy.Policy{Name: ReadOnlyPolicyName, Document: s.readOnly})
	case LevelPolicy:
		for _, a := range g.PolicyARNs {
			doc, err := s.document(ctx, a)
			if fault.Is(err, fault.NotFound) {
				// A policy deleted since the grant grants nothing.
				s.o.Log.Warn("console grant names a policy that is gone", "user_id", g.UserID, "policy_arn", a)
				continue
			}
			if err != nil {
				return nil, err
			}
			pols = append(pols, policy.Policy{Name: a, Document: doc})
		}
	}
	set, err := policy.Compile(policy.Set{Identity: pols})
	if err != nil {
		return nil, fmt.Errorf("consoleadmin: compile the grant of %s: %w", g.UserID, err)
	}
	return set, nil
}

func (s *Service) document(ctx context.Context, arn string) (*policy.Document, error) {
	text, err := s.o.Documents.PolicyDocument(ctx, arn)
	if err != nil {
		return nil, err
	}
	doc, err := policy.Parse([]byte(text), policy.IdentityBased)
	if err != nil {
		return nil, fmt.Errorf("consoleadmin: parse %s: %w", arn, err)
	}
	return doc, nil
}

func (s *Service) forget(userID string) {
	s.mu.Lock()
	delete(s.cache, userID)
	s.mu.Unlock()
}
