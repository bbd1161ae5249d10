// Package postgres captures row changes from Postgres through logical replication.
//
// A Source owns one replication slot (plugin pgoutput) and one publication in one database.
// Run creates both when they are missing, keeps the publication's table list equal to the
// configured tables (patterns resolved through the catalog), and streams from the slot's
// confirmed_flush_lsn: every Begin…Commit of the slot becomes event.Changes followed by
// one Handler.Commit whose position is the transaction's end LSN. Ack moves the slot's
// flush position: the server may discard WAL up to a position only after the pipeline says
// that everything before it is durable in Kafka. The one other move is over idle WAL: when
// the server reports its WAL end between transactions and everything handed over before
// that report is acknowledged, that end is confirmed too (nothing unacknowledged lies
// before it, and without it a server cannot shut down cleanly while idle).
//
// Heartbeats are logical decoding messages the source writes itself
// (pg_logical_emit_message, prefix "dovetail_heartbeat", non-transactional): decoding them
// moves the slot forward while the captured tables are idle, and they reach the Handler as
// Heartbeat. Other messages reach it as Message.
//
// Values are decoded from pgoutput's text format into the Go values package event
// documents, typed as Debezium's Postgres connector types them by default
// (decimal.handling.mode=precise, time.precision.mode=adaptive,
// interval.handling.mode=numeric, hstore.handling.mode=json); see types.go for the
// mapping and its few deliberate deviations.
//
// The package does not snapshot tables, does not know Kafka or Avro, and never drops a
// slot or publication: that is an operator's decision (dovetail validate prints the commands).
package postgres
