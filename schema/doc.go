// Package schema turns Dovetail's change events into the records Debezium 3.x writes, in
// the Confluent wire format, and back.
//
// It owns:
//   - Avro schema generation for a table (Key, Value and Envelope records) and for the
//     fixed records (Debezium's postgresql/mysql Source blocks, heartbeats, Postgres logical
//     decoding messages), with the Kafka Connect annotations (connect.name,
//     connect.version, connect.parameters, connect.default, connect.type) that Confluent's
//     AvroConverter writes, so Connect-based consumers rebuild the same logical types;
//   - topic and subject naming (TopicNameStrategy);
//   - the Encoder: event.Change, event.Message and heartbeats to framed Avro bytes
//     (0x00, 4-byte big-endian schema id, Avro binary), registering schemas on first use;
//   - the Decoder: framed bytes back to goavro native values through any writer schema,
//     and (Decoder.Change) a record's key and value back to an event.Change with its
//     event.Table rebuilt from the writer schemas, for sinks;
//   - the Registry interface both need; package schema/registry implements it (a Confluent
//     REST client and an embedded server).
//
// It must not know about sources, sinks, Kafka clients or pipelines: it maps values and
// bytes, nothing else. The contract it implements is docs EVENT-FORMAT.md; where Debezium's
// own documentation differs, Debezium wins.
//
// Choices where Debezium is silent or fails, written down here:
//   - Avro names (record names and field names) are sanitized the way Debezium's "avro"
//     adjustment mode does: characters outside [A-Za-z0-9_] become '_', and a name part
//     that would start with a digit gets a leading '_' (Debezium would fail there). Two
//     columns that sanitize to the same field name are an error.
//   - In the Postgres source block, txId and lsn of 0 are written as null; in the MySQL
//     block empty table, gtid and query are null. An empty snapshot is written "false".
//   - The encoder writes Avro binary itself from the generated schema (no map building),
//     which keeps the hot path to one allocation per record; every generated schema is
//     compiled by goavro once per table version, so a schema goavro rejects is an error
//     before anything is written.
//
// And where decoding cannot give back exactly what was encoded:
//   - Column names are the Avro field names, so a name that was sanitized comes back
//     sanitized; SourceType is empty (schemas do not carry it).
//   - Decimals come back with Type.Name org.apache.kafka.connect.data.Decimal and their
//     scale and precision in Scale and Precision, not in Params; VariableScaleDecimal
//     columns with Type.Name io.debezium.data.VariableScaleDecimal.
//   - Values come back as the one Go type event.Kind documents (the encoder also takes
//     int, uint64 and *event.VarDecimal); a nil array or []byte reads as an empty one.
//   - A truncate has no key, so its Table has no Key (and is not the *Table of the same
//     schema's keyed records).
//   - Debezium's unavailable-value placeholder reads as event.Unavailable whatever the
//     connector, so a string column holding exactly "__debezium_unavailable_value" reads
//     as unavailable, as it does for Debezium's own consumers.
//   - A message is transactional when its source block has a txId (Dovetail's Postgres
//     source writes none for non-transactional messages).
//   - The source block's Commit is rebuilt from ts_ns (or ts_us, ts_ms) in UTC; an empty
//     Snapshot, written "false", reads "false"; an empty Name reads as the prefix.
package schema
