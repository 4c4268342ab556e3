package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
)

// sqlitePragmas are applied to every connection. WAL lets readers run beside
// the writer; synchronous=FULL makes each COMMIT durable before it is
// acknowledged (the group-commit writer pays that fsync once per batch).
// temp_store=MEMORY keeps the statement journal of the writer's savepoints
// (one per Update of a batch) in memory: SQLite otherwise spills it to a
// temporary file after 64 KiB, which a batch of a dozen writes reaches. It
// only serves rolling back a savepoint, never a commit's durability.
var sqlitePragmas = [][2]string{
	{"journal_mode", "WAL"},
	{"synchronous", "FULL"},
	{"busy_timeout", "10000"},
	{"foreign_keys", "1"},
	{"cache_size", "-16000"},
	{"temp_store", "MEMORY"},
}

func openSQLite(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Path == "" {
		return nil, errors.New("sqlstore: sqlite needs a database path")
	}
	if strings.ContainsAny(cfg.Path, "?#") {
		return nil, fmt.Errorf("sqlstore: sqlite path %q must not contain ? or #", cfg.Path)
	}
	release, err := lockFile(cfg.Path + ".lock")
	if err != nil {
		return nil, err
	}
	// SQLite gives the -wal and -shm files the mode of the database file,
	// so creating it owner-only keeps all three private.
	if f, err := os.OpenFile(cfg.Path, os.O_CREATE|os.O_RDWR, 0o600); err == nil {
		f.Close()
	} else {
		release()
		return nil, fmt.Errorf("sqlstore: create %s: %w", cfg.Path, err)
	}
	d := &dialect{
		name:      "sqlite",
		conflict:  sqliteConflict,
		retryable: func(error) bool { return false },
	}
	write, err := sql.Open(sqliteDriver, sqliteDSN(cfg.Path, false))
	if err != nil {
		release()
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	// Writes are serialised by the batcher's single goroutine, not by the
	// pool: the second connection lets the statement cache prepare a new
	// query while the writer's transaction holds the first.
	write.SetMaxOpenConns(2)
	write.SetMaxIdleConns(2)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	read, err := sql.Open(sqliteDriver, sqliteDSN(cfg.Path, true))
	if err != nil {
		write.Close()
		release()
		return nil, fmt.Errorf("sqlstore: open sqlite readers: %w", err)
	}
	n := cfg.MaxConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0)*2)
	}
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(0)

	readStmts, writeStmts := newStmtCache(read), newStmtCache(write)
	db := &DB{
		queries: queries{db: read, d: d, stmts: readStmts},
		dialect: d,
		read:    read,
		write:   write,
		release: release,
		log:     cfg.Logger,
	}
	// Create the file and switch it to WAL through the writer before any
	// reader (query_only) connection touches it.
	if err := db.Ping(ctx); err != nil {
		var one int
		if err2 := write.QueryRowContext(ctx, "SELECT 1").Scan(&one); err2 != nil {
			db.Close()
			return nil, fmt.Errorf("sqlstore: open %s: %w", cfg.Path, err2)
		}
	}
	db.batcher = newBatcher(write, d, writeStmts, cfg.Logger)
	db.stmtCaches = []*stmtCache{readStmts, writeStmts}
	return db, nil
}

// sqliteConflict recognises a uniqueness violation by SQLite's message,
// which every driver passes through: "UNIQUE constraint failed: t.a, t.b".
func sqliteConflict(err error) (string, bool) {
	msg := err.Error()
	i := strings.Index(msg, "UNIQUE constraint failed: ")
	if i < 0 {
		return "", false
	}
	cols := msg[i+len("UNIQUE constraint failed: "):]
	if j := strings.Index(cols, " ("); j >= 0 {
		cols = cols[:j]
	}
	return constraintName(strings.Split(cols, ", ")), true
}

// constraintName turns SQLite's "table.column" list into the index name the
// migrations give that constraint (the name PostgreSQL reports), so that
// callers see one name whatever the backend.
func constraintName(cols []string) string {
	table, _, _ := strings.Cut(cols[0], ".")
	names := make([]string, len(cols))
	for i, c := range cols {
		_, names[i], _ = strings.Cut(c, ".")
	}
	key := table + "(" + strings.Join(names, ",") + ")"
	if n, ok := uniqueIndexes[key]; ok {
		return n
	}
	return table + "_" + strings.Join(names, "_")
}

// uniqueIndexes maps SQLite's column lists to the names of the unique
// indexes and primary keys in the migrations. A test checks it against the
// schema so a new index cannot be forgotten.
var uniqueIndexes = map[string]string{
	"users(id)":                             "users_pkey",
	"users(user_name_key)":                  "users_user_name_key",
	"users(email_key)":                      "users_email_key",
	"groups(id)":                            "groups_pkey",
	"groups(display_name_key)":              "groups_display_name_key",
	"memberships(id)":                       "memberships_pkey",
	"memberships(group_id,user_id)":         "memberships_pair",
	"external_ids(kind,issuer,external_id)": "external_ids_pkey",
	"access_keys(id)":                       "access_keys_pkey",
	"audit_events(seq)":                     "audit_events_pkey",
	"audit_events(event_id)":                "audit_events_event_id",
	"instance(singleton)":                   "instance_pkey",
	// sign-in (migrations 0200–0299)
	"passwords(user_id)":           "passwords_pkey",
	"signin_counters(counter_key)": "signin_counters_pkey",
	"signin_flows(token_hash)":     "signin_flows_pkey",
	"portal_sessions(id)":          "portal_sessions_pkey",
	"portal_sessions(token_hash)":  "portal_sessions_token_hash",
	"user_tokens(token_hash)":      "user_tokens_pkey",
	"mfa_devices(id)":              "mfa_devices_pkey",
	"mfa_devices(credential_id)":   "mfa_devices_credential_id",
	"trusted_devices(token_hash)":  "trusted_devices_pkey",
	"signin_settings(singleton)":   "signin_settings_pkey",
	"mail_outbox(id)":              "mail_outbox_pkey",
	// accounts, permission sets, assignments (migrations 0100–0199)
	"organization(singleton)":                           "organization_pkey",
	"org_accounts(id)":                                  "org_accounts_pkey",
	"org_accounts(email_key)":                           "org_accounts_email_key",
	"org_units(id)":                                     "org_units_pkey",
	"org_units(parent_id,name_key)":                     "org_units_parent_name",
	"org_tags(resource_id,tag_key)":                     "org_tags_pkey",
	"create_account_requests(id)":                       "create_account_requests_pkey",
	"permission_sets(id)":                               "permission_sets_pkey",
	"permission_sets(name_key)":                         "permission_sets_name_key",
	"ps_managed_policies(permission_set_id,arn)":        "ps_managed_policies_pkey",
	"ps_customer_policies(permission_set_id,path,name)": "ps_customer_policies_pkey",
	"sso_tags(resource_id,tag_key)":                     "sso_tags_pkey",
	"account_assignments(account_id,permission_set_id,principal_type,principal_id)": "account_assignments_pkey",
	"provisioned_roles(permission_set_id,account_id)":                               "provisioned_roles_pkey",
	"provisioned_roles(account_id,role_name_key)":                                   "provisioned_roles_name",
	"provisioned_roles(role_id)":                                                    "provisioned_roles_role_id",
	"role_policy_attachments(account_id,policy_arn,permission_set_id,boundary)":     "role_policy_attachments_pkey",
	"sso_operations(request_id)":                                                    "sso_operations_pkey",
	"access_control_attributes(singleton)":                                          "access_control_attributes_pkey",
	"iam_policies(id)":                                                              "iam_policies_pkey",
	"iam_policies(account_id,name_key)":                                             "iam_policies_name",
	"iam_policy_versions(policy_id,version_no)":                                     "iam_policy_versions_pkey",
	"iam_policy_tags(policy_id,tag_key)":                                            "iam_policy_tags_pkey",
	// IAM users (migrations 0500–0599)
	"iam_users(id)":                              "iam_users_pkey",
	"iam_users(account_id,name_key)":             "iam_users_name",
	"iam_inline_policies(owner_id,name_key)":     "iam_inline_policies_pkey",
	"iam_attached_policies(owner_id,policy_arn)": "iam_attached_policies_pkey",
	"iam_entity_tags(owner_id,tag_key)":          "iam_entity_tags_pkey",
	// the admin console (migrations 0600–0699)
	"console_grants(user_id)": "console_grants_pkey",
	// OIDC, tokens, temporary credentials (migrations 0300–0399)
	"oauth_clients(id)":                 "oauth_clients_pkey",
	"oauth_device_codes(code_hash)":     "oauth_device_codes_pkey",
	"oauth_device_codes(user_code_mac)": "oauth_device_codes_user_code",
	"oauth_auth_codes(code_hash)":       "oauth_auth_codes_pkey",
	"oauth_tokens(token_hash)":          "oauth_tokens_pkey",
	"temp_credentials(access_key_id)":   "temp_credentials_pkey",
	"credential_revocations(user_id)":   "credential_revocations_pkey",
	"oauth_rate_limits(limit_key)":      "oauth_rate_limits_pkey",
}

// lockFile takes an exclusive lock so that two processes never open the same
// SQLite database: SQLite would serialise them, but each would believe its
// in-process writer is the only one.
func lockFile(path string) (func() error, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlstore: %s is in use by another process: %w", path, err)
	}
	return f.Close, nil
}
