package duckdb

// Event types to DuckDB column types, and event values to parameters. docs/SINKS.md has
// the mapping as a table. Parameters are Go bool, integers, floats, strings and []byte
// where the driver binds those exactly, and text otherwise (decimals, dates, times,
// intervals, lists, bit strings), which DuckDB casts to the column's type on insert:
// exact, and one path for every type. Lists go as DuckDB's list literal text: the driver
// cannot bind a Go slice with NULL elements.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// DuckDB's widest DECIMAL.
const maxDecimalWidth = 38

// parseType splits a type name into its base and its modifiers, in lower case:
// "DECIMAL(10,2)" is "decimal" and ["10", "2"], "int(11) unsigned zerofill" is
// "int unsigned" and ["11"].
func parseType(s string) (base string, args []string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexByte(s, '('); i >= 0 {
		if j := strings.LastIndexByte(s, ')'); j > i {
			for _, a := range strings.Split(s[i+1:j], ",") {
				args = append(args, strings.TrimSpace(a))
			}
			s = s[:i] + " " + s[j+1:]
		}
	}
	f := strings.Fields(s)
	if n := len(f); n > 0 && f[n-1] == "zerofill" {
		f = f[:n-1]
	}
	return strings.Join(f, " "), args
}

// intArg returns modifier i as a number, or -1.
func intArg(args []string, i int) int {
	if i >= len(args) {
		return -1
	}
	n, err := strconv.Atoi(args[i])
	if err != nil {
		return -1
	}
	return n
}

// intRange is the values of a DuckDB integer type: its width in bits and sign.
type intRange struct {
	bits   int
	signed bool
}

var intRanges = map[string]intRange{
	"tinyint": {8, true}, "utinyint": {8, false}, "smallint": {16, true}, "usmallint": {16, false},
	"integer": {32, true}, "uinteger": {32, false}, "bigint": {64, true}, "ubigint": {64, false},
	"hugeint": {128, true}, "uhugeint": {128, false},
}

// holds reports whether every value of b fits a.
func (a intRange) holds(b intRange) bool {
	switch {
	case a.signed == b.signed:
		return a.bits >= b.bits
	case a.signed:
		return a.bits > b.bits
	}
	return false
}

// digits is the number of decimal digits b's values may have.
func (b intRange) digits() int {
	bits := b.bits
	if b.signed {
		bits--
	}
	return int(math.Ceil(float64(bits) * math.Log10(2)))
}

// integerType is the DuckDB type of an integer column: by the source type where it says
// more than the kind (MySQL's unsigned types, Postgres's oid), else by the kind.
func integerType(t *event.Type) string {
	base, _ := parseType(t.SourceType)
	switch base {
	case "tinyint":
		return "TINYINT"
	case "tinyint unsigned":
		return "UTINYINT"
	case "smallint unsigned":
		return "USMALLINT"
	case "mediumint", "mediumint unsigned":
		return "INTEGER"
	case "int unsigned", "integer unsigned", "oid":
		return "UINTEGER"
	}
	switch t.Kind {
	case event.KindInt8:
		return "TINYINT"
	case event.KindInt16:
		return "SMALLINT"
	case event.KindInt32:
		return "INTEGER"
	}
	return "BIGINT"
}

// ColumnType maps an event type to the DuckDB column type a target table gets (as
// duckdb_columns() spells it).
func (d Dialect) ColumnType(t *event.Type, src sqlapply.Source) (string, error) {
	return d.columnType(t, src)
}

func (d Dialect) columnType(t *event.Type, src sqlapply.Source) (string, error) {
	base, _ := parseType(t.SourceType)
	switch t.Name {
	case sqlapply.NameDate:
		return "DATE", nil
	case sqlapply.NameTime, sqlapply.NameMicroTime:
		if src == sqlapply.FromMySQL {
			return "INTERVAL", nil // a MySQL TIME is a duration, -838:59:59 to 838:59:59
		}
		return "TIME", nil
	case sqlapply.NameTimestamp, sqlapply.NameMicroTimestamp:
		return "TIMESTAMP", nil
	case sqlapply.NameZonedTimestamp:
		return "TIMESTAMP WITH TIME ZONE", nil
	case sqlapply.NameZonedTime:
		return "TIME WITH TIME ZONE", nil
	case sqlapply.NameMicroDuration:
		return "INTERVAL", nil
	case sqlapply.NameYear:
		return "INTEGER", nil
	case sqlapply.NameJSON:
		if d.NoJSON {
			return "VARCHAR", nil
		}
		return "JSON", nil
	case sqlapply.NameUUID:
		return "UUID", nil
	case sqlapply.NameXML, sqlapply.NameEnum, sqlapply.NameEnumSet, sqlapply.NameLtree:
		return "VARCHAR", nil
	case sqlapply.NameBits:
		return "BIT", nil
	case sqlapply.NameVarDecimal:
		return "VARCHAR", nil
	}
	switch t.Kind {
	case event.KindBoolean:
		return "BOOLEAN", nil
	case event.KindInt8, event.KindInt16, event.KindInt32, event.KindInt64:
		return integerType(t), nil
	case event.KindFloat32:
		return "FLOAT", nil
	case event.KindFloat64:
		return "DOUBLE", nil
	case event.KindDecimal:
		switch {
		case base == "bigint unsigned":
			return "UBIGINT", nil
		case t.Precision > 0 && t.Precision <= maxDecimalWidth && t.Scale >= 0 && t.Scale <= t.Precision:
			return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale), nil
		case base == "money" && t.Scale >= 0 && t.Scale <= 4:
			return fmt.Sprintf("DECIMAL(%d,%d)", 17+t.Scale, t.Scale), nil // int64 of 1/10^scale units
		}
		return "VARCHAR", nil // wider than DuckDB's DECIMAL(38): exact as text
	case event.KindVarDecimal:
		return "VARCHAR", nil
	case event.KindBytes:
		return "BLOB", nil
	case event.KindString:
		return "VARCHAR", nil
	case event.KindArray:
		if t.Elem == nil {
			return "", errors.New("array type without an element type")
		}
		if t.Elem.Kind == event.KindArray {
			return "", errors.New("arrays of arrays are not supported")
		}
		if t.Elem.Name == sqlapply.NameJSON {
			// A VARCHAR list to JSON[] cast reads the text as one JSON array, which turns
			// NULL elements into JSON nulls: keep the elements' text exactly instead.
			return "VARCHAR[]", nil
		}
		elem, err := d.columnType(t.Elem, src)
		if err != nil {
			return "", err
		}
		return elem + "[]", nil
	}
	return "", fmt.Errorf("no DuckDB column type for %s", t.Kind)
}

// Converter returns the conversion of values of t into parameters for the column have,
// or why the column cannot hold them.
func (d Dialect) Converter(t *event.Type, src sqlapply.Source, have sqlapply.Column) (sqlapply.Convert, error) {
	conv, _, err := d.converter(t, src, have.Type)
	return conv, err
}

// converter also reports whether the values it returns are text (for list literals).
func (d Dialect) converter(t *event.Type, src sqlapply.Source, have string) (sqlapply.Convert, bool, error) {
	isList := strings.HasSuffix(have, "[]")
	if t.Kind == event.KindArray {
		if !isList {
			return nil, false, errors.New("not a list column")
		}
		if t.Elem == nil {
			return nil, false, errors.New("array type without an element type")
		}
		elem := strings.TrimSuffix(have, "[]")
		if strings.EqualFold(elem, "json") {
			return nil, false, errors.New("JSON lists are not supported (want VARCHAR[])")
		}
		ec, _, err := d.converter(t.Elem, src, elem)
		if err != nil {
			return nil, false, fmt.Errorf("list elements: %w", err)
		}
		return listLiteral.Converter(ec), true, nil
	}
	if isList {
		return nil, false, errors.New("a list column")
	}
	want, err := d.columnType(t, src)
	if err != nil {
		return nil, false, err
	}
	hb, hargs := parseType(have)
	wb, _ := parseType(want)
	reject := func() (sqlapply.Convert, bool, error) {
		return nil, false, fmt.Errorf("want %s", want)
	}
	text := func(c sqlapply.Convert) (sqlapply.Convert, bool, error) { return c, true, nil }
	native := func(c sqlapply.Convert) (sqlapply.Convert, bool, error) { return c, false, nil }
	switch t.Name {
	case sqlapply.NameDate:
		if hb == "date" {
			return text(sqlapply.DateConverter(formatDate))
		}
		return reject()
	case sqlapply.NameTime, sqlapply.NameMicroTime:
		scale := int64(1)
		if t.Name == sqlapply.NameTime {
			scale = 1000
		}
		switch hb {
		case "interval":
			return text(sqlapply.DurationConverter(scale))
		case "time":
			return text(sqlapply.TimeOfDayConverter(scale, "TIME", "INTERVAL"))
		}
		return reject()
	case sqlapply.NameTimestamp, sqlapply.NameMicroTimestamp:
		scale := int64(1)
		if t.Name == sqlapply.NameTimestamp {
			scale = 1000
		}
		if hb == "timestamp" {
			return text(sqlapply.TimestampConverter(scale, formatTimestamp))
		}
		return reject()
	case sqlapply.NameZonedTimestamp:
		if hb == "timestamp with time zone" || hb == "varchar" {
			return text(convertString)
		}
		return reject()
	case sqlapply.NameZonedTime:
		switch hb {
		case "time with time zone":
			return text(convertZonedTime)
		case "varchar":
			return text(convertString)
		}
		return reject()
	case sqlapply.NameMicroDuration:
		switch hb {
		case "interval":
			return text(sqlapply.DurationConverter(1))
		case "bigint", "hugeint":
			return native(sqlapply.ConvertIdentity)
		}
		return reject()
	case sqlapply.NameJSON, sqlapply.NameUUID, sqlapply.NameXML, sqlapply.NameEnum, sqlapply.NameEnumSet, sqlapply.NameLtree:
		if hb == wb || hb == "varchar" || t.Name == sqlapply.NameJSON && hb == "json" {
			return text(convertString)
		}
		return reject()
	case sqlapply.NameBits:
		if hb != "bit" {
			return reject()
		}
		n, _ := strconv.Atoi(t.Params["length"])
		if n <= 0 || n >= math.MaxInt32 {
			n = -1
		}
		return text(sqlapply.BitsConverter(n))
	}
	switch t.Kind {
	case event.KindBoolean:
		if hb == "boolean" {
			return native(sqlapply.ConvertIdentity)
		}
	case event.KindInt8, event.KindInt16, event.KindInt32, event.KindInt64:
		need := intRanges[wb]
		if it, ok := intRanges[hb]; ok && it.holds(need) {
			return native(sqlapply.ConvertIdentity)
		}
		if hb == "decimal" && intArg(hargs, 0)-intArg(hargs, 1) >= need.digits() {
			return native(sqlapply.ConvertIdentity)
		}
	case event.KindFloat32:
		switch hb {
		case "float":
			return native(sqlapply.ConvertIdentity)
		case "double":
			return native(sqlapply.ConvertFloat32To64)
		}
	case event.KindFloat64:
		if hb == "double" {
			return native(sqlapply.ConvertIdentity)
		}
	case event.KindDecimal, event.KindVarDecimal:
		return decimalFits(t, want, hb, hargs)
	case event.KindBytes:
		if hb == "blob" {
			return native(sqlapply.ConvertIdentity)
		}
	case event.KindString:
		if hb == "varchar" {
			return text(convertString)
		}
	}
	return reject()
}

// decimalFits picks the conversion of a decimal into a column: a DECIMAL with at least as
// many integer and fraction digits, an integer type that holds MySQL's bigint unsigned,
// or VARCHAR (exact text). Decimals DuckDB has no exact type for (wider than 38 digits,
// Postgres numeric without precision) also go into a DOUBLE or any DECIMAL column that
// someone made for them: rounded to the column, an error when too large.
func decimalFits(t *event.Type, want, hb string, hargs []string) (sqlapply.Convert, bool, error) {
	conv := sqlapply.ConvertVarDecimal
	if t.Kind == event.KindDecimal {
		conv = sqlapply.DecimalConverter(t.Scale)
	}
	wide := want == "VARCHAR"
	switch {
	case hb == "varchar":
		return conv, true, nil
	case want == "UBIGINT" && intRanges[hb].holds(intRanges["ubigint"]):
		return conv, true, nil
	case hb == "decimal" && wide, hb == "double" && wide:
		return conv, true, nil
	case hb == "decimal":
		p, s := intArg(hargs, 0), intArg(hargs, 1)
		wp, ws := t.Precision, t.Scale
		if want == "UBIGINT" {
			wp, ws = 20, 0
		} else if wp == 0 { // money
			wp = 17 + ws
		}
		if s >= ws && p-s >= wp-ws {
			return conv, true, nil
		}
	}
	return nil, false, fmt.Errorf("want %s", want)
}

func convertString(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("string value of type %T", v)
	}
	return s, nil
}

// convertZonedTime makes Debezium's ZonedTime ("07:04:56.5Z", always UTC) a TIMETZ
// literal: DuckDB reads offsets, not Z.
func convertZonedTime(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("string value of type %T", v)
	}
	if strings.HasSuffix(s, "Z") {
		s = s[:len(s)-1] + "+00"
	}
	return s, nil
}

// formatDate renders days since the epoch as DuckDB reads dates: YYYY-MM-DD, with (BC)
// for years before 1.
func formatDate(days int64) string {
	y, m, d := sqlapply.CivilFromDays(days)
	if y <= 0 {
		return fmt.Sprintf("%04d-%02d-%02d (BC)", 1-y, m, d)
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// formatTimestamp renders µs since the epoch as DuckDB reads timestamps:
// YYYY-MM-DD[ (BC)] HH:MM:SS[.ffffff].
func formatTimestamp(us int64) string {
	days, clock := sqlapply.SplitMicros(us)
	return formatDate(days) + " " + sqlapply.FormatClock(clock)
}

// listLiteral is DuckDB's list literal: ["a", "b", NULL].
var listLiteral = sqlapply.ArrayLiteral{Open: "[", Sep: ", ", Close: "]", Elem: listElemText}

// listElemText is the text of a list element as DuckDB reads it.
func listElemText(x any) (string, error) {
	var s string
	switch e := x.(type) {
	case string:
		s = e
	case bool:
		s = strconv.FormatBool(e)
	case int32:
		s = strconv.FormatInt(int64(e), 10)
	case int64:
		s = strconv.FormatInt(e, 10)
	case uint64:
		s = strconv.FormatUint(e, 10)
	case float32:
		s = formatFloat(float64(e), 32)
	case float64:
		s = formatFloat(e, 64)
	case []byte:
		var hex strings.Builder
		for _, c := range e {
			fmt.Fprintf(&hex, `\x%02X`, c)
		}
		s = hex.String()
	default:
		return "", fmt.Errorf("list element of type %T", x)
	}
	return s, nil
}

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
