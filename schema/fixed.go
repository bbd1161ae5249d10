package schema

import (
	"fmt"
	"sync"
)

// The schemas that do not depend on a table: heartbeats and Postgres logical decoding
// messages, as Debezium's SchemaFactory and PostgresSchemaFactory define them.

// HeartbeatKeySchema is io.debezium.connector.common.ServerNameKey.
func HeartbeatKeySchema() string { return fixedSchemas().heartbeatKey }

// HeartbeatValueSchema is io.debezium.connector.common.Heartbeat.
func HeartbeatValueSchema() string { return fixedSchemas().heartbeatValue }

// MessageKeySchema is io.debezium.connector.postgresql.MessageKey.
func MessageKeySchema() string { return fixedSchemas().messageKey }

// MessageValueSchema is io.debezium.connector.postgresql.MessageValue.
func MessageValueSchema() string { return fixedSchemas().messageValue }

type fixed struct {
	heartbeatKey, heartbeatValue, messageKey, messageValue string
}

// fixedSchemas renders the fixed schemas once; they are constants in all but syntax.
var fixedSchemas = sync.OnceValue(func() fixed {
	common := "io.debezium.connector.common"
	pg := "io.debezium.connector.postgresql"
	src, err := sourceSchema(ConnectorPostgres)
	if err != nil {
		panic(err) // unreachable: a known connector
	}
	return fixed{
		heartbeatKey:   mustMarshal(record(common, "ServerNameKey", field("serverName", "string"))),
		heartbeatValue: mustMarshal(record(common, "Heartbeat", field("ts_ms", "long"))),
		messageKey:     mustMarshal(record(pg, "MessageKey", optionalField("prefix", "string"))),
		messageValue: mustMarshal(record(pg, "MessageValue",
			field("op", "string"),
			optionalField("ts_ms", "long"),
			field("source", src),
			field("message", object{
				{"type", "record"},
				{"name", "Message"},
				{"fields", []any{optionalField("prefix", "string"), optionalField("content", "bytes")}},
				{"connect.version", 1},
				{"connect.name", pg + ".Message"},
			}),
		)),
	}
})

// record is a version 1 Connect struct as a named Avro record.
func record(ns, name string, fields ...any) object {
	return object{
		{"type", "record"},
		{"name", name},
		{"namespace", ns},
		{"fields", fields},
		{"connect.version", 1},
		{"connect.name", ns + "." + name},
	}
}

func mustMarshal(o object) string {
	s, err := marshalSchema(o)
	if err != nil {
		panic(fmt.Sprintf("render fixed schema: %v", err)) // unreachable: static input
	}
	return s
}
