package duckdb

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// typeCase is one source column: its event type and a value, the column type the target
// creates and the value's text there (CAST(col AS VARCHAR)).
type typeCase struct {
	typ      event.Type
	value    any
	wantType string
	wantText string
}

// blobText is DuckDB's text of a BLOB: printable ASCII as is, other bytes \xHH.
func blobText(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '\\' && c != '\'' && c != '"' {
			s.WriteByte(c)
		} else {
			fmt.Fprintf(&s, `\x%02X`, c)
		}
	}
	return s.String()
}

// mysqlTypes mirror sources/mysql's TestTypes: every type the MySQL source emits.
var mysqlTypes = []typeCase{
	{sinktest.Type(event.KindInt16, "", "tinyint"), int32(-128), "TINYINT", "-128"},
	{sinktest.Type(event.KindInt16, "", "tinyint unsigned"), int32(255), "UTINYINT", "255"},
	{sinktest.Type(event.KindInt16, "", "tinyint(1)"), int32(1), "TINYINT", "1"}, // BOOL
	{sinktest.Type(event.KindInt16, "", "smallint"), int32(-32768), "SMALLINT", "-32768"},
	{sinktest.Type(event.KindInt32, "", "smallint unsigned"), int32(65535), "USMALLINT", "65535"},
	{sinktest.Type(event.KindInt32, "", "mediumint"), int32(-8388608), "INTEGER", "-8388608"},
	{sinktest.Type(event.KindInt32, "", "mediumint unsigned"), int32(16777215), "INTEGER", "16777215"},
	{sinktest.Type(event.KindInt32, "", "int"), int32(math.MinInt32), "INTEGER", "-2147483648"},
	{sinktest.Type(event.KindInt64, "", "int unsigned"), int64(math.MaxUint32), "UINTEGER", "4294967295"},
	{sinktest.Type(event.KindInt64, "", "int(10) unsigned zerofill"), int64(7), "UINTEGER", "7"},
	{sinktest.Type(event.KindInt64, "", "bigint"), int64(math.MinInt64), "BIGINT", "-9223372036854775808"},
	{sinktest.Type(event.KindInt64, "", "bigint"), int64(math.MaxInt64), "BIGINT", "9223372036854775807"},
	{sinktest.Decimal(20, 0, "bigint unsigned"), sinktest.Rat("18446744073709551615"), "UBIGINT", "18446744073709551615"},
	{sinktest.Decimal(65, 30, "decimal(65,30)"), sinktest.Rat("-99999999999999999999999999999999999.999999999999999999999999999999"), "VARCHAR",
		"-99999999999999999999999999999999999.999999999999999999999999999999"},
	{sinktest.Decimal(38, 10, "decimal(38,10)"), sinktest.Rat("-9999999999999999999999999999.9999999999"), "DECIMAL(38,10)", "-9999999999999999999999999999.9999999999"},
	{sinktest.Decimal(10, 2, "decimal(10,2) unsigned"), sinktest.Rat("0.01"), "DECIMAL(10,2)", "0.01"},
	{sinktest.Type(event.KindFloat32, "", "float"), float32(1.5), "FLOAT", "1.5"},
	{sinktest.Type(event.KindFloat64, "", "double"), -math.MaxFloat64, "DOUBLE", "-1.7976931348623157e+308"},
	{sinktest.Type(event.KindBoolean, "", "bit(1)"), true, "BOOLEAN", "true"},
	{sinktest.Bits(64, "bit(64)"), bytes.Repeat([]byte{0xff}, 8), "BIT", strings.Repeat("1", 64)},
	{sinktest.Bits(10, "bit(10)"), []byte{0x01, 0x02}, "BIT", "1000000001"},
	{sinktest.Type(event.KindString, "", "varchar(20)"), "😀é", "VARCHAR", "😀é"},
	{sinktest.Type(event.KindString, "", "varchar(20)"), "", "VARCHAR", ""},
	{sinktest.Type(event.KindString, "", "char(5)"), "ab", "VARCHAR", "ab"},
	{sinktest.Type(event.KindString, "", "varchar(10)"), "é€", "VARCHAR", "é€"}, // latin1
	{sinktest.Type(event.KindString, "", "text"), "café", "VARCHAR", "café"},
	{sinktest.Type(event.KindString, "", "longtext"), "𝄞 clef", "VARCHAR", "𝄞 clef"},
	{sinktest.Type(event.KindBytes, "", "binary(4)"), []byte{1, 2, 0, 0}, "BLOB", `\x01\x02\x00\x00`},
	{sinktest.Type(event.KindBytes, "", "varbinary(10)"), []byte{0, 0xff, 'a'}, "BLOB", `\x00\xFFa`},
	{sinktest.Type(event.KindBytes, "", "blob"), []byte{}, "BLOB", ``},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), sinktest.Days(2024, 2, 29), "DATE", "2024-02-29"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), sinktest.Days(1000, 1, 1), "DATE", "1000-01-01"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(0), "DATE", "1970-01-01"}, // zero date, NOT NULL
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64((23*3600 + 59*60 + 59) * 1e6), "INTERVAL", "23:59:59"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(6)"), int64(45296789012), "INTERVAL", "12:34:56.789012"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(3)"), int64(1_500_000), "INTERVAL", "00:00:01.5"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), -int64((838*3600 + 59*60 + 59) * 1e6), "INTERVAL", "-838:59:59"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(100 * 3600 * 1e6), "INTERVAL", "100:00:00"},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "datetime"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 0) / 1000, "TIMESTAMP", "2024-01-02 03:04:05"},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "datetime(3)"), int64(-1), "TIMESTAMP", "1969-12-31 23:59:59.999"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), sinktest.Micros(9999, 12, 31, 23, 59, 59, 999999), "TIMESTAMP", "9999-12-31 23:59:59.999999"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(4)"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 123400), "TIMESTAMP", "2024-01-02 03:04:05.1234"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(3)"), "2024-01-02T03:04:05.120Z", "TIMESTAMP WITH TIME ZONE", "2024-01-02 03:04:05.12+00"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp"), "2038-01-19T03:14:07Z", "TIMESTAMP WITH TIME ZONE", "2038-01-19 03:14:07+00"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(6)"), "1970-01-01T00:00:01.000001Z", "TIMESTAMP WITH TIME ZONE", "1970-01-01 00:00:01.000001+00"},
	{sinktest.Type(event.KindInt32, sqlapply.NameYear, "year"), int32(2155), "INTEGER", "2155"},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "a,b'c"}, SourceType: "enum('a','b''c')"}, "b'c", "VARCHAR", "b'c"},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnumSet, Params: map[string]string{"allowed": "x,y,z"}, SourceType: "set('x','y','z')"}, "x,z", "VARCHAR", "x,z"},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "json"), `{"a": [1, 2]}`, "JSON", `{"a": [1, 2]}`},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "longtext"), `{"b":1}`, "JSON", `{"b":1}`}, // MariaDB JSON
	{sinktest.Type(event.KindBytes, "", "point"), sinktest.WKBPoint(1, 2), "BLOB", blobText(sinktest.WKBPoint(1, 2))},
	{sinktest.Type(event.KindBytes, "", "geometry"), sinktest.WKBPoint(-1.5, 0), "BLOB", blobText(sinktest.WKBPoint(-1.5, 0))},
}

// postgresTypes mirror sources/postgres's TestTypes: every type the Postgres source emits.
var postgresTypes = []typeCase{
	{sinktest.Type(event.KindInt16, "", "int2"), int32(-32768), "SMALLINT", "-32768"},
	{sinktest.Type(event.KindInt32, "", "int4"), int32(2147483647), "INTEGER", "2147483647"},
	{sinktest.Type(event.KindInt64, "", "int8"), int64(math.MinInt64), "BIGINT", "-9223372036854775808"},
	{sinktest.Type(event.KindInt64, "", "oid"), int64(4000000000), "UINTEGER", "4000000000"},
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(math.NaN()), "FLOAT", "nan"},
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(math.Inf(-1)), "FLOAT", "-inf"},
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(1.5), "FLOAT", "1.5"},
	{sinktest.Type(event.KindFloat64, "", "float8"), math.Inf(1), "DOUBLE", "inf"},
	{sinktest.Type(event.KindFloat64, "", "float8"), 0.1, "DOUBLE", "0.1"},
	{sinktest.Type(event.KindFloat64, "", "float8"), 1e308, "DOUBLE", "1e+308"},
	{sinktest.Decimal(10, 2, "numeric(10,2)"), sinktest.Rat("-1234567891/100"), "DECIMAL(10,2)", "-12345678.91"},
	{sinktest.Decimal(50, 2, "numeric(50,2)"), sinktest.Rat("123456789012345678901234567890123456789012345678/100"), "VARCHAR", "1234567890123456789012345678901234567890123456.78"},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Scale: 1, Unscaled: big.NewInt(15)}, "VARCHAR", "1.5"},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Unscaled: sinktest.BigInt("123456789012345678901234567890")}, "VARCHAR", "123456789012345678901234567890"},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Scale: 3, Unscaled: big.NewInt(-5)}, "VARCHAR", "-0.005"},
	{sinktest.Decimal(5, 2, "numeric(5,2)"), sinktest.Rat("99999/100"), "DECIMAL(5,2)", "999.99"}, // domain price
	{event.Type{Kind: event.KindDecimal, Name: sqlapply.NameDecimal, Params: map[string]string{"scale": "2"}, Scale: 2, SourceType: "money"}, sinktest.Rat("-92233720368547758.08"), "DECIMAL(19,2)", "-92233720368547758.08"},
	{sinktest.Type(event.KindBoolean, "", "bool"), true, "BOOLEAN", "true"},
	{sinktest.Type(event.KindString, "", "text"), "héllo ☃", "VARCHAR", "héllo ☃"},
	{sinktest.Type(event.KindString, "", "varchar(5)"), "abc", "VARCHAR", "abc"},
	{sinktest.Type(event.KindString, "", "bpchar(3)"), "ab ", "VARCHAR", "ab "},
	{sinktest.Type(event.KindString, "", "char"), "x", "VARCHAR", "x"},
	{sinktest.Type(event.KindString, "", "name"), "nm", "VARCHAR", "nm"},
	{sinktest.Type(event.KindBytes, "", "bytea"), []byte{0, 255, 16}, "BLOB", `\x00\xFF\x10`},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(19782), "DATE", "2024-02-29"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), sinktest.Days(-43, 3, 15), "DATE", "0044-03-15 (BC)"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(-2147472692), "DATE", "infinity"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(-2147472691), "DATE", "-infinity"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(45296789012), "TIME", "12:34:56.789012"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(86_400_000_000), "TIME", "24:00:00"},
	{sinktest.Type(event.KindInt32, sqlapply.NameTime, "time(3)"), int32(45296789), "TIME", "12:34:56.789"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTime, "timetz"), "07:04:56.5Z", "TIME WITH TIME ZONE", "07:04:56.5+00"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 123456), "TIMESTAMP", "2024-01-02 03:04:05.123456"},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "timestamp(3)"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 123000) / 1000, "TIMESTAMP", "2024-01-02 03:04:05.123"},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "timestamp(0)"), sinktest.Micros(1900, 1, 1, 0, 0, 0, 0) / 1000, "TIMESTAMP", "1900-01-01 00:00:00"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), sinktest.Micros(-43, 3, 15, 12, 0, 0, 0), "TIMESTAMP", "0044-03-15 (BC) 12:00:00"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), int64(9223372036825200000), "TIMESTAMP", "infinity"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), int64(-9223372036832400000), "TIMESTAMP", "-infinity"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz"), "2024-07-01T16:00:00.000000Z", "TIMESTAMP WITH TIME ZONE", "2024-07-01 16:00:00+00"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz(0)"), "2024-01-01T00:00:00Z", "TIMESTAMP WITH TIME ZONE", "2024-01-01 00:00:00+00"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz"), "-infinity", "TIMESTAMP WITH TIME ZONE", "-infinity"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, "interval"), int64(37091106500000), "INTERVAL", "10303:05:06.5"}, // '1 year 2 mons 3 days 04:05:06.5'
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, "interval"), int64(-86401500000), "INTERVAL", "-24:00:01.5"},
	{sinktest.Type(event.KindString, sqlapply.NameUUID, "uuid"), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "UUID", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "json"), `{"a":  1}`, "JSON", `{"a":  1}`},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "jsonb"), `{"a": 1}`, "JSON", `{"a": 1}`},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "hstore"), `{"k":"v"}`, "JSON", `{"k":"v"}`},
	{sinktest.Type(event.KindString, sqlapply.NameXML, "xml"), "<a>x</a>", "VARCHAR", "<a>x</a>"},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "sad,ok,happy"}, SourceType: "mood"}, "ok", "VARCHAR", "ok"},
	{sinktest.Type(event.KindString, sqlapply.NameLtree, "ltree"), "a.b", "VARCHAR", "a.b"},
	{sinktest.Type(event.KindString, "", "inet"), "192.168.0.1/24", "VARCHAR", "192.168.0.1/24"},
	{sinktest.Type(event.KindString, "", "cidr"), "10.0.0.0/8", "VARCHAR", "10.0.0.0/8"},
	{sinktest.Type(event.KindString, "", "macaddr"), "08:00:2b:01:02:03", "VARCHAR", "08:00:2b:01:02:03"},
	{sinktest.Type(event.KindString, "", "macaddr8"), "08:00:2b:01:02:03:04:05", "VARCHAR", "08:00:2b:01:02:03:04:05"},
	{sinktest.Type(event.KindString, "", "point"), "(1.5,2)", "VARCHAR", "(1.5,2)"},
	{sinktest.Type(event.KindString, "", "int4range"), "[1,5)", "VARCHAR", "[1,5)"},
	{sinktest.Type(event.KindString, "", "citext"), "MiXed", "VARCHAR", "MiXed"},
	{sinktest.Type(event.KindBoolean, "", "bit(1)"), true, "BOOLEAN", "true"},
	{sinktest.Type(event.KindBoolean, "", "varbit(1)"), false, "BOOLEAN", "false"},
	{sinktest.Bits(10, "bit(10)"), []byte{0x01, 0x02}, "BIT", "1000000001"},
	{sinktest.Bits(20, "varbit(20)"), []byte{0x05}, "BIT", "00000000000000000101"}, // B'101': the length is lost
	{sinktest.Bits(math.MaxInt32, "varbit"), []byte{}, "BIT", "0"},                 // B'000'
	{sinktest.Array(sinktest.Type(event.KindInt32, "", "int4")), []any{int32(1), nil, int32(3)}, "INTEGER[]", "[1, NULL, 3]"},
	{sinktest.Array(sinktest.Type(event.KindInt32, "", "int4")), []any{}, "INTEGER[]", "[]"},
	{sinktest.Array(sinktest.Type(event.KindString, "", "text")), []any{"a,b", nil, "NULL", `q"x`, `b\s`, "it's", " sp ", "", "[x]"}, "VARCHAR[]",
		`['a,b', NULL, 'NULL', 'q"x', b\s, 'it\'s', ' sp ', '', '[x]']`},
	{sinktest.Array(sinktest.Decimal(4, 1, "numeric(4,1)")), []any{sinktest.Rat("3/2"), nil}, "DECIMAL(4,1)[]", "[1.5, NULL]"},
	{sinktest.Array(sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric")), []any{event.VarDecimal{Scale: 1, Unscaled: big.NewInt(15)}}, "VARCHAR[]", "[1.5]"},
	{sinktest.Array(sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz")), []any{"2024-07-01T16:00:00.000000Z"}, "TIMESTAMP WITH TIME ZONE[]", `['2024-07-01 16:00:00+00']`},
	{sinktest.Array(event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "sad,ok,happy"}, SourceType: "mood"}), []any{"sad", "happy"}, "VARCHAR[]", "[sad, happy]"},
	{sinktest.Array(sinktest.Type(event.KindInt16, "", "int2")), []any{int32(1), int32(2), int32(3), int32(4)}, "SMALLINT[]", "[1, 2, 3, 4]"}, // {{1,2},{3,4}} flattened
	{sinktest.Array(sinktest.Type(event.KindBytes, "", "bytea")), []any{[]byte{1, 0xab, 'z'}}, "BLOB[]", `[\x01\xABz]`},
	{sinktest.Array(sinktest.Type(event.KindInt32, sqlapply.NameDate, "date")), []any{int32(19782), nil, int32(sqlapply.DateInfinity)}, "DATE[]", "[2024-02-29, NULL, infinity]"},
	{sinktest.Array(sinktest.Type(event.KindBoolean, "", "bool")), []any{true, false}, "BOOLEAN[]", "[true, false]"},
	{sinktest.Array(sinktest.Type(event.KindFloat64, "", "float8")), []any{math.NaN(), 0.5, math.Inf(-1)}, "DOUBLE[]", "[nan, 0.5, -inf]"},
	{sinktest.Array(sinktest.Type(event.KindString, sqlapply.NameUUID, "uuid")), []any{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, "UUID[]", "[a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11]"},
	{sinktest.Array(sinktest.Type(event.KindString, sqlapply.NameJSON, "jsonb")), []any{`{"a": [1, "x"]}`, nil}, "VARCHAR[]", `['{"a": [1, "x"]}', NULL]`},
	{sinktest.Array(sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, "interval")), []any{int64(1_500_000)}, "INTERVAL[]", "['00:00:01.5']"},
	{sinktest.Array(sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp")), []any{sinktest.Micros(2024, 1, 2, 3, 4, 5, 6)}, "TIMESTAMP[]", "['2024-01-02 03:04:05.000006']"},
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
// the values' text. With history on, the history table's after_ columns must hold the
// same.
func checkTypes(t *testing.T, id event.TableID, cases []typeCase) {
	tg := newTarget(t, newPath(t), sinks.Options{CreateTables: true}, true)
	tb := &event.Table{ID: id, Columns: []event.Column{{Name: "id", Type: intType}}, Key: []int{0}}
	vals, nulls := []any{int32(1)}, []any{int32(2)}
	for i, c := range cases {
		tb.Columns = append(tb.Columns, event.Column{Name: fmt.Sprintf("c%d", i), Type: c.typ, Optional: true})
		vals = append(vals, c.value)
		nulls = append(nulls, nil)
	}
	newFeed().Apply(t, tg, sinktest.Upsert(tb, vals...), sinktest.Upsert(tb, nulls...))

	types := map[string]string{}
	for _, r := range query(t, tg, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'types'") {
		n, typ, _ := strings.Cut(r, "|")
		types[n] = typ
	}
	for _, table := range []struct{ name, prefix string }{{"types", ""}, {"types_history", "after_"}} {
		var sel []string
		for i := range cases {
			sel = append(sel, fmt.Sprintf("CAST(%sc%d AS VARCHAR)", table.prefix, i))
		}
		for _, id := range []int{1, 2} {
			rows, err := tg.file.db.QueryContext(sinktest.Ctx(t), "SELECT "+strings.Join(sel, ", ")+" FROM "+table.name+" WHERE "+table.prefix+"id = $1", id)
			if err != nil {
				t.Fatal(err)
			}
			row := make([]*string, len(cases))
			dest := make([]any, len(cases))
			for i := range row {
				dest[i] = &row[i]
			}
			if !rows.Next() {
				t.Fatalf("%s: no row %d", table.name, id)
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			for i, tc := range cases {
				name := fmt.Sprintf("%s c%d %s %s", table.name, i, tc.typ.SourceType, tc.typ.Name)
				if id == 2 {
					if row[i] != nil {
						t.Errorf("%s: NULL became %q", name, *row[i])
					}
					continue
				}
				if got := types[fmt.Sprintf("c%d", i)]; table.prefix == "" && got != tc.wantType {
					t.Errorf("%s: column type %q, want %q", name, got, tc.wantType)
				}
				if row[i] == nil {
					t.Errorf("%s = %v: NULL, want %q", name, tc.value, tc.wantText)
				} else if *row[i] != tc.wantText {
					t.Errorf("%s = %v: %q, want %q", name, tc.value, *row[i], tc.wantText)
				}
			}
		}
	}
}
