// Package sinks holds what every sink applier shares: the records a sink reads from
// Kafka, the Target interface the engines (sinks/postgres, sinks/mysql, sinks/duckdb)
// implement, the naming of target tables, and the plan that turns a run of records
// into the few statements a target transaction needs (Plan).
//
// Delivery: a Target applies a batch's rows and stores the Kafka offsets the batch
// reached in the same target transaction. On start the runtime reads them back
// (Target.Offsets) and consumes from the next offset; records at or below a stored
// offset are never applied twice. Together with the sources' at-least-once delivery
// into Kafka and upserts keyed by the source row's key, a follower ends in the source's
// state, effectively once.
//
// A sink may import the event model, package schema's types and internal helpers,
// never pipelines or a source.
package sinks
