package mysql

import (
	"fmt"
	"math"
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

// mysqlTypes are this engine's cases of MySQL source types beyond sinktest.MySQLTypes.
var mysqlTypes = []typeCase{
	{sinktest.Type(event.KindString, "", "char(4)"), "ab", "char(4)", "ab", ""},
	{sinktest.Type(event.KindBytes, "", "varbinary(10)"), []byte{0, 0xff}, "varbinary(10)", "00FF", "hex(%s)"},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time(3)"), int64(-1_500_000), "time(3)", "-00:00:01.500", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), -int64((838*3600 + 59*60 + 59) * 1e6), "time", "-838:59:59", ""},
	{sinktest.Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(100 * 3600 * 1e6), "time", "100:00:00", ""},
}

// mysqlWants are what this engine makes of sinktest.MySQLTypes.
var mysqlWants = map[string]typeCase{
	"tinyint -128":                             {wantType: "tinyint(4)", wantText: "-128"},
	"tinyint unsigned 255":                     {wantType: "tinyint(3) unsigned", wantText: "255"},
	"smallint -32768":                          {wantType: "smallint(6)", wantText: "-32768"},
	"smallint unsigned 65535":                  {wantType: "smallint(5) unsigned", wantText: "65535"},
	"mediumint -8388608":                       {wantType: "mediumint(9)", wantText: "-8388608"},
	"mediumint unsigned 16777215":              {wantType: "mediumint(8) unsigned", wantText: "16777215"},
	"int -2147483648":                          {wantType: "int(11)", wantText: "-2147483648"},
	"int unsigned 4294967295":                  {wantType: "int(10) unsigned", wantText: "4294967295"},
	"bigint -9223372036854775808":              {wantType: "bigint(20)", wantText: "-9223372036854775808"},
	"bigint unsigned 18446744073709551615":     {wantType: "bigint(20) unsigned", wantText: "18446744073709551615"},
	"decimal(65,30) -999999999999999999999999": {wantType: "decimal(65,30)", wantText: "-99999999999999999999999999999999999.999999999999999999999999999999"},
	"decimal(10,2) unsigned 0.01":              {wantType: "decimal(10,2) unsigned", wantText: "0.01"},
	"float 1.5":                                {wantType: "float", wantText: "1.5"},
	"double -1.7976931348623157e+308":          {wantType: "double", wantText: "-1.7976931348623157e308"},
	"bit(1) true":                              {wantType: "bit(1)", wantText: "1", expr: "bin(%s)"},
	"bit(64) all ones":                         {wantType: "bit(64)", wantText: strings.Repeat("1", 64), expr: "bin(%s)"},
	"bit(10) 1000000001":                       {wantType: "bit(10)", wantText: "1000000001", expr: "bin(%s)"},
	"varchar(20) 😀é":                           {wantType: "varchar(20)", wantText: "😀é"},
	"varchar(20) empty":                        {wantType: "varchar(20)", wantText: ""},
	"text café":                                {wantType: "text", wantText: "café"},
	"longtext 𝄞 clef":                          {wantType: "longtext", wantText: "𝄞 clef"},
	"binary(4) \\x01020000":                    {wantType: "binary(4)", wantText: "01020000", expr: "hex(%s)"},
	"blob \\x":                                 {wantType: "blob", wantText: "", expr: "hex(%s)"},
	"date 2024-02-29":                          {wantType: "date", wantText: "2024-02-29"},
	"date 1000-01-01":                          {wantType: "date", wantText: "1000-01-01"},
	"time 23:59:59":                            {wantType: "time", wantText: "23:59:59"},
	"time(6) 12:34:56.789012":                  {wantType: "time(6)", wantText: "12:34:56.789012"},
	"datetime 2024-01-02 03:04:05":             {wantType: "datetime", wantText: "2024-01-02 03:04:05"},
	"datetime(3) 1969-12-31 23:59:59.999":      {wantType: "datetime(3)", wantText: "1969-12-31 23:59:59.999"},
	"datetime(6) 9999-12-31 23:59:59.999999":   {wantType: "datetime(6)", wantText: "9999-12-31 23:59:59.999999"},
	"timestamp(3) 2024-01-02 03:04:05.12+00":   {wantType: "timestamp(3)", wantText: "2024-01-02 03:04:05.120"},
	"timestamp 2038-01-19 03:14:07+00":         {wantType: "timestamp", wantText: "2038-01-19 03:14:07"},
	"timestamp(6) 1970-01-01 00:00:01.000001+": {wantType: "timestamp(6)", wantText: "1970-01-01 00:00:01.000001"},
	"year 2155":                                {wantType: "year(4)", wantText: "2155"},
	"enum('a','b''c') b'c":                     {wantType: "enum('a','b''c')", wantText: "b'c"},
	"set('x','y','z') x,z":                     {wantType: "set('x','y','z')", wantText: "x,z"},
	"json {\"a\": [1, 2]}":                     {wantType: "longtext", wantText: `{"a": [1, 2]}`}, // MariaDB's JSON is longtext
	"longtext {\"b\": 1}":                      {wantType: "longtext", wantText: `{"b":1}`},
	"point POINT(1 2)":                         {wantType: "point", wantText: "POINT(1 2)", expr: "ST_AsText(%s)"},
	"geometry POINT(-1.5 0)":                   {wantType: "geometry", wantText: "POINT(-1.5 0)", expr: "ST_AsText(%s)"},
}

// postgresTypes are this engine's cases of Postgres source types beyond
// sinktest.PostgresTypes.
var postgresTypes = []typeCase{
	{sinktest.Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Unscaled: sinktest.BigInt("12345678901234567890123456789012345")}, "decimal(65,30)", "12345678901234567890123456789012345", "trim(trailing '.' from trim(trailing '0' from %s))"},
	{event.Type{Kind: event.KindDecimal, Name: sqlapply.NameDecimal, Params: map[string]string{"scale": "2"}, Scale: 2, SourceType: "money"}, sinktest.Rat("-123456/100"), "decimal(65,2)", "-1234.56", ""},
	{sinktest.Decimal(100, 2, "numeric(100,2)"), sinktest.Rat("1/4"), "longtext", "0.25", ""},
	{sinktest.Bits(math.MaxInt32, "varbit"), []byte{0x05}, "longtext", "101", ""},
	{sinktest.Array(sinktest.Type(event.KindString, "", "text")), []any{"a,b", nil, `q"x`}, "longtext", `["a,b",null,"q\"x"]`, ""},
	{sinktest.Array(sinktest.Type(event.KindInt32, sqlapply.NameDate, "date")), []any{int32(19782)}, "longtext", `["2024-02-29"]`, ""},
	{sinktest.Array(sinktest.Type(event.KindBytes, "", "bytea")), []any{[]byte{1, 0xab}}, "longtext", `["Aas="]`, ""},
}

// postgresWants are what this engine makes of sinktest.PostgresTypes.
var postgresWants = map[string]typeCase{
	"int2 -32768":                              {wantType: "smallint(6)", wantText: "-32768"},
	"int4 2147483647":                          {wantType: "int(11)", wantText: "2147483647"},
	"int8 -9223372036854775808":                {wantType: "bigint(20)", wantText: "-9223372036854775808"},
	"oid 4000000000":                           {wantType: "bigint(20)", wantText: "4000000000"},
	"float4 1.5":                               {wantType: "float", wantText: "1.5"},
	"float8 0.1":                               {wantType: "double", wantText: "0.1"},
	"float8 1e+308":                            {wantType: "double", wantText: "1e308"},
	"numeric(10,2) -12345678.91":               {wantType: "decimal(10,2)", wantText: "-12345678.91"},
	"numeric 1.5":                              {wantType: "decimal(65,30)", wantText: "1.5", expr: "trim(trailing '.' from trim(trailing '0' from %s))"},
	"numeric -0.005":                           {wantType: "decimal(65,30)", wantText: "-0.005", expr: "trim(trailing '.' from trim(trailing '0' from %s))"},
	"numeric(5,2) 999.99":                      {wantType: "decimal(5,2)", wantText: "999.99"},
	"bool true":                                {wantType: "tinyint(1)", wantText: "1"},
	"text héllo ☃":                             {wantType: "longtext", wantText: "héllo ☃"},
	"varchar(5) abc":                           {wantType: "varchar(5)", wantText: "abc"},
	"bpchar(3) ab":                             {wantType: "char(3)", wantText: "ab"}, // CHAR drops the padding
	"char x":                                   {wantType: "longtext", wantText: "x"},
	"bytea \\x00ff10":                          {wantType: "longblob", wantText: "00FF10", expr: "hex(%s)"},
	"date 2024-02-29":                          {wantType: "date", wantText: "2024-02-29"},
	"time 12:34:56.789012":                     {wantType: "time(6)", wantText: "12:34:56.789012"},
	"time(3) 12:34:56.789":                     {wantType: "time(3)", wantText: "12:34:56.789"},
	"timetz 07:04:56.5+00":                     {wantType: "time(6)", wantText: "07:04:56.500000"},
	"timestamp 2024-01-02 03:04:05.123456":     {wantType: "datetime(6)", wantText: "2024-01-02 03:04:05.123456"},
	"timestamp(3) 2024-01-02 03:04:05.123":     {wantType: "datetime(3)", wantText: "2024-01-02 03:04:05.123"},
	"timestamp(0) 1900-01-01 00:00:00":         {wantType: "datetime", wantText: "1900-01-01 00:00:00"},
	"timestamptz 2024-07-01 16:00:00+00":       {wantType: "datetime(6)", wantText: "2024-07-01 16:00:00.000000"},
	"timestamptz(0) 2024-01-01 00:00:00+00":    {wantType: "datetime", wantText: "2024-01-01 00:00:00"},
	"interval 10303:05:06.5":                   {wantType: "bigint(20)", wantText: "37091106500000"},
	"uuid a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1": {wantType: "char(36)", wantText: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	"json {\"a\":  1}":                         {wantType: "longtext", wantText: `{"a":  1}`},
	"jsonb {\"a\": 1}":                         {wantType: "longtext", wantText: `{"a": 1}`},
	"xml <a>x</a>":                             {wantType: "longtext", wantText: "<a>x</a>"},
	"mood ok":                                  {wantType: "varchar(255)", wantText: "ok"},
	"ltree a.b":                                {wantType: "longtext", wantText: "a.b"},
	"inet 192.168.0.1/24":                      {wantType: "longtext", wantText: "192.168.0.1/24"},
	"int4range [1,5)":                          {wantType: "longtext", wantText: "[1,5)"},
	"bit(1) 1":                                 {wantType: "bit(1)", wantText: "1", expr: "bin(%s)"},
	"bit(10) 1000000001":                       {wantType: "bit(10)", wantText: "1000000001", expr: "bin(%s)"},
	"? {1,NULL,3}":                             {wantType: "longtext", wantText: "[1,null,3]"},
	"? {1.5,NULL}":                             {wantType: "longtext", wantText: `["1.5",null]`},
	"? {t,f}":                                  {wantType: "longtext", wantText: "[true,false]"},
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

// With completes a want of a shared case with the case's type and value.
func (w typeCase) With(c sinktest.TypeCase) typeCase {
	w.typ, w.value = c.Type, c.Value
	return w
}
