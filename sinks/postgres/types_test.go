package postgres

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/internal/testpg"
	"github.com/dovetail-cdc/dovetail/sinks"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sinktest"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// typeCase is one source column: its event type and a value, the column type the target
// creates and the value's text there (col::text).
type typeCase struct {
	typ      event.Type
	value    any
	wantType string
	wantText string
}

// mysqlTypes mirror sources/mysql's TestTypes: every type the MySQL source emits.
var mysqlTypes = []typeCase{
	{sinktest.Type(event.KindInt16, "", "tinyint"), int32(-128), "smallint", "-128"},
	{sinktest.Type(event.KindInt16, "", "tinyint unsigned"), int32(255), "smallint", "255"},
	{sinktest.Type(event.KindInt16, "", "tinyint"), int32(1), "smallint", "1"}, // BOOL
	{sinktest.Type(event.KindInt16, "", "smallint"), int32(-32768), "smallint", "-32768"},
	{sinktest.Type(event.KindInt32, "", "smallint unsigned"), int32(65535), "integer", "65535"},
	{sinktest.Type(event.KindInt32, "", "mediumint"), int32(-8388608), "integer", "-8388608"},
	{sinktest.Type(event.KindInt32, "", "mediumint unsigned"), int32(16777215), "integer", "16777215"},
	{sinktest.Type(event.KindInt32, "", "int"), int32(math.MinInt32), "integer", "-2147483648"},
	{sinktest.Type(event.KindInt64, "", "int unsigned"), int64(math.MaxUint32), "bigint", "4294967295"},
	{sinktest.Type(event.KindInt64, "", "bigint"), int64(math.MinInt64), "bigint", "-9223372036854775808"},
	{sinktest.Type(event.KindInt64, "", "bigint"), int64(math.MaxInt64), "bigint", "9223372036854775807"},
	{sinktest.Decimal(20, 0, "bigint unsigned"), sinktest.Rat("18446744073709551615"), "numeric(20,0)", "18446744073709551615"},
	{sinktest.Decimal(65, 30, "decimal(65,30)"), sinktest.Rat("-99999999999999999999999999999999999.999999999999999999999999999999"), "numeric(65,30)",
		"-99999999999999999999999999999999999.999999999999999999999999999999"},
	{sinktest.Decimal(10, 2, "decimal(10,2) unsigned"), sinktest.Rat("0.01"), "numeric(10,2)", "0.01"},
	{sinktest.Type(event.KindFloat32, "", "float"), float32(1.5), "real", "1.5"},
	{sinktest.Type(event.KindFloat64, "", "double"), -math.MaxFloat64, "double precision", "-1.7976931348623157e+308"},
	{sinktest.Type(event.KindBoolean, "", "bit(1)"), true, "boolean", "true"},
	{sinktest.Bits(64, "bit(64)"), bytes.Repeat([]byte{0xff}, 8), "bit(64)", strings.Repeat("1", 64)},
	{sinktest.Bits(10, "bit(10)"), []byte{0x01, 0x02}, "bit(10)", "1000000001"},
	{sinktest.Type(event.KindString, "", "varchar(20)"), "😀é", "character varying(20)", "😀é"},
	{sinktest.Type(event.KindString, "", "varchar(20)"), "", "character varying(20)", ""},
	{sinktest.Type(event.KindString, "", "char(5)"), "ab", "character varying(5)", "ab"},
	{sinktest.Type(event.KindString, "", "varchar(10)"), "é€", "character varying(10)", "é€"}, // latin1
	{sinktest.Type(event.KindString, "", "text"), "café", "text", "café"},
	{sinktest.Type(event.KindString, "", "longtext"), "𝄞 clef", "text", "𝄞 clef"},
	{sinktest.Type(event.KindBytes, "", "binary(4)"), []byte{1, 2, 0, 0}, "bytea", `\x01020000`},
	{sinktest.Type(event.KindBytes, "", "varbinary(10)"), []byte{0, 0xff}, "bytea", `\x00ff`},
	{sinktest.Type(event.KindBytes, "", "blob"), []byte{}, "bytea", `\x`},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), sinktest.Days(2024, 2, 29), "date", "2024-02-29"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), sinktest.Days(1000, 1, 1), "date", "1000-01-01"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(0), "date", "1970-01-01"}, // zero date, NOT NULL
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64((23*3600 + 59*60 + 59) * 1e6), "interval", "23:59:59"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(6)"), int64(45296789012), "interval", "12:34:56.789012"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(3)"), int64(1_500_000), "interval", "00:00:01.5"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(-(838*3600 + 59*60 + 59) * 1e6), "interval", "-838:59:59"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(1)"), int64((100*3600)*1e6 + 500_000), "interval", "100:00:00.5"},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "datetime"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 0) / 1000, "timestamp(0) without time zone", "2024-01-02 03:04:05"},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "datetime(3)"), int64(-1), "timestamp(3) without time zone", "1969-12-31 23:59:59.999"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), sinktest.Micros(9999, 12, 31, 23, 59, 59, 999999), "timestamp(6) without time zone", "9999-12-31 23:59:59.999999"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(4)"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 123400), "timestamp(4) without time zone", "2024-01-02 03:04:05.1234"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(3)"), "2024-01-02T03:04:05.120Z", "timestamp(3) with time zone", "2024-01-02 03:04:05.12+00"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp"), "2038-01-19T03:14:07Z", "timestamp(0) with time zone", "2038-01-19 03:14:07+00"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(6)"), "1970-01-01T00:00:01.000001Z", "timestamp(6) with time zone", "1970-01-01 00:00:01.000001+00"},
	{sinktest.Type(event.KindInt32, sqlapply.NameYear, "year"), int32(2155), "integer", "2155"},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "a,b'c"}, SourceType: "enum('a','b''c')"}, "b'c", "text", "b'c"},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnumSet, Params: map[string]string{"allowed": "x,y,z"}, SourceType: "set('x','y','z')"}, "x,z", "text", "x,z"},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "json"), `{"a": [1, 2]}`, "jsonb", `{"a": [1, 2]}`},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "longtext"), `{"b":1}`, "jsonb", `{"b": 1}`}, // MariaDB JSON
	{sinktest.Type(event.KindBytes, "", "point"), sinktest.WKBPoint(1, 2), "bytea", fmt.Sprintf(`\x%x`, sinktest.WKBPoint(1, 2))},
	{sinktest.Type(event.KindBytes, "", "geometry"), sinktest.WKBPoint(-1.5, 0), "bytea", fmt.Sprintf(`\x%x`, sinktest.WKBPoint(-1.5, 0))},
}

// postgresTypes mirror sources/postgres's TestTypes: every type the Postgres source emits.
var postgresTypes = []typeCase{
	{sinktest.Type(event.KindInt16, "", "int2"), int32(-32768), "smallint", "-32768"},
	{sinktest.Type(event.KindInt32, "", "int4"), int32(2147483647), "integer", "2147483647"},
	{sinktest.Type(event.KindInt64, "", "int8"), int64(math.MinInt64), "bigint", "-9223372036854775808"},
	{sinktest.Type(event.KindInt64, "", "oid"), int64(4000000000), "bigint", "4000000000"},
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(math.NaN()), "real", "NaN"},
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(math.Inf(-1)), "real", "-Infinity"},
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(1.5), "real", "1.5"},
	{sinktest.Type(event.KindFloat64, "", "float8"), math.Inf(1), "double precision", "Infinity"},
	{sinktest.Type(event.KindFloat64, "", "float8"), 0.1, "double precision", "0.1"},
	{sinktest.Type(event.KindFloat64, "", "float8"), 1e308, "double precision", "1e+308"},
	{sinktest.Decimal(10, 2, "numeric(10,2)"), sinktest.Rat("-1234567891/100"), "numeric(10,2)", "-12345678.91"},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Scale: 1, Unscaled: big.NewInt(15)}, "numeric", "1.5"},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Unscaled: sinktest.BigInt("123456789012345678901234567890")}, "numeric", "123456789012345678901234567890"},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Scale: 3, Unscaled: big.NewInt(-5)}, "numeric", "-0.005"},
	{sinktest.Decimal(5, 2, "numeric(5,2)"), sinktest.Rat("99999/100"), "numeric(5,2)", "999.99"}, // domain price
	{event.Type{Kind: event.KindDecimal, Name: sqlapply.NameDecimal, Params: map[string]string{"scale": "2"}, Scale: 2, SourceType: "money"}, sinktest.Rat("-123456/100"), "numeric", "-1234.56"},
	{sinktest.Type(event.KindBoolean, "", "bool"), true, "boolean", "true"},
	{sinktest.Type(event.KindString, "", "text"), "héllo ☃", "text", "héllo ☃"},
	{sinktest.Type(event.KindString, "", "varchar(5)"), "abc", "character varying(5)", "abc"},
	{sinktest.Type(event.KindString, "", "bpchar(3)"), "ab ", "character(3)", "ab"}, // ::text drops the padding
	{sinktest.Type(event.KindString, "", "char"), "x", "text", "x"},
	{sinktest.Type(event.KindString, "", "name"), "nm", "text", "nm"},
	{sinktest.Type(event.KindBytes, "", "bytea"), []byte{0, 255, 16}, "bytea", `\x00ff10`},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(19782), "date", "2024-02-29"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), sinktest.Days(-43, 3, 15), "date", "0044-03-15 BC"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(-2147472692), "date", "infinity"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(45296789012), "time without time zone", "12:34:56.789012"},
	{sinktest.Type(event.KindInt32, sqlapply.NameTime, "time(3)"), int32(45296789), "time(3) without time zone", "12:34:56.789"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTime, "timetz"), "07:04:56.5Z", "time with time zone", "07:04:56.5+00"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 123456), "timestamp without time zone", "2024-01-02 03:04:05.123456"},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "timestamp(3)"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 123000) / 1000, "timestamp(3) without time zone", "2024-01-02 03:04:05.123"},
	{sinktest.Type(event.KindInt64, sqlapply.NameTimestamp, "timestamp(0)"), sinktest.Micros(1900, 1, 1, 0, 0, 0, 0) / 1000, "timestamp(0) without time zone", "1900-01-01 00:00:00"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), int64(9223372036825200000), "timestamp without time zone", "infinity"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz"), "2024-07-01T16:00:00.000000Z", "timestamp with time zone", "2024-07-01 16:00:00+00"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz(0)"), "2024-01-01T00:00:00Z", "timestamp(0) with time zone", "2024-01-01 00:00:00+00"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz"), "-infinity", "timestamp with time zone", "-infinity"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, "interval"), int64(37091106500000), "interval", "10303:05:06.5"}, // '1 year 2 mons 3 days 04:05:06.5'
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, "interval"), int64(-86401500000), "interval", "-24:00:01.5"},
	{sinktest.Type(event.KindString, sqlapply.NameUUID, "uuid"), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "json"), `{"a":  1}`, "json", `{"a":  1}`},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "jsonb"), `{"a": 1}`, "jsonb", `{"a": 1}`},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "hstore"), `{"k":"v"}`, "jsonb", `{"k": "v"}`},
	{sinktest.Type(event.KindString, sqlapply.NameXML, "xml"), "<a>x</a>", "xml", "<a>x</a>"},
	{event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "sad,ok,happy"}, SourceType: "mood"}, "ok", "text", "ok"},
	{sinktest.Type(event.KindString, sqlapply.NameLtree, "ltree"), "a.b", "text", "a.b"},
	{sinktest.Type(event.KindString, "", "inet"), "192.168.0.1/24", "inet", "192.168.0.1/24"},
	{sinktest.Type(event.KindString, "", "cidr"), "10.0.0.0/8", "cidr", "10.0.0.0/8"},
	{sinktest.Type(event.KindString, "", "macaddr"), "08:00:2b:01:02:03", "macaddr", "08:00:2b:01:02:03"},
	{sinktest.Type(event.KindString, "", "macaddr8"), "08:00:2b:01:02:03:04:05", "macaddr8", "08:00:2b:01:02:03:04:05"},
	{sinktest.Type(event.KindString, "", "point"), "(1.5,2)", "point", "(1.5,2)"},
	{sinktest.Type(event.KindString, "", "int4range"), "[1,5)", "int4range", "[1,5)"},
	{sinktest.Type(event.KindString, "", "citext"), "MiXed", "text", "MiXed"},
	{sinktest.Type(event.KindBoolean, "", "bit(1)"), true, "bit(1)", "1"},
	{sinktest.Type(event.KindBoolean, "", "varbit(1)"), false, "bit varying(1)", "0"},
	{sinktest.Bits(10, "bit(10)"), []byte{0x01, 0x02}, "bit(10)", "1000000001"},
	{sinktest.Bits(20, "varbit(20)"), []byte{0x05}, "bit varying(20)", "00000000000000000101"}, // B'101': the length is lost
	{sinktest.Bits(math.MaxInt32, "varbit"), []byte{}, "bit varying", "0"},                     // B'000'
	{sinktest.Array(sinktest.Type(event.KindInt32, "", "int4")), []any{int32(1), nil, int32(3)}, "integer[]", "{1,NULL,3}"},
	{sinktest.Array(sinktest.Type(event.KindString, "", "text")), []any{"a,b", nil, "NULL", `q"x`}, "text[]", `{"a,b",NULL,"NULL","q\"x"}`},
	{sinktest.Array(sinktest.Decimal(4, 1, "numeric(4,1)")), []any{sinktest.Rat("3/2"), nil}, "numeric(4,1)[]", "{1.5,NULL}"},
	{sinktest.Array(sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz")), []any{"2024-07-01T16:00:00.000000Z"}, "timestamp with time zone[]", `{"2024-07-01 16:00:00+00"}`},
	{sinktest.Array(event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "sad,ok,happy"}, SourceType: "mood"}), []any{"sad", "happy"}, "text[]", "{sad,happy}"},
	{sinktest.Array(sinktest.Type(event.KindInt16, "", "int2")), []any{int32(1), int32(2), int32(3), int32(4)}, "smallint[]", "{1,2,3,4}"}, // {{1,2},{3,4}} flattened
	{sinktest.Array(sinktest.Type(event.KindBytes, "", "bytea")), []any{[]byte{1, 0xab}}, "bytea[]", `{"\\x01ab"}`},
	{sinktest.Array(sinktest.Type(event.KindInt32, sqlapply.NameDate, "date")), []any{int32(19782), nil}, "date[]", "{2024-02-29,NULL}"},
	{sinktest.Array(sinktest.Type(event.KindBoolean, "", "bool")), []any{true, false}, "boolean[]", "{t,f}"},
	{sinktest.Array(sinktest.Type(event.KindFloat64, "", "float8")), []any{math.NaN(), 0.5}, "double precision[]", "{NaN,0.5}"},
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
	dsn := testpg.NewDB(t)
	tg := newTarget(t, dsn, sinks.Options{CreateTables: true})
	tb := &event.Table{ID: id, Columns: []event.Column{{Name: "id", Type: intType}}, Key: []int{0}}
	vals, nulls := []any{int32(1)}, []any{int32(2)}
	for i, c := range cases {
		tb.Columns = append(tb.Columns, event.Column{Name: fmt.Sprintf("c%d", i), Type: c.typ, Optional: true})
		vals = append(vals, c.value)
		nulls = append(nulls, nil)
	}
	newFeed().Apply(t, tg, sinktest.Upsert(tb, vals...), sinktest.Upsert(tb, nulls...))

	c := sinktest.Ctx(t)
	conn, err := pgx.Connect(c, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(c)
	types := map[string]string{}
	rows, _ := conn.Query(c, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = 'types'::regclass AND attnum > 0`)
	for rows.Next() {
		var n, typ string
		if err := rows.Scan(&n, &typ); err != nil {
			t.Fatal(err)
		}
		types[n] = typ
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var sel []string
	for i := range cases {
		sel = append(sel, fmt.Sprintf("c%d::text", i))
	}
	for _, id := range []int{1, 2} {
		row := make([]*string, len(cases))
		dest := make([]any, len(cases))
		for i := range row {
			dest[i] = &row[i]
		}
		if err := conn.QueryRow(c, "SELECT "+strings.Join(sel, ", ")+" FROM types WHERE id = $1", id).Scan(dest...); err != nil {
			t.Fatal(err)
		}
		for i, tc := range cases {
			name := fmt.Sprintf("c%d %s %s", i, tc.typ.SourceType, tc.typ.Name)
			if id == 2 {
				if row[i] != nil {
					t.Errorf("%s: NULL became %q", name, *row[i])
				}
				continue
			}
			if got := types[fmt.Sprintf("c%d", i)]; got != tc.wantType {
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
