package pipelines_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York without relying on the host's zoneinfo

	"github.com/dovetail-cdc/dovetail/internal/testpg"
)

// The end-to-end test of every Postgres column type: written in Postgres, read back from
// Kafka, decoded through the registry twice (Dovetail's Go decoder and an independent
// Python one that knows only the registry's REST API), compared with Debezium's
// representation derived here from first principles (sources/postgres/types.go lists the
// mapping; Debezium's PostgresValueConverter is the reference).

// typeCase is one column of the wide table.
type typeCase struct {
	col string // column name
	ddl string // column type
	lit string // SQL expression inserted
	// goVal is the value the Go decoder yields after plain(): exact Go type (int32 vs
	// int64, float32, *big.Rat, []byte, map for VariableScaleDecimal, []any for arrays).
	goVal any
	// pyVal is the value the independent decoder prints: numbers compare exactly
	// (int64, float32, float64), strings, nil, []any, map[string]any, pyBytes, and
	// pyDecimal for logical decimals (python's decimal.Decimal printed with str()).
	pyVal any
	// schema, when set, is a JSON object whose members must appear on the column's
	// non-null branch in the registered value schema.
	schema string
	// deviation, when set, says how Dovetail is known to differ from Debezium for this
	// case; the case still asserts Debezium's behaviour and its failures carry this note.
	deviation string
}

// pyBytes is a bytes value as the independent decoder prints it ({"$bytes": base64}).
type pyBytes []byte

// pyDecimal is a logical decimal as the independent decoder prints it (str(Decimal)).
type pyDecimal string

const (
	devZonedWidth = "KNOWN DEVIATION: Debezium formats ZonedTimestamp with exactly the column's fractional precision " +
		"(ZonedTimestamp.toIsoString(ZonedDateTime, adjuster, fractionalWidth) with column.scale(), " +
		"6 for timestamptz; Debezium's AbstractRecordsProducerTest expects \"+21016-11-04T06:51:30.000000Z\"), " +
		"Dovetail trims trailing zeros (sources/postgres/types.go formatISO)"
	devMoney = "KNOWN DEVIATION: Debezium's money is Decimal.builder(2) (no connect.decimal.precision) and Confluent's " +
		"AvroData.fromConnectSchema registers it as bytes with logicalType decimal, precision 64 " +
		"(CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT), scale 2; Dovetail leaves out precision and logicalType " +
		"(schema/avsc.go decimalSchema), so Avro readers see plain bytes instead of a decimal"
)

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("bad rational " + s)
	}
	return r
}

// twos is Java's BigInteger.toByteArray: the shortest big-endian two's complement
// encoding including a sign bit (zero is one 0x00 byte).
func twos(s string) []byte {
	x, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad integer " + s)
	}
	for n := 1; ; n++ {
		lim := new(big.Int).Lsh(big.NewInt(1), uint(8*n-1)) // 2^(8n-1)
		if x.Cmp(lim) < 0 && x.Cmp(new(big.Int).Neg(lim)) >= 0 {
			v := new(big.Int).Set(x)
			if v.Sign() < 0 {
				v.Add(v, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
			}
			return v.FillBytes(make([]byte, n))
		}
	}
}

// varDec is Debezium's VariableScaleDecimal of an unscaled value and scale, for both
// decoders.
func varDec(scale int32, unscaled string) (goVal, pyVal any) {
	return map[string]any{"scale": scale, "value": twos(unscaled)},
		map[string]any{"scale": int64(scale), "value": pyBytes(twos(unscaled))}
}

// epochDays is io.debezium.time.Date: days since 1970-01-01 (proleptic Gregorian).
func epochDays(y int, m time.Month, d int) int32 {
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// localTS parses a timestamp without time zone; Debezium reads it as if it were UTC.
func localTS(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		panic(err)
	}
	return t
}

// sinceMidnight parses a time of day into its duration since midnight.
func sinceMidnight(s string) time.Duration {
	t, err := time.Parse("15:04:05.999999", s)
	if err != nil {
		panic(err)
	}
	return t.Sub(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC))
}

// microDuration is Debezium's MicroDuration.durationMicros: a month is 365.25/12 days.
func microDuration(years, months, days, hours, minutes, seconds, micros int64) int64 {
	const daysPerMonth = 365.25 / 12
	nDays := float64(years*12+months)*daysPerMonth + float64(days)
	nSecs := ((nDays*24+float64(hours))*60+float64(minutes))*60 + float64(seconds)
	return int64(nSecs*1e6) + micros
}

func typeCases(t *testing.T) []typeCase {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	nan32, inf32 := float32(math.NaN()), float32(math.Inf(1))
	numv, numvPy := varDec(2, "12345")                                // 123.4500 -> 123.45
	numvInt, numvIntPy := varDec(0, "1000")                           // 1000: scale never negative
	numvNeg, numvNegPy := varDec(3, "-1")                             // -0.001
	numvZero, numvZeroPy := varDec(0, "0")                            // 0.000 -> 0
	numvBig, numvBigPy := varDec(9, "-98765432109876543210123456789") // wide negative
	days := epochDays(2024, time.February, 29)

	// Inserted in a session whose time zone is America/New_York (EDT, UTC-4 on that day).
	tstzNY := time.Date(2024, time.July, 4, 12, 34, 56, 789_000_000, ny).UTC()
	tstzNYWinter := time.Date(2024, time.January, 15, 8, 0, 0, 500_000_000, ny).UTC() // EST, UTC-5
	debeziumZoned := func(t time.Time, digits int) string {
		layout := "2006-01-02T15:04:05"
		if digits > 0 {
			layout += "." + strings.Repeat("0", digits)
		}
		return t.UTC().Format(layout + "Z07:00")
	}

	ts3 := localTS("2024-02-29 12:34:56.789")
	ts6 := localTS("2024-02-29 12:34:56.789012")
	ts4 := localTS("2024-02-29 12:34:56.7891")
	ts0 := localTS("2024-02-29 23:59:59")
	tsPre := localTS("1969-12-31 23:59:59.999")
	tsOld := localTS("1900-01-01 00:00:00.000001")

	uuid := "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
	utf8Text := "héllo \"wörld\" ✓ it's\nline2"

	return []typeCase{
		// integers at their limits; int2 is Connect INT16 (Avro int with connect.type int16)
		{col: "c_int2_min", ddl: "smallint", lit: "-32768", goVal: int32(-32768), pyVal: int64(-32768),
			schema: `{"type":"int","connect.type":"int16"}`},
		{col: "c_int2_max", ddl: "smallint", lit: "32767", goVal: int32(32767), pyVal: int64(32767)},
		{col: "c_int4_min", ddl: "integer", lit: "-2147483648", goVal: int32(math.MinInt32), pyVal: int64(math.MinInt32)},
		{col: "c_int4_max", ddl: "integer", lit: "2147483647", goVal: int32(math.MaxInt32), pyVal: int64(math.MaxInt32),
			schema: `{"type":"int"}`},
		{col: "c_int8_min", ddl: "bigint", lit: "-9223372036854775808", goVal: int64(math.MinInt64), pyVal: int64(math.MinInt64)},
		{col: "c_int8_max", ddl: "bigint", lit: "9223372036854775807", goVal: int64(math.MaxInt64), pyVal: int64(math.MaxInt64),
			schema: `{"type":"long"}`},

		// numeric with precision and scale: Connect Decimal, the column's scale kept
		{col: "c_num", ddl: "numeric(10,2)", lit: "12345678.9", goVal: rat("12345678.90"), pyVal: pyDecimal("12345678.90"),
			schema: `{"type":"bytes","logicalType":"decimal","precision":10,"scale":2,"connect.version":1,
				"connect.name":"org.apache.kafka.connect.data.Decimal",
				"connect.parameters":{"scale":"2","connect.decimal.precision":"10"}}`},
		{col: "c_num_neg", ddl: "numeric(5,3)", lit: "-1.5", goVal: rat("-1.5"), pyVal: pyDecimal("-1.500")},
		{col: "c_num_wide", ddl: "numeric(38,10)", lit: "-1234567890123456789012345678.0123456789",
			goVal: rat("-1234567890123456789012345678.0123456789"), pyVal: pyDecimal("-1234567890123456789012345678.0123456789")},
		{col: "c_num_int", ddl: "numeric(4,0)", lit: "1234", goVal: rat("1234"), pyVal: pyDecimal("1234")},
		// numeric without precision: VariableScaleDecimal, trailing zeros stripped
		{col: "c_numv", ddl: "numeric", lit: "123.4500", goVal: numv, pyVal: numvPy,
			schema: `{"type":"record","name":"VariableScaleDecimal","namespace":"io.debezium.data",
				"connect.name":"io.debezium.data.VariableScaleDecimal",
				"fields":[{"name":"scale","type":"int"},{"name":"value","type":"bytes"}]}`},
		{col: "c_numv_int", ddl: "numeric", lit: "1000", goVal: numvInt, pyVal: numvIntPy},
		{col: "c_numv_neg", ddl: "numeric", lit: "-0.001", goVal: numvNeg, pyVal: numvNegPy},
		{col: "c_numv_zero", ddl: "numeric", lit: "0.000", goVal: numvZero, pyVal: numvZeroPy},
		{col: "c_numv_big", ddl: "numeric", lit: "-98765432109876543210.123456789", goVal: numvBig, pyVal: numvBigPy},

		// floating point, special values kept
		{col: "c_f4", ddl: "real", lit: "3.3", goVal: float32(3.3), pyVal: float32(3.3), schema: `{"type":"float"}`},
		{col: "c_f4_nan", ddl: "real", lit: "'NaN'", goVal: nan32, pyVal: "NaN"},
		{col: "c_f4_pinf", ddl: "real", lit: "'Infinity'", goVal: inf32, pyVal: "Infinity"},
		{col: "c_f4_ninf", ddl: "real", lit: "'-Infinity'", goVal: -inf32, pyVal: "-Infinity"},
		{col: "c_f8", ddl: "double precision", lit: "4.44", goVal: 4.44, pyVal: 4.44, schema: `{"type":"double"}`},
		{col: "c_f8_max", ddl: "double precision", lit: "1.7976931348623157e308", goVal: math.MaxFloat64, pyVal: math.MaxFloat64},
		{col: "c_f8_nan", ddl: "double precision", lit: "'NaN'", goVal: math.NaN(), pyVal: "NaN"},
		{col: "c_f8_pinf", ddl: "double precision", lit: "'Infinity'", goVal: math.Inf(1), pyVal: "Infinity"},
		{col: "c_f8_ninf", ddl: "double precision", lit: "'-Infinity'", goVal: math.Inf(-1), pyVal: "-Infinity"},

		{col: "c_bool_t", ddl: "boolean", lit: "true", goVal: true, pyVal: true, schema: `{"type":"boolean"}`},
		{col: "c_bool_f", ddl: "boolean", lit: "false", goVal: false, pyVal: false},

		// character types: UTF-8, quotes, newline; char(n) is blank-padded; '' is not NULL
		{col: "c_text", ddl: "text", lit: `'héllo "wörld" ✓ it''s' || chr(10) || 'line2'`,
			goVal: utf8Text, pyVal: utf8Text, schema: `{"type":"string"}`},
		{col: "c_text_empty", ddl: "text", lit: "''", goVal: "", pyVal: ""},
		{col: "c_varchar", ddl: "varchar(10)", lit: "'abc'", goVal: "abc", pyVal: "abc"},
		{col: "c_char", ddl: "char(5)", lit: "'ab'", goVal: "ab   ", pyVal: "ab   "},

		{col: "c_bytea", ddl: "bytea", lit: `'\x00ff10'::bytea`, goVal: []byte{0x00, 0xff, 0x10}, pyVal: pyBytes{0x00, 0xff, 0x10},
			schema: `{"type":"bytes"}`},
		{col: "c_bytea_empty", ddl: "bytea", lit: "''::bytea", goVal: []byte{}, pyVal: pyBytes{}},

		// date: days since the epoch; ±infinity as Debezium's LocalDate stand-ins
		// (PostgresValueConverter.POSITIVE/NEGATIVE_INFINITY_LOCAL_DATE = -5877611-06-21/22)
		{col: "c_date", ddl: "date", lit: "'2024-02-29'", goVal: days, pyVal: int64(days),
			schema: `{"type":"int","connect.version":1,"connect.name":"io.debezium.time.Date"}`},
		{col: "c_date_pre", ddl: "date", lit: "'1969-12-31'", goVal: int32(-1), pyVal: int64(-1)},
		{col: "c_date_old", ddl: "date", lit: "'0001-01-01'", goVal: epochDays(1, 1, 1), pyVal: int64(epochDays(1, 1, 1))},
		{col: "c_date_pinf", ddl: "date", lit: "'infinity'", goVal: epochDays(-5877611, 6, 21), pyVal: int64(epochDays(-5877611, 6, 21))},
		{col: "c_date_ninf", ddl: "date", lit: "'-infinity'", goVal: epochDays(-5877611, 6, 22), pyVal: int64(epochDays(-5877611, 6, 22))},

		// time: adaptive precision
		{col: "c_time", ddl: "time", lit: "'13:51:30.123456'", goVal: sinceMidnight("13:51:30.123456").Microseconds(),
			pyVal:  sinceMidnight("13:51:30.123456").Microseconds(),
			schema: `{"type":"long","connect.name":"io.debezium.time.MicroTime"}`},
		{col: "c_time3", ddl: "time(3)", lit: "'13:51:30.123'", goVal: int32(sinceMidnight("13:51:30.123").Milliseconds()),
			pyVal:  sinceMidnight("13:51:30.123").Milliseconds(),
			schema: `{"type":"int","connect.name":"io.debezium.time.Time"}`},
		{col: "c_time0", ddl: "time(0)", lit: "'23:59:59'", goVal: int32(sinceMidnight("23:59:59").Milliseconds()),
			pyVal: sinceMidnight("23:59:59").Milliseconds()},
		{col: "c_time_24", ddl: "time(6)", lit: "'24:00:00'", goVal: (24 * time.Hour).Microseconds(), pyVal: (24 * time.Hour).Microseconds()},

		// timetz: ZonedTime, normalized to UTC, fraction digits as needed (ISO_OFFSET_TIME)
		{col: "c_timetz", ddl: "timetz", lit: "'13:51:30.123789+02:00'", goVal: "11:51:30.123789Z", pyVal: "11:51:30.123789Z",
			schema: `{"type":"string","connect.name":"io.debezium.time.ZonedTime"}`},
		{col: "c_timetz3", ddl: "timetz(3)", lit: "'13:51:30.123+02'", goVal: "11:51:30.123Z", pyVal: "11:51:30.123Z"},
		{col: "c_timetz_wrap", ddl: "timetz", lit: "'01:00:00+05:30'", goVal: "19:30:00Z", pyVal: "19:30:00Z"},

		// timestamp without time zone: 0-3 -> Timestamp (ms), 4-6 -> MicroTimestamp (µs)
		{col: "c_ts0", ddl: "timestamp(0)", lit: "'2024-02-29 23:59:59'", goVal: ts0.UnixMilli(), pyVal: ts0.UnixMilli(),
			schema: `{"type":"long","connect.name":"io.debezium.time.Timestamp"}`},
		{col: "c_ts3", ddl: "timestamp(3)", lit: "'2024-02-29 12:34:56.789'", goVal: ts3.UnixMilli(), pyVal: ts3.UnixMilli(),
			schema: `{"type":"long","connect.name":"io.debezium.time.Timestamp"}`},
		{col: "c_ts3_pre", ddl: "timestamp(3)", lit: "'1969-12-31 23:59:59.999'", goVal: tsPre.UnixMilli(), pyVal: tsPre.UnixMilli()},
		{col: "c_ts4", ddl: "timestamp(4)", lit: "'2024-02-29 12:34:56.7891'", goVal: ts4.UnixMicro(), pyVal: ts4.UnixMicro(),
			schema: `{"type":"long","connect.name":"io.debezium.time.MicroTimestamp"}`},
		{col: "c_ts6", ddl: "timestamp(6)", lit: "'2024-02-29 12:34:56.789012'", goVal: ts6.UnixMicro(), pyVal: ts6.UnixMicro()},
		{col: "c_ts", ddl: "timestamp", lit: "'1900-01-01 00:00:00.000001'", goVal: tsOld.UnixMicro(), pyVal: tsOld.UnixMicro(),
			schema: `{"type":"long","connect.name":"io.debezium.time.MicroTimestamp"}`},

		// timestamptz: ZonedTimestamp in UTC; the literals without offset are read in the
		// inserting session's zone (America/New_York)
		{col: "c_tstz", ddl: "timestamptz", lit: "'2024-07-04 12:34:56.789'",
			goVal: debeziumZoned(tstzNY, 6), pyVal: debeziumZoned(tstzNY, 6),
			schema: `{"type":"string","connect.name":"io.debezium.time.ZonedTimestamp"}`, deviation: devZonedWidth},
		{col: "c_tstz3", ddl: "timestamptz(3)", lit: "'2024-01-15 08:00:00.5'",
			goVal: debeziumZoned(tstzNYWinter, 3), pyVal: debeziumZoned(tstzNYWinter, 3), deviation: devZonedWidth},
		{col: "c_tstz0", ddl: "timestamptz(0)", lit: "'2024-01-15 08:00:00+01'", goVal: "2024-01-15T07:00:00Z", pyVal: "2024-01-15T07:00:00Z"},
		{col: "c_tstz_us", ddl: "timestamptz", lit: "'2024-02-29 23:59:59.123456+00'", goVal: "2024-02-29T23:59:59.123456Z",
			pyVal: "2024-02-29T23:59:59.123456Z"},
		{col: "c_tstz_pinf", ddl: "timestamptz", lit: "'infinity'", goVal: "infinity", pyVal: "infinity"},

		// interval: MicroDuration (µs, month = 30.4375 days)
		{col: "c_interval", ddl: "interval", lit: "'1 year 2 mons 3 days 04:05:06.78'",
			goVal: microDuration(1, 2, 3, 4, 5, 6, 780000), pyVal: microDuration(1, 2, 3, 4, 5, 6, 780000),
			schema: `{"type":"long","connect.name":"io.debezium.time.MicroDuration"}`},
		{col: "c_interval_neg", ddl: "interval", lit: "'-1 days -02:00:00'", goVal: microDuration(0, 0, -1, -2, 0, 0, 0),
			pyVal: microDuration(0, 0, -1, -2, 0, 0, 0)},
		{col: "c_interval_mon", ddl: "interval", lit: "'1 mon'", goVal: microDuration(0, 1, 0, 0, 0, 0, 0),
			pyVal: microDuration(0, 1, 0, 0, 0, 0, 0)},

		{col: "c_uuid", ddl: "uuid", lit: "'" + strings.ToUpper(uuid) + "'", goVal: uuid, pyVal: uuid,
			schema: `{"type":"string","connect.name":"io.debezium.data.Uuid"}`},
		// json keeps its text; jsonb is Postgres' normalized text
		{col: "c_json", ddl: "json", lit: `'{"b": 1,  "a": [1, 2]}'`, goVal: `{"b": 1,  "a": [1, 2]}`, pyVal: `{"b": 1,  "a": [1, 2]}`,
			schema: `{"type":"string","connect.name":"io.debezium.data.Json"}`},
		{col: "c_jsonb", ddl: "jsonb", lit: `'{"b": 1,  "a": [1, 2]}'`, goVal: `{"a": [1, 2], "b": 1}`, pyVal: `{"a": [1, 2], "b": 1}`,
			schema: `{"type":"string","connect.name":"io.debezium.data.Json"}`},

		// arrays: elements optional, NULL elements kept
		{col: "c_int_arr", ddl: "int[]", lit: "'{1,NULL,-3}'", goVal: []any{int32(1), nil, int32(-3)}, pyVal: []any{int64(1), nil, int64(-3)},
			schema: `{"type":"array","items":["null","int"]}`},
		{col: "c_int_arr_empty", ddl: "int[]", lit: "'{}'", goVal: []any{}, pyVal: []any{}},
		{col: "c_bigint_arr", ddl: "bigint[]", lit: "'{9223372036854775807,NULL}'", goVal: []any{int64(math.MaxInt64), nil},
			pyVal: []any{int64(math.MaxInt64), nil}},
		{col: "c_text_arr", ddl: "text[]", lit: `'{"a",NULL,"b c","NULL","q\"d",""}'`,
			goVal: []any{"a", nil, "b c", "NULL", `q"d`, ""}, pyVal: []any{"a", nil, "b c", "NULL", `q"d`, ""},
			schema: `{"type":"array","items":["null","string"]}`},

		{col: "c_enum", ddl: "mood", lit: "'happy'", goVal: "happy", pyVal: "happy",
			schema: `{"type":"string","connect.name":"io.debezium.data.Enum","connect.parameters":{"allowed":"sad,ok,happy"}}`},
		{col: "c_domain", ddl: "posint", lit: "42", goVal: int32(42), pyVal: int64(42), schema: `{"type":"int"}`},

		{col: "c_inet", ddl: "inet", lit: "'192.168.2.1/12'", goVal: "192.168.2.1/12", pyVal: "192.168.2.1/12", schema: `{"type":"string"}`},
		{col: "c_inet6", ddl: "inet", lit: "'::1'", goVal: "::1", pyVal: "::1"},
		{col: "c_cidr", ddl: "cidr", lit: "'192.168.100.128/25'", goVal: "192.168.100.128/25", pyVal: "192.168.100.128/25"},
		{col: "c_macaddr", ddl: "macaddr", lit: "'08-00-2B-01-02-03'", goVal: "08:00:2b:01:02:03", pyVal: "08:00:2b:01:02:03"},

		// bit(1) is a boolean; bit(n>1)/varbit are Bits: BitSet.toByteArray of the bit
		// string read right to left (values from Debezium's AbstractRecordsProducerTest)
		{col: "c_bit1_t", ddl: "bit(1)", lit: "B'1'", goVal: true, pyVal: true, schema: `{"type":"boolean"}`},
		{col: "c_bit1_f", ddl: "bit(1)", lit: "B'0'", goVal: false, pyVal: false},
		{col: "c_bit2", ddl: "bit(2)", lit: "B'11'", goVal: []byte{3}, pyVal: pyBytes{3},
			schema: `{"type":"bytes","connect.name":"io.debezium.data.Bits","connect.parameters":{"length":"2"}}`},
		{col: "c_bit7", ddl: "bit(7)", lit: "'1'::bit(7)", goVal: []byte{64}, pyVal: pyBytes{64}},
		{col: "c_bit2_zero", ddl: "bit(2)", lit: "B'00'", goVal: []byte{}, pyVal: pyBytes{}},
		{col: "c_bit24", ddl: "bit(24)", lit: "B'000000110000001000000001'", goVal: []byte{1, 2, 3}, pyVal: pyBytes{1, 2, 3}},
		{col: "c_bit64", ddl: "bit(64)", lit: "B'1" + strings.Repeat("0", 63) + "'", goVal: []byte{0, 0, 0, 0, 0, 0, 0, 0x80},
			pyVal: pyBytes{0, 0, 0, 0, 0, 0, 0, 0x80}},
		{col: "c_varbit", ddl: "varbit", lit: "B'101'", goVal: []byte{5}, pyVal: pyBytes{5},
			schema: `{"type":"bytes","connect.name":"io.debezium.data.Bits","connect.parameters":{"length":"2147483647"}}`},
		{col: "c_varbit_long", ddl: "varbit", lit: "B'111011010001000110000001000000001'", goVal: []byte{1, 2, 35, 0xda, 1},
			pyVal: pyBytes{1, 2, 35, 0xda, 1}},

		// money: Connect Decimal with scale 2
		{col: "c_money", ddl: "money", lit: "1234.56", goVal: rat("1234.56"), pyVal: pyDecimal("1234.56"),
			schema: `{"type":"bytes","logicalType":"decimal","precision":64,"scale":2,
				"connect.name":"org.apache.kafka.connect.data.Decimal","connect.parameters":{"scale":"2"}}`,
			deviation: devMoney},
		{col: "c_money_neg", ddl: "money", lit: "-1234567.8", goVal: rat("-1234567.80"), pyVal: pyDecimal("-1234567.80"),
			deviation: devMoney},

		{col: "c_xml", ddl: "xml", lit: "'<foo a=\"1\">bar</foo><foo/>'", goVal: `<foo a="1">bar</foo><foo/>`, pyVal: `<foo a="1">bar</foo><foo/>`,
			schema: `{"type":"string","connect.name":"io.debezium.data.Xml"}`},
	}
}

func TestTypes(t *testing.T) {
	t.Parallel()
	cases := typeCases(t)
	dsn := testpg.NewDB(t)
	var cols, lits, nulls []string
	for _, c := range cases {
		cols = append(cols, c.col+" "+c.ddl)
		lits = append(lits, c.lit)
		nulls = append(nulls, "NULL")
	}
	testpg.Exec(t, dsn,
		`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE DOMAIN posint AS int CHECK (VALUE > 0)`,
		`CREATE TABLE types (id int PRIMARY KEY, `+strings.Join(cols, ", ")+`)`)
	h := newHarness(t, dsn, []string{"public.types"}, "")
	h.start()
	testpg.Exec(t, dsn,
		// The session's zone decides what a timestamptz literal without offset means;
		// the event must carry the right UTC instant whatever the inserting session's zone.
		`SET TIME ZONE 'America/New_York'`,
		`INSERT INTO types VALUES (1, `+strings.Join(lits, ", ")+`)`,
		`INSERT INTO types VALUES (2, `+strings.Join(nulls, ", ")+`)`)

	topic := h.name + ".public.types"
	msgs := h.waitRecords(topic, 2)
	if len(msgs) != 2 {
		t.Fatalf("got %d records in %s, want 2", len(msgs), topic)
	}

	// 1. Dovetail's Go decoder (goavro, writer schema from the registry).
	rows := map[int32]map[string]any{}
	for _, m := range msgs {
		v := plain(h.decode(m.Value)).(map[string]any)
		if v["op"] != "c" {
			t.Fatalf("record op %v, want c", v["op"])
		}
		after, ok := v["after"].(map[string]any)
		if !ok {
			t.Fatalf("record after = %v, want a row", v["after"])
		}
		rows[after["id"].(int32)] = after
	}
	for _, c := range cases {
		got, ok := rows[1][c.col]
		switch {
		case !ok:
			t.Errorf("go: %s (%s) missing from after", c.col, c.ddl)
		case !goEqual(got, c.goVal):
			t.Errorf("go: %s (%s) = %#v (%T), want %#v (%T)%s", c.col, c.ddl, got, got, c.goVal, c.goVal, note(c))
		}
		if got, ok := rows[2][c.col]; !ok || got != nil {
			t.Errorf("go: NULL row %s (%s) = %#v, want null", c.col, c.ddl, got)
		}
	}
	// The timestamptz written in New York is the right instant, whatever its formatting.
	for _, cn := range []struct {
		col  string
		want time.Time
	}{
		{"c_tstz", time.Date(2024, time.July, 4, 16, 34, 56, 789_000_000, time.UTC)},
		{"c_tstz3", time.Date(2024, time.January, 15, 13, 0, 0, 500_000_000, time.UTC)},
	} {
		s, _ := rows[1][cn.col].(string)
		got, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !got.Equal(cn.want) || !strings.HasSuffix(s, "Z") {
			t.Errorf("go: %s = %q, want the UTC instant %s (written as local New York time)", cn.col, s, cn.want.Format(time.RFC3339Nano))
		}
	}

	// 2. The independent decoder: python3-avro with only the registry's REST API.
	recs := h.pythonDecode(topic)
	if len(recs) != 2 {
		t.Fatalf("independent decoder read %d records, want 2", len(recs))
	}
	pyRows := map[string]map[string]any{}
	for _, r := range recs {
		v, _ := r["value"].(map[string]any)
		after, ok := v["after"].(map[string]any)
		if !ok {
			t.Fatalf("independent decoder: value.after = %v, want a row", v["after"])
		}
		pyRows[fmt.Sprint(after["id"])] = after
	}
	for _, c := range cases {
		got, ok := pyRows["1"][c.col]
		switch {
		case !ok:
			t.Errorf("python: %s (%s) missing from after", c.col, c.ddl)
		case !pyEqual(got, c.pyVal):
			t.Errorf("python: %s (%s) = %#v, want %s%s", c.col, c.ddl, got, pyShow(c.pyVal), note(c))
		}
		if got, ok := pyRows["2"][c.col]; !ok || got != nil {
			t.Errorf("python: NULL row %s (%s) = %#v, want null", c.col, c.ddl, got)
		}
	}

	// 3. The registered value schema: Connect annotations, nullable columns as
	// ["null", T] with default null, the key column required.
	fields := valueFields(t, h, topic)
	if f := fields["id"]; f == nil || f["type"] != "int" {
		t.Errorf("schema: id field = %v, want required int", f)
	}
	for _, c := range cases {
		f := fields[c.col]
		if f == nil {
			t.Errorf("schema: no field %s", c.col)
			continue
		}
		union, ok := f["type"].([]any)
		if !ok || len(union) != 2 || union[0] != "null" {
			t.Errorf("schema: %s type = %v, want [\"null\", T]", c.col, f["type"])
			continue
		}
		if d, ok := f["default"]; !ok || d != nil {
			t.Errorf("schema: %s default = %v (present %v), want null", c.col, d, ok)
		}
		if c.schema == "" {
			continue
		}
		var want map[string]any
		if err := json.Unmarshal([]byte(c.schema), &want); err != nil {
			t.Fatalf("case %s schema: %v", c.col, err)
		}
		got, ok := union[1].(map[string]any)
		if !ok {
			got = map[string]any{"type": union[1]}
		}
		for k, w := range want {
			if g := got[k]; !reflect.DeepEqual(g, w) {
				t.Errorf("schema: %s %s = %v, want %v%s", c.col, k, g, w, note(c))
			}
		}
	}
}

// TestTypesUnchangedToast: an update that leaves an out-of-line TOASTed value alone (default
// replica identity) carries Debezium's placeholder for it, never a silent NULL.
func TestTypesUnchangedToast(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	big := strings.Repeat("0123456789abcdef", 2000) // 32000 bytes, far above the 2kB TOAST threshold
	bin := bytes.Repeat([]byte{0x00, 0xff}, 8000)
	testpg.Exec(t, dsn,
		`CREATE TABLE toasty (id int PRIMARY KEY, big text, bin bytea, n int)`,
		// EXTERNAL: out of line and uncompressed, so the repetitive values are really TOASTed
		`ALTER TABLE toasty ALTER COLUMN big SET STORAGE EXTERNAL`,
		`ALTER TABLE toasty ALTER COLUMN bin SET STORAGE EXTERNAL`)
	h := newHarness(t, dsn, []string{"public.toasty"}, "")
	h.start()
	testpg.Exec(t, dsn,
		`INSERT INTO toasty VALUES (1, repeat('0123456789abcdef', 2000), decode(repeat('00ff', 8000), 'hex'), 0)`,
		`UPDATE toasty SET n = 1 WHERE id = 1`)
	topic := h.name + ".public.toasty"
	msgs := h.waitRecords(topic, 2)
	byOp := map[string]map[string]any{}
	for _, m := range msgs {
		v := plain(h.decode(m.Value)).(map[string]any)
		byOp[v["op"].(string)] = v
	}
	ins, _ := byOp["c"]["after"].(map[string]any)
	if ins["big"] != big || !bytes.Equal(asBytes(ins["bin"]), bin) {
		t.Errorf("go: insert after carries big %d chars, bin %d bytes; want the full values (%d, %d)",
			len(fmt.Sprint(ins["big"])), len(asBytes(ins["bin"])), len(big), len(bin))
	}
	upd, _ := byOp["u"]["after"].(map[string]any)
	const ph = "__debezium_unavailable_value"
	if upd["big"] != ph {
		t.Errorf("go: update after.big = %.60v (%T), want the placeholder %q", upd["big"], upd["big"], ph)
	}
	if !bytes.Equal(asBytes(upd["bin"]), []byte(ph)) {
		t.Errorf("go: update after.bin = %.60v (%T), want the placeholder's bytes", upd["bin"], upd["bin"])
	}
	if upd["n"] != int32(1) || upd["id"] != int32(1) {
		t.Errorf("go: update after = id %v n %v, want 1 and 1", upd["id"], upd["n"])
	}

	var pyUpd map[string]any
	for _, r := range h.pythonDecode(topic) {
		if v, _ := r["value"].(map[string]any); v["op"] == "u" {
			pyUpd, _ = v["after"].(map[string]any)
		}
	}
	if pyUpd == nil {
		t.Fatal("python: no update record")
	}
	if pyUpd["big"] != ph || !pyEqual(pyUpd["bin"], pyBytes(ph)) || !pyEqual(pyUpd["n"], int64(1)) {
		t.Errorf("python: update after = big %.60v bin %v n %v, want the placeholder twice and n 1",
			pyUpd["big"], pyUpd["bin"], pyUpd["n"])
	}
}

// TestTypesNumericNaN: a numeric NaN cannot be a Connect Decimal; like Debezium's precise
// mode the pipeline stops with an error naming the column instead of writing a wrong value.
func TestTypesNumericNaN(t *testing.T) {
	t.Parallel()
	dsn := testpg.NewDB(t)
	testpg.Exec(t, dsn, `CREATE TABLE prices (id int PRIMARY KEY, price numeric(10,2))`)
	h := newHarness(t, dsn, []string{"public.prices"}, "")
	h.start()
	testpg.Exec(t, dsn, `INSERT INTO prices VALUES (1, 'NaN')`)
	select {
	case <-h.done:
	case <-time.After(time.Minute):
		t.Fatal("pipeline still running a minute after a numeric NaN")
	}
	if h.err == nil || !strings.Contains(h.err.Error(), "column price") || !strings.Contains(h.err.Error(), "NaN") {
		t.Fatalf("pipeline stopped with %v, want an error naming column price and NaN", h.err)
	}
	h.err = nil // expected; stop() still closes the worker
	if n := len(h.read(h.name + ".public.prices")); n != 0 {
		t.Errorf("%d records written for the NaN row, want none", n)
	}
}

func note(c typeCase) string {
	if c.deviation == "" {
		return ""
	}
	return "\n\t" + c.deviation
}

func asBytes(v any) []byte {
	b, _ := v.([]byte)
	return b
}

// goEqual compares a decoded value with the expected one, types included.
func goEqual(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case *big.Rat:
		g, ok := got.(*big.Rat)
		return ok && g.Cmp(w) == 0
	case float32:
		g, ok := got.(float32)
		return ok && (g == w || g != g && w != w)
	case float64:
		g, ok := got.(float64)
		return ok && (g == w || g != g && w != w)
	case []byte:
		g, ok := got.([]byte)
		return ok && bytes.Equal(g, w)
	case []any, map[string]any:
		return equalNested(got, want, goEqual)
	}
	return reflect.TypeOf(got) == reflect.TypeOf(want) && got == want
}

// pyEqual compares a value printed by the independent decoder (JSON, numbers as
// json.Number) with the expected one.
func pyEqual(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case string:
		return got == w
	case bool:
		return got == w
	case pyDecimal:
		return got == string(w)
	case int64:
		g, ok := got.(json.Number)
		return ok && g.String() == strconv.FormatInt(w, 10)
	case float32:
		g, ok := got.(json.Number)
		f, err := strconv.ParseFloat(g.String(), 64)
		return ok && err == nil && float32(f) == w && float64(float32(f)) == f
	case float64:
		g, ok := got.(json.Number)
		f, err := strconv.ParseFloat(g.String(), 64)
		return ok && err == nil && f == w
	case pyBytes:
		g, ok := got.(map[string]any)
		return ok && len(g) == 1 && g["$bytes"] == base64.StdEncoding.EncodeToString(w)
	case []any, map[string]any:
		return equalNested(got, want, pyEqual)
	}
	panic(fmt.Sprintf("pyEqual: unexpected want %T", want))
}

func pyShow(v any) string {
	switch w := v.(type) {
	case pyBytes:
		return fmt.Sprintf(`{"$bytes": %q}`, base64.StdEncoding.EncodeToString(w))
	case pyDecimal:
		return fmt.Sprintf("%q (decimal)", string(w))
	case map[string]any:
		parts := make([]string, 0, len(w))
		for k, x := range w {
			parts = append(parts, fmt.Sprintf("%s: %s", k, pyShow(x)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("%#v", v)
}

// valueFields returns the fields of the Value record in the latest registered value
// schema of topic, by name, as the registry's REST API serves it.
func valueFields(t *testing.T, h *harness, topic string) map[string]map[string]any {
	t.Helper()
	resp, err := http.Get(h.regURL + "/subjects/" + topic + "-value/versions/latest")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Schema string `json:"schema"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("registry: status %d, %v", resp.StatusCode, err)
	}
	var env map[string]any
	if err := json.Unmarshal([]byte(body.Schema), &env); err != nil {
		t.Fatalf("registry schema: %v", err)
	}
	var value map[string]any
	for _, f := range env["fields"].([]any) {
		f := f.(map[string]any)
		if f["name"] == "before" {
			union, _ := f["type"].([]any)
			if len(union) == 2 {
				value, _ = union[1].(map[string]any)
			}
		}
	}
	if value == nil || value["type"] != "record" {
		t.Fatalf("registry schema: no Value record under before: %.300s", body.Schema)
	}
	fields := map[string]map[string]any{}
	for _, f := range value["fields"].([]any) {
		f := f.(map[string]any)
		fields[f["name"].(string)] = f
	}
	return fields
}

// equalNested compares a []any or map[string]any want with got element by element
// with eq.
func equalNested(got, want any, eq func(got, want any) bool) bool {
	switch w := want.(type) {
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !eq(g[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k := range w {
			if !eq(g[k], w[k]) {
				return false
			}
		}
		return true
	}
	return false
}
