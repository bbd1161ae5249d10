package postgres

import (
	"fmt"
	"math"
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

// mysqlTypes are this engine's cases of MySQL source types beyond sinktest.MySQLTypes.
var mysqlTypes = []typeCase{
	{sinktest.Type(event.KindInt16, "", "tinyint"), int32(1), "smallint", "1"}, // BOOL
	{sinktest.Type(event.KindInt64, "", "bigint"), int64(math.MaxInt64), "bigint", "9223372036854775807"},
	{sinktest.Type(event.KindString, "", "char(5)"), "ab", "character varying(5)", "ab"},
	{sinktest.Type(event.KindString, "", "varchar(10)"), "é€", "character varying(10)", "é€"}, // latin1
	{sinktest.Type(event.KindBytes, "", "varbinary(10)"), []byte{0, 0xff}, "bytea", `\x00ff`},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(0), "date", "1970-01-01"}, // zero date, NOT NULL
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(3)"), int64(1_500_000), "interval", "00:00:01.5"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(-(838*3600 + 59*60 + 59) * 1e6), "interval", "-838:59:59"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(1)"), int64((100*3600)*1e6 + 500_000), "interval", "100:00:00.5"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(4)"), sinktest.Micros(2024, 1, 2, 3, 4, 5, 123400), "timestamp(4) without time zone", "2024-01-02 03:04:05.1234"},
}

// mysqlWants are what this engine makes of sinktest.MySQLTypes.
var mysqlWants = map[string]typeCase{
	"tinyint -128":                             {wantType: "smallint", wantText: "-128"},
	"tinyint unsigned 255":                     {wantType: "smallint", wantText: "255"},
	"smallint -32768":                          {wantType: "smallint", wantText: "-32768"},
	"smallint unsigned 65535":                  {wantType: "integer", wantText: "65535"},
	"mediumint -8388608":                       {wantType: "integer", wantText: "-8388608"},
	"mediumint unsigned 16777215":              {wantType: "integer", wantText: "16777215"},
	"int -2147483648":                          {wantType: "integer", wantText: "-2147483648"},
	"int unsigned 4294967295":                  {wantType: "bigint", wantText: "4294967295"},
	"bigint -9223372036854775808":              {wantType: "bigint", wantText: "-9223372036854775808"},
	"bigint unsigned 18446744073709551615":     {wantType: "numeric(20,0)", wantText: "18446744073709551615"},
	"decimal(65,30) -999999999999999999999999": {wantType: "numeric(65,30)", wantText: "-99999999999999999999999999999999999.999999999999999999999999999999"},
	"decimal(10,2) unsigned 0.01":              {wantType: "numeric(10,2)", wantText: "0.01"},
	"float 1.5":                                {wantType: "real", wantText: "1.5"},
	"double -1.7976931348623157e+308":          {wantType: "double precision", wantText: "-1.7976931348623157e+308"},
	"bit(1) true":                              {wantType: "boolean", wantText: "true"},
	"bit(64) all ones":                         {wantType: "bit(64)", wantText: strings.Repeat("1", 64)},
	"bit(10) 1000000001":                       {wantType: "bit(10)", wantText: "1000000001"},
	"varchar(20) 😀é":                           {wantType: "character varying(20)", wantText: "😀é"},
	"varchar(20) empty":                        {wantType: "character varying(20)", wantText: ""},
	"text café":                                {wantType: "text", wantText: "café"},
	"longtext 𝄞 clef":                          {wantType: "text", wantText: "𝄞 clef"},
	"binary(4) \\x01020000":                    {wantType: "bytea", wantText: `\x01020000`},
	"blob \\x":                                 {wantType: "bytea", wantText: `\x`},
	"date 2024-02-29":                          {wantType: "date", wantText: "2024-02-29"},
	"date 1000-01-01":                          {wantType: "date", wantText: "1000-01-01"},
	"time 23:59:59":                            {wantType: "interval", wantText: "23:59:59"},
	"time(6) 12:34:56.789012":                  {wantType: "interval", wantText: "12:34:56.789012"},
	"datetime 2024-01-02 03:04:05":             {wantType: "timestamp(0) without time zone", wantText: "2024-01-02 03:04:05"},
	"datetime(3) 1969-12-31 23:59:59.999":      {wantType: "timestamp(3) without time zone", wantText: "1969-12-31 23:59:59.999"},
	"datetime(6) 9999-12-31 23:59:59.999999":   {wantType: "timestamp(6) without time zone", wantText: "9999-12-31 23:59:59.999999"},
	"timestamp(3) 2024-01-02 03:04:05.12+00":   {wantType: "timestamp(3) with time zone", wantText: "2024-01-02 03:04:05.12+00"},
	"timestamp 2038-01-19 03:14:07+00":         {wantType: "timestamp(0) with time zone", wantText: "2038-01-19 03:14:07+00"},
	"timestamp(6) 1970-01-01 00:00:01.000001+": {wantType: "timestamp(6) with time zone", wantText: "1970-01-01 00:00:01.000001+00"},
	"year 2155":                                {wantType: "integer", wantText: "2155"},
	"enum('a','b''c') b'c":                     {wantType: "text", wantText: "b'c"},
	"set('x','y','z') x,z":                     {wantType: "text", wantText: "x,z"},
	"json {\"a\": [1, 2]}":                     {wantType: "jsonb", wantText: `{"a": [1, 2]}`},
	"longtext {\"b\": 1}":                      {wantType: "jsonb", wantText: `{"b": 1}`}, // MariaDB JSON
	"point POINT(1 2)":                         {wantType: "bytea", wantText: fmt.Sprintf(`\x%x`, sinktest.WKBPoint(1, 2))},
	"geometry POINT(-1.5 0)":                   {wantType: "bytea", wantText: fmt.Sprintf(`\x%x`, sinktest.WKBPoint(-1.5, 0))},
}

// postgresTypes are this engine's cases of Postgres source types beyond
// sinktest.PostgresTypes.
var postgresTypes = []typeCase{
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(math.NaN()), "real", "NaN"},
	{sinktest.Type(event.KindFloat32, "", "float4"), float32(math.Inf(-1)), "real", "-Infinity"},
	{sinktest.Type(event.KindFloat64, "", "float8"), math.Inf(1), "double precision", "Infinity"},
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Unscaled: sinktest.BigInt("123456789012345678901234567890")}, "numeric", "123456789012345678901234567890"},
	{event.Type{Kind: event.KindDecimal, Name: sqlapply.NameDecimal, Params: map[string]string{"scale": "2"}, Scale: 2, SourceType: "money"}, sinktest.Rat("-123456/100"), "numeric", "-1234.56"},
	{sinktest.Type(event.KindString, "", "name"), "nm", "text", "nm"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), sinktest.Days(-43, 3, 15), "date", "0044-03-15 BC"},
	{sinktest.Type(event.KindInt32, sqlapply.NameDate, "date"), int32(-2147472692), "date", "infinity"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), int64(9223372036825200000), "timestamp without time zone", "infinity"},
	{sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz"), "-infinity", "timestamp with time zone", "-infinity"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroDuration, "interval"), int64(-86401500000), "interval", "-24:00:01.5"},
	{sinktest.Type(event.KindString, sqlapply.NameJSON, "hstore"), `{"k":"v"}`, "jsonb", `{"k": "v"}`},
	{sinktest.Type(event.KindString, "", "cidr"), "10.0.0.0/8", "cidr", "10.0.0.0/8"},
	{sinktest.Type(event.KindString, "", "macaddr"), "08:00:2b:01:02:03", "macaddr", "08:00:2b:01:02:03"},
	{sinktest.Type(event.KindString, "", "macaddr8"), "08:00:2b:01:02:03:04:05", "macaddr8", "08:00:2b:01:02:03:04:05"},
	{sinktest.Type(event.KindString, "", "point"), "(1.5,2)", "point", "(1.5,2)"},
	{sinktest.Type(event.KindString, "", "citext"), "MiXed", "text", "MiXed"},
	{sinktest.Type(event.KindBoolean, "", "varbit(1)"), false, "bit varying(1)", "0"},
	{sinktest.Bits(20, "varbit(20)"), []byte{0x05}, "bit varying(20)", "00000000000000000101"}, // B'101': the length is lost
	{sinktest.Bits(math.MaxInt32, "varbit"), []byte{}, "bit varying", "0"},                     // B'000'
	{sinktest.Array(sinktest.Type(event.KindString, "", "text")), []any{"a,b", nil, "NULL", `q"x`}, "text[]", `{"a,b",NULL,"NULL","q\"x"}`},
	{sinktest.Array(sinktest.Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz")), []any{"2024-07-01T16:00:00.000000Z"}, "timestamp with time zone[]", `{"2024-07-01 16:00:00+00"}`},
	{sinktest.Array(event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "sad,ok,happy"}, SourceType: "mood"}), []any{"sad", "happy"}, "text[]", "{sad,happy}"},
	{sinktest.Array(sinktest.Type(event.KindInt16, "", "int2")), []any{int32(1), int32(2), int32(3), int32(4)}, "smallint[]", "{1,2,3,4}"}, // {{1,2},{3,4}} flattened
	{sinktest.Array(sinktest.Type(event.KindBytes, "", "bytea")), []any{[]byte{1, 0xab}}, "bytea[]", `{"\\x01ab"}`},
	{sinktest.Array(sinktest.Type(event.KindInt32, sqlapply.NameDate, "date")), []any{int32(19782), nil}, "date[]", "{2024-02-29,NULL}"},
	{sinktest.Array(sinktest.Type(event.KindFloat64, "", "float8")), []any{math.NaN(), 0.5}, "double precision[]", "{NaN,0.5}"},
}

// postgresWants are what this engine makes of sinktest.PostgresTypes.
var postgresWants = map[string]typeCase{
	"int2 -32768":                              {wantType: "smallint", wantText: "-32768"},
	"int4 2147483647":                          {wantType: "integer", wantText: "2147483647"},
	"int8 -9223372036854775808":                {wantType: "bigint", wantText: "-9223372036854775808"},
	"oid 4000000000":                           {wantType: "bigint", wantText: "4000000000"},
	"float4 1.5":                               {wantType: "real", wantText: "1.5"},
	"float8 0.1":                               {wantType: "double precision", wantText: "0.1"},
	"float8 1e+308":                            {wantType: "double precision", wantText: "1e+308"},
	"numeric(10,2) -12345678.91":               {wantType: "numeric(10,2)", wantText: "-12345678.91"},
	"numeric 1.5":                              {wantType: "numeric", wantText: "1.5"},
	"numeric -0.005":                           {wantType: "numeric", wantText: "-0.005"},
	"numeric(5,2) 999.99":                      {wantType: "numeric(5,2)", wantText: "999.99"}, // domain price
	"bool true":                                {wantType: "boolean", wantText: "true"},
	"text héllo ☃":                             {wantType: "text", wantText: "héllo ☃"},
	"varchar(5) abc":                           {wantType: "character varying(5)", wantText: "abc"},
	"bpchar(3) ab":                             {wantType: "character(3)", wantText: "ab"}, // ::text drops the padding
	"char x":                                   {wantType: "text", wantText: "x"},
	"bytea \\x00ff10":                          {wantType: "bytea", wantText: `\x00ff10`},
	"date 2024-02-29":                          {wantType: "date", wantText: "2024-02-29"},
	"time 12:34:56.789012":                     {wantType: "time without time zone", wantText: "12:34:56.789012"},
	"time(3) 12:34:56.789":                     {wantType: "time(3) without time zone", wantText: "12:34:56.789"},
	"timetz 07:04:56.5+00":                     {wantType: "time with time zone", wantText: "07:04:56.5+00"},
	"timestamp 2024-01-02 03:04:05.123456":     {wantType: "timestamp without time zone", wantText: "2024-01-02 03:04:05.123456"},
	"timestamp(3) 2024-01-02 03:04:05.123":     {wantType: "timestamp(3) without time zone", wantText: "2024-01-02 03:04:05.123"},
	"timestamp(0) 1900-01-01 00:00:00":         {wantType: "timestamp(0) without time zone", wantText: "1900-01-01 00:00:00"},
	"timestamptz 2024-07-01 16:00:00+00":       {wantType: "timestamp with time zone", wantText: "2024-07-01 16:00:00+00"},
	"timestamptz(0) 2024-01-01 00:00:00+00":    {wantType: "timestamp(0) with time zone", wantText: "2024-01-01 00:00:00+00"},
	"interval 10303:05:06.5":                   {wantType: "interval", wantText: "10303:05:06.5"}, // '1 year 2 mons 3 days 04:05:06.5'
	"uuid a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1": {wantType: "uuid", wantText: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	"json {\"a\":  1}":                         {wantType: "json", wantText: `{"a":  1}`},
	"jsonb {\"a\": 1}":                         {wantType: "jsonb", wantText: `{"a": 1}`},
	"xml <a>x</a>":                             {wantType: "xml", wantText: "<a>x</a>"},
	"mood ok":                                  {wantType: "text", wantText: "ok"},
	"ltree a.b":                                {wantType: "text", wantText: "a.b"},
	"inet 192.168.0.1/24":                      {wantType: "inet", wantText: "192.168.0.1/24"},
	"int4range [1,5)":                          {wantType: "int4range", wantText: "[1,5)"},
	"bit(1) 1":                                 {wantType: "bit(1)", wantText: "1"},
	"bit(10) 1000000001":                       {wantType: "bit(10)", wantText: "1000000001"},
	"? {1,NULL,3}":                             {wantType: "integer[]", wantText: "{1,NULL,3}"},
	"? {1.5,NULL}":                             {wantType: "numeric(4,1)[]", wantText: "{1.5,NULL}"},
	"? {t,f}":                                  {wantType: "boolean[]", wantText: "{t,f}"},
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

// With completes a want of a shared case with the case's type and value.
func (w typeCase) With(c sinktest.TypeCase) typeCase {
	w.typ, w.value = c.Type, c.Value
	return w
}
