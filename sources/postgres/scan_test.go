package postgres

import (
	"fmt"
	"math/big"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The scanners of the session's text format must give what the general parsers give, for
// every input they accept.

func TestScanDecimal(t *testing.T) {
	inputs := []string{"0", "0.00", "-0.00", "12.30", "-12.30", "1", "-1", "100", "0.5", "1.25",
		"0.0625", "10.10", "5.000", "0.3125", "99.99", "0.01", "123456789012345678", "12345678901234567.8",
		"1234567890123456789", "0.000000000000000001", "-999999999999999999", ".5", "1.", "+1", "1e5", "--1", ""}
	r := rand.New(rand.NewSource(1))
	for range 5000 {
		var b strings.Builder
		if r.Intn(3) == 0 {
			b.WriteByte('-')
		}
		for range r.Intn(12) + 1 {
			b.WriteByte(byte('0' + r.Intn(10)))
		}
		if r.Intn(4) != 0 {
			b.WriteByte('.')
			for range r.Intn(10) + 1 {
				b.WriteByte("0123456789000"[r.Intn(13)])
			}
		}
		inputs = append(inputs, b.String())
	}
	for _, s := range inputs {
		checkDecimal(t, s)
	}
}

func FuzzScanDecimal(f *testing.F) {
	for _, s := range []string{"0", "-12.30", "0.0625", "123456789012345678", "1.000"} {
		f.Add(s)
	}
	f.Fuzz(checkDecimal)
}

func checkDecimal(t *testing.T, s string) {
	u, neg, scale, ok := scanDecimal([]byte(s))
	if !ok {
		return
	}
	want, wok := new(big.Rat).SetString(s)
	if !wok {
		t.Fatalf("scanDecimal accepts %q, big.Rat does not", s)
	}
	got := smallRat(u, neg, scale)
	if got.Num().Cmp(want.Num()) != 0 || got.Denom().Cmp(want.Denom()) != 0 {
		t.Fatalf("%q: smallRat = %s, SetString = %s", s, got, want)
	}
	v, err := decodeVarDecimal([]byte(s))
	w, werr := decodeVarDecimal([]byte(s + "e")) // not scannable: the general parser's error path
	_ = w
	if err != nil || werr == nil {
		t.Fatalf("%q: decodeVarDecimal err %v", s, err)
	}
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	wantU, _ := new(big.Int).SetString(intPart+frac, 10)
	if !equalValue(v, varDecimal(len(frac), wantU)) {
		t.Fatalf("%q: decodeVarDecimal = %v, want %s scale %d", s, v, wantU, len(frac))
	}
}

func TestScanTimestamp(t *testing.T) {
	inputs := []string{"1970-01-01 00:00:00", "1969-12-31 23:59:59.999999", "2024-07-01 12:00:00.12",
		"0001-01-01 00:00:00 BC", "294276-12-31 23:59:59.999999", "2024-02-30 12:00:00", "2024-07-01 25:61:00",
		"2024-07-01 12:00:00.1234567", "2024-07-01 12:00:00.", "2024-07-01T12:00:00", "2024-7-01 12:00:00",
		"+2024-07-01 12:00:00", "2024-07-01 12:00", "24-01-01 00:00:00", "1234567890-01-01 00:00:00"}
	r := rand.New(rand.NewSource(1))
	for range 3000 {
		inputs = append(inputs, randomTimestamp(r))
	}
	for _, s := range inputs {
		for _, off := range []string{"", "+00", "-04", "+05:30", "+00:53:28", "+1", "+00:0", "+00:00:00:00", "Z"} {
			body, bc := strings.CutSuffix(s, " BC")
			in := body + off
			if bc {
				in += " BC"
			}
			checkTimestamp(t, in)
		}
		body, bc := strings.CutSuffix(s, " BC")
		date, clock, _ := strings.Cut(body, " ")
		if bc {
			date += " BC"
		}
		checkDate(t, date)
		checkClock(t, clock)
	}
}

func FuzzScanTimestamp(f *testing.F) {
	for _, s := range []string{"2024-07-01 12:00:00.123456+00", "0044-03-15 12:00:00+00:53:28 BC", "2024-07-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkTimestamp(t, s)
		checkDate(t, s)
		checkClock(t, s)
	})
}

func checkTimestamp(t *testing.T, s string) {
	for _, withZone := range []bool{false, true} {
		us, ok := scanTimestamp([]byte(s), withZone)
		if !ok {
			continue
		}
		want, err := parseTimestamp(s, withZone)
		if err != nil || us != want {
			t.Fatalf("%q (zone %v): scanTimestamp = %d, parseTimestamp = %d, %v", s, withZone, us, want, err)
		}
	}
}

func checkDate(t *testing.T, s string) {
	body, bc := trimBC([]byte(s))
	d, n, ok := scanDate(body, bc)
	if !ok || n != len(body) {
		return
	}
	want, err := parseDate(s)
	if err != nil || d != want {
		t.Fatalf("%q: scanDate = %d, parseDate = %d, %v", s, d, want, err)
	}
}

func checkClock(t *testing.T, s string) {
	us, n, ok := scanClock([]byte(s))
	if !ok {
		return
	}
	want, rest, err := parseClock(s)
	if err != nil || us != want || rest != s[n:] {
		t.Fatalf("%q: scanClock = %d %q, parseClock = %d %q, %v", s, us, s[n:], want, rest, err)
	}
}

// randomTimestamp is a timestamp in Postgres' output form, 4713 BC to 294276 AD.
func randomTimestamp(r *rand.Rand) string {
	us := r.Int63n(9_200_000_000_000_000_000) - 210_000_000_000_000_000
	if r.Intn(2) == 0 {
		us = r.Int63n(460_000_000_000_000_000) - 210_000_000_000_000_000
	}
	tm := time.UnixMicro(us).UTC()
	y, bc := tm.Year(), ""
	if y <= 0 {
		y, bc = 1-y, " BC"
	}
	s := fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, tm.Month(), tm.Day(), tm.Hour(), tm.Minute(), tm.Second())
	if f := tm.Nanosecond() / 1000; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", f), "0")
	}
	return s + bc
}

// formatISOReference is appendISO written with package time.
func formatISOReference(us int64, p int) string {
	t := time.UnixMicro(us).UTC()
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

func TestAppendISO(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	values := []int64{0, -1, 1, 999999, -999999, 86400e6 - 1, -86400e6, tsInfinityMicros, tsNegInfinityMicros,
		-62135596800e6, -62135596800e6 - 1, 253402300800e6, 253402300800e6 - 1}
	for range 20000 {
		values = append(values, r.Int63()-r.Int63())
	}
	for _, us := range values {
		for p := 0; p <= 9; p++ {
			if got, want := string(appendISO(nil, us, p)), formatISOReference(us, p); got != want {
				t.Fatalf("appendISO(%d, %d) = %q, want %q", us, p, got, want)
			}
		}
	}
}

func TestParseInt(t *testing.T) {
	for _, s := range []string{"0", "1", "-1", "+5", "007", "", "-", "+", "12a", " 1", "1 ", "2147483647",
		"-2147483648", "2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "-9223372036854775809", "99999999999999999999", "1_000"} {
		for _, bits := range []int{32, 64} {
			got, err := parseInt([]byte(s), bits)
			want, werr := strconv.ParseInt(s, 10, bits)
			if (err != nil) != (werr != nil) || err == nil && got != want {
				t.Errorf("parseInt(%q, %d) = %d, %v; strconv: %d, %v", s, bits, got, err, want, werr)
			}
		}
	}
}
