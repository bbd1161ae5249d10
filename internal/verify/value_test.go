package verify

import (
	"math"
	"testing"
)

func TestNumber(t *testing.T) {
	for in, want := range map[string]string{
		"1.50": "1.5", "1.5": "1.5", "001.000": "1", "-0.00": "0", "+7": "7", "0.010": "0.01",
		"18446744073709551615": "18446744073709551615", "-12.3400": "-12.34", ".5": "0.5",
		"1e3": "1000", "1.5E-2": "0.015", "-0e0": "0", "NaN": "NaN", "-Infinity": "-Infinity",
	} {
		got, ok := number(in)
		if !ok || got != want {
			t.Errorf("number(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "abc", "1.2.3", "1e999999", "-", "."} {
		if got, ok := number(in); ok {
			t.Errorf("number(%q) = %q, want failure", in, got)
		}
	}
}

func TestFloat(t *testing.T) {
	if got := float(float64(float32(1.1)), 32); got != "1.1" {
		t.Errorf("float32 1.1 = %q", got)
	}
	if got := float(float64(float32(1.1)), 64); got == "1.1" {
		t.Errorf("float32 1.1 at 64 bits should show its widening, got %q", got)
	}
	for f, want := range map[float64]string{math.Copysign(0, -1): "0", math.Inf(1): "Infinity", 0.1: "0.1", 1e21: "1e+21"} {
		if got := float(f, 64); got != want {
			t.Errorf("float(%v) = %q, want %q", f, got, want)
		}
	}
	if float(math.NaN(), 64) != "NaN" {
		t.Error("NaN")
	}
}

func TestTimestampText(t *testing.T) {
	tests := []struct {
		in, want      string
		zero, hasZone bool
	}{
		{"2024-03-01 12:34:56", "2024-03-01 12:34:56.000000", false, false},
		{"2024-03-01T12:34:56.5Z", "2024-03-01 12:34:56.500000", false, true},
		{"2024-03-01 12:34:56.123456+00", "2024-03-01 12:34:56.123456", false, true},
		{"2024-03-01 01:00:00+02:00", "2024-02-29 23:00:00.000000", false, true},
		{"2024-03-01 01:00:00-0130", "2024-03-01 02:30:00.000000", false, true},
		{"2024-03-01 12:34:56.1234567", "2024-03-01 12:34:56.123456", false, false},
		{"0000-00-00 00:00:00", "0000-00-00 00:00:00.000000", true, false},
		{"2024-03-01", "2024-03-01 00:00:00.000000", false, false},
	}
	for _, tt := range tests {
		got, zero, hasZone, ok := timestampText(tt.in)
		if !ok || got != tt.want || zero != tt.zero || hasZone != tt.hasZone {
			t.Errorf("timestampText(%q) = %q, zero %v, zone %v, ok %v; want %q %v %v", tt.in, got, zero, hasZone, ok, tt.want, tt.zero, tt.hasZone)
		}
	}
	for _, in := range []string{"infinity", "2024-03-01 12:34", "2024-03-01 12:34:56 BC", "x"} {
		if _, _, _, ok := timestampText(in); ok {
			t.Errorf("timestampText(%q) ok, want failure", in)
		}
	}
}

func TestTimeText(t *testing.T) {
	for in, want := range map[string]string{
		"12:00:00": "12:00:00.000000", "838:59:59": "838:59:59.000000", "-01:02:03.5": "-01:02:03.500000",
		"24:00:00": "24:00:00.000000", "00:00:00.000001": "00:00:00.000001",
	} {
		got, ok := timeText(in)
		if !ok || got != want {
			t.Errorf("timeText(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestCanonicalJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"b": 1.0, "a": [1, 2.50, {"z": null, "y": true}]}`: `{"a":[1,2.5,{"y":true,"z":null}],"b":1}`,
		`"<a&b>"`:             `"<a&b>"`,
		` {"k":"é\u00e9"} `:   `{"k":"éé"}`,
		`1e2`:                 `100`,
		`{"a":1,"a":2}`:       `{"a":2}`,
		`[]`:                  `[]`,
		`{"n":-0.0,"m":1E-1}`: `{"m":0.1,"n":0}`,
	} {
		got, ok := canonicalJSON(in)
		if !ok || got != want {
			t.Errorf("canonicalJSON(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{`{`, `{} {}`, `nope`, ``} {
		if got, ok := canonicalJSON(in); ok {
			t.Errorf("canonicalJSON(%q) = %q, want failure", in, got)
		}
	}
}

func TestBitString(t *testing.T) {
	if got := bitString([]byte{0x01, 0x05}, 10); got != "0100000101" {
		t.Errorf("bitString = %q", got)
	}
	if got := bitString([]byte{0x05}, 12); got != "000000000101" {
		t.Errorf("bitString short = %q", got)
	}
}

func TestUnify(t *testing.T) {
	col := func(k Kind, bits int, padded bool) *Column {
		return &Column{Name: "c", Kind: k, FloatBits: bits, Padded: padded}
	}
	tests := []struct {
		name     string
		s, t     *Column
		sv, tv   Value
		equal    bool
		comparab bool
	}{
		{"decimal scale", col(KindNumber, 0, false), col(KindNumber, 0, false), Value{KindNumber, "1.5"}, Value{KindNumber, "1.5"}, true, true},
		{"float32 vs double", col(KindFloat, 32, false), col(KindFloat, 64, false),
			Value{KindFloat, float(float64(float32(0.1)), 32)}, Value{KindFloat, float(float64(float32(0.1)), 64)}, true, true},
		{"float32 vs double differs", col(KindFloat, 32, false), col(KindFloat, 64, false),
			Value{KindFloat, "0.1"}, Value{KindFloat, "0.2"}, false, true},
		{"tinyint vs bool", col(KindNumber, 0, false), col(KindBool, 0, false), Value{KindNumber, "1"}, Value{KindBool, "true"}, true, true},
		{"number vs double", col(KindNumber, 0, false), col(KindFloat, 64, false), Value{KindNumber, "2.5"}, Value{KindFloat, "2.5"}, true, true},
		{"datetime vs timestamptz", col(KindTimestamp, 0, false), col(KindTimestampTZ, 0, false),
			Value{KindTimestamp, "2024-01-01 00:00:00.000000"}, Value{KindTimestampTZ, "2024-01-01 00:00:00.000000"}, true, true},
		{"iso text vs timestamptz", col(KindString, 0, false), col(KindTimestampTZ, 0, false),
			Value{KindString, "2024-01-01T01:00:00+01:00"}, Value{KindTimestampTZ, "2024-01-01 00:00:00.000000"}, true, true},
		{"longtext json vs jsonb", col(KindString, 0, false), col(KindJSON, 0, false),
			Value{KindString, `{"b":1, "a":2}`}, Value{KindJSON, `{"a":2,"b":1}`}, true, true},
		{"char vs text", col(KindString, 0, true), col(KindString, 0, false), Value{KindString, "ab"}, Value{KindString, "ab  "}, true, true},
		{"text vs bytes", col(KindString, 0, false), col(KindBytes, 0, false), Value{KindString, "é"}, Value{KindBytes, "é"}, true, true},
		{"null", col(KindNumber, 0, false), col(KindFloat, 64, false), Null, Null, true, true},
		{"incompatible", col(KindBytes, 0, false), col(KindDate, 0, false), Value{KindBytes, "x"}, Value{KindDate, "2024-01-01"}, false, false},
	}
	for _, tt := range tests {
		cs, ct, ok := unify(tt.s, tt.t)
		if ok != tt.comparab {
			t.Errorf("%s: comparable = %v", tt.name, ok)
		}
		a, b := cs(tt.sv), ct(tt.tv)
		if (a == b) != tt.equal {
			t.Errorf("%s: %v vs %v: equal = %v, want %v", tt.name, a, b, a == b, tt.equal)
		}
	}
}

func TestCompareKeys(t *testing.T) {
	n := func(s string) Value { return Value{KindNumber, s} }
	if compareKeys(Key{n("9")}, Key{n("10")}) >= 0 {
		t.Error("9 >= 10")
	}
	if compareKeys(Key{n("1"), {KindString, "b"}}, Key{n("1"), {KindString, "a"}}) <= 0 {
		t.Error("(1,b) <= (1,a)")
	}
	if compareKeys(Key{{KindTime, "-01:00:00.000000"}}, Key{{KindTime, "00:30:00.000000"}}) >= 0 {
		t.Error("-1h >= 30m")
	}
}

func TestParseMySQLDSN(t *testing.T) {
	for in, want := range map[string]myDSN{
		"root:pw@tcp(127.0.0.1:3307)/db?x=1": {"root", "pw", "127.0.0.1:3307", "db"},
		"u:p:@x@tcp(h)/":                     {"u", "p:@x", "h:3306", ""},
		"mysql://u:p@h:1/d":                  {"u", "p", "h:1", "d"},
	} {
		got, err := parseMySQLDSN(in)
		if err != nil || got != want {
			t.Errorf("parseMySQLDSN(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	if _, err := parseMySQLDSN("nope"); err == nil {
		t.Error("want an error")
	}
}

func FuzzCanonicalJSON(f *testing.F) {
	f.Add(`{"b": 1.0, "a": [1, "x"]}`)
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := canonicalJSON(s)
		if !ok {
			return
		}
		again, ok := canonicalJSON(c)
		if !ok || again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, c, again)
		}
	})
}

func FuzzTimestampText(f *testing.F) {
	f.Add("2024-03-01 12:34:56.5+05:30")
	f.Fuzz(func(t *testing.T, s string) {
		out, zero, _, ok := timestampText(s)
		if !ok || zero {
			return
		}
		again, _, _, ok := timestampText(out)
		if !ok || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
	})
}
