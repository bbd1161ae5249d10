package mysql

// Type mapping, as Debezium's MySQL connector does by default
// (decimal.handling.mode=precise, time.precision.mode=adaptive_time_microseconds,
// binary.handling.mode=bytes), except where noted:
//
//	MySQL/MariaDB              event.Kind / connect.name                  Go value
//	tinyint, tinyint unsigned  int16                                      int32
//	bool (tinyint(1))          int16 (as Debezium reads tinyint(1))       int32
//	smallint                   int16                                      int32
//	smallint unsigned          int32                                      int32
//	mediumint (unsigned)       int32                                      int32
//	int                        int32                                      int32
//	int unsigned               int64                                      int64
//	bigint                     int64                                      int64
//	bigint unsigned            decimal(20,0) Decimal  (*)                 *big.Rat
//	decimal(p,s)               decimal(p,s) Decimal                       *big.Rat
//	float / float(M,D), double float32 / float64                          float32 / float64
//	bit(1)                     boolean                                    bool
//	bit(n)                     bytes io.debezium.data.Bits length=n       []byte, little-endian, ceil(n/8) bytes
//	char, varchar, *text       string (decoded from the column's charset) string
//	binary(n)                  bytes, zero-padded to n as Debezium does   []byte
//	varbinary, *blob           bytes                                      []byte
//	date                       int32 io.debezium.time.Date                days since 1970-01-01
//	time(0-6)                  int64 io.debezium.time.MicroTime           µs, negative and > 24h kept
//	datetime(0-3)              int64 io.debezium.time.Timestamp           ms since epoch (UTC)
//	datetime(4-6)              int64 io.debezium.time.MicroTimestamp      µs since epoch (UTC)
//	timestamp(p)               string io.debezium.time.ZonedTimestamp     "2006-01-02T15:04:05.ffffffZ", p digits
//	year                       int32 io.debezium.time.Year                int32
//	enum                       string io.debezium.data.Enum allowed=a,b   string
//	set                        string io.debezium.data.EnumSet allowed=.. string, "a,b"
//	json (MySQL; MariaDB       string io.debezium.data.Json               string
//	  JSON = longtext CHECK json_valid)
//	geometry, point, ...       bytes (*)                                  []byte, WKB
//
// Zero dates ('0000-00-00', and dates with a zero year, month or day, as Debezium's
// RowDeserializers read them) are null in nullable columns and the epoch (0, or
// "1970-01-01T00:00:00Z") in NOT NULL ones, as Debezium writes them.
//
// (*) Deviations:
//   - bigint unsigned is Debezium's bigint.unsigned.handling.mode=precise, not its default
//     "long", which wraps values above 2^63-1 into negative numbers: the record contract
//     forbids silent wrapping.
//   - spatial types are their WKB bytes (the 4-byte SRID that MySQL stores in front is
//     dropped). Debezium writes an io.debezium.data.geometry.Geometry struct {wkb, srid},
//     which the event model cannot express.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/encoding"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// codec decodes one column's values as go-mysql's row decoder returns them (with
// ParseTime=false, UseDecimal=false, TimestampStringLocation=UTC).
type codec struct {
	typ      event.Type
	optional bool // values may be null even for a NOT NULL column
	decode   func(v any) (any, error)
}

// errType reports a value of an unexpected Go type for the column.
func errType(v any) error { return fmt.Errorf("unexpected binlog value %T", v) }

func codecFor(c *column) (codec, error) {
	st := c.sourceType()
	t := func(k event.Kind, name string) event.Type {
		return event.Type{Kind: k, Name: name, SourceType: st}
	}
	switch c.typ {
	case "tinyint":
		if c.unsigned {
			return codec{typ: t(event.KindInt16, ""), decode: uintDecoder(8)}, nil
		}
		return codec{typ: t(event.KindInt16, ""), decode: intDecoder}, nil
	case "smallint":
		if c.unsigned {
			return codec{typ: t(event.KindInt32, ""), decode: uintDecoder(16)}, nil
		}
		return codec{typ: t(event.KindInt16, ""), decode: intDecoder}, nil
	case "mediumint":
		if c.unsigned {
			return codec{typ: t(event.KindInt32, ""), decode: uintDecoder(24)}, nil
		}
		return codec{typ: t(event.KindInt32, ""), decode: intDecoder}, nil
	case "int", "integer":
		if c.unsigned {
			return codec{typ: t(event.KindInt64, ""), decode: uint32Decoder}, nil
		}
		return codec{typ: t(event.KindInt32, ""), decode: intDecoder}, nil
	case "bigint":
		if c.unsigned {
			ty := t(event.KindDecimal, "org.apache.kafka.connect.data.Decimal")
			ty.Precision, ty.Scale = 20, 0
			return codec{typ: ty, decode: uint64Decoder}, nil
		}
		return codec{typ: t(event.KindInt64, ""), decode: int64Decoder}, nil
	case "decimal", "numeric":
		ty := t(event.KindDecimal, "org.apache.kafka.connect.data.Decimal")
		ty.Precision, ty.Scale = c.precision, c.scale
		return codec{typ: ty, decode: decimalDecoder}, nil
	case "float":
		if c.hasScale {
			return codec{typ: t(event.KindFloat64, ""), decode: float64Decoder}, nil
		}
		return codec{typ: t(event.KindFloat32, ""), decode: float32Decoder}, nil
	case "double", "real":
		return codec{typ: t(event.KindFloat64, ""), decode: float64Decoder}, nil
	case "bit":
		if c.length <= 1 {
			return codec{typ: t(event.KindBoolean, ""), decode: bitBoolDecoder}, nil
		}
		ty := t(event.KindBytes, "io.debezium.data.Bits")
		ty.Params = map[string]string{"length": strconv.Itoa(c.length)}
		return codec{typ: ty, decode: bitsDecoder((c.length + 7) / 8)}, nil
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		if c.charset == "binary" {
			return binaryCodec(c, t(event.KindBytes, ""))
		}
		dec, err := stringDecoder(c.charset)
		if err != nil {
			return codec{}, err
		}
		return codec{typ: t(event.KindString, ""), decode: dec}, nil
	case "json":
		return codec{typ: t(event.KindString, "io.debezium.data.Json"), decode: jsonDecoder(c.nullable)}, nil
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return binaryCodec(c, t(event.KindBytes, ""))
	case "date":
		return codec{typ: t(event.KindInt32, "io.debezium.time.Date"), decode: dateDecoder(c.nullable)}, nil
	case "time":
		return codec{typ: t(event.KindInt64, "io.debezium.time.MicroTime"), decode: timeDecoder}, nil
	case "datetime":
		if c.fsp <= 3 {
			return codec{typ: t(event.KindInt64, "io.debezium.time.Timestamp"), decode: datetimeDecoder(c.nullable, true)}, nil
		}
		return codec{typ: t(event.KindInt64, "io.debezium.time.MicroTimestamp"), decode: datetimeDecoder(c.nullable, false)}, nil
	case "timestamp":
		return codec{typ: t(event.KindString, "io.debezium.time.ZonedTimestamp"), decode: timestampDecoder(c.nullable, c.fsp)}, nil
	case "year":
		return codec{typ: t(event.KindInt32, "io.debezium.time.Year"), decode: intDecoder}, nil
	case "enum":
		ty := t(event.KindString, "io.debezium.data.Enum")
		ty.Params = map[string]string{"allowed": strings.Join(c.elems, ",")}
		return codec{typ: ty, decode: enumDecoder(c.elems)}, nil
	case "set":
		ty := t(event.KindString, "io.debezium.data.EnumSet")
		ty.Params = map[string]string{"allowed": strings.Join(c.elems, ",")}
		return codec{typ: ty, decode: setDecoder(c.elems)}, nil
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		return codec{typ: t(event.KindBytes, ""), decode: geometryDecoder}, nil
	}
	return codec{}, fmt.Errorf("type %s is not supported", st)
}

// intDecoder widens the signed integers of tinyint..int and year to int32.
func intDecoder(v any) (any, error) {
	switch x := v.(type) {
	case int8:
		return int32(x), nil
	case int16:
		return int32(x), nil
	case int32:
		return x, nil
	case int:
		return int32(x), nil
	}
	return nil, errType(v)
}

// uintDecoder reads an unsigned column of bits bits that go-mysql decoded as signed.
func uintDecoder(bits int) func(any) (any, error) {
	mask := uint32(1)<<bits - 1
	return func(v any) (any, error) {
		switch x := v.(type) {
		case int8:
			return int32(uint32(x) & mask), nil
		case int16:
			return int32(uint32(x) & mask), nil
		case int32:
			return int32(uint32(x) & mask), nil
		}
		return nil, errType(v)
	}
}

func uint32Decoder(v any) (any, error) {
	if x, ok := v.(int32); ok {
		return int64(uint32(x)), nil
	}
	return nil, errType(v)
}

func int64Decoder(v any) (any, error) {
	if x, ok := v.(int64); ok {
		return x, nil
	}
	return nil, errType(v)
}

func uint64Decoder(v any) (any, error) {
	if x, ok := v.(int64); ok {
		return new(big.Rat).SetInt(new(big.Int).SetUint64(uint64(x))), nil
	}
	return nil, errType(v)
}

func decimalDecoder(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, errType(v)
	}
	return decimalValue(s)
}

// decimalValue reads a DECIMAL's text ("-123.45"); s is not retained.
func decimalValue(s string) (any, error) {
	if m, scale, ok := smallDecimal(s); ok {
		return smallRat(m, scale), nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("decimal %q: not a number", s)
	}
	return r, nil
}

// smallDecimal reads go-mysql's rendering of a DECIMAL ("-123.45") of at most 18 digits
// as m × 10^-scale; ok is false for anything else (the caller falls back to big.Rat's
// parser).
func smallDecimal(s string) (m int64, scale int, ok bool) {
	i := 0
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		i = 1
	}
	digits, dot := 0, -1
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if digits > 18 {
				return 0, 0, false
			}
			m = m*10 + int64(c-'0')
		case c == '.' && dot < 0:
			dot = i
		default:
			return 0, 0, false
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if dot >= 0 {
		scale = len(s) - dot - 1
	}
	if neg {
		m = -m
	}
	return m, scale, true
}

// smallRat returns m × 10^-scale (scale <= 18) as a normalized big.Rat without
// big.Rat's general GCD (the denominator's only prime factors are 2 and 5), which
// SetString spends most of its time in.
func smallRat(m int64, scale int) *big.Rat {
	den := uint64(1)
	for range scale {
		den *= 10
	}
	if m == 0 {
		den = 1
	}
	for den%10 == 0 && m%10 == 0 {
		den, m = den/10, m/10
	}
	for den%2 == 0 && m%2 == 0 {
		den, m = den/2, m/2
	}
	for den%5 == 0 && m%5 == 0 {
		den, m = den/5, m/5
	}
	r := new(big.Rat).SetInt64(m)
	if den != 1 {
		// Denom is a reference to r's denominator (1 after SetInt64): m/den is already
		// in lowest terms, so setting it directly keeps r normalized.
		r.Denom().SetUint64(den)
	}
	return r
}

func float32Decoder(v any) (any, error) {
	if x, ok := v.(float32); ok {
		return x, nil
	}
	return nil, errType(v)
}

func float64Decoder(v any) (any, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	}
	return nil, errType(v)
}

func bitBoolDecoder(v any) (any, error) {
	if x, ok := v.(int64); ok {
		return x != 0, nil
	}
	return nil, errType(v)
}

// bitsDecoder writes a bit(n) value as Debezium does: little-endian (the lowest bits
// first), n bytes.
func bitsDecoder(n int) func(any) (any, error) {
	return func(v any) (any, error) {
		x, ok := v.(int64)
		if !ok {
			return nil, errType(v)
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(x))
		return append([]byte(nil), b[:n]...), nil
	}
}

// binaryCodec is bytes; binary(n) values come from the binlog without their trailing
// zero bytes, which Debezium puts back.
func binaryCodec(c *column, ty event.Type) (codec, error) {
	pad := 0
	if c.typ == "binary" || c.typ == "char" {
		pad = c.length
	}
	return codec{typ: ty, decode: func(v any) (any, error) {
		switch x := v.(type) {
		case string:
			return paddedBytes(stringBytes(x), pad), nil
		case []byte:
			return paddedBytes(x, pad), nil
		}
		return nil, errType(v)
	}}, nil
}

// paddedBytes copies b, with zero bytes after it up to pad bytes.
func paddedBytes(x []byte, pad int) []byte {
	b := make([]byte, max(len(x), pad))
	copy(b, x)
	return b
}

// stringDecoder decodes text in charset to a UTF-8 string. go-mysql returns char and
// varchar as strings and the text types as []byte; both alias its read buffer, so the
// result is always a copy.
func stringDecoder(charset string) (func(any) (any, error), error) {
	text, err := textDecoder(charset)
	if err != nil {
		return nil, err
	}
	return func(v any) (any, error) {
		switch x := v.(type) {
		case string:
			return text(stringBytes(x))
		case []byte:
			return text(x)
		}
		return nil, errType(v)
	}, nil
}

// textDecoder returns the decoder of text in charset to a UTF-8 string (a copy: b is not
// retained).
func textDecoder(charset string) (func(b []byte) (any, error), error) {
	enc, err := charsetEncoding(charset)
	if err != nil {
		return nil, err
	}
	if enc == nil {
		return func(b []byte) (any, error) { return string(b), nil }, nil
	}
	wide := wideCharset(charset)
	return func(b []byte) (any, error) {
		if !wide && isASCII(b) {
			return string(b), nil
		}
		out, err := enc.NewDecoder().Bytes(b)
		if err != nil {
			return nil, fmt.Errorf("decode %s text: %w", charset, err)
		}
		return string(out), nil
	}, nil
}

// wideCharset reports whether ASCII text in charset is not the ASCII bytes themselves:
// UCS-2 and UTF-16 ("Ab" is 00 41 00 62, all bytes below 0x80).
func wideCharset(charset string) bool {
	cs := strings.ToLower(charset)
	return strings.HasPrefix(cs, "ucs2") || strings.HasPrefix(cs, "utf16")
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// jsonDecoder reads a JSON document. MySQL logs an empty value for a NULL stored in a
// NOT NULL JSON column by a non-strict sql_mode (INSERT IGNORE); Debezium's
// convertJson writes it as null in a nullable column and "{}" in a NOT NULL one.
func jsonDecoder(nullable bool) func(any) (any, error) {
	return func(v any) (any, error) {
		switch x := v.(type) {
		case string:
			return jsonValue(stringBytes(x), nullable), nil
		case []byte:
			return jsonValue(x, nullable), nil
		}
		return nil, errType(v)
	}
}

// jsonValue copies a JSON document's text; see jsonDecoder.
func jsonValue(b []byte, nullable bool) any {
	if len(b) == 0 {
		return zeroValue(nullable, "{}")
	}
	return string(b)
}

// geometryDecoder drops MySQL's 4-byte SRID in front of the WKB.
func geometryDecoder(v any) (any, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, errType(v)
	}
	return geometryValue(b)
}

// geometryValue copies the WKB of MySQL's geometry value (b without its SRID).
func geometryValue(b []byte) (any, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("geometry of %d bytes: no SRID", len(b))
	}
	return append([]byte(nil), b[4:]...), nil
}

func enumDecoder(elems []string) func(any) (any, error) {
	return func(v any) (any, error) {
		i, ok := v.(int64)
		if !ok {
			return nil, errType(v)
		}
		if i == 0 {
			return "", nil // MySQL's error value for an invalid enum
		}
		if i < 0 || int(i) > len(elems) {
			return nil, fmt.Errorf("enum index %d out of %d values", i, len(elems))
		}
		return elems[i-1], nil
	}
}

func setDecoder(elems []string) func(any) (any, error) {
	return func(v any) (any, error) {
		bits, ok := v.(int64)
		if !ok {
			return nil, errType(v)
		}
		var b strings.Builder
		for i, e := range elems {
			if bits&(1<<i) != 0 {
				if b.Len() > 0 {
					b.WriteByte(',')
				}
				b.WriteString(e)
			}
		}
		if i := len(elems); i < 64 && bits>>i != 0 {
			return nil, fmt.Errorf("set bits %#x beyond its %d values", bits, len(elems))
		}
		return b.String(), nil
	}
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date.
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

var errZeroDate = errors.New("zero date")

func num(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseDate reads "YYYY-MM-DD" into days; errZeroDate for dates with a zero part,
// the year included: Debezium reads '0000-01-01' as a zero date too.
func parseDate(s string) (int64, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 || m > 12 || d > 31 {
		return 0, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	if y == 0 || m == 0 || d == 0 {
		return 0, errZeroDate
	}
	return daysFromCivil(y, m, d), nil
}

// parseClock reads "[-]HHH:MM:SS[.ffffff]" into microseconds.
func parseClock(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	t := strings.TrimPrefix(s, "-")
	hms, frac, _ := strings.Cut(t, ".")
	hh, rest, ok := strings.Cut(hms, ":")
	mm, ss, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || len(mm) != 2 || len(ss) != 2 || len(frac) > 6 {
		return 0, fmt.Errorf("time %q: want HH:MM:SS[.ffffff]", s)
	}
	h, ok1 := num(hh)
	m, ok2 := num(mm)
	sec, ok3 := num(ss)
	if !ok1 || !ok2 || !ok3 || m > 59 || sec > 59 {
		return 0, fmt.Errorf("time %q: want HH:MM:SS[.ffffff]", s)
	}
	us := ((h*60+m)*60 + sec) * 1_000_000
	if frac != "" {
		f, ok := num(frac)
		if !ok {
			return 0, fmt.Errorf("time %q: bad fraction", s)
		}
		for i := len(frac); i < 6; i++ {
			f *= 10
		}
		us += f
	}
	if neg {
		us = -us
	}
	return us, nil
}

// parseDatetime reads "YYYY-MM-DD HH:MM:SS[.ffffff]" into microseconds since the epoch.
func parseDatetime(s string) (int64, error) {
	if len(s) < 19 || s[10] != ' ' {
		return 0, fmt.Errorf("datetime %q: want YYYY-MM-DD HH:MM:SS", s)
	}
	days, err := parseDate(s[:10])
	if err != nil {
		return 0, err
	}
	us, err := parseClock(s[11:])
	if err != nil || us < 0 || us >= 86_400_000_000 {
		return 0, fmt.Errorf("datetime %q: want YYYY-MM-DD HH:MM:SS", s)
	}
	return days*86_400_000_000 + us, nil
}

func dateDecoder(nullable bool) func(any) (any, error) {
	return func(v any) (any, error) {
		s, ok := v.(string)
		if !ok {
			return nil, errType(v)
		}
		return dateValue(s, nullable)
	}
}

// dateValue reads a DATE's text ("2006-01-02"); s is not retained.
func dateValue(s string, nullable bool) (any, error) {
	d, err := parseDate(s)
	if errors.Is(err, errZeroDate) {
		return zeroValue(nullable, int32(0)), nil
	}
	if err != nil {
		return nil, err
	}
	return int32(d), nil
}

func zeroValue(nullable bool, epoch any) any {
	if nullable {
		return nil
	}
	return epoch
}

func timeDecoder(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, errType(v)
	}
	return parseClock(s)
}

// datetimeDecoder reads DATETIME values: strings, or with go-mysql's ParseTime (which
// skips its fmt.Sprintf rendering) time.Time in UTC for dates from 1970 on, and strings
// still for earlier and zero dates.
func datetimeDecoder(nullable, millis bool) func(any) (any, error) {
	return func(v any) (any, error) {
		if t, ok := v.(time.Time); ok {
			if millis {
				return floorDiv(t.UnixMicro(), 1000), nil
			}
			return t.UnixMicro(), nil
		}
		s, ok := v.(string)
		if !ok {
			return nil, errType(v)
		}
		return datetimeValue(s, nullable, millis)
	}
}

// datetimeValue reads a DATETIME's text ("2006-01-02 15:04:05.999999"); s is not retained.
func datetimeValue(s string, nullable, millis bool) (any, error) {
	v, zero, err := datetimeMicros(s, millis)
	if err != nil {
		return nil, err
	}
	if zero {
		return zeroValue(nullable, int64(0)), nil
	}
	return v, nil
}

// datetimeMicros is a DATETIME's microseconds (milliseconds when millis) since the
// epoch; zero reports MySQL's zero date instead.
func datetimeMicros(s string, millis bool) (v int64, zero bool, err error) {
	us, err := parseDatetime(s)
	if errors.Is(err, errZeroDate) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, err
	}
	if millis {
		return floorDiv(us, 1000), false, nil
	}
	return us, false, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// timestampDecoder turns go-mysql's UTC rendering of a TIMESTAMP ("2006-01-02
// 15:04:05.999999"), or with its ParseTime the time.Time, into ISO-8601 with exactly fsp
// fraction digits and a Z.
func timestampDecoder(nullable bool, fsp int) func(any) (any, error) {
	text := timestampText(nullable, fsp)
	return func(v any) (any, error) {
		if t, ok := v.(time.Time); ok { // go-mysql's ParseTime: any location
			return appendTimestamp(make([]byte, 0, 21+fsp), t.UTC(), fsp), nil
		}
		s, ok := v.(string)
		if !ok {
			return nil, errType(v)
		}
		return text(s)
	}
}

// timestampText returns the reader of a TIMESTAMP's UTC text ("2006-01-02
// 15:04:05.999999", any number of fraction digits); its s is not retained.
func timestampText(nullable bool, fsp int) func(s string) (any, error) {
	epoch := "1970-01-01T00:00:00"
	if fsp > 0 {
		epoch += "." + strings.Repeat("0", fsp)
	}
	epoch += "Z"
	return func(s string) (any, error) {
		if strings.HasPrefix(s, "0000-00-00") {
			return zeroValue(nullable, epoch), nil
		}
		if len(s) < 19 || s[10] != ' ' {
			return nil, fmt.Errorf("timestamp %q: want YYYY-MM-DD HH:MM:SS", s)
		}
		frac := ""
		if len(s) > 20 && s[19] == '.' {
			frac = s[20:]
		}
		b := make([]byte, 0, 21+fsp)
		b = append(b, s[:10]...)
		b = append(b, 'T')
		b = append(b, s[11:19]...)
		if fsp > 0 {
			b = append(b, '.')
			for i := range fsp {
				if i < len(frac) {
					b = append(b, frac[i])
				} else {
					b = append(b, '0')
				}
			}
		}
		return string(append(b, 'Z')), nil
	}
}

// charsetEncoding returns the decoder of a MySQL character set, nil for UTF-8 (and its
// subsets), or an error for character sets Dovetail cannot decode.
func charsetEncoding(cs string) (encoding.Encoding, error) {
	switch strings.ToLower(cs) {
	case "", "utf8", "utf8mb3", "utf8mb4", "ascii":
		return nil, nil
	}
	if e, ok := charsets[strings.ToLower(cs)]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("character set %s is not supported", cs)
}

// appendTimestamp renders t as timestampDecoder does: "2006-01-02T15:04:05", fsp fraction
// digits (truncated) and a Z.
func appendTimestamp(b []byte, t time.Time, fsp int) string {
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	if fsp > 0 {
		b = append(b, '.')
		us := t.Nanosecond() / 1000
		var d [6]byte
		for i := 5; i >= 0; i-- {
			d[i] = byte('0' + us%10)
			us /= 10
		}
		b = append(b, d[:fsp]...)
	}
	return string(append(b, 'Z'))
}

// stringBytes returns s's bytes without copying them, for decoders that only read their
// input and copy what they keep.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// bytesString returns b as a string without copying it, for parsers that do not keep
// their input; b must not change while the string is in use.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
