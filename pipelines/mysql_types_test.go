package pipelines_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/testmaria"
	"github.com/dovetail-cdc/dovetail/schema/registry"
)

// The end-to-end test of every MySQL/MariaDB column type: written in MariaDB, read back
// from Kafka, decoded through the registry by Dovetail's Go decoder and by the independent
// Python one, and compared with docs/EVENT-FORMAT.md's MySQL table, which follows
// Debezium's MySQL connector defaults (decimal.handling.mode=precise,
// time.precision.mode=adaptive_time_microseconds, binary.handling.mode=bytes) except where
// it says it differs. The reference for values is Debezium's MySqlValueConverters and its
// binlog RowDeserializers.

// wkb is the little-endian WKB of a geometry: byte order 1, the type, then the doubles.
func wkb(typ uint32, coords ...float64) []byte {
	b := binary.LittleEndian.AppendUint32([]byte{1}, typ)
	if typ == 2 { // linestring: the number of points first
		b = binary.LittleEndian.AppendUint32(b, uint32(len(coords)/2))
	}
	for _, c := range coords {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c))
	}
	return b
}

// microsOf is a MySQL TIME literal's duration in µs (io.debezium.time.MicroTime), sign kept.
func microsOf(neg bool, h, m, s, us int64) int64 {
	v := ((h*60+m)*60+s)*1_000_000 + us
	if neg {
		return -v
	}
	return v
}

func mysqlTypeCases() []typeCase {
	const (
		int16Schema   = `{"type":"int","connect.type":"int16"}`
		decimalMax    = "99999999999999999999999999999999999.999999999999999999999999999999"
		decimalMin    = "-" + decimalMax
		emoji         = "caf\u00e9 \U0001F600 \U0001D11E"
		date          = `{"type":"int","connect.version":1,"connect.name":"io.debezium.time.Date"}`
		timestampMs   = `{"type":"long","connect.version":1,"connect.name":"io.debezium.time.Timestamp"}`
		timestampUs   = `{"type":"long","connect.version":1,"connect.name":"io.debezium.time.MicroTimestamp"}`
		zoned         = `{"type":"string","connect.version":1,"connect.name":"io.debezium.time.ZonedTimestamp"}`
		bits64Schema  = `{"type":"bytes","connect.version":1,"connect.name":"io.debezium.data.Bits","connect.parameters":{"length":"64"}}`
		jsonDoc       = `{"a": [1, 2.5, "` + "\U0001F600" + `"], "b": null}`
		maxTime       = 838*3600 + 59*60 + 59
		bigintUnsMax  = "18446744073709551615"
		bigintUnsHalf = "9223372036854775808"
	)
	ms := func(s string) int64 { return localTS(s).UnixMilli() }
	us := func(s string) int64 { return localTS(s).UnixMicro() }
	point12 := wkb(1, 1, 2)
	line := wkb(2, 0, 0, 1.5, -2.25)
	return []typeCase{
		// Integers at their limits. tinyint and smallint are Connect INT16 (Avro int with
		// connect.type int16), unsigned types widen to the next Connect type, and BOOL is
		// tinyint(1): INT16, as EVENT-FORMAT.md notes.
		{col: "c_tinyint_min", ddl: "TINYINT", lit: "-128", goVal: int32(-128), pyVal: int64(-128), schema: int16Schema},
		{col: "c_tinyint_max", ddl: "TINYINT", lit: "127", goVal: int32(127), pyVal: int64(127)},
		{col: "c_tinyint_u", ddl: "TINYINT UNSIGNED", lit: "255", goVal: int32(255), pyVal: int64(255), schema: int16Schema},
		{col: "c_bool", ddl: "BOOL", lit: "TRUE", goVal: int32(1), pyVal: int64(1), schema: int16Schema},
		{col: "c_smallint_min", ddl: "SMALLINT", lit: "-32768", goVal: int32(-32768), pyVal: int64(-32768), schema: int16Schema},
		{col: "c_smallint_max", ddl: "SMALLINT", lit: "32767", goVal: int32(32767), pyVal: int64(32767)},
		{col: "c_smallint_u", ddl: "SMALLINT UNSIGNED", lit: "65535", goVal: int32(65535), pyVal: int64(65535),
			schema: `{"type":"int","connect.type":null}`},
		{col: "c_mediumint_min", ddl: "MEDIUMINT", lit: "-8388608", goVal: int32(-8388608), pyVal: int64(-8388608),
			schema: `{"type":"int","connect.type":null}`},
		{col: "c_mediumint_max", ddl: "MEDIUMINT", lit: "8388607", goVal: int32(8388607), pyVal: int64(8388607)},
		{col: "c_mediumint_u", ddl: "MEDIUMINT UNSIGNED", lit: "16777215", goVal: int32(16777215), pyVal: int64(16777215),
			schema: `{"type":"int"}`},
		{col: "c_int_min", ddl: "INT", lit: "-2147483648", goVal: int32(math.MinInt32), pyVal: int64(math.MinInt32),
			schema: `{"type":"int"}`},
		{col: "c_int_max", ddl: "INT", lit: "2147483647", goVal: int32(math.MaxInt32), pyVal: int64(math.MaxInt32)},
		{col: "c_int_u", ddl: "INT UNSIGNED", lit: "4294967295", goVal: int64(math.MaxUint32), pyVal: int64(math.MaxUint32),
			schema: `{"type":"long"}`},
		{col: "c_int_u_zero", ddl: "INT UNSIGNED", lit: "0", goVal: int64(0), pyVal: int64(0)},
		{col: "c_bigint_min", ddl: "BIGINT", lit: "-9223372036854775808", goVal: int64(math.MinInt64), pyVal: int64(math.MinInt64),
			schema: `{"type":"long"}`},
		{col: "c_bigint_max", ddl: "BIGINT", lit: "9223372036854775807", goVal: int64(math.MaxInt64), pyVal: int64(math.MaxInt64)},
		// BIGINT UNSIGNED: decimal(20,0), so 2^64-1 arrives exact, never wrapped to -1.
		{col: "c_bigint_u_max", ddl: "BIGINT UNSIGNED", lit: bigintUnsMax, goVal: rat(bigintUnsMax), pyVal: pyDecimal(bigintUnsMax),
			schema: `{"type":"bytes","logicalType":"decimal","precision":20,"scale":0,
				"connect.name":"org.apache.kafka.connect.data.Decimal"}`},
		{col: "c_bigint_u_half", ddl: "BIGINT UNSIGNED", lit: bigintUnsHalf, goVal: rat(bigintUnsHalf), pyVal: pyDecimal(bigintUnsHalf)},
		{col: "c_bigint_u_zero", ddl: "BIGINT UNSIGNED", lit: "0", goVal: rat("0"), pyVal: pyDecimal("0")},

		// DECIMAL(p,s): Connect Decimal with the column's precision and scale.
		{col: "c_dec_max", ddl: "DECIMAL(65,30)", lit: decimalMax, goVal: rat(decimalMax), pyVal: pyDecimal(decimalMax),
			schema: `{"type":"bytes","logicalType":"decimal","precision":65,"scale":30,"connect.version":1,
				"connect.name":"org.apache.kafka.connect.data.Decimal",
				"connect.parameters":{"scale":"30","connect.decimal.precision":"65"}}`},
		{col: "c_dec_min", ddl: "DECIMAL(65,30)", lit: decimalMin, goVal: rat(decimalMin), pyVal: pyDecimal(decimalMin)},
		// python's str(Decimal) writes scale 30 with an exponent
		{col: "c_dec_tiny", ddl: "DECIMAL(65,30)", lit: "0.000000000000000000000000000001", goVal: rat("1e-30"), pyVal: pyDecimal("1E-30")},
		{col: "c_dec_zero", ddl: "DECIMAL(65,30)", lit: "0", goVal: rat("0"), pyVal: pyDecimal("0E-30")},
		{col: "c_dec_small", ddl: "DECIMAL(5,2)", lit: "-1.5", goVal: rat("-1.5"), pyVal: pyDecimal("-1.50")},

		// FLOAT is Connect FLOAT32, DOUBLE and FLOAT(M,D) FLOAT64.
		{col: "c_float", ddl: "FLOAT", lit: "-0.1", goVal: float32(-0.1), pyVal: float32(-0.1), schema: `{"type":"float"}`},
		{col: "c_float_big", ddl: "FLOAT", lit: "3.4028234e38", goVal: float32(3.4028234e38), pyVal: float32(3.4028234e38)},
		{col: "c_float_md", ddl: "FLOAT(7,3)", lit: "1234.5", goVal: 1234.5, pyVal: 1234.5, schema: `{"type":"double"}`},
		// A FLOAT needs more digits than the 6 that MariaDB's text protocol prints.
		{col: "c_float_pi", ddl: "FLOAT", lit: "3.1415927", goVal: float32(3.1415927), pyVal: float32(3.1415927)},
		{col: "c_float_2p24", ddl: "FLOAT", lit: "16777217", goVal: float32(16777216), pyVal: float32(16777216)},
		{col: "c_double", ddl: "DOUBLE", lit: "0.1", goVal: 0.1, pyVal: 0.1, schema: `{"type":"double"}`},
		{col: "c_double_third", ddl: "DOUBLE", lit: "1e0 / 3", goVal: 1.0 / 3, pyVal: 1.0 / 3},
		{col: "c_double_max", ddl: "DOUBLE", lit: "-1.7976931348623157e308", goVal: -math.MaxFloat64, pyVal: -math.MaxFloat64},

		// BIT(1) is a boolean; BIT(n) is io.debezium.data.Bits, little-endian, ceil(n/8) bytes.
		{col: "c_bit1_t", ddl: "BIT(1)", lit: "b'1'", goVal: true, pyVal: true, schema: `{"type":"boolean"}`},
		{col: "c_bit1_f", ddl: "BIT(1)", lit: "b'0'", goVal: false, pyVal: false},
		{col: "c_bit64_high", ddl: "BIT(64)", lit: "b'1" + strings.Repeat("0", 63) + "'",
			goVal: []byte{0, 0, 0, 0, 0, 0, 0, 0x80}, pyVal: pyBytes{0, 0, 0, 0, 0, 0, 0, 0x80}, schema: bits64Schema},
		{col: "c_bit64_ones", ddl: "BIT(64)", lit: "b'" + strings.Repeat("1", 64) + "'",
			goVal: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, pyVal: pyBytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{col: "c_bit64_zero", ddl: "BIT(64)", lit: "b'0'", goVal: make([]byte, 8), pyVal: pyBytes(make([]byte, 8))},
		{col: "c_bit10", ddl: "BIT(10)", lit: "b'1000000001'", goVal: []byte{0x01, 0x02}, pyVal: pyBytes{0x01, 0x02},
			schema: `{"type":"bytes","connect.name":"io.debezium.data.Bits","connect.parameters":{"length":"10"}}`},

		// Text in utf8mb4 (4-byte characters) and latin1 (MySQL's latin1 is Windows-1252:
		// 0x80 is the euro sign), arriving as UTF-8 strings. '' is not NULL.
		{col: "c_varchar", ddl: "VARCHAR(20) CHARACTER SET utf8mb4", lit: "'" + emoji + "'", goVal: emoji, pyVal: emoji,
			schema: `{"type":"string"}`},
		{col: "c_varchar_empty", ddl: "VARCHAR(20)", lit: "''", goVal: "", pyVal: ""},
		{col: "c_char", ddl: "CHAR(5) CHARACTER SET utf8mb4", lit: "'\U0001F600b'", goVal: "\U0001F600b", pyVal: "\U0001F600b"},
		{col: "c_char_empty", ddl: "CHAR(5)", lit: "''", goVal: "", pyVal: ""},
		{col: "c_text", ddl: "TEXT CHARACTER SET utf8mb4", lit: `'it''s "quoted"\n` + emoji + "'",
			goVal: "it's \"quoted\"\n" + emoji, pyVal: "it's \"quoted\"\n" + emoji},
		{col: "c_text_empty", ddl: "TEXT", lit: "''", goVal: "", pyVal: ""},
		{col: "c_longtext", ddl: "LONGTEXT", lit: "'\U0001D11E clef'", goVal: "\U0001D11E clef", pyVal: "\U0001D11E clef"},
		{col: "c_latin1_varchar", ddl: "VARCHAR(10) CHARACTER SET latin1", lit: "'\u00e9\u20ac\u00ff'",
			goVal: "\u00e9\u20ac\u00ff", pyVal: "\u00e9\u20ac\u00ff", schema: `{"type":"string"}`},
		{col: "c_latin1_char", ddl: "CHAR(4) CHARACTER SET latin1", lit: "'\u00c4'", goVal: "\u00c4", pyVal: "\u00c4"},
		{col: "c_latin1_text", ddl: "TEXT CHARACTER SET latin1", lit: "'caf\u00e9 \u2013 na\u00efve'",
			goVal: "caf\u00e9 \u2013 na\u00efve", pyVal: "caf\u00e9 \u2013 na\u00efve"},

		// Binary strings are bytes; BINARY(n) is zero-padded to n, VARBINARY keeps its
		// trailing zeros.
		{col: "c_binary", ddl: "BINARY(4)", lit: "x'0102'", goVal: []byte{1, 2, 0, 0}, pyVal: pyBytes{1, 2, 0, 0},
			schema: `{"type":"bytes","connect.name":null}`},
		{col: "c_varbinary", ddl: "VARBINARY(10)", lit: "x'00ff00'", goVal: []byte{0, 0xff, 0}, pyVal: pyBytes{0, 0xff, 0},
			schema: `{"type":"bytes"}`},
		{col: "c_blob", ddl: "BLOB", lit: "x'deadbeef00'", goVal: []byte{0xde, 0xad, 0xbe, 0xef, 0}, pyVal: pyBytes{0xde, 0xad, 0xbe, 0xef, 0},
			schema: `{"type":"bytes"}`},
		{col: "c_blob_empty", ddl: "BLOB", lit: "''", goVal: []byte{}, pyVal: pyBytes{}},
		{col: "c_longblob", ddl: "LONGBLOB", lit: "x'00'", goVal: []byte{0}, pyVal: pyBytes{0}},

		// DATE: days since 1970-01-01; zero dates (a zero year, month or day, as Debezium's
		// RowDeserializers.deserializeDate) are null, or the epoch in NOT NULL columns.
		{col: "c_date", ddl: "DATE", lit: "'2024-02-29'", goVal: epochDays(2024, 2, 29), pyVal: int64(epochDays(2024, 2, 29)), schema: date},
		{col: "c_date_min", ddl: "DATE", lit: "'1000-01-01'", goVal: epochDays(1000, 1, 1), pyVal: int64(epochDays(1000, 1, 1))},
		{col: "c_date_max", ddl: "DATE", lit: "'9999-12-31'", goVal: epochDays(9999, 12, 31), pyVal: int64(epochDays(9999, 12, 31))},
		{col: "c_date_pre", ddl: "DATE", lit: "'1969-12-31'", goVal: int32(-1), pyVal: int64(-1)},
		{col: "c_date_zero", ddl: "DATE", lit: "'0000-00-00'", goVal: nil, pyVal: nil},
		{col: "c_date_zero_month", ddl: "DATE", lit: "'2024-00-15'", goVal: nil, pyVal: nil},
		{col: "c_date_zero_year", ddl: "DATE", lit: "'0000-01-01'", goVal: nil, pyVal: nil},
		{col: "c_date_zero_nn", ddl: "DATE NOT NULL", lit: "'0000-00-00'", goVal: int32(0), pyVal: int64(0),
			schema: `{"type":"int","connect.name":"io.debezium.time.Date"}`},

		// TIME: MicroTime, negative and over 24 hours kept, fractions to the µs.
		{col: "c_time", ddl: "TIME", lit: "'12:34:56'", goVal: microsOf(false, 12, 34, 56, 0), pyVal: microsOf(false, 12, 34, 56, 0),
			schema: `{"type":"long","connect.version":1,"connect.name":"io.debezium.time.MicroTime"}`},
		{col: "c_time_min", ddl: "TIME", lit: "'-838:59:59'", goVal: -int64(maxTime) * 1e6, pyVal: -int64(maxTime) * 1e6},
		{col: "c_time_max", ddl: "TIME(6)", lit: "'838:59:59.000000'", goVal: int64(maxTime) * 1e6, pyVal: int64(maxTime) * 1e6,
			schema: `{"type":"long","connect.name":"io.debezium.time.MicroTime"}`},
		{col: "c_time_day", ddl: "TIME(1)", lit: "'25:00:00.5'", goVal: microsOf(false, 25, 0, 0, 500000), pyVal: microsOf(false, 25, 0, 0, 500000)},
		{col: "c_time_neg_frac", ddl: "TIME(6)", lit: "'-00:00:01.000001'", goVal: microsOf(true, 0, 0, 1, 1), pyVal: microsOf(true, 0, 0, 1, 1)},
		{col: "c_time_neg3", ddl: "TIME(3)", lit: "'-12:00:00.5'", goVal: microsOf(true, 12, 0, 0, 500000), pyVal: microsOf(true, 12, 0, 0, 500000)},
		{col: "c_time_zero6", ddl: "TIME(6)", lit: "'00:00:00'", goVal: int64(0), pyVal: int64(0)},
		{col: "c_time_frac3", ddl: "TIME(3)", lit: "'23:59:59.999'", goVal: microsOf(false, 23, 59, 59, 999000), pyVal: microsOf(false, 23, 59, 59, 999000)},

		// DATETIME(0-3): Timestamp (ms), DATETIME(4-6): MicroTimestamp (µs), read as UTC.
		{col: "c_dt0", ddl: "DATETIME", lit: "'2024-02-29 23:59:59'", goVal: ms("2024-02-29 23:59:59"), pyVal: ms("2024-02-29 23:59:59"), schema: timestampMs},
		{col: "c_dt1", ddl: "DATETIME(1)", lit: "'2024-02-29 12:34:56.1'", goVal: ms("2024-02-29 12:34:56.1"), pyVal: ms("2024-02-29 12:34:56.1"), schema: timestampMs},
		{col: "c_dt2", ddl: "DATETIME(2)", lit: "'2024-02-29 12:34:56.12'", goVal: ms("2024-02-29 12:34:56.12"), pyVal: ms("2024-02-29 12:34:56.12"), schema: timestampMs},
		{col: "c_dt3", ddl: "DATETIME(3)", lit: "'2024-02-29 12:34:56.123'", goVal: ms("2024-02-29 12:34:56.123"), pyVal: ms("2024-02-29 12:34:56.123"), schema: timestampMs},
		{col: "c_dt4", ddl: "DATETIME(4)", lit: "'2024-02-29 12:34:56.1234'", goVal: us("2024-02-29 12:34:56.1234"), pyVal: us("2024-02-29 12:34:56.1234"), schema: timestampUs},
		{col: "c_dt5", ddl: "DATETIME(5)", lit: "'2024-02-29 12:34:56.12345'", goVal: us("2024-02-29 12:34:56.12345"), pyVal: us("2024-02-29 12:34:56.12345"), schema: timestampUs},
		{col: "c_dt6", ddl: "DATETIME(6)", lit: "'2024-02-29 12:34:56.123456'", goVal: us("2024-02-29 12:34:56.123456"), pyVal: us("2024-02-29 12:34:56.123456"), schema: timestampUs},
		{col: "c_dt6_whole", ddl: "DATETIME(6)", lit: "'2024-02-29 12:34:56.000000'", goVal: us("2024-02-29 12:34:56"), pyVal: us("2024-02-29 12:34:56")},
		{col: "c_dt3_pre", ddl: "DATETIME(3)", lit: "'1969-12-31 23:59:59.999'", goVal: int64(-1), pyVal: int64(-1)},
		{col: "c_dt6_max", ddl: "DATETIME(6)", lit: "'9999-12-31 23:59:59.999999'", goVal: us("9999-12-31 23:59:59.999999"), pyVal: us("9999-12-31 23:59:59.999999")},
		{col: "c_dt0_old", ddl: "DATETIME", lit: "'1000-01-01 00:00:00'", goVal: ms("1000-01-01 00:00:00"), pyVal: ms("1000-01-01 00:00:00")},
		{col: "c_dt0_zero_year", ddl: "DATETIME", lit: "'0000-01-01 10:00:00'", goVal: nil, pyVal: nil},
		{col: "c_dt0_zero", ddl: "DATETIME", lit: "'0000-00-00 00:00:00'", goVal: nil, pyVal: nil},
		{col: "c_dt6_zero", ddl: "DATETIME(6)", lit: "'0000-00-00 00:00:00.000000'", goVal: nil, pyVal: nil},
		{col: "c_dt3_zero_day", ddl: "DATETIME(3)", lit: "'2024-01-00 10:00:00.000'", goVal: nil, pyVal: nil},
		{col: "c_dt0_zero_nn", ddl: "DATETIME NOT NULL", lit: "'0000-00-00 00:00:00'", goVal: int64(0), pyVal: int64(0),
			schema: `{"type":"long","connect.name":"io.debezium.time.Timestamp"}`},
		{col: "c_dt6_zero_nn", ddl: "DATETIME(6) NOT NULL", lit: "'0000-00-00 00:00:00'", goVal: int64(0), pyVal: int64(0),
			schema: `{"type":"long","connect.name":"io.debezium.time.MicroTimestamp"}`},

		// TIMESTAMP(p): ZonedTimestamp in UTC with exactly p fraction digits. The rows are
		// inserted with time_zone +02:00, so the UTC instants are two hours earlier.
		{col: "c_ts0", ddl: "TIMESTAMP NULL", lit: "'2024-02-29 12:34:56'", goVal: "2024-02-29T10:34:56Z", pyVal: "2024-02-29T10:34:56Z", schema: zoned},
		{col: "c_ts1", ddl: "TIMESTAMP(1) NULL", lit: "'2024-02-29 12:34:56.1'", goVal: "2024-02-29T10:34:56.1Z", pyVal: "2024-02-29T10:34:56.1Z", schema: zoned},
		{col: "c_ts2", ddl: "TIMESTAMP(2) NULL", lit: "'2024-02-29 12:34:56.10'", goVal: "2024-02-29T10:34:56.10Z", pyVal: "2024-02-29T10:34:56.10Z"},
		{col: "c_ts3", ddl: "TIMESTAMP(3) NULL", lit: "'2024-02-29 12:34:56.12'", goVal: "2024-02-29T10:34:56.120Z", pyVal: "2024-02-29T10:34:56.120Z", schema: zoned},
		{col: "c_ts4", ddl: "TIMESTAMP(4) NULL", lit: "'2024-02-29 12:34:56.1234'", goVal: "2024-02-29T10:34:56.1234Z", pyVal: "2024-02-29T10:34:56.1234Z"},
		{col: "c_ts5", ddl: "TIMESTAMP(5) NULL", lit: "'2024-02-29 01:00:00.00001'", goVal: "2024-02-28T23:00:00.00001Z", pyVal: "2024-02-28T23:00:00.00001Z"},
		{col: "c_ts6", ddl: "TIMESTAMP(6) NULL", lit: "'1970-01-01 02:00:01.000001'", goVal: "1970-01-01T00:00:01.000001Z", pyVal: "1970-01-01T00:00:01.000001Z", schema: zoned},
		{col: "c_ts6_whole", ddl: "TIMESTAMP(6) NULL", lit: "'2024-02-29 12:34:56'", goVal: "2024-02-29T10:34:56.000000Z", pyVal: "2024-02-29T10:34:56.000000Z"},
		{col: "c_ts0_max", ddl: "TIMESTAMP NULL", lit: "'2038-01-19 05:14:07'", goVal: "2038-01-19T03:14:07Z", pyVal: "2038-01-19T03:14:07Z"},
		{col: "c_ts3_zero_nn", ddl: "TIMESTAMP(3) NOT NULL DEFAULT '2000-01-01 00:00:00'", lit: "'0000-00-00 00:00:00'",
			goVal: "1970-01-01T00:00:00.000Z", pyVal: "1970-01-01T00:00:00.000Z", schema: zoned},

		{col: "c_year", ddl: "YEAR", lit: "2024", goVal: int32(2024), pyVal: int64(2024),
			schema: `{"type":"int","connect.version":1,"connect.name":"io.debezium.time.Year"}`},
		{col: "c_year_min", ddl: "YEAR", lit: "1901", goVal: int32(1901), pyVal: int64(1901)},
		{col: "c_year_max", ddl: "YEAR", lit: "2155", goVal: int32(2155), pyVal: int64(2155)},

		{col: "c_enum", ddl: "ENUM('small','medium','it''s')", lit: "'it''s'", goVal: "it's", pyVal: "it's",
			schema: `{"type":"string","connect.version":1,"connect.name":"io.debezium.data.Enum",
				"connect.parameters":{"allowed":"small,medium,it's"}}`},
		{col: "c_enum_first", ddl: "ENUM('small','medium')", lit: "'small'", goVal: "small", pyVal: "small"},
		{col: "c_set", ddl: "SET('x','y','z')", lit: "'z,x'", goVal: "x,z", pyVal: "x,z",
			schema: `{"type":"string","connect.version":1,"connect.name":"io.debezium.data.EnumSet",
				"connect.parameters":{"allowed":"x,y,z"}}`},
		{col: "c_set_empty", ddl: "SET('x','y','z')", lit: "''", goVal: "", pyVal: ""},
		{col: "c_set_all", ddl: "SET('x','y','z')", lit: "'y,z,x'", goVal: "x,y,z", pyVal: "x,y,z"},

		// MariaDB's JSON is LONGTEXT with a json_valid check: the text as written.
		{col: "c_json", ddl: "JSON", lit: "'" + jsonDoc + "'", goVal: jsonDoc, pyVal: jsonDoc,
			schema: `{"type":"string","connect.version":1,"connect.name":"io.debezium.data.Json"}`},
		{col: "c_json_scalar", ddl: "JSON", lit: "'\"s\"'", goVal: `"s"`, pyVal: `"s"`},

		// Spatial types: WKB bytes without MySQL's SRID prefix (EVENT-FORMAT.md: differs
		// from Debezium's {wkb, srid} struct).
		{col: "c_geometry", ddl: "GEOMETRY", lit: "ST_GeomFromText('POINT(1 2)')", goVal: point12, pyVal: pyBytes(point12),
			schema: `{"type":"bytes"}`},
		{col: "c_point_srid", ddl: "POINT", lit: "ST_GeomFromText('POINT(1 2)', 4326)", goVal: point12, pyVal: pyBytes(point12)},
		{col: "c_linestring", ddl: "LINESTRING", lit: "ST_GeomFromText('LINESTRING(0 0, 1.5 -2.25)')", goVal: line, pyVal: pyBytes(line)},
	}
}

// TestMySQLTypes writes every MySQL/MariaDB column type once with a value (row 1) and once
// NULL (row 2; NOT NULL columns get the row 1 value again) and checks both decoders and
// the registered schema against EVENT-FORMAT.md.
func TestMySQLTypes(t *testing.T) {
	t.Parallel()
	cases := mysqlTypeCases()
	dsn := testmaria.NewDB(t)
	db := mariaDB(t, dsn)
	notNull := func(c typeCase) bool { return strings.Contains(c.ddl, "NOT NULL") }
	var cols, lits, nulls []string
	for _, c := range cases {
		cols = append(cols, c.col+" "+c.ddl)
		lits = append(lits, c.lit)
		if notNull(c) {
			nulls = append(nulls, c.lit)
		} else {
			nulls = append(nulls, "NULL")
		}
	}
	testmaria.Exec(t, dsn, `CREATE TABLE types (id INT PRIMARY KEY, `+strings.Join(cols, ", ")+`) CHARACTER SET utf8mb4`)
	h := newHarness(t, dsn, []string{db + ".types"}, "")
	h.kind = "mysql"
	h.start()
	testmaria.Exec(t, dsn,
		// TIMESTAMP literals are read in the session's zone; zero dates need a lax sql_mode.
		`SET time_zone = '+02:00'`, `SET sql_mode = ''`, `SET NAMES utf8mb4`,
		`INSERT INTO types VALUES (1, `+strings.Join(lits, ", ")+`)`,
		`INSERT INTO types VALUES (2, `+strings.Join(nulls, ", ")+`)`)

	topic := h.name + "." + db + ".types"
	msgs := h.waitRecords(topic, 2)
	if len(msgs) != 2 {
		t.Fatalf("got %d records in %s, want 2", len(msgs), topic)
	}

	// 1. Dovetail's Go decoder.
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
			t.Errorf("go: %s (%s) = %s missing from after", c.col, c.ddl, c.lit)
		case !goEqual(got, c.goVal):
			t.Errorf("go: %s (%s) = %s: got %#v (%T), want %#v (%T)%s", c.col, c.ddl, c.lit, got, got, c.goVal, c.goVal, note(c))
		}
		want := any(nil)
		if notNull(c) {
			want = c.goVal
		}
		if got, ok := rows[2][c.col]; !ok || !goEqual(got, want) {
			t.Errorf("go: NULL row %s (%s) = %#v, want %#v", c.col, c.ddl, got, want)
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
			t.Errorf("python: %s (%s) = %s: got %#v, want %s%s", c.col, c.ddl, c.lit, got, pyShow(c.pyVal), note(c))
		}
		want := any(nil)
		if notNull(c) {
			want = c.pyVal
		}
		if got, ok := pyRows["2"][c.col]; !ok || !pyEqual(got, want) {
			t.Errorf("python: NULL row %s (%s) = %#v, want %s", c.col, c.ddl, got, pyShow(want))
		}
	}

	// 3. The registered value schema: Connect annotations; nullable columns as
	// ["null", T] with default null, NOT NULL ones as T.
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
		branch := f["type"]
		if !notNull(c) {
			union, ok := f["type"].([]any)
			if !ok || len(union) != 2 || union[0] != "null" {
				t.Errorf("schema: %s type = %v, want [\"null\", T]", c.col, f["type"])
				continue
			}
			if d, ok := f["default"]; !ok || d != nil {
				t.Errorf("schema: %s default = %v (present %v), want null", c.col, d, ok)
			}
			branch = union[1]
		}
		if c.schema == "" {
			continue
		}
		var want map[string]any
		if err := json.Unmarshal([]byte(c.schema), &want); err != nil {
			t.Fatalf("case %s schema: %v", c.col, err)
		}
		got, ok := branch.(map[string]any)
		if !ok {
			got = map[string]any{"type": branch}
		}
		for k, w := range want {
			if g := got[k]; !reflect.DeepEqual(g, w) {
				t.Errorf("schema: %s (%s) %s = %v, want %v%s", c.col, c.ddl, k, g, w, note(c))
			}
		}
	}
}

// TestMySQLTypesDDL changes a captured table while the pipeline streams it: after each of
// ADD, DROP, RENAME and MODIFY COLUMN the next rows arrive in the new shape, decode with
// both decoders, and carry a new registered version of the value schema.
func TestMySQLTypesDDL(t *testing.T) {
	t.Parallel()
	dsn := testmaria.NewDB(t)
	db := mariaDB(t, dsn)
	testmaria.Exec(t, dsn, `CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20), qty INT NOT NULL, note VARCHAR(10))`)
	h := newHarness(t, dsn, []string{db + ".items"}, "")
	h.kind = "mysql"
	h.start()
	topic := h.name + "." + db + ".items"

	const big = 1 << 40 // only fits qty after MODIFY ... BIGINT
	steps := []struct {
		ddl    string // "" for the rows before any DDL
		insert string
		cols   string // the columns of the rows after the step, in order
		qty    any    // the inserted row's qty as the Go decoder yields it
	}{
		{"", `INSERT INTO items VALUES (1, 'one', 1, 'n1')`, "id,name,qty,note", int32(1)},
		{`ALTER TABLE items ADD COLUMN price DECIMAL(6,2)`, `INSERT INTO items VALUES (2, 'two', 2, 'n2', 2.50)`,
			"id,name,qty,note,price", int32(2)},
		{`ALTER TABLE items DROP COLUMN note`, `INSERT INTO items VALUES (3, 'three', 3, 3.00)`, "id,name,qty,price", int32(3)},
		{`ALTER TABLE items RENAME COLUMN name TO title`, `INSERT INTO items VALUES (4, 'four', 4, 4.00)`, "id,title,qty,price", int32(4)},
		{`ALTER TABLE items MODIFY qty BIGINT NOT NULL`, fmt.Sprintf(`INSERT INTO items VALUES (5, 'five', %d, 5.00)`, int64(big)),
			"id,title,qty,price", int64(big)},
	}
	for i, s := range steps {
		if s.ddl != "" {
			testmaria.Exec(t, dsn, s.ddl)
		}
		testmaria.Exec(t, dsn, s.insert)
		h.waitRecords(topic, i+1)
	}
	// An update after the last DDL: before and after both in the last shape.
	testmaria.Exec(t, dsn, `UPDATE items SET qty = qty + 1 WHERE id = 1`)
	msgs := h.waitRecords(topic, len(steps)+1)
	if len(msgs) != len(steps)+1 {
		t.Fatalf("%d records, want %d", len(msgs), len(steps)+1)
	}

	// fieldsOf lists a row's fields in the order of want (unknown ones last).
	fieldsOf := func(row map[string]any, want string) string {
		order := want + ","
		var cols []string
		for f := range row {
			cols = append(cols, f)
		}
		slices.SortFunc(cols, func(a, b string) int {
			ia, ib := strings.Index(order, a+","), strings.Index(order, b+",")
			if ia < 0 || ib < 0 {
				return strings.Compare(a, b)
			}
			return ia - ib
		})
		return strings.Join(cols, ",")
	}
	last := steps[len(steps)-1].cols

	// Records of different rows may sit in different partitions: compare by id.
	for _, m := range msgs {
		v := plain(h.decode(m.Value)).(map[string]any)
		after := v["after"].(map[string]any)
		id := after["id"].(int32)
		if v["op"] == "u" {
			before, _ := v["before"].(map[string]any)
			if got := fieldsOf(before, last); got != last {
				t.Errorf("go: update before has columns %s, want %s", got, last)
			}
			if got := fieldsOf(after, last); got != last {
				t.Errorf("go: update after has columns %s, want %s", got, last)
			}
			if before["qty"] != int64(1) || after["qty"] != int64(2) || after["title"] != "one" {
				t.Errorf("go: update of row 1: before %v, after %v; want qty 1 -> 2 as longs, title one", before, after)
			}
			continue
		}
		s := steps[id-1]
		if got := fieldsOf(after, s.cols); got != s.cols {
			t.Errorf("go: row %d (after %q) has columns %s, want %s", id, s.ddl, got, s.cols)
		}
		if !goEqual(after["qty"], s.qty) {
			t.Errorf("go: row %d qty = %#v (%T), want %#v (%T)", id, after["qty"], after["qty"], s.qty, s.qty)
		}
		if want, ok := map[int32]string{2: "2.5", 3: "3", 4: "4", 5: "5"}[id]; ok && !goEqual(after["price"], rat(want)) {
			t.Errorf("go: row %d price = %v, want %s", id, after["price"], want)
		}
	}

	// The independent decoder: the same shapes, one schema id per shape.
	recs := h.pythonDecode(topic)
	if len(recs) != len(steps)+1 {
		t.Fatalf("independent decoder read %d records, want %d", len(recs), len(steps)+1)
	}
	schemaOf := map[string]string{} // value schema id -> columns
	for _, r := range recs {
		v, _ := r["value"].(map[string]any)
		after, _ := v["after"].(map[string]any)
		id := fmt.Sprint(after["id"])
		want := last
		if v["op"] != "u" {
			n, err := strconv.Atoi(id)
			if err != nil || n < 1 || n > len(steps) {
				t.Fatalf("python: unexpected row id %s", id)
			}
			want = steps[n-1].cols
		}
		if got := fieldsOf(after, want); got != want {
			t.Errorf("python: row %s (op %v) has columns %s, want %s", id, v["op"], got, want)
		}
		if v["op"] == "u" && !pyEqual(after["qty"], int64(2)) {
			t.Errorf("python: updated qty = %v, want 2", after["qty"])
		}
		if id == "5" && !pyEqual(after["qty"], int64(big)) {
			t.Errorf("python: row 5 qty = %v, want %d", after["qty"], int64(big))
		}
		if id == "2" && !pyEqual(after["price"], pyDecimal("2.50")) {
			t.Errorf("python: row 2 price = %v, want 2.50", after["price"])
		}
		sid := fmt.Sprint(r["value_schema_id"])
		if prev, ok := schemaOf[sid]; ok && prev != want {
			t.Errorf("python: value schema %s used for shapes %s and %s", sid, prev, want)
		}
		schemaOf[sid] = want
	}
	if len(schemaOf) != len(steps) {
		t.Errorf("records carry %d value schemas, want one per shape (%d): %v", len(schemaOf), len(steps), schemaOf)
	}

	// One registry version of the value subject per shape; the last has qty as long.
	client, err := registry.NewClient(h.regURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := client.Versions(context.Background(), topic+"-value")
	if err != nil || len(versions) != len(steps) {
		t.Errorf("value subject versions %v, %v; want %d", versions, err, len(steps))
	}
	if f := valueFields(t, h, topic)["qty"]; f == nil || f["type"] != "long" {
		t.Errorf("latest value schema: qty = %v, want a required long", f)
	}

	// Each DDL is on the schema change topic.
	changes := h.waitRecords(h.name, len(steps)-1)
	var ddls, want []string
	for _, m := range changes {
		ddls = append(ddls, plain(h.decode(m.Value)).(map[string]any)["ddl"].(string))
	}
	for _, s := range steps[1:] {
		want = append(want, s.ddl)
	}
	if !slices.Equal(ddls, want) {
		t.Errorf("schema change topic: %q, want %q", ddls, want)
	}
}
