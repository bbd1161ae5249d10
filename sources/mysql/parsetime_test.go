package mysql

import (
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
