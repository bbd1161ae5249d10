package schema

import (
	"context"
	"strconv"
	"sync"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// SchemaChangeTopic returns the topic of a MySQL source's schema change events (DDL of
// captured tables): the prefix itself, as Debezium names it.
func SchemaChangeTopic(prefix string) string { return prefix }

// SchemaChangeKeySchema is io.debezium.connector.mysql.SchemaChangeKey.
func SchemaChangeKeySchema() string { return schemaChangeSchemas().key }

// SchemaChangeValueSchema is io.debezium.connector.mysql.SchemaChangeValue, with the
// tableChanges structure of Debezium's io.debezium.connector.schema.Change.
func SchemaChangeValueSchema() string { return schemaChangeSchemas().value }

var schemaChangeSchemas = sync.OnceValue(func() struct{ key, value string } {
	my := "io.debezium.connector.mysql"
	sc := "io.debezium.connector.schema"
	src, err := sourceSchema(ConnectorMySQL)
	if err != nil {
		panic(err) // unreachable: a known connector
	}
	column := record(sc, "Column",
		field("name", "string"),
		field("jdbcType", "int"),
		optionalField("nativeType", "int"),
		field("typeName", "string"),
		optionalField("typeExpression", "string"),
		optionalField("charsetName", "string"),
		optionalField("length", "int"),
		optionalField("scale", "int"),
		field("position", "int"),
		optionalField("optional", "boolean"),
		optionalField("autoIncremented", "boolean"),
		optionalField("generated", "boolean"),
		optionalField("comment", "string"),
		optionalField("defaultValueExpression", "string"),
		optionalField("enumValues", object{{"type", "array"}, {"items", "string"}}),
	)
	table := record(sc, "Table",
		optionalField("defaultCharsetName", "string"),
		optionalField("primaryKeyColumnNames", object{{"type", "array"}, {"items", "string"}}),
		field("columns", object{{"type", "array"}, {"items", column}}),
		optionalField("comment", "string"),
	)
	change := record(sc, "Change",
		field("type", "string"),
		field("id", "string"),
		field("table", table),
	)
	return struct{ key, value string }{
		key: mustMarshal(record(my, "SchemaChangeKey", field("databaseName", "string"))),
		value: mustMarshal(record(my, "SchemaChangeValue",
			field("source", src),
			field("ts_ms", "long"),
			optionalField("databaseName", "string"),
			optionalField("schemaName", "string"),
			optionalField("ddl", "string"),
			field("tableChanges", object{{"type", "array"}, {"items", change}}),
		)),
	}
})

// SchemaChange encodes a MySQL schema change event for the schema change topic.
func (e *Encoder) SchemaChange(ctx context.Context, sc *event.SchemaChange) (topic string, key, value []byte, err error) {
	topic = SchemaChangeTopic(e.prefix)
	keyID, valueID, err := e.fixedIDs(ctx, topic, SchemaChangeKeySchema(), SchemaChangeValueSchema())
	if err != nil {
		return "", nil, nil, err
	}
	key = appendString(frame(nil, keyID), sc.Database)
	b := frame(make([]byte, 0, 512+len(sc.DDL)), valueID)
	b = appendSource(b, ConnectorMySQL, e.prefix, &sc.Source)
	b = appendLong(b, e.now().UnixMilli())
	b = appendOptString(b, sc.Database)
	b = append(b, 0) // schemaName: MySQL has none
	b = appendOptString(b, sc.DDL)
	if len(sc.Tables) > 0 {
		b = appendLong(b, int64(len(sc.Tables)))
		for i := range sc.Tables {
			b = appendTableChange(b, &sc.Tables[i])
		}
	}
	b = append(b, 0)
	return topic, key, b, nil
}

func appendTableChange(b []byte, tc *event.TableChange) []byte {
	b = appendString(b, tc.Type)
	b = appendString(b, strconv.Quote(tc.ID.Database)+"."+strconv.Quote(tc.ID.Table))
	b = appendOptString(b, tc.Charset)
	b = appendOptStrings(b, tc.PrimaryKey, true)
	if len(tc.Columns) > 0 {
		b = appendLong(b, int64(len(tc.Columns)))
		for i := range tc.Columns {
			c := &tc.Columns[i]
			b = appendString(b, c.Name)
			b = appendLong(b, int64(c.JDBCType))
			b = append(b, 0) // nativeType
			b = appendString(b, c.TypeName)
			b = appendOptString(b, c.TypeExpression)
			b = appendOptString(b, c.Charset)
			b = appendOptInt(b, c.Length)
			b = appendOptInt(b, c.Scale)
			b = appendLong(b, int64(c.Position))
			b = appendBool(append(b, 2), c.Optional)
			b = append(b, 0, 0, 0) // autoIncremented, generated, comment
			b = appendOptString(b, c.Default)
			b = appendOptStrings(b, c.EnumValues, false)
		}
	}
	b = append(b, 0)    // end of columns
	return append(b, 0) // comment
}

// appendOptStrings writes a ["null", {"type":"array","items":"string"}] union: null when
// ss is nil, or when it is empty and emptyIsNull.
func appendOptStrings(b []byte, ss []string, emptyIsNull bool) []byte {
	if ss == nil || emptyIsNull && len(ss) == 0 {
		return append(b, 0)
	}
	b = append(b, 2)
	if len(ss) > 0 {
		b = appendLong(b, int64(len(ss)))
		for _, s := range ss {
			b = appendString(b, s)
		}
	}
	return append(b, 0)
}

// appendOptInt writes a ["null","int"] union.
func appendOptInt(b []byte, v *int32) []byte {
	if v == nil {
		return append(b, 0)
	}
	return appendLong(append(b, 2), int64(*v))
}
