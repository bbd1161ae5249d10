package mysql

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

func bigInt(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return b
}

func nan() float64 { return math.NaN() }

// days returns the days since 1970-01-01 of a date.
func days(y, m, d int) int32 {
	for dd := int32(-1_000_000); ; dd++ {
		yy, mm, dx := sqlapply.CivilFromDays(int64(dd))
		if int(yy) == y && int(mm) == m && int(dx) == d {
			return dd
		}
	}
}

func micros(y, m, d, hh, mm, ss, us int) int64 {
	return int64(days(y, m, d))*86_400_000_000 + int64((hh*60+mm)*60+ss)*1_000_000 + int64(us)
}

func wkbPoint(x, y float64) []byte {
	b := []byte{1, 1, 0, 0, 0}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(y))
}

func ty(kind event.Kind, name, source string) event.Type {
	return event.Type{Kind: kind, Name: name, SourceType: source}
}

func decimalType(p, s int, source string) event.Type {
	return event.Type{Kind: event.KindDecimal, Name: sqlapply.NameDecimal, Precision: p, Scale: s, SourceType: source}
}

func bitsType(n int, source string) event.Type {
	return event.Type{Kind: event.KindBytes, Name: sqlapply.NameBits, Params: map[string]string{"length": fmt.Sprint(n)}, SourceType: source}
}

func arrayType(elem event.Type) event.Type {
	return event.Type{Kind: event.KindArray, Elem: &elem, SourceType: "_" + elem.SourceType}
}

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
	{ty(event.KindInt16, "", "tinyint"), int32(-128), "tinyint(4)", "-128", ""},
	{ty(event.KindInt16, "", "tinyint unsigned"), int32(255), "tinyint(3) unsigned", "255", ""},
	{ty(event.KindInt16, "", "smallint"), int32(-32768), "smallint(6)", "-32768", ""},
	{ty(event.KindInt32, "", "smallint unsigned"), int32(65535), "smallint(5) unsigned", "65535", ""},
	{ty(event.KindInt32, "", "mediumint"), int32(-8388608), "mediumint(9)", "-8388608", ""},
	{ty(event.KindInt32, "", "mediumint unsigned"), int32(16777215), "mediumint(8) unsigned", "16777215", ""},
	{ty(event.KindInt32, "", "int"), int32(math.MinInt32), "int(11)", "-2147483648", ""},
	{ty(event.KindInt64, "", "int unsigned"), int64(math.MaxUint32), "int(10) unsigned", "4294967295", ""},
	{ty(event.KindInt64, "", "bigint"), int64(math.MinInt64), "bigint(20)", "-9223372036854775808", ""},
	{decimalType(20, 0, "bigint unsigned"), rat("18446744073709551615"), "bigint(20) unsigned", "18446744073709551615", ""},
	{decimalType(65, 30, "decimal(65,30)"), rat("-99999999999999999999999999999999999.999999999999999999999999999999"), "decimal(65,30)",
		"-99999999999999999999999999999999999.999999999999999999999999999999", ""},
	{decimalType(10, 2, "decimal(10,2) unsigned"), rat("0.01"), "decimal(10,2) unsigned", "0.01", ""},
	{ty(event.KindFloat32, "", "float"), float32(1.5), "float", "1.5", ""},
	{ty(event.KindFloat64, "", "double"), -math.MaxFloat64, "double", "-1.7976931348623157e308", ""},
	{ty(event.KindBoolean, "", "bit(1)"), true, "bit(1)", "1", "bin(%s)"},
	{bitsType(64, "bit(64)"), bytes.Repeat([]byte{0xff}, 8), "bit(64)", strings.Repeat("1", 64), "bin(%s)"},
	{bitsType(10, "bit(10)"), []byte{0x01, 0x02}, "bit(10)", "1000000001", "bin(%s)"},
	{ty(event.KindString, "", "varchar(20)"), "😀é", "varchar(20)", "😀é", ""},
	{ty(event.KindString, "", "varchar(20)"), "", "varchar(20)", "", ""},
	{ty(event.KindString, "", "char(4)"), "ab", "char(4)", "ab", ""},
	{ty(event.KindString, "", "text"), "café", "text", "café", ""},
	{ty(event.KindString, "", "longtext"), "𝄞 clef", "longtext", "𝄞 clef", ""},
	{ty(event.KindBytes, "", "binary(4)"), []byte{1, 2, 0, 0}, "binary(4)", "01020000", "hex(%s)"},
	{ty(event.KindBytes, "", "varbinary(10)"), []byte{0, 0xff}, "varbinary(10)", "00FF", "hex(%s)"},
	{ty(event.KindBytes, "", "blob"), []byte{}, "blob", "", "hex(%s)"},
	{ty(event.KindInt32, sqlapply.NameDate, "date"), days(2024, 2, 29), "date", "2024-02-29", ""},
	{ty(event.KindInt32, sqlapply.NameDate, "date"), days(1000, 1, 1), "date", "1000-01-01", ""},
	{ty(event.KindInt64, sqlapply.NameMicroTime, "time"), int64((23*3600 + 59*60 + 59) * 1e6), "time", "23:59:59", ""},
	{ty(event.KindInt64, sqlapply.NameMicroTime, "time(6)"), int64(45296789012), "time(6)", "12:34:56.789012", ""},
	{ty(event.KindInt64, sqlapply.NameMicroTime, "time(3)"), int64(-1_500_000), "time(3)", "-00:00:01.500", ""},
	{ty(event.KindInt64, sqlapply.NameMicroTime, "time"), -int64((838*3600 + 59*60 + 59) * 1e6), "time", "-838:59:59", ""},
	{ty(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(100 * 3600 * 1e6), "time", "100:00:00", ""},
	{ty(event.KindInt64, sqlapply.NameTimestamp, "datetime"), micros(2024, 1, 2, 3, 4, 5, 0) / 1000, "datetime", "2024-01-02 03:04:05", ""},
	{ty(event.KindInt64, sqlapply.NameTimestamp, "datetime(3)"), int64(-1), "datetime(3)", "1969-12-31 23:59:59.999", ""},
	{ty(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), micros(9999, 12, 31, 23, 59, 59, 999999), "datetime(6)", "9999-12-31 23:59:59.999999", ""},
	{ty(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(3)"), "2024-01-02T03:04:05.120Z", "timestamp(3)", "2024-01-02 03:04:05.120", ""},
	{ty(event.KindString, sqlapply.NameZonedTimestamp, "timestamp"), "2038-01-19T03:14:07Z", "timestamp", "2038-01-19 03:14:07", ""},
	{ty(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(6)"), "1970-01-01T00:00:01.000001Z", "timestamp(6)", "1970-01-01 00:00:01.000001", ""},
	{ty(event.KindInt32, sqlapply.NameYear, "year"), int32(2155), "year(4)", "2155", ""},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "a,b'c"}, SourceType: "enum('a','b''c')"}, "b'c", "enum('a','b''c')", "b'c", ""},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnumSet, Params: map[string]string{"allowed": "x,y,z"}, SourceType: "set('x','y','z')"}, "x,z", "set('x','y','z')", "x,z", ""},
	{ty(event.KindString, sqlapply.NameJSON, "json"), `{"a": [1, 2]}`, "longtext", `{"a": [1, 2]}`, ""}, // MariaDB's JSON is longtext
	{ty(event.KindString, sqlapply.NameJSON, "longtext"), `{"b":1}`, "longtext", `{"b":1}`, ""},
	{ty(event.KindBytes, "", "point"), wkbPoint(1, 2), "point", "POINT(1 2)", "ST_AsText(%s)"},
	{ty(event.KindBytes, "", "geometry"), wkbPoint(-1.5, 0), "geometry", "POINT(-1.5 0)", "ST_AsText(%s)"},
}

// postgresTypes mirror sources/postgres's TestTypes: every type the Postgres source emits
// that MySQL can hold.
var postgresTypes = []typeCase{
	{ty(event.KindInt16, "", "int2"), int32(-32768), "smallint(6)", "-32768", ""},
	{ty(event.KindInt32, "", "int4"), int32(2147483647), "int(11)", "2147483647", ""},
	{ty(event.KindInt64, "", "int8"), int64(math.MinInt64), "bigint(20)", "-9223372036854775808", ""},
	{ty(event.KindInt64, "", "oid"), int64(4000000000), "bigint(20)", "4000000000", ""},
	{ty(event.KindFloat32, "", "float4"), float32(1.5), "float", "1.5", ""},
	{ty(event.KindFloat64, "", "float8"), 0.1, "double", "0.1", ""},
	{ty(event.KindFloat64, "", "float8"), 1e308, "double", "1e308", ""},
	{decimalType(10, 2, "numeric(10,2)"), rat("-1234567891/100"), "decimal(10,2)", "-12345678.91", ""},
	{ty(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Scale: 1, Unscaled: big.NewInt(15)}, "decimal(65,30)", "1.5", "trim(trailing '.' from trim(trailing '0' from %s))"},
	{ty(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Unscaled: bigInt("12345678901234567890123456789012345")}, "decimal(65,30)", "12345678901234567890123456789012345", "trim(trailing '.' from trim(trailing '0' from %s))"},
	{ty(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Scale: 3, Unscaled: big.NewInt(-5)}, "decimal(65,30)", "-0.005", "trim(trailing '.' from trim(trailing '0' from %s))"},
	{decimalType(5, 2, "numeric(5,2)"), rat("99999/100"), "decimal(5,2)", "999.99", ""},
	{event.Type{Kind: event.KindDecimal, Name: sqlapply.NameDecimal, Params: map[string]string{"scale": "2"}, Scale: 2, SourceType: "money"}, rat("-123456/100"), "decimal(65,2)", "-1234.56", ""},
	{decimalType(100, 2, "numeric(100,2)"), rat("1/4"), "longtext", "0.25", ""},
	{ty(event.KindBoolean, "", "bool"), true, "tinyint(1)", "1", ""},
	{ty(event.KindString, "", "text"), "héllo ☃", "longtext", "héllo ☃", ""},
	{ty(event.KindString, "", "varchar(5)"), "abc", "varchar(5)", "abc", ""},
	{ty(event.KindString, "", "bpchar(3)"), "ab ", "char(3)", "ab", ""}, // CHAR drops the padding
	{ty(event.KindString, "", "char"), "x", "longtext", "x", ""},
	{ty(event.KindBytes, "", "bytea"), []byte{0, 255, 16}, "longblob", "00FF10", "hex(%s)"},
	{ty(event.KindInt32, sqlapply.NameDate, "date"), int32(19782), "date", "2024-02-29", ""},
	{ty(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(45296789012), "time(6)", "12:34:56.789012", ""},
	{ty(event.KindInt32, sqlapply.NameTime, "time(3)"), int32(45296789), "time(3)", "12:34:56.789", ""},
	{ty(event.KindString, sqlapply.NameZonedTime, "timetz"), "07:04:56.5Z", "time(6)", "07:04:56.500000", ""},
	{ty(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), micros(2024, 1, 2, 3, 4, 5, 123456), "datetime(6)", "2024-01-02 03:04:05.123456", ""},
	{ty(event.KindInt64, sqlapply.NameTimestamp, "timestamp(3)"), micros(2024, 1, 2, 3, 4, 5, 123000) / 1000, "datetime(3)", "2024-01-02 03:04:05.123", ""},
	{ty(event.KindInt64, sqlapply.NameTimestamp, "timestamp(0)"), micros(1900, 1, 1, 0, 0, 0, 0) / 1000, "datetime", "1900-01-01 00:00:00", ""},
	{ty(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz"), "2024-07-01T16:00:00.000000Z", "datetime(6)", "2024-07-01 16:00:00.000000", ""},
	{ty(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz(0)"), "2024-01-01T00:00:00Z", "datetime", "2024-01-01 00:00:00", ""},
	{ty(event.KindInt64, sqlapply.NameMicroDuration, "interval"), int64(37091106500000), "bigint(20)", "37091106500000", ""},
	{ty(event.KindString, sqlapply.NameUUID, "uuid"), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "char(36)", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{ty(event.KindString, sqlapply.NameJSON, "json"), `{"a":  1}`, "longtext", `{"a":  1}`, ""},
	{ty(event.KindString, sqlapply.NameJSON, "jsonb"), `{"a": 1}`, "longtext", `{"a": 1}`, ""},
	{ty(event.KindString, sqlapply.NameXML, "xml"), "<a>x</a>", "longtext", "<a>x</a>", ""},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "sad,ok,happy"}, SourceType: "mood"}, "ok", "varchar(255)", "ok", ""},
	{ty(event.KindString, sqlapply.NameLtree, "ltree"), "a.b", "longtext", "a.b", ""},
	{ty(event.KindString, "", "inet"), "192.168.0.1/24", "longtext", "192.168.0.1/24", ""},
	{ty(event.KindString, "", "int4range"), "[1,5)", "longtext", "[1,5)", ""},
	{ty(event.KindBoolean, "", "bit(1)"), true, "bit(1)", "1", "bin(%s)"},
	{bitsType(10, "bit(10)"), []byte{0x01, 0x02}, "bit(10)", "1000000001", "bin(%s)"},
	{bitsType(math.MaxInt32, "varbit"), []byte{0x05}, "longtext", "101", ""},
	{arrayType(ty(event.KindInt32, "", "int4")), []any{int32(1), nil, int32(3)}, "longtext", "[1,null,3]", ""},
	{arrayType(ty(event.KindString, "", "text")), []any{"a,b", nil, `q"x`}, "longtext", `["a,b",null,"q\"x"]`, ""},
	{arrayType(decimalType(4, 1, "numeric(4,1)")), []any{rat("3/2"), nil}, "longtext", `["1.5",null]`, ""},
	{arrayType(ty(event.KindInt32, sqlapply.NameDate, "date")), []any{int32(19782)}, "longtext", `["2024-02-29"]`, ""},
	{arrayType(ty(event.KindBytes, "", "bytea")), []any{[]byte{1, 0xab}}, "longtext", `["Aas="]`, ""},
	{arrayType(ty(event.KindBoolean, "", "bool")), []any{true, false}, "longtext", "[true,false]", ""},
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
	newFeed().apply(t, tg, upsert(tb, vals...), upsert(tb, nulls...))

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
