package sqlstore

import (
	"strconv"
	"strings"
	"sync"
)

// dialect is what differs between the SQL backends.
type dialect struct {
	name string
	// numbered placeholders ($1, $2, …) instead of ?.
	numbered bool
	// conflict extracts the "table.column" of a uniqueness violation.
	conflict func(err error) (string, bool)
	// retryable reports a transaction that lost a race and may be re-run.
	retryable func(err error) bool
	// lockMigrations is a statement that serialises migrations across
	// processes, run first in each migration transaction.
	lockMigrations string

	rebound sync.Map // query text → rebound text
}

// rebind rewrites ? placeholders for dialects that number them. Queries are
// written once with ?; the rewritten text is cached per dialect.
func (d *dialect) rebind(query string) string {
	if !d.numbered {
		return query
	}
	if v, ok := d.rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	out := b.String()
	d.rebound.Store(query, out)
	return out
}

// translate turns a uniqueness violation into a store.ConflictError and
// leaves other errors as they are.
func (d *dialect) translate(err error) error {
	if err == nil {
		return nil
	}
	if c, ok := d.conflict(err); ok {
		return conflictError(c, err)
	}
	return err
}
