package sigv4

import (
	"crypto/sha256"
	"sync"
)

// keyCache holds derived signing keys so that a busy client costs one
// HMAC per request instead of five. Entries are keyed by a hash of the
// secret and the scope, so the cache never holds a secret and a rotated
// secret misses. It is bounded; when full, an arbitrary entry goes, which
// is enough for a working set of a few hundred keys a day.
type keyCache struct {
	mu   sync.Mutex
	max  int
	keys map[[sha256.Size]byte]SigningKey
}

func newKeyCache(max int) *keyCache {
	if max <= 0 {
		return nil
	}
	return &keyCache{max: max, keys: make(map[[sha256.Size]byte]SigningKey, max)}
}

func cacheID(secret string, scope Scope) [sha256.Size]byte {
	var buf [256]byte
	b := buf[:0]
	// Each part length-prefixed, so no two tuples share an encoding.
	for _, s := range [...]string{secret, scope.Date, scope.Region, scope.Service} {
		n := len(s)
		b = append(b, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		b = append(b, s...)
	}
	return sha256.Sum256(b)
}

// get returns the signing key for secret and scope, deriving it on a miss.
func (c *keyCache) get(secret string, scope Scope) SigningKey {
	if c == nil {
		return DeriveSigningKey(secret, scope)
	}
	id := cacheID(secret, scope)
	c.mu.Lock()
	k, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return k
	}
	k = DeriveSigningKey(secret, scope)
	c.mu.Lock()
	if len(c.keys) >= c.max {
		for old := range c.keys {
			delete(c.keys, old)
			break
		}
	}
	c.keys[id] = k
	c.mu.Unlock()
	return k
}
