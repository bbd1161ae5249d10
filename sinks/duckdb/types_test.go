package duckdb

import (
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

// mysqlTypes are this engine's cases of MySQL source types beyond sinktest.MySQLTypes.
var mysqlTypes = []typeCase{
	{sinktest.Type(event.KindInt16, "", "tinyint(1)"), int32(1), "TINYINT", "1"}, // BOOL
	{sinktest.Type(event.KindInt64, "", "int(10) unsigned zerofill"), int64(7), "UINTEGER", "7"},
	{sinktest.Type(event.KindInt64, "", "bigint"), int64(math.MaxInt64), "BIGINT", "9223372036854775807"},
	{sinktest.Decimal(38, 10, "decimal(38,10)"), sinktest.Rat("-9999999999999999999999999999.9999999999"), "DECIMAL(38,10)", "-9999999999999999999999999999.9999999999"},
	{sinktest.Type(event.KindString, "", "char(5)"), "ab", "VARCHAR", "ab"},
	{sinktest.Type(event.KindString, "", "varchar(10)"), "é€", "VARCHAR", "é€"}, // latin1
	{sinktest.Type(event.KindBytes, "", "varbinary(10)"), []byte{0, 0xff, 'a'}, "BLOB", `\x00\xFFa`},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(0), "DATE", "1970-01-01"}, // zero date, NOT NULL
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(3)"), int64(1_500_000), "INTERVAL", "00:00:01.5"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), -int64((838*3600 + 59*60 + 59) * 1e6), "INTERVAL", "-838:59:59"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(100 * 3600 * 1e6), "INTERVAL", "100:00:00"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(4)"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 123400), "TIMESTAMP", "2024-01-02 03:04:05.1234"},
}

// mysqlWants are what this engine makes of sinktest.MySQLTypes.
var mysqlWants = map[string]typeCase{
	"tinyint -128":                             {wantType: "TINYINT", wantText: "-128"},
	"tinyint unsigned 255":                     {wantType: "UTINYINT", wantText: "255"},
	"smallint -32768":                          {wantType: "SMALLINT", wantText: "-32768"},
	"smallint unsigned 65535":                  {wantType: "USMALLINT", wantText: "65535"},
	"mediumint -8388608":                       {wantType: "INTEGER", wantText: "-8388608"},
	"mediumint unsigned 16777215":              {wantType: "INTEGER", wantText: "16777215"},
	"int -2147483648":                          {wantType: "INTEGER", wantText: "-2147483648"},
	"int unsigned 4294967295":                  {wantType: "UINTEGER", wantText: "4294967295"},
	"bigint -9223372036854775808":              {wantType: "BIGINT", wantText: "-9223372036854775808"},
	"bigint unsigned 18446744073709551615":     {wantType: "UBIGINT", wantText: "18446744073709551615"},
	"decimal(65,30) -999999999999999999999999": {wantType: "VARCHAR", wantText: "-99999999999999999999999999999999999.999999999999999999999999999999"},
	"decimal(10,2) unsigned 0.01":              {wantType: "DECIMAL(10,2)", wantText: "0.01"},
	"float 1.5":                                {wantType: "FLOAT", wantText: "1.5"},
	"double -1.7976931348623157e+308":          {wantType: "DOUBLE", wantText: "-1.7976931348623157e+308"},
	"bit(1) true":                              {wantType: "BOOLEAN", wantText: "true"},
	"bit(64) all ones":                         {wantType: "BIT", wantText: strings.Repeat("1", 64)},
	"bit(10) 1000000001":                       {wantType: "BIT", wantText: "1000000001"},
	"varchar(20) 😀é":                           {wantType: "VARCHAR", wantText: "😀é"},
	"varchar(20) empty":                        {wantType: "VARCHAR", wantText: ""},
	"text café":                                {wantType: "VARCHAR", wantText: "café"},
	"longtext 𝄞 clef":                          {wantType: "VARCHAR", wantText: "𝄞 clef"},
	"binary(4) \\x01020000":                    {wantType: "BLOB", wantText: `\x01\x02\x00\x00`},
	"blob \\x":                                 {wantType: "BLOB", wantText: ``},
	"date 2024-02-29":                          {wantType: "DATE", wantText: "2024-02-29"},
	"date 1000-01-01":                          {wantType: "DATE", wantText: "1000-01-01"},
	"time 23:59:59":                            {wantType: "INTERVAL", wantText: "23:59:59"},
	"time(6) 12:34:56.789012":                  {wantType: "INTERVAL", wantText: "12:34:56.789012"},
	"datetime 2024-01-02 03:04:05":             {wantType: "TIMESTAMP", wantText: "2024-01-02 03:04:05"},
	"datetime(3) 1969-12-31 23:59:59.999":      {wantType: "TIMESTAMP", wantText: "1969-12-31 23:59:59.999"},
	"datetime(6) 9999-12-31 23:59:59.999999":   {wantType: "TIMESTAMP", wantText: "9999-12-31 23:59:59.999999"},
	"timestamp(3) 2024-01-02 03:04:05.12+00":   {wantType: "TIMESTAMP WITH TIME ZONE", wantText: "2024-01-02 03:04:05.12+00"},
	"timestamp 2038-01-19 03:14:07+00":         {wantType: "TIMESTAMP WITH TIME ZONE", wantText: "2038-01-19 03:14:07+00"},
	"timestamp(6) 1970-01-01 00:00:01.000001+": {wantType: "TIMESTAMP WITH TIME ZONE", wantText: "1970-01-01 00:00:01.000001+00"},
	"year 2155":                                {wantType: "INTEGER", wantText: "2155"},
	"enum('a','b''c') b'c":                     {wantType: "VARCHAR", wantText: "b'c"},
	"set('x','y','z') x,z":                     {wantType: "VARCHAR", wantText: "x,z"},
	"json {\"a\": [1, 2]}":                     {wantType: "JSON", wantText: `{"a": [1, 2]}`},
	"longtext {\"b\": 1}":                      {wantType: "JSON", wantText: `{"b":1}`}, // MariaDB JSON
	"point POINT(1 2)":                         {wantType: "BLOB", wantText: blobText(sinktest.WKBPoint(1, 2))},
	"geometry POINT(-1.5 0)":                   {wantType: "BLOB", wantText: blobText(sinktest.WKBPoint(-1.5, 0))},
}

// postgresTypes are this engine's cases of Postgres source types beyond
// sinktest.PostgresTypes.
var postgresTypes = []typeCase{
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(math.NaN()), "FLOAT", "nan"},
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(math.Inf(-1)), "FLOAT", "-inf"},
	{sinktest.Type(event.KindFloat64, "", "float8"), math.Inf(1), "DOUBLE", "inf"},
	{sinktest.Decimal(50, 2, "numeric(50,2)"), sinktest.Rat("123456789012345678901234567890123456789012345678/100"), "VARCHAR", "1234567890123456789012345678901234567890123456.78"},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Unscaled: sinktest.BigInt("123456789012345678901234567890")}, "VARCHAR", "123456789012345678901234567890"},
	{event.Type{Kind: event.KindDecimal, Name: sqlapply.NameDecimal, Params: map[string]string{"scale": "2"}, Scale: 2, SourceType: "money"}, sinktest.Rat("-92233720368547758.08"), "DECIMAL(19,2)", "-92233720368547758.08"},
	{sinktest.Type(event.KindString, "", "name"), "nm", "VARCHAR", "nm"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), sinktest.Days(-43, 3, 15), "DATE", "0044-03-15 (BC)"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(-2147472692), "DATE", "infinity"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(-2147472691), "DATE", "-infinity"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(86_400_000_000), "TIME", "24:00:00"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), sinktest.Micros(-43, 3, 15, 12, 0, 0, 0), "TIMESTAMP", "0044-03-15 (BC) 12:00:00"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), int64(9223372036825200000), "TIMESTAMP", "infinity"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), int64(-9223372036832400000), "TIMESTAMP", "-infinity"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz"), "-infinity", "TIMESTAMP WITH TIME ZONE", "-infinity"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, "interval"), int64(-86401500000), "INTERVAL", "-24:00:01.5"},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "hstore"), `{"k":"v"}`, "JSON", `{"k":"v"}`},
	{sinktest.Type(event.KindString, "", "cidr"), "10.0.0.0/8", "VARCHAR", "10.0.0.0/8"},
	{sinktest.Type(event.KindString, "", "macaddr"), "08:00:2b:01:02:03", "VARCHAR", "08:00:2b:01:02:03"},
	{sinktest.Type(event.KindString, "", "macaddr8"), "08:00:2b:01:02:03:04:05", "VARCHAR", "08:00:2b:01:02:03:04:05"},
	{sinktest.Type(event.KindString, "", "point"), "(1.5,2)", "VARCHAR", "(1.5,2)"},
	{sinktest.Type(event.KindString, "", "citext"), "MiXed", "VARCHAR", "MiXed"},
	{sinktest.Type(event.KindBoolean, "", "varbit(1)"), false, "BOOLEAN", "false"},
	{sinktest.Bits(20, "varbit(20)"), []byte{0x05}, "BIT", "00000000000000000101"}, // B'101': the length is lost
	{sinktest.Bits(math.MaxInt32, "varbit"), []byte{}, "BIT", "0"},                 // B'000'
	{sinktest.Array(sinktest.Type(event.KindInt32, "", "int4")), []any{}, "INTEGER[]", "[]"},
	{sinktest.Array(sinktest.Type(event.KindString, "", "text")), []any{"a,b", nil, "NULL", `q"x`, `b\s`, "it's", " sp ", "", "[x]"}, "VARCHAR[]", `['a,b', NULL, 'NULL', 'q"x', b\s, 'it\'s', ' sp ', '', '[x]']`},
	{sinktest.Array(sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric")), []any{event.VarDecimal{Scale: 1, Unscaled: big.NewInt(15)}}, "VARCHAR[]", "[1.5]"},
	{sinktest.Array(sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz")), []any{"2024-07-01T16:00:00.000000Z"}, "TIMESTAMP WITH TIME ZONE[]", `['2024-07-01 16:00:00+00']`},
	{sinktest.Array(event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "sad,ok,happy"}, SourceType: "mood"}), []any{"sad", "happy"}, "VARCHAR[]", "[sad, happy]"},
	{sinktest.Array(sinktest.Type(event.KindInt16, "", "int2")), []any{int32(1), int32(2), int32(3), int32(4)}, "SMALLINT[]", "[1, 2, 3, 4]"}, // {{1,2},{3,4}} flattened
	{sinktest.Array(sinktest.Type(event.KindBytes, "", "bytea")), []any{[]byte{1, 0xab, 'z'}}, "BLOB[]", `[\x01\xABz]`},
	{sinktest.Array(sinktest.Type(event.KindInt32, sqlapply.NameDate, "date")), []any{int32(19782), nil, int32(sqlapply.DateInfinity)}, "DATE[]", "[2024-02-29, NULL, infinity]"},
	{sinktest.Array(sinktest.Type(event.KindFloat64, "", "float8")), []any{math.NaN(), 0.5, math.Inf(-1)}, "DOUBLE[]", "[nan, 0.5, -inf]"},
	{sinktest.Array(sinktest.Type(event.KindString, sqlapply.NameUUID, "uuid")), []any{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, "UUID[]", "[a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11]"},
	{sinktest.Array(sinktest.Type(event.KindString, sqlapply.NameJSON, "jsonb")), []any{`{"a": [1, "x"]}`, nil}, "VARCHAR[]", `['{"a": [1, "x"]}', NULL]`},
	{sinktest.Array(sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, "interval")), []any{int64(1_500_000)}, "INTERVAL[]", "['00:00:01.5']"},
	{sinktest.Array(sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp")), []any{sinktest.Micros(2024, 1, 2, 3, 4, 5, 6)}, "TIMESTAMP[]", "['2024-01-02 03:04:05.000006']"},
}

// postgresWants are what this engine makes of sinktest.PostgresTypes.
var postgresWants = map[string]typeCase{
	"int2 -32768":                              {wantType: "SMALLINT", wantText: "-32768"},
	"int4 2147483647":                          {wantType: "INTEGER", wantText: "2147483647"},
	"int8 -9223372036854775808":                {wantType: "BIGINT", wantText: "-9223372036854775808"},
	"oid 4000000000":                           {wantType: "UINTEGER", wantText: "4000000000"},
	"float4 1.5":                               {wantType: "FLOAT", wantText: "1.5"},
	"float8 0.1":                               {wantType: "DOUBLE", wantText: "0.1"},
	"float8 1e+308":                            {wantType: "DOUBLE", wantText: "1e+308"},
	"numeric(10,2) -12345678.91":               {wantType: "DECIMAL(10,2)", wantText: "-12345678.91"},
	"numeric 1.5":                              {wantType: "VARCHAR", wantText: "1.5"},
	"numeric -0.005":                           {wantType: "VARCHAR", wantText: "-0.005"},
	"numeric(5,2) 999.99":                      {wantType: "DECIMAL(5,2)", wantText: "999.99"}, // domain price
	"bool true":                                {wantType: "BOOLEAN", wantText: "true"},
	"text héllo ☃":                             {wantType: "VARCHAR", wantText: "héllo ☃"},
	"varchar(5) abc":                           {wantType: "VARCHAR", wantText: "abc"},
	"bpchar(3) ab":                             {wantType: "VARCHAR", wantText: "ab "},
	"char x":                                   {wantType: "VARCHAR", wantText: "x"},
	"bytea \\x00ff10":                          {wantType: "BLOB", wantText: `\x00\xFF\x10`},
	"date 2024-02-29":                          {wantType: "DATE", wantText: "2024-02-29"},
	"time 12:34:56.789012":                     {wantType: "TIME", wantText: "12:34:56.789012"},
	"time(3) 12:34:56.789":                     {wantType: "TIME", wantText: "12:34:56.789"},
	"timetz 07:04:56.5+00":                     {wantType: "TIME WITH TIME ZONE", wantText: "07:04:56.5+00"},
	"timestamp 2024-01-02 03:04:05.123456":     {wantType: "TIMESTAMP", wantText: "2024-01-02 03:04:05.123456"},
	"timestamp(3) 2024-01-02 03:04:05.123":     {wantType: "TIMESTAMP", wantText: "2024-01-02 03:04:05.123"},
	"timestamp(0) 1900-01-01 00:00:00":         {wantType: "TIMESTAMP", wantText: "1900-01-01 00:00:00"},
	"timestamptz 2024-07-01 16:00:00+00":       {wantType: "TIMESTAMP WITH TIME ZONE", wantText: "2024-07-01 16:00:00+00"},
	"timestamptz(0) 2024-01-01 00:00:00+00":    {wantType: "TIMESTAMP WITH TIME ZONE", wantText: "2024-01-01 00:00:00+00"},
	"interval 10303:05:06.5":                   {wantType: "INTERVAL", wantText: "10303:05:06.5"}, // '1 year 2 mons 3 days 04:05:06.5'
	"uuid a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1": {wantType: "UUID", wantText: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	"json {\"a\":  1}":                         {wantType: "JSON", wantText: `{"a":  1}`},
	"jsonb {\"a\": 1}":                         {wantType: "JSON", wantText: `{"a": 1}`},
	"xml <a>x</a>":                             {wantType: "VARCHAR", wantText: "<a>x</a>"},
	"mood ok":                                  {wantType: "VARCHAR", wantText: "ok"},
	"ltree a.b":                                {wantType: "VARCHAR", wantText: "a.b"},
	"inet 192.168.0.1/24":                      {wantType: "VARCHAR", wantText: "192.168.0.1/24"},
	"int4range [1,5)":                          {wantType: "VARCHAR", wantText: "[1,5)"},
	"bit(1) 1":                                 {wantType: "BOOLEAN", wantText: "true"},
	"bit(10) 1000000001":                       {wantType: "BIT", wantText: "1000000001"},
	"? {1,NULL,3}":                             {wantType: "INTEGER[]", wantText: "[1, NULL, 3]"},
	"? {1.5,NULL}":                             {wantType: "DECIMAL(4,1)[]", wantText: "[1.5, NULL]"},
	"? {t,f}":                                  {wantType: "BOOLEAN[]", wantText: "[true, false]"},
}

func TestTypesFromMySQL(t *testing.T) {
	t.Parallel()
	checkTypes(t, event.TableID{Database: "shop", Table: "types"}, sinktest.Cases(t, sinktest.MySQLTypes, mysqlWants, mysqlTypes))
}

func TestTypesFromPostgres(t *testing.T) {
	t.Parallel()
	checkTypes(t, event.TableID{Database: "src", Schema: "public", Table: "types"}, sinktest.Cases(t, sinktest.PostgresTypes, postgresWants, postgresTypes))
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

// With completes a want of a shared case with the case's type and value.
func (w typeCase) With(c sinktest.TypeCase) typeCase {
	w.typ, w.value = c.Type, c.Value
	return w
}
