// Package password hashes and checks passwords: argon2id in PHC string
// format, run on a bounded pool of workers so that a flood of sign-in
// attempts cannot take every CPU, and the password policies ("standard",
// after NIST SP 800-63B, and "aws", after IAM Identity Center's rules).
//
// Passwords are normalised to Unicode NFKC before hashing and checking, so
// the same passphrase typed on two keyboards (composed or decomposed
// accents) is the same password; nothing else is changed (no trimming, no
// truncation).
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/gatehouse/gatehouse/internal/fault"
)

// MaxBytes bounds the input accepted for hashing. Longer input is refused
// before any work is done (a 1 MB "password" costs nothing). It comfortably
// holds MaxLength characters of any script.
const MaxBytes = 1024

// MaxLength is the longest password, in characters, any policy accepts.
const MaxLength = 256

// Params are argon2id cost parameters.
type Params struct {
	// Memory in KiB.
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultParams are OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16 // 128 bits
	keyLen  = 32
)

// ErrBusy is returned when the hashing queue is full: the caller should
// answer "try again shortly" rather than wait without bound.
var ErrBusy = &fault.Error{Kind: fault.Throttled, Message: "Too many sign-in attempts are in progress. Try again in a moment."}

// ErrTooLong is returned for input over MaxBytes, before hashing.
var ErrTooLong = fault.Invalidf("The password is longer than %d characters.", MaxLength)

// Hasher hashes and verifies passwords on a bounded pool: at most workers
// hashes run at once and at most queue callers wait; the rest get ErrBusy.
type Hasher struct {
	params  Params
	slots   chan struct{} // one per running hash
	waiting chan struct{} // one per running or waiting hash
	dummy   string        // hash of a random password, verified for unknown users
	avgNs   atomic.Int64  // moving average of one hash, for Delay
}

// NewHasher returns a hasher. workers ≤ 0 means GOMAXPROCS; queue ≤ 0 means
// 64 waiting callers per worker.
func NewHasher(p Params, workers, queue int) *Hasher {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if queue <= 0 {
		queue = 64 * workers
	}
	h := &Hasher{
		params:  p,
		slots:   make(chan struct{}, workers),
		waiting: make(chan struct{}, workers+queue),
	}
	random := make([]byte, 24)
	_, _ = rand.Read(random)
	h.dummy = h.hashNow(base64.RawStdEncoding.EncodeToString(random))
	return h
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Normalize returns the form of a password that is hashed and checked.
func Normalize(pw string) string { return norm.NFKC.String(pw) }

// acquire takes a worker slot, waiting in the bounded queue.
func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	select {
	case h.waiting <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		<-h.waiting
		return nil, ctx.Err()
	}
	return func() { <-h.slots; <-h.waiting }, nil
}

// Hash returns the PHC string of pw.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if len(pw) > MaxBytes || utf8.RuneCountInString(pw) > MaxLength {
		return "", ErrTooLong
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return h.hashNow(Normalize(pw)), nil
}

func (h *Hasher) hashNow(pw string) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	start := time.Now()
	key := argon2.IDKey([]byte(pw), salt, h.params.Time, h.params.Memory, h.params.Threads, keyLen)
	h.observe(time.Since(start))
	return encode(h.params, salt, key)
}

func (h *Hasher) observe(d time.Duration) {
	old := h.avgNs.Load()
	if old == 0 {
		h.avgNs.Store(int64(d))
		return
	}
	h.avgNs.Store(old + (int64(d)-old)/8)
}

// Verify checks pw against a PHC string. rehash reports that the hash was
// made with other parameters than the hasher's and should be replaced now
// that the plaintext is at hand.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) (ok, rehash bool, err error) {
	if len(pw) > MaxBytes || utf8.RuneCountInString(pw) > MaxLength {
		return false, false, ErrTooLong
	}
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	start := time.Now()
	got := argon2.IDKey([]byte(Normalize(pw)), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	h.observe(time.Since(start))
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && p != h.params, nil
}

// VerifyDummy does the work of a verification against a hash that never
// matches, so that an unknown user costs what a known one does.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	_, _, err := h.Verify(ctx, h.dummy, pw)
	return err
}

// Delay waits about as long as one hash takes, without using the CPU: a
// locked account answers in the time a wrong password does, yet a flood
// against it costs nothing.
func (h *Hasher) Delay(ctx context.Context) {
	d := time.Duration(h.avgNs.Load())
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// encode formats a PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$key.
func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

var errFormat = errors.New("password: stored hash is not an argon2id PHC string")

func decode(s string) (Params, []byte, []byte, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, errFormat
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, errFormat
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, errFormat
	}
	// Refuse absurd parameters from a tampered row rather than allocate
	// gigabytes.
	if p.Memory == 0 || p.Memory > 1<<21 || p.Time == 0 || p.Time > 64 || p.Threads == 0 {
		return Params{}, nil, nil, errFormat
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Params{}, nil, nil, errFormat
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return Params{}, nil, nil, errFormat
	}
	return p, salt, key, nil
}

// HashWith hashes pw with explicit parameters, outside the pool; it exists
// for tests and migrations that need a hash made with other parameters.
func HashWith(p Params, pw string) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	return encode(p, salt, argon2.IDKey([]byte(Normalize(pw)), salt, p.Time, p.Memory, p.Threads, keyLen))
}
