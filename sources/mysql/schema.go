package mysql

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// column is one column of a tracked table, as its DDL (or information_schema, which is
// turned into DDL) describes it.
type column struct {
	name string
	// typ is the base type in lower case, as information_schema.COLUMNS.DATA_TYPE spells
	// it: "tinyint", "bigint", "decimal", "varchar", "longtext", "enum", "json",
	// "geometry", ...
	typ      string
	unsigned bool
	// length is the declared length: characters of char types, bytes of binary types,
	// bits of bit, M of float(M,D); 0 when not declared.
	length int
	// precision and scale of decimal, and of float/double declared with (M,D) (hasScale).
	precision, scale int
	hasScale         bool
	fsp              int    // fractional seconds digits of time, datetime, timestamp
	charset          string // character set of character columns; "binary" for binary strings
	// collation of character columns as information_schema.COLUMNS.COLLATION_NAME gives
	// it ("" when the column's shape came from binlog DDL): snapshot chunk bounds compare
	// under it.
	collation string
	elems     []string // values of enum and set
	nullable  bool
	// def is the column's constant default as text ('abc' as abc, -1.5, 2024-01-02), or
	// nil when it has none, NULL, or an expression (CURRENT_TIMESTAMP, (rand())).
	def *string
}

// sourceType renders the column's type the way information_schema.COLUMNS.COLUMN_TYPE
// does (without display widths), for event.Type.SourceType.
func (c *column) sourceType() string {
	var b strings.Builder
	b.WriteString(c.typ)
	switch c.typ {
	case "decimal":
		fmt.Fprintf(&b, "(%d,%d)", c.precision, c.scale)
	case "float", "double":
		if c.hasScale {
			fmt.Fprintf(&b, "(%d,%d)", c.precision, c.scale)
		}
	case "char", "varchar", "binary", "varbinary", "bit":
		fmt.Fprintf(&b, "(%d)", c.length)
	case "time", "datetime", "timestamp":
		if c.fsp > 0 {
			fmt.Fprintf(&b, "(%d)", c.fsp)
		}
	case "year":
		if c.length == 2 {
			b.WriteString("(2)")
		}
	case "enum", "set":
		b.WriteByte('(')
		for i, e := range c.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("'" + strings.ReplaceAll(e, "'", "''") + "'")
		}
		b.WriteByte(')')
	}
	if c.unsigned {
		b.WriteString(" unsigned")
	}
	return b.String()
}

// table is a tracked table's shape.
type table struct {
	db, name string
	cols     []column
	pk       []string // primary key columns in key order
	charset  string   // default character set of new columns
}

func (t *table) id() string { return t.db + "." + t.name }

func (t *table) clone() *table {
	c := *t
	c.cols = slices.Clone(t.cols)
	c.pk = slices.Clone(t.pk)
	return &c
}

func (t *table) colIndex(name string) int {
	for i := range t.cols {
		if strings.EqualFold(t.cols[i].name, name) {
			return i
		}
	}
	return -1
}

// schema is the in-memory shape of every tracked table at the binlog position the
// stream has reached. It is not persisted yet: a restart reads information_schema
// again (see the package comment).
type schema struct {
	tables map[string]*table // by "db.table"
	// dbCharset holds the default character set of databases; serverCharset is the
	// server's, for databases created without one.
	dbCharset     map[string]string
	serverCharset string
}

func newSchema(serverCharset string) *schema {
	return &schema{tables: map[string]*table{}, dbCharset: map[string]string{}, serverCharset: serverCharset}
}

func (s *schema) get(db, name string) *table { return s.tables[db+"."+name] }

func (s *schema) put(t *table) { s.tables[t.id()] = t }

func (s *schema) drop(db, name string) { delete(s.tables, db+"."+name) }

func (s *schema) defaultCharset(db string) string {
	if cs := s.dbCharset[db]; cs != "" {
		return cs
	}
	return s.serverCharset
}

// eventTable builds the event model's table and the value decoders of t.
func eventTable(t *table, keyColumns []string) (*event.Table, []codec, error) {
	et := &event.Table{ID: event.TableID{Database: t.db, Table: t.name}}
	codecs := make([]codec, len(t.cols))
	for i := range t.cols {
		c := &t.cols[i]
		cd, err := codecFor(c)
		if err != nil {
			return nil, nil, fmt.Errorf("table %s column %s: %w", t.id(), c.name, err)
		}
		codecs[i] = cd
		col := event.Column{Name: c.name, Type: cd.typ, Optional: c.nullable || cd.optional}
		if !col.Optional && c.def != nil {
			col.Default = defaultValue(c, cd)
		}
		et.Columns = append(et.Columns, col)
	}
	key := t.pk
	if keyColumns != nil {
		key = keyColumns
	}
	for _, k := range key {
		i := t.colIndex(k)
		if i < 0 {
			if keyColumns != nil {
				return nil, nil, fmt.Errorf("key_columns of %s: no column %q", t.id(), k)
			}
			return nil, nil, fmt.Errorf("table %s: primary key column %q is not a column", t.id(), k)
		}
		et.Key = append(et.Key, i)
	}
	return et, codecs, nil
}

// defaultValue is the Go value of c's constant default, or nil when it cannot be given
// (timestamps, whose text is in the session's time zone; binary and bit literals).
func defaultValue(c *column, cd codec) any {
	text := *c.def
	switch cd.typ.Kind {
	case event.KindInt16, event.KindInt32:
		if n, err := strconv.ParseInt(text, 10, 32); err == nil {
			return int32(n)
		}
	case event.KindInt64:
		switch c.typ {
		case "time", "datetime":
			if v, err := cd.decode(text); err == nil {
				return v
			}
		default:
			if n, err := strconv.ParseInt(text, 10, 64); err == nil {
				return n
			}
		}
	case event.KindDecimal:
		if r, ok := new(big.Rat).SetString(text); ok {
			return r
		}
	case event.KindFloat32:
		if f, err := strconv.ParseFloat(text, 32); err == nil {
			return float32(f)
		}
	case event.KindFloat64:
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			return f
		}
	case event.KindString:
		switch c.typ {
		case "timestamp", "json":
			return nil
		}
		return text
	}
	if c.typ == "date" {
		if v, err := cd.decode(text); err == nil {
			return v
		}
	}
	return nil
}

// binlogTypeFits reports whether a table map's column type code can be c's: the shape
// check that works without binlog_row_metadata=FULL. Codes of a type's older forms
// (DATETIME before DATETIME2, VAR_STRING) are accepted too.
func binlogTypeFits(c *column, code byte) bool {
	switch c.typ {
	case "tinyint", "bool", "boolean":
		return code == gmysql.MYSQL_TYPE_TINY
	case "smallint":
		return code == gmysql.MYSQL_TYPE_SHORT
	case "mediumint":
		return code == gmysql.MYSQL_TYPE_INT24
	case "int", "integer":
		return code == gmysql.MYSQL_TYPE_LONG
	case "bigint":
		return code == gmysql.MYSQL_TYPE_LONGLONG
	case "float":
		return code == gmysql.MYSQL_TYPE_FLOAT
	case "double", "real":
		return code == gmysql.MYSQL_TYPE_DOUBLE
	case "decimal", "numeric":
		return code == gmysql.MYSQL_TYPE_NEWDECIMAL || code == gmysql.MYSQL_TYPE_DECIMAL
	case "bit":
		return code == gmysql.MYSQL_TYPE_BIT
	case "date":
		return code == gmysql.MYSQL_TYPE_DATE || code == gmysql.MYSQL_TYPE_NEWDATE
	case "time":
		return code == gmysql.MYSQL_TYPE_TIME || code == gmysql.MYSQL_TYPE_TIME2
	case "datetime":
		return code == gmysql.MYSQL_TYPE_DATETIME || code == gmysql.MYSQL_TYPE_DATETIME2
	case "timestamp":
		return code == gmysql.MYSQL_TYPE_TIMESTAMP || code == gmysql.MYSQL_TYPE_TIMESTAMP2
	case "year":
		return code == gmysql.MYSQL_TYPE_YEAR
	case "char", "binary", "enum", "set":
		return code == gmysql.MYSQL_TYPE_STRING || code == gmysql.MYSQL_TYPE_ENUM || code == gmysql.MYSQL_TYPE_SET
	case "varchar", "varbinary":
		return code == gmysql.MYSQL_TYPE_VARCHAR || code == gmysql.MYSQL_TYPE_VAR_STRING
	case "tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob", "longblob":
		return code == gmysql.MYSQL_TYPE_BLOB
	case "json":
		// MySQL's JSON, or MariaDB's (LONGTEXT with a json_valid check).
		return code == gmysql.MYSQL_TYPE_JSON || code == gmysql.MYSQL_TYPE_BLOB
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		return code == gmysql.MYSQL_TYPE_GEOMETRY || code == gmysql.MYSQL_TYPE_BLOB
	}
	return true // a type this check does not know: the decoders judge it
}
