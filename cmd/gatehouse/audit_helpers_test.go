package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// flushAudit waits until the events of every call made so far are stored
// (reads and failures are written in the background).
func (a *testApp) flushAudit(t testing.TB) {
	t.Helper()
	if err := a.app.audit.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// auditEvents returns every stored audit event, newest first, decoded.
func (a *testApp) auditEvents(t testing.TB) []map[string]any {
	t.Helper()
	a.flushAudit(t)
	db, ok := a.app.store.(*sqlstore.DB)
	if !ok {
		t.Fatal("app has no SQL store")
	}
	recs, err := db.ListAuditEvents(context.Background(), store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		if err := json.Unmarshal(r.Document, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
