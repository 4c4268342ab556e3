package store

import "context"

// SystemReader reads the instance, administrator access keys and the audit
// log.
type SystemReader interface {
	GetInstance(ctx context.Context) (Instance, error)
	GetAccessKey(ctx context.Context, id string) (AccessKey, error)
	ListAuditEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
}

// SystemWriter changes the instance, access keys and the audit log.
type SystemWriter interface {
	// CreateInstance stores the instance unless one exists; created says
	// whether this call stored it (another replica may have won the race).
	CreateInstance(ctx context.Context, in Instance) (created bool, err error)
	PutAccessKey(ctx context.Context, k AccessKey) error
	AppendAuditEvents(ctx context.Context, events ...AuditEvent) error
}
