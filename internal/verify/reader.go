package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Reader reads one database for a comparison: each engine (Postgres, MySQL/MariaDB,
// later DuckDB) implements it once, and the comparison algorithm is written once on top
// of it. A Reader holds one connection and is used by one goroutine at a time.
type Reader interface {
	// Table describes a table: its columns, with the Kind each is normalized to, and its
	// primary key. It returns an error wrapping ErrNoTable when there is no such table.
	Table(ctx context.Context, ref TableRef) (*Table, error)
	// KeyAt returns the key of the row at offset (0-based) among the rows of s.Range in
	// key order, and false when the range has no more than offset rows.
	KeyAt(ctx context.Context, s Scan, offset int64) (Key, bool, error)
	// Rows calls fn with each row of s.Range in key order: the values of s.Key, then of
	// s.Columns, normalized. fn must not keep row after it returns. With no s.Key (a
	// keyless table) it reads the whole table in no particular order.
	Rows(ctx context.Context, s Scan, fn func(row []Value) error) error
	Close() error
}

// Scan names what KeyAt and Rows read: columns of one table, over a key range.
type Scan struct {
	Table   *Table
	Key     []string // key columns, in key order
	Columns []string // further columns Rows returns after the key
	Range   Range
}

// Range is the key range (After, Through]; a nil bound is open. Both engines of a
// comparison must order keys alike: numbers by value, text by its UTF-8 bytes (readers
// compare text keys in binary collation for that), dates and times chronologically.
type Range struct {
	After, Through Key
}

// ErrNoTable is wrapped by Reader.Table when the table does not exist.
var ErrNoTable = errors.New("no such table")

// Table is a table as a Reader sees it.
type Table struct {
	Ref        TableRef
	Columns    []Column
	PrimaryKey []string
}

// Column returns the column named name, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// Column is a column and how its values are normalized.
type Column struct {
	Name      string
	Type      string // the engine's type, for messages
	Kind      Kind
	FloatBits int  // KindFloat: 32 or 64
	Padded    bool // fixed-width text (CHAR): trailing spaces are not significant
	Nullable  bool
	// Generated is a column the database computes (Postgres GENERATED ... STORED):
	// logical replication does not send it (before Postgres 18), so a target without it
	// lacks nothing; a target that has it is compared.
	Generated bool

	// engine specifics, set and read by the Reader that described the column
	cast string // Postgres: the type key parameters are cast to
	bits int    // MySQL BIT(n): n
	geo  bool   // MySQL spatial: strip the SRID
	zero bool   // MySQL date/time: may hold zero dates
}

// TableRef names a table: schema (Postgres) or database (MySQL) and name. An empty
// Schema is the connection's default: Postgres's current_schema(), the MySQL DSN's
// database.
type TableRef struct {
	Schema, Name string
}

func (r TableRef) String() string {
	if r.Schema == "" {
		return r.Name
	}
	return r.Schema + "." + r.Name
}

// ParseTableRef reads "schema.table" or "table".
func ParseTableRef(s string) TableRef {
	if sch, name, ok := strings.Cut(s, "."); ok {
		return TableRef{Schema: sch, Name: name}
	}
	return TableRef{Name: s}
}

// Endpoint is a database to read: Kind names its engine ("postgres", "mysql"; "mariadb"
// is "mysql"), DSN how to reach it (a Postgres URL or keyword DSN; a MySQL
// "user:password@tcp(host:port)/db" or "mysql://user:password@host:port/db"). Open,
// when set, connects instead of the built-in engine of Kind: an engine with a heavy
// driver (DuckDB's cgo) lives in a package of its own and is passed in by the binaries
// that want it.
type Endpoint struct {
	Kind string
	DSN  string
	Open Opener
}

// Opener connects a Reader to a database.
type Opener func(ctx context.Context, dsn string) (Reader, error)

// Kinds returns the built-in engine names an Endpoint may have.
func Kinds() []string { return []string{"mariadb", "mysql", "postgres"} }

func (e Endpoint) open(ctx context.Context) (Reader, error) {
	o := e.Open
	if o == nil {
		switch strings.ToLower(e.Kind) {
		case "postgres":
			o = openPostgres
		case "mysql", "mariadb":
			o = openMySQL
		default:
			return nil, fmt.Errorf("verify: unknown database kind %q (want one of %s)", e.Kind, strings.Join(Kinds(), ", "))
		}
	}
	return o(ctx, e.DSN)
}

func errNoColumn(t TableRef, col string) error {
	return fmt.Errorf("table %s has no column %q", t, col)
}
