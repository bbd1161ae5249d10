package schema

import (
	"fmt"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// snapshotAllowed is Debezium 3.x's SnapshotRecord values, in its order.
const snapshotAllowed = "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"

// sourceSchema is the source block record of a connector.
func sourceSchema(connector string) (object, error) {
	fields := []any{
		field("version", "string"),
		field("connector", "string"),
		field("name", "string"),
		field("ts_ms", "long"),
		object{
			{"name", "snapshot"},
			{"type", []any{object{
				{"type", "string"},
				{"connect.version", 1},
				{"connect.parameters", object{{"allowed", snapshotAllowed}}},
				{"connect.default", "false"},
				{"connect.name", "io.debezium.data.Enum"},
			}, "null"}},
			{"default", "false"},
		},
		field("db", "string"),
		optionalField("sequence", "string"),
		optionalField("ts_us", "long"),
		optionalField("ts_ns", "long"),
	}
	switch connector {
	case ConnectorPostgres:
		fields = append(fields,
			field("schema", "string"),
			field("table", "string"),
			optionalField("txId", "long"),
			optionalField("lsn", "long"),
			optionalField("xmin", "long"))
	case ConnectorMySQL:
		fields = append(fields,
			optionalField("table", "string"),
			field("server_id", "long"),
			optionalField("gtid", "string"),
			field("file", "string"),
			field("pos", "long"),
			field("row", "int"),
			optionalField("thread", "long"),
			optionalField("query", "string"))
	default:
		return nil, fmt.Errorf("%w: unknown connector %q", ErrSchema, connector)
	}
	ns := "io.debezium.connector." + connector
	return object{
		{"type", "record"},
		{"name", "Source"},
		{"namespace", ns},
		{"fields", fields},
		{"connect.version", 1},
		{"connect.name", ns + ".Source"},
	}, nil
}

// appendSource writes a source block in the layout of sourceSchema(connector).
func appendSource(b []byte, connector, prefix string, s *event.Source) []byte {
	name := s.Name
	if name == "" {
		name = prefix
	}
	b = appendString(b, s.Version)
	b = appendString(b, connector)
	b = appendString(b, name)
	if s.Commit.IsZero() {
		b = appendLong(b, 0)
	} else {
		b = appendLong(b, s.Commit.UnixMilli())
	}
	snap := s.Snapshot
	if snap == "" {
		snap = "false"
	}
	b = appendLong(b, 0) // union branch 0: the enum string
	b = appendString(b, snap)
	b = appendString(b, s.DB)
	b = appendOptString(b, s.Sequence)
	b = appendCommitMicrosNanos(b, s.Commit)
	switch connector {
	case ConnectorPostgres:
		b = appendString(b, s.Schema)
		b = appendString(b, s.Table)
		b = appendOptNonZero(b, s.TxID)
		b = appendOptNonZero(b, s.LSN)
		b = appendOptLong(b, s.Xmin)
	case ConnectorMySQL:
		b = appendOptString(b, s.Table)
		b = appendLong(b, s.ServerID)
		b = appendOptString(b, s.GTID)
		b = appendString(b, s.File)
		b = appendLong(b, s.Pos)
		b = appendLong(b, int64(s.Row))
		b = appendOptLong(b, s.Thread)
		b = appendOptString(b, s.Query)
	}
	return b
}

// appendCommitMicrosNanos writes the optional ts_us and ts_ns of a time (null when zero).
func appendCommitMicrosNanos(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0, 0)
	}
	b = appendLong(append(b, 2), t.UnixMicro())
	return appendLong(append(b, 2), t.UnixNano())
}
