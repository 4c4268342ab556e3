package authz

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/policy"
)

// fakeUsers serves one user's policies and counts reads.
type fakeUsers struct {
	ps    UserPolicies
	reads atomic.Int32
}

func (f *fakeUsers) UserPolicies(_ context.Context, arn string) (UserPolicies, error) {
	f.reads.Add(1)
	if arn == "arn:aws:iam::111111111111:user/gatehouse-admin" {
		return UserPolicies{Bootstrap: true}, nil
	}
	return f.ps, nil
}

func TestUsersPolicySet(t *testing.T) {
	allowSSO := UserDocument{Name: "sso", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sso:*","Resource":"*"}]}`}
	admin, err := AdminPolicySet(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeUsers{ps: UserPolicies{Identity: []UserDocument{allowSSO}, Signature: [32]byte{1}}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	users := NewUsers(src, admin, time.Second, func() time.Time { return now })
	svc, err := New(Options{Roles: NewRoles(nil, nil, 0, nil), AdminPolicy: admin, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	decide := func(arn, action string) policy.Decision {
		t.Helper()
		p := &Principal{Kind: KindAdmin, PrincipalARN: arn, AccountID: "111111111111"}
		c := svc.GetContext()
		defer svc.PutContext(c)
		ds, err := svc.Evaluate(context.Background(), p, []Check{{Action: action, Resource: "*"}}, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ds[0].Decision
	}
	const alice = "arn:aws:iam::111111111111:user/alice"
	if d := decide(alice, "sso:ListInstances"); d != policy.Allow {
		t.Fatalf("sso:ListInstances = %v", d)
	}
	if d := decide(alice, "identitystore:CreateUser"); d != policy.ImplicitDeny {
		t.Fatalf("identitystore:CreateUser = %v", d)
	}
	if d := decide("arn:aws:iam::111111111111:user/gatehouse-admin", "identitystore:CreateUser"); d != policy.Allow {
		t.Fatalf("bootstrap = %v", d)
	}
	// Within the TTL the cached set is used; after it, the policies are
	// read again and a change applies.
	reads := src.reads.Load()
	src.ps = UserPolicies{Signature: [32]byte{2}} // every policy detached
	if d := decide(alice, "sso:ListInstances"); d != policy.Allow || src.reads.Load() != reads {
		t.Fatalf("within the TTL: %v after %d reads", d, src.reads.Load()-reads)
	}
	now = now.Add(2 * time.Second)
	if d := decide(alice, "sso:ListInstances"); d != policy.ImplicitDeny {
		t.Fatalf("after the TTL a user without policies is allowed: %v", d)
	}
	// A broken stored document is an error, never an allow.
	src.ps = UserPolicies{Identity: []UserDocument{{Name: "bad", Document: `{`}}, Signature: [32]byte{3}}
	now = now.Add(2 * time.Second)
	p := &Principal{Kind: KindAdmin, PrincipalARN: alice}
	if _, err := svc.PolicySetFor(context.Background(), p); err == nil {
		t.Fatal("a malformed policy compiled")
	}
}
