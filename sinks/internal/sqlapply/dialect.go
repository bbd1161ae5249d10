package sqlapply

import (
	"context"
	"errors"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
)

// Dialect is what a target engine adds to the engine-independent apply.
type Dialect interface {
	// Quote quotes an identifier.
	Quote(ident string) string
	// Placeholder returns the text of the i-th (1-based) parameter of a statement: "$1"
	// or "?".
	Placeholder(i int) string
	// MaxParams is the most parameters one statement may carry; the core splits longer
	// statements.
	MaxParams() int

	// ColumnType returns the column type the target creates for values of t captured
	// from src, spelled as Describe reports column types.
	ColumnType(t *event.Type, src Source) (string, error)
	// Converter returns the conversion of values of t (captured from src) into driver
	// arguments for the target column have, or an error saying why the column cannot
	// hold them (then the table does not fit the source's shape). Converters are never
	// called with nil or event.Unavailable.
	Converter(t *event.Type, src Source, have Column) (Convert, error)

	// Describe returns the columns and unique keys of a target table, or nil when it
	// does not exist.
	Describe(ctx context.Context, q Querier, t sinks.TargetTable) (*TableInfo, error)

	// UpsertClause is appended to "INSERT INTO t (cols) VALUES (...), (...)" so that a
	// row whose key (the quoted columns key) exists updates the quoted columns update
	// to the inserted values instead; update may be empty.
	UpsertClause(key, update []string) string
	// DeleteOne returns a statement that deletes one row (any one) of table (quoted)
	// whose columns cols equal parameters 1..len(cols), NULL matching NULL.
	DeleteOne(table string, cols []Column) string
	// Truncate returns a statement that empties table (quoted) inside a transaction.
	Truncate(table string) string
	// AlterType returns a statement that changes the type of column (quoted) of table
	// (quoted) to typ, converting the existing values.
	AlterType(table, column, typ string) string
	// OffsetsTable returns the CREATE TABLE statement of the offsets table (quoted):
	// columns sink and topic (text), partition (integer), offset (bigint), position
	// (text), applied_at (timestamp), primary key (sink, topic, partition).
	OffsetsTable(table string) string
	// ForUpdate is appended to a SELECT to lock the rows it reads ("" where the engine
	// has no row locks).
	ForUpdate() string
}

// DDLCommitter is implemented by dialects of engines whose DDL commits the open
// transaction (MySQL and MariaDB do, implicitly): when DDLCommits is true, Apply makes the
// batch's tables fit before it begins the batch's transaction, each DDL statement
// committing on its own, so that the rows and the offsets still commit together. A batch
// that fails after its DDL leaves the tables changed, which its retry needs anyway.
type DDLCommitter interface {
	DDLCommits() bool
}

// KeyColumnTyper is implemented by dialects whose key columns need other types than
// ColumnType gives (MySQL cannot index a whole TEXT or BLOB column): CREATE TABLE types
// the source key's columns with KeyColumnType.
type KeyColumnTyper interface {
	KeyColumnType(t *event.Type, src Source) (string, error)
}

// Source says which engine a source table was captured from: the same event type means
// different things (a MySQL "time" is a duration, a Postgres "time" a time of day).
type Source int

// Sources.
const (
	FromMySQL Source = iota + 1
	FromPostgres
)

func (s Source) String() string {
	switch s {
	case FromMySQL:
		return "mysql"
	case FromPostgres:
		return "postgres"
	}
	return "unknown"
}

// SourceOf tells the engine of a source table by its id: Postgres fills Schema, MySQL
// leaves it empty (see event.TableID).
func SourceOf(id event.TableID) Source {
	if id.Schema != "" {
		return FromPostgres
	}
	return FromMySQL
}

// Convert turns one event value into a driver argument.
type Convert func(v any) (any, error)

// Column is a column of a target table as the catalog describes it.
type Column struct {
	Name string
	// Type is the column type as the dialect spells it ("numeric(10,2)",
	// "character varying(20)[]").
	Type    string
	NotNull bool
	// Class is engine-specific detail the dialect's Converter may use (Postgres: the
	// pg_type.typcategory of the type, "A" and the element's for arrays).
	Class string
}

// TableInfo is a target table as the catalog describes it.
type TableInfo struct {
	Columns []Column
	// Keys are the column sets of the primary key and the unique indexes: upserts need
	// one equal to the source table's key.
	Keys [][]string
}

// Column returns the named column.
func (t *TableInfo) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Querier runs statements: a connection pool or a transaction. The core works on these
// few methods so that an engine may use its native driver (pgx for Postgres) as well as
// database/sql (see SQLDB).
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) error
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// Rows are a query's result rows.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Tx is a transaction.
type Tx interface {
	Querier
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// BulkTx is a Tx that loads many rows faster than multi-row statements (DuckDB: a query
// appender). The core hands it every insert of more than one row.
type BulkTx interface {
	Tx
	// InsertRows runs "INSERT INTO table (cols) SELECT cols FROM <rows> suffix", rows
	// holding driver values (see Dialect.Converter) in cols order. It returns
	// ErrNoBulk, having done nothing, when it cannot load these values in bulk; the core
	// then uses statements.
	InsertRows(ctx context.Context, table string, cols []string, rows [][]any, suffix string) error
}

// ErrNoBulk is BulkTx.InsertRows's answer for rows it cannot load in bulk.
var ErrNoBulk = errors.New("rows not loadable in bulk")

// DB is a connection pool that can begin transactions. It must be safe for concurrent
// use.
type DB interface {
	Querier
	Begin(ctx context.Context) (Tx, error)
}
