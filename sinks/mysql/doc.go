// Package mysql is the MySQL/MariaDB sink: a sinks.Target that keeps a MySQL or MariaDB
// follower in the state of the captured MySQL/MariaDB or Postgres tables.
//
// The apply itself (table creation and evolution, grouped upserts, deletes, truncates,
// offsets in the same transaction) is sinks/internal/sqlapply; this package adds the
// MySQL dialect: backquoted identifiers, ? placeholders, INSERT ... ON DUPLICATE KEY
// UPDATE, the information_schema query, and the mapping of event types and values to
// MySQL column types and parameters. docs/SINKS.md has the type mapping for both source
// engines, with what is lossy.
//
// MySQL commits the open transaction on DDL, so the dialect asks sqlapply to make a
// batch's tables fit before the batch's transaction (sqlapply.DDLCommitter); a batch's
// rows and offsets still commit together. TRUNCATE is DDL too: truncates are DELETE FROM.
//
// The package opens a database/sql pool on go-mysql's driver, with every connection set
// to utf8mb4, time_zone '+00:00' and strict mode, and runs no goroutines of its own.
package mysql
