package signin_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// softKey is a software WebAuthn authenticator (ES256, "none"
// attestation) whose every field a test can bend: origin, type, RP id,
// flags, counter. It builds the same bytes a browser and a security key
// would send.
type softKey struct {
	key     *ecdsa.PrivateKey
	id      []byte
	counter uint32
	handle  []byte
}

func newSoftKey() *softKey {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	id := make([]byte, 32)
	rand.Read(id)
	return &softKey{key: k, id: id}
}

var b64 = base64.RawURLEncoding

// ceremony bends one aspect of a response.
type ceremony struct {
	typ     string // clientData type; default per ceremony
	origin  string // default http://localhost:8080
	rpID    string // default localhost
	flags   byte   // default UP|UV
	counter *uint32
	keyID   []byte // credential id to present (default the key's)
}

const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

func (c ceremony) with(def string) ceremony {
	if c.typ == "" {
		c.typ = def
	}
	if c.origin == "" {
		c.origin = "http://localhost:8080"
	}
	if c.rpID == "" {
		c.rpID = "localhost"
	}
	if c.flags == 0 {
		c.flags = flagUP | flagUV
	}
	return c
}

func challengeOf(t *testing.T, options []byte) string {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			User      struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil || o.PublicKey.Challenge == "" {
		t.Fatalf("options %s: %v", options, err)
	}
	return o.PublicKey.Challenge
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

func (k *softKey) authData(c ceremony, attested bool) []byte {
	rp := sha256.Sum256([]byte(c.rpID))
	out := append([]byte{}, rp[:]...)
	flags := c.flags
	if attested {
		flags |= flagAT
	}
	out = append(out, flags)
	counter := k.counter
	if c.counter != nil {
		counter = *c.counter
	}
	out = binary.BigEndian.AppendUint32(out, counter)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID
		out = binary.BigEndian.AppendUint16(out, uint16(len(k.id)))
		out = append(out, k.id...)
		x, y := k.key.PublicKey.X.FillBytes(make([]byte, 32)), k.key.PublicKey.Y.FillBytes(make([]byte, 32))
		cose, _ := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
		out = append(out, cose...)
	}
	return out
}

// register answers a creation request.
func (k *softKey) register(options []byte, c ceremony, t *testing.T) []byte {
	c = c.with("webauthn.create")
	cd := clientData(c.typ, challengeOf(t, options), c.origin)
	att, _ := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(c, true)})
	resp, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "attestationObject": b64.EncodeToString(att)},
	})
	return resp
}

// assert answers an assertion request.
func (k *softKey) assert(options []byte, c ceremony, t *testing.T) []byte {
	c = c.with("webauthn.get")
	cd := clientData(c.typ, challengeOf(t, options), c.origin)
	ad := k.authData(c, false)
	h := sha256.Sum256(cd)
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, sha256Sum(append(append([]byte{}, ad...), h[:]...)))
	if err != nil {
		t.Fatal(err)
	}
	id := k.id
	if c.keyID != nil {
		id = c.keyID
	}
	resp, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig)},
	})
	return resp
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// toRegister signs a user in up to the MFA registration step.
func (e *env) toRegister(u store.User) string {
	e.t.Helper()
	n := e.must(e.svc.SubmitUsername(ctx, u.UserName, ""))
	n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "tangerine submarine orbit", browser))
	if n.Step != signin.StepRegisterMFA {
		e.t.Fatalf("step %q", n.Step)
	}
	return n.FlowToken
}

func (e *env) toMFA(u store.User) string {
	e.t.Helper()
	n := e.must(e.svc.SubmitUsername(ctx, u.UserName, ""))
	n = e.must(e.svc.SubmitPassword(ctx, n.FlowToken, "tangerine submarine orbit", browser))
	if n.Step != signin.StepMFA {
		e.t.Fatalf("step %q", n.Step)
	}
	return n.FlowToken
}

func (e *env) lastFailure(name string) string {
	evs := e.events(name)
	for i := len(evs) - 1; i >= 0; i-- {
		if r := reason(evs[i]); r != "" {
			return r
		}
	}
	return ""
}

// TestWebAuthnRegistrationNegatives (SECURITY C.15): each bent response is
// refused with a specific, audited reason, and nothing is stored.
func TestWebAuthnRegistrationNegatives(t *testing.T) {
	e := newEnv(t)
	u := e.user("nora")
	e.setPassword(u, "tangerine submarine orbit")
	key := newSoftKey()
	for name, c := range map[string]ceremony{
		"wrong type":       {typ: "webauthn.get"},
		"http other port":  {origin: "http://localhost:9999"},
		"https origin":     {origin: "https://localhost:8080"},
		"subdomain origin": {origin: "http://evil.localhost:8080"},
		"other RP id hash": {rpID: "evil.example"},
		"no user presence": {flags: flagUV},
	} {
		flow := e.toRegister(u)
		opts, err := e.svc.BeginWebAuthnRegistration(ctx, flow)
		if err != nil {
			t.Fatal(err)
		}
		n, err := e.svc.FinishWebAuthnRegistration(ctx, flow, key.register(opts, c, t), "key", browser)
		if err != nil || n.Session != nil || n.Message == "" {
			t.Errorf("%s: accepted or failed oddly: %+v, %v", name, n, err)
		}
		if r := e.lastFailure("CredentialVerification"); r == "" || !strings.Contains(r, "ceremony refused") {
			t.Errorf("%s: audited reason %q", name, r)
		}
		if list, _ := e.db.ListMFADevices(context.Background(), u.ID); len(list) != 0 {
			t.Fatalf("%s: a device was stored", name)
		}
	}
	// Challenge reuse: a response for an old challenge after a new Begin.
	flow := e.toRegister(u)
	old, _ := e.svc.BeginWebAuthnRegistration(ctx, flow)
	e.svc.BeginWebAuthnRegistration(ctx, flow)
	if n, _ := e.svc.FinishWebAuthnRegistration(ctx, flow, key.register(old, ceremony{}, t), "key", browser); n.Session != nil {
		t.Fatal("a stale challenge registered a key")
	}
	// UV missing when required.
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{WebAuthnUserVerification: ptr("REQUIRED")})
	opts, _ := e.svc.BeginWebAuthnRegistration(ctx, flow)
	if n, _ := e.svc.FinishWebAuthnRegistration(ctx, flow, key.register(opts, ceremony{flags: flagUP}, t), "key", browser); n.Session != nil {
		t.Fatal("a key without user verification registered when UV is required")
	}
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{WebAuthnUserVerification: ptr("PREFERRED")})
	// A good registration, then the same credential for another user.
	opts, _ = e.svc.BeginWebAuthnRegistration(ctx, flow)
	if n, err := e.svc.FinishWebAuthnRegistration(ctx, flow, key.register(opts, ceremony{}, t), "key", browser); err != nil || n.Session == nil {
		t.Fatalf("good registration: %+v, %v", n, err)
	}
	other := e.user("olga")
	e.setPassword(other, "tangerine submarine orbit")
	f2 := e.toRegister(other)
	opts, _ = e.svc.BeginWebAuthnRegistration(ctx, f2)
	if n, _ := e.svc.FinishWebAuthnRegistration(ctx, f2, key.register(opts, ceremony{}, t), "key", browser); n.Session != nil {
		t.Fatal("a credential registered to one user was registered to another")
	}
	if r := e.lastFailure("CredentialVerification"); r != "CREDENTIAL_ALREADY_REGISTERED" {
		t.Fatalf("reason %q", r)
	}
}

// TestWebAuthnAssertionNegatives (SECURITY C.16): challenge replay, a
// credential of another user, origin and RP id mismatches, missing UV when
// required, and signature counter regressions are refused and audited; on
// success the stored counter is the asserted one.
func TestWebAuthnAssertionNegatives(t *testing.T) {
	e := newEnv(t)
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{MFAMode: ptr(signin.MFAAlwaysOn), MFALockoutThreshold: ptr(100)})
	u := e.user("pat")
	e.setPassword(u, "tangerine submarine orbit")
	key := newSoftKey()
	flow := e.toRegister(u)
	opts, _ := e.svc.BeginWebAuthnRegistration(ctx, flow)
	if n, err := e.svc.FinishWebAuthnRegistration(ctx, flow, key.register(opts, ceremony{}, t), "key", browser); err != nil || n.Session == nil {
		t.Fatalf("registration: %+v %v", n, err)
	}
	// Another user with a key of their own.
	q := e.user("quinn")
	e.setPassword(q, "tangerine submarine orbit")
	qkey := newSoftKey()
	qf := e.toRegister(q)
	qo, _ := e.svc.BeginWebAuthnRegistration(ctx, qf)
	e.must(e.svc.FinishWebAuthnRegistration(ctx, qf, qkey.register(qo, ceremony{}, t), "key", browser))

	try := func(c ceremony, k *softKey) (signin.Next, []byte, string) {
		flow := e.toMFA(u)
		opts, err := e.svc.BeginWebAuthn(ctx, flow)
		if err != nil {
			t.Fatal(err)
		}
		resp := k.assert(opts, c, t)
		n, err := e.svc.FinishWebAuthn(ctx, flow, resp, browser)
		if err != nil {
			t.Fatal(err)
		}
		return n, resp, flow
	}
	key.counter = 10
	n, resp, flow := try(ceremony{}, key)
	if n.Session == nil {
		t.Fatalf("good assertion: %+v (%s)", n, e.lastFailure("CredentialVerification"))
	}
	dev, _ := e.db.GetMFADeviceByCredentialID(context.Background(), b64.EncodeToString(key.id))
	if dev.SignCount != 10 {
		t.Fatalf("stored counter %d, want the asserted 10", dev.SignCount)
	}
	// Replay of the same response (the flow is gone; a new flow has a new
	// challenge).
	f2 := e.toMFA(u)
	e.svc.BeginWebAuthn(ctx, f2)
	if n, _ := e.svc.FinishWebAuthn(ctx, f2, resp, browser); n.Session != nil {
		t.Fatal("a replayed assertion signed in")
	}
	_ = flow
	// The same challenge twice in one flow.
	f3 := e.toMFA(u)
	o3, _ := e.svc.BeginWebAuthn(ctx, f3)
	key.counter = 11
	r3 := key.assert(o3, ceremony{}, t)
	e.svc.FinishWebAuthn(ctx, f3, append([]byte{}, r3[:len(r3)-2]...), browser) // garbled first try uses up the challenge
	if n, _ := e.svc.FinishWebAuthn(ctx, f3, r3, browser); n.Session != nil {
		t.Fatal("a challenge was used twice")
	}
	if r := e.lastFailure("CredentialVerification"); r != "NO_CHALLENGE_OR_CHALLENGE_REUSED" {
		t.Fatalf("reason %q", r)
	}
	back := func(v uint32) *uint32 { return &v }
	for name, c := range map[string]struct {
		c ceremony
		k *softKey
	}{
		"another user's credential": {ceremony{}, qkey},
		"origin mismatch":           {ceremony{origin: "http://localhost:9999"}, key},
		"RP id hash mismatch":       {ceremony{rpID: "evil.example"}, key},
		"wrong type":                {ceremony{typ: "webauthn.create"}, key},
		"no user presence":          {ceremony{flags: flagUV}, key},
		"counter 10 → 5":            {ceremony{counter: back(5)}, key},
		"counter equal":             {ceremony{counter: back(10)}, key},
	} {
		if n, _, _ := try(c.c, c.k); n.Session != nil {
			t.Errorf("%s: signed in", name)
		}
		if r := e.lastFailure("CredentialVerification"); r == "" {
			t.Errorf("%s: no audited reason", name)
		} else if strings.HasPrefix(name, "counter") && !strings.HasPrefix(r, "SIGN_COUNT_REGRESSION") {
			t.Errorf("%s: reason %q", name, r)
		}
	}
	// Stored 7, presented 0.
	e.db.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.SetSignCount(context.Background(), dev.ID, 10, 7, e.clock.Now())
		return err
	})
	if n, _, _ := try(ceremony{counter: back(0)}, key); n.Session != nil {
		t.Fatal("counter 7 → 0 signed in")
	}
	// UV required but absent.
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{WebAuthnUserVerification: ptr("REQUIRED")})
	key.counter = 20
	if n, _, _ := try(ceremony{flags: flagUP}, key); n.Session != nil {
		t.Fatal("an assertion without UV signed in when UV is required")
	}
	if n, _, _ := try(ceremony{}, key); n.Session == nil {
		t.Fatalf("an assertion with UV: %s", e.lastFailure("CredentialVerification"))
	}
	// The WARN policy lets a regressed counter through (and logs it).
	e.svc.UpdateSettings(adminCtx(), signin.SettingsPatch{SignCountPolicy: ptr("WARN")})
	if n, _, _ := try(ceremony{counter: back(3)}, key); n.Session == nil {
		t.Fatal("WARN policy refused a regressed counter")
	}
	dev, _ = e.db.GetMFADevice(context.Background(), dev.ID)
	if dev.SignCount != 3 {
		t.Fatalf("stored counter %d, want the asserted 3", dev.SignCount)
	}
}
