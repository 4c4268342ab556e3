package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// auditEvents returns every stored audit event, newest first, decoded.
func (a *testApp) auditEvents(t testing.TB) []map[string]any {
	t.Helper()
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
