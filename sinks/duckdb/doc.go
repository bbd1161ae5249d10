// Package duckdb is the DuckDB sink: a sinks.Target that keeps an analytics replica of
// the captured MySQL/MariaDB or Postgres tables in a DuckDB file, with their current
// state and, when asked, an append-only history of every change for point-in-time
// questions.
//
// The apply itself (table creation and evolution, grouped upserts, deletes, truncates,
// offsets in the same transaction) is sinks/internal/sqlapply; this package adds the
// DuckDB dialect (identifiers, statements, the catalog query, the mapping of event types
// and values to DuckDB column types and parameters), the history tables, written through
// sqlapply's Hook in the batch's transaction, and the sharing of one database instance
// per file within the process. docs/SINKS.md has the type mapping for both source
// engines, what is lossy, and the history tables' layout with a point-in-time query.
//
// VerifyOpener is internal/verify's Reader of such a file, for `dovetail verify`: it
// shares the instance of a sink in the same process, or opens the file read-only, and
// normalizes values as the sink's type mapping stores them (lists as JSON arrays,
// INTERVAL as a duration, wide decimals as the text verify parses).
//
// The package links DuckDB in through cgo (github.com/duckdb/duckdb-go/v2 and its
// prebuilt static library) and runs no goroutines of its own.
package duckdb
