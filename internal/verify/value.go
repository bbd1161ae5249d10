package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind is the comparison type of a normalized value: what a Reader turns a column's
// native type into, so that equal data read from different engines is the same Value.
type Kind uint8

const (
	KindNull        Kind = iota
	KindNumber           // exact decimal: integers of any size, decimal/numeric, year
	KindFloat            // IEEE float, S the shortest text that round-trips at the column's precision
	KindBool             // "true" / "false"
	KindString           // UTF-8 text: char, varchar, text, enum, set, uuid (lowercase), ...
	KindBytes            // raw bytes in S
	KindDate             // YYYY-MM-DD
	KindTimestamp        // YYYY-MM-DD HH:MM:SS.ffffff, a wall-clock time without zone
	KindTimestampTZ      // YYYY-MM-DD HH:MM:SS.ffffff, an instant in UTC
	KindTime             // [-]HH:MM:SS.ffffff, hours may exceed 23 (MySQL TIME)
	KindJSON             // canonical JSON: sorted keys, no spaces, numbers by exact value
	KindBits             // bit string of the column's length, most significant bit first: "0101"
)

var kindNames = [...]string{"null", "number", "float", "bool", "string", "bytes", "date",
	"timestamp", "timestamptz", "time", "json", "bits"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Value is one normalized column value. S is its canonical text (raw bytes for
// KindBytes); two values are equal when Kind and S are.
type Value struct {
	Kind Kind
	S    string
}

// Null is the SQL NULL.
var Null = Value{}

// String formats v for reports: bytes in hex, NULL as NULL.
func (v Value) String() string {
	switch v.Kind {
	case KindNull:
		return "NULL"
	case KindBytes:
		return fmt.Sprintf("\\x%x", v.S)
	}
	return v.S
}

// Key is the values of a row's key columns, in key order.
type Key []Value

// String formats k as "(v1, v2)" for one or more columns, or v1 alone.
func (k Key) String() string {
	if len(k) == 1 {
		return k[0].String()
	}
	s := make([]string, len(k))
	for i, v := range k {
		s[i] = v.String()
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// number returns the canonical text of an exact decimal: no leading zeros, no trailing
// fraction zeros, no "+", "-0" as "0". It accepts an exponent ("1.5e3"). NaN and
// ±Infinity (Postgres numeric) are kept as "NaN", "Infinity", "-Infinity".
func number(s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(strings.TrimPrefix(s, "+")) {
	case "nan":
		return "NaN", true
	case "infinity", "inf":
		return "Infinity", true
	case "-infinity", "-inf":
		return "-Infinity", true
	}
	if strings.ContainsAny(s, "eE") {
		return numberExp(s)
	}
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" && fp == "" || !digits(ip) || !digits(fp) {
		return "", false
	}
	ip = strings.TrimLeft(ip, "0")
	fp = strings.TrimRight(fp, "0")
	if ip == "" {
		ip = "0"
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numberExp handles numbers with an exponent (JSON, floats' text). Exponents beyond
// ±400 are refused rather than expanded.
func numberExp(s string) (string, bool) {
	mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
	e, err := strconv.Atoi(exp)
	if err != nil || e > 400 || e < -400 {
		return "", false
	}
	r, ok := new(big.Rat).SetString(mant)
	if !ok {
		return "", false
	}
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil)
	if e >= 0 {
		r.Mul(r, new(big.Rat).SetInt(pow))
	} else {
		r.Quo(r, new(big.Rat).SetInt(pow))
	}
	return ratDecimal(r)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// ratDecimal formats a rational with a terminating decimal expansion canonically.
func ratDecimal(r *big.Rat) (string, bool) {
	if r.IsInt() {
		return r.Num().String(), true
	}
	d := new(big.Int).Set(r.Denom())
	places := 0
	for _, f := range []int64{2, 5} {
		n := 0
		q, m := new(big.Int), new(big.Int)
		for {
			q.QuoRem(d, big.NewInt(f), m)
			if m.Sign() != 0 {
				break
			}
			d.Set(q)
			n++
		}
		places = max(places, n)
	}
	if d.Cmp(big.NewInt(1)) != 0 {
		return "", false
	}
	return number(r.FloatString(places))
}

// float returns the canonical text of f at the given precision (32 or 64 bits): the
// shortest text that reads back as the same float, "NaN", "Infinity", "-Infinity";
// -0 is "0".
func float(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if bits == 32 {
		return strconv.FormatFloat(float64(float32(f)), 'g', -1, 32)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// parseFloat reads a float's text as Postgres, MySQL or float() write it.
func parseFloat(s string) (float64, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "nan":
		return math.NaN(), true
	case "infinity", "inf", "+infinity":
		return math.Inf(1), true
	case "-infinity", "-inf":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

// dateText checks and returns a YYYY-MM-DD date. zero reports MySQL's zero dates
// (0000-00-00, or a zero month or day), which have no calendar date.
func dateText(s string) (out string, zero, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:]) {
		return "", false, false
	}
	if s[5:7] == "00" || s[8:] == "00" || s[:4] == "0000" {
		return s, true, true
	}
	return s, false, true
}

// timestampText reads "YYYY-MM-DD[ T]HH:MM:SS[.f...][zone]" and returns it as
// "YYYY-MM-DD HH:MM:SS.ffffff" (fractions beyond µs are truncated). A zone ("Z",
// "+00", "+05:30", "-0800") is applied, so the result is in UTC; hasZone reports one.
// A date alone is midnight. zero reports MySQL's zero dates.
func timestampText(s string) (out string, zero, hasZone, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) == 10 {
		d, z, ok := dateText(s)
		return d + " 00:00:00.000000", z, false, ok
	}
	if len(s) < 19 || (s[10] != ' ' && s[10] != 'T') {
		return "", false, false, false
	}
	d, z, ok := dateText(s[:10])
	if !ok {
		return "", false, false, false
	}
	clock := s[11:19]
	if clock[2] != ':' || clock[5] != ':' || !digits(clock[:2]) || !digits(clock[3:5]) || !digits(clock[6:]) {
		return "", false, false, false
	}
	rest := s[19:]
	frac := ""
	if strings.HasPrefix(rest, ".") {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		frac, rest = rest[1:n], rest[n:]
	}
	frac = (frac + "000000")[:6]
	out = d + " " + clock + "." + frac
	if rest == "" {
		return out, z, false, true
	}
	if z {
		return out, true, true, true
	}
	off, ok := zoneOffset(rest)
	if !ok {
		return "", false, false, false
	}
	t, err := time.Parse("2006-01-02 15:04:05.000000", out)
	if err != nil {
		return "", false, false, false
	}
	return t.Add(-time.Duration(off) * time.Second).Format("2006-01-02 15:04:05.000000"), false, true, true
}

// zoneOffset reads "Z", "+HH", "+HH:MM", "+HHMM", "+HH:MM:SS" as seconds east of UTC.
func zoneOffset(z string) (int, bool) {
	if z == "Z" || z == "z" {
		return 0, true
	}
	if len(z) < 3 || (z[0] != '+' && z[0] != '-') {
		return 0, false
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	parts := strings.Split(z[1:], ":")
	if len(parts) == 1 && len(parts[0]) == 4 {
		parts = []string{parts[0][:2], parts[0][2:]}
	}
	secs, unit := 0, 3600
	for _, p := range parts {
		if len(p) != 2 || !digits(p) || unit == 0 {
			return 0, false
		}
		n, _ := strconv.Atoi(p)
		secs += n * unit
		unit /= 60
	}
	return sign * secs, true
}

// timeText reads "[-]H+:MM:SS[.f...]" (a time of day, or a MySQL TIME interval) and
// returns its canonical text "[-]HH:MM:SS.ffffff".
func timeText(s string) (string, bool) {
	us, ok := timeMicros(s)
	if !ok {
		return "", false
	}
	return formatMicros(us), true
}

func timeMicros(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	clock, frac, _ := strings.Cut(s, ".")
	parts := strings.Split(clock, ":")
	if len(parts) != 3 || !digits(frac) || len(frac) > 9 {
		return 0, false
	}
	var hms [3]int64
	for i, p := range parts {
		if p == "" || !digits(p) || len(p) > 4 {
			return 0, false
		}
		hms[i], _ = strconv.ParseInt(p, 10, 64)
	}
	f, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	us := ((hms[0]*60+hms[1])*60+hms[2])*1_000_000 + f
	if neg {
		us = -us
	}
	return us, true
}

func formatMicros(us int64) string {
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	return fmt.Sprintf("%s%02d:%02d:%02d.%06d", sign, us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000)
}

// canonicalJSON returns JSON text with object keys sorted, no insignificant space and
// numbers as exact decimals (1.0, 1 and 1e0 are all "1"). Strings are re-encoded
// without HTML escaping.
func canonicalJSON(s string) (string, bool) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", false
	}
	if _, err := d.Token(); err == nil {
		return "", false // trailing data
	}
	var b bytes.Buffer
	if !writeJSON(&b, v) {
		return "", false
	}
	return b.String(), true
}

func writeJSON(b *bytes.Buffer, v any) bool {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		n, ok := number(string(x))
		if !ok {
			return false
		}
		b.WriteString(n)
	case string:
		writeJSONString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if !writeJSON(b, e) {
				return false
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if !writeJSON(b, x[k]) {
				return false
			}
		}
		b.WriteByte('}')
	default:
		return false
	}
	return true
}

func writeJSONString(b *bytes.Buffer, s string) {
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)         // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

// bitString formats the big-endian bytes of a MySQL BIT(n) value as n bits.
func bitString(b []byte, n int) string {
	var sb strings.Builder
	for i := len(b)*8 - n; i < len(b)*8; i++ {
		if i < 0 {
			sb.WriteByte('0')
			continue
		}
		if b[i/8]&(0x80>>(i%8)) != 0 {
			sb.WriteByte('1')
		} else {
			sb.WriteByte('0')
		}
	}
	return sb.String()
}

// parseAs reads text s as a value of kind k, the way a String column's content is
// compared with a typed column of the other side (a timestamp kept as ISO text, JSON
// kept as text). It reports false when s is not a valid k.
func parseAs(s string, k Kind, bits int) (Value, bool) {
	switch k {
	case KindString:
		return Value{KindString, s}, true
	case KindBytes:
		return Value{KindBytes, s}, true
	case KindNumber:
		n, ok := number(s)
		return Value{KindNumber, n}, ok
	case KindFloat:
		f, ok := parseFloat(s)
		return Value{KindFloat, float(f, bits)}, ok
	case KindBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "t", "true", "1", "y", "yes", "on":
			return Value{KindBool, "true"}, true
		case "f", "false", "0", "n", "no", "off":
			return Value{KindBool, "false"}, true
		}
	case KindDate:
		d, zero, ok := dateText(strings.TrimSpace(s))
		return Value{KindDate, d}, ok && !zero
	case KindTimestamp, KindTimestampTZ:
		t, zero, _, ok := timestampText(s)
		return Value{k, t}, ok && !zero
	case KindTime:
		t, ok := timeText(s)
		return Value{KindTime, t}, ok
	case KindJSON:
		j, ok := canonicalJSON(s)
		return Value{KindJSON, j}, ok
	case KindBits:
		b := strings.TrimSpace(s)
		return Value{KindBits, b}, strings.Trim(b, "01") == ""
	}
	return Value{}, false
}

// compareValues orders two values of one kind: numbers and floats by value, times by
// duration, everything else by the bytes of S (which for dates and timestamps is
// chronological). NULL sorts first.
func compareValues(a, b Value) int {
	if a.Kind != b.Kind {
		return int(a.Kind) - int(b.Kind)
	}
	switch a.Kind {
	case KindNumber:
		ra, okA := new(big.Rat).SetString(a.S)
		rb, okB := new(big.Rat).SetString(b.S)
		if okA && okB {
			return ra.Cmp(rb)
		}
	case KindFloat:
		fa, okA := parseFloat(a.S)
		fb, okB := parseFloat(b.S)
		if okA && okB && !math.IsNaN(fa) && !math.IsNaN(fb) {
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return 0
		}
	case KindTime:
		ta, okA := timeMicros(a.S)
		tb, okB := timeMicros(b.S)
		if okA && okB {
			switch {
			case ta < tb:
				return -1
			case ta > tb:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(a.S, b.S)
}

func compareKeys(a, b Key) int {
	for i := range min(len(a), len(b)) {
		if c := compareValues(a[i], b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}
