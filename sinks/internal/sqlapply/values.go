package sqlapply

// Value helpers every dialect needs: Debezium's encodings back into calendar dates,
// clock times and exact decimal text.

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// MicrosPerDay is the number of microseconds in a day.
const MicrosPerDay = 86_400_000_000

// CivilFromDays returns the proleptic Gregorian date (astronomical year numbering: 1 BC is
// year 0) of a number of days since 1970-01-01.
func CivilFromDays(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// SplitMicros splits microseconds since the epoch into days since the epoch and
// microseconds into that day (0 <= clock < MicrosPerDay).
func SplitMicros(us int64) (days, clock int64) {
	days, clock = us/MicrosPerDay, us%MicrosPerDay
	if clock < 0 {
		days--
		clock += MicrosPerDay
	}
	return days, clock
}

// FormatClock renders a duration in microseconds as [-]HH:MM:SS[.ffffff]; hours may
// exceed 24.
func FormatClock(us int64) string {
	var b []byte
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	h, rest := us/3_600_000_000, us%3_600_000_000
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, h, 10)
	b = append(b, ':', byte('0'+rest/600_000_000), byte('0'+rest/60_000_000%10), ':')
	rest %= 60_000_000
	b = append(b, byte('0'+rest/10_000_000), byte('0'+rest/1_000_000%10))
	if f := rest % 1_000_000; f != 0 {
		b = append(b, '.')
		b = append(b, fmt.Sprintf("%06d", f)...)
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return string(b)
}

// DecimalString renders r exactly in decimal notation, with at least scale fraction
// digits. It fails for values without a finite decimal expansion (which no source
// produces).
func DecimalString(r *big.Rat, scale int) (string, error) {
	den := new(big.Int).Set(r.Denom())
	digits := 0
	two, five, ten := big.NewInt(2), big.NewInt(5), big.NewInt(10)
	var m big.Int
	for den.Cmp(big.NewInt(1)) != 0 {
		switch {
		case m.Mod(den, ten).Sign() == 0:
			den.Quo(den, ten)
		case m.Mod(den, two).Sign() == 0:
			den.Quo(den, two)
		case m.Mod(den, five).Sign() == 0:
			den.Quo(den, five)
		default:
			return "", fmt.Errorf("%s has no finite decimal expansion", r.RatString())
		}
		digits++
	}
	return r.FloatString(max(scale, digits)), nil
}

// VarDecimalString renders a variable scale decimal exactly.
func VarDecimalString(v event.VarDecimal) string {
	if v.Unscaled == nil {
		return "0"
	}
	s := v.Unscaled.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	switch {
	case v.Scale < 0:
		if s != "0" {
			s += strings.Repeat("0", int(-v.Scale))
		}
	case v.Scale > 0:
		sc := int(v.Scale)
		if len(s) <= sc {
			s = strings.Repeat("0", sc-len(s)+1) + s
		}
		s = s[:len(s)-sc] + "." + s[len(s)-sc:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// BitString renders Debezium's io.debezium.data.Bits bytes (little-endian, bit 0 first:
// java.util.BitSet.toByteArray) as n characters '0'/'1', the last being bit 0. n < 0
// takes as many as the highest set bit needs (at least one). It fails when a bit at or
// above n is set.
func BitString(b []byte, n int) (string, error) {
	hi := -1
	for i := len(b)*8 - 1; i >= 0; i-- {
		if b[i/8]>>(i%8)&1 != 0 {
			hi = i
			break
		}
	}
	if n < 0 {
		n = max(hi+1, 1)
	}
	if hi >= n {
		return "", fmt.Errorf("bit %d set in a bit string of length %d", hi, n)
	}
	out := make([]byte, n)
	for i := 0; i < n; i++ {
		c := byte('0')
		if i/8 < len(b) && b[i/8]>>(i%8)&1 != 0 {
			c = '1'
		}
		out[n-1-i] = c
	}
	return string(out), nil
}

// IntValue returns an integer event value (int32 or int64) as an int64.
func IntValue(v any) (int64, error) {
	switch x := v.(type) {
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	}
	return 0, fmt.Errorf("integer value of type %T", v)
}

// ConvertIdentity passes a value to the driver as it is.
func ConvertIdentity(v any) (any, error) { return v, nil }

// ConvertFloat32To64 widens a float32 to a float64 through its shortest decimal form.
func ConvertFloat32To64(v any) (any, error) {
	f, ok := v.(float32)
	if !ok {
		return nil, fmt.Errorf("float32 value of type %T", v)
	}
	// Through the shortest decimal form: 0.1 stays 0.1, not 0.10000000149011612.
	return strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
}

// DecimalConverter renders a decimal (*big.Rat) as DecimalString with at least scale
// fraction digits.
func DecimalConverter(scale int) Convert {
	return func(v any) (any, error) {
		r, ok := v.(*big.Rat)
		if !ok || r == nil {
			return nil, fmt.Errorf("decimal value of type %T", v)
		}
		return DecimalString(r, scale)
	}
}

// ConvertVarDecimal renders a variable scale decimal (event.VarDecimal) as
// VarDecimalString.
func ConvertVarDecimal(v any) (any, error) {
	d, ok := v.(event.VarDecimal)
	if !ok {
		return nil, fmt.Errorf("variable scale decimal value of type %T", v)
	}
	return VarDecimalString(d), nil
}

// BitsConverter renders io.debezium.data.Bits bytes as BitString of length n.
func BitsConverter(n int) Convert {
	return func(v any) (any, error) {
		b, ok := v.([]byte)
		if !ok {
			return nil, fmt.Errorf("bits value of type %T", v)
		}
		return BitString(b, n)
	}
}

// DateConverter renders a Date (days since the epoch) as format does, and Postgres's
// ±infinity stand-ins as "infinity" and "-infinity".
func DateConverter(format func(days int64) string) Convert {
	return func(v any) (any, error) {
		d, err := IntValue(v)
		if err != nil {
			return nil, err
		}
		switch d {
		case DateInfinity:
			return "infinity", nil
		case DateNegInfinity:
			return "-infinity", nil
		}
		return format(d), nil
	}
}

// TimestampConverter renders a timestamp counted in units of scale µs since the epoch
// as format does (given µs), and Postgres's ±infinity stand-ins as "infinity" and
// "-infinity".
func TimestampConverter(scale int64, format func(us int64) string) Convert {
	return func(v any) (any, error) {
		n, err := IntValue(v)
		if err != nil {
			return nil, err
		}
		us := n * scale
		switch us {
		case TsInfinityMicros:
			return "infinity", nil
		case TsNegInfinityMicros:
			return "-infinity", nil
		}
		return format(us), nil
	}
}

// DurationConverter renders a duration counted in units of scale µs as FormatClock.
func DurationConverter(scale int64) Convert {
	return func(v any) (any, error) {
		n, err := IntValue(v)
		if err != nil {
			return nil, err
		}
		return FormatClock(n * scale), nil
	}
}

// TimeOfDayConverter renders a time of day counted in units of scale µs as FormatClock
// for a column of type timeType, which takes 00:00:00 to 24:00:00 only: other values
// (from a MySQL TIME, a duration) fail, suggesting intervalType for the column.
func TimeOfDayConverter(scale int64, timeType, intervalType string) Convert {
	return func(v any) (any, error) {
		n, err := IntValue(v)
		if err != nil {
			return nil, err
		}
		us := n * scale
		if us < 0 || us > MicrosPerDay {
			return nil, fmt.Errorf("time %s is outside 00:00:00..24:00:00, which a %s column holds (MySQL TIME is a duration: make the column %s)", FormatClock(us), timeType, intervalType)
		}
		return FormatClock(us), nil
	}
}

// ArrayLiteral is the text syntax of an engine's array (or list) literal.
type ArrayLiteral struct {
	Open, Sep, Close string
	// Elem is the text of one converted element. Converter double-quotes it, escaping "
	// and \ with a backslash, so that the engine reads it back as the same text (and
	// "NULL" as text, not NULL).
	Elem func(x any) (string, error)
}

// Converter renders an array value ([]any) as the literal, each element converted by
// elem; nil elements are NULL.
func (l ArrayLiteral) Converter(elem Convert) Convert {
	return func(v any) (any, error) {
		a, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("array value of type %T", v)
		}
		var b strings.Builder
		b.WriteString(l.Open)
		for i, e := range a {
			if i > 0 {
				b.WriteString(l.Sep)
			}
			if e == nil {
				b.WriteString("NULL")
				continue
			}
			x, err := elem(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i+1, err)
			}
			s, err := l.Elem(x)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i+1, err)
			}
			b.WriteByte('"')
			for i := 0; i < len(s); i++ {
				if s[i] == '"' || s[i] == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(s[i])
			}
			b.WriteByte('"')
		}
		b.WriteString(l.Close)
		return b.String(), nil
	}
}
