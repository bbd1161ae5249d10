package sqlapply

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

func TestCivilFromDays(t *testing.T) {
	for _, tc := range []struct {
		days    int64
		y, m, d int64
	}{
		{0, 1970, 1, 1}, {-1, 1969, 12, 31}, {19782, 2024, 2, 29}, {2932896, 9999, 12, 31},
		{-719528, 0, 1, 1}, {-719529, -1, 12, 31},
	} {
		if y, m, d := CivilFromDays(tc.days); y != tc.y || m != tc.m || d != tc.d {
			t.Errorf("CivilFromDays(%d) = %d-%d-%d, want %d-%d-%d", tc.days, y, m, d, tc.y, tc.m, tc.d)
		}
	}
}

func TestSplitMicros(t *testing.T) {
	for _, tc := range []struct{ us, days, clock int64 }{
		{0, 0, 0}, {-1, -1, MicrosPerDay - 1}, {MicrosPerDay, 1, 0}, {-MicrosPerDay, -1, 0}, {MicrosPerDay + 5, 1, 5},
	} {
		if d, c := SplitMicros(tc.us); d != tc.days || c != tc.clock {
			t.Errorf("SplitMicros(%d) = %d, %d; want %d, %d", tc.us, d, c, tc.days, tc.clock)
		}
	}
}

func TestFormatClock(t *testing.T) {
	for _, tc := range []struct {
		us   int64
		want string
	}{
		{0, "00:00:00"}, {45296789012, "12:34:56.789012"}, {1_500_000, "00:00:01.5"}, {-1_500_000, "-00:00:01.5"},
		{(838*3600 + 59*60 + 59) * 1e6, "838:59:59"}, {MicrosPerDay, "24:00:00"}, {10, "00:00:00.00001"},
	} {
		if got := FormatClock(tc.us); got != tc.want {
			t.Errorf("FormatClock(%d) = %q, want %q", tc.us, got, tc.want)
		}
	}
}

func TestDecimalString(t *testing.T) {
	for _, tc := range []struct {
		r     string
		scale int
		want  string
	}{
		{"1/2", 0, "0.5"}, {"1/2", 3, "0.500"}, {"-1234567891/100", 2, "-12345678.91"},
		{"18446744073709551615", 0, "18446744073709551615"}, {"1/1024", 0, "0.0009765625"}, {"3/40", 1, "0.075"},
	} {
		r, _ := new(big.Rat).SetString(tc.r)
		if got, err := DecimalString(r, tc.scale); err != nil || got != tc.want {
			t.Errorf("DecimalString(%s, %d) = %q, %v; want %q", tc.r, tc.scale, got, err, tc.want)
		}
	}
	if _, err := DecimalString(big.NewRat(1, 3), 2); err == nil {
		t.Error("DecimalString(1/3): no error")
	}
}

func TestVarDecimalString(t *testing.T) {
	for _, tc := range []struct {
		v    event.VarDecimal
		want string
	}{
		{event.VarDecimal{Scale: 1, Unscaled: big.NewInt(15)}, "1.5"},
		{event.VarDecimal{Scale: 3, Unscaled: big.NewInt(-5)}, "-0.005"},
		{event.VarDecimal{Scale: -2, Unscaled: big.NewInt(7)}, "700"},
		{event.VarDecimal{Scale: 2, Unscaled: big.NewInt(0)}, "0.00"},
		{event.VarDecimal{}, "0"},
	} {
		if got := VarDecimalString(tc.v); got != tc.want {
			t.Errorf("VarDecimalString(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestBitString(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		n    int
		want string
	}{
		{[]byte{0x01, 0x02}, 10, "1000000001"}, {[]byte{0x05}, 3, "101"}, {[]byte{0x05}, 8, "00000101"},
		{[]byte{}, 4, "0000"}, {[]byte{}, -1, "0"}, {[]byte{0x05}, -1, "101"}, {[]byte{0xff, 0xff}, 16, "1111111111111111"},
	} {
		if got, err := BitString(tc.b, tc.n); err != nil || got != tc.want {
			t.Errorf("BitString(%x, %d) = %q, %v; want %q", tc.b, tc.n, got, err, tc.want)
		}
	}
	if _, err := BitString([]byte{0x08}, 3); err == nil {
		t.Error("BitString with a bit beyond the length: no error")
	}
}

func TestChunkRows(t *testing.T) {
	for _, tc := range []struct{ rows, cols, max, want int }{
		{10000, 5, 65535, 10000}, {20000, 5, 65535, 13107}, {3, 0, 10, 3}, {5, 100, 10, 1},
	} {
		if got := chunkRows(tc.rows, tc.cols, tc.max); got != tc.want {
			t.Errorf("chunkRows(%d, %d, %d) = %d, want %d", tc.rows, tc.cols, tc.max, got, tc.want)
		}
	}
}

func TestIsUnavailable(t *testing.T) {
	for _, v := range []any{event.Unavailable, event.UnavailablePlaceholder, []byte(event.UnavailablePlaceholder), []any{event.UnavailablePlaceholder}} {
		if !isUnavailable(v) {
			t.Errorf("isUnavailable(%#v) = false", v)
		}
	}
	for _, v := range []any{nil, "x", []byte("x"), []any{"x"}, []any{}, int32(1)} {
		if isUnavailable(v) {
			t.Errorf("isUnavailable(%#v) = true", v)
		}
	}
}

func TestArrayLiteral(t *testing.T) {
	l := ArrayLiteral{Open: "[", Sep: ", ", Close: "]", Elem: func(x any) (string, error) {
		s, ok := x.(string)
		if !ok {
			return "", fmt.Errorf("element of type %T", x)
		}
		return s, nil
	}}
	conv := l.Converter(ConvertIdentity)
	got, err := conv([]any{"a", nil, "NULL", `q"x`, `b\s`, ""})
	if want := `["a", NULL, "NULL", "q\"x", "b\\s", ""]`; err != nil || got != want {
		t.Errorf("got %v, %v; want %s", got, err, want)
	}
	if got, err := conv([]any{}); err != nil || got != "[]" {
		t.Errorf("empty: got %v, %v", got, err)
	}
	if _, err := conv([]any{"a", int32(1)}); err == nil || err.Error() != "element 2: element of type int32" {
		t.Errorf("bad element: %v", err)
	}
	if _, err := conv("a"); err == nil {
		t.Error("a string is not an array")
	}
}
