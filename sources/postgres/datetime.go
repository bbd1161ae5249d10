package postgres

// Dates and times in pgoutput's text format. The replication session sets TimeZone=UTC
// and DateStyle=ISO (setSessionParams), so values arrive as "2024-07-01",
// "12:00:00.123456", "2024-07-01 12:00:00.5" and "2024-07-01 12:00:00.5+00". Each decoder
// first tries a scanner for exactly that shape, which works on the column's bytes and does
// not allocate; anything else (infinity, odd offsets, inputs the scanner does not accept)
// goes to the general string parser, which defines the result. Both give the same values
// for every input the scanner accepts.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const microsPerDay = 86400 * int64(1e6)

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

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(days int64) (y, m, d int64) {
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

// Scanners of the session's output format. Each reports ok=false for anything it does not
// accept; the caller then uses the general parser.

// digits2 reads two decimal digits.
func digits2(b []byte) (int64, bool) {
	if len(b) < 2 || b[0]-'0' > 9 || b[1]-'0' > 9 {
		return 0, false
	}
	return int64(b[0]-'0')*10 + int64(b[1]-'0'), true
}

// trimBC removes a trailing " BC".
func trimBC(b []byte) ([]byte, bool) {
	if n := len(b); n >= 3 && b[n-3] == ' ' && b[n-2] == 'B' && b[n-1] == 'C' {
		return b[:n-3], true
	}
	return b, false
}

// scanDate reads "Y-MM-DD" (1 to 9 year digits, month 1-12, day 1-31, as parseDate checks)
// at the start of b into days since the epoch and returns the bytes it used. bc counts
// the year before Christ.
func scanDate(b []byte, bc bool) (days int64, n int, ok bool) {
	var y int64
	for n < len(b) && n < 10 && b[n]-'0' <= 9 {
		y = y*10 + int64(b[n]-'0')
		n++
	}
	if n == 0 || n == 10 || len(b) < n+6 || b[n] != '-' || b[n+3] != '-' {
		return 0, 0, false
	}
	m, ok1 := digits2(b[n+1:])
	d, ok2 := digits2(b[n+4:])
	if !ok1 || !ok2 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, false
	}
	if bc {
		y = 1 - y
	}
	return daysFromCivil(y, m, d), n + 6, true
}

// scanClock reads "HH:MM:SS[.f]" (1 to 6 fraction digits) at the start of b into
// microseconds and returns the bytes it used.
func scanClock(b []byte) (us int64, n int, ok bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, 0, false
	}
	h, ok1 := digits2(b)
	m, ok2 := digits2(b[3:])
	s, ok3 := digits2(b[6:])
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, false
	}
	us = ((h*60+m)*60 + s) * 1e6
	n = 8
	if n < len(b) && b[n] == '.' {
		n++
		var f, scale int64 = 0, 1e6
		for n < len(b) && b[n]-'0' <= 9 {
			if scale == 1 {
				return 0, 0, false // more than 6 digits
			}
			scale /= 10
			f += int64(b[n]-'0') * scale
			n++
		}
		if n == 9 {
			return 0, 0, false // "." without digits
		}
		us += f
	}
	return us, n, true
}

// scanOffset reads a whole "+HH[:MM[:SS]]" into seconds east of UTC.
func scanOffset(b []byte) (int64, bool) {
	if len(b) != 3 && len(b) != 6 && len(b) != 9 || b[0] != '+' && b[0] != '-' {
		return 0, false
	}
	var secs int64
	for i, mult := range [3]int64{3600, 60, 1} {
		p := 1 + 3*i
		if p >= len(b) {
			break
		}
		if i > 0 && b[p-1] != ':' {
			return 0, false
		}
		v, ok := digits2(b[p:])
		if !ok {
			return 0, false
		}
		secs += v * mult
	}
	if b[0] == '-' {
		secs = -secs
	}
	return secs, true
}

// scanTimestamp reads a whole "Y-MM-DD HH:MM:SS[.f][offset][ BC]" (offset required when
// withZone, absent otherwise) into microseconds since the epoch, as parseTimestamp does.
func scanTimestamp(b []byte, withZone bool) (int64, bool) {
	b, bc := trimBC(b)
	days, n, ok := scanDate(b, bc)
	if !ok || n >= len(b) || b[n] != ' ' {
		return 0, false
	}
	us, m, ok := scanClock(b[n+1:])
	if !ok {
		return 0, false
	}
	us += days * microsPerDay
	if rest := b[n+1+m:]; withZone {
		off, ok := scanOffset(rest)
		if !ok {
			return 0, false
		}
		us -= off * 1e6
	} else if len(rest) != 0 {
		return 0, false
	}
	return us, true
}

// General parsers: any input, exact errors.

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
	us += days * microsPerDay
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

// Decoders.

func decodeDate(b []byte) (any, error) {
	if body, bc := trimBC(b); len(body) > 0 {
		if d, n, ok := scanDate(body, bc); ok && n == len(body) {
			return int32(d), nil
		}
	}
	switch s := string(b); s {
	case "infinity":
		return dateInfinity, nil
	case "-infinity":
		return dateNegInfinity, nil
	default:
		d, err := parseDate(s)
		if err != nil {
			return nil, err
		}
		return int32(d), nil
	}
}

// clockMicros decodes a time without zone.
func clockMicros(b []byte) (int64, error) {
	if us, n, ok := scanClock(b); ok && n == len(b) {
		return us, nil
	}
	us, rest, err := parseClock(string(b))
	if err != nil || rest != "" {
		return 0, fmt.Errorf("time %q", b)
	}
	return us, nil
}

func decodeTimeMicros(b []byte) (any, error) {
	us, err := clockMicros(b)
	if err != nil {
		return nil, err
	}
	return us, nil
}

func decodeTimeMillis(b []byte) (any, error) {
	us, err := clockMicros(b)
	if err != nil {
		return nil, err
	}
	return int32(us / 1000), nil
}

func decodeTimeTZ(b []byte) (any, error) {
	s := string(b)
	us, rest, err := parseClock(s)
	if err != nil {
		return nil, err
	}
	off, err := parseOffset(rest)
	if err != nil {
		return nil, fmt.Errorf("timetz %q: %w", s, err)
	}
	us = ((us-off*1e6)%microsPerDay + microsPerDay) % microsPerDay
	return time.UnixMicro(us).UTC().Format("15:04:05.999999Z07:00"), nil
}

// timestampMicros decodes a timestamp (withZone: timestamptz) that is not ±infinity.
func timestampMicros(b []byte, withZone bool) (int64, error) {
	if us, ok := scanTimestamp(b, withZone); ok {
		return us, nil
	}
	return parseTimestamp(string(b), withZone)
}

func decodeTimestampMicros(b []byte) (any, error) { return timestampOrInfinity(b) }

// timestampOrInfinity is a timestamp's microseconds since the epoch, with Debezium's
// values for ±infinity.
func timestampOrInfinity(b []byte) (int64, error) {
	switch string(b) {
	case "infinity":
		return tsInfinityMicros, nil
	case "-infinity":
		return tsNegInfinityMicros, nil
	}
	return timestampMicros(b, false)
}

func decodeTimestampMillis(b []byte) (any, error) {
	switch string(b) {
	case "infinity":
		return tsInfinityMicros / 1000, nil
	case "-infinity":
		return tsNegInfinityMicros / 1000, nil
	}
	us, err := timestampMicros(b, false)
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
func decodeTimestampTZ(b []byte, p int) (any, error) {
	switch string(b) {
	case "infinity":
		return "infinity", nil
	case "-infinity":
		return "-infinity", nil
	}
	us, err := timestampMicros(b, true)
	if err != nil {
		return nil, err
	}
	var buf [48]byte
	return string(appendISO(buf[:0], us, p)), nil
}

// appendISO appends the UTC time us (microseconds since the epoch) as Debezium's
// ZonedTimestamp.toIsoString writes it for a column of precision p: ISO-8601 with exactly p
// fraction digits (none for p = 0, digits past the microsecond are 0), "Z", years outside
// 0-9999 signed ("+10000", "-0043").
func appendISO(b []byte, us int64, p int) []byte {
	days := us / microsPerDay
	rem := us % microsPerDay
	if rem < 0 {
		days--
		rem += microsPerDay
	}
	y, m, d := civilFromDays(days)
	switch {
	case y > 9999:
		b = strconv.AppendInt(append(b, '+'), y, 10)
	case y < 0:
		b = appendPadded(append(b, '-'), -y, 4)
	default:
		b = appendPadded(b, y, 4)
	}
	secs := rem / 1e6
	b = appendPadded(append(b, '-'), m, 2)
	b = appendPadded(append(b, '-'), d, 2)
	b = appendPadded(append(b, 'T'), secs/3600, 2)
	b = appendPadded(append(b, ':'), secs/60%60, 2)
	b = appendPadded(append(b, ':'), secs%60, 2)
	if p > 0 {
		var frac [9]byte
		f := rem % 1e6 * 1000 // nanoseconds, as time.Format truncates them
		for i := 8; i >= 0; i-- {
			frac[i] = byte('0' + f%10)
			f /= 10
		}
		b = append(append(b, '.'), frac[:min(p, 9)]...)
	}
	return append(b, 'Z')
}

// appendPadded appends v ≥ 0 in decimal with at least width digits.
func appendPadded(b []byte, v int64, width int) []byte {
	n := 1
	for x := v; x >= 10; x /= 10 {
		n++
	}
	for ; n < width; n++ {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, v, 10)
}
