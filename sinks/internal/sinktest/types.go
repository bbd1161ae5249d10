package sinktest

import (
	"bytes"
	"math"
	"math/big"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// TypeCase is one source column: its event type and a value as a source emits them.
// Name is unique in its list; an engine's test keys what it expects of the case by it.
type TypeCase struct {
	Name  string
	Type  event.Type
	Value any
}

// MySQLTypes are the cases of the types the MySQL source emits (sources/mysql's
// TestTypes) that every engine checks. An engine's test adds its own further cases.
var MySQLTypes = []TypeCase{
	{"tinyint -128", Type(event.KindInt16, "", "tinyint"), int32(-128)},
	{"tinyint unsigned 255", Type(event.KindInt16, "", "tinyint unsigned"), int32(255)},
	{"smallint -32768", Type(event.KindInt16, "", "smallint"), int32(-32768)},
	{"smallint unsigned 65535", Type(event.KindInt32, "", "smallint unsigned"), int32(65535)},
	{"mediumint -8388608", Type(event.KindInt32, "", "mediumint"), int32(-8388608)},
	{"mediumint unsigned 16777215", Type(event.KindInt32, "", "mediumint unsigned"), int32(16777215)},
	{"int -2147483648", Type(event.KindInt32, "", "int"), int32(math.MinInt32)},
	{"int unsigned 4294967295", Type(event.KindInt64, "", "int unsigned"), int64(math.MaxUint32)},
	{"bigint -9223372036854775808", Type(event.KindInt64, "", "bigint"), int64(math.MinInt64)},
	{"bigint unsigned 18446744073709551615", Decimal(20, 0, "bigint unsigned"), Rat("18446744073709551615")},
	{"decimal(65,30) -999999999999999999999999", Decimal(65, 30, "decimal(65,30)"), Rat("-99999999999999999999999999999999999.999999999999999999999999999999")},
	{"decimal(10,2) unsigned 0.01", Decimal(10, 2, "decimal(10,2) unsigned"), Rat("0.01")},
	{"float 1.5", Type(event.KindFloat32, "", "float"), float32(1.5)},
	{"double -1.7976931348623157e+308", Type(event.KindFloat64, "", "double"), -math.MaxFloat64},
	{"bit(1) true", Type(event.KindBoolean, "", "bit(1)"), true},
	{"bit(64) all ones", Bits(64, "bit(64)"), bytes.Repeat([]byte{0xff}, 8)},
	{"bit(10) 1000000001", Bits(10, "bit(10)"), []byte{0x01, 0x02}},
	{"varchar(20) 😀é", Type(event.KindString, "", "varchar(20)"), "😀é"},
	{"varchar(20) empty", Type(event.KindString, "", "varchar(20)"), ""},
	{"text café", Type(event.KindString, "", "text"), "café"},
	{"longtext 𝄞 clef", Type(event.KindString, "", "longtext"), "𝄞 clef"},
	{"binary(4) \\x01020000", Type(event.KindBytes, "", "binary(4)"), []byte{1, 2, 0, 0}},
	{"blob \\x", Type(event.KindBytes, "", "blob"), []byte{}},
	{"date 2024-02-29", Type(event.KindInt32, sqlapply.NameDate, "date"), Days(2024, 2, 29)},
	{"date 1000-01-01", Type(event.KindInt32, sqlapply.NameDate, "date"), Days(1000, 1, 1)},
	{"time 23:59:59", Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64((23*3600 + 59*60 + 59) * 1e6)},
	{"time(6) 12:34:56.789012", Type(event.KindInt64, sqlapply.NameMicroTime, "time(6)"), int64(45296789012)},
	{"datetime 2024-01-02 03:04:05", Type(event.KindInt64, sqlapply.NameTimestamp, "datetime"), Micros(2024, 1, 2, 3, 4, 5, 0) / 1000},
	{"datetime(3) 1969-12-31 23:59:59.999", Type(event.KindInt64, sqlapply.NameTimestamp, "datetime(3)"), int64(-1)},
	{"datetime(6) 9999-12-31 23:59:59.999999", Type(event.KindInt64, sqlapply.NameMicroTimestamp, "datetime(6)"), Micros(9999, 12, 31, 23, 59, 59, 999999)},
	{"timestamp(3) 2024-01-02 03:04:05.12+00", Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(3)"), "2024-01-02T03:04:05.120Z"},
	{"timestamp 2038-01-19 03:14:07+00", Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp"), "2038-01-19T03:14:07Z"},
	{"timestamp(6) 1970-01-01 00:00:01.000001+", Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamp(6)"), "1970-01-01T00:00:01.000001Z"},
	{"year 2155", Type(event.KindInt32, sqlapply.NameYear, "year"), int32(2155)},
	{"enum('a','b''c') b'c", event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "a,b'c"}, SourceType: "enum('a','b''c')"}, "b'c"},
	{"set('x','y','z') x,z", event.Type{Kind: event.KindString, Name: sqlapply.NameEnumSet, Params: map[string]string{"allowed": "x,y,z"}, SourceType: "set('x','y','z')"}, "x,z"},
	{"json {\"a\": [1, 2]}", Type(event.KindString, sqlapply.NameJSON, "json"), `{"a": [1, 2]}`},
	{"longtext {\"b\": 1}", Type(event.KindString, sqlapply.NameJSON, "longtext"), `{"b":1}`},
	{"point POINT(1 2)", Type(event.KindBytes, "", "point"), WKBPoint(1, 2)},
	{"geometry POINT(-1.5 0)", Type(event.KindBytes, "", "geometry"), WKBPoint(-1.5, 0)},
}

// PostgresTypes are the cases of the types the Postgres source emits
// (sources/postgres's TestTypes) that every engine checks. An engine's test adds its own
// further cases.
var PostgresTypes = []TypeCase{
	{"int2 -32768", Type(event.KindInt16, "", "int2"), int32(-32768)},
	{"int4 2147483647", Type(event.KindInt32, "", "int4"), int32(2147483647)},
	{"int8 -9223372036854775808", Type(event.KindInt64, "", "int8"), int64(math.MinInt64)},
	{"oid 4000000000", Type(event.KindInt64, "", "oid"), int64(4000000000)},
	{"float4 1.5", Type(event.KindFloat32, "", "float4"), float32(1.5)},
	{"float8 0.1", Type(event.KindFloat64, "", "float8"), 0.1},
	{"float8 1e+308", Type(event.KindFloat64, "", "float8"), 1e308},
	{"numeric(10,2) -12345678.91", Decimal(10, 2, "numeric(10,2)"), Rat("-1234567891/100")},
	{"numeric 1.5", Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Scale: 1, Unscaled: big.NewInt(15)}},
	{"numeric -0.005", Type(event.KindVarDecimal, sqlapply.NameVarDecimal, "numeric"), event.VarDecimal{Scale: 3, Unscaled: big.NewInt(-5)}},
	{"numeric(5,2) 999.99", Decimal(5, 2, "numeric(5,2)"), Rat("99999/100")},
	{"bool true", Type(event.KindBoolean, "", "bool"), true},
	{"text héllo ☃", Type(event.KindString, "", "text"), "héllo ☃"},
	{"varchar(5) abc", Type(event.KindString, "", "varchar(5)"), "abc"},
	{"bpchar(3) ab", Type(event.KindString, "", "bpchar(3)"), "ab "},
	{"char x", Type(event.KindString, "", "char"), "x"},
	{"bytea \\x00ff10", Type(event.KindBytes, "", "bytea"), []byte{0, 255, 16}},
	{"date 2024-02-29", Type(event.KindInt32, sqlapply.NameDate, "date"), int32(19782)},
	{"time 12:34:56.789012", Type(event.KindInt64, sqlapply.NameMicroTime, "time"), int64(45296789012)},
	{"time(3) 12:34:56.789", Type(event.KindInt32, sqlapply.NameTime, "time(3)"), int32(45296789)},
	{"timetz 07:04:56.5+00", Type(event.KindString, sqlapply.NameZonedTime, "timetz"), "07:04:56.5Z"},
	{"timestamp 2024-01-02 03:04:05.123456", Type(event.KindInt64, sqlapply.NameMicroTimestamp, "timestamp"), Micros(2024, 1, 2, 3, 4, 5, 123456)},
	{"timestamp(3) 2024-01-02 03:04:05.123", Type(event.KindInt64, sqlapply.NameTimestamp, "timestamp(3)"), Micros(2024, 1, 2, 3, 4, 5, 123000) / 1000},
	{"timestamp(0) 1900-01-01 00:00:00", Type(event.KindInt64, sqlapply.NameTimestamp, "timestamp(0)"), Micros(1900, 1, 1, 0, 0, 0, 0) / 1000},
	{"timestamptz 2024-07-01 16:00:00+00", Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz"), "2024-07-01T16:00:00.000000Z"},
	{"timestamptz(0) 2024-01-01 00:00:00+00", Type(event.KindString, sqlapply.NameZonedTimestamp, "timestamptz(0)"), "2024-01-01T00:00:00Z"},
	{"interval 10303:05:06.5", Type(event.KindInt64, sqlapply.NameMicroDuration, "interval"), int64(37091106500000)},
	{"uuid a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", Type(event.KindString, sqlapply.NameUUID, "uuid"), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{"json {\"a\":  1}", Type(event.KindString, sqlapply.NameJSON, "json"), `{"a":  1}`},
	{"jsonb {\"a\": 1}", Type(event.KindString, sqlapply.NameJSON, "jsonb"), `{"a": 1}`},
	{"xml <a>x</a>", Type(event.KindString, sqlapply.NameXML, "xml"), "<a>x</a>"},
	{"mood ok", event.Type{Kind: event.KindString, Name: sqlapply.NameEnum, Params: map[string]string{"allowed": "sad,ok,happy"}, SourceType: "mood"}, "ok"},
	{"ltree a.b", Type(event.KindString, sqlapply.NameLtree, "ltree"), "a.b"},
	{"inet 192.168.0.1/24", Type(event.KindString, "", "inet"), "192.168.0.1/24"},
	{"int4range [1,5)", Type(event.KindString, "", "int4range"), "[1,5)"},
	{"bit(1) 1", Type(event.KindBoolean, "", "bit(1)"), true},
	{"bit(10) 1000000001", Bits(10, "bit(10)"), []byte{0x01, 0x02}},
	{"? {1,NULL,3}", Array(Type(event.KindInt32, "", "int4")), []any{int32(1), nil, int32(3)}},
	{"? {1.5,NULL}", Array(Decimal(4, 1, "numeric(4,1)")), []any{Rat("3/2"), nil}},
	{"? {t,f}", Array(Type(event.KindBoolean, "", "bool")), []any{true, false}},
}

// Want is what an engine expects of a TypeCase: With returns it completed with the
// case's type and value.
type Want[W any] interface {
	With(c TypeCase) W
}

// Cases is the shared cases, each completed from what wants expects of it (by name), then
// the engine's own cases. It fails t for a shared case without a want and for a want of
// no case, so that every engine checks every shared case.
func Cases[W Want[W]](t testing.TB, shared []TypeCase, wants map[string]W, own []W) []W {
	t.Helper()
	var cases []W
	seen := map[string]bool{}
	for _, c := range shared {
		w, ok := wants[c.Name]
		if !ok {
			t.Errorf("no want for case %q", c.Name)
			continue
		}
		seen[c.Name] = true
		cases = append(cases, w.With(c))
	}
	for name := range wants {
		if !seen[name] {
			t.Errorf("want for no case: %q", name)
		}
	}
	return append(cases, own...)
}
