package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds the cache; the queries are static strings, so
// it is only reached by a bug that builds queries from data.
const maxCachedStatements = 1000

// stmtCache keeps one prepared statement per query text for one pool.
// modernc's SQLite driver parses SQL on every unprepared call, which costs
// more than running a simple statement; database/sql prepares a cached
// statement at most once per connection and reuses it, also inside
// transactions (Tx.StmtContext).
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

// get returns the prepared statement for query, or nil when it cannot be
// cached (the caller then runs the query unprepared).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	s, ok := c.m[query]
	c.mu.Unlock()
	if ok {
		return s
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil // the unprepared call reports the error
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok {
		s.Close()
		return old
	}
	if len(c.m) >= maxCachedStatements {
		return s // used once; closed with the pool
	}
	c.m[query] = s
	return s
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	clear(c.m)
}
