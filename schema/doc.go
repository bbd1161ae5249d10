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
//   - the Decoder: framed bytes back to goavro native values through any writer schema;
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
package schema
