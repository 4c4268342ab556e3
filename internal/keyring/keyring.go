// Package keyring holds Gatehouse's master keys and uses them to encrypt
// secrets at rest (AES-256-GCM) and to derive purpose-bound MAC keys
// (HKDF-SHA256) for tokens such as pagination cursors.
//
// The keys live in a file outside the database (by default
// <data-dir>/keyring.json, mode 0600), so a copy of the database alone holds
// no usable secret. Every replica of a deployment must load the same file.
// The file may hold several keys: the primary seals, all of them open, which
// lets keys be rotated without re-encrypting everything at once.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// Keyring seals and opens secrets and derives MAC keys.
type Keyring struct {
	primary uint32
	keys    map[uint32][]byte
	aeads   map[uint32]cipher.AEAD
}

// file is the on-disk form of a keyring.
type file struct {
	Primary uint32    `json:"primary"`
	Keys    []fileKey `json:"keys"`
}

type fileKey struct {
	ID  uint32 `json:"id"`
	Key []byte `json:"key"` // 32 bytes, base64 in JSON
}

// sealVersion is the first byte of every sealed value.
const sealVersion = 1

// ErrOpen is returned when a sealed value cannot be opened: wrong key,
// altered bytes or a value sealed for another purpose.
var ErrOpen = errors.New("keyring: cannot open sealed value")

// LoadOrCreate loads the keyring at path, creating it with one fresh key if
// the file does not exist. created reports whether it was created.
func LoadOrCreate(path string) (k *Keyring, created bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, data, err := generate()
		if err != nil {
			return nil, false, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, fmt.Errorf("keyring: create directory: %w", err)
		}
		// O_EXCL: if another process created the file meanwhile, use theirs.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreate(path)
		}
		if err != nil {
			return nil, false, fmt.Errorf("keyring: create %s: %w", path, err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("keyring: write %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("keyring: sync %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, false, fmt.Errorf("keyring: close %s: %w", path, err)
		}
		return k, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("keyring: read %s: %w", path, err)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("keyring: %s is readable by others (mode %v); run chmod 600 on it", path, info.Mode().Perm())
	}
	k, err = Parse(data)
	if err != nil {
		return nil, false, fmt.Errorf("keyring: %s: %w", path, err)
	}
	return k, false, nil
}

func generate() (*Keyring, []byte, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	f := file{Primary: 1, Keys: []fileKey{{ID: 1, Key: key}}}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: encode: %w", err)
	}
	k, err := Parse(data)
	return k, data, err
}

// Parse reads a keyring from its JSON form.
func Parse(data []byte) (*Keyring, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode keyring: %w", err)
	}
	k := &Keyring{primary: f.Primary, keys: map[uint32][]byte{}, aeads: map[uint32]cipher.AEAD{}}
	for _, fk := range f.Keys {
		if len(fk.Key) != 32 {
			return nil, fmt.Errorf("key %d is %d bytes, want 32", fk.ID, len(fk.Key))
		}
		if _, dup := k.keys[fk.ID]; dup {
			return nil, fmt.Errorf("key id %d appears twice", fk.ID)
		}
		block, err := aes.NewCipher(fk.Key)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", fk.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", fk.ID, err)
		}
		k.keys[fk.ID], k.aeads[fk.ID] = fk.Key, aead
	}
	if _, ok := k.keys[k.primary]; !ok {
		return nil, fmt.Errorf("primary key %d is not in the keyring", k.primary)
	}
	return k, nil
}

// NewForTest returns a keyring with one random key that lives only in
// memory.
func NewForTest() *Keyring {
	k, _, err := generate()
	if err != nil {
		panic(err) // generate fails only if encoding/json or AES break
	}
	return k
}

// Seal encrypts plaintext under the primary key. purpose binds the value to
// where it is stored (for example "access-key:AKIA…"), so a sealed value
// copied into another row or field does not open.
func (k *Keyring) Seal(purpose string, plaintext []byte) []byte {
	aead := k.aeads[k.primary]
	out := make([]byte, 5, 5+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	binary.BigEndian.PutUint32(out[1:5], k.primary)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, []byte(purpose))
}

// Open decrypts a value made by Seal with the same purpose.
func (k *Keyring) Open(purpose string, sealed []byte) ([]byte, error) {
	if len(sealed) < 5 || sealed[0] != sealVersion {
		return nil, ErrOpen
	}
	aead, ok := k.aeads[binary.BigEndian.Uint32(sealed[1:5])]
	if !ok {
		return nil, fmt.Errorf("%w: unknown key id", ErrOpen)
	}
	rest := sealed[5:]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(purpose))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// MACKey derives a 32-byte key for one purpose from the primary key. Keys of
// different purposes are unrelated, so a token minted for one use never
// verifies for another.
func (k *Keyring) MACKey(purpose string) []byte {
	key, err := hkdf.Key(sha256.New, k.keys[k.primary], nil, "gatehouse mac "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths beyond HKDF's limit; 32 is fine
	}
	return key
}

// MAC returns HMAC-SHA256 of data under the purpose's derived key.
func (k *Keyring) MAC(purpose string, data []byte) []byte {
	m := hmac.New(sha256.New, k.MACKey(purpose))
	m.Write(data)
	return m.Sum(nil)
}

// Secret is a string that must never reach a log: slog prints it as
// [redacted] and fmt as a fixed mask.
type Secret string

// LogValue hides the secret from log/slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// String hides the secret from fmt.
func (Secret) String() string { return "[redacted]" }

// Reveal returns the secret itself, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }
