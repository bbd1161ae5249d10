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
	typ event.Type
	// decode decodes a value's text form. b is only valid during the call (it points into
	// the connection's read buffer): the result must not refer to it.
	decode func(b []byte) (any, error)
	// zero is Debezium's fallback for a required column whose value was not sent.
	zero any
	// text says that decode is decodeString: the value is the text itself (the
	// snapshot's COPY reader then makes the string without calling decode).
	text bool
	// word, when set, names the machine-word scalar decode parses: the snapshot's COPY
	// reader then parses it with parseWord and boxes it from a slab instead of calling
	// decode, which allocates every value (TestParseWordMatchesDecode).
	word wordKind
}

// wordKind is a scalar whose value fits in a machine word.
type wordKind uint8

const (
	notWord wordKind = iota
	wordInt32
	wordInt64
	wordFloat64
	wordTimestampMicros
)

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
			decode: decodeString, text: true, zero: "",
		}, nil
	case t.Name == "hstore":
		return codec{typ: event.Type{Kind: event.KindString, Name: "io.debezium.data.Json", SourceType: "hstore"},
			decode: decodeHstore, zero: "{}"}, nil
	case t.Name == "ltree":
		return codec{typ: event.Type{Kind: event.KindString, Name: "io.debezium.data.Ltree", SourceType: "ltree"},
			decode: decodeString, text: true, zero: ""}, nil
	default:
		// citext, ranges, tsvector, extension types…: the text form.
		return textCodec(t.Name), nil
	}
}

func textCodec(name string) codec {
	return codec{typ: event.Type{Kind: event.KindString, SourceType: name}, decode: decodeString, text: true, zero: ""}
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
		decode: func(b []byte) (any, error) {
			parts, err := parseArray(b, delim)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(parts))
			for i, p := range parts {
				if p == nil {
					continue
				}
				if out[i], err = dec(p); err != nil {
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
		return codec{typ: event.Type{Kind: event.KindString, Name: name, SourceType: src}, decode: decodeString, text: true, zero: ""}
	}
	switch oid {
	case oidBool:
		return codec{typ: event.Type{Kind: event.KindBoolean, SourceType: "bool"}, decode: decodeBool, zero: false}, true
	case oidInt2:
		return codec{typ: event.Type{Kind: event.KindInt16, SourceType: "int2"}, decode: decodeInt32, zero: int32(0), word: wordInt32}, true
	case oidInt4:
		return codec{typ: event.Type{Kind: event.KindInt32, SourceType: "int4"}, decode: decodeInt32, zero: int32(0), word: wordInt32}, true
	case oidInt8:
		return codec{typ: event.Type{Kind: event.KindInt64, SourceType: "int8"}, decode: decodeInt64, zero: int64(0), word: wordInt64}, true
	case oidOID:
		return codec{typ: event.Type{Kind: event.KindInt64, SourceType: "oid"}, decode: decodeInt64, zero: int64(0), word: wordInt64}, true
	case oidFloat4:
		return codec{typ: event.Type{Kind: event.KindFloat32, SourceType: "float4"}, decode: decodeFloat32, zero: float32(0)}, true
	case oidFloat8:
		return codec{typ: event.Type{Kind: event.KindFloat64, SourceType: "float8"}, decode: decodeFloat64, zero: float64(0), word: wordFloat64}, true
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
			decode: decodeTimestampMicros, zero: int64(0), word: wordTimestampMicros}, true
	case oidTimestampTZ:
		p := timePrecision(typmod)
		return codec{typ: event.Type{Kind: event.KindString, Name: "io.debezium.time.ZonedTimestamp", SourceType: timeSource("timestamptz", typmod)},
			decode: func(b []byte) (any, error) { return decodeTimestampTZ(b, p) }, zero: string(appendISO(nil, 0, p))}, true
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

// decodeString copies a text value.
func decodeString(b []byte) (any, error) { return string(b), nil }

func decodeBool(b []byte) (any, error) {
	if len(b) == 1 {
		switch b[0] {
		case 't':
			return true, nil
		case 'f':
			return false, nil
		}
	}
	return nil, fmt.Errorf("bool %q", b)
}

// parseInt parses a base-10 integer of bitSize bits as strconv.ParseInt(s, 10, bitSize)
// does (optional sign, digits only), without making a string of it.
func parseInt(b []byte, bitSize int) (int64, error) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, i = b[0] == '-', 1
	}
	if i == len(b) {
		return 0, fmt.Errorf("int%d %q", bitSize, b)
	}
	limit := uint64(1) << (bitSize - 1) // |min|; max is limit-1
	var u uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 || u > (limit-uint64(d))/10 {
			return 0, fmt.Errorf("int%d %q", bitSize, b)
		}
		u = u*10 + uint64(d)
	}
	if neg {
		return -int64(u), nil // u = limit wraps to the minimum
	}
	if u == limit {
		return 0, fmt.Errorf("int%d %q", bitSize, b)
	}
	return int64(u), nil
}

func decodeInt32(b []byte) (any, error) {
	v, err := parseInt(b, 32)
	if err != nil {
		return nil, err
	}
	return int32(v), nil
}

func decodeInt64(b []byte) (any, error) {
	v, err := parseInt(b, 64)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func decodeFloat32(b []byte) (any, error) {
	v, err := strconv.ParseFloat(string(b), 32)
	return float32(v), err
}

func decodeFloat64(b []byte) (any, error) { return strconv.ParseFloat(string(b), 64) }

func decodeBytea(b []byte) (any, error) {
	if len(b) < 2 || b[0] != '\\' || b[1] != 'x' {
		return nil, fmt.Errorf("bytea not in hex format (bytea_output=hex)")
	}
	out := make([]byte, hex.DecodedLen(len(b)-2))
	n, err := hex.Decode(out, b[2:])
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

func decodeBit1(b []byte) (any, error) {
	s := string(b)
	v, err := strconv.ParseUint(s, 2, 64)
	if err != nil {
		return nil, fmt.Errorf("bit %q", s)
	}
	return v != 0, nil
}

// decodeBits encodes a bit string as Debezium does: the last character is bit 0, bytes
// little-endian, as many bytes as the highest set bit needs (java.util.BitSet.toByteArray).
func decodeBits(s []byte) (any, error) {
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

// decodeInterval converts IntervalStyle=postgres output ("1 year 2 mons -3 days
// 04:05:06.5") into Debezium's MicroDuration: months count 365.25/12 days.
func decodeInterval(b []byte) (any, error) {
	s := string(b)
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
func decodeHstore(b []byte) (any, error) {
	s := string(b)
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
