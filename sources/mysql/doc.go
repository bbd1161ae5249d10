// Package mysql captures row changes from MySQL and MariaDB through the binlog.
//
// A Source registers as a replica (a unique server_id) and reads the row-based binlog
// with go-mysql's BinlogSyncer: every transaction with changes of captured tables becomes
// event.Changes followed by one Handler.Commit whose Position is the point after the
// transaction (the GTID set including it, and the next binlog file and offset). Large
// transactions also get a Commit every CheckpointEvery changes with a position inside
// them (the point before the transaction plus the count of its changes handed over,
// Position.Skip). The binlog keeps no reader positions: the pipeline stores the
// acknowledged positions (in Kafka) and hands the last one back through Resume (or
// Config.Start), and the next Run continues exactly after it: whole transactions after
// a transaction's end, the rest of a transaction after a position inside it. With no
// position, Run starts at the server's current position; there is no snapshot yet. A
// position the server no longer has (binlog purged) is a fatal ErrPurged, never a
// silent skip.
//
// Resumes use GTIDs where the server has them (MariaDB always; MySQL with
// gtid_mode=ON) and the binlog file and offset otherwise. A lost connection is
// reconnected with backoff from the point after the last change handed over (the
// transaction's start, skipping what was handed over already).
//
// Heartbeats are the server's binlog heartbeats (Config.HeartbeatInterval is the period
// the server is asked for): an idle binlog yields Handler.Heartbeat with the current
// position, and so does a busy binlog of uncaptured tables once per interval, so the
// stored position keeps up with the server. The first session also hands over a
// Heartbeat at its start position, so a position is stored before any change.
//
// Schema: on its first start Run reads the captured databases' tables from
// information_schema, then keeps their shape current by parsing the DDL in the binlog's
// query events (TiDB's parser; see ddl.go) — CREATE/ALTER/DROP/RENAME TABLE, CREATE/
// ALTER/DROP DATABASE — and each change of a captured table gives it a new *event.Table.
// DDL of a captured table that cannot be parsed or applied stops the stream with the
// statement in the error; DDL of other tables is ignored. Every table map's column count
// and type codes, and where the server logs full row metadata (binlog_row_metadata=FULL)
// its column names, are checked against the tracked schema, and a mismatch stops the
// stream (ErrSchema) rather than decode values into the wrong columns or types.
//
// Schema history (history.go): with a History (the pipeline keeps one in a Kafka topic),
// the schema read at the first start and every DDL statement that changed a table of a
// captured database are recorded with their binlog position before the stream moves past
// them. A restart replays the records up to its resume position, so binlog events
// written before a later ALTER TABLE decode with the shape they were written with, as
// with Debezium's schema history topic. Statements read again after a restart are not
// recorded twice. Without a History the schema lives in memory only: a restart takes
// today's schema as the schema at its resume position.
//
// DDL of captured tables is also handed to the Handler as event.SchemaChange when it
// implements event.SchemaChangeHandler (the pipeline publishes them on the schema change
// topic, Debezium's "<prefix>" topic).
//
// Values are decoded into the Go values package event documents, typed as Debezium's
// MySQL connector types them by default; see types.go for the mapping and its
// deliberate deviations (BIGINT UNSIGNED as Decimal(20,0), spatial types as WKB bytes).
//
// The package does not know Kafka or Avro, and never changes the server's settings:
// Validate prints the commands.
package mysql
