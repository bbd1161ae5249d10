package postgres

// Event types to Postgres column types, and event values to parameters. docs/SINKS.md
// has the mapping as a table. Parameters are sent as Go bool, integers, floats and
// []byte where pgx encodes those exactly, and as text otherwise (dates, times, decimals,
// arrays, bit strings), which the server parses into the column's type: exact, and the
// same for every type.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// textTypes are the built-in Postgres types a Postgres source captures as their text
// form (a string without a logical name) that a Postgres target reproduces.
var textTypes = map[string]bool{
	"inet": true, "cidr": true, "macaddr": true, "macaddr8": true,
	"point": true, "line": true, "lseg": true, "box": true, "path": true, "polygon": true, "circle": true,
	"int4range": true, "int8range": true, "numrange": true, "tsrange": true, "tstzrange": true, "daterange": true,
	"tsvector": true, "tsquery": true, "pg_lsn": true,
}

// parseType splits a type name into its base and its modifiers:
// "timestamp(3) with time zone" is "timestamp with time zone" and ["3"],
// "decimal(10,2) unsigned" is "decimal unsigned" and ["10", "2"].
func parseType(s string) (base string, args []string) {
	s = strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexByte(s, '(')
	if i < 0 {
		return s, nil
	}
	j := strings.LastIndexByte(s, ')')
	if j < i {
		return s, nil
	}
	base = strings.Join(strings.Fields(s[:i]+" "+s[j+1:]), " ")
	for _, a := range strings.Split(s[i+1:j], ",") {
		args = append(args, strings.TrimSpace(a))
	}
	return base, args
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

// precision renders a time precision modifier: "(p)", or "" for none (p < 0).
func precision(p int) string {
	if p < 0 {
		return ""
	}
	return fmt.Sprintf("(%d)", min(p, 6))
}

// timePrecision is the fractional digits of a time or timestamp source type: its
// modifier; for MySQL without one 0 (its default), for Postgres none (6, its default);
// without a source type, def.
func timePrecision(t *event.Type, src sqlapply.Source, def int) int {
	if t.SourceType == "" {
		return def
	}
	if p := intArg(parseTypeArgs(t.SourceType), 0); p >= 0 {
		return p
	}
	if src == sqlapply.FromMySQL {
		return 0
	}
	return -1
}

func parseTypeArgs(s string) []string {
	_, args := parseType(s)
	return args
}

// ColumnType maps an event type to the Postgres column type a target table gets (as
// format_type spells it).
func (Dialect) ColumnType(t *event.Type, src sqlapply.Source) (string, error) {
	return columnType(t, src)
}

func columnType(t *event.Type, src sqlapply.Source) (string, error) {
	base, args := parseType(t.SourceType)
	switch t.Name {
	case sqlapply.NameDate:
		return "date", nil
	case sqlapply.NameTime, sqlapply.NameMicroTime:
		if src == sqlapply.FromMySQL {
			// A MySQL TIME is a duration (-838:59:59 to 838:59:59), not a time of day.
			return "interval", nil
		}
		if t.Name == sqlapply.NameTime {
			return "time" + precision(timePrecision(t, src, 3)) + " without time zone", nil
		}
		return "time" + precision(timePrecision(t, src, -1)) + " without time zone", nil
	case sqlapply.NameTimestamp:
		return "timestamp" + precision(timePrecision(t, src, 3)) + " without time zone", nil
	case sqlapply.NameMicroTimestamp:
		return "timestamp" + precision(timePrecision(t, src, -1)) + " without time zone", nil
	case sqlapply.NameZonedTimestamp:
		return "timestamp" + precision(timePrecision(t, src, -1)) + " with time zone", nil
	case sqlapply.NameZonedTime:
		return "time" + precision(timePrecision(t, src, -1)) + " with time zone", nil
	case sqlapply.NameMicroDuration:
		return "interval", nil
	case sqlapply.NameYear:
		return "integer", nil
	case sqlapply.NameJSON:
		if src == sqlapply.FromPostgres && base == "json" {
			return "json", nil // keeps the text as written
		}
		return "jsonb", nil
	case sqlapply.NameUUID:
		return "uuid", nil
	case sqlapply.NameXML:
		return "xml", nil
	case sqlapply.NameEnum, sqlapply.NameEnumSet, sqlapply.NameLtree:
		return "text", nil
	case sqlapply.NameBits:
		n, _ := strconv.Atoi(t.Params["length"])
		if src == sqlapply.FromPostgres && base == "varbit" {
			if n <= 0 || n >= math.MaxInt32 {
				return "bit varying", nil
			}
			return fmt.Sprintf("bit varying(%d)", n), nil
		}
		if n <= 0 || n >= math.MaxInt32 {
			return "bit varying", nil
		}
		return fmt.Sprintf("bit(%d)", n), nil
	case sqlapply.NameVarDecimal:
		return "numeric", nil
	}
	switch t.Kind {
	case event.KindBoolean:
		switch {
		case src == sqlapply.FromPostgres && base == "bit":
			return "bit(1)", nil
		case src == sqlapply.FromPostgres && base == "varbit":
			return "bit varying(1)", nil
		}
		return "boolean", nil
	case event.KindInt8, event.KindInt16:
		return "smallint", nil
	case event.KindInt32:
		return "integer", nil
	case event.KindInt64:
		return "bigint", nil
	case event.KindFloat32:
		return "real", nil
	case event.KindFloat64:
		return "double precision", nil
	case event.KindDecimal:
		if t.Precision > 0 && t.Precision <= 1000 && t.Scale >= 0 && t.Scale <= t.Precision {
			return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale), nil
		}
		return "numeric", nil
	case event.KindVarDecimal:
		return "numeric", nil
	case event.KindBytes:
		return "bytea", nil
	case event.KindString:
		return stringType(base, args, src), nil
	case event.KindArray:
		if t.Elem == nil {
			return "", errors.New("array type without an element type")
		}
		if t.Elem.Kind == event.KindArray {
			return "", errors.New("arrays of arrays are not supported")
		}
		elem, err := columnType(t.Elem, src)
		if err != nil {
			return "", err
		}
		return elem + "[]", nil
	}
	return "", fmt.Errorf("no Postgres column type for %s", t.Kind)
}

// stringType maps plain strings: character types keep their length, Postgres's text
// form types are reproduced, anything else is text.
func stringType(base string, args []string, src sqlapply.Source) string {
	n := intArg(args, 0)
	switch {
	case base == "varchar" && n > 0, src == sqlapply.FromMySQL && base == "char" && n > 0:
		// MySQL's CHAR drops trailing spaces, so it is a varchar in Postgres.
		return fmt.Sprintf("character varying(%d)", n)
	case base == "varchar":
		return "character varying"
	case src == sqlapply.FromPostgres && base == "bpchar" && n > 0:
		return fmt.Sprintf("character(%d)", n)
	case src == sqlapply.FromPostgres && textTypes[base]:
		return base
	}
	return "text"
}

// stringLength is the length limit of a string source type, or -1 for none.
func stringLength(t *event.Type) int {
	base, args := parseType(t.SourceType)
	switch base {
	case "varchar", "char", "bpchar":
		return intArg(args, 0)
	}
	return -1
}

// Converter returns the conversion of values of t into parameters for the column have,
// or why the column cannot hold them.
func (Dialect) Converter(t *event.Type, src sqlapply.Source, have sqlapply.Column) (sqlapply.Convert, error) {
	return converter(t, src, have)
}

func converter(t *event.Type, src sqlapply.Source, have sqlapply.Column) (sqlapply.Convert, error) {
	isArray := strings.HasSuffix(have.Type, "[]")
	if t.Kind == event.KindArray {
		if !isArray {
			return nil, errors.New("not an array column")
		}
		if t.Elem == nil {
			return nil, errors.New("array type without an element type")
		}
		elem := have
		elem.Type = strings.TrimSuffix(have.Type, "[]")
		elem.Class = strings.TrimPrefix(have.Class, "A")
		ec, err := converter(t.Elem, src, elem)
		if err != nil {
			return nil, fmt.Errorf("array elements: %w", err)
		}
		return arrayLiteral.Converter(ec), nil
	}
	if isArray {
		return nil, errors.New("an array column")
	}
	hb, hargs := parseType(have.Type)
	want, err := columnType(t, src)
	if err != nil {
		return nil, err
	}
	wb, wargs := parseType(want)
	reject := func() (sqlapply.Convert, error) {
		return nil, fmt.Errorf("want %s", want)
	}
	// A string fits a text column, and a varchar at least as long as the source's.
	textLike := func() bool {
		if t.Kind != event.KindString {
			return false
		}
		if hb == "text" || hb == "character varying" && len(hargs) == 0 {
			return true
		}
		n := stringLength(t)
		return hb == "character varying" && n > 0 && intArg(hargs, 0) >= n
	}
	// Times and timestamps fit a column with at least the source's fraction digits.
	precisionFits := func() bool {
		hp, wp := intArg(hargs, 0), intArg(wargs, 0)
		return hp < 0 || wp >= 0 && hp >= wp
	}
	switch t.Name {
	case sqlapply.NameDate:
		if hb == "date" {
			return sqlapply.DateConverter(formatDate), nil
		}
		return reject()
	case sqlapply.NameTime, sqlapply.NameMicroTime:
		scale := int64(1)
		if t.Name == sqlapply.NameTime {
			scale = 1000
		}
		def := -1
		if t.Name == sqlapply.NameTime {
			def = 3
		}
		hp, wp := intArg(hargs, 0), timePrecision(t, src, def)
		switch {
		case hb == "interval":
			return sqlapply.DurationConverter(scale), nil
		case hb == "time without time zone" && (hp < 0 || wp >= 0 && hp >= wp):
			// A MySQL TIME beyond 00:00..24:00 fails in such a column, naming it.
			return sqlapply.TimeOfDayConverter(scale, "time", "interval"), nil
		}
		return reject()
	case sqlapply.NameTimestamp, sqlapply.NameMicroTimestamp:
		scale := int64(1)
		if t.Name == sqlapply.NameTimestamp {
			scale = 1000
		}
		if hb == "timestamp without time zone" && precisionFits() {
			return sqlapply.TimestampConverter(scale, formatTimestamp), nil
		}
		return reject()
	case sqlapply.NameZonedTimestamp:
		if hb == "timestamp with time zone" && precisionFits() || textLike() {
			return sqlapply.ConvertIdentity, nil
		}
		return reject()
	case sqlapply.NameZonedTime:
		if hb == "time with time zone" && precisionFits() || textLike() {
			return sqlapply.ConvertIdentity, nil
		}
		return reject()
	case sqlapply.NameMicroDuration:
		switch hb {
		case "interval":
			return sqlapply.DurationConverter(1), nil
		case "bigint", "numeric":
			return sqlapply.ConvertIdentity, nil
		}
		return reject()
	case sqlapply.NameJSON:
		if hb == "json" || hb == "jsonb" || textLike() {
			return sqlapply.ConvertIdentity, nil
		}
		return reject()
	case sqlapply.NameUUID, sqlapply.NameXML, sqlapply.NameEnum, sqlapply.NameEnumSet, sqlapply.NameLtree:
		if hb == wb || textLike() || t.Name == sqlapply.NameEnum && have.Class == "E" || t.Name == sqlapply.NameLtree && hb == "ltree" {
			return sqlapply.ConvertIdentity, nil
		}
		return reject()
	case sqlapply.NameBits:
		n, _ := strconv.Atoi(t.Params["length"])
		if n <= 0 || n >= math.MaxInt32 {
			n = -1
		}
		switch hb {
		case "bytea":
			return sqlapply.ConvertIdentity, nil
		case "bit":
			if hn := max(intArg(hargs, 0), 1); n <= hn {
				return sqlapply.BitsConverter(hn), nil
			}
		case "bit varying":
			if hn := intArg(hargs, 0); hn < 0 || n > 0 && n <= hn {
				return sqlapply.BitsConverter(n), nil
			}
		}
		return reject()
	case sqlapply.NameVarDecimal:
		if hb == "numeric" && len(hargs) == 0 {
			return sqlapply.ConvertVarDecimal, nil
		}
		return reject()
	}
	switch t.Kind {
	case event.KindBoolean:
		switch hb {
		case "boolean":
			return sqlapply.ConvertIdentity, nil
		case "bit", "bit varying":
			return convertBoolBit, nil
		}
	case event.KindInt8, event.KindInt16:
		if hb == "smallint" || hb == "integer" || hb == "bigint" || hb == "numeric" {
			return sqlapply.ConvertIdentity, nil
		}
	case event.KindInt32:
		if hb == "integer" || hb == "bigint" || hb == "numeric" {
			return sqlapply.ConvertIdentity, nil
		}
	case event.KindInt64:
		if hb == "bigint" || hb == "numeric" {
			return sqlapply.ConvertIdentity, nil
		}
	case event.KindFloat32:
		switch hb {
		case "real":
			return sqlapply.ConvertIdentity, nil
		case "double precision":
			return sqlapply.ConvertFloat32To64, nil
		}
	case event.KindFloat64:
		if hb == "double precision" {
			return sqlapply.ConvertIdentity, nil
		}
	case event.KindDecimal:
		if hb != "numeric" {
			break
		}
		if len(hargs) == 2 {
			p, s := intArg(hargs, 0), intArg(hargs, 1)
			if s < t.Scale || t.Precision > 0 && p-s < t.Precision-t.Scale {
				break
			}
		}
		return sqlapply.DecimalConverter(t.Scale), nil
	case event.KindVarDecimal:
		if hb == "numeric" && len(hargs) == 0 {
			return sqlapply.ConvertVarDecimal, nil
		}
	case event.KindBytes:
		if hb == "bytea" {
			return sqlapply.ConvertIdentity, nil
		}
	case event.KindString:
		if have.Type == want || textLike() {
			return sqlapply.ConvertIdentity, nil
		}
	}
	return reject()
}

func convertBoolBit(v any) (any, error) {
	b, ok := v.(bool)
	if !ok {
		return nil, fmt.Errorf("boolean value of type %T", v)
	}
	if b {
		return "1", nil
	}
	return "0", nil
}

// formatDate renders days since the epoch as Postgres reads dates: YYYY-MM-DD, with BC
// for years before 1.
func formatDate(days int64) string {
	y, m, d := sqlapply.CivilFromDays(days)
	if y <= 0 {
		return fmt.Sprintf("%04d-%02d-%02d BC", 1-y, m, d)
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// formatTimestamp renders µs since the epoch as Postgres reads timestamps:
// YYYY-MM-DD HH:MM:SS[.ffffff], with BC last for years before 1.
func formatTimestamp(us int64) string {
	days, clock := sqlapply.SplitMicros(us)
	date := formatDate(days)
	if bc := strings.HasSuffix(date, " BC"); bc {
		return strings.TrimSuffix(date, " BC") + " " + sqlapply.FormatClock(clock) + " BC"
	}
	return date + " " + sqlapply.FormatClock(clock)
}

// arrayLiteral is Postgres's array literal: {"a","b",NULL}.
var arrayLiteral = sqlapply.ArrayLiteral{Open: "{", Sep: ",", Close: "}", Elem: arrayElemText}

// arrayElemText is the text of an array element as Postgres reads it.
func arrayElemText(x any) (string, error) {
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
	case float32:
		s = formatFloat(float64(e), 32)
	case float64:
		s = formatFloat(e, 64)
	case []byte:
		s = `\x` + fmt.Sprintf("%x", e)
	default:
		return "", fmt.Errorf("array element of type %T", x)
	}
	return s, nil
}

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
