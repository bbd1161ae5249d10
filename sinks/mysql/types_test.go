package mysql

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

func nan() float64 { return math.NaN() }

// typeCase is one source column: its event type and a value, the column type the target
// creates (information_schema's COLUMN_TYPE) and the value's text there (read as expr,
// "%s" by default).
type typeCase struct {
	typ      event.Type
	value    any
	wantType string
	wantText string
	expr     string
}

// mysqlTypes mirror sources/mysql's TestTypes: every type the MySQL source emits.
var mysqlTypes = []typeCase{
	{sinktest.Type(event.KindInt16, "", "tinyint"), int32(-128), "tinyint(4)", "-128", ""},
	{sinktest.Type(event.KindInt16, "", "tinyint unsigned"), int32(255), "tinyint(3) unsigned", "255", ""},
	{sinktest.Type(event.KindInt16, "", "smallint"), int32(-32768), "smallint(6)", "-32768", ""},
	{sinktest.Type(event.KindInt32, "", "smallint unsigned"), int32(65535), "smallint(5) unsigned", "65535", ""},
	{sinktest.Type(event.KindInt32, "", "mediumint"), int32(-8388608), "mediumint(9)", "-8388608", ""},
	{sinktest.Type(event.KindInt32, "", "mediumint unsigned"), int32(16777215), "mediumint(8) unsigned", "16777215", ""},
	{sinktest.Type(event.KindInt32, "", "int"), int32(math.MinInt32), "int(11)", "-2147483648", ""},
	{sinktest.Type(event.KindInt64, "", "int unsigned"), int64(math.MaxUint32), "int(10) unsigned", "4294967295", ""},
	{sinktest.Type(event.KindInt64, "", "bigint"), int64(math.MinInt64), "bigint(20)", "-9223372036854775808", ""},
	{sinktest.Decimal(20, 0, "bigint unsigned"), sinktest.Rat("18446744073709551615"), "bigint(20) unsigned", "18446744073709551615", ""},
	{sinktest.Decimal(65, 30, "decimal(65,30)"), sinktest.Rat("-99999999999999999999999999999999999.999999999999999999999999999999"), "decimal(65,30)",
		"-99999999999999999999999999999999999.999999999999999999999999999999", ""},
	{sinktest.Decimal(10, 2, "decimal(10,2) unsigned"), sinktest.Rat("0.01"), "decimal(10,2) unsigned", "0.01", ""},
	{sinktest.Type(event.KindFloat32, "", "float"), float32(1.5), "float", "1.5", ""},
	{sinktest.Type(event.KindFloat64, "", "double"), -math.MaxFloat64, "double", "-1.7976931348623157e308", ""},
	{sinktest.Type(event.KindBoolean, "", "bit(1)"), true, "bit(1)", "1", "bin(%s)"},
	{sinktest.Bits(64, "bit(64)"), bytes.Repeat([]byte{0xff}, 8), "bit(64)", strings.Repeat("1", 64), "bin(%s)"},
	{sinktest.Bits(10, "bit(10)"), []byte{0x01, 0x02}, "bit(10)", "1000000001", "bin(%s)"},
	{sinktest.Type(event.KindString, "", "varchar(20)"), "😀é", "varchar(20)", "😀é", ""},
	{sinktest.Type(event.KindString, "", "varchar(20)"), "", "varchar(20)", "", ""},
	{sinktest.Type(event.KindString, "", "char(4)"), "ab", "char(4)", "ab", ""},
	{sinktest.Type(event.KindString, "", "text"), "café", "text", "café", ""},
	{sinktest.Type(event.KindString, "", "longtext"), "𝄞 clef", "longtext", "𝄞 clef", ""},
	{sinktest.Type(event.KindBytes, "", "binary(4)"), []byte{1, 2, 0, 0}, "binary(4)", "01020000", "hex(%s)"},
	{sinktest.Type(event.KindBytes, "", "varbinary(10)"), []byte{0, 0xff}, "varbinary(10)", "00FF", "hex(%s)"},
	{sinktest.Type(event.KindBytes, "", "blob"), []byte{}, "blob", "", "hex(%s)"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), sinktest.Days(2024, 2, 29), "date", "2024-02-29", ""},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), sinktest.Days(1000, 1, 1), "date", "1000-01-01", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64((23*3600 + 59*60 + 59) * 1e6), "time", "23:59:59", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(6)"), int64(45296789012), "time(6)", "12:34:56.789012", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(3)"), int64(-1_500_000), "time(3)", "-00:00:01.500", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), -int64((838*3600 + 59*60 + 59) * 1e6), "time", "-838:59:59", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(100 * 3600 * 1e6), "time", "100:00:00", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "datetime"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 0) / 1000, "datetime", "2024-01-02 03:04:05", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "datetime(3)"), int64(-1), "datetime(3)", "1969-12-31 23:59:59.999", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), sinktest.Micros(9999, 12, 31, 23, 59, 59, 999999), "datetime(6)", "9999-12-31 23:59:59.999999", ""},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(3)"), "2024-01-02T03:04:05.120Z", "timestamp(3)", "2024-01-02 03:04:05.120", ""},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp"), "2038-01-19T03:14:07Z", "timestamp", "2038-01-19 03:14:07", ""},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(6)"), "1970-01-01T00:00:01.000001Z", "timestamp(6)", "1970-01-01 00:00:01.000001", ""},
	{sinktest.Type(event.KindInt32, sqlapply.NameYear, "year"), int32(2155), "year(4)", "2155", ""},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "a,b'c"}, SourceType: "enum('a','b''c')"}, "b'c", "enum('a','b''c')", "b'c", ""},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnumSet, Params: map[string]string{"allowed": "x,y,z"}, SourceType: "set('x','y','z')"}, "x,z", "set('x','y','z')", "x,z", ""},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "json"), `{"a": [1, 2]}`, "longtext", `{"a": [1, 2]}`, ""}, // MariaDB's JSON is longtext
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "longtext"), `{"b":1}`, "longtext", `{"b":1}`, ""},
	{sinktest.Type(event.KindBytes, "", "point"), sinktest.WKBPoint(1, 2), "point", "POINT(1 2)", "ST_AsText(%s)"},
	{sinktest.Type(event.KindBytes, "", "geometry"), sinktest.WKBPoint(-1.5, 0), "geometry", "POINT(-1.5 0)", "ST_AsText(%s)"},
}

// postgresTypes mirror sources/postgres's TestTypes: every type the Postgres source emits
// that MySQL can hold.
var postgresTypes = []typeCase{
	{sinktest.Type(event.KindInt16, "", "int2"), int32(-32768), "smallint(6)", "-32768", ""},
	{sinktest.Type(event.KindInt32, "", "int4"), int32(2147483647), "int(11)", "2147483647", ""},
	{sinktest.Type(event.KindInt64, "", "int8"), int64(math.MinInt64), "bigint(20)", "-9223372036854775808", ""},
	{sinktest.Type(event.KindInt64, "", "oid"), int64(4000000000), "bigint(20)", "4000000000", ""},
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(1.5), "float", "1.5", ""},
	{sinktest.Type(event.KindFloat64, "", "float8"), 0.1, "double", "0.1", ""},
	{sinktest.Type(event.KindFloat64, "", "float8"), 1e308, "double", "1e308", ""},
	{sinktest.Decimal(10, 2, "numeric(10,2)"), sinktest.Rat("-1234567891/100"), "decimal(10,2)", "-12345678.91", ""},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Scale: 1, Unscaled: big.NewInt(15)}, "decimal(65,30)", "1.5", "trim(trailing '.' from trim(trailing '0' from %s))"},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Unscaled: sinktest.BigInt("12345678901234567890123456789012345")}, "decimal(65,30)", "12345678901234567890123456789012345", "trim(trailing '.' from trim(trailing '0' from %s))"},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Scale: 3, Unscaled: big.NewInt(-5)}, "decimal(65,30)", "-0.005", "trim(trailing '.' from trim(trailing '0' from %s))"},
	{sinktest.Decimal(5, 2, "numeric(5,2)"), sinktest.Rat("99999/100"), "decimal(5,2)", "999.99", ""},
	{event.Type{Kind: event.KindDecimal, Name: sqlapply.NameDecimal, Params: map[string]string{"scale": "2"}, Scale: 2, SourceType: "money"}, sinktest.Rat("-123456/100"), "decimal(65,2)", "-1234.56", ""},
	{sinktest.Decimal(100, 2, "numeric(100,2)"), sinktest.Rat("1/4"), "longtext", "0.25", ""},
	{sinktest.Type(event.KindBoolean, "", "bool"), true, "tinyint(1)", "1", ""},
	{sinktest.Type(event.KindString, "", "text"), "héllo ☃", "longtext", "héllo ☃", ""},
	{sinktest.Type(event.KindString, "", "varchar(5)"), "abc", "varchar(5)", "abc", ""},
	{sinktest.Type(event.KindString, "", "bpchar(3)"), "ab ", "char(3)", "ab", ""}, // CHAR drops the padding
	{sinktest.Type(event.KindString, "", "char"), "x", "longtext", "x", ""},
	{sinktest.Type(event.KindBytes, "", "bytea"), []byte{0, 255, 16}, "longblob", "00FF10", "hex(%s)"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(19782), "date", "2024-02-29", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(45296789012), "time(6)", "12:34:56.789012", ""},
	{sinktest.Type(event.KindInt32, sqlapply.NameTime, "time(3)"), int32(45296789), "time(3)", "12:34:56.789", ""},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTime, "timetz"), "07:04:56.5Z", "time(6)", "07:04:56.500000", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 123456), "datetime(6)", "2024-01-02 03:04:05.123456", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "timestamp(3)"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 123000) / 1000, "datetime(3)", "2024-01-02 03:04:05.123", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "timestamp(0)"), sinktest.Micros(1900, 1, 1, 0, 0, 0, 0) / 1000, "datetime", "1900-01-01 00:00:00", ""},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz"), "2024-07-01T16:00:00.000000Z", "datetime(6)", "2024-07-01 16:00:00.000000", ""},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz(0)"), "2024-01-01T00:00:00Z", "datetime", "2024-01-01 00:00:00", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, "interval"), int64(37091106500000), "bigint(20)", "37091106500000", ""},
	{sinktest.Type(event.KindString, sqlapply.NameUUID, "uuid"), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "char(36)", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "json"), `{"a":  1}`, "longtext", `{"a":  1}`, ""},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "jsonb"), `{"a": 1}`, "longtext", `{"a": 1}`, ""},
	{sinktest.Type(event.KindString, sqlapply.NameXML, "xml"), "<a>x</a>", "longtext", "<a>x</a>", ""},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "sad,ok,happy"}, SourceType: "mood"}, "ok", "varchar(255)", "ok", ""},
	{sinktest.Type(event.KindString, sqlapply.NameLtree, "ltree"), "a.b", "longtext", "a.b", ""},
	{sinktest.Type(event.KindString, "", "inet"), "192.168.0.1/24", "longtext", "192.168.0.1/24", ""},
	{sinktest.Type(event.KindString, "", "int4range"), "[1,5)", "longtext", "[1,5)", ""},
	{sinktest.Type(event.KindBoolean, "", "bit(1)"), true, "bit(1)", "1", "bin(%s)"},
	{sinktest.Bits(10, "bit(10)"), []byte{0x01, 0x02}, "bit(10)", "1000000001", "bin(%s)"},
	{sinktest.Bits(math.MaxInt32, "varbit"), []byte{0x05}, "longtext", "101", ""},
	{sinktest.Array(sinktest.Type(event.KindInt32, "", "int4")), []any{int32(1), nil, int32(3)}, "longtext", "[1,null,3]", ""},
	{sinktest.Array(sinktest.Type(event.KindString, "", "text")), []any{"a,b", nil, `q"x`}, "longtext", `["a,b",null,"q\"x"]`, ""},
	{sinktest.Array(sinktest.Decimal(4, 1, "numeric(4,1)")), []any{sinktest.Rat("3/2"), nil}, "longtext", `["1.5",null]`, ""},
	{sinktest.Array(sinktest.Type(event.KindInt32, sqlapply.NameDate, "date")), []any{int32(19782)}, "longtext", `["2024-02-29"]`, ""},
	{sinktest.Array(sinktest.Type(event.KindBytes, "", "bytea")), []any{[]byte{1, 0xab}}, "longtext", `["Aas="]`, ""},
	{sinktest.Array(sinktest.Type(event.KindBoolean, "", "bool")), []any{true, false}, "longtext", "[true,false]", ""},
}

func TestTypesFromMySQL(t *testing.T) {
	t.Parallel()
	checkTypes(t, event.TableID{Database: "shop", Table: "types"}, mysqlTypes)
}

func TestTypesFromPostgres(t *testing.T) {
	t.Parallel()
	checkTypes(t, event.TableID{Database: "src", Schema: "public", Table: "types"}, postgresTypes)
}

// checkTypes creates the target table from a source table with one column per case,
// applies a row of the cases' values and a row of NULLs, and checks the column types and
// the values' text.
func checkTypes(t *testing.T, id event.TableID, cases []typeCase) {
	dsn := testmaria.NewDB(t)
	tg := newTarget(t, dsn, sinks.Options{CreateTables: true})
	tb := &event.Table{ID: id, Columns: []event.Column{{Name: "id", Type: intType}}, Key: []int{0}}
	vals, nulls := []any{int32(1)}, []any{int32(2)}
	for i, c := range cases {
		tb.Columns = append(tb.Columns, event.Column{Name: fmt.Sprintf("c%d", i), Type: c.typ, Optional: true})
		vals = append(vals, c.value)
		nulls = append(nulls, nil)
	}
	newFeed().Apply(t, tg, sinktest.Upsert(tb, vals...), sinktest.Upsert(tb, nulls...))

	types := map[string]string{}
	for _, r := range query(t, dsn, "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'types'") {
		n, typ, _ := strings.Cut(r, "|")
		types[n] = typ
	}
	var sel []string
	for i, c := range cases {
		expr := c.expr
		if expr == "" {
			expr = "%s"
		}
		sel = append(sel, fmt.Sprintf("coalesce("+expr+", '∅')", fmt.Sprintf("c%d", i)))
	}
	for _, id := range []int{1, 2} {
		rows := query(t, dsn, fmt.Sprintf("SELECT %s FROM types WHERE id = %d", strings.Join(sel, ", "), id))
		if len(rows) != 1 {
			t.Fatalf("row %d: %q", id, rows)
		}
		row := strings.Split(rows[0], "|")
		if len(row) != len(cases) {
			t.Fatalf("row %d has %d values (a value with |?): %q", id, len(row), rows[0])
		}
		for i, tc := range cases {
			name := fmt.Sprintf("c%d %s %s", i, tc.typ.SourceType, tc.typ.Name)
			if id == 2 {
				if row[i] != "∅" {
					t.Errorf("%s: NULL became %q", name, row[i])
				}
				continue
			}
			if got := types[fmt.Sprintf("c%d", i)]; got != tc.wantType {
				t.Errorf("%s: column type %q, want %q", name, got, tc.wantType)
			}
			if row[i] != tc.wantText {
				t.Errorf("%s = %v: %q, want %q", name, tc.value, row[i], tc.wantText)
			}
		}
	}
}
