package mysql

import (
	"strings"
	"testing"
	"time"
)

// With go-mysql's ParseTime, DATETIME and TIMESTAMP values arrive as time.Time (from
// 1970 on; earlier and zero dates stay strings): they must decode exactly as their
// string renderings do.
func TestTimeValuesMatchStrings(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		berlin = time.FixedZone("CET", 3600)
	}
	for _, tc := range []struct {
		str string
		tm  time.Time
	}{
		{"2024-07-01 12:00:00", time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)},
		{"2024-07-01 12:00:00.123456", time.Date(2024, 7, 1, 12, 0, 0, 123456000, time.UTC)},
		{"1970-01-01 00:00:00.000001", time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC)},
		{"2038-01-19 03:14:07.999999", time.Date(2038, 1, 19, 3, 14, 7, 999999000, time.UTC)},
		{"9999-12-31 23:59:59.999999", time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
	} {
		for _, millis := range []bool{false, true} {
			dec := datetimeDecoder(false, millis)
			want, err1 := dec(tc.str)
			got, err2 := dec(tc.tm)
			if err1 != nil || err2 != nil || got != want {
				t.Errorf("datetime millis=%v %s: time.Time gives %v (%v), the string %v (%v)", millis, tc.str, got, err2, want, err1)
			}
		}
		for fsp := range 7 {
			dec := timestampDecoder(false, fsp)
			want, err1 := dec(tc.str)
			// go-mysql's TIMESTAMP times are in the local zone: any zone must do.
			got, err2 := dec(tc.tm.In(berlin))
			if err1 != nil || err2 != nil || got != want {
				t.Errorf("timestamp(%d) %s: time.Time gives %v (%v), the string %v (%v)", fsp, tc.str, got, err2, want, err1)
			}
		}
	}
}

// parseClockSplit is parseClock as it was written first (with strings.Split), the
// reference for FuzzParseClock.
func parseClockSplit(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	t := strings.TrimPrefix(s, "-")
	hms, frac, _ := strings.Cut(t, ".")
	parts := strings.Split(hms, ":")
	if len(parts) != 3 || len(parts[1]) != 2 || len(parts[2]) != 2 || len(frac) > 6 {
		return 0, false
	}
	h, ok1 := num(parts[0])
	m, ok2 := num(parts[1])
	sec, ok3 := num(parts[2])
	if !ok1 || !ok2 || !ok3 || m > 59 || sec > 59 {
		return 0, false
	}
	us := ((h*60+m)*60 + sec) * 1_000_000
	if frac != "" {
		f, ok := num(frac)
		if !ok {
			return 0, false
		}
		for i := len(frac); i < 6; i++ {
			f *= 10
		}
		us += f
	}
	if neg {
		us = -us
	}
	return us, true
}

// FuzzParseClock: TIME text comes from the binlog decoder and the snapshot readers.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"00:00:00", "-838:59:59.000000", "12:34:56.5", "1:2", "1:2:3:4", "::", "12:00:00.", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseClock(s)
		want, ok := parseClockSplit(s)
		if (err == nil) != ok || got != want {
			t.Fatalf("parseClock(%q) = %d, %v; the reference %d, %v", s, got, err, want, ok)
		}
	})
}
