package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/fault"
)

// fast parameters keep the tests quick; DefaultParams are checked once.
var fast = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(DefaultParams, 2, 0)
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the default parameters", enc)
	}
	p, salt, _, err := decode(enc)
	if err != nil || p != DefaultParams || len(salt) < 16 {
		t.Fatalf("decode = %+v, salt %d bytes, %v", p, len(salt), err)
	}
	for pw, want := range map[string]bool{
		"correct horse battery staple":  true,
		"correct horse battery staple ": false, // spaces are kept, not trimmed
		"Correct horse battery staple":  false,
	} {
		ok, rehash, err := h.Verify(ctx, enc, pw)
		if err != nil || ok != want || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want %v", pw, ok, rehash, err, want)
		}
	}
	enc2, _ := h.Hash(ctx, "correct horse battery staple")
	if enc2 == enc {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
}

// TestNormalization: NFC and NFD forms of a passphrase are the same password;
// a 64-character Unicode passphrase with surrounding spaces is verified as
// typed, without truncation.
func TestNormalization(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(fast, 1, 0)
	nfc := "  Crème brûlée für Äpfel — 日本語のパスフレーズ Ωmega ñandú ĳssel 12 "
	nfd := "  Cre\u0300me bru\u0302le\u0301e fu\u0308r A\u0308pfel — 日本語のパスフレーズ Ωmega n\u0303andu\u0301 ĳssel 12 "
	enc, err := h.Hash(ctx, nfc)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := h.Verify(ctx, enc, nfd); !ok {
		t.Fatal("the NFD form of the passphrase did not verify")
	}
	if ok, _, _ := h.Verify(ctx, enc, strings.TrimSpace(nfc)); ok {
		t.Fatal("the trimmed passphrase verified: spaces must count")
	}
	if ok, _, _ := h.Verify(ctx, enc, nfc[:len(nfc)-2]); ok {
		t.Fatal("a truncated passphrase verified")
	}
}

func TestRehashOnOldParameters(t *testing.T) {
	ctx := context.Background()
	old := HashWith(Params{Memory: 32, Time: 1, Threads: 1}, "s3cret-legacy")
	h := NewHasher(fast, 1, 0)
	ok, rehash, err := h.Verify(ctx, old, "s3cret-legacy")
	if !ok || !rehash || err != nil {
		t.Fatalf("Verify(legacy) = %v, %v, %v; want ok and rehash", ok, rehash, err)
	}
	ok, rehash, _ = h.Verify(ctx, old, "wrong")
	if ok || rehash {
		t.Fatal("a wrong password asked for a rehash")
	}
}

func TestTooLongRefusedBeforeHashing(t *testing.T) {
	h := NewHasher(fast, 1, 1)
	huge := strings.Repeat("x", 1<<20)
	if _, err := h.Hash(context.Background(), huge); !errors.Is(err, ErrTooLong) {
		t.Fatalf("Hash(1 MB) = %v, want ErrTooLong", err)
	}
	if _, _, err := h.Verify(context.Background(), h.dummy, huge); !errors.Is(err, ErrTooLong) {
		t.Fatalf("Verify(1 MB) = %v", err)
	}
	if err := (Policy{Name: Standard}).Check(huge, Subject{}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("Check(1 MB) = %v", err)
	}
}

func TestBadStoredHash(t *testing.T) {
	h := NewHasher(fast, 1, 0)
	for _, s := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		if _, _, err := h.Verify(context.Background(), s, "x"); err == nil {
			t.Errorf("Verify against %q succeeded", s)
		}
	}
}

// TestPoolBounded: with one worker and a queue of one, a third concurrent
// caller is turned away at once with ErrBusy.
func TestPoolBounded(t *testing.T) {
	h := NewHasher(fast, 1, 1)
	release1, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	queued := make(chan struct{})
	go func() {
		defer wg.Done()
		close(queued)
		release2, err := h.acquire(context.Background())
		if err != nil {
			t.Error(err)
			return
		}
		release2()
	}()
	<-queued
	// Wait until the second caller occupies the queue.
	for len(h.waiting) < 2 {
	}
	if _, err := h.Hash(context.Background(), "another password"); !errors.Is(err, ErrBusy) {
		t.Fatalf("third caller got %v, want ErrBusy", err)
	}
	release1()
	wg.Wait()
}

func TestPolicies(t *testing.T) {
	std, aws := Policy{Name: Standard}, Policy{Name: AWS}
	who := Subject{UserName: "alice.liddell", Email: "alice.liddell@example.com"}
	cases := []struct {
		pw       string
		std, aws string // "" = accepted; otherwise a fragment of the message
	}{
		{"short", "at least 8", "at least 8"},
		{"correct horse battery staple", "", "upper-case letter and a number"},
		{"Tr0ub4dor&3x", "", ""},
		{"password", "not common", "not common"},
		{"Password123!", "not common", "not common"},
		{"P@ssw0rd", "not common", "not common"},
		{"aaaaaaaaaaaa", "not common", "not common"},
		{"abcabcabcabc", "not common", "not common"},
		{"12345678", "not common", "not common"},
		{"qwertyuiop", "not common", "not common"},
		{"9876543210", "not common", "not common"},
		{"xx-alice.liddell-xx", "not common", "not common"},
		{"lowercaseonlywords", "", "upper-case letter, a number and a symbol"},
		{"NoDigits!Here", "", "include a number"},
		{"The-quick-brown-fox-jumps-over-the-lazy-dog-7-times-before-Breakfast!", "", "at most 64"},
		{strings.Repeat("ñ", 64) + "Zz9!", "", "at most 64"},
		{"  leading and trailing  ", "", "upper-case letter and a number"},
	}
	for _, c := range cases {
		for _, pc := range []struct {
			p    Policy
			want string
		}{{std, c.std}, {aws, c.aws}} {
			err := pc.p.Check(c.pw, who)
			if pc.want == "" && err != nil {
				t.Errorf("%s.Check(%q) = %v, want accepted", pc.p.Name, c.pw, err)
			}
			if pc.want != "" && (err == nil || !strings.Contains(err.Error(), pc.want)) {
				t.Errorf("%s.Check(%q) = %v, want a message with %q", pc.p.Name, c.pw, err, pc.want)
			}
		}
	}
	if _, err := ParsePolicy("nist"); err == nil {
		t.Error("ParsePolicy accepted an unknown policy")
	}
}
