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
)

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

func days(y, m, d int64) int32 { return int32(daysFromCivil(y, m, d)) }

func micros(y, m, d, hh, mm, ss, us int64) int64 {
	return daysFromCivil(y, m, d)*86_400_000_000 + ((hh*60+mm)*60+ss)*1_000_000 + us
}

func wkbPoint(x, y float64) []byte {
	b := []byte{1, 1, 0, 0, 0}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(y))
}

// TestTypes inserts every type at its limits and checks the decoded values and types.
// The insert runs with time_zone +02:00, so TIMESTAMP values come out two hours earlier
// in UTC, and with sql_mode ” to allow zero dates.
func TestTypes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		def, lit string
		want     any
		kind     event.Kind
		name     string
		params   map[string]string
	}{
		{"TINYINT", "-128", int32(-128), event.KindInt16, "", nil},
		{"TINYINT", "127", int32(127), event.KindInt16, "", nil},
		{"TINYINT UNSIGNED", "255", int32(255), event.KindInt16, "", nil},
		{"BOOL", "1", int32(1), event.KindInt16, "", nil},
		{"SMALLINT", "-32768", int32(-32768), event.KindInt16, "", nil},
		{"SMALLINT UNSIGNED", "65535", int32(65535), event.KindInt32, "", nil},
		{"MEDIUMINT", "-8388608", int32(-8388608), event.KindInt32, "", nil},
		{"MEDIUMINT UNSIGNED", "16777215", int32(16777215), event.KindInt32, "", nil},
		{"INT", "-2147483648", int32(math.MinInt32), event.KindInt32, "", nil},
		{"INT UNSIGNED", "4294967295", int64(math.MaxUint32), event.KindInt64, "", nil},
		{"BIGINT", "-9223372036854775808", int64(math.MinInt64), event.KindInt64, "", nil},
		{"BIGINT", "9223372036854775807", int64(math.MaxInt64), event.KindInt64, "", nil},
		{"BIGINT UNSIGNED", "18446744073709551615", rat("18446744073709551615"), event.KindDecimal, "org.apache.kafka.connect.data.Decimal", nil},
		{"BIGINT UNSIGNED", "9223372036854775808", rat("9223372036854775808"), event.KindDecimal, "org.apache.kafka.connect.data.Decimal", nil},
		{"DECIMAL(65,30)", "-99999999999999999999999999999999999.999999999999999999999999999999",
			rat("-99999999999999999999999999999999999.999999999999999999999999999999"), event.KindDecimal, "org.apache.kafka.connect.data.Decimal", nil},
		{"DECIMAL(10,2) UNSIGNED", "0.01", rat("0.01"), event.KindDecimal, "org.apache.kafka.connect.data.Decimal", nil},
		{"FLOAT", "1.5", float32(1.5), event.KindFloat32, "", nil},
		{"DOUBLE", "-1.7976931348623157e308", -math.MaxFloat64, event.KindFloat64, "", nil},
		{"BIT(1)", "b'1'", true, event.KindBoolean, "", nil},
		{"BIT(64)", "b'" + strings.Repeat("1", 64) + "'", bytes.Repeat([]byte{0xff}, 8), event.KindBytes, "io.debezium.data.Bits", map[string]string{"length": "64"}},
		{"BIT(10)", "b'1000000001'", []byte{0x01, 0x02}, event.KindBytes, "io.debezium.data.Bits", map[string]string{"length": "10"}},
		{"VARCHAR(20)", "'😀é'", "😀é", event.KindString, "", nil},
		{"VARCHAR(20)", "''", "", event.KindString, "", nil},
		{"CHAR(5)", "'ab'", "ab", event.KindString, "", nil},
		{"VARCHAR(10) CHARACTER SET latin1", "'é€'", "é€", event.KindString, "", nil},
		{"TEXT CHARACTER SET latin1", "'café'", "café", event.KindString, "", nil},
		{"LONGTEXT", "'𝄞 clef'", "𝄞 clef", event.KindString, "", nil},
		{"BINARY(4)", "x'0102'", []byte{1, 2, 0, 0}, event.KindBytes, "", nil},
		{"VARBINARY(10)", "x'00ff'", []byte{0, 0xff}, event.KindBytes, "", nil},
		{"BLOB", "''", []byte{}, event.KindBytes, "", nil},
		{"DATE", "'2024-02-29'", days(2024, 2, 29), event.KindInt32, "io.debezium.time.Date", nil},
		{"DATE", "'1000-01-01'", days(1000, 1, 1), event.KindInt32, "io.debezium.time.Date", nil},
		{"DATE", "'0000-00-00'", nil, event.KindInt32, "io.debezium.time.Date", nil},
		{"DATE NOT NULL", "'0000-00-00'", int32(0), event.KindInt32, "io.debezium.time.Date", nil},
		{"TIME", "'-838:59:59'", -int64((838*3600 + 59*60 + 59) * 1e6), event.KindInt64, "io.debezium.time.MicroTime", nil},
		{"TIME(6)", "'838:59:59.000000'", int64((838*3600 + 59*60 + 59) * 1e6), event.KindInt64, "io.debezium.time.MicroTime", nil},
		{"TIME(3)", "'-00:00:01.5'", int64(-1_500_000), event.KindInt64, "io.debezium.time.MicroTime", nil},
		{"DATETIME", "'2024-01-02 03:04:05'", micros(2024, 1, 2, 3, 4, 5, 0) / 1000, event.KindInt64, "io.debezium.time.Timestamp", nil},
		{"DATETIME(3)", "'1969-12-31 23:59:59.999'", int64(-1), event.KindInt64, "io.debezium.time.Timestamp", nil},
		{"DATETIME(6)", "'9999-12-31 23:59:59.999999'", micros(9999, 12, 31, 23, 59, 59, 999999), event.KindInt64, "io.debezium.time.MicroTimestamp", nil},
		{"DATETIME(4)", "'2024-01-02 03:04:05.1234'", micros(2024, 1, 2, 3, 4, 5, 123400), event.KindInt64, "io.debezium.time.MicroTimestamp", nil},
		{"DATETIME", "'0000-00-00 00:00:00'", nil, event.KindInt64, "io.debezium.time.Timestamp", nil},
		{"TIMESTAMP(3) NULL", "'2024-01-02 05:04:05.12'", "2024-01-02T03:04:05.120Z", event.KindString, "io.debezium.time.ZonedTimestamp", nil},
		{"TIMESTAMP NULL", "'2038-01-19 05:14:07'", "2038-01-19T03:14:07Z", event.KindString, "io.debezium.time.ZonedTimestamp", nil},
		{"TIMESTAMP(6) NULL", "'1970-01-01 02:00:01.000001'", "1970-01-01T00:00:01.000001Z", event.KindString, "io.debezium.time.ZonedTimestamp", nil},
		{"YEAR", "2155", int32(2155), event.KindInt32, "io.debezium.time.Year", nil},
		{"YEAR", "1901", int32(1901), event.KindInt32, "io.debezium.time.Year", nil},
		{"ENUM('a','b''c')", "'b''c'", "b'c", event.KindString, "io.debezium.data.Enum", map[string]string{"allowed": "a,b'c"}},
		{"SET('x','y','z')", "'z,x'", "x,z", event.KindString, "io.debezium.data.EnumSet", map[string]string{"allowed": "x,y,z"}},
		{"JSON", `'{"a": [1, 2]}'`, `{"a": [1, 2]}`, event.KindString, "io.debezium.data.Json", nil},
		{"POINT", "ST_GeomFromText('POINT(1 2)')", wkbPoint(1, 2), event.KindBytes, "", nil},
		{"GEOMETRY", "ST_GeomFromText('POINT(-1.5 0)')", wkbPoint(-1.5, 0), event.KindBytes, "", nil},
	}
	dsn := testmaria.NewDB(t)
	var defs, lits, nulls []string
	for i, c := range cases {
		defs = append(defs, fmt.Sprintf("c%d %s", i, c.def))
		lits = append(lits, c.lit)
		if strings.Contains(c.def, "NOT NULL") {
			nulls = append(nulls, c.lit)
		} else {
			nulls = append(nulls, "NULL")
		}
	}
	testmaria.Exec(t, dsn, "CREATE TABLE t (id INT PRIMARY KEY, "+strings.Join(defs, ", ")+")")
	r := start(t, testConfig(t, dsn))
	testmaria.Exec(t, dsn, "SET time_zone = '+02:00'", "SET sql_mode = ''",
		"INSERT INTO t VALUES (1, "+strings.Join(lits, ", ")+")",
		"INSERT INTO t VALUES (2, "+strings.Join(nulls, ", ")+")")
	cs := r.rec.waitChanges(t, 2)
	tbl := cs[0].Table
	for i, c := range cases {
		col := tbl.Columns[i+1]
		got := cs[0].After[i+1]
		if !equalValue(got, c.want) || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", c.want) {
			t.Errorf("%s = %s: got %T %v, want %T %v", c.def, c.lit, got, got, c.want, c.want)
		}
		if col.Type.Kind != c.kind || col.Type.Name != c.name || fmt.Sprint(col.Type.Params) != fmt.Sprint(c.params) {
			t.Errorf("%s: type %s %q %v, want %s %q %v", c.def, col.Type.Kind, col.Type.Name, col.Type.Params, c.kind, c.name, c.params)
		}
		if col.Optional == strings.Contains(c.def, "NOT NULL") {
			t.Errorf("%s: optional %v", c.def, col.Optional)
		}
		if null := cs[1].After[i+1]; !strings.Contains(c.def, "NOT NULL") && null != nil {
			t.Errorf("%s = NULL: got %T %v", c.def, null, null)
		}
	}
	if c := tbl.Columns[13].Type; c.Precision != 20 || c.Scale != 0 {
		t.Errorf("bigint unsigned: decimal(%d,%d), want (20,0)", c.Precision, c.Scale)
	}
	if c := tbl.Columns[15].Type; c.Precision != 65 || c.Scale != 30 {
		t.Errorf("decimal(65,30): decimal(%d,%d)", c.Precision, c.Scale)
	}
}

func TestTextDecoderCharsets(t *testing.T) {
	for _, tc := range []struct {
		charset string
		in      []byte
		want    string
	}{
		{"utf8mb4", []byte("Ab"), "Ab"},
		{"latin1", []byte("Ab"), "Ab"},
		{"latin1", []byte{'c', 0xe9}, "cé"},
		{"ucs2", []byte{0, 'A', 0, 'b'}, "Ab"},
		{"utf16", []byte{0, 'A', 0, 'b'}, "Ab"},
		{"utf16le", []byte{'A', 0, 'b', 0}, "Ab"},
		{"utf16", []byte{0, 0xe9}, "é"},
	} {
		dec, err := textDecoder(tc.charset)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dec(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%s %x: %q, %v; want %q", tc.charset, tc.in, got, err, tc.want)
		}
	}
}
