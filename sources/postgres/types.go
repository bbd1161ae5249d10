package postgres

// Type mapping, as Debezium's Postgres connector does by default
// (decimal.handling.mode=precise, time.precision.mode=adaptive,
// interval.handling.mode=numeric, hstore.handling.mode=json, binary.handling.mode=bytes):
//
//	bool                     boolean                                   bool
//	bit(1), varbit(1)        boolean                                   bool
//	bit(n), varbit(n)        bytes io.debezium.data.Bits length=n      []byte, little-endian
//	                         (varbit without n: length=2147483647)     (BitSet.toByteArray)
//	int2                     int16                                     int32
//	int4                     int32                                     int32
//	int8, oid                int64                                     int64
//	float4 / float8          float32 / float64 (NaN, ±Inf kept)        float32 / float64
//	numeric(p,s)             decimal(p,s) Decimal                      *big.Rat
//	numeric                  io.debezium.data.VariableScaleDecimal     event.VarDecimal
//	money                    decimal(scale 2) Decimal, precision 0     *big.Rat
//	char, varchar, text,     string                                    string
//	  bpchar, name, "char",
//	  citext, inet, cidr,
//	  macaddr(8), ranges
//	bytea                    bytes                                     []byte
//	date                     int32 io.debezium.time.Date               int32 days; ±infinity as Debezium (-2147472692/-2147472691)
//	time(0-3)                int32 io.debezium.time.Time               int32 ms past midnight
//	time(4-6), time          int64 io.debezium.time.MicroTime          int64 µs past midnight
//	timetz                   string io.debezium.time.ZonedTime         "15:04:05.999999Z" in UTC
//	timestamp(0-3)           int64 io.debezium.time.Timestamp          int64 ms since epoch
//	timestamp(4-6), timestamp int64 io.debezium.time.MicroTimestamp    int64 µs since epoch
//	timestamptz              string io.debezium.time.ZonedTimestamp    ISO-8601 UTC; "infinity"
//	interval                 int64 io.debezium.time.MicroDuration      int64 µs (month = 30.4375 days)
//	uuid                     string io.debezium.data.Uuid              string
//	json, jsonb              string io.debezium.data.Json              string
//	hstore                   string io.debezium.data.Json              JSON object text
//	xml                      string io.debezium.data.Xml               string
//	ltree                    string io.debezium.data.Ltree             string
//	enum                     string io.debezium.data.Enum allowed=a,b  string
//	domain                   its base type (domain typmod applies)
//	T[]                      array of T, elements optional             []any (NULL -> nil), flattened
//
// Deviations, each because the event model or good sense asks for it:
//   - point is a string "(x,y)"; Debezium writes an io.debezium.data.geometry.Point struct,
//     which the event model cannot express.
//   - arrays of bytea, money, interval, varbit, xml and point are mapped like other arrays;
//     Debezium leaves such columns out of the event.
//   - multidimensional arrays are flattened in row-major order.
//   - numeric NaN/±Infinity fail the stream with ErrSpecialNumeric, as Debezium's precise
//     mode does ("Got a special value (NaN/Infinity) for Decimal type").
//   - types Debezium does not know (include.unknown.datatypes=false drops them) are captured
//     as their text form (string) with a debug log.

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// ErrSpecialNumeric is returned for a numeric NaN or ±Infinity, which a Kafka Connect
// Decimal (Debezium's precise mode) cannot carry.
var ErrSpecialNumeric = errors.New("numeric NaN/Infinity cannot be written as a Kafka Connect Decimal (Debezium's decimal.handling.mode=precise fails the same way)")

// Built-in type OIDs (pg_type.dat); they are stable across versions.
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidJSON        = 114
	oidXML         = 142
	oidPoint       = 600
	oidCIDR        = 650
	oidFloat4      = 700
	oidFloat8      = 701
	oidMacaddr8    = 774
	oidMoney       = 790
	oidMacaddr     = 829
	oidInet        = 869
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestampTZ = 1184
	oidInterval    = 1186
	oidTimeTZ      = 1266
	oidBit         = 1560
	oidVarbit      = 1562
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

// builtinArrays maps built-in array type OIDs to their element OIDs, so common arrays
// decode without a catalog query.
var builtinArrays = map[uint32]uint32{
	1000: oidBool, 1001: oidBytea, 1002: oidChar, 1003: oidName, 1005: oidInt2, 1007: oidInt4,
	1009: oidText, 1028: oidOID, 1014: oidBPChar, 1015: oidVarchar, 1016: oidInt8,
	1021: oidFloat4, 1022: oidFloat8, 1231: oidNumeric, 1182: oidDate, 1183: oidTime,
	1115: oidTimestamp, 1185: oidTimestampTZ, 1270: oidTimeTZ, 1187: oidInterval,
	2951: oidUUID, 199: oidJSON, 3807: oidJSONB, 143: oidXML, 1561: oidBit, 1563: oidVarbit,
	791: oidMoney, 1041: oidInet, 651: oidCIDR, 1040: oidMacaddr, 775: oidMacaddr8,
	1017: oidPoint,
}

// pgType is what the catalog says about a type that is not built in.
type pgType struct {
	OID      uint32
	Schema   string
	Name     string
	Type     byte   // pg_type.typtype: b base, d domain, e enum, r range, c composite…
	Elem     uint32 // element type of an array type (typcategory A), else 0
	Base     uint32 // base type of a domain
	BaseMod  int32  // typmod of a domain
	Delim    byte
	EnumVals []string
}

// codec is a column's event type and the decoder of its text values.
type codec struct {
	typ    event.Type
	decode func(string) (any, error)
	// zero is Debezium's fallback for a required column whose value was not sent.
	zero any
}

// typeLookup returns the catalog entry of a type that is not built in.
type typeLookup func(oid uint32) (*pgType, error)

// codecFor maps a column's type OID and typmod to its codec. lookup may be nil when only
// built-in types occur (tests, benchmarks).
func codecFor(oid uint32, typmod int32, lookup typeLookup) (codec, error) {
	return codecDepth(oid, typmod, lookup, 0)
}

func codecDepth(oid uint32, typmod int32, lookup typeLookup, depth int) (codec, error) {
	if depth > 8 {
		return codec{}, fmt.Errorf("type %d: domains/arrays nested too deeply", oid)
	}
	if c, ok := builtinCodec(oid, typmod); ok {
		return c, nil
	}
	if elem, ok := builtinArrays[oid]; ok {
		return arrayCodec(elem, typmod, ',', lookup, depth)
	}
	if lookup == nil {
		return textCodec(fmt.Sprint(oid)), nil
	}
	t, err := lookup(oid)
	if err != nil {
		return codec{}, err
	}
	switch {
	case t.Elem != 0:
		return arrayCodec(t.Elem, typmod, t.Delim, lookup, depth)
	case t.Type == 'd':
		mod := typmod
		if mod < 0 {
			mod = t.BaseMod
		}
		c, err := codecDepth(t.Base, mod, lookup, depth+1)
		if err != nil {
			return codec{}, err
		}
		return c, nil
	case t.Type == 'e':
		return codec{
			typ: event.Type{Kind: event.KindString, Name: "io.debezium.data.Enum",
				Params: map[string]string{"allowed": strings.Join(t.EnumVals, ",")}, SourceType: t.Name},
			decode: decodeString, zero: "",
		}, nil
	case t.Name == "hstore":
		return codec{typ: event.Type{Kind: event.KindString, Name: "io.debezium.data.Json", SourceType: "hstore"},
			decode: decodeHstore, zero: "{}"}, nil
	case t.Name == "ltree":
		return codec{typ: event.Type{Kind: event.KindString, Name: "io.debezium.data.Ltree", SourceType: "ltree"},
			decode: decodeString, zero: ""}, nil
	default:
		// citext, ranges, tsvector, extension types…: the text form.
		return textCodec(t.Name), nil
	}
}

func textCodec(name string) codec {
	return codec{typ: event.Type{Kind: event.KindString, SourceType: name}, decode: decodeString, zero: ""}
}

func arrayCodec(elemOID uint32, typmod int32, delim byte, lookup typeLookup, depth int) (codec, error) {
	ec, err := codecDepth(elemOID, typmod, lookup, depth+1)
	if err != nil {
		return codec{}, err
	}
	if delim == 0 {
		delim = ','
	}
	elem := ec.typ
	dec := ec.decode
	return codec{
		typ: event.Type{Kind: event.KindArray, Elem: &elem, SourceType: "_" + elem.SourceType},
		decode: func(s string) (any, error) {
			parts, err := parseArray(s, delim)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(parts))
			for i, p := range parts {
				if p == nil {
					continue
				}
				if out[i], err = dec(*p); err != nil {
					return nil, fmt.Errorf("element %d: %w", i+1, err)
				}
			}
			return out, nil
		},
		zero: []any{},
	}, nil
}

// builtinCodec maps the built-in scalar types.
func builtinCodec(oid uint32, typmod int32) (codec, bool) {
	str := func(src, name string) codec {
		return codec{typ: event.Type{Kind: event.KindString, Name: name, SourceType: src}, decode: decodeString, zero: ""}
	}
	switch oid {
	case oidBool:
		return codec{typ: event.Type{Kind: event.KindBoolean, SourceType: "bool"}, decode: decodeBool, zero: false}, true
	case oidInt2:
		return codec{typ: event.Type{Kind: event.KindInt16, SourceType: "int2"}, decode: decodeInt32, zero: int32(0)}, true
	case oidInt4:
		return codec{typ: event.Type{Kind: event.KindInt32, SourceType: "int4"}, decode: decodeInt32, zero: int32(0)}, true
	case oidInt8:
		return codec{typ: event.Type{Kind: event.KindInt64, SourceType: "int8"}, decode: decodeInt64, zero: int64(0)}, true
	case oidOID:
		return codec{typ: event.Type{Kind: event.KindInt64, SourceType: "oid"}, decode: decodeInt64, zero: int64(0)}, true
	case oidFloat4:
		return codec{typ: event.Type{Kind: event.KindFloat32, SourceType: "float4"}, decode: decodeFloat32, zero: float32(0)}, true
	case oidFloat8:
		return codec{typ: event.Type{Kind: event.KindFloat64, SourceType: "float8"}, decode: decodeFloat64, zero: float64(0)}, true
	case oidNumeric:
		if typmod < 4 {
			return codec{typ: event.Type{Kind: event.KindVarDecimal, Name: "io.debezium.data.VariableScaleDecimal", SourceType: "numeric"},
				decode: decodeVarDecimal, zero: event.VarDecimal{Unscaled: new(big.Int)}}, true
		}
		p, s := numericPrecScale(typmod)
		return codec{typ: event.Type{Kind: event.KindDecimal, Name: "org.apache.kafka.connect.data.Decimal",
			Params:    map[string]string{"scale": strconv.Itoa(s), "connect.decimal.precision": strconv.Itoa(p)},
			Precision: p, Scale: s, SourceType: fmt.Sprintf("numeric(%d,%d)", p, s)},
			decode: decodeDecimal, zero: new(big.Rat)}, true
	case oidMoney:
		return codec{typ: event.Type{Kind: event.KindDecimal, Name: "org.apache.kafka.connect.data.Decimal",
			Params: map[string]string{"scale": "2"}, Scale: 2, SourceType: "money"},
			decode: decodeMoney, zero: new(big.Rat)}, true
	case oidText:
		return str("text", ""), true
	case oidVarchar:
		if typmod >= 4 {
			return str(fmt.Sprintf("varchar(%d)", typmod-4), ""), true
		}
		return str("varchar", ""), true
	case oidBPChar:
		if typmod >= 4 {
			return str(fmt.Sprintf("bpchar(%d)", typmod-4), ""), true
		}
		return str("bpchar", ""), true
	case oidName:
		return str("name", ""), true
	case oidChar:
		return str("char", ""), true
	case oidInet:
		return str("inet", ""), true
	case oidCIDR:
		return str("cidr", ""), true
	case oidMacaddr:
		return str("macaddr", ""), true
	case oidMacaddr8:
		return str("macaddr8", ""), true
	case oidPoint:
		return str("point", ""), true
	case oidUUID:
		return str("uuid", "io.debezium.data.Uuid"), true
	case oidJSON:
		return str("json", "io.debezium.data.Json"), true
	case oidJSONB:
		return str("jsonb", "io.debezium.data.Json"), true
	case oidXML:
		return str("xml", "io.debezium.data.Xml"), true
	case oidBytea:
		return codec{typ: event.Type{Kind: event.KindBytes, SourceType: "bytea"}, decode: decodeBytea, zero: []byte{}}, true
	case oidBit, oidVarbit:
		src := "bit"
		if oid == oidVarbit {
			src = "varbit"
		}
		n := int(typmod)
		if n < 0 {
			if oid == oidBit {
				n = 1 // bit without length is bit(1)
			} else {
				n = math.MaxInt32
			}
		}
		if n <= 1 {
			return codec{typ: event.Type{Kind: event.KindBoolean, SourceType: fmt.Sprintf("%s(%d)", src, n)},
				decode: decodeBit1, zero: false}, true
		}
		if n != math.MaxInt32 {
			src = fmt.Sprintf("%s(%d)", src, n)
		}
		return codec{typ: event.Type{Kind: event.KindBytes, Name: "io.debezium.data.Bits",
			Params: map[string]string{"length": strconv.Itoa(n)}, SourceType: src},
			decode: decodeBits, zero: []byte{}}, true
	case oidDate:
		return codec{typ: event.Type{Kind: event.KindInt32, Name: "io.debezium.time.Date", SourceType: "date"},
			decode: decodeDate, zero: int32(0)}, true
	case oidTime:
		if p := timePrecision(typmod); p <= 3 {
			return codec{typ: event.Type{Kind: event.KindInt32, Name: "io.debezium.time.Time", SourceType: fmt.Sprintf("time(%d)", p)},
				decode: decodeTimeMillis, zero: int32(0)}, true
		}
		return codec{typ: event.Type{Kind: event.KindInt64, Name: "io.debezium.time.MicroTime", SourceType: timeSource("time", typmod)},
			decode: decodeTimeMicros, zero: int64(0)}, true
	case oidTimeTZ:
		return codec{typ: event.Type{Kind: event.KindString, Name: "io.debezium.time.ZonedTime", SourceType: timeSource("timetz", typmod)},
			decode: decodeTimeTZ, zero: "00:00:00Z"}, true
	case oidTimestamp:
		if p := timePrecision(typmod); p <= 3 {
			return codec{typ: event.Type{Kind: event.KindInt64, Name: "io.debezium.time.Timestamp", SourceType: fmt.Sprintf("timestamp(%d)", p)},
				decode: decodeTimestampMillis, zero: int64(0)}, true
		}
		return codec{typ: event.Type{Kind: event.KindInt64, Name: "io.debezium.time.MicroTimestamp", SourceType: timeSource("timestamp", typmod)},
			decode: decodeTimestampMicros, zero: int64(0)}, true
	case oidTimestampTZ:
		p := timePrecision(typmod)
		return codec{typ: event.Type{Kind: event.KindString, Name: "io.debezium.time.ZonedTimestamp", SourceType: timeSource("timestamptz", typmod)},
			decode: func(s string) (any, error) { return decodeTimestampTZ(s, p) }, zero: formatISO(time.Unix(0, 0).UTC(), p)}, true
	case oidInterval:
		return codec{typ: event.Type{Kind: event.KindInt64, Name: "io.debezium.time.MicroDuration", SourceType: "interval"},
			decode: decodeInterval, zero: int64(0)}, true
	}
	return codec{}, false
}

func timePrecision(typmod int32) int {
	if typmod < 0 {
		return 6
	}
	return int(typmod)
}

func timeSource(name string, typmod int32) string {
	if typmod < 0 {
		return name
	}
	return fmt.Sprintf("%s(%d)", name, typmod)
}

// numericPrecScale decodes numeric's typmod ((p << 16 | s) + 4; s is an 11-bit signed
// number since Postgres 15).
func numericPrecScale(typmod int32) (p, s int) {
	m := typmod - 4
	p = int(m>>16) & 0xffff
	s = int((m&0x7ff)^1024) - 1024
	return p, s
}

func decodeString(s string) (any, error) { return s, nil }

func decodeBool(s string) (any, error) {
	switch s {
	case "t":
		return true, nil
	case "f":
		return false, nil
	}
	return nil, fmt.Errorf("bool %q", s)
}

func decodeInt32(s string) (any, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	return int32(v), err
}

func decodeInt64(s string) (any, error) { return strconv.ParseInt(s, 10, 64) }

func decodeFloat32(s string) (any, error) {
	v, err := strconv.ParseFloat(s, 32)
	return float32(v), err
}

func decodeFloat64(s string) (any, error) { return strconv.ParseFloat(s, 64) }

func specialNumeric(s string) bool { return s == "NaN" || s == "Infinity" || s == "-Infinity" }

func decodeDecimal(s string) (any, error) {
	if specialNumeric(s) {
		return nil, ErrSpecialNumeric
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("numeric %q", s)
	}
	return r, nil
}

// decodeVarDecimal parses a numeric into Debezium's VariableScaleDecimal: trailing
// fraction zeros stripped, scale never negative.
func decodeVarDecimal(s string) (any, error) {
	if specialNumeric(s) {
		return nil, ErrSpecialNumeric
	}
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	u, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok || strings.ContainsAny(s, "eE") {
		return nil, fmt.Errorf("numeric %q", s)
	}
	return event.VarDecimal{Scale: int32(len(frac)), Unscaled: u}, nil
}

// decodeMoney parses money's locale-formatted output ($1,234.56, -$1.00, ($1.00)).
func decodeMoney(s string) (any, error) {
	neg := strings.HasPrefix(s, "-") || strings.HasPrefix(s, "(")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c == '.' {
			b.WriteByte(c)
		}
	}
	r, ok := new(big.Rat).SetString(b.String())
	if !ok {
		return nil, fmt.Errorf("money %q", s)
	}
	if neg {
		r.Neg(r)
	}
	return r, nil
}

func decodeBytea(s string) (any, error) {
	if !strings.HasPrefix(s, `\x`) {
		return nil, fmt.Errorf("bytea not in hex format (bytea_output=hex)")
	}
	return hex.DecodeString(s[2:])
}

func decodeBit1(s string) (any, error) {
	v, err := strconv.ParseUint(s, 2, 64)
	if err != nil {
		return nil, fmt.Errorf("bit %q", s)
	}
	return v != 0, nil
}

// decodeBits encodes a bit string as Debezium does: the last character is bit 0, bytes
// little-endian, as many bytes as the highest set bit needs (java.util.BitSet.toByteArray).
func decodeBits(s string) (any, error) {
	n := len(s)
	hi := -1
	for i := 0; i < n; i++ {
		switch s[i] {
		case '1':
			if hi < 0 {
				hi = n - 1 - i
			}
		case '0':
		default:
			return nil, fmt.Errorf("bit string %q", s)
		}
	}
	out := make([]byte, (hi+1+7)/8)
	for i := 0; i < n; i++ {
		if s[i] == '1' {
			bit := n - 1 - i
			out[bit/8] |= 1 << (bit % 8)
		}
	}
	return out, nil
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date
// (astronomical year numbering: 1 BC is year 0).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// Debezium's infinity stand-ins: dates ±infinity become LocalDate -5877611-06-21/22
// (epoch days -2147472692 and -2147472691: yes, both far in the past, as pgjdbc's
// infinity markers turn out); timestamps ±infinity become
// PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY read as microseconds.
var (
	dateInfinity    = int32(daysFromCivil(-5877611, 6, 21))
	dateNegInfinity = int32(daysFromCivil(-5877611, 6, 22))
)

const (
	tsInfinityMicros    int64 = 9223372036825200000
	tsNegInfinityMicros int64 = -9223372036832400000
)

// parseDate parses "YYYY-MM-DD[ BC]" into days since the epoch.
func parseDate(s string) (int64, error) {
	bc := strings.HasSuffix(s, " BC")
	s = strings.TrimSuffix(s, " BC")
	ys, rest, ok := strings.Cut(s, "-")
	if !ok || len(rest) != 5 || rest[2] != '-' {
		return 0, fmt.Errorf("date %q", s)
	}
	y, err1 := strconv.ParseInt(ys, 10, 64)
	m, err2 := strconv.ParseInt(rest[:2], 10, 64)
	d, err3 := strconv.ParseInt(rest[3:], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, fmt.Errorf("date %q", s)
	}
	if bc {
		y = 1 - y
	}
	return daysFromCivil(y, m, d), nil
}

func decodeDate(s string) (any, error) {
	switch s {
	case "infinity":
		return dateInfinity, nil
	case "-infinity":
		return dateNegInfinity, nil
	}
	d, err := parseDate(s)
	if err != nil {
		return nil, err
	}
	return int32(d), nil
}

// parseClock parses "HH:MM:SS[.ffffff]" into microseconds, returning the rest of s.
func parseClock(s string) (int64, string, error) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, "", fmt.Errorf("time %q", s)
	}
	h, err1 := strconv.ParseInt(s[:2], 10, 64)
	m, err2 := strconv.ParseInt(s[3:5], 10, 64)
	sec, err3 := strconv.ParseInt(s[6:8], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, "", fmt.Errorf("time %q", s)
	}
	us := ((h*60+m)*60 + sec) * 1e6
	rest := s[8:]
	if strings.HasPrefix(rest, ".") {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		frac := rest[1:i]
		if len(frac) == 0 || len(frac) > 6 {
			return 0, "", fmt.Errorf("time %q", s)
		}
		f, _ := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		us += f
		rest = rest[i:]
	}
	return us, rest, nil
}

func decodeTimeMicros(s string) (any, error) {
	us, rest, err := parseClock(s)
	if err != nil || rest != "" {
		return nil, fmt.Errorf("time %q", s)
	}
	return us, nil
}

func decodeTimeMillis(s string) (any, error) {
	us, rest, err := parseClock(s)
	if err != nil || rest != "" {
		return nil, fmt.Errorf("time %q", s)
	}
	return int32(us / 1000), nil
}

// parseOffset parses "+HH[:MM[:SS]]" into seconds east of UTC.
func parseOffset(s string) (int64, error) {
	if len(s) < 3 || (s[0] != '+' && s[0] != '-') {
		return 0, fmt.Errorf("zone offset %q", s)
	}
	parts := strings.Split(s[1:], ":")
	if len(parts) > 3 {
		return 0, fmt.Errorf("zone offset %q", s)
	}
	var secs int64
	mult := []int64{3600, 60, 1}
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || len(p) != 2 {
			return 0, fmt.Errorf("zone offset %q", s)
		}
		secs += v * mult[i]
	}
	if s[0] == '-' {
		secs = -secs
	}
	return secs, nil
}

func decodeTimeTZ(s string) (any, error) {
	us, rest, err := parseClock(s)
	if err != nil {
		return nil, err
	}
	off, err := parseOffset(rest)
	if err != nil {
		return nil, fmt.Errorf("timetz %q: %w", s, err)
	}
	const day = 86400 * int64(1e6)
	us = ((us-off*1e6)%day + day) % day
	return time.UnixMicro(us).UTC().Format("15:04:05.999999Z07:00"), nil
}

// parseTimestamp parses "YYYY-MM-DD HH:MM:SS[.ffffff][+zz[:zz[:zz]]][ BC]" into
// microseconds since the epoch of the local (or, with an offset, UTC) time.
func parseTimestamp(s string, withZone bool) (int64, error) {
	bc := strings.HasSuffix(s, " BC")
	body := strings.TrimSuffix(s, " BC")
	date, clock, ok := strings.Cut(body, " ")
	if !ok {
		return 0, fmt.Errorf("timestamp %q", s)
	}
	if bc {
		date += " BC"
	}
	days, err := parseDate(date)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q", s)
	}
	us, rest, err := parseClock(clock)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q", s)
	}
	us += days * 86400 * 1e6
	if withZone {
		off, err := parseOffset(rest)
		if err != nil {
			return 0, fmt.Errorf("timestamptz %q: %w", s, err)
		}
		us -= off * 1e6
	} else if rest != "" {
		return 0, fmt.Errorf("timestamp %q", s)
	}
	return us, nil
}

func decodeTimestampMicros(s string) (any, error) {
	switch s {
	case "infinity":
		return tsInfinityMicros, nil
	case "-infinity":
		return tsNegInfinityMicros, nil
	}
	return parseTimestamp(s, false)
}

func decodeTimestampMillis(s string) (any, error) {
	switch s {
	case "infinity":
		return tsInfinityMicros / 1000, nil
	case "-infinity":
		return tsNegInfinityMicros / 1000, nil
	}
	us, err := parseTimestamp(s, false)
	if err != nil {
		return nil, err
	}
	ms := us / 1000
	if us%1000 < 0 {
		ms-- // floor, like Instant.toEpochMilli
	}
	return ms, nil
}

// decodeTimestampTZ decodes a timestamptz of precision p (fraction digits).
func decodeTimestampTZ(s string, p int) (any, error) {
	if s == "infinity" || s == "-infinity" {
		return s, nil
	}
	us, err := parseTimestamp(s, true)
	if err != nil {
		return nil, err
	}
	return formatISO(time.UnixMicro(us).UTC(), p), nil
}

// formatISO formats t as Debezium's ZonedTimestamp.toIsoString does for a UTC time and a
// column of precision p: ISO-8601 with exactly p fraction digits (none for p = 0), "Z",
// years outside 0-9999 signed.
func formatISO(t time.Time, p int) string {
	y := t.Year()
	var year string
	switch {
	case y > 9999:
		year = "+" + strconv.Itoa(y)
	case y < 0:
		year = fmt.Sprintf("-%04d", -y)
	default:
		year = fmt.Sprintf("%04d", y)
	}
	layout := "-01-02T15:04:05"
	if p > 0 {
		layout += "." + strings.Repeat("0", min(p, 9))
	}
	return year + t.Format(layout+"Z07:00")
}

// decodeInterval converts IntervalStyle=postgres output ("1 year 2 mons -3 days
// 04:05:06.5") into Debezium's MicroDuration: months count 365.25/12 days.
func decodeInterval(s string) (any, error) {
	var years, months, days, hours, minutes, secs, micros int64
	fields := strings.Fields(s)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Contains(f, ":") {
			neg := strings.HasPrefix(f, "-")
			f = strings.TrimLeft(f, "+-")
			hs, rest, _ := strings.Cut(f, ":")
			if len(hs) < 2 {
				return nil, fmt.Errorf("interval %q", s)
			}
			h, err := strconv.ParseInt(hs, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("interval %q", s)
			}
			us, tail, err := parseClock("00:" + rest)
			if err != nil || tail != "" {
				return nil, fmt.Errorf("interval %q", s)
			}
			m, sec, us := us/60e6, us/1e6%60, us%1e6
			if neg {
				h, m, sec, us = -h, -m, -sec, -us
			}
			hours, minutes, secs, micros = h, m, sec, us
			continue
		}
		if i+1 >= len(fields) {
			return nil, fmt.Errorf("interval %q", s)
		}
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("interval %q", s)
		}
		i++
		switch strings.TrimSuffix(fields[i], "s") {
		case "year":
			years = v
		case "mon":
			months = v
		case "day":
			days = v
		default:
			return nil, fmt.Errorf("interval %q: unit %q", s, fields[i])
		}
	}
	const daysPerMonth = 365.25 / 12
	nDays := float64(years*12+months)*daysPerMonth + float64(days)
	nSecs := ((nDays*24+float64(hours))*60+float64(minutes))*60 + float64(secs)
	return int64(nSecs*1e6 + float64(micros)), nil
}

// decodeHstore converts hstore's text form ("a"=>"1", "b"=>NULL) into a JSON object, as
// Debezium's hstore.handling.mode=json does.
func decodeHstore(s string) (any, error) {
	m := map[string]any{}
	i := 0
	next := func() (string, bool, error) { // value, isNull
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
		if strings.HasPrefix(s[i:], "NULL") {
			i += 4
			return "", true, nil
		}
		if i >= len(s) || s[i] != '"' {
			return "", false, fmt.Errorf("hstore %.40q: want \" at %d", s, i)
		}
		i++
		var b strings.Builder
		for i < len(s) && s[i] != '"' {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
			i++
		}
		if i >= len(s) {
			return "", false, fmt.Errorf("hstore %.40q: unterminated", s)
		}
		i++
		return b.String(), false, nil
	}
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		k, _, err := next()
		if err != nil {
			return nil, err
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if !strings.HasPrefix(s[i:], "=>") {
			return nil, fmt.Errorf("hstore %.40q: want => at %d", s, i)
		}
		i += 2
		v, null, err := next()
		if err != nil {
			return nil, err
		}
		if null {
			m[k] = nil
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	return string(b), err
}
