package keyring

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k := NewForTest()
	sealed := k.Seal("access-key:A", []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
	if bytes.Contains(sealed, []byte("wJalr")) {
		t.Fatal("sealed value contains the plaintext")
	}
	plain, err := k.Open("access-key:A", sealed)
	if err != nil || string(plain) != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	if _, err := k.Open("access-key:B", sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open with another purpose = %v, want ErrOpen", err)
	}
	for i := range sealed {
		mutated := bytes.Clone(sealed)
		mutated[i] ^= 1
		if _, err := k.Open("access-key:A", mutated); err == nil {
			t.Fatalf("a flip of byte %d went unnoticed", i)
		}
	}
	if _, err := NewForTest().Open("access-key:A", sealed); err == nil {
		t.Fatal("another keyring opened the value")
	}
	if _, err := k.Open("x", nil); !errors.Is(err, ErrOpen) {
		t.Fatal("empty input accepted")
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "keyring.json")
	k1, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreate: created=%v err=%v", created, err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("keyring file mode %v, want 0600", info.Mode().Perm())
	}
	k2, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreate: created=%v err=%v", created, err)
	}
	plain, err := k2.Open("p", k1.Seal("p", []byte("hello")))
	if err != nil || string(plain) != "hello" {
		t.Fatal("a reloaded keyring cannot open what the first sealed")
	}
	if !bytes.Equal(k1.MACKey("page"), k2.MACKey("page")) || bytes.Equal(k1.MACKey("page"), k1.MACKey("csrf")) {
		t.Fatal("MAC keys must be stable per purpose and differ across purposes")
	}
	os.Chmod(path, 0o644)
	if _, _, err := LoadOrCreate(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable keyring accepted: %v", err)
	}
}

func TestRotation(t *testing.T) {
	old := NewForTest()
	sealed := old.Seal("p", []byte("v"))
	// A keyring whose primary is a new key but which still holds the old one.
	data := fmt.Sprintf(`{"primary":2,"keys":[{"id":1,"key":%q},{"id":2,"key":"%s"}]}`,
		b64(old.keys[old.primary]), b64(bytes.Repeat([]byte{7}, 32)))
	k, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := k.Open("p", sealed); err != nil || string(plain) != "v" {
		t.Fatal("rotated keyring cannot open values of the old key")
	}
	if k.Seal("p", nil)[4] != 2 {
		t.Fatal("rotated keyring does not seal with the new primary")
	}
	for _, bad := range []string{`{"primary":3,"keys":[]}`, `{"primary":1,"keys":[{"id":1,"key":"AAAA"}]}`, `nope`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s) accepted", bad)
		}
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	s := Secret("hunter2")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("login", "password", s)
	if strings.Contains(buf.String(), "hunter2") || strings.Contains(fmt.Sprint(s), "hunter2") || strings.Contains(fmt.Sprintf("%v %s", s, s), "hunter2") {
		t.Fatalf("secret leaked: %s", buf.String())
	}
	if s.Reveal() != "hunter2" {
		t.Fatal("Reveal lost the value")
	}
}
