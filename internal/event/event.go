// Package event is Dovetail's change event model: the one type that crosses every boundary.
//
// Sources produce Changes, transforms map them, package schema turns them into Avro and
// back, sinks apply them. The package knows nothing of pgoutput, binlog events, Kafka or
// Avro bytes, and imports nothing of Dovetail's.
package event

import (
	"context"
	"fmt"
	"math/big"
	"time"
)

// Op is the Debezium operation code of a change.
type Op string

// The operations, as Debezium spells them in the envelope's op field.
const (
	OpRead     Op = "r" // snapshot read
	OpCreate   Op = "c"
	OpUpdate   Op = "u"
	OpDelete   Op = "d"
	OpTruncate Op = "t"
	OpMessage  Op = "m"
)

// TableID names a captured table. Postgres fills Database, Schema and Table; MySQL fills
// Database and Table and leaves Schema empty.
type TableID struct {
	Database string
	Schema   string
	Table    string
}

// Namespace is the middle part of a topic name: the schema for Postgres, the database for
// MySQL.
func (id TableID) Namespace() string {
	if id.Schema != "" {
		return id.Schema
	}
	return id.Database
}

// String is "namespace.table", the form used in configs, logs and topic names.
func (id TableID) String() string { return id.Namespace() + "." + id.Table }

// Kind is the shape of a column's value, close to Kafka Connect's schema types.
type Kind int

// The kinds. Each lists the Go type a source puts in Change.Before/After for it.
const (
	KindInvalid    Kind = iota
	KindBoolean         // bool
	KindInt8            // int32 (Avro int, connect.type int8)
	KindInt16           // int32 (Avro int, connect.type int16)
	KindInt32           // int32
	KindInt64           // int64
	KindFloat32         // float32
	KindFloat64         // float64
	KindString          // string
	KindBytes           // []byte
	KindDecimal         // *big.Rat, rendered with Type.Scale (Avro bytes, logicalType decimal)
	KindVarDecimal      // VarDecimal (Debezium VariableScaleDecimal record)
	KindArray           // []any of Type.Elem values (elements may be nil)
)

var kindNames = [...]string{"invalid", "boolean", "int8", "int16", "int32", "int64", "float32",
	"float64", "string", "bytes", "decimal", "variable_scale_decimal", "array"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Type describes a column's value: its shape, its Kafka Connect logical name and
// parameters, and the source database's own name for it.
type Type struct {
	Kind Kind
	// Name is the Kafka Connect logical name (connect.name), such as
	// "io.debezium.time.Date"; empty for plain values.
	Name string
	// Params are connect.parameters, such as "allowed" for enums or "length" for bits.
	Params map[string]string
	// Precision and Scale of KindDecimal.
	Precision, Scale int
	// Elem is the element type of KindArray.
	Elem *Type
	// SourceType is the source's type name ("int4", "numeric(10,2)", "varchar(255)").
	SourceType string
}

// Column is one column of a table at one point of its history.
type Column struct {
	Name     string
	Type     Type
	Optional bool // nullable
	// Default is the default value of a NOT NULL column with a constant default, as a Go
	// value of its Type, or nil. Schemas carry it so that adding such a column keeps them
	// compatible (rows written before have it).
	Default any
}

// Table is a table's shape at one point of its history. A new shape (after DDL) is a new
// *Table; a *Table is never changed once a Change refers to it.
type Table struct {
	ID      TableID
	Columns []Column
	// Key lists the indexes into Columns of the message key's columns, in key order. Empty
	// means records get a null key.
	Key []int
}

// ColumnIndex returns the index of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// VarDecimal is a decimal of any scale: Unscaled × 10^-Scale (Debezium's
// VariableScaleDecimal).
type VarDecimal struct {
	Scale    int32
	Unscaled *big.Int
}

// unavailable is the type of Unavailable.
type unavailable struct{}

// Unavailable stands in Before/After for a value the source did not send (an unchanged
// TOASTed column in Postgres). The Avro encoder writes Debezium's placeholder shaped to the
// column type; sinks keep the target's current value for it.
var Unavailable any = unavailable{}

// UnavailablePlaceholder is the placeholder Debezium writes for unavailable values.
const UnavailablePlaceholder = "__debezium_unavailable_value"

// Position is a source's opaque resume position. Sources compare and decode their own.
type Position interface {
	String() string
}

// Source is the envelope's source block. Connector selects the fields that are written:
// the common ones, then those of the Postgres or the MySQL block.
type Source struct {
	Version   string
	Connector string // "postgresql" or "mysql"
	Name      string // topic prefix
	Commit    time.Time
	Snapshot  string // "false" while streaming
	DB        string
	Sequence  string // Postgres: ["<last commit lsn>","<this event's lsn>"]

	// Postgres.
	Schema string
	Table  string
	TxID   int64
	LSN    int64
	Xmin   *int64

	// MySQL.
	ServerID int64
	GTID     string
	File     string
	Pos      int64
	Row      int32
	Thread   *int64
	Query    string
}

// Transaction is the envelope's transaction block (Debezium's event.block).
type Transaction struct {
	ID                  string
	TotalOrder          int64
	DataCollectionOrder int64
}

// Change is one row change (or truncate) of one table.
type Change struct {
	Table *Table
	Op    Op
	// Before and After hold one value per Table.Columns entry, or are nil when absent
	// (no before for inserts, no after for deletes).
	Before, After []any
	Source        Source
	Transaction   *Transaction
	// Processed, when set, is the time the source handed the change over, for the
	// envelope's ts_ms/ts_us/ts_ns; zero leaves it to the encoder's clock at encoding.
	// (A snapshot sets it once per batch of rows: reading the clock for each of
	// millions of rows cost 3% of a snapshot's CPU.)
	Processed time.Time
}

// Key returns the key column values of the change's row (after, or before for deletes),
// or nil when the table has no key.
func (c *Change) Key() []any {
	if len(c.Table.Key) == 0 {
		return nil
	}
	row := c.After
	if row == nil {
		row = c.Before
	}
	if row == nil {
		return nil
	}
	k := make([]any, len(c.Table.Key))
	for i, idx := range c.Table.Key {
		k[i] = row[idx]
	}
	return k
}

// Message is a logical decoding message that is not a heartbeat (Postgres
// pg_logical_emit_message): Debezium publishes these with op "m".
type Message struct {
	Prefix        string
	Content       []byte
	Transactional bool
	Source        Source
}

// Handler receives a source's output in source order. Its methods block for backpressure.
type Handler interface {
	// Change hands over one row change. The handler owns c from then on and may change
	// it and its rows (transforms do): a source never touches a Change it handed over.
	Change(ctx context.Context, c *Change) error
	// Message hands over a logical decoding message that is not a heartbeat.
	Message(ctx context.Context, m *Message) error
	// Commit marks pos, a point the source can resume from: the end of a source
	// transaction, or (MySQL, in large transactions) a point inside one. Once everything
	// handed over before it is durable in Kafka, the pipeline acknowledges pos to the
	// source.
	Commit(ctx context.Context, pos Position) error
	// Heartbeat says the source is alive at pos (at source time ts) with nothing handed
	// over since the last Commit; it feeds the heartbeat topic and is acknowledged as Commit.
	Heartbeat(ctx context.Context, ts time.Time, pos Position) error
}

// SchemaChange is a DDL statement that changed captured tables (MySQL/MariaDB).
// Debezium publishes it on the schema change topic named after the topic prefix.
type SchemaChange struct {
	// Database is the database the statement ran in (its default database, else the
	// database of the tables it changed).
	Database string
	DDL      string
	Source   Source
	// Tables are the captured tables the statement changed, each with its shape after it.
	Tables []TableChange
}

// TableChange is one table's part of a SchemaChange: Debezium's tableChanges entry.
type TableChange struct {
	Type string // "CREATE", "ALTER" or "DROP"
	ID   TableID
	// Charset is the table's default character set; PrimaryKey its key columns.
	Charset    string
	PrimaryKey []string
	// Columns are the columns after the change (none for DROP).
	Columns []ColumnDef
}

// ColumnDef describes a column as Debezium's schema change events do.
type ColumnDef struct {
	Name string
	// JDBCType is the java.sql.Types code of the column's type.
	JDBCType int32
	// TypeName is the base type ("VARCHAR", "INT UNSIGNED"); TypeExpression the full one
	// ("VARCHAR(50)").
	TypeName, TypeExpression string
	Charset                  string // "" for columns without one
	// Length and Scale are nil where the type has none.
	Length, Scale *int32
	Position      int32 // 1-based
	Optional      bool
	// Default is the constant default as text, "" for none.
	Default    string
	EnumValues []string
}

// SchemaChangeHandler is a Handler that also takes schema changes. Sources that capture
// DDL hand it over when their Handler implements it, before the Commit that moves the
// position past the statement.
type SchemaChangeHandler interface {
	Handler
	SchemaChange(ctx context.Context, sc *SchemaChange) error
}
