package sinktest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// Type is an event type of a kind, with a logical name (or "") and a source type.
func Type(kind event.Kind, name, source string) event.Type {
	return event.Type{Kind: kind, Name: name, SourceType: source}
}

// Decimal is a Connect Decimal type of precision p and scale s.
func Decimal(p, s int, source string) event.Type {
	return event.Type{Kind: event.KindDecimal, Name: sqlapply.NameDecimal, Precision: p, Scale: s, SourceType: source}
}

// Bits is a Debezium Bits type of n bits.
func Bits(n int, source string) event.Type {
	return event.Type{Kind: event.KindBytes, Name: sqlapply.NameBits, Params: map[string]string{"length": fmt.Sprint(n)}, SourceType: source}
}

// Array is an array of elem, its source type spelled as Postgres's ("_int4").
func Array(elem event.Type) event.Type {
	return event.Type{Kind: event.KindArray, Elem: &elem, SourceType: "_" + elem.SourceType}
}

// Col is a column of a source table.
func Col(name string, typ event.Type, optional bool) event.Column {
	return event.Column{Name: name, Type: typ, Optional: optional}
}

// PostgresTable is a table of a Postgres source: database src, schema public.
func PostgresTable(name string, key []int, cols ...event.Column) *event.Table {
	return &event.Table{ID: event.TableID{Database: "src", Schema: "public", Table: name}, Columns: cols, Key: key}
}

// MySQLTable is a table of a MySQL source: database shop.
func MySQLTable(name string, key []int, cols ...event.Column) *event.Table {
	return &event.Table{ID: event.TableID{Database: "shop", Table: name}, Columns: cols, Key: key}
}

// Upsert is an insert (create) of a row.
func Upsert(tb *event.Table, after ...any) *event.Change {
	return &event.Change{Table: tb, Op: event.OpCreate, After: after}
}

// Update is an update of a row from before to after.
func Update(tb *event.Table, before, after []any) *event.Change {
	return &event.Change{Table: tb, Op: event.OpUpdate, Before: before, After: after}
}

// Del is a delete of a row.
func Del(tb *event.Table, before ...any) *event.Change {
	return &event.Change{Table: tb, Op: event.OpDelete, Before: before}
}

// Truncate is a truncate of a table.
func Truncate(tb *event.Table) *event.Change {
	return &event.Change{Table: tb, Op: event.OpTruncate}
}

// Rat parses a decimal or fraction; it panics on a typo in a test.
func Rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

// BigInt parses a decimal integer; it panics on a typo in a test.
func BigInt(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return b
}

// Days returns the days since 1970-01-01 of a date (astronomical years: 0 is 1 BC).
func Days(y, m, d int) int32 {
	for dd := int32(-1_000_000); ; dd++ {
		yy, mm, dx := sqlapply.CivilFromDays(int64(dd))
		if int(yy) == y && int(mm) == m && int(dx) == d {
			return dd
		}
	}
}

// Micros returns the µs since the epoch of a UTC date and time.
func Micros(y, m, d, hh, mm, ss, us int) int64 {
	return int64(Days(y, m, d))*86_400_000_000 + int64((hh*60+mm)*60+ss)*1_000_000 + int64(us)
}

// WKBPoint is the little-endian well-known binary of POINT(x y).
func WKBPoint(x, y float64) []byte {
	b := []byte{1, 1, 0, 0, 0}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(y))
}
