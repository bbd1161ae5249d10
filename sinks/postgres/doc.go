// Package postgres is the Postgres sink: a sinks.Target that keeps a Postgres follower in
// the state of the captured MySQL/MariaDB or Postgres tables.
//
// The apply itself (table creation and evolution, grouped upserts, deletes, truncates,
// offsets in the same transaction) is sinks/internal/sqlapply; this package adds the
// Postgres dialect: identifiers, statements, the catalog query, and the mapping of event
// types and values to Postgres column types and parameters. docs/SINKS.md has the whole
// type mapping for both source engines, with what is lossy.
//
// The package opens its own database/sql pool (pgx's stdlib driver) and runs no
// goroutines of its own.
package postgres
