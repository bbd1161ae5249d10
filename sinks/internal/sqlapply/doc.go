// Package sqlapply applies a planned sinks.Batch to a SQL database inside one
// database/sql transaction: the part of the Postgres, MySQL and DuckDB sinks that does
// not depend on the engine.
//
// For each table of a batch it makes the target table fit the step's source shape
// (creating it when the sink's options allow, adding, dropping and retyping columns as
// far as its schema_evolution allows, failing with the table and column otherwise),
// then applies the steps in order: multi-row upserts grouped by which columns are
// unavailable (those keep the target's value), deletes by key (or of one equal row in
// keyless tables), appends and truncates. Last it stores the batch's Kafka offsets and
// source positions in the offsets table, in the same transaction, so that a batch is
// either applied with its offsets or not at all. A batch whose offsets are all at or
// below the stored ones is skipped: replays change nothing.
//
// What an engine adds is a Dialect: quoting and placeholders, the mapping of event types
// to column types and of event values to driver values, the catalog query that
// describes a target table, and the few statements whose SQL differs between engines.
// What the dialects share lives here too: the Kafka Connect and Debezium logical type
// names (names.go) and the value converters they have in common (values.go).
// The package owns no connection setup, no Kafka and no retries: the caller opens the
// *sql.DB, and the sink runtime retries a failed Apply.
package sqlapply
