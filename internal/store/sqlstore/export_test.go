package sqlstore

import "io/fs"

// MigrationFiles exposes the embedded migrations to tests.
func MigrationFiles() fs.FS { return migrationFiles }
