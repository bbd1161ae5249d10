package postgres

import (
	"math/big"
	"reflect"
	"testing"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

func TestDateInfinityMatchesDebezium(t *testing.T) {
	// Debezium maps date ±infinity to LocalDate -5877611-06-21/22 (what pgjdbc makes of its
	// infinity markers), whose epoch days these are.
	if dateInfinity != -2147472692 || dateNegInfinity != -2147472691 {
		t.Fatalf("date infinity = %d, -infinity = %d", dateInfinity, dateNegInfinity)
	}
	if d := daysFromCivil(1970, 1, 1); d != 0 {
		t.Fatalf("epoch = %d", d)
	}
	if d := daysFromCivil(2000, 3, 1); d != 11017 {
		t.Fatalf("2000-03-01 = %d", d)
	}
}

func TestDecoders(t *testing.T) {
	rat := func(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }
	cases := []struct {
		name string
		fn   func([]byte) (any, error)
		in   string
		want any
	}{
		{"date", decodeDate, "1970-01-02", int32(1)},
		{"date bc", decodeDate, "0001-01-01 BC", int32(daysFromCivil(0, 1, 1))},
		{"date -inf", decodeDate, "-infinity", int32(-2147472691)},
		{"time", decodeTimeMicros, "24:00:00", int64(86400e6)},
		{"time ms", decodeTimeMillis, "00:00:01.5", int32(1500)},
		{"timetz", decodeTimeTZ, "01:00:00.25-03:30", "04:30:00.25Z"},
		{"timetz wrap", decodeTimeTZ, "01:00:00+05", "20:00:00Z"},
		{"ts", decodeTimestampMicros, "1969-12-31 23:59:59.999999", int64(-1)},
		{"ts ms floor", decodeTimestampMillis, "1969-12-31 23:59:59.999", int64(-1)},
		{"ts inf", decodeTimestampMicros, "infinity", tsInfinityMicros},
		{"tstz", tstz(6), "2024-07-01 12:00:00.120-04", "2024-07-01T16:00:00.120000Z"},
		{"tstz(3)", tstz(3), "2024-07-01 12:00:00.5-04", "2024-07-01T16:00:00.500Z"},
		{"tstz(0)", tstz(0), "2024-07-01 12:00:00-04", "2024-07-01T16:00:00Z"},
		{"tstz lmt", tstz(6), "1800-01-01 00:00:00+00:53:28", "1799-12-31T23:06:32.000000Z"},
		{"tstz bc", tstz(6), "0044-03-15 12:00:00+00 BC", "-0043-03-15T12:00:00.000000Z"},
		{"tstz big", tstz(6), "10000-01-01 00:00:00+00", "+10000-01-01T00:00:00.000000Z"},
		{"interval", decodeInterval, "1 year 2 mons 3 days 04:05:06.5", int64(37091106500000)},
		{"interval neg", decodeInterval, "-1 days -00:00:01.5", int64(-86401500000)},
		{"interval zero", decodeInterval, "00:00:00", int64(0)},
		{"interval hours", decodeInterval, "100:00:00", int64(360000e6)},
		{"bits", decodeBits, "1000000001", []byte{0x01, 0x02}},
		{"bits short", decodeBits, "00101", []byte{0x05}},
		{"bits zero", decodeBits, "000", []byte{}},
		{"bit1", decodeBit1, "1", true},
		{"vardec", decodeVarDecimal, "1.500", event.VarDecimal{Scale: 1, Unscaled: big.NewInt(15)}},
		{"vardec int", decodeVarDecimal, "-1500", event.VarDecimal{Scale: 0, Unscaled: big.NewInt(-1500)}},
		{"vardec zero", decodeVarDecimal, "0.000", event.VarDecimal{Scale: 0, Unscaled: big.NewInt(0)}},
		{"decimal", decodeDecimal, "-12.30", rat("-123/10")},
		{"money", decodeMoney, "-$1,234.56", rat("-123456/100")},
		{"money paren", decodeMoney, "($0.50)", rat("-1/2")},
		{"bytea", decodeBytea, `\x00ff`, []byte{0, 255}},
		{"hstore", decodeHstore, `"a"=>"1", "b\"q"=>NULL`, `{"a":"1","b\"q":null}`},
	}
	for _, c := range cases {
		got, err := c.fn([]byte(c.in))
		if err != nil {
			t.Errorf("%s(%q): %v", c.name, c.in, err)
			continue
		}
		if !equalValue(got, c.want) || reflect.TypeOf(got) != reflect.TypeOf(c.want) {
			t.Errorf("%s(%q) = %#v, want %#v", c.name, c.in, got, c.want)
		}
	}
	if _, err := decodeDecimal([]byte("NaN")); err != ErrSpecialNumeric {
		t.Errorf("numeric NaN: err = %v", err)
	}
}

func TestNumericTypmod(t *testing.T) {
	for _, c := range []struct{ p, s int }{{10, 2}, {5, 0}, {5, -2}, {3, 5}, {1000, 999}} {
		typmod := int32((c.p<<16)|(c.s&0x7ff)) + 4
		p, s := numericPrecScale(typmod)
		if p != c.p || s != c.s {
			t.Errorf("numeric(%d,%d): got (%d,%d)", c.p, c.s, p, s)
		}
	}
}

func TestParseArray(t *testing.T) {
	str := func(s string) *string { return &s }
	cases := []struct {
		in   string
		want []*string
	}{
		{"{}", nil},
		{"{1,NULL,3}", []*string{str("1"), nil, str("3")}},
		{`{"a,b",NULL,"NULL","q\"x","back\\slash"}`, []*string{str("a,b"), nil, str("NULL"), str(`q"x`), str(`back\slash`)}},
		{"{{1,2},{3,4}}", []*string{str("1"), str("2"), str("3"), str("4")}},
		{"[0:1]={a,b}", []*string{str("a"), str("b")}},
		{`{"",x}`, []*string{str(""), str("x")}},
	}
	for _, c := range cases {
		got, err := parseArray([]byte(c.in), ',')
		if err != nil {
			t.Errorf("parseArray(%q): %v", c.in, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("parseArray(%q) = %d elements, want %d", c.in, len(got), len(c.want))
			continue
		}
		for i := range got {
			if (got[i] == nil) != (c.want[i] == nil) || got[i] != nil && string(got[i]) != *c.want[i] {
				t.Errorf("parseArray(%q)[%d] wrong", c.in, i)
			}
		}
	}
	for _, bad := range []string{"", "{", "{1,", `{"a}`, "{1}}", "{a b\"}", "[1:2]", "{,}"} {
		if _, err := parseArray([]byte(bad), ','); err == nil {
			t.Errorf("parseArray(%q): no error", bad)
		}
	}
}

func FuzzParseArray(f *testing.F) {
	for _, s := range []string{"{}", "{1,NULL,3}", `{"a,b","q\"x"}`, "{{1,2},{3,4}}", "[0:1]={a,b}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := parseArray([]byte(s), ',')
		if err != nil {
			return
		}
		if len(out) > len(s) {
			t.Fatalf("%q: %d elements from %d bytes", s, len(out), len(s))
		}
	})
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h/db":       "postgres://u:xxxxx@h/db",
		"host=h password=secret user=u":  "host=h password=xxxxx user=u",
		"cannot parse `postgres://u@h/`": "cannot parse `postgres://u@h/`",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPatterns(t *testing.T) {
	cfg := Config{Tables: []string{"public.*", "app.orders"}, ExcludeTables: []string{"public.tmp_*"}}
	for _, c := range []struct {
		s, t string
		want bool
	}{{"public", "a", true}, {"public", "tmp_x", false}, {"app", "orders", true}, {"app", "other", false}} {
		if got := cfg.included(c.s, c.t); got != c.want {
			t.Errorf("included(%s.%s) = %v", c.s, c.t, got)
		}
	}
	all := Config{}
	if !all.included("x", "y") || all.included("pg_catalog", "pg_class") {
		t.Error("empty Tables should include user tables only")
	}
}

// tstz is decodeTimestampTZ for a column of precision p.
func tstz(p int) func([]byte) (any, error) {
	return func(b []byte) (any, error) { return decodeTimestampTZ(b, p) }
}

func varDecimal(scale int, u *big.Int) event.VarDecimal {
	return event.VarDecimal{Scale: int32(scale), Unscaled: u}
}
