package mysql

// Event types to MySQL column types, and event values to parameters. docs/SINKS.md has
// the mapping as a table. A MySQL source's columns get their source type back; a Postgres
// source's the natural MySQL type. Parameters are sent as integers, floats, bools and
// bytes where the driver encodes those exactly, and as text otherwise (decimals, dates,
// times, JSON), which the server parses into the column's type; strict mode makes a value
// the column cannot hold an error.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dovetail-cdc/dovetail/internal/event"
	"github.com/dovetail-cdc/dovetail/sinks/internal/sqlapply"
)

// keyLength is the varchar/varbinary length of key columns whose type has no length
// (text, bytea, ...): MySQL cannot key TEXT or BLOB, and InnoDB keys are at most 3072
// bytes (three utf8mb4 varchar(255) columns).
const keyLength = 255

// maxTime is MySQL's TIME range, ±838:59:59.999999, in µs.
const maxTime = (838*3600+59*60+59)*1_000_000 + 999_999

// Column type bases, by what they hold.
var (
	intRanges = map[string][2]*big.Int{}
	// textBytes are the byte capacities of the text types.
	textBytes = map[string]int64{"tinytext": 255, "text": 65535, "mediumtext": 1<<24 - 1, "longtext": 1<<32 - 1}
	blobBytes = map[string]int64{"tinyblob": 255, "blob": 65535, "mediumblob": 1<<24 - 1, "longblob": 1<<32 - 1}
	spatial   = map[string]bool{"geometry": true, "point": true, "linestring": true, "polygon": true, "multipoint": true,
		"multilinestring": true, "multipolygon": true, "geometrycollection": true, "geomcollection": true}
)

func isInt(base string) bool {
	_, ok := intRanges[base]
	return ok
}

func init() {
	for _, r := range []struct {
		name string
		bits uint
	}{{"tinyint", 8}, {"smallint", 16}, {"mediumint", 24}, {"int", 32}, {"bigint", 64}} {
		hi := new(big.Int).Lsh(big.NewInt(1), r.bits-1)
		intRanges[r.name] = [2]*big.Int{new(big.Int).Neg(hi), new(big.Int).Sub(hi, big.NewInt(1))}
		intRanges[r.name+" unsigned"] = [2]*big.Int{big.NewInt(0), new(big.Int).Sub(new(big.Int).Lsh(hi, 1), big.NewInt(1))}
	}
}

// parseType splits a MySQL type into its base (lower case, with "unsigned", without
// display attributes, character set and collation) and its modifiers:
// "decimal(10,2) unsigned" is "decimal unsigned" and ["10", "2"]. enum and set keep
// their values as the one modifier.
func parseType(s string) (base string, args []string) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	for _, cut := range []string{" character set ", " charset ", " collate "} {
		if i := strings.Index(lower, cut); i >= 0 && !strings.Contains(lower[i:], "'") {
			s, lower = strings.TrimSpace(s[:i]), strings.TrimSpace(lower[:i])
		}
	}
	lower = strings.Join(strings.Fields(strings.ReplaceAll(lower, " zerofill", "")), " ")
	i := strings.IndexByte(lower, '(')
	if i < 0 {
		return lower, nil
	}
	j := strings.LastIndexByte(lower, ')')
	if j < i {
		return lower, nil
	}
	base = strings.TrimSpace(lower[:i] + " " + strings.TrimSpace(lower[j+1:]))
	if base == "enum" || base == "set" {
		return base, []string{s[i+1 : strings.LastIndexByte(s, ')')]}
	}
	for _, a := range strings.Split(lower[i+1:j], ",") {
		args = append(args, strings.TrimSpace(a))
	}
	return base, args
}

// normalizeType spells a column type as ColumnType does: information_schema's
// COLUMN_TYPE without the integers' display widths (but tinyint(1), the boolean).
func normalizeType(s string) string {
	base, args := parseType(s)
	switch {
	case base == "enum" || base == "set":
		return base + "(" + args[0] + ")"
	case base == "tinyint" && len(args) == 1 && args[0] == "1":
		return "tinyint(1)"
	case isInt(base), base == "year":
		return base
	case len(args) > 0:
		b, unsigned := strings.CutSuffix(base, " unsigned")
		t := b + "(" + strings.Join(args, ",") + ")"
		if unsigned {
			t += " unsigned"
		}
		return t
	}
	return base
}

// intArg returns modifier i as a number, or def.
func intArg(args []string, i, def int) int {
	if i >= len(args) {
		return def
	}
	n, err := strconv.Atoi(args[i])
	if err != nil {
		return def
	}
	return n
}

// timePrecision is the fraction digits of a time type: the source's modifier; for a
// MySQL source without one 0 (its default), for Postgres 6; without a source type, def.
func timePrecision(t *event.Type, src sqlapply.Source, def int) int {
	if t.SourceType == "" {
		return def
	}
	_, args := parseType(t.SourceType)
	if p := intArg(args, 0, -1); p >= 0 {
		return min(p, 6)
	}
	if src == sqlapply.FromMySQL {
		return 0
	}
	return 6
}

func withPrecision(base string, p int) string {
	if p <= 0 {
		return base
	}
	return fmt.Sprintf("%s(%d)", base, p)
}

// fromMySQL reports whether t carries a MySQL source type.
func fromMySQL(t *event.Type, src sqlapply.Source) bool {
	return src == sqlapply.FromMySQL && t.SourceType != ""
}

// ColumnType maps an event type to the column type a target table gets.
func (d Dialect) ColumnType(t *event.Type, src sqlapply.Source) (string, error) {
	typ, err := mapType(t, src)
	if err != nil {
		return "", err
	}
	return typ + d.textCharset(typ), nil
}

// KeyColumnType is ColumnType with a length for the types MySQL cannot key.
func (d Dialect) KeyColumnType(t *event.Type, src sqlapply.Source) (string, error) {
	typ, err := mapType(t, src)
	if err != nil {
		return "", err
	}
	base, _ := parseType(typ)
	switch {
	case textBytes[base] > 0, base == "json":
		typ = fmt.Sprintf("varchar(%d)", keyLength)
	case blobBytes[base] > 0:
		typ = fmt.Sprintf("varbinary(%d)", keyLength)
	}
	return typ + d.textCharset(typ), nil
}

// textCharset is the character set clause for the text types.
func (d Dialect) textCharset(typ string) string {
	base, _ := parseType(typ)
	switch {
	case base == "char", base == "varchar", textBytes[base] > 0, base == "enum", base == "set":
		return d.charset()
	}
	return ""
}

func mapType(t *event.Type, src sqlapply.Source) (string, error) {
	base, args := parseType(t.SourceType)
	my := fromMySQL(t, src)
	switch t.Name {
	case sqlapply.NameDate:
		return "date", nil
	case sqlapply.NameTime:
		return withPrecision("time", timePrecision(t, src, 3)), nil
	case sqlapply.NameMicroTime:
		return withPrecision("time", timePrecision(t, src, 6)), nil
	case sqlapply.NameTimestamp:
		return withPrecision("datetime", timePrecision(t, src, 3)), nil
	case sqlapply.NameMicroTimestamp:
		return withPrecision("datetime", timePrecision(t, src, 6)), nil
	case sqlapply.NameZonedTimestamp:
		if my && base == "timestamp" {
			return withPrecision("timestamp", timePrecision(t, src, 6)), nil
		}
		return withPrecision("datetime", timePrecision(t, src, 6)), nil
	case sqlapply.NameZonedTime:
		return withPrecision("time", timePrecision(t, src, 6)), nil
	case sqlapply.NameMicroDuration:
		return "bigint", nil
	case sqlapply.NameYear:
		return "year", nil
	case sqlapply.NameJSON:
		return "json", nil
	case sqlapply.NameUUID:
		return "char(36)", nil
	case sqlapply.NameXML, sqlapply.NameLtree:
		return "longtext", nil
	case sqlapply.NameEnum, sqlapply.NameEnumSet:
		if my && (base == "enum" || base == "set") {
			return normalizeType(t.SourceType), nil
		}
		if t.Name == sqlapply.NameEnum {
			return fmt.Sprintf("varchar(%d)", keyLength), nil
		}
		return "longtext", nil
	case sqlapply.NameBits:
		if n, _ := strconv.Atoi(t.Params["length"]); n >= 1 && n <= 64 {
			return fmt.Sprintf("bit(%d)", n), nil
		}
		return "longtext", nil
	case sqlapply.NameVarDecimal:
		return "decimal(65,30)", nil
	}
	switch t.Kind {
	case event.KindBoolean:
		if my && base == "bit" || src == sqlapply.FromPostgres && (base == "bit" || base == "varbit") {
			return "bit(1)", nil
		}
		return "tinyint(1)", nil
	case event.KindInt8, event.KindInt16, event.KindInt32, event.KindInt64:
		if b := strings.Replace(base, "integer", "int", 1); my && isInt(b) {
			return b, nil
		}
		return map[event.Kind]string{event.KindInt8: "tinyint", event.KindInt16: "smallint",
			event.KindInt32: "int", event.KindInt64: "bigint"}[t.Kind], nil
	case event.KindFloat32:
		return "float", nil
	case event.KindFloat64:
		return "double", nil
	case event.KindDecimal:
		if my && base == "bigint unsigned" {
			return base, nil
		}
		unsigned := ""
		if my && strings.HasSuffix(base, " unsigned") {
			unsigned = " unsigned"
		}
		p, s := t.Precision, t.Scale
		switch {
		case p > 0 && p <= 65 && s >= 0 && s <= 30 && s <= p:
			return fmt.Sprintf("decimal(%d,%d)%s", p, s, unsigned), nil
		case p <= 0 && s >= 0 && s <= 30:
			return fmt.Sprintf("decimal(65,%d)", s), nil
		}
		return "longtext", nil // beyond DECIMAL's 65 digits: exact, as text
	case event.KindVarDecimal:
		return "decimal(65,30)", nil
	case event.KindBytes:
		if my && (base == "binary" || base == "varbinary" || blobBytes[base] > 0 || spatial[base]) {
			return normalizeType(t.SourceType), nil
		}
		return "longblob", nil
	case event.KindString:
		n := intArg(args, 0, -1)
		switch {
		case my && (base == "char" || base == "varchar") && n >= 0:
			return fmt.Sprintf("%s(%d)", base, n), nil
		case my && textBytes[base] > 0:
			return base, nil
		case src == sqlapply.FromPostgres && base == "varchar" && n > 0 && n <= 16383:
			return fmt.Sprintf("varchar(%d)", n), nil
		case src == sqlapply.FromPostgres && base == "bpchar" && n > 0 && n <= 255:
			return fmt.Sprintf("char(%d)", n), nil
		case src == sqlapply.FromPostgres && base == "bpchar" && n > 0 && n <= 16383:
			return fmt.Sprintf("varchar(%d)", n), nil
		}
		return "longtext", nil
	case event.KindArray:
		if t.Elem == nil {
			return "", errors.New("array type without an element type")
		}
		return "json", nil
	}
	return "", fmt.Errorf("no MySQL column type for %s", t.Kind)
}

// stringNeed is what a string of t needs: characters (for char and varchar columns,
// -1 for unbounded) and bytes in utf8mb4 (for text columns).
func stringNeed(t *event.Type, src sqlapply.Source) (chars int, bytes int64) {
	base, args := parseType(t.SourceType)
	switch t.Name {
	case sqlapply.NameUUID:
		return 36, 36
	case sqlapply.NameEnum:
		if !fromMySQL(t, src) {
			return keyLength, 4 * keyLength
		}
		n := 0
		for _, v := range strings.Split(t.Params["allowed"], ",") {
			n = max(n, utf8.RuneCountInString(v))
		}
		return n, int64(4 * n)
	}
	if t.Name == "" || t.Name == sqlapply.NameEnumSet {
		switch n := intArg(args, 0, -1); {
		case (base == "char" || base == "varchar" || base == "bpchar") && n >= 0:
			return n, int64(4 * n)
		case fromMySQL(t, src) && textBytes[base] > 0:
			return -1, textBytes[base]
		}
	}
	return -1, textBytes["longtext"]
}

// Converter returns the conversion of values of t into parameters for the column have,
// or why the column cannot hold them.
func (d Dialect) Converter(t *event.Type, src sqlapply.Source, have sqlapply.Column) (sqlapply.Convert, error) {
	want, err := mapType(t, src)
	if err != nil {
		return nil, err
	}
	hb, hargs := parseType(have.Type)
	srcBase, _ := parseType(t.SourceType)
	key := have.Class == keyClass
	reject := func() (sqlapply.Convert, error) { return nil, fmt.Errorf("want %s", want) }
	if normalizeType(have.Type) == want && (hb == "enum" || hb == "set") {
		return sqlapply.ConvertIdentity, nil
	}
	// Strings go into text columns that hold as many bytes, char/varchar columns that
	// hold as many characters, and, as key columns, into any varchar (checked per value).
	stringFits := func() (sqlapply.Convert, bool) {
		chars, bytes := stringNeed(t, src)
		switch {
		case textBytes[hb] > 0:
			return sqlapply.ConvertIdentity, textBytes[hb] >= bytes
		case hb == "char" || hb == "varchar":
			m := intArg(hargs, 0, 0)
			if chars >= 0 && m >= chars {
				return sqlapply.ConvertIdentity, true
			}
			if key {
				return lengthChecked(m), true
			}
		}
		return nil, false
	}
	// Times fit a column of their kind with at least the source's fraction digits.
	timeFits := func(kinds ...string) bool {
		_, wargs := parseType(want)
		for _, k := range kinds {
			if hb == k && intArg(hargs, 0, 0) >= intArg(wargs, 0, 0) {
				return true
			}
		}
		return false
	}
	if t.Kind == event.KindArray {
		if hb == "json" || textBytes[hb] == textBytes["longtext"] {
			return arrayConverter(t.Elem, src)
		}
		return reject()
	}
	switch t.Name {
	case sqlapply.NameDate:
		if hb == "date" {
			return convertDate, nil
		}
		return reject()
	case sqlapply.NameTime, sqlapply.NameMicroTime:
		if timeFits("time") {
			return clockConverter(map[bool]int64{true: 1000, false: 1}[t.Name == sqlapply.NameTime]), nil
		}
		return reject()
	case sqlapply.NameTimestamp, sqlapply.NameMicroTimestamp:
		if timeFits("datetime") {
			return datetimeConverter(map[bool]int64{true: 1000, false: 1}[t.Name == sqlapply.NameTimestamp]), nil
		}
		return reject()
	case sqlapply.NameZonedTimestamp:
		if timeFits("timestamp", "datetime") {
			return convertZonedTimestamp, nil
		}
		if c, ok := stringFits(); ok {
			return c, nil
		}
		return reject()
	case sqlapply.NameZonedTime:
		if timeFits("time") {
			return convertZonedTime, nil
		}
		if c, ok := stringFits(); ok {
			return c, nil
		}
		return reject()
	case sqlapply.NameMicroDuration:
		switch {
		case hb == "bigint", hb == "decimal" && intArg(hargs, 0, 10)-intArg(hargs, 1, 0) >= 19:
			return sqlapply.ConvertIdentity, nil
		case hb == "time" && intArg(hargs, 0, 0) == 6:
			return clockConverter(1), nil
		}
		return reject()
	case sqlapply.NameYear:
		if hb == "year" || isInt(hb) && intRanges[hb][1].Int64() >= 2155 && intRanges[hb][0].Sign() <= 0 {
			return sqlapply.ConvertIdentity, nil
		}
		return reject()
	case sqlapply.NameJSON:
		if hb == "json" {
			return sqlapply.ConvertIdentity, nil
		}
		if c, ok := stringFits(); ok {
			return c, nil
		}
		return reject()
	case sqlapply.NameUUID, sqlapply.NameXML, sqlapply.NameLtree, sqlapply.NameEnum, sqlapply.NameEnumSet:
		if c, ok := stringFits(); ok {
			return c, nil
		}
		return reject()
	case sqlapply.NameBits:
		n, _ := strconv.Atoi(t.Params["length"])
		if n <= 0 || n >= math.MaxInt32 {
			n = -1
		}
		if hb == "bit" {
			if m := intArg(hargs, 0, 1); n > 0 && n <= m {
				return bitsConverter(m), nil
			}
			return reject()
		}
		if textBytes[hb] > 0 || hb == "varchar" && n > 0 && intArg(hargs, 0, 0) >= n {
			return sqlapply.BitsConverter(n), nil
		}
		return reject()
	case sqlapply.NameVarDecimal:
		if hb == "decimal" {
			return decimalLimits(intArg(hargs, 0, 10), intArg(hargs, 1, 0)), nil
		}
		if textBytes[hb] > 0 {
			return sqlapply.ConvertVarDecimal, nil
		}
		return reject()
	}
	switch t.Kind {
	case event.KindBoolean:
		if hb == "bit" || hb == "bool" || hb == "boolean" || isInt(hb) {
			return sqlapply.ConvertIdentity, nil
		}
	case event.KindInt8, event.KindInt16, event.KindInt32, event.KindInt64:
		lo, hi := sourceRange(want)
		switch {
		case isInt(hb):
			if r := intRanges[hb]; r[0].Cmp(lo) <= 0 && r[1].Cmp(hi) >= 0 {
				return sqlapply.ConvertIdentity, nil
			}
		case hb == "decimal" || hb == "decimal unsigned":
			p, s := intArg(hargs, 0, 10), intArg(hargs, 1, 0)
			if p-s >= len(hi.String()) && (hb == "decimal" || lo.Sign() >= 0) {
				return sqlapply.ConvertIdentity, nil
			}
		}
	case event.KindFloat32:
		switch hb {
		case "float":
			return convertFloat32, nil
		case "double":
			return convertFloat32To64, nil
		}
	case event.KindFloat64:
		if hb == "double" {
			return convertFloat64, nil
		}
	case event.KindDecimal:
		switch {
		case srcBase == "bigint unsigned" && (hb == "bigint unsigned" || hb == "decimal unsigned" || hb == "decimal"):
			if hb == "bigint unsigned" {
				return decimalLimits(20, 0), nil
			}
			fallthrough
		case hb == "decimal" || hb == "decimal unsigned":
			p, s := intArg(hargs, 0, 10), intArg(hargs, 1, 0)
			if s < t.Scale || t.Precision > 0 && p-s < t.Precision-t.Scale {
				break
			}
			if hb == "decimal unsigned" && !strings.HasSuffix(srcBase, " unsigned") {
				break
			}
			return decimalLimits(p, s), nil
		case textBytes[hb] > 0:
			return sqlapply.DecimalConverter(t.Scale), nil
		}
	case event.KindBytes:
		if spatial[srcBase] && fromMySQL(t, src) {
			if spatial[hb] {
				return convertGeometry, nil
			}
			if blobBytes[hb] > 0 {
				return sqlapply.ConvertIdentity, nil
			}
			break
		}
		_, sargs := parseType(t.SourceType)
		n := int64(intArg(sargs, 0, -1))
		need := blobBytes["longblob"]
		switch {
		case fromMySQL(t, src) && (srcBase == "binary" || srcBase == "varbinary") && n >= 0:
			need = n
		case fromMySQL(t, src) && blobBytes[srcBase] > 0:
			need = blobBytes[srcBase]
		}
		switch {
		case blobBytes[hb] >= need:
			return sqlapply.ConvertIdentity, nil
		case hb == "binary" && srcBase == "binary" && int64(intArg(hargs, 0, 1)) == need:
			return sqlapply.ConvertIdentity, nil
		case hb == "varbinary" && int64(intArg(hargs, 0, 0)) >= need:
			return sqlapply.ConvertIdentity, nil
		case hb == "varbinary" && key:
			return bytesLengthChecked(intArg(hargs, 0, 0)), nil
		}
	case event.KindString:
		if c, ok := stringFits(); ok {
			return c, nil
		}
	}
	return reject()
}

// sourceRange is the range of an integer source column: that of its mapped type (its
// MySQL type, else its kind's).
func sourceRange(want string) (lo, hi *big.Int) {
	r, ok := intRanges[want]
	if !ok {
		r = intRanges["bigint"]
	}
	return r[0], r[1]
}

func lengthChecked(m int) sqlapply.Convert {
	return func(v any) (any, error) {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("string value of type %T", v)
		}
		if n := utf8.RuneCountInString(s); n > m {
			return nil, fmt.Errorf("a value of %d characters does not fit the key column's varchar(%d) (pre-create it longer)", n, m)
		}
		return s, nil
	}
}

func bytesLengthChecked(m int) sqlapply.Convert {
	return func(v any) (any, error) {
		b, ok := v.([]byte)
		if !ok {
			return nil, fmt.Errorf("bytes value of type %T", v)
		}
		if len(b) > m {
			return nil, fmt.Errorf("a value of %d bytes does not fit the key column's varbinary(%d) (pre-create it longer)", len(b), m)
		}
		return b, nil
	}
}

func finite(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%v: MySQL has no NaN or infinity", f)
	}
	return nil
}

func convertFloat32(v any) (any, error) {
	f, ok := v.(float32)
	if !ok {
		return nil, fmt.Errorf("float32 value of type %T", v)
	}
	return f, finite(float64(f))
}

func convertFloat32To64(v any) (any, error) {
	f, ok := v.(float32)
	if !ok {
		return nil, fmt.Errorf("float32 value of type %T", v)
	}
	if err := finite(float64(f)); err != nil {
		return nil, err
	}
	// Through the shortest decimal form: 0.1 stays 0.1, not 0.10000000149011612.
	return strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
}

func convertFloat64(v any) (any, error) {
	f, ok := v.(float64)
	if !ok {
		return nil, fmt.Errorf("float64 value of type %T", v)
	}
	return f, finite(f)
}

// decimalLimits renders decimals (fixed or variable scale) for a decimal(p,s) column,
// failing for values with more integer or fraction digits than it holds (MySQL would
// round the fraction silently).
func decimalLimits(p, s int) sqlapply.Convert {
	return func(v any) (any, error) {
		var str string
		switch x := v.(type) {
		case *big.Rat:
			if x == nil {
				return nil, errors.New("nil decimal")
			}
			var err error
			if str, err = sqlapply.DecimalString(x, 0); err != nil {
				return nil, err
			}
		case event.VarDecimal:
			str = sqlapply.VarDecimalString(x)
		default:
			return nil, fmt.Errorf("decimal value of type %T", v)
		}
		digits := strings.TrimPrefix(str, "-")
		ip, fp, _ := strings.Cut(digits, ".")
		fp = strings.TrimRight(fp, "0")
		ip = strings.TrimLeft(ip, "0")
		if len(ip) > p-s || len(fp) > s {
			return nil, fmt.Errorf("%s does not fit decimal(%d,%d)", str, p, s)
		}
		return str, nil
	}
}

// bitsConverter turns io.debezium.data.Bits (little-endian) into the big-endian bytes
// of a bit(m) column.
func bitsConverter(m int) sqlapply.Convert {
	return func(v any) (any, error) {
		b, ok := v.([]byte)
		if !ok {
			return nil, fmt.Errorf("bits value of type %T", v)
		}
		if _, err := sqlapply.BitString(b, m); err != nil {
			return nil, err
		}
		out := make([]byte, (m+7)/8)
		for i := range out {
			if i < len(b) {
				out[len(out)-1-i] = b[i]
			}
		}
		return out, nil
	}
}

// convertGeometry turns WKB into MySQL's geometry storage format: a 4-byte SRID (0, the
// source drops it) and the WKB.
func convertGeometry(v any) (any, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("geometry value of type %T", v)
	}
	return append([]byte{0, 0, 0, 0}, b...), nil
}

// formatDate renders days since the epoch as YYYY-MM-DD, for years 0 to 9999.
func formatDate(days int64) (string, error) {
	y, m, d := sqlapply.CivilFromDays(days)
	if y < 0 || y > 9999 {
		return "", fmt.Errorf("date in year %d: MySQL dates are in years 0 to 9999 (Postgres ±infinity and BC dates have no MySQL value)", y)
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d), nil
}

func convertDate(v any) (any, error) {
	d, err := sqlapply.IntValue(v)
	if err != nil {
		return nil, err
	}
	return formatDate(d)
}

// clockConverter renders a time of day or duration counted in units of scale µs as
// [-]HH:MM:SS.ffffff, within MySQL's ±838:59:59.999999.
func clockConverter(scale int64) sqlapply.Convert {
	return func(v any) (any, error) {
		n, err := sqlapply.IntValue(v)
		if err != nil {
			return nil, err
		}
		us := n * scale
		if us > maxTime || us < -maxTime {
			return nil, fmt.Errorf("time %s is outside MySQL's TIME range ±838:59:59.999999", sqlapply.FormatClock(us))
		}
		return sqlapply.FormatClock(us), nil
	}
}

func formatDatetime(us int64) (string, error) {
	days, clock := sqlapply.SplitMicros(us)
	date, err := formatDate(days)
	if err != nil {
		return "", err
	}
	return date + " " + sqlapply.FormatClock(clock), nil
}

// datetimeConverter renders a timestamp counted in units of scale µs since the epoch.
func datetimeConverter(scale int64) sqlapply.Convert {
	return func(v any) (any, error) {
		n, err := sqlapply.IntValue(v)
		if err != nil {
			return nil, err
		}
		return formatDatetime(n * scale)
	}
}

// convertZonedTimestamp renders an ISO timestamp with an offset as a UTC DATETIME (the
// sink's sessions are in UTC, so a TIMESTAMP column takes it as the same instant).
func convertZonedTimestamp(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("zoned timestamp value of type %T", v)
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fmt.Errorf("timestamp %q: MySQL has no value for it", s)
	}
	ts = ts.UTC()
	if ts.Year() < 0 || ts.Year() > 9999 {
		return nil, fmt.Errorf("timestamp %q: MySQL timestamps are in years 0 to 9999", s)
	}
	return strings.TrimSuffix(strings.TrimRight(ts.Format("2006-01-02 15:04:05.000000"), "0"), "."), nil
}

// convertZonedTime renders an ISO time with an offset ("07:04:56.5Z") as the UTC time.
func convertZonedTime(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("zoned time value of type %T", v)
	}
	tt, err := time.Parse("15:04:05.999999999Z07:00", s)
	if err != nil {
		return nil, fmt.Errorf("time with time zone %q: %v", s, err)
	}
	tt = tt.UTC()
	us := int64(tt.Hour()*3600+tt.Minute()*60+tt.Second())*1_000_000 + int64(tt.Nanosecond()/1000)
	return sqlapply.FormatClock(us), nil
}

// arrayConverter renders an array as a JSON array: numbers and booleans as JSON ones,
// decimals as strings (exact), dates and times as MySQL's text of them, bytes as base64,
// JSON elements as the JSON values.
func arrayConverter(elem *event.Type, src sqlapply.Source) (sqlapply.Convert, error) {
	if elem == nil {
		return nil, errors.New("array type without an element type")
	}
	if elem.Kind == event.KindArray {
		return nil, errors.New("arrays of arrays are not supported")
	}
	conv, err := jsonElement(elem)
	if err != nil {
		return nil, err
	}
	return func(v any) (any, error) {
		a, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("array value of type %T", v)
		}
		out := make([]any, len(a))
		for i, e := range a {
			if e == nil {
				continue
			}
			x, err := conv(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i+1, err)
			}
			out[i] = x
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}, nil
}

func jsonElement(t *event.Type) (sqlapply.Convert, error) {
	switch t.Name {
	case sqlapply.NameDate:
		return convertDate, nil
	case sqlapply.NameTime:
		return clockConverter(1000), nil
	case sqlapply.NameMicroTime:
		return clockConverter(1), nil
	case sqlapply.NameTimestamp:
		return datetimeConverter(1000), nil
	case sqlapply.NameMicroTimestamp:
		return datetimeConverter(1), nil
	case sqlapply.NameJSON:
		return func(v any) (any, error) {
			s, _ := v.(string)
			if !json.Valid([]byte(s)) {
				return nil, fmt.Errorf("invalid JSON %q", s)
			}
			return json.RawMessage(s), nil
		}, nil
	case sqlapply.NameVarDecimal:
		return sqlapply.ConvertVarDecimal, nil
	case sqlapply.NameBits:
		return sqlapply.BitsConverter(-1), nil
	}
	switch t.Kind {
	case event.KindDecimal:
		return sqlapply.DecimalConverter(t.Scale), nil
	case event.KindFloat32:
		return convertFloat32To64, nil
	case event.KindFloat64:
		return convertFloat64, nil
	case event.KindBytes:
		return func(v any) (any, error) {
			b, ok := v.([]byte)
			if !ok {
				return nil, fmt.Errorf("bytes value of type %T", v)
			}
			return base64.StdEncoding.EncodeToString(b), nil
		}, nil
	}
	return sqlapply.ConvertIdentity, nil
}
